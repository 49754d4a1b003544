// tui/viewer/status_line.hpp - the status line: what the session reports,
// as segments that always fit one line. When the terminal is narrow (80
// columns with a filter and a notice), the least important segments are
// shortened or left out, never wrapped.
#pragma once

#include "grid.hpp"
#include "state.hpp"
#include "theme.hpp"

#include <proctree/model/tree.hpp>

#include <string>
#include <vector>

namespace proctree::viewer {

struct Segment {
    std::string text;
    bool alert = false;
    int priority = 0;         // the lowest goes first when the line is too long
    bool shrinkable = false;  // may be cut (with an ellipsis) instead of left out
};

// "0", "0.3", "12.5", "140": a rate is never negative and never "-0.0".
std::string format_rate(double per_s);

// Every segment the status would show, in display order.
std::vector<Segment> status_segments(const UiState& ui, const StatusInfo& s, const model::Filter& filter);
// The segments that fit `width` columns with `separator` between them.
std::vector<Segment> fit_segments(std::vector<Segment> segs, int width, const Glyphs& glyphs);
void paint_status_line(Grid& g, int y, const UiState& ui, const StatusInfo& s, const model::Filter& filter,
                       const Theme& theme);

}  // namespace proctree::viewer

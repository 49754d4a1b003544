// tui/viewer/panes.hpp - the lower pane of the body: details of the selected
// process, the event log, the top spawners. Pure layout into a Grid, like
// layout.hpp; the text of each pane is also available as lines for tests.
#pragma once

#include "grid.hpp"
#include "state.hpp"
#include "theme.hpp"
#include "usage.hpp"

#include <proctree/model/event_log.hpp>
#include <proctree/model/spawners.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/model/truncation.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace proctree::viewer {

// What the panes show besides the tree (owned by the session).
struct PaneSources {
    const model::EventLog* log = nullptr;
    const model::SpawnerCounts* spawners = nullptr;
};

// The details of p as escaped lines of at most `width` columns: identity,
// times, creator, ancestors, user, image (with its facts), the whole
// command line wrapped, threads, exit, children and descendants, the
// records seen for it and the images it loaded.
// With `usage` (sampled now), a running process's CPU%, RSS and state; an
// exited one's whole-life CPU time and peak RSS where its exit record had them.
// `cut`: the marker glyph after a string the producer cut (Glyphs::cut).
// `whole_cmdline`: the running process's command line read from the OS,
// shown instead of the start its record carried.
std::vector<std::string> details_lines(const model::ProcessTree& tree, const model::Process& p, int width,
                                       const Usage* usage = nullptr, std::string_view cut = model::kCutEllipsis,
                                       const std::string* whole_cmdline = nullptr);

// The log lines (escaped, newest last) within the PID filter's subtree when
// one is set: at most `count`, ending `back` lines before the newest.
std::vector<std::string> log_lines(const model::ProcessTree& tree, const model::EventLog& log, std::size_t back,
                                   std::size_t count, std::size_t* matching = nullptr);
std::string log_line(const model::LogEntry& e);

// Paints the pane in rows [top, top + rows) (the first is its title line);
// clamps ui's pane scroll and selection to what there is.
void paint_pane(const model::ProcessTree& tree, UiState& ui, const PaneSources& sources, const Theme& theme, int top,
                int rows, Grid& g);

}  // namespace proctree::viewer

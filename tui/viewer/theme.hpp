// tui/viewer/theme.hpp - the colour mapping. The model knows row states
// (new, exiting, context); which colour or attribute shows them is decided
// here, with a monochrome variant (no colours, or NO_COLOR set) that marks
// states in text as well: [+] new, [x] exited, bold and dim.
#pragma once

#include "glyphs.hpp"
#include "grid.hpp"

#include <proctree/model/view.hpp>

#include <string_view>

namespace proctree::viewer {

struct Theme {
    bool color = true;
    Glyphs glyphs;  // line drawing: Unicode, or ASCII outside a UTF-8 locale

    Style header;  // the column header line
    Style normal;
    Style fresh;         // RowState::New
    Style exiting;       // RowState::Exiting
    Style exited;        // RowState::Exited (kept after the highlight time: dimmed)
    Style context;       // RowState::Context (filter ancestors)
    Style cmdline;       // the command line after the name
    Style status;        // the status line
    Style status_alert;  // paused, errors inside the status line
    Style error;         // the source error line
    Style prompt;        // the filter prompt
    Style help_title;

    static Theme colored();
    static Theme monochrome();

    Style row_style(model::RowState state) const;
    // Text marker before the name: "[+] " / "[x] " in monochrome, "" in colour.
    std::string_view marker(model::RowState state) const;
};

// NO_COLOR set (to anything non-empty) or a terminal without colours.
bool want_color(bool terminal_has_colors);

}  // namespace proctree::viewer

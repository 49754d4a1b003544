// tui/viewer/layout.hpp - the pure layout layer: renders the tree, the
// interaction state and the status into a fixed-size Grid. No terminal, no
// ncurses: tests compare the grid's text and styles.
//
// Screen: row 0 is the column header; then the tree rows; at the bottom the
// status line (wrapped onto a second line when it does not fit) and, while
// a filter is typed, the prompt. The help screen replaces the tree rows.
#pragma once

#include "columns.hpp"
#include "grid.hpp"
#include "panes.hpp"
#include "state.hpp"
#include "theme.hpp"
#include "view_rows.hpp"

#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace proctree::viewer {

inline constexpr int kMinWidth = 40;
inline constexpr int kMinHeight = 6;

// Brings the selection and scroll position in line with the tree after it
// changed: the selection stays on its process (and on its screen row when
// rows appear or vanish above it); when its process left the view, the row
// now at its index is selected.
void sync_selection(const ViewRows& view, UiState& ui, int body_rows);

// Lays out the whole screen into `grid` (its size is the terminal's).
// Updates ui's geometry and selection.
void render(const model::ProcessTree& tree, UiState& ui, const StatusInfo& status, const Theme& theme, Grid& grid,
            const PaneSources& sources = {});

// Only the footer (status and prompt), for a paused screen whose tree part
// stays as it was. Returns false when the footer height would change (then
// a full render is needed).
bool render_footer(const model::Filter& filter, UiState& ui, const StatusInfo& status, const Theme& theme, Grid& grid);

// The text of one tree row, as the screen shows it after the columns (also
// used by tests): prefix, marker, name, exit description, command line.
// Name and command line are cut to max_raw bytes before escaping (the
// screen shows a row's first columns only).
std::string row_label(const model::ProcessTree& tree, const model::Row& row, const Theme& theme,
                      std::size_t max_raw = SIZE_MAX);

std::vector<std::string> help_lines();

}  // namespace proctree::viewer

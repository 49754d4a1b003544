// tui/viewer/menus.hpp - menus that take the lower part of the body while
// open: the F9 signal menu (pid, name and the signals to choose from).
#pragma once

#include "grid.hpp"
#include "state.hpp"
#include "theme.hpp"

#include <proctree/model/tree.hpp>

namespace proctree::viewer {

// Lines the open menu needs (title included); 0 when none is open.
int menu_height(const UiState& ui);
// Paints the open menu in rows [top, top + rows).
void paint_menu(const model::ProcessTree& tree, const UiState& ui, const Theme& theme, int top, int rows, Grid& g);

}  // namespace proctree::viewer

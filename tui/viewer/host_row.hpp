// tui/viewer/host_row.hpp - a fleet's host node as a tree row: the host's
// name where a process's PID and name go, then what describe_host says.
#pragma once

#include "grid.hpp"
#include "theme.hpp"

#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>

namespace proctree::viewer {

void paint_host_row(const model::ProcessTree& tree, const model::Row& row, int y, bool selected, const Theme& theme,
                    Grid& g);

}  // namespace proctree::viewer

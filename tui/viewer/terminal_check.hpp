// tui/viewer/terminal_check.hpp - can this terminal run a full-screen
// viewer? One that cannot move the cursor (TERM=dumb, an emacs shell, a
// TERM without a terminfo entry) would show a screen that never fills.
#pragma once

#include <string>

namespace proctree::viewer {

// Empty when the terminal on fd can address the cursor; else one line
// saying why not and what to use instead.
std::string terminal_unusable(int fd);

}  // namespace proctree::viewer

// Kept apart from screen.cpp: <term.h> defines macros (lines, columns, ...)
// that would clash with ordinary names there.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include "terminal_check.hpp"

#include <ncursesw/curses.h>
#include <ncursesw/term.h>

#include <fmt/core.h>

#include <cstdlib>

namespace proctree::viewer {

std::string terminal_unusable(int fd)
{
    const char* term = std::getenv("TERM");
    std::string name = term && *term ? term : "";
    constexpr const char* kInstead = "; for the tree as text use `proctree snapshot` (or set TERM, e.g. TERM=xterm)";
    if (name.empty()) return fmt::format("TERM is not set, so the viewer cannot draw{}", kInstead);
    int err = 0;
    if (setupterm(name.c_str(), fd, &err) != OK)
        return fmt::format("TERM={} is not a terminal type this system knows (no terminfo entry){}", name, kInstead);
    const char* cup = tigetstr("cup");
    bool addressable = cup != nullptr && cup != reinterpret_cast<const char*>(-1);
    del_curterm(cur_term);
    if (!addressable) return fmt::format("TERM={} cannot move the cursor, so the viewer cannot draw{}", name, kInstead);
    return {};
}

}  // namespace proctree::viewer

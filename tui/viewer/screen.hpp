// tui/viewer/screen.hpp - the thin ncurses layer: paints a Grid, reads keys
// and mouse events as Events, restores the terminal. Nothing here knows
// about processes.
#pragma once

#include "grid.hpp"
#include "keys.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace proctree::viewer {

class Screen {
public:
    // Takes over the terminal on in_fd/out_fd (newterm). Throws
    // std::runtime_error when the terminal can't be used.
    Screen(int in_fd, int out_fd, bool mouse = true);
    ~Screen();  // restores the terminal
    Screen(const Screen&) = delete;
    Screen& operator=(const Screen&) = delete;

    int input_fd() const { return in_fd_; }
    int width() const;
    int height() const;
    bool has_colors() const { return colors_; }

    // Reads every pending input event without blocking.
    void read_events(std::vector<Event>& out);
    // The terminal was resized (SIGWINCH): learn the new size.
    void resized();
    // Paints `grid` (rows that differ from the last painted grid only).
    void paint(const Grid& grid);
    // Leaves curses mode (also done by the destructor; idempotent).
    void close();

private:
    short pair_for(Color fg, Color bg);
    void paint_row(const Grid& grid, int y);
    static void read_mouse_events(std::vector<Event>& out);

    int in_fd_;
    int out_fd_;
    std::FILE* in_ = nullptr;
    std::FILE* out_ = nullptr;
    void* screen_ = nullptr;  // SCREEN*
    bool colors_ = false;
    bool open_ = false;
    int cursor_visible_ = -1;
    Grid painted_;
    short pairs_[9][9] = {};
    short next_pair_ = 1;
};

// Installs handlers that put the terminal back (termios, alternate screen,
// mouse, cursor) on a crash signal (SIGSEGV, SIGABRT, ...) before dying.
void install_crash_restore(int tty_fd);

}  // namespace proctree::viewer

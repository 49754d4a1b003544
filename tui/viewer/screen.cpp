#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include "screen.hpp"

#include <ncursesw/curses.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

namespace proctree::viewer {

namespace {

// Crash path: what endwin() would undo, done with async-signal-safe calls.
struct termios g_saved_termios;
volatile int g_tty_fd = -1;

void restore_on_crash(int sig)
{
    int fd = g_tty_fd;
    if (fd >= 0) {
        static const char reset[] = "\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[0m\033[?25h\033[?1049l\r\n";
        ssize_t ignored = ::write(fd, reset, sizeof reset - 1);
        (void)ignored;
        ::tcsetattr(fd, TCSANOW, &g_saved_termios);
    }
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

short curses_color(Color c)
{
    switch (c) {
    case Color::Default: return -1;
    case Color::Black: return COLOR_BLACK;
    case Color::Red: return COLOR_RED;
    case Color::Green: return COLOR_GREEN;
    case Color::Yellow: return COLOR_YELLOW;
    case Color::Blue: return COLOR_BLUE;
    case Color::Magenta: return COLOR_MAGENTA;
    case Color::Cyan: return COLOR_CYAN;
    case Color::White: return COLOR_WHITE;
    }
    return -1;
}

Key function_key(int k)
{
    switch (k) {
    case KEY_UP: return Key::Up;
    case KEY_DOWN: return Key::Down;
    case KEY_LEFT: return Key::Left;
    case KEY_RIGHT: return Key::Right;
    case KEY_PPAGE: return Key::PageUp;
    case KEY_NPAGE: return Key::PageDown;
    case KEY_HOME:
    case KEY_A1: return Key::Home;
    case KEY_END:
    case KEY_C1: return Key::End;
    case KEY_ENTER: return Key::Enter;
    case KEY_BACKSPACE:
    case KEY_DC: return Key::Backspace;
    case KEY_RESIZE: return Key::Resize;
    default: return Key::None;
    }
}

}  // namespace

void install_crash_restore(int tty_fd)
{
    if (::tcgetattr(tty_fd, &g_saved_termios) != 0) return;
    g_tty_fd = tty_fd;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = restore_on_crash;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(sig, &sa, nullptr);
}

Screen::Screen(int in_fd, int out_fd, bool mouse) : in_fd_(in_fd), out_fd_(out_fd)
{
    in_ = ::fdopen(::dup(in_fd), "r");
    out_ = ::fdopen(::dup(out_fd), "w");
    if (!in_ || !out_) throw std::runtime_error("cannot open the terminal");
    install_crash_restore(out_fd);
    SCREEN* scr = newterm(nullptr, out_, in_);
    if (!scr) throw std::runtime_error("cannot initialise the terminal (is TERM set?)");
    screen_ = scr;
    set_term(scr);
    open_ = true;
    set_escdelay(100);  // a lone Esc waits this long for the rest of a sequence (ssh splits them)
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    cursor_visible_ = 0;
    mouseinterval(0);
    typeahead(-1);  // no input checks in the middle of a frame
    if (mouse) mousemask(BUTTON1_PRESSED | BUTTON1_RELEASED | BUTTON4_PRESSED | BUTTON5_PRESSED, nullptr);
    if (::has_colors()) {
        start_color();
        use_default_colors();
        colors_ = true;
    }
}

Screen::~Screen()
{
    close();
    if (screen_) delscreen(static_cast<SCREEN*>(screen_));
    if (in_) std::fclose(in_);
    if (out_) std::fclose(out_);
}

void Screen::close()
{
    if (!open_) return;
    open_ = false;
    curs_set(1);
    endwin();
    g_tty_fd = -1;
}

int Screen::width() const { return COLS; }
int Screen::height() const { return LINES; }

void Screen::resized()
{
    struct winsize ws;
    if (::ioctl(out_fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) resize_term(ws.ws_row, ws.ws_col);
    clearok(curscr, TRUE);
    painted_ = Grid();
}

// One KEY_MOUSE can stand for several events: ncurses reads every mouse
// report already waiting (a press and its release in one read on a loaded
// machine) and getmouse hands them back newest first. Taking only the first
// would keep the release and lose the press.
void Screen::read_mouse_events(std::vector<Event>& out)
{
    std::size_t first = out.size();
    MEVENT m;
    while (getmouse(&m) == OK) {
        if (m.bstate & BUTTON4_PRESSED) out.push_back(Event::of(Key::WheelUp));
        else if (m.bstate & BUTTON5_PRESSED) out.push_back(Event::of(Key::WheelDown));
        else if (m.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) out.push_back(Event::click(m.x, m.y));
    }
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

void Screen::read_events(std::vector<Event>& out)
{
    for (;;) {
        wint_t ch = 0;
        int rc = wget_wch(stdscr, &ch);
        if (rc == ERR) return;
        if (rc == KEY_CODE_YES) {
            if (ch == KEY_MOUSE) {
                read_mouse_events(out);
                continue;
            }
            if (ch > KEY_F0 && ch <= KEY_F(12)) {
                out.push_back(Event::function(static_cast<int>(ch - KEY_F0)));
                continue;
            }
            Key k = function_key(static_cast<int>(ch));
            if (k != Key::None) out.push_back(Event::of(k));
            continue;
        }
        switch (ch) {
        case L'\r':
        case L'\n': out.push_back(Event::of(Key::Enter)); break;
        case 27: out.push_back(Event::of(Key::Escape)); break;
        case L'\t': out.push_back(Event::of(Key::Tab)); break;
        case 12: out.push_back(Event::of(Key::Redraw)); break;  // Ctrl-L
        case 127:
        case 8: out.push_back(Event::of(Key::Backspace)); break;
        default: out.push_back(Event::character(static_cast<char32_t>(ch))); break;
        }
    }
}

short Screen::pair_for(Color fg, Color bg)
{
    auto f = static_cast<std::size_t>(fg), b = static_cast<std::size_t>(bg);
    if (fg == Color::Default && bg == Color::Default) return 0;
    if (pairs_[f][b] == 0 && next_pair_ < COLOR_PAIRS) {
        init_pair(next_pair_, curses_color(fg), curses_color(bg));
        pairs_[f][b] = next_pair_++;
    }
    return pairs_[f][b];
}

void Screen::paint_row(const Grid& grid, int y)
{
    std::wstring buf;
    int x0 = 0;
    Style run;
    auto flush = [&] {
        if (buf.empty()) return;
        attr_t a = A_NORMAL;
        if (run.bold) a |= A_BOLD;
        if (run.dim) a |= A_DIM;
        if (run.reverse) a |= A_REVERSE;
        if (run.underline) a |= A_UNDERLINE;
        short pair = colors_ ? pair_for(run.fg, run.bg) : 0;
        wattr_set(stdscr, a, pair, nullptr);
        mvwaddnwstr(stdscr, y, x0, buf.c_str(), static_cast<int>(buf.size()));
        buf.clear();
    };
    int w = std::min(grid.width(), COLS);
    for (int x = 0; x < w; ++x) {
        const Cell& c = grid.at(x, y);
        if (c.width == 0) continue;
        if (!buf.empty() && !(c.style == run)) flush();
        if (buf.empty()) {
            x0 = x;
            run = c.style;
        }
        buf.push_back(static_cast<wchar_t>(c.ch));
        for (char32_t m : grid.marks(c)) buf.push_back(static_cast<wchar_t>(m));
    }
    flush();
}

void Screen::paint(const Grid& grid)
{
    if (!open_) return;
    // Rows are compared with what was painted; only changed rows are
    // handed to curses and remembered.
    bool same_size =
        painted_.width() == grid.width() && painted_.height() == grid.height() && painted_.mark_count() < 4096;
    if (!same_size) painted_.resize(grid.width(), grid.height());
    int h = std::min(grid.height(), LINES);
    bool any = false;
    for (int y = 0; y < h; ++y) {
        if (same_size && grid.row_equal(painted_, y)) continue;
        paint_row(grid, y);
        painted_.assign_row(grid, y);
        any = true;
    }
    int want_cursor = grid.cursor ? 1 : 0;
    if (want_cursor != cursor_visible_) {
        curs_set(want_cursor);
        cursor_visible_ = want_cursor;
        any = true;
    }
    if (grid.cursor != painted_.cursor) any = true;
    painted_.cursor = grid.cursor;
    if (!any) return;
    if (grid.cursor) wmove(stdscr, grid.cursor->second, grid.cursor->first);
    wnoutrefresh(stdscr);
    doupdate();
}

}  // namespace proctree::viewer

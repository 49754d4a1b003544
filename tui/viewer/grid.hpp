// tui/viewer/grid.hpp - a fixed-size grid of text cells with attributes.
//
// The layout layer renders the whole screen into a Grid (pure, testable:
// tests compare its text); the ncurses layer only paints a Grid. A cell holds
// one UTF-8 grapheme (a code point plus any combining marks) of width 1 or 2;
// the cell after a wide one is a continuation (width 0, never painted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::viewer {

enum class Color : std::uint8_t {
    Default,
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    White
};

struct Style {
    Color fg = Color::Default;
    Color bg = Color::Default;
    bool bold = false;
    bool dim = false;
    bool reverse = false;
    bool underline = false;
    friend bool operator==(const Style&, const Style&) = default;
};

// Plain data (trivially copyable): clearing, copying and comparing grids
// stays cheap at 30 frames a second.
struct Cell {
    char32_t ch = U' ';       // the code point; 0 for the continuation of a wide cell
    std::uint32_t marks = 0;  // combining marks: 1 + index into the grid's mark table; 0: none
    std::uint8_t width = 1;   // 1 or 2; 0 for a continuation
    Style style;
};

class Grid {
public:
    Grid() = default;
    Grid(int width, int height) { resize(width, height); }

    void resize(int width, int height);
    void clear(Style style = {});
    int width() const { return width_; }
    int height() const { return height_; }

    const Cell& at(int x, int y) const { return cells_[static_cast<std::size_t>(y * width_ + x)]; }
    Cell& at(int x, int y) { return cells_[static_cast<std::size_t>(y * width_ + x)]; }
    // The combining marks of a cell ("" when none).
    std::u32string_view marks(const Cell& c) const
    {
        return c.marks ? std::u32string_view(marks_[c.marks - 1]) : std::u32string_view();
    }
    // A cell's text as UTF-8 ("" for a continuation).
    std::string text_at(int x, int y) const;

    // Writes escaped UTF-8 text at (x, y) in `style`, never past column
    // `limit` (exclusive; -1: the grid's width). A wide character that does
    // not fit is replaced by a space. Returns the column after the text.
    int put(int x, int y, std::string_view text, Style style, int limit = -1);
    // Fills columns [x, limit) of row y with spaces in `style`.
    void fill(int x, int y, int limit, Style style);
    // Applies `style` to every cell of row y in [x, limit) (keeps the text).
    void restyle(int x, int y, int limit, Style style);
    // Adds reverse video to cells of row y in [x, limit).
    void add_reverse(int x, int y, int limit);

    // Where the terminal cursor should be (text prompts); hidden if empty.
    std::optional<std::pair<int, int>> cursor;

    // Row y as plain text (continuations skipped, trailing spaces trimmed).
    std::string row_text(int y) const;
    // The whole grid as text, one line per row.
    std::string text() const;
    bool row_equal(const Grid& other, int y) const;
    // Copies row y of `other` (same width) into this grid.
    void assign_row(const Grid& other, int y);
    std::size_t mark_count() const { return marks_.size(); }
    friend bool operator==(const Grid& a, const Grid& b);

private:
    int width_ = 0;
    int height_ = 0;
    std::vector<Cell> cells_;
    std::vector<std::u32string> marks_;
};

// Appends code point c to s as UTF-8.
void append_utf8(std::string& s, char32_t c);

// Display width of escaped UTF-8 text, as Grid::put lays it out.
int text_width(std::string_view text);
// The longest prefix of `text` that fits in `columns` (whole code points).
std::string_view fit_prefix(std::string_view text, int columns);

}  // namespace proctree::viewer

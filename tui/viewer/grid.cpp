#include "grid.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cwchar>

namespace proctree::viewer {

namespace {

struct Glyph {
    char32_t cp;
    int width;             // 0: combining, attaches to the previous cell
    std::size_t consumed;  // bytes of the input it stands for
    bool escaped = false;  // not printable here: shown as \u{NNNN} (width columns)
};

std::string unprintable(char32_t cp) { return fmt::format("\\u{{{:04X}}}", static_cast<std::uint32_t>(cp)); }

// Columns of a code point the way ncursesw counts them: wcwidth() in the
// current locale. One it cannot print (any non-ASCII one in a non-UTF-8
// locale, unassigned ones) is shown as its \u{NNNN} escape instead.
Glyph measure(char32_t cp, std::size_t consumed)
{
    int w = ::wcwidth(static_cast<wchar_t>(cp));
    if (w >= 0) return Glyph{cp, std::min(w, 2), consumed};
    return Glyph{cp, static_cast<int>(unprintable(cp).size()), consumed, true};
}

// Decodes the code point at s[i]; an invalid sequence (never expected after
// escape()) decodes to '?' of one byte.
Glyph decode(std::string_view s, std::size_t i)
{
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return b < 0x20 || b == 0x7F ? Glyph{U'?', 1, 1} : Glyph{b, 1, 1};
    std::size_t n = (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return Glyph{U'?', 1, 1};
    char32_t cp = b & (0x7Fu >> n);
    for (std::size_t k = 1; k < n; ++k) {
        auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return Glyph{U'?', 1, 1};
        cp = (cp << 6) | (c & 0x3Fu);
    }
    return measure(cp, n);
}

template <typename F>
void for_each_glyph(std::string_view text, F&& f)
{
    std::size_t i = 0;
    while (i < text.size()) {
        Glyph g = decode(text, i);
        if (!f(g)) return;
        i += g.consumed;
    }
}

}  // namespace

void append_utf8(std::string& s, char32_t c)
{
    if (c < 0x80) {
        s += static_cast<char>(c);
    } else if (c < 0x800) {
        s += static_cast<char>(0xC0 | (c >> 6));
        s += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        s += static_cast<char>(0xE0 | (c >> 12));
        s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x110000) {
        s += static_cast<char>(0xF0 | (c >> 18));
        s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (c & 0x3F));
    }
}

void Grid::resize(int width, int height)
{
    width_ = std::max(0, width);
    height_ = std::max(0, height);
    cells_.assign(static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_), Cell{});
    marks_.clear();
    cursor.reset();
}

void Grid::clear(Style style)
{
    Cell blank;
    blank.style = style;
    std::fill(cells_.begin(), cells_.end(), blank);
    marks_.clear();
    cursor.reset();
}

int Grid::put(int x, int y, std::string_view text, Style style, int limit)
{
    if (y < 0 || y >= height_) return x;
    if (limit < 0 || limit > width_) limit = width_;
    int last = -1;  // the cell a combining mark attaches to
    Cell* row = &cells_[static_cast<std::size_t>(y * width_)];
    for_each_glyph(text, [&](Glyph g) {
        if (g.escaped) {  // whole or not at all
            if (x + g.width > limit) return false;
            for (char c : unprintable(g.cp)) row[x++] = Cell{static_cast<char32_t>(c), 0, 1, style};
            last = -1;
            return true;
        }
        if (g.width == 0) {
            if (last >= 0) {
                Cell& c = row[last];
                if (c.marks == 0) {
                    marks_.emplace_back();
                    c.marks = static_cast<std::uint32_t>(marks_.size());
                }
                marks_[c.marks - 1].push_back(g.cp);
            }
            return true;
        }
        if (x >= limit) return false;
        if (g.width == 2 && x + 1 >= limit) {  // a wide glyph that does not fit
            row[x] = Cell{U' ', 0, 1, style};
            ++x;
            return false;
        }
        row[x] = Cell{g.cp, 0, static_cast<std::uint8_t>(g.width), style};
        last = x;
        if (g.width == 2) row[x + 1] = Cell{0, 0, 0, style};
        x += g.width;
        return true;
    });
    return x;
}

void Grid::fill(int x, int y, int limit, Style style)
{
    if (y < 0 || y >= height_) return;
    if (limit < 0 || limit > width_) limit = width_;
    for (int i = std::max(0, x); i < limit; ++i) at(i, y) = Cell{U' ', 0, 1, style};
}

void Grid::restyle(int x, int y, int limit, Style style)
{
    if (y < 0 || y >= height_) return;
    if (limit < 0 || limit > width_) limit = width_;
    for (int i = std::max(0, x); i < limit; ++i) at(i, y).style = style;
}

void Grid::add_reverse(int x, int y, int limit)
{
    if (y < 0 || y >= height_) return;
    if (limit < 0 || limit > width_) limit = width_;
    for (int i = std::max(0, x); i < limit; ++i) at(i, y).style.reverse = true;
}

std::string Grid::text_at(int x, int y) const
{
    const Cell& c = at(x, y);
    std::string out;
    if (c.width == 0) return out;
    append_utf8(out, c.ch);
    for (char32_t m : marks(c)) append_utf8(out, m);
    return out;
}

std::string Grid::row_text(int y) const
{
    std::string out;
    for (int x = 0; x < width_; ++x) out += text_at(x, y);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string Grid::text() const
{
    std::string out;
    for (int y = 0; y < height_; ++y) {
        out += row_text(y);
        out += '\n';
    }
    return out;
}

bool Grid::row_equal(const Grid& other, int y) const
{
    if (width_ != other.width_ || y >= height_ || y >= other.height_) return false;
    const Cell* a = &cells_[static_cast<std::size_t>(y * width_)];
    const Cell* b = &other.cells_[static_cast<std::size_t>(y * width_)];
    for (int x = 0; x < width_; ++x) {
        if (a[x].ch != b[x].ch || a[x].width != b[x].width || !(a[x].style == b[x].style)) return false;
        if ((a[x].marks || b[x].marks) && marks(a[x]) != other.marks(b[x])) return false;
    }
    return true;
}

void Grid::assign_row(const Grid& other, int y)
{
    if (width_ != other.width_ || y < 0 || y >= height_ || y >= other.height_) return;
    Cell* dst = &cells_[static_cast<std::size_t>(y * width_)];
    const Cell* src = &other.cells_[static_cast<std::size_t>(y * width_)];
    std::copy(src, src + width_, dst);
    for (int x = 0; x < width_; ++x) {
        if (!dst[x].marks) continue;
        marks_.emplace_back(other.marks(src[x]));
        dst[x].marks = static_cast<std::uint32_t>(marks_.size());
    }
}

bool operator==(const Grid& a, const Grid& b)
{
    if (a.width_ != b.width_ || a.height_ != b.height_ || a.cursor != b.cursor) return false;
    for (int y = 0; y < a.height_; ++y)
        if (!a.row_equal(b, y)) return false;
    return true;
}

int text_width(std::string_view text)
{
    int w = 0;
    for_each_glyph(text, [&](Glyph g) {
        w += g.width;
        return true;
    });
    return w;
}

std::string_view fit_prefix(std::string_view text, int columns)
{
    int w = 0;
    std::size_t end = 0;
    for_each_glyph(text, [&](Glyph g) {
        if (w + g.width > columns) return false;
        w += g.width;
        end += g.consumed;
        return true;
    });
    return text.substr(0, end);
}

}  // namespace proctree::viewer

#include "grid.hpp"

#include <proctree/model/escape.hpp>

#include <algorithm>

namespace proctree::viewer {

namespace {

// Length of the UTF-8 sequence starting at s[i]; 0 when it is invalid.
std::size_t sequence_length(std::string_view s, std::size_t i)
{
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    return n;
}

// Width of one code point (the escaped text holds printable ones only).
int code_point_width(std::string_view cp)
{
    if (cp.size() == 1) return 1;
    return static_cast<int>(model::display_width(cp));
}

struct Glyph {
    std::string_view text;  // the code point
    int width;              // 0: combining, attaches to the previous cell
    std::size_t consumed;   // bytes of the input it stands for
};

template <typename F>
void for_each_glyph(std::string_view text, F&& f)
{
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t n = sequence_length(text, i);
        if (n == 0) {  // never expected after escape(); show a replacement
            if (!f(Glyph{"?", 1, 1})) return;
            ++i;
            continue;
        }
        std::string_view cp = text.substr(i, n);
        if (!f(Glyph{cp, code_point_width(cp), n})) return;
        i += n;
    }
}

} // namespace

void Grid::resize(int width, int height)
{
    width_ = std::max(0, width);
    height_ = std::max(0, height);
    cells_.assign(static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_), Cell{});
    cursor.reset();
}

void Grid::clear(Style style)
{
    Cell blank;
    blank.style = style;
    std::fill(cells_.begin(), cells_.end(), blank);
    cursor.reset();
}

int Grid::put(int x, int y, std::string_view text, Style style, int limit)
{
    if (y < 0 || y >= height_) return x;
    if (limit < 0 || limit > width_) limit = width_;
    int last = -1;  // the cell a combining mark attaches to
    for_each_glyph(text, [&](Glyph g) {
        if (g.width == 0) {
            if (last >= 0) at(last, y).text.append(g.text);
            return true;
        }
        if (x >= limit) return false;
        if (g.width == 2 && x + 1 >= limit) {  // a wide glyph that does not fit
            at(x, y) = Cell{" ", 1, style};
            ++x;
            return false;
        }
        Cell& c = at(x, y);
        c.text.assign(g.text);
        c.width = static_cast<std::uint8_t>(g.width);
        c.style = style;
        last = x;
        if (g.width == 2) at(x + 1, y) = Cell{"", 0, style};
        x += g.width;
        return true;
    });
    return x;
}

void Grid::fill(int x, int y, int limit, Style style)
{
    if (y < 0 || y >= height_) return;
    if (limit < 0 || limit > width_) limit = width_;
    for (int i = std::max(0, x); i < limit; ++i) at(i, y) = Cell{" ", 1, style};
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

std::string Grid::row_text(int y) const
{
    std::string out;
    for (int x = 0; x < width_; ++x) out += at(x, y).text;
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
    auto a = cells_.begin() + static_cast<std::ptrdiff_t>(y * width_);
    auto b = other.cells_.begin() + static_cast<std::ptrdiff_t>(y * width_);
    return std::equal(a, a + width_, b);
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
    std::size_t pos = 0;
    for_each_glyph(text, [&](Glyph g) {
        if (w + g.width > columns) return false;
        w += g.width;
        pos += g.consumed;
        end = pos;
        return true;
    });
    return text.substr(0, end);
}

} // namespace proctree::viewer

// Glyph selection (Unicode in a UTF-8 locale, else ASCII; --ascii forces
// it), the ASCII tree, and widths measured as ncursesw measures them.
#include "tui_fixture.hpp"

#include "viewer/glyphs.hpp"

#include <clocale>

using namespace proctree;
using namespace proctree::testing;

namespace {

TEST(Glyphs, ChosenByTheLocalesCharacterSet)
{
    EXPECT_FALSE(viewer::Glyphs::select("UTF-8", false).ascii);
    EXPECT_FALSE(viewer::Glyphs::select("utf8", false).ascii);
    EXPECT_TRUE(viewer::Glyphs::select("UTF-8", true).ascii);            // --ascii
    EXPECT_TRUE(viewer::Glyphs::select("ANSI_X3.4-1968", false).ascii);  // LC_ALL=C
    EXPECT_TRUE(viewer::Glyphs::select("ISO-8859-1", false).ascii);
    EXPECT_TRUE(viewer::Glyphs::select("", false).ascii);
}

TEST(Glyphs, CurrentLocaleCodeset)
{
    ASSERT_NE(std::setlocale(LC_ALL, "C"), nullptr);
    EXPECT_FALSE(viewer::is_utf8_codeset(viewer::locale_codeset()));
    ASSERT_NE(std::setlocale(LC_ALL, "C.UTF-8"), nullptr);
    EXPECT_TRUE(viewer::is_utf8_codeset(viewer::locale_codeset()));
}

TEST(Glyphs, AsciiPrefixKeepsTheColumns)
{
    auto ascii = viewer::Glyphs::plain_ascii();
    EXPECT_EQ(viewer::tree_prefix("│  ├─ ", ascii), "|  |- ");
    EXPECT_EQ(viewer::tree_prefix("   └─ ", ascii), "   `- ");
    EXPECT_EQ(viewer::tree_prefix("", ascii), "");
    EXPECT_EQ(viewer::tree_prefix("│  └─ ", viewer::Glyphs::unicode()), "│  └─ ");
}

TEST_F(LayoutFixture, AsciiTreeAndCollapseMarker)
{
    feed(tree, small_stream());
    tree.advance(T0 + 10 * kSec);
    theme.glyphs = viewer::Glyphs::plain_ascii();
    tree.set_collapsed(model::Identity{kMake.pid, kMake.start_ns}, true);
    draw();
    EXPECT_EQ(grid.row_text(2).substr(32), "|- bash  -bash");
    EXPECT_EQ(grid.row_text(3).substr(32), "|  |- vim  vim notes.txt");
    EXPECT_EQ(grid.row_text(4).substr(32), "|  `- sleep  sleep 1000");
    EXPECT_EQ(grid.row_text(5).substr(32), "`- > make  make -j2");
}

TEST_F(LayoutFixture, OutsideUtf8NonAsciiTextIsShownAsEscapes)
{
    // ncursesw cannot print it in the C locale: one visible reading instead of blanks.
    ASSERT_NE(std::setlocale(LC_ALL, "C"), nullptr);
    viewer::Grid g(40, 1);
    int end = g.put(0, 0, "caf\xC3\xA9 ok", viewer::Style{});
    EXPECT_EQ(g.row_text(0), "caf\\u{00E9} ok");
    EXPECT_EQ(end, 14);
    EXPECT_EQ(viewer::text_width("caf\xC3\xA9"), 11);
}

TEST_F(LayoutFixture, WidthsAreWcwidths)
{
    viewer::Grid g(20, 1);
    // A combining acute accent takes no column; an emoji and a CJK ideograph two.
    EXPECT_EQ(viewer::text_width("e\xCC\x81"), 1);
    EXPECT_EQ(viewer::text_width("\xF0\x9F\x98\x80"), 2);
    EXPECT_EQ(viewer::text_width("\xE4\xB8\xAD"), 2);
    int end = g.put(0, 0, "\xF0\x9F\x98\x80x", viewer::Style{});
    EXPECT_EQ(end, 3);
    EXPECT_EQ(g.at(2, 0).ch, U'x');
}

}  // namespace

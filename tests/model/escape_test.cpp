// Unit tests for model/src/escape.cpp: nothing a process names itself may
// reach a terminal raw.
#include <proctree/model/escape.hpp>

#include <gtest/gtest.h>

using proctree::model::display_width;
using proctree::model::escape;
using proctree::model::json_quote;

TEST(Escape, PrintableAsciiAndUtf8PassUnchanged)
{
    EXPECT_EQ(escape("bash -c 'ls | wc'"), "bash -c 'ls | wc'");
    EXPECT_EQ(escape("naïve 日本語 émoji😀"), "naïve 日本語 émoji😀");
}

TEST(Escape, TerminalEscapeSequencesBecomeVisible)
{
    EXPECT_EQ(escape("\x1b]2;owned\a"), "\\e]2;owned\\a");
    EXPECT_EQ(escape("\x1b[2J"), "\\e[2J");
    EXPECT_EQ(escape("a\tb\nc\rd\be"), "a\\tb\\nc\\rd\\be");
    EXPECT_EQ(escape(std::string_view("nul\0x", 5)), "nul\\x00x");
    EXPECT_EQ(escape("\x7f"), "\\x7f");
}

TEST(Escape, WindowsPathsStayReadable)
{
    EXPECT_EQ(escape("C:\\Windows\\System32\\cmd.exe"), "C:\\Windows\\System32\\cmd.exe");
}

TEST(Escape, C1ControlsAndBidiOverridesAreEscaped)
{
    EXPECT_EQ(escape("\xc2\x9b" "31m"), "\\u{009b}31m");  // 8-bit CSI
    EXPECT_EQ(escape("abc\xe2\x80\xaetxt.exe"), "abc\\u{202e}txt.exe");  // RIGHT-TO-LEFT OVERRIDE
}

TEST(Escape, InvalidUtf8BytesAreShownAsHex)
{
    EXPECT_EQ(escape("\xff\xfe"), "\\xff\\xfe");
    EXPECT_EQ(escape("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
    EXPECT_EQ(escape("\xed\xa0\x80"), "\\xed\\xa0\\x80"); // surrogate
    EXPECT_EQ(escape("ab\xe6\x97"), "ab\\xe6\\x97");      // cut in the middle
}

TEST(Escape, JsonQuoteEscapesTwice)
{
    EXPECT_EQ(json_quote("a\"b"), "\"a\\\"b\"");
    EXPECT_EQ(json_quote("\x1b[2J"), "\"\\\\e[2J\"");
}

TEST(Escape, DisplayWidthCountsColumns)
{
    EXPECT_EQ(display_width("abc"), 3u);
    EXPECT_EQ(display_width("日本"), 4u);
    EXPECT_EQ(display_width("é"), 1u);
    EXPECT_EQ(display_width("├─ "), 3u);
}

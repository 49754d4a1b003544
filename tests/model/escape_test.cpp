// Unit tests for model/src/escape.cpp: nothing a process names itself may
// reach a terminal raw.
#include <proctree/model/escape.hpp>

#include <gtest/gtest.h>

#include <random>

using proctree::model::base64;
using proctree::model::display_width;
using proctree::model::escape;
using proctree::model::json_member;
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

TEST(Escape, ALiteralBackslashIsEscapedSoEachFormHasOneReading)
{
    EXPECT_EQ(escape("C:\\Windows\\cmd.exe"), "C:\\\\Windows\\\\cmd.exe");
    EXPECT_EQ(escape("\x1b[2J"), "\\e[2J");   // a real ESC
    EXPECT_EQ(escape("\\e[2J"), "\\\\e[2J");  // backslash, then e
    EXPECT_EQ(escape("\\x41"), "\\\\x41");
}

namespace {

// Reads escape()'s output back; the escaped forms are unambiguous exactly
// when this recovers every input.
std::string unescape(std::string_view e)
{
    std::string out;
    for (std::size_t i = 0; i < e.size(); ++i) {
        if (e[i] != '\\') {
            out += e[i];
            continue;
        }
        char k = e[++i];
        switch (k) {
        case '\\': out += '\\'; break;
        case 'e': out += '\x1b'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 'x':
            out += static_cast<char>(std::stoi(std::string(e.substr(i + 1, 2)), nullptr, 16));
            i += 2;
            break;
        case 'u': {
            std::size_t close = e.find('}', i);
            auto cp = static_cast<char32_t>(std::stoul(std::string(e.substr(i + 2, close - i - 2)), nullptr, 16));
            if (cp < 0x800) {
                out += static_cast<char>(0xC0 | (cp >> 6));
            } else {
                out += static_cast<char>(0xE0 | (cp >> 12));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            }
            out += static_cast<char>(0x80 | (cp & 0x3F));
            i = close;
            break;
        }
        default: ADD_FAILURE() << "unknown escape \\" << k << " in " << e;
        }
    }
    return out;
}

// Random bytes weighted towards the troublesome ones: controls, backslash,
// quote, letters an escape uses, UTF-8 lead and continuation bytes.
std::string random_bytes(std::mt19937& rng)
{
    static constexpr char kPicks[] = "\\\"ex{}u01\x1b\x7f\xc2\x9b\xe2\x80\xae\xf0\x9f\x98\x80\xff\xc0";
    std::string s(rng() % 24, '\0');
    for (char& c : s) c = rng() % 2 ? kPicks[rng() % (sizeof kPicks - 1)] : static_cast<char>(rng());
    return s;
}

}  // namespace

TEST(Escape, TenThousandRandomByteStringsReadBackExactly)
{
    std::mt19937 rng(9);
    for (int i = 0; i < 10000; ++i) {
        std::string raw = random_bytes(rng);
        ASSERT_EQ(unescape(escape(raw)), raw) << escape(raw);
    }
}

TEST(Escape, C1ControlsAndBidiOverridesAreEscaped)
{
    EXPECT_EQ(escape("\xc2\x9b"
                     "31m"),
              "\\u{009b}31m");                                           // 8-bit CSI
    EXPECT_EQ(escape("abc\xe2\x80\xaetxt.exe"), "abc\\u{202e}txt.exe");  // RIGHT-TO-LEFT OVERRIDE
}

TEST(Escape, InvalidUtf8BytesAreShownAsHex)
{
    EXPECT_EQ(escape("\xff\xfe"), "\\xff\\xfe");
    EXPECT_EQ(escape("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
    EXPECT_EQ(escape("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
    EXPECT_EQ(escape("ab\xe6\x97"), "ab\\xe6\\x97");       // cut in the middle
}

TEST(Escape, JsonHoldsTheExactTextWithStandardEscapes)
{
    EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_quote("\x1b[2J"), "\"\\u001b[2J\"");
    EXPECT_EQ(json_quote("\\e[2J"), "\"\\\\e[2J\"");  // not the same JSON as a real ESC
    EXPECT_EQ(json_quote("t\tn\nr\rb\bf\f"), "\"t\\tn\\nr\\rb\\bf\\f\"");
    EXPECT_EQ(json_quote(std::string_view("\0\x7f", 2)), "\"\\u0000\\u007f\"");
    EXPECT_EQ(json_quote("\xc2\x9b"
                         "abc\xe2\x80\xae"),
              "\"\\u009babc\\u202e\"");
    EXPECT_EQ(json_quote("naïve 日本語😀"), "\"naïve 日本語😀\"");
}

TEST(Escape, BytesThatAreNotUtf8TravelBesideTheTextInBase64)
{
    EXPECT_EQ(json_member("name", "ok"), "\"name\":\"ok\"");
    EXPECT_EQ(json_member("name", "a\xff"), "\"name\":\"a\\ufffd\",\"name_base64\":\"Yf8=\"");
    EXPECT_EQ(base64(""), "");
    EXPECT_EQ(base64("f"), "Zg==");
    EXPECT_EQ(base64("fo"), "Zm8=");
    EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(Escape, DisplayWidthCountsColumns)
{
    EXPECT_EQ(display_width("abc"), 3u);
    EXPECT_EQ(display_width("日本"), 4u);
    EXPECT_EQ(display_width("é"), 1u);
    EXPECT_EQ(display_width("├─ "), 3u);
}

TEST(Escape, ALiteralEllipsisIsEscapedSoTheTruncationMarkerHasOneReading)
{
    // "…" after a string means the producer cut it (truncation.hpp).
    EXPECT_EQ(escape("wait…"), "wait\\u{2026}");
    EXPECT_EQ(escape("a…(+5 bytes)"), "a\\u{2026}(+5 bytes)");
    EXPECT_EQ(json_quote("wait…"), "\"wait…\"");  // JSON keeps the exact text
}

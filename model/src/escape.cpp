// Making attacker-controlled strings safe to paint or export.
#include <proctree/model/escape.hpp>

#include <fmt/core.h>

#include <cstdint>

namespace proctree::model {

namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length (0: invalid) and the
// code point. Rejects overlong forms, surrogates and values past U+10FFFF.
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp)
{
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char c = b(0);
    std::size_t n;
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

// Code points that change how a terminal shows what follows: C1 controls
// (U+0085 NEL, U+009B CSI ...), bidi overrides and isolates, line/paragraph
// separators, BOM.
bool is_dangerous(char32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0xFEFF;
}

// U+2026 marks a cut string (truncation.hpp): a process's own is shown
// escaped so that the marker has one reading.
constexpr char32_t kEllipsis = 0x2026;

bool is_wide(char32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
           (cp >= 0x20000 && cp <= 0x3FFFD);
}

bool is_zero_width(char32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200D) || (cp >= 0xFE00 && cp <= 0xFE0F);
}

}  // namespace

std::string escape(std::string_view raw)
{
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
        auto c = static_cast<unsigned char>(raw[i]);
        if (c >= 0x20 && c < 0x7F) {
            if (c == '\\') out += '\\';
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
            case 0x1B: out += "\\e"; break;
            case '\a': out += "\\a"; break;
            case '\b': out += "\\b"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += fmt::format("\\x{:02x}", c); break;
            }
            ++i;
            continue;
        }
        char32_t cp = 0;
        std::size_t n = decode_utf8(raw, i, cp);
        if (n == 0) {
            out += fmt::format("\\x{:02x}", c);
            ++i;
        } else if (is_dangerous(cp) || cp == kEllipsis) {
            out += fmt::format("\\u{{{:04x}}}", static_cast<std::uint32_t>(cp));
            i += n;
        } else {
            out.append(raw.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string json_quote(std::string_view raw)
{
    std::string out;
    out.reserve(raw.size() + 2);
    out += '"';
    for (std::size_t i = 0; i < raw.size();) {
        auto c = static_cast<unsigned char>(raw[i]);
        if (c >= 0x20 && c < 0x7F) {
            if (c == '"' || c == '\\') out += '\\';
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        char32_t cp = 0;
        std::size_t n = c < 0x80 ? 1 : decode_utf8(raw, i, cp);
        if (c < 0x80) cp = c;
        switch (cp) {
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (n == 0) out += "\\ufffd";  // not UTF-8: json_member() carries the bytes
            else if (cp < 0x20 || cp == 0x7F || is_dangerous(cp))
                out += fmt::format("\\u{:04x}", static_cast<std::uint32_t>(cp));
            else out.append(raw.substr(i, n));
        }
        i += n ? n : 1;
    }
    out += '"';
    return out;
}

bool is_valid_utf8(std::string_view raw)
{
    for (std::size_t i = 0; i < raw.size();) {
        char32_t cp = 0;
        std::size_t n = decode_utf8(raw, i, cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string base64(std::string_view raw)
{
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((raw.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < raw.size(); i += 3) {
        std::uint32_t v = static_cast<unsigned char>(raw[i]) << 16;
        if (i + 1 < raw.size()) v |= static_cast<unsigned char>(raw[i + 1]) << 8;
        if (i + 2 < raw.size()) v |= static_cast<unsigned char>(raw[i + 2]);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < raw.size() ? kAlphabet[(v >> 6) & 63] : '=';
        out += i + 2 < raw.size() ? kAlphabet[v & 63] : '=';
    }
    return out;
}

std::string json_member(std::string_view key, std::string_view raw)
{
    std::string out = fmt::format("\"{}\":{}", key, json_quote(raw));
    if (!is_valid_utf8(raw)) out += fmt::format(",\"{}_base64\":\"{}\"", key, base64(raw));
    return out;
}

std::size_t display_width(std::string_view s)
{
    std::size_t width = 0;
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = 0;
        std::size_t n = decode_utf8(s, i, cp);
        if (n == 0) n = 1;
        else if (is_wide(cp)) width += 2;
        else if (!is_zero_width(cp)) width += 1;
        i += n;
    }
    return width;
}

}  // namespace proctree::model

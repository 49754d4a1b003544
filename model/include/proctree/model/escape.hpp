// proctree/model/escape.hpp - process names and command lines are
// attacker-controlled: a process can call itself "\e]2;owned\a" or "\e[2J".
// Everything shown or exported goes through escape() first.
#pragma once

#include <string>
#include <string_view>

namespace proctree::model {

// For the screen and the text export. Valid printable UTF-8 passes
// unchanged. C0 controls, DEL, C1 controls (U+0080..U+009F), bidi overrides
// and invalid UTF-8 bytes become visible escapes: \e \a \b \t \n \r, \xNN,
// \u{NNNN}; a literal backslash becomes \\, so every escaped form has one
// reading (a name holding ESC shows \e, one holding backslash-e shows \\e).
// U+2026 (…) is shown as \u{2026} too: a bare "…" is the truncation marker
// (truncation.hpp), never a process's text.
std::string escape(std::string_view raw);

// The exact text as a quoted JSON string with standard JSON escapes
// (\" \\ \n \t \u001b ...; C1 controls and bidi overrides as \uNNNN too, so that
// JSON shown on a terminal stays harmless). Bytes that are not UTF-8 cannot
// be JSON text: each becomes U+FFFD here, and json_member() adds the exact
// bytes beside it.
std::string json_quote(std::string_view raw);

// A JSON object member for a string that came from outside: "key":"text",
// and, only when raw is not valid UTF-8, ,"key_base64":"<raw in base64>"
// (RFC 4648, with padding) holding the exact bytes. Reversible: a consumer
// takes key_base64 when present, else key.
std::string json_member(std::string_view key, std::string_view raw);
bool is_valid_utf8(std::string_view raw);
std::string base64(std::string_view raw);

// Number of terminal columns escape()d text takes (wide CJK counts 2).
std::size_t display_width(std::string_view escaped);

}  // namespace proctree::model

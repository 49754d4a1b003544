// proctree/model/escape.hpp - process names and command lines are
// attacker-controlled: a process can call itself "\e]2;owned\a" or "\e[2J".
// Everything shown or exported goes through escape() first.
#pragma once

#include <string>
#include <string_view>

namespace proctree::model {

// Valid printable UTF-8 passes unchanged. C0 controls, DEL, C1 controls
// (U+0080..U+009F), bidi overrides and invalid UTF-8 bytes become visible
// escapes: \e \a \b \t \n \r, \xNN, \u{NNNN}. Backslashes stay as they are so
// Windows paths read naturally; only raw control bytes are dangerous.
std::string escape(std::string_view raw);

// escape(raw) as a quoted JSON string (so JSON consumers never get raw
// control bytes back either).
std::string json_quote(std::string_view raw);

// Number of terminal columns escape()d text takes (wide CJK counts 2).
std::size_t display_width(std::string_view escaped);

} // namespace proctree::model

// proctree/model/name_query.hpp - the name filter's syntax: terms separated
// by '|' are alternatives ("ssh|bash": either), a term starting with '!'
// excludes ("!kworker": all but those); both combine ("py|!pytest").
// Matching is a case-insensitive substring of the name (and the command
// line when asked). Spaces around terms are ignored; empty terms too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace proctree::model {

struct NameQuery {
    std::vector<std::string> any;   // lower case; empty: every name passes this part
    std::vector<std::string> none;  // lower case; a name holding one of them fails
    bool empty() const { return any.empty() && none.empty(); }
    // True when the text (name, or command line) passes.
    bool matches(std::string_view name, std::string_view cmdline, bool use_cmdline) const;
};

NameQuery parse_name_query(std::string_view text);

}  // namespace proctree::model

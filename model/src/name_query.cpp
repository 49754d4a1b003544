#include <proctree/model/name_query.hpp>

#include <algorithm>
#include <cctype>

namespace proctree::model {

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool icontains(std::string_view hay, std::string_view needle_lower)
{
    if (needle_lower.empty()) return true;
    auto eq = [](char a, char b) { return lower(a) == b; };
    return std::search(hay.begin(), hay.end(), needle_lower.begin(), needle_lower.end(), eq) != hay.end();
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

}  // namespace

NameQuery parse_name_query(std::string_view text)
{
    NameQuery q;
    while (true) {
        std::size_t bar = text.find('|');
        std::string_view term = trim(text.substr(0, bar));
        bool exclude = !term.empty() && term.front() == '!';
        if (exclude) term = trim(term.substr(1));
        if (!term.empty()) {
            std::string t(term);
            std::transform(t.begin(), t.end(), t.begin(), lower);
            (exclude ? q.none : q.any).push_back(std::move(t));
        }
        if (bar == std::string_view::npos) break;
        text.remove_prefix(bar + 1);
    }
    return q;
}

bool NameQuery::matches(std::string_view name, std::string_view cmdline, bool use_cmdline) const
{
    auto holds = [&](const std::string& term) {
        return icontains(name, term) || (use_cmdline && icontains(cmdline, term));
    };
    if (std::any_of(none.begin(), none.end(), holds)) return false;
    return any.empty() || std::any_of(any.begin(), any.end(), holds);
}

}  // namespace proctree::model

#include "config.hpp"

#include <proctree/model/escape.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace proctree::viewer {

namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool parse_bool(std::string_view v, bool& out, std::string& why)
{
    std::string l = lower(v);
    if (l == "true" || l == "yes" || l == "on" || l == "1") return out = true, true;
    if (l == "false" || l == "no" || l == "off" || l == "0") return out = false, true;
    why = fmt::format("'{}' is not true or false", model::escape(v));
    return false;
}

std::string write_bool(bool b) { return b ? "true" : "false"; }

// The name a sort goes by: its column's key where a column stands for it
// ("cpu"), else its label in lower case ("name").
std::string sort_name(SortKey key)
{
    for (const ColumnSpec& c : all_columns())
        if (c.sort == key) return std::string(c.key);
    return lower(sort_column(key).label);
}

bool parse_source(std::string_view v, std::span<const std::string> sources, Settings& s, std::string& why)
{
    if (v == "auto" || std::find(sources.begin(), sources.end(), v) != sources.end()) {
        s.source = std::string(v);
        return true;
    }
    std::string names = "auto";
    for (const std::string& n : sources) names += ", " + n;
    why = fmt::format("unknown source '{}'; the sources are {}", model::escape(v), names);
    return false;
}

bool parse_highlight(std::string_view v, std::span<const std::string>, Settings& s, std::string& why)
{
    std::uint64_t ms = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
    if (ec != std::errc() || end != v.data() + v.size() || ms > kMaxHighlightMs) {
        why = fmt::format("'{}' is not a number of milliseconds from 0 to {}", model::escape(v), kMaxHighlightMs);
        return false;
    }
    s.highlight_ms = ms;
    return true;
}

bool parse_column_list(std::string_view v, std::span<const std::string>, Settings& s, std::string& why)
{
    auto columns = parse_columns(v, why);
    if (columns) s.columns = std::move(*columns);
    return columns.has_value();
}

bool parse_sort(std::string_view v, std::span<const std::string>, Settings& s, std::string& why)
{
    std::string l = lower(v);
    for (const SortColumn& c : sort_columns()) {
        if (l == sort_name(c.key) || l == lower(c.label)) {
            s.sort = c.key;
            return true;
        }
    }
    why = fmt::format("unknown sort '{}'; the sorts are {}", model::escape(v), sort_names_help());
    return false;
}

bool parse_keep(std::string_view v, std::span<const std::string>, Settings& s, std::string& why)
{
    return parse_bool(v, s.keep_exited, why);
}

bool parse_kthreads(std::string_view v, std::span<const std::string>, Settings& s, std::string& why)
{
    return parse_bool(v, s.kernel_threads, why);
}

bool parse_export_dir(std::string_view v, std::span<const std::string>, Settings& s, std::string& why)
{
    if (v.empty()) {
        why = "an empty directory";
        return false;
    }
    s.export_dir = std::string(v);
    return true;
}

}  // namespace

std::span<const ConfigKey> config_keys()
{
    static const std::array<ConfigKey, 7> kKeys{{
        {"source", "the live source: auto or a source's name", parse_source,
         [](const Settings& s) { return s.source; }},
        {"highlight-ms", "how long new and exited processes stay marked", parse_highlight,
         [](const Settings& s) { return std::to_string(s.highlight_ms); }},
        {"columns", "the columns before the tree, in order", parse_column_list,
         [](const Settings& s) { return columns_list(s.columns); }},
        {"sort", "the column siblings are sorted by (start: start order)", parse_sort,
         [](const Settings& s) { return sort_name(s.sort); }},
        {"keep-exited", "true: exited processes stay after their highlight time", parse_keep,
         [](const Settings& s) { return write_bool(s.keep_exited); }},
        {"kernel-threads", "true: kernel threads shown from the start", parse_kthreads,
         [](const Settings& s) { return write_bool(s.kernel_threads); }},
        {"export-dir", "where s and S write their exports", parse_export_dir,
         [](const Settings& s) { return s.export_dir; }},
    }};
    return kKeys;
}

std::string sort_names_help()
{
    std::string names;
    for (const SortColumn& c : sort_columns()) names += (names.empty() ? "" : ", ") + sort_name(c.key);
    return names;
}

const ConfigKey* find_config_key(std::string_view name)
{
    for (const ConfigKey& k : config_keys())
        if (k.name == name) return &k;
    return nullptr;
}

ConfigRead parse_config(std::string_view text, std::span<const std::string> sources, const Settings& defaults)
{
    ConfigRead out{defaults, {}};
    std::size_t number = 0;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++number;
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        std::size_t eq = line.find('=');
        std::string_view key = trim(line.substr(0, eq));
        const ConfigKey* k = find_config_key(key);
        if (!k) {
            std::string names;
            for (const ConfigKey& c : config_keys()) names += fmt::format("{}{}", names.empty() ? "" : ", ", c.name);
            out.problems.push_back(
                {number, fmt::format("unknown key '{}'; the keys are {}", model::escape(key), names)});
            continue;
        }
        if (eq == std::string_view::npos) {
            out.problems.push_back({number, fmt::format("{}: no '=' and value", k->name)});
            continue;
        }
        std::string why;
        if (!k->parse(trim(line.substr(eq + 1)), sources, out.settings, why))
            out.problems.push_back({number, fmt::format("{}: {}", k->name, why)});
    }
    return out;
}

std::string write_config(const Settings& s)
{
    std::string out = "# proctree's viewer: defaults for its options (the command line overrides them)\n";
    for (const ConfigKey& k : config_keys()) out += fmt::format("# {}\n{} = {}\n", k.what, k.name, k.write(s));
    return out;
}

std::optional<std::string> config_path(const char* xdg_config_home, const char* home)
{
    if (xdg_config_home && xdg_config_home[0] == '/') return std::string(xdg_config_home) + "/proctree/config";
    if (home && home[0] != '\0') return std::string(home) + "/.config/proctree/config";
    return std::nullopt;
}

}  // namespace proctree::viewer

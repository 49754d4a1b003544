// tui/viewer/config.hpp - the viewer's config file: defaults for its options,
// one `key = value` a line (`#` starts a comment), read from
// $XDG_CONFIG_HOME/proctree/config (else ~/.config/proctree/config).
// Command-line options override it; --write-config writes the effective ones.
//
// One table names every key once, with its parser and writer on the typed
// settings: the reader, the writer, the command line and the man page use it.
#pragma once

#include "columns.hpp"
#include "view_rows.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::viewer {

struct Settings {
    std::string source = "auto";  // a live source's name, or auto
    std::uint64_t highlight_ms = 3000;
    std::vector<Column> columns = default_columns();
    SortKey sort = SortKey::Start;
    bool keep_exited = false;
    bool kernel_threads = false;
    std::string export_dir = ".";
    friend bool operator==(const Settings&, const Settings&) = default;
};

inline constexpr std::uint64_t kMaxHighlightMs = 86'400'000;  // a day

struct ConfigKey {
    std::string_view name;  // also the viewer's option: --NAME
    std::string_view what;  // for the man page
    // Sets the value from its text; false with a one-line reason otherwise.
    bool (*parse)(std::string_view value, std::span<const std::string> sources, Settings& out, std::string& why);
    std::string (*write)(const Settings& s);
};
std::span<const ConfigKey> config_keys();
const ConfigKey* find_config_key(std::string_view name);
std::string sort_names_help();  // "start, pid, user, ..." as the sort key takes them

struct ConfigProblem {
    std::size_t line = 0;  // 1-based
    std::string message;   // "unknown key 'colour'"
    friend bool operator==(const ConfigProblem&, const ConfigProblem&) = default;
};

struct ConfigRead {
    Settings settings;
    std::vector<ConfigProblem> problems;  // one per bad line; that line's key keeps its default
};

// Pure: the text of a config file over `defaults`; `sources` are the valid
// source names besides auto.
ConfigRead parse_config(std::string_view text, std::span<const std::string> sources, const Settings& defaults = {});
// Every key, in the table's order, as parse_config reads it back.
std::string write_config(const Settings& s);

// Where the file is: $XDG_CONFIG_HOME/proctree/config when that is an
// absolute path, else HOME/.config/proctree/config; nullopt without either.
std::optional<std::string> config_path(const char* xdg_config_home, const char* home);

}  // namespace proctree::viewer

// tui/docgen/cli_model.hpp - the command line as data, read from the very
// CLI11 definitions proctree parses with, for the generated man page and
// shell completions (so neither lists an option that does not exist).
#pragma once

#include "cli.hpp"

#include <string>
#include <vector>

namespace proctree::docgen {

struct OptionDoc {
    std::vector<std::string> names;  // "-o", "--output"; empty for a positional
    std::string positional;          // "stream"
    std::string description;
    std::string value;                 // "" for a flag; "TEXT", "N"
    std::vector<std::string> choices;  // {auto,ebpf,...}
    std::string range;                 // "10 - 60000"
    std::string default_value;
    bool required = false;
};

struct CommandDoc {
    std::string name;  // "" for the viewer (the main command)
    std::string description;
    std::vector<OptionDoc> options;  // without -h/--help and --version
    std::vector<cli::Example> examples;
};

struct KeyDoc {
    std::string keys;         // "Up/Down, j/k"
    std::string description;  // "move the selection"
};

struct CliDoc {
    std::string version;
    std::vector<CommandDoc> commands;  // the viewer first
    std::vector<KeyDoc> keys;
    std::vector<std::string> key_notes;  // the help screen's prose lines
    std::vector<KeyDoc> config_keys;     // the config file's keys and what they set
};

CliDoc describe_cli();

}  // namespace proctree::docgen

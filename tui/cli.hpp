// tui/cli.hpp - the command line. Each command lives in its own file and
// registers itself on the CLI11 app, returning what to run when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace proctree::cli {

using Action = std::function<int()>;

// Exit statuses shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // could not run (no privilege, no source)
inline constexpr int kExitBadInput = 2;  // corrupt/truncated stream, bad usage

Action add_decode(CLI::App& app);    // cmd_decode.cpp
Action add_snapshot(CLI::App& app);  // cmd_snapshot.cpp
Action add_record(CLI::App& app);    // cmd_record.cpp (Linux collectors)
Action add_publish(CLI::App& app);   // cmd_publish.cpp (NATS JetStream)
Action add_viewer(CLI::App& app);    // viewer/viewer_cmd.cpp: options on the main app

// The whole command line: every command's options on `app`, and what to run
// for each. The man page and the shell completions are generated from it
// (tui/docgen), so they list exactly the options that exist.
struct Commands {
    Action viewer;
    std::vector<std::pair<CLI::App*, Action>> subcommands;
};
Commands build_app(CLI::App& app);

int run(int argc, char** argv);

// A command's --help ends with a few examples and a pointer to the man page;
// the man page's EXAMPLES section is read back from the same footers.
struct Example {
    std::string command;  // "proctree record -o capture.ptr --duration 60"
    std::string purpose;  // one line
};
std::string help_footer(const std::vector<Example>& examples);
std::vector<Example> parse_help_footer(const std::string& footer);

}  // namespace proctree::cli

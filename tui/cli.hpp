// tui/cli.hpp - the command line. Each command lives in its own file and
// registers itself on the CLI11 app, returning what to run when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace proctree::cli {

using Action = std::function<int()>;

// Exit statuses shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // could not run (no privilege, no source)
inline constexpr int kExitBadInput = 2;  // corrupt/truncated stream, bad usage

Action add_decode(CLI::App& app);    // cmd_decode.cpp
Action add_snapshot(CLI::App& app);  // cmd_snapshot.cpp
Action add_record(CLI::App& app);    // cmd_record.cpp (Linux collectors)
Action add_viewer(CLI::App& app);    // viewer/viewer_cmd.cpp: options on the main app

int run(int argc, char** argv);

} // namespace proctree::cli

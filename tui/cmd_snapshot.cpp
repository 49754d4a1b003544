#include "cli.hpp"
namespace proctree::cli {
Action add_snapshot(CLI::App& app) { app.add_subcommand("snapshot", "in progress"); return [] { return 1; }; }
}

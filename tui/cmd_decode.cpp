#include "cli.hpp"
namespace proctree::cli {
Action add_decode(CLI::App& app) { app.add_subcommand("decode", "in progress"); return [] { return 1; }; }
}

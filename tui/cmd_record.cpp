// `proctree record`: owned by the Linux collectors work (issue 3).
#include "cli.hpp"

#include <fmt/core.h>

namespace proctree::cli {

Action add_record(CLI::App& app)
{
    app.add_subcommand("record", "Record this machine's process events to a stream (not built yet)");
    return [] {
        fmt::print(stderr, "proctree record: not built yet\n");
        return kExitFailure;
    };
}

} // namespace proctree::cli

// The live viewer's options and entry point: owned by the viewer work (issue 4).
#include "cli.hpp"

#include <fmt/core.h>

namespace proctree::cli {

Action add_viewer(CLI::App&)
{
    return [] {
        fmt::print(stderr, "proctree: the live viewer is not built yet; try `proctree snapshot --from FILE`\n");
        return kExitFailure;
    };
}

} // namespace proctree::cli

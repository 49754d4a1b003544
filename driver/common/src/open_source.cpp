// Choosing a source: the one asked for, or for `auto` the first of the
// program's sources (in its order) that starts here, saying why.
#include <proctree/produce/source.hpp>

#include <fmt/core.h>

namespace proctree::collect {

std::unique_ptr<Source> open_source(std::span<const SourceFactory> factories, const SourceOptions& options,
                                    std::string& error)
{
    std::string why_not;
    if (options.kind != SourceKind::Auto) {
        for (const SourceFactory& f : factories) {
            if (f.kind != options.kind) continue;
            if (auto s = f.make(options, why_not)) return s;
            error = fmt::format("{} source unavailable: {}", f.name, why_not);
            return nullptr;
        }
        error = "this proctree has no such source; use --source auto";
        return nullptr;
    }
    std::string refused;
    for (const SourceFactory& f : factories) {
        why_not.clear();
        if (auto s = f.make(options, why_not)) {
            if (options.notice) {
                options.notice(refused.empty() ? fmt::format("source: {}", f.name)
                                               : fmt::format("source: {} (refused: {})", f.name, refused));
            }
            return s;
        }
        if (!refused.empty()) refused += "; ";
        refused += fmt::format("{}: {}", f.name, why_not);
    }
    error = fmt::format("no source can start here ({})", refused);
    return nullptr;
}

}  // namespace proctree::collect

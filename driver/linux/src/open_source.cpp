// Choosing a source: the one asked for, or for `auto` the best that starts
// here (eBPF, then the proc connector, then polling), saying why.
#include <proctree/linux/source.hpp>

#include <fmt/core.h>

namespace proctree::collect {

std::unique_ptr<Source> open_source(const SourceOptions& options, std::string& error)
{
    auto say = [&](const std::string& message) {
        if (options.notice) options.notice(message);
    };
    std::string why_not;
    switch (options.kind) {
    case SourceKind::Ebpf:
        if (auto s = make_ebpf_source(options, why_not)) return s;
        error = "ebpf source unavailable: " + why_not;
        return nullptr;
    case SourceKind::Netlink:
        if (auto s = make_netlink_source(options, why_not)) return s;
        error = "netlink source unavailable: " + why_not;
        return nullptr;
    case SourceKind::Poll:
        if (auto s = make_poll_source(options, why_not)) return s;
        error = "poll source unavailable: " + why_not;
        return nullptr;
    case SourceKind::Auto:
        break;
    }
    std::string refused;
    if (auto s = make_ebpf_source(options, why_not)) {
        say("source: ebpf");
        return s;
    }
    refused = fmt::format("ebpf: {}", why_not);
    why_not.clear();
    if (auto s = make_netlink_source(options, why_not)) {
        say(fmt::format("source: netlink (refused: {})", refused));
        return s;
    }
    refused += fmt::format("; netlink: {}", why_not);
    why_not.clear();
    if (auto s = make_poll_source(options, why_not)) {
        say(fmt::format("source: poll (refused: {})", refused));
        return s;
    }
    error = fmt::format("no source can start here ({}; poll: {})", refused, why_not);
    return nullptr;
}

} // namespace proctree::collect

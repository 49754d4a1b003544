// eBPF first (names captured in the kernel), then the proc connector, then
// polling /proc (no privilege needed, misses short-lived processes).
#include "sources.hpp"

#include <proctree/ebpf/source.hpp>
#include <proctree/linux/source.hpp>

#include <array>

namespace proctree {

std::span<const collect::SourceFactory> linked_sources()
{
    using collect::SourceKind;
    static constexpr std::array<collect::SourceFactory, 3> sources{{
        {SourceKind::Ebpf, "ebpf", collect::make_ebpf_source},
        {SourceKind::Netlink, "netlink", collect::make_netlink_source},
        {SourceKind::Poll, "poll", collect::make_poll_source},
    }};
    return sources;
}

} // namespace proctree

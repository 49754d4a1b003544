// eBPF first (names captured in the kernel), then the proc connector, then
// polling /proc (no privilege needed, misses short-lived processes).
#include "sources.hpp"

#include <proctree/ebpf/source.hpp>
#include <proctree/linux/image_file_reader.hpp>
#include <proctree/linux/source.hpp>
#include <proctree/produce/image_facts.hpp>

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

std::unique_ptr<collect::Source> open_linked_source(const collect::SourceOptions& options, std::string& error)
{
    auto source = collect::open_source(linked_sources(), options, error);
    if (source && options.image_facts)
        source = collect::with_image_facts(std::move(source), collect::make_linux_image_file_reader(), options);
    return source;
}

} // namespace proctree

// eBPF first (names captured in the kernel), then the proc connector, then
// polling /proc (no privilege needed, misses short-lived processes).
#include "sources.hpp"

#include <proctree/ebpf/source.hpp>
#include <proctree/linux/image_file_reader.hpp>
#include <proctree/linux/source.hpp>
#include <proctree/linux/usage_reader.hpp>
#include <proctree/produce/image_facts.hpp>

#include <array>
#include <vector>

namespace proctree {

namespace {

constexpr std::string_view kAuto = "auto";

}  // namespace

std::vector<std::string> linked_source_names()
{
    std::vector<std::string> names;
    for (const auto& f : linked_sources()) names.emplace_back(f.name);
    return names;
}

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

std::unique_ptr<collect::UsageReader> linked_usage_reader() { return collect::make_proc_usage_reader(); }

std::optional<collect::SourceKind> parse_source_kind(std::string_view name)
{
    if (name == kAuto) return collect::SourceKind::Auto;
    for (const auto& f : linked_sources())
        if (f.name == name) return f.kind;
    return std::nullopt;
}

CLI::Option* add_live_source_options(CLI::App& cmd, LiveSourceArgs& args)
{
    std::vector<std::string> names = linked_source_names();
    names.insert(names.begin(), std::string(kAuto));
    std::string help = "Live source: auto (the first of";
    for (std::size_t i = 1; i < names.size(); ++i) help += (i == 1 ? " " : ", ") + names[i];
    help += " that can start here), or one of those";
    CLI::Option* source =
        cmd.add_option("--source", args.source, help)->check(CLI::IsMember(names))->capture_default_str();
    cmd.add_option("--interval", args.interval_ms, "Poll source: milliseconds between /proc scans")
        ->check(CLI::Range(kMinIntervalMs, kMaxIntervalMs))
        ->capture_default_str();
    return source;
}

collect::SourceOptions live_source_options(const LiveSourceArgs& args)
{
    collect::SourceOptions so;
    so.kind = parse_source_kind(args.source).value_or(collect::SourceKind::Auto);  // checked by the option
    so.poll_interval = std::chrono::milliseconds(args.interval_ms);
    return so;
}

}  // namespace proctree

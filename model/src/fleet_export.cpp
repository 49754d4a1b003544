// The fleet as text or JSON: one block per host, each host's tree as the
// single-host exports show it.
#include <proctree/model/escape.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/fleet.hpp>

#include <fmt/core.h>

namespace proctree::model {

namespace {

std::string age(std::uint64_t now_ns, std::uint64_t then_ns)
{
    if (!then_ns) return "never";
    if (then_ns >= now_ns) return "just now";
    return format_duration(now_ns - then_ns) + " ago";
}

}  // namespace

std::string describe_host(const HostInfo& h, std::uint64_t now_ns)
{
    std::string lost = h.events_lost || !h.loss_reports ? std::to_string(h.events_lost) : std::string("?");
    return fmt::format("{}  {}  {} processes  lost {}{}  last record {}", to_string(h.header.os),
                       to_string(h.header.source), h.living, lost, h.stale ? " (until the next resync)" : "",
                       age(now_ns, h.last_record_ns));
}

std::string export_fleet_text(const Fleet& fleet, const FleetExportInfo& info)
{
    std::string out = fmt::format("# proctree fleet\n# time: {}\n# source: {}\n# hosts: {}\n", format_utc(info.time_ns),
                                  escape(info.source), info.host_filter.empty() ? "all" : escape(info.host_filter));
    for (const auto& name : fleet.hosts()) {
        if (!info.host_filter.empty() && name != info.host_filter) continue;
        const HostStatus& st = *fleet.status(name);
        const ProcessTree& tree = *fleet.tree(name);
        out += fmt::format("== host {}  os {}  source {}  processes {}  lost {}{}  last record {}\n", escape(name),
                           to_string(st.header.os), to_string(st.header.source), tree.size(), fleet.lost(name),
                           st.stale ? " (until the next resync)" : "", age(info.time_ns, st.last_record_ns));
        ExportInfo one;
        one.time_ns = info.time_ns;
        one.host = name;
        one.source = info.source;
        out += export_text(tree, one);
    }
    return out;
}

std::string export_fleet_json(const Fleet& fleet, const FleetExportInfo& info)
{
    std::string out = fmt::format("{{\"time_ns\":{},\"source\":{},\"hosts\":[", info.time_ns, json_quote(info.source));
    bool first = true;
    for (const auto& name : fleet.hosts()) {
        if (!info.host_filter.empty() && name != info.host_filter) continue;
        const HostStatus& st = *fleet.status(name);
        const ProcessTree& tree = *fleet.tree(name);
        ExportInfo one;
        one.time_ns = info.time_ns;
        one.host = name;
        one.source = info.source;
        std::string tree_json = export_json(tree, one);
        while (!tree_json.empty() && tree_json.back() == '\n') tree_json.pop_back();
        out += fmt::format("{}{{\"host\":{},\"os\":\"{}\",\"source\":\"{}\",\"clock_origin_ns\":{},\"processes\":{},"
                           "\"records\":{},\"duplicates\":{},\"lost\":{},\"stale\":{},\"last_record_ns\":{},"
                           "\"tree\":{}}}",
                           first ? "" : ",", json_quote(name), to_string(st.header.os), to_string(st.header.source),
                           st.header.clock_origin_ns, tree.size(), st.records, st.duplicates, fleet.lost(name),
                           st.stale ? "true" : "false", st.last_record_ns, tree_json);
        first = false;
    }
    out += "]}\n";
    return out;
}

}  // namespace proctree::model

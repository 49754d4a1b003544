// `proctree snapshot`: the tree once, as text (like pstree) or JSON.
//   --from FILE|-   replays a recorded stream into the model and prints the
//                   final tree (corrupt input: the tree of what was valid,
//                   then one line on stderr with the byte offset, status 2);
//   --at TIME       with --from: the tree as it was at TIME (HH:MM:SS[.mmm]
//                   UTC, +SECONDS from the start, or a UTC date and time);
//                   a time outside the recording: one line, status 2;
//                   over nats://, from the host's last checkpoint before it;
//   no --from       scans this machine's /proc.
#include "cli.hpp"
#include "mapped_input.hpp"
#include "nats_from.hpp"
#include "replay.hpp"
#include "sources.hpp"
#include "viewer/columns.hpp"
#include "viewer/usage.hpp"

#include <proctree/linux/image_file_reader.hpp>
#include <proctree/linux/snapshot.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/feed.hpp>
#include <proctree/model/timeline.hpp>
#include <proctree/model/fleet.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

namespace proctree::cli {

namespace {

struct SnapshotOptions {
    std::string from;
    std::string at;
    std::string since;  // nats:// only
    std::string format = "text";
    std::string name_filter;
    bool match_cmdline = false;
    std::vector<std::uint32_t> pids;
    std::uint64_t highlight_ms = 3000;
    std::string host;  // with nats://SERVER/*: only this host
    nats::ConnectOptions nats;
    bool image_facts = true;
    std::string columns_list;             // as given: "pid,user,cpu"
    std::vector<viewer::Column> columns;  // text: before the tree; empty: the PID alone
};

// Collects a producer's bytes in memory (the live snapshot is small).
class MemorySink : public collect::ByteSink {
public:
    bool write(const void* data, std::size_t len) override
    {
        bytes.append(static_cast<const char*>(data), len);
        return true;
    }
    std::string bytes;
};

// Figures of this machine's running processes for the columns that want
// them: one reading, and for CPU% a second one a round later (a share of
// time needs an interval, as top's first screen does).
viewer::UsageTable sample_usage(const model::ProcessTree& tree, const std::vector<viewer::Column>& columns)
{
    viewer::UsageTable usage(linked_usage_reader());
    if (!viewer::wants_usage(columns)) return usage;
    std::vector<model::Identity> ids;
    for (const model::Row& r : model::TreeView(tree).all_rows())
        if (!r.proc->exited) ids.push_back(r.proc->id);
    usage.sample(ids, viewer::steady_ns_now());
    if (std::find(columns.begin(), columns.end(), viewer::Column::Cpu) != columns.end()) {
        std::this_thread::sleep_until(std::chrono::steady_clock::time_point(
            std::chrono::nanoseconds(static_cast<std::int64_t>(usage.next_round()))));
        usage.sample(ids, viewer::steady_ns_now());
    }
    return usage;
}

void print_tree(const model::ProcessTree& tree, const SnapshotOptions& opt, model::ExportInfo info,
                const viewer::UsageTable& usage = viewer::UsageTable())
{
    info.columns = viewer::export_columns(opt.columns, usage, tree);
    std::string out = opt.format == "json" ? model::export_json(tree, info) : model::export_text(tree, info);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
}

model::Filter make_filter(const SnapshotOptions& opt)
{
    model::Filter f;
    f.name = opt.name_filter;
    f.match_cmdline = opt.match_cmdline;
    f.pids = opt.pids;
    return f;
}

void apply_filter(model::ProcessTree& tree, const SnapshotOptions& opt) { tree.set_filter(make_filter(opt)); }

int snapshot_from(const SnapshotOptions& opt)
{
    StreamInput in = StreamInput::open(opt.from);
    if (!in.ok()) {
        fmt::print(stderr, "proctree snapshot: {}\n", in.error());
        return kExitFailure;
    }
    model::ProcessTree tree(model::TreeConfig{opt.highlight_ms * 1'000'000});
    model::TreeFeeder feeder(tree);
    ReadResult result = read_stream(in, feeder);
    apply_filter(tree, opt);
    model::ExportInfo info;
    info.time_ns = tree.now();
    if (tree.header()) info.host = tree.header()->host;
    info.source =
        fmt::format("{} ({})", in.description(), tree.header() ? model::to_string(tree.header()->source) : "no header");
    print_tree(tree, opt, info);
    if (!result.ok()) {
        fmt::print(stderr, "proctree snapshot: {}: {}\n", opt.from == "-" ? "stdin" : opt.from, result.describe());
        return result.io_ok ? kExitBadInput : kExitFailure;
    }
    return kExitOk;
}

// The whole recording in memory: one replay finds where it ends (and
// checks it), a second stops at the time asked for.
int snapshot_at(const SnapshotOptions& opt)
{
    MappedInput in = MappedInput::open(opt.from);
    if (!in.ok()) {
        fmt::print(stderr, "proctree snapshot: {}\n", in.error());
        return kExitFailure;
    }
    model::TimelineConfig config;
    config.tree = model::TreeConfig{opt.highlight_ms * 1'000'000};
    config.records_per_checkpoint = SIZE_MAX;  // one seek: no checkpoints needed
    model::Timeline timeline(in.bytes(), config);
    timeline.build_all();
    const auto& corrupt = timeline.walker().error();
    std::string name = opt.from == "-" ? "stdin" : opt.from;
    std::string error;
    std::optional<std::uint64_t> t = timeline.resolve(opt.at, error);
    if (!t) {
        fmt::print(stderr, "proctree snapshot: --at {}\n", error);
        if (corrupt) fmt::print(stderr, "proctree snapshot: {}: {}\n", name, corrupt->describe());
        return kExitBadInput;
    }
    model::ProcessTree tree(config.tree);
    apply_filter(tree, opt);
    timeline.seek(tree, *t);
    model::ExportInfo info;
    info.time_ns = *t;
    if (tree.header()) info.host = tree.header()->host;
    info.source =
        fmt::format("{} ({}) at {}", in.description(),
                    tree.header() ? model::to_string(tree.header()->source) : "no header", model::format_clock(*t));
    print_tree(tree, opt, info);
    if (corrupt) {
        fmt::print(stderr, "proctree snapshot: {}: {}\n", name, corrupt->describe());
        return kExitBadInput;
    }
    return kExitOk;
}

// One host prints as a stream's tree does; every host as the fleet.
int snapshot_nats(const SnapshotOptions& opt)
{
    std::string error;
    auto from = parse_nats_from(opt.from, error);
    if (!from) {
        fmt::print(stderr, "proctree snapshot: {}\n", error);
        return kExitBadInput;
    }
    model::Fleet fleet(model::TreeConfig{opt.highlight_ms * 1'000'000});
    fleet.set_filter(make_filter(opt));
    // A checkpoint is complete: the newest one gives the same tree as the whole history.
    FollowStart start{FollowStart::From::Newest, ""};
    if (!opt.since.empty()) start = {FollowStart::From::Since, opt.since};
    if (!opt.at.empty()) start = {FollowStart::From::At, opt.at};
    CatchUpResult caught = catch_up(*from, opt.nats, fleet, nullptr, start);
    if (!caught.error.empty()) {
        fmt::print(stderr, "proctree snapshot: {}\n", caught.error);
        return caught.bad_input ? kExitBadInput : kExitFailure;
    }
    std::string at_text = opt.at.empty() ? "" : fmt::format(" at {}", model::format_clock(caught.time_ns));
    if (!from->all_hosts) {
        const model::ProcessTree* tree = fleet.tree(from->host);
        if (!tree) {
            fmt::print(stderr, "proctree snapshot: {}: no stream header for host {}\n", from->describe(), from->host);
            return kExitFailure;
        }
        model::ExportInfo info;
        info.time_ns = opt.at.empty() ? tree->now() : caught.time_ns;
        info.host = from->host;
        info.source = fmt::format("{} ({}){}", from->describe(),
                                  tree->header() ? model::to_string(tree->header()->source) : "no header", at_text);
        print_tree(*tree, opt, info);
        return kExitOk;
    }
    if (!opt.host.empty() && !fleet.tree(opt.host)) {
        fmt::print(stderr, "proctree snapshot: {}: host {} has published nothing\n", from->describe(), opt.host);
        return kExitFailure;
    }
    model::FleetExportInfo info;
    info.time_ns = opt.at.empty() ? collect::wall_clock_ns() : caught.time_ns;
    info.source = from->describe() + at_text;
    info.host_filter = opt.host;
    std::string out =
        opt.format == "json" ? model::export_fleet_json(fleet, info) : model::export_fleet_text(fleet, info);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return kExitOk;
}

int snapshot_live(const SnapshotOptions& opt)
{
    collect::ProcFs procfs;
    MemorySink sink;
    std::unique_ptr<collect::ImageFileReader> reader;
    std::optional<collect::ImageFactsSink> facts;
    if (opt.image_facts) facts.emplace(sink, *(reader = collect::make_linux_image_file_reader()));
    collect::WireWriter writer(facts ? static_cast<collect::ByteSink&>(*facts) : sink);
    if (!collect::write_linux_stream_header(writer, procfs, PT_SOURCE_POLL) ||
        !collect::write_proc_snapshot(writer, procfs, PT_SNAPSHOT_INITIAL, PT_SNAPSHOT_COMPLETE)) {
        fmt::print(stderr, "proctree snapshot: could not read {} (is /proc mounted?)\n", procfs.root());
        return kExitFailure;
    }
    if (facts) facts->finish();  // every image hashed (or found unreadable) before we print
    model::ProcessTree tree(model::TreeConfig{opt.highlight_ms * 1'000'000});
    model::TreeFeeder feeder(tree);
    model::StreamDecoder decoder;
    decoder.feed(sink.bytes, feeder);
    if (!decoder.finish()) {  // our own bytes: a failure here is a bug, say so plainly
        fmt::print(stderr, "proctree snapshot: internal error: {}\n", decoder.error()->describe());
        return kExitFailure;
    }
    apply_filter(tree, opt);
    model::ExportInfo info;
    info.time_ns = collect::wall_clock_ns();
    if (tree.header()) info.host = tree.header()->host;
    info.source = "/proc snapshot";
    print_tree(tree, opt, info, sample_usage(tree, opt.columns));
    return kExitOk;
}

}  // namespace

Action add_snapshot(CLI::App& app)
{
    auto opt = std::make_shared<SnapshotOptions>();
    auto* cmd =
        app.add_subcommand("snapshot", "Print the process tree once: this machine's, or a stream's final state");
    cmd->add_option("--from", opt->from,
                    "Replay this stream (file, recorder directory, - for standard input, "
                    "nats://SERVER[:PORT]/HOST or /* for every host) instead of /proc");
    cmd->add_option("--at", opt->at,
                    "With --from: the tree as it was at this time (HH:MM:SS[.mmm] UTC, +SECONDS from the start, "
                    "or YYYY-MM-DD HH:MM:SS); over NATS from the checkpoint before it");
    cmd->add_option("--since", opt->since,
                    "With nats://: apply each host's records from its last checkpoint before this time "
                    "(default: its newest checkpoint; the tree is the same, the counts are not)")
        ->excludes("--at");
    cmd->add_option("--host", opt->host, "With nats://SERVER/*: only this host");
    add_nats_connect_options(cmd, opt->nats);
    cmd->add_option("--format", opt->format, "text or json")->check(CLI::IsMember({"text", "json"}));
    cmd->add_option("--filter", opt->name_filter, "Show processes whose name contains this (and their ancestors)");
    cmd->add_flag("--cmdline", opt->match_cmdline, "--filter also matches command lines");
    cmd->add_option("--pid", opt->pids, "Show these processes, their ancestors and their subtrees (PID[,PID]; repeat)")
        ->delimiter(',');
    cmd->add_option("--highlight-ms", opt->highlight_ms, "How long exited processes stay (stream time)");
    cmd->add_flag("!--no-image-facts", opt->image_facts, "Of /proc: do not read and hash each executable");
    cmd->add_option("--columns", opt->columns_list,
                    "Text: these columns before the tree, in this order, as the viewer's export writes them: a "
                    "comma-separated list of " +
                        viewer::column_names_help() +
                        " (default pid). Of /proc, cpu takes a second reading a second after the first");
    cmd->footer(help_footer({
        {"proctree snapshot", "this machine's tree now, like pstree"},
        {"proctree snapshot --from capture.ptr --format json", "a recording's final tree as JSON"},
        {"proctree snapshot --from capture.ptr --at +30", "the tree 30 seconds into a recording"},
        {"proctree snapshot --filter sshd", "sshd processes and their ancestors"},
        {"proctree snapshot --columns pid,user,cpu,rss", "with htop's columns (CPU% over one second)"},
        {"proctree snapshot --from 'nats://broker/*'", "every host publishing to NATS JetStream"},
        {"proctree snapshot --from nats://broker/web1 --at 14:05", "web1's tree at 14:05 UTC (within the last day)"},
    }));
    return [opt] {
        if (!opt->columns_list.empty()) {
            std::string why;
            auto columns = viewer::parse_columns(opt->columns_list, why);
            if (!columns) {
                fmt::print(stderr, "proctree snapshot: --columns: {}\n", why);
                return kExitBadInput;
            }
            opt->columns = *columns;
        }
        if (!opt->at.empty() && opt->from.empty()) {
            fmt::print(stderr, "proctree snapshot: --at needs --from FILE (a recording to travel in)\n");
            return kExitBadInput;
        }
        if (is_nats_spec(opt->from)) return snapshot_nats(*opt);
        if (!opt->since.empty()) {
            fmt::print(stderr, "proctree snapshot: --since is for nats:// streams; for a file use --at\n");
            return kExitBadInput;
        }
        if (!opt->at.empty()) return snapshot_at(*opt);
        return opt->from.empty() ? snapshot_live(*opt) : snapshot_from(*opt);
    };
}

}  // namespace proctree::cli

// `proctree decode FILE|-`: each record as one JSON line (the header first).
// Corrupt input: what was valid is printed, then one line on stderr naming
// the byte offset, exit status 2.
#include "cli.hpp"
#include "nats_from.hpp"
#include "replay.hpp"

#include <proctree/model/escape.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/record.hpp>
#include <proctree/model/truncation.hpp>

#include <fmt/core.h>

#include <cstdio>
#include <optional>
#include <utility>

namespace proctree::cli {

namespace {

using model::json_member;

std::string ident_fields(const model::Identity& id, std::string_view prefix = "")
{
    return fmt::format("\"{}pid\":{},\"{}start_ns\":{}", prefix, id.pid, prefix, id.start_ns);
}

std::string image_facts_json(const model::ImageFactsRecord& f)
{
    return fmt::format(",{},\"event_seq\":{},\"status\":{},\"facts_flags\":{},\"error\":{},\"file_size\":{},"
                       "\"sha256\":\"{}\",{}",
                       ident_fields(f.proc), f.event_seq, f.status, f.flags, f.error, f.file_size,
                       model::sha256_hex(f.sha256), json_member("path", f.path));
}

// name, user, image and cmdline of a create or exec, exact (see
// json_member), and how much of each the producer cut.
template <class Body>
std::string text_fields(const Body& b)
{
    using model::TextField;
    auto cut = [&](TextField f, std::string_view kept) { return model::cut_of(b.flags, b.full, f, kept.size()); };
    return fmt::format("{},{},{},{}{}{}{}", json_member("name", b.name), json_member("user", b.user),
                       json_member("image", b.image), json_member("cmdline", b.cmdline),
                       model::cut_json("name", cut(TextField::Name, b.name)),
                       model::cut_json("image", cut(TextField::Image, b.image)),
                       model::cut_json("cmdline", cut(TextField::Cmdline, b.cmdline)));
}

std::string body_json(const model::Record& r)
{
    return std::visit(
        [](const auto& b) -> std::string {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, model::ProcessCreate>) {
                return fmt::format(",{},\"ppid\":{},\"parent_start_ns\":{},\"creator_pid\":{},\"creator_tid\":{},"
                                   "\"uid\":{},\"flags\":{},\"threads\":{},{}",
                                   ident_fields(b.proc), b.parent.pid, b.parent.start_ns, b.creator_pid, b.creator_tid,
                                   b.uid, b.flags, b.threads, text_fields(b));
            } else if constexpr (std::is_same_v<T, model::ProcessExit>) {
                return fmt::format(",{},\"exit_code\":{},\"signal\":{},\"exit_flags\":{},\"cpu_ns\":{},"
                                   "\"peak_rss_bytes\":{}",
                                   ident_fields(b.proc), b.code, b.signal, b.flags, model::json_number(b.cpu_ns),
                                   model::json_number(b.peak_rss_bytes));
            } else if constexpr (std::is_same_v<T, model::ProcessExec>) {
                return fmt::format(",{},\"uid\":{},\"flags\":{},{}", ident_fields(b.proc), b.uid, b.flags,
                                   text_fields(b));
            } else if constexpr (std::is_same_v<T, model::ProcessRename>) {
                return fmt::format(",{},\"flags\":{},{}", ident_fields(b.proc), b.flags, json_member("name", b.name));
            } else if constexpr (std::is_same_v<T, model::ProcessReparent>) {
                return fmt::format(",{},{},{}", ident_fields(b.proc), ident_fields(b.parent, "parent_"),
                                   ident_fields(b.previous, "previous_parent_"));
            } else if constexpr (std::is_same_v<T, model::ThreadEvent>) {
                return fmt::format(",{},\"tid\":{},\"exit_code\":{}", ident_fields(b.proc), b.tid, b.exit_code);
            } else if constexpr (std::is_same_v<T, model::ImageLoad>) {
                return fmt::format(",{},\"base\":{},\"size\":{},\"flags\":{},{}", ident_fields(b.proc), b.base, b.size,
                                   b.flags, json_member("path", b.path));
            } else if constexpr (std::is_same_v<T, model::Snapshot>) {
                return fmt::format(",\"reason\":{},\"snapshot_flags\":{}", b.reason, b.flags);
            } else if constexpr (std::is_same_v<T, model::EventsLost>) {
                return fmt::format(",\"count\":{},\"reason\":{}", b.count, b.reason);
            } else if constexpr (std::is_same_v<T, model::ImageFactsRecord>) {
                return image_facts_json(b);
            } else {
                return "";
            }
        },
        r.body);
}

std::string header_json(const model::StreamHeader& h)
{
    return fmt::format("{{\"type\":\"header\",\"offset\":0,\"version\":\"{}.{}\",\"os\":\"{}\",\"source\":\"{}\","
                       "{},\"clock_origin_ns\":{},\"boot_time_ns\":{}}}\n",
                       h.version_major, h.version_minor, model::to_string(h.os), model::to_string(h.source),
                       json_member("host", h.host), h.clock_origin_ns, h.boot_time_ns);
}

std::string record_json(const model::Record& r)
{
    std::string line =
        fmt::format("{{\"type\":\"{}\",\"type_id\":{},\"offset\":{},\"size\":{},\"seq\":{},\"time_ns\":{}",
                    model::record_type_name(r.type), r.type, r.offset, r.size, r.seq, r.time_ns);
    line += body_json(r);
    line += "}\n";
    return line;
}

void put(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

// Every record the stream holds, once each; a header line whenever the
// (host, clock origin) differs from the previous record's. Offsets are
// within the NATS message.
int decode_nats(const std::string& spec, const nats::ConnectOptions& connect, const FollowStart& start)
{
    std::string error;
    auto from = parse_nats_from(spec, error);
    if (!from) {
        fmt::print(stderr, "proctree decode: {}\n", error);
        return kExitBadInput;
    }
    LambdaHandler handler;
    std::optional<std::pair<std::string, std::uint64_t>> last;
    model::StreamHeader pending;
    handler.header = [&](const model::StreamHeader& h) { pending = h; };
    handler.record = [&](const model::Record& r) {
        std::pair<std::string, std::uint64_t> key{pending.host, pending.clock_origin_ns};
        if (last != key) put(header_json(pending));
        last = key;
        put(record_json(r));
    };
    model::Fleet fleet;
    CatchUpResult caught = catch_up(*from, connect, fleet, &handler, start);
    std::fflush(stdout);
    if (!caught.error.empty()) {
        fmt::print(stderr, "proctree decode: {}\n", caught.error);
        return caught.bad_input ? kExitBadInput : kExitFailure;
    }
    return kExitOk;
}

int decode(const std::string& path)
{
    StreamInput in = StreamInput::open(path);
    if (!in.ok()) {
        fmt::print(stderr, "proctree decode: {}\n", in.error());
        return kExitFailure;
    }
    LambdaHandler handler;
    handler.header = [&](const model::StreamHeader& h) { put(header_json(h)); };
    handler.record = [&](const model::Record& r) { put(record_json(r)); };
    ReadResult result = read_stream(in, handler);
    std::fflush(stdout);
    if (!result.ok()) {
        fmt::print(stderr, "proctree decode: {}: {}\n", path == "-" ? "stdin" : path, result.describe());
        return result.io_ok ? kExitBadInput : kExitFailure;
    }
    return kExitOk;
}

}  // namespace

Action add_decode(CLI::App& app)
{
    auto* cmd = app.add_subcommand("decode", "Print each record of a stream as one JSON line");
    auto path = std::make_shared<std::string>();
    auto connect = std::make_shared<nats::ConnectOptions>();
    cmd->add_option("stream", *path,
                    "Stream file, recorder directory, - for standard input, or nats://SERVER[:PORT]/HOST "
                    "(or /* for every host)")
        ->required();
    add_nats_connect_options(cmd, *connect);
    auto since = std::make_shared<std::string>();
    auto at = std::make_shared<std::string>();
    auto* since_opt = cmd->add_option("--since", *since,
                                      "nats:// only: from each host's last checkpoint at or before this time "
                                      "(HH:MM:SS[.mmm] UTC within the last day, +SECONDS, or YYYY-MM-DD HH:MM:SS)");
    cmd->add_option("--at", *at, "nats:// only: as --since, and no record after this time")->excludes(since_opt);
    cmd->footer(help_footer({
        {"proctree decode capture.ptr", "every record of a recording as JSON lines"},
        {"proctree decode /var/lib/proctree/", "a flight recorder's files as one stream"},
        {"proctree record --duration 5 | proctree decode -", "five seconds of this machine, decoded"},
        {"proctree decode nats://broker/web1", "what host web1 published to NATS JetStream"},
        {"proctree decode nats://broker/web1 --since 14:00", "web1's records from its checkpoint before 14:00 UTC"},
    }));
    return [path, connect, since, at] {
        if (!is_nats_spec(*path)) {
            if (!since->empty() || !at->empty()) {
                fmt::print(stderr, "proctree decode: --since and --at are for nats:// streams; for a file use "
                                   "`proctree snapshot --from FILE --at TIME`\n");
                return kExitBadInput;
            }
            return decode(*path);
        }
        FollowStart start;
        if (!since->empty()) start = {FollowStart::From::Since, *since};
        if (!at->empty()) start = {FollowStart::From::At, *at};
        return decode_nats(*path, *connect, start);
    };
}

}  // namespace proctree::cli

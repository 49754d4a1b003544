// `proctree decode FILE|-`: each record as one JSON line (the header first).
// Corrupt input: what was valid is printed, then one line on stderr naming
// the byte offset, exit status 2.
#include "cli.hpp"
#include "replay.hpp"

#include <proctree/model/escape.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/record.hpp>

#include <fmt/core.h>

#include <cstdio>

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
                       ident_fields(f.proc), f.event_seq, f.status, f.flags, f.error, f.file_size, model::sha256_hex(f.sha256),
                       json_member("path", f.path));
}

// name, user, image and cmdline of a create or exec, exact (see json_member).
template <class Body>
std::string text_fields(const Body& b)
{
    return fmt::format("{},{},{},{}", json_member("name", b.name), json_member("user", b.user),
                       json_member("image", b.image), json_member("cmdline", b.cmdline));
}

std::string body_json(const model::Record& r)
{
    return std::visit(
        [](const auto& b) -> std::string {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, model::ProcessCreate>) {
                return fmt::format(",{},\"ppid\":{},\"parent_start_ns\":{},\"creator_pid\":{},\"creator_tid\":{},"
                                   "\"uid\":{},\"flags\":{},\"threads\":{},{}",
                                   ident_fields(b.proc), b.parent.pid, b.parent.start_ns, b.creator_pid,
                                   b.creator_tid, b.uid, b.flags, b.threads, text_fields(b));
            } else if constexpr (std::is_same_v<T, model::ProcessExit>) {
                return fmt::format(",{},\"exit_code\":{},\"signal\":{},\"exit_flags\":{}", ident_fields(b.proc),
                                   b.code, b.signal, b.flags);
            } else if constexpr (std::is_same_v<T, model::ProcessExec>) {
                return fmt::format(",{},\"uid\":{},\"flags\":{},{}", ident_fields(b.proc), b.uid, b.flags,
                                   text_fields(b));
            } else if constexpr (std::is_same_v<T, model::ProcessRename>) {
                return fmt::format(",{},\"flags\":{},{}", ident_fields(b.proc), b.flags, json_member("name", b.name));
            } else if constexpr (std::is_same_v<T, model::ThreadEvent>) {
                return fmt::format(",{},\"tid\":{},\"exit_code\":{}", ident_fields(b.proc), b.tid, b.exit_code);
            } else if constexpr (std::is_same_v<T, model::ImageLoad>) {
                return fmt::format(",{},\"base\":{},\"size\":{},\"flags\":{},{}", ident_fields(b.proc),
                                   b.base, b.size, b.flags, json_member("path", b.path));
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

int decode(const std::string& path)
{
    StreamInput in = StreamInput::open(path);
    if (!in.ok()) {
        fmt::print(stderr, "proctree decode: {}\n", in.error());
        return kExitFailure;
    }
    LambdaHandler handler;
    std::string line;
    handler.header = [&](const model::StreamHeader& h) {
        fmt::print("{{\"type\":\"header\",\"offset\":0,\"version\":\"{}.{}\",\"os\":\"{}\",\"source\":\"{}\","
                   "{},\"clock_origin_ns\":{},\"boot_time_ns\":{}}}\n",
                   h.version_major, h.version_minor, model::to_string(h.os), model::to_string(h.source),
                   json_member("host", h.host), h.clock_origin_ns, h.boot_time_ns);
    };
    handler.record = [&](const model::Record& r) {
        line = fmt::format("{{\"type\":\"{}\",\"type_id\":{},\"offset\":{},\"size\":{},\"seq\":{},\"time_ns\":{}",
                           model::record_type_name(r.type), r.type, r.offset, r.size, r.seq, r.time_ns);
        line += body_json(r);
        line += "}\n";
        std::fwrite(line.data(), 1, line.size(), stdout);
    };
    ReadResult result = read_stream(in, handler);
    std::fflush(stdout);
    if (!result.ok()) {
        fmt::print(stderr, "proctree decode: {}: {}\n", path == "-" ? "stdin" : path, result.describe());
        return result.io_ok ? kExitBadInput : kExitFailure;
    }
    return kExitOk;
}

} // namespace

Action add_decode(CLI::App& app)
{
    auto* cmd = app.add_subcommand("decode", "Print each record of a stream as one JSON line");
    auto path = std::make_shared<std::string>();
    cmd->add_option("stream", *path, "Stream file, recorder directory, or - for standard input")->required();
    cmd->footer(help_footer({
        {"proctree decode capture.ptr", "every record of a recording as JSON lines"},
        {"proctree decode /var/lib/proctree/", "a flight recorder's files as one stream"},
        {"proctree record --duration 5 | proctree decode -", "five seconds of this machine, decoded"},
    }));
    return [path] { return decode(*path); };
}

} // namespace proctree::cli

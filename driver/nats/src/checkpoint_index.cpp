#include <proctree/nats/checkpoint_index.hpp>

#include <proctree/nats/subject.hpp>
#include <proctree/nats/subscriber.hpp>

#include "connection_internal.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

namespace proctree::nats {

namespace {

constexpr std::string_view kIndexSuffix = ".ckpt";

bool take_field(std::string_view& body, std::string_view key, std::uint64_t& out)
{
    while (body.starts_with(' ')) body.remove_prefix(1);
    if (!body.starts_with(key) || body.size() <= key.size() || body[key.size()] != '=') return false;
    body.remove_prefix(key.size() + 1);
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), out);
    if (ec != std::errc() || end == body.data()) return false;
    body.remove_prefix(static_cast<std::size_t>(end - body.data()));
    return true;
}

}  // namespace

std::string index_subject(std::string_view host) { return subject_for_host(host) + std::string(kIndexSuffix); }

std::string format_index_entry(const CheckpointEntry& e)
{
    return fmt::format("stream_seq={} time_ns={} first_seq={} clock_origin_ns={}", e.stream_seq, e.time_ns, e.first_seq,
                       e.clock_origin_ns);
}

std::optional<std::string> host_of_subject(std::string_view subject)
{
    if (!subject.starts_with(kSubjectPrefix)) return std::nullopt;
    subject.remove_prefix(kSubjectPrefix.size());
    if (subject.find('.') != std::string_view::npos) return std::nullopt;
    return unescape_host(subject);
}

std::optional<CheckpointEntry> parse_index_entry(std::string_view subject, std::string_view body)
{
    if (!subject.ends_with(kIndexSuffix)) return std::nullopt;
    subject.remove_suffix(kIndexSuffix.size());
    auto host = host_of_subject(subject);
    if (!host) return std::nullopt;
    CheckpointEntry e;
    e.host = *host;
    if (!take_field(body, "stream_seq", e.stream_seq) || !take_field(body, "time_ns", e.time_ns) ||
        !take_field(body, "first_seq", e.first_seq) || !take_field(body, "clock_origin_ns", e.clock_origin_ns))
        return std::nullopt;
    return e;
}

std::optional<CheckpointEntry> checkpoint_before(const std::vector<CheckpointEntry>& index, std::string_view host,
                                                 std::optional<std::uint64_t> time_ns)
{
    std::optional<CheckpointEntry> best;
    for (const auto& e : index) {
        if (e.host != host || (time_ns && e.time_ns > *time_ns)) continue;
        if (!best || e.stream_seq > best->stream_seq) best = e;
    }
    return best;
}

namespace {

bool list_hosts(const ConnectOptions& connect, std::string_view host, StreamSurvey& out, std::string& error)
{
    auto conn = Connection::open(connect, /*retry=*/false, error);
    if (!conn) return false;
    std::string filter = host.empty() ? std::string(kAllHostsSubject) : subject_for_host(host);
    std::string stream(kStreamName);
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Info.SubjectsFilter = filter.c_str();
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&si, conn->handles().js, stream.c_str(), &o, &jerr);
    if (s == NATS_NOT_FOUND) return true;  // no publisher yet: nothing retained
    if (s != NATS_OK) {
        error = describe_failure(s, fmt::format("cannot read stream {} on {}", kStreamName, connect.url), conn.get());
        return false;
    }
    out.first_time_ns = si->State.Msgs ? si->State.FirstTime : 0;
    if (si->State.Subjects)
        for (int i = 0; i < si->State.Subjects->Count; ++i)
            if (auto h = host_of_subject(si->State.Subjects->List[i].Subject)) out.hosts.push_back(*h);
    jsStreamInfo_Destroy(si);
    std::sort(out.hosts.begin(), out.hosts.end());
    return true;
}

bool read_index(const ConnectOptions& connect, std::string_view host, StreamSurvey& out, std::string& error)
{
    FollowOptions fo;
    fo.connect = connect;
    fo.subject = host.empty() ? std::string(kAllIndexSubject) : index_subject(host);
    auto sub = Subscriber::open(fo, error);
    if (!sub) return false;
    if (sub->backlog_at_start() == 0) return true;
    Message m;
    for (;;) {
        switch (sub->next(m, std::chrono::seconds(10))) {
        case Subscriber::Next::Timeout:
            error = fmt::format("{}: the server stopped delivering the checkpoint index", connect.url);
            return false;
        case Subscriber::Next::Failed: error = sub->error(); return false;
        case Subscriber::Next::Got: break;
        }
        if (auto e = parse_index_entry(m.subject, m.data)) out.checkpoints.push_back(*e);
        if (m.pending == 0) return true;
    }
}

}  // namespace

std::optional<StreamSurvey> survey_stream(const ConnectOptions& connect, std::string_view host, std::string& error)
{
    StreamSurvey out;
    if (!list_hosts(connect, host, out, error)) return std::nullopt;
    if (out.hosts.empty()) return out;
    if (!read_index(connect, host, out, error)) return std::nullopt;
    return out;
}

}  // namespace proctree::nats

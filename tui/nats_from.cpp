#include "nats_from.hpp"

#include "fleet_merge.hpp"

#include <proctree/model/timeline.hpp>
#include <proctree/nats/batcher.hpp>
#include <proctree/nats/checkpoint_index.hpp>
#include <proctree/nats/subject.hpp>
#include <proctree/nats/subscriber.hpp>
#include <proctree/wire_encode.h>

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <vector>

namespace proctree::cli {

namespace {

constexpr std::string_view kScheme = "nats://";
constexpr std::string_view kDefaultPort = "4222";

int hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// URL path to host name: %XX are bytes.
std::optional<std::string> percent_decode(std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) return std::nullopt;
        out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
        i += 2;
    }
    return out;
}

}  // namespace

std::string NatsFrom::subject() const
{
    return all_hosts ? std::string(nats::kAllHostsSubject) : nats::subject_for_host(host);
}

std::string NatsFrom::describe() const
{
    return fmt::format("{}/{}", server, all_hosts ? "*" : nats::escape_host(host));
}

bool is_nats_spec(std::string_view spec) { return spec.rfind(kScheme, 0) == 0; }

std::optional<NatsFrom> parse_nats_from(std::string_view spec, std::string& error)
{
    auto bad = [&](std::string_view why) {
        error = fmt::format("'{}' {}: use nats://SERVER[:PORT]/HOST or nats://SERVER[:PORT]/*", spec, why);
        return std::nullopt;
    };
    if (!is_nats_spec(spec)) return bad("is not a nats:// address");
    std::string_view rest = spec.substr(kScheme.size());
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 == rest.size()) return bad("names no host");
    std::string_view server = rest.substr(0, slash);
    std::string_view path = rest.substr(slash + 1);
    if (server.empty()) return bad("names no server");
    NatsFrom f;
    bool has_port = server.back() != ']' && server.find(':') != std::string_view::npos;
    f.server = fmt::format("nats://{}{}{}", server, has_port ? "" : ":", has_port ? "" : kDefaultPort);
    if (path == "*") {
        f.all_hosts = true;
        return f;
    }
    auto host = percent_decode(path);
    if (!host || host->empty() || host->find('/') != std::string::npos) return bad("has a bad host name");
    f.host = *host;
    return f;
}

void add_nats_connect_options(CLI::App* cmd, nats::ConnectOptions& o)
{
    cmd->add_option("--creds", o.creds, "NATS credentials file (user JWT and NKey seed)");
    cmd->add_option("--tls-ca", o.tls_ca, "CA certificates (PEM) to check the NATS server with; implies TLS");
    cmd->add_option("--tls-cert", o.tls_cert, "Client certificate (PEM) for NATS TLS");
    cmd->add_option("--tls-key", o.tls_key, "Private key (PEM) of --tls-cert");
}

namespace {

constexpr std::uint64_t kDayNs = 86'400'000'000'000ull;
constexpr std::uint64_t kSecondNs = 1'000'000'000ull;

// Where a subscription starts and, per host, the first message applied.
struct StartPlan {
    std::optional<std::uint64_t> subscribe_seq;       // nullopt: the first message retained
    std::map<std::string, std::uint64_t> host_start;  // a host's messages before this are skipped
    std::optional<std::uint64_t> until_ns;
};

nats::ConnectOptions with_server(const NatsFrom& from, const nats::ConnectOptions& connect)
{
    nats::ConnectOptions c = connect;
    c.url = from.server;
    return c;
}

std::string nothing_published(const NatsFrom& from)
{
    return from.all_hosts ? fmt::format("{}: no host has published yet", from.describe())
                          : fmt::format("{}: nothing published for host {} (is `proctree publish --host {}` running?)",
                                        from.describe(), from.host, from.host);
}

// The stream time of the oldest record retained for `from` (its first
// message's first record); 0 when unknown.
std::uint64_t oldest_record_ns(const NatsFrom& from, const nats::ConnectOptions& connect)
{
    nats::FollowOptions fo;
    fo.connect = with_server(from, connect);
    fo.subject = from.subject();
    std::string error;
    auto sub = nats::Subscriber::open(fo, error);
    nats::Message m;
    if (!sub || sub->backlog_at_start() == 0 || sub->next(m, std::chrono::seconds(10)) != nats::Subscriber::Next::Got)
        return 0;
    auto info = nats::describe_payload(m.data);
    return info && info->records ? info->first_time_ns : 0;
}

// The user's time, in stream time: "+SECONDS" counts from the oldest record
// retained, a time of day is the latest one within the last 24 hours.
std::optional<std::uint64_t> resolve_time(const NatsFrom& from, const nats::ConnectOptions& connect,
                                          const FollowStart& start, std::uint64_t first_ns, CatchUpResult& result)
{
    std::string_view option = start.from == FollowStart::From::At ? "--at" : "--since";
    std::uint64_t now = collect::wall_clock_ns();
    std::string_view text = start.time;
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    std::uint64_t base = std::max(first_ns, now - kDayNs);
    if (text.starts_with('+')) base = oldest_record_ns(from, connect);
    std::string why;
    auto t = model::parse_time(start.time, base, now, why);
    if (t && *t > now + kSecondNs)
        why = fmt::format("'{}' is in the future (now: {} UTC)", start.time, model::format_clock(now));
    if (!t || !why.empty()) {
        result.error = fmt::format("{} {}", option, why);
        result.bad_input = true;
        return std::nullopt;
    }
    return t;
}

std::optional<StartPlan> plan_start(const NatsFrom& from, const nats::ConnectOptions& connect, const FollowStart& start,
                                    CatchUpResult& result)
{
    StartPlan plan;
    if (start.from == FollowStart::From::Everything) return plan;
    auto survey = nats::survey_stream(with_server(from, connect), from.all_hosts ? "" : from.host, result.error);
    if (!survey) return std::nullopt;
    if (survey->hosts.empty()) {
        result.error = nothing_published(from);
        return std::nullopt;
    }
    std::optional<std::uint64_t> t;
    if (start.from != FollowStart::From::Newest) {
        t = resolve_time(from, connect, start, static_cast<std::uint64_t>(survey->first_time_ns), result);
        if (!t) return std::nullopt;
        result.time_ns = *t;
        if (start.from == FollowStart::From::At) plan.until_ns = t;
    }
    std::uint64_t lowest = UINT64_MAX;
    bool every_host = true;
    for (const auto& host : survey->hosts) {
        auto c = nats::checkpoint_before(survey->checkpoints, host, t);
        if (!c) {
            every_host = false;
            continue;
        }
        plan.host_start[host] = c->stream_seq;
        lowest = std::min(lowest, c->stream_seq);
    }
    if (every_host) plan.subscribe_seq = lowest;
    return plan;
}

bool skipped(const StartPlan& plan, const nats::Message& m)
{
    auto host = nats::host_of_subject(m.subject);
    if (!host) return true;
    auto it = plan.host_start.find(*host);
    return it != plan.host_start.end() && m.stream_seq < it->second;
}

// --at: a time before everything retained of a host cannot be shown.
std::string check_retained(const NatsFrom& from, const std::map<std::string, std::uint64_t>& first_seen,
                           std::uint64_t t)
{
    std::uint64_t oldest = UINT64_MAX;
    for (const auto& [host, first] : first_seen) {
        if (first <= t) return "";
        oldest = std::min(oldest, first);
    }
    if (first_seen.empty()) return "";
    return fmt::format("--at {} UTC is older than what {} retains (its oldest record: {} UTC)", model::format_clock(t),
                       from.describe(), model::format_clock(oldest));
}

}  // namespace

CatchUpResult catch_up(const NatsFrom& from, const nats::ConnectOptions& connect, model::Fleet& fleet,
                       model::RecordHandler* also, const FollowStart& start)
{
    CatchUpResult result;
    auto plan = plan_start(from, connect, start, result);
    if (!plan) return result;
    nats::FollowOptions fo;
    fo.connect = with_server(from, connect);
    fo.subject = from.subject();
    fo.start_seq = plan->subscribe_seq;
    auto sub = nats::Subscriber::open(fo, result.error);
    if (!sub) return result;
    if (sub->backlog_at_start() == 0) {
        result.error = nothing_published(from);
        return result;
    }
    if (plan->until_ns) fleet.stop_after(*plan->until_ns);
    std::map<std::string, std::uint64_t> first_seen;  // per host: its first record applied
    nats::Message m;
    for (bool done = false; !done;) {
        switch (sub->next(m, std::chrono::seconds(10))) {
        case nats::Subscriber::Next::Timeout:
            result.error =
                fmt::format("{}: the server stopped delivering before the end of what it holds", from.describe());
            return result;
        case nats::Subscriber::Next::Failed: result.error = sub->error(); return result;
        case nats::Subscriber::Next::Got: break;
        }
        done = m.pending == 0;
        if (skipped(*plan, m)) continue;
        auto info = nats::describe_payload(m.data);
        if (info && info->records) first_seen.try_emplace(info->host, info->first_time_ns);
        // One host at a time: nothing after --at can matter.
        if (plan->until_ns && !from.all_hosts && info && info->records && info->first_time_ns > *plan->until_ns) break;
        auto applied = fleet.apply_message(m.data, also);
        if (applied.error) {
            result.error = fmt::format("{}: message {} on {}: {}", from.describe(), m.stream_seq, m.subject,
                                       applied.error->describe());
            return result;
        }
    }
    if (plan->until_ns) {
        result.error = check_retained(from, first_seen, *plan->until_ns);
        result.bad_input = !result.error.empty();
        fleet.advance(*plan->until_ns);
    }
    return result;
}

namespace {

class NatsFollowSource final : public collect::Source {
public:
    NatsFollowSource(std::unique_ptr<nats::Subscriber> sub, std::string host,
                     std::function<void(std::string_view)> notice)
        : sub_(std::move(sub)), host_(std::move(host)), notice_(std::move(notice))
    {}

    pt_source kind() const override { return PT_SOURCE_UNKNOWN; }

    int run(collect::ByteSink& sink, const std::atomic<bool>& stop) override
    {
        nats::Message m;
        while (!stop.load()) {
            auto got = sub_->next(m, std::chrono::milliseconds(100));
            if (got == nats::Subscriber::Next::Timeout) continue;
            if (got == nats::Subscriber::Next::Failed) {
                if (notice_) notice_(sub_->error());
                return 1;
            }
            if (!forward(m.data, sink)) return 0;
            sink.flush();
        }
        return 0;
    }

private:
    bool forward(const std::string& payload, collect::ByteSink& sink)
    {
        std::size_t header_size = 0;
        spans_.clear();
        if (!nats::split_payload(payload, header_size, spans_)) {
            if (notice_) notice_("a NATS message is not a proctree batch: skipped");
            return true;
        }
        std::uint64_t origin = 0;
        std::memcpy(&origin, payload.data() + 16, sizeof origin);
        if (!header_sent_ && !sink.write(payload.data(), header_size)) return false;
        header_sent_ = true;
        for (const auto& r : spans_) {
            auto v = gate_.check(host_, origin, r.seq,
                                 nats::is_checkpoint_record(std::string_view(payload).substr(r.offset, r.size)));
            if (!v.apply) continue;
            if (v.missing && r.type != PT_REC_EVENTS_LOST && !write_gap(payload, r, v.missing, sink)) return false;
            if (!sink.write(payload.data() + r.offset, r.size)) return false;
        }
        return true;
    }

    std::unique_ptr<nats::Subscriber> sub_;
    std::string host_;
    std::function<void(std::string_view)> notice_;
    model::SequenceGate gate_;
    std::vector<nats::RecordSpan> spans_;
    bool header_sent_ = false;
};

// Every host (or those of --host) followed live, merged by FleetMerge: for
// the viewer's fleet tree. A host's messages before its start checkpoint
// are skipped (the subscription starts at the lowest host's).
class NatsFleetSource final : public collect::Source {
public:
    NatsFleetSource(std::unique_ptr<nats::Subscriber> sub, StartPlan plan, std::vector<std::string> hosts,
                    std::function<void(std::string_view)> notice)
        : sub_(std::move(sub)), plan_(std::move(plan)), merge_(std::move(hosts)), notice_(std::move(notice))
    {}

    pt_source kind() const override { return PT_SOURCE_UNKNOWN; }

    int run(collect::ByteSink& sink, const std::atomic<bool>& stop) override
    {
        nats::Message m;
        bool told = false;
        while (!stop.load()) {
            auto got = sub_->next(m, std::chrono::milliseconds(100));
            if (got == nats::Subscriber::Next::Timeout) continue;
            if (got == nats::Subscriber::Next::Failed) {
                if (notice_) notice_(sub_->error());
                return 1;
            }
            if (skipped(plan_, m)) continue;
            auto r = merge_.forward(m.data, sink);
            if (r == FleetMerge::Result::SinkFull) return 0;
            if (r == FleetMerge::Result::NotBatch && notice_ && !told) {
                notice_(fmt::format("a NATS message on {} is not a proctree batch: skipped", m.subject));
                told = true;
            }
            if (r == FleetMerge::Result::Forwarded) sink.flush();
        }
        return 0;
    }

private:
    std::unique_ptr<nats::Subscriber> sub_;
    StartPlan plan_;
    FleetMerge merge_;
    std::function<void(std::string_view)> notice_;
};

}  // namespace

std::unique_ptr<collect::Source> make_nats_follow_source(const NatsFrom& from, const nats::ConnectOptions& connect,
                                                         std::function<void(std::string_view)> notice,
                                                         std::string& error, FollowStart start,
                                                         std::vector<std::string> hosts)
{
    CatchUpResult planned;
    auto plan = plan_start(from, connect, start, planned);
    if (!plan) {
        error = planned.error;
        return nullptr;
    }
    nats::FollowOptions fo;
    fo.connect = with_server(from, connect);
    fo.subject = from.subject();
    fo.start_seq = plan->subscribe_seq;
    auto sub = nats::Subscriber::open(fo, error);
    if (!sub) return nullptr;
    if (from.all_hosts)
        return std::make_unique<NatsFleetSource>(std::move(sub), std::move(*plan), std::move(hosts), std::move(notice));
    return std::make_unique<NatsFollowSource>(std::move(sub), from.host, std::move(notice));
}

}  // namespace proctree::cli

#include "nats_from.hpp"

#include <proctree/nats/batcher.hpp>
#include <proctree/nats/subject.hpp>
#include <proctree/nats/subscriber.hpp>
#include <proctree/wire_encode.h>

#include <fmt/core.h>

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

} // namespace

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

std::string catch_up(const NatsFrom& from, const nats::ConnectOptions& connect, model::Fleet& fleet,
                     model::RecordHandler* also)
{
    nats::FollowOptions fo;
    fo.connect = connect;
    fo.connect.url = from.server;
    fo.subject = from.subject();
    std::string error;
    auto sub = nats::Subscriber::open(fo, error);
    if (!sub) return error;
    if (sub->backlog_at_start() == 0) {
        return from.all_hosts
                   ? fmt::format("{}: no host has published yet", from.describe())
                   : fmt::format("{}: nothing published for host {} (is `proctree publish --host {}` running?)",
                                 from.describe(), from.host, from.host);
    }
    nats::Message m;
    for (;;) {
        switch (sub->next(m, std::chrono::seconds(10))) {
        case nats::Subscriber::Next::Timeout:
            return fmt::format("{}: the server stopped delivering before the end of what it holds", from.describe());
        case nats::Subscriber::Next::Failed: return sub->error();
        case nats::Subscriber::Next::Got: break;
        }
        auto applied = fleet.apply_message(m.data, also);
        if (applied.error)
            return fmt::format("{}: message {} on {}: {}", from.describe(), m.stream_seq, m.subject,
                               applied.error->describe());
        if (m.pending == 0) return "";
    }
}

namespace {

class NatsFollowSource final : public collect::Source {
public:
    NatsFollowSource(std::unique_ptr<nats::Subscriber> sub, std::string host,
                     std::function<void(std::string_view)> notice)
        : sub_(std::move(sub)), host_(std::move(host)), notice_(std::move(notice)) {}

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
            auto v = gate_.check(host_, origin, r.seq);
            if (!v.apply) continue;
            if (v.missing && r.type != PT_REC_EVENTS_LOST && !write_gap(payload, r, v.missing, sink)) return false;
            if (!sink.write(payload.data() + r.offset, r.size)) return false;
        }
        return true;
    }

    // The records that never came, said as events lost just before the next one.
    static bool write_gap(const std::string& payload, const nats::RecordSpan& r, std::uint64_t missing,
                          collect::ByteSink& sink)
    {
        std::uint64_t time_ns = 0;
        std::memcpy(&time_ns, payload.data() + r.offset + 16, sizeof time_ns);
        char rec[sizeof(pt_events_lost)];
        std::uint32_t n = pt_encode_events_lost(rec, sizeof rec, r.seq - 1, time_ns, missing, PT_LOST_OTHER);
        return sink.write(rec, n);
    }

    std::unique_ptr<nats::Subscriber> sub_;
    std::string host_;
    std::function<void(std::string_view)> notice_;
    model::SequenceGate gate_;
    std::vector<nats::RecordSpan> spans_;
    bool header_sent_ = false;
};

} // namespace

std::unique_ptr<collect::Source> make_nats_follow_source(const NatsFrom& from, const nats::ConnectOptions& connect,
                                                         std::function<void(std::string_view)> notice,
                                                         std::string& error)
{
    if (from.all_hosts) {
        error = "the viewer follows one host at a time: use nats://SERVER/HOST (snapshot and decode take /*)";
        return nullptr;
    }
    nats::FollowOptions fo;
    fo.connect = connect;
    fo.connect.url = from.server;
    fo.subject = from.subject();
    auto sub = nats::Subscriber::open(fo, error);
    if (!sub) return nullptr;
    return std::make_unique<NatsFollowSource>(std::move(sub), from.host, std::move(notice));
}

} // namespace proctree::cli

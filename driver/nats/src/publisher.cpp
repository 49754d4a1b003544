#include <proctree/nats/publisher.hpp>

#include <proctree/nats/checkpoint_index.hpp>
#include <proctree/nats/subject.hpp>

#include "connection_internal.hpp"

#include <fmt/core.h>

#include <vector>

namespace proctree::nats {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kNsPerSecond = 1'000'000'000;

bool permission_violation(const std::string& server_error)
{
    return server_error.find("Permissions Violation") != std::string::npos ||
           server_error.find("permissions violation") != std::string::npos;
}

// The server quotes the subject it refused.
bool names_subject(const std::string& server_error, const std::string& subject)
{
    return server_error.find(fmt::format("\"{}\"", subject)) != std::string::npos;
}

}  // namespace

Publisher::Publisher(PublishOptions options) : opt_(std::move(options)), batcher_(opt_.host) {}

std::unique_ptr<Publisher> Publisher::start(PublishOptions options, std::string& error)
{
    if (std::string bad = check_options(options.connect); !bad.empty()) {
        error = bad;
        return nullptr;
    }
    std::unique_ptr<Publisher> p(new Publisher(std::move(options)));
    p->spool_ = Spool::open(p->opt_.spool, error);
    if (!p->spool_) return nullptr;
    p->conn_ = Connection::open(p->opt_.connect, /*retry=*/true, error);
    if (!p->conn_) return nullptr;
    p->sealer_ = std::thread([raw = p.get()] { raw->seal_loop(); });
    p->sender_ = std::thread([raw = p.get()] { raw->send_loop(); });
    return p;
}

Publisher::~Publisher()
{
    if (sender_.joinable()) finish(std::chrono::milliseconds(0));
}

void Publisher::say(std::string_view message) const
{
    if (opt_.notice) opt_.notice(message);
}

void Publisher::fail(std::string why)
{
    {
        std::lock_guard lock(err_mu_);
        if (!error_.empty()) return;
        error_ = std::move(why);
    }
    failed_.store(true);
}

std::string Publisher::error() const
{
    std::lock_guard lock(err_mu_);
    return error_;
}

PublishStats Publisher::stats() const
{
    return PublishStats{batches_sent_.load(), records_sent_.load(), checkpoints_indexed_.load(), spool_->stats()};
}

bool Publisher::write(const void* data, std::size_t len)
{
    if (failed_.load()) return false;
    std::vector<Batch> full;
    {
        std::lock_guard lock(batch_mu_);
        bool had_open = batcher_.open_batch();
        if (!batcher_.feed(static_cast<const char*>(data), len, full)) {
            fail(fmt::format("the input is not a valid proctree stream ({})", batcher_.error()));
            return false;
        }
        if (!full.empty() || (!had_open && batcher_.open_batch())) batch_started_ = Clock::now();
        // Under the batcher's lock: the sealer's batches and ours reach the spool in stream order.
        for (auto& b : full) spool_->push(std::move(b));
    }
    return true;
}

void Publisher::seal_loop()
{
    auto step = std::max<std::chrono::milliseconds>(opt_.batch_interval / 2, std::chrono::milliseconds(1));
    while (!stop_sealer_.load()) {
        std::vector<Batch> out;
        {
            std::lock_guard lock(batch_mu_);
            if (batcher_.open_batch() && Clock::now() - batch_started_ >= opt_.batch_interval) batcher_.seal(out);
            for (auto& b : out) spool_->push(std::move(b));
        }
        std::unique_lock lock(wake_mu_);
        wake_.wait_for(lock, step, [&] { return stop_sealer_.load(); });
    }
}

bool Publisher::ensure_stream()
{
    if (stream_ready_) return true;
    auto& h = conn_->handles();
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    std::string name(kStreamName);
    natsStatus s = js_GetStreamInfo(&si, h.js, name.c_str(), nullptr, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        stream_ready_ = true;
        return true;
    }
    if (s != NATS_NOT_FOUND) return false;  // not reachable yet: try again later
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    std::string subjects = std::string(kSubjectPrefix) + ">";
    const char* subj[] = {subjects.c_str()};
    cfg.Name = name.c_str();
    cfg.Subjects = subj;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.MaxAge = opt_.limits.max_age.count() * kNsPerSecond;
    cfg.MaxBytes = opt_.limits.max_bytes;
    cfg.Duplicates = std::min(opt_.limits.duplicate_window, opt_.limits.max_age).count() * kNsPerSecond;
    s = js_AddStream(&si, h.js, &cfg, nullptr, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        say(fmt::format("created JetStream stream {} (file storage)", kStreamName));
        stream_ready_ = true;
        return true;
    }
    // Another publisher may have created it between our lookup and our add; the server then refuses ours
    // with one of several codes (name exists, subjects overlap), so ask again rather than read the code.
    if (js_GetStreamInfo(&si, h.js, name.c_str(), nullptr, nullptr) == NATS_OK) {
        jsStreamInfo_Destroy(si);
        stream_ready_ = true;
        return true;
    }
    std::string server = conn_->last_server_error();
    if (permission_violation(server) || jerr != 0) {
        fail(describe_failure(s, fmt::format("cannot create stream {} (error {})", kStreamName, int(jerr)),
                              conn_.get()));
    }
    return false;
}

int Publisher::publish(const std::string& subject, std::string_view data, const std::string& msg_id,
                       std::uint64_t& stream_seq)
{
    std::string stream(kStreamName);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = msg_id.c_str();
    po.ExpectStream = stream.c_str();
    po.MaxWait = opt_.publish_timeout.count();
    jsPubAck* ack = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s =
        js_Publish(&ack, conn_->handles().js, subject.c_str(), data.data(), static_cast<int>(data.size()), &po, &jerr);
    stream_seq = ack ? ack->Sequence : 0;
    if (ack) jsPubAck_Destroy(ack);
    return s;
}

bool Publisher::send_one(const std::string& payload)
{
    auto info = describe_payload(payload);
    if (!info) return true;  // cannot happen for our own batches; never block on it
    std::string subject = subject_for_host(info->host);
    std::string id = message_id(info->host, info->clock_origin_ns, info->first_seq, info->last_seq);
    std::uint64_t stream_seq = 0;
    int s = publish(subject, payload, id, stream_seq);
    if (s == NATS_OK) {
        batches_sent_.fetch_add(1);
        records_sent_.fetch_add(info->records);
        if (info->starts_checkpoint && stream_seq) index_checkpoint(*info, stream_seq);
        return true;
    }
    std::string server = conn_->last_server_error();
    if (permission_violation(server) && names_subject(server, subject)) {
        fail(fmt::format("the server refuses this user publishing on {} ({}): check the user's "
                         "permissions or --host",
                         subject, server));
    } else if (s == NATS_NO_RESPONDERS) {
        stream_ready_ = false;  // the stream was deleted under us: create it again
    }
    return false;
}

// Best effort: without the entry a follower starts at an earlier checkpoint.
void Publisher::index_checkpoint(const PayloadInfo& info, std::uint64_t stream_seq)
{
    CheckpointEntry e{info.host, stream_seq, info.first_time_ns, info.first_seq, info.clock_origin_ns};
    std::string subject = index_subject(info.host);
    std::string body = format_index_entry(e);
    std::string id = fmt::format("{}:{}:ckpt-{}", escape_host(info.host), info.clock_origin_ns, info.first_seq);
    std::uint64_t index_seq = 0;
    int s = publish(subject, body, id, index_seq);
    if (s == NATS_OK) {
        checkpoints_indexed_.fetch_add(1);
    } else if (!index_warned_) {
        index_warned_ = true;
        say(describe_failure(s,
                             fmt::format("cannot add to the checkpoint index {} (followers start at an "
                                         "earlier checkpoint; allow this user to publish there)",
                                         subject),
                             conn_.get()));
    }
}

void Publisher::pause()
{
    std::unique_lock lock(wake_mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_sender_.load(); });
}

// The spool's losses, said at most once a second.
void Publisher::report_drops()
{
    std::uint64_t dropped = spool_->stats().dropped_records;
    auto now = Clock::now();
    if (dropped == reported_dropped_ || now - reported_at_ < std::chrono::seconds(1)) return;
    say(fmt::format("spool full ({} bytes): {} records dropped so far, oldest first (an events-lost record "
                    "tells followers; raise --spool-max to hold more)",
                    opt_.spool.max_bytes, dropped));
    reported_dropped_ = dropped;
    reported_at_ = now;
}

void Publisher::send_loop()
{
    bool drained = true;
    bool slow_said = false;
    while (!failed_.load() && !stop_sender_.load()) {
        bool up = conn_->connected();
        if (up != was_connected_) {
            say(up ? fmt::format("connected to {}", opt_.connect.url)
                   : fmt::format("{} unreachable: spooling", opt_.connect.url));
            was_connected_ = up;
            if (!up) stream_ready_ = false;
            if (!up) drained = false;
        }
        report_drops();
        spool_->set_online(up);
        // Offline, nothing is taken from the spool: all of it may be dropped
        // when it fills up, oldest first.
        if (!up || !ensure_stream()) {
            pause();
            continue;
        }
        auto payload = spool_->front(std::chrono::milliseconds(100));
        if (!payload) {
            if (!drained) say("spool drained");
            drained = true;
            slow_said = false;
            continue;
        }
        if (!send_one(*payload)) {
            spool_->release();
            if (!slow_said && !failed_.load()) {
                auto st = spool_->stats();
                say(fmt::format("{} did not acknowledge within {} ms: spooling ({} batches, {} bytes held)",
                                opt_.connect.url, opt_.publish_timeout.count(), st.batches, st.bytes));
                slow_said = true;
            }
            drained = false;
            pause();
            continue;
        }
        spool_->pop();
    }
}

bool Publisher::finish(std::chrono::milliseconds drain)
{
    {
        std::vector<Batch> out;
        std::lock_guard lock(batch_mu_);
        batcher_.seal(out);
        for (auto& b : out) spool_->push(std::move(b));
    }
    stop_sealer_.store(true);
    wake_.notify_all();
    if (sealer_.joinable()) sealer_.join();
    auto deadline = Clock::now() + drain;
    while (!failed_.load() && spool_->stats().batches > 0 && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop_sender_.store(true);
    spool_->wake();
    wake_.notify_all();
    if (sender_.joinable()) sender_.join();
    spool_->persist();
    return spool_->stats().batches == 0 && !failed_.load();
}

}  // namespace proctree::nats

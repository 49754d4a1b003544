// `proctree publish --nats URL`: this host's stream (a live source, or any
// stream proctree reads with --from) into JetStream, subject
// proctree.v1.<host> of stream PROCTREE, until the input ends or
// SIGINT/SIGTERM. What the server has not acknowledged at the end stays in
// the spool directory for the next run.
#include "checkpoint_sink.hpp"
#include "cli.hpp"
#include "nats_from.hpp"
#include "sources.hpp"
#include "stop_signal.hpp"
#include "stream_input.hpp"

#include <proctree/produce/source.hpp>
#include <proctree/nats/publisher.hpp>

#include <fmt/core.h>

#include <poll.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace proctree::cli {

namespace {

struct PublishArgs {
    nats::PublishOptions publish;
    LiveSourceArgs live;
    std::string from;
    double duration_s = 0;
    double drain_s = 10;
    std::uint64_t max_age_s = 7 * 24 * 3600;
    std::uint64_t dup_window_s = 600;
    int batch_ms = 25;
    double checkpoint_s = 300;
};

void say(std::string_view message) { fmt::print(stderr, "proctree publish: {}\n", message); }

// Copies a stream (file, stdin, tcp:) into the sink until its end or stop.
int relay(const std::string& spec, collect::ByteSink& sink, const std::atomic<bool>& stop)
{
    StreamInput in = StreamInput::open(spec);
    if (!in.ok()) {
        say(in.error());
        return kExitFailure;
    }
    std::vector<char> buf(64 * 1024);
    while (!stop.load()) {
        if (!in.is_regular_file()) {
            pollfd p{in.fd(), POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
        }
        long n = in.read(buf.data(), buf.size());
        if (n < 0) {
            say(in.error());
            return kExitFailure;
        }
        if (n == 0) return kExitOk;
        if (!sink.write(buf.data(), static_cast<std::size_t>(n))) return kExitFailure;
    }
    return kExitOk;
}

int run_source(const PublishArgs& a, collect::ByteSink& sink, std::atomic<bool>& stop)
{
    collect::SourceOptions so = live_source_options(a.live);
    so.notice = say;
    std::string error;
    auto source = collect::open_source(linked_sources(), so, error);
    if (!source) {
        say(error);
        return kExitFailure;
    }
    return source->run(sink, stop) == 0 ? kExitOk : kExitFailure;
}

int publish(PublishArgs a)
{
    install_stop_handlers();
    std::atomic<bool>& stop = stop_requested();
    a.publish.limits.max_age = std::chrono::seconds(a.max_age_s);
    a.publish.limits.duplicate_window = std::chrono::seconds(a.dup_window_s);
    a.publish.batch_interval = std::chrono::milliseconds(a.batch_ms);
    a.publish.connect.name = "proctree publish";
    a.publish.notice = say;
    std::string error;
    auto publisher = nats::Publisher::start(a.publish, error);
    if (!publisher) {
        say(error);
        return kExitFailure;
    }
    nats::PublisherSink to_publisher(*publisher);
    CheckpointSink sink(to_publisher, static_cast<std::uint64_t>(a.checkpoint_s * 1e9));
    std::atomic<bool> done{false};
    // After the spool dropped records up to or past the newest checkpoint,
    // a new one is the resync that lets followers converge.
    auto resync_if_lost = [&, dropped = std::uint64_t{0}]() mutable {
        auto st = publisher->stats().spool;
        if (st.dropped_records == dropped) return;
        dropped = st.dropped_records;
        auto last = sink.last_checkpoint_seq();
        if (!last || st.last_dropped_seq >= *last) sink.request_checkpoint();
    };
    // Ends the input on --duration, and when the publisher failed for good.
    std::thread watchdog([&] {
        auto deadline =
            std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                   std::chrono::duration<double>(a.duration_s));
        while (!done.load() && !stop.load()) {
            if (publisher->failed() || (a.duration_s > 0 && std::chrono::steady_clock::now() >= deadline))
                stop.store(true);
            resync_if_lost();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    int status = a.from.empty() ? run_source(a, sink, stop) : relay(a.from, sink, stop);
    done.store(true);
    watchdog.join();
    // The last batches may still push out older ones, a checkpoint among
    // them: after any loss the stream ends with one.
    if (publisher->stats().spool.dropped_records > 0) sink.request_checkpoint();
    if (!sink.finish() && status == kExitOk) status = kExitFailure;
    auto drain = std::chrono::milliseconds(static_cast<std::int64_t>(a.drain_s * 1000));
    bool all_sent = publisher->finish(publisher->failed() ? std::chrono::milliseconds(0) : drain);
    if (publisher->failed()) {
        say(publisher->error());
        return kExitFailure;
    }
    if (!all_sent) {
        auto st = publisher->stats().spool;
        if (a.publish.spool.dir.empty()) {
            say(fmt::format("{} batches were not acknowledged and are lost (use --spool DIR to keep them)",
                            st.batches));
            return kExitFailure;
        }
        say(fmt::format("{} batches not yet acknowledged stay in {} for the next run", st.batches,
                        a.publish.spool.dir));
    }
    return status;
}

}  // namespace

Action add_publish(CLI::App& app)
{
    auto a = std::make_shared<PublishArgs>();
    CLI::App* cmd =
        app.add_subcommand("publish", "Send this host's process events (or any stream, --from) to NATS JetStream");
    cmd->add_option("--nats", a->publish.connect.url, "NATS server, e.g. nats://broker:4222 or tls://broker:4222")
        ->required();
    CLI::Option* source = add_live_source_options(*cmd, a->live);
    cmd->add_option("--from", a->from, "Relay this stream instead: FILE, - (stdin) or tcp:HOST:PORT")->excludes(source);
    cmd->add_option("--host", a->publish.host, "Publish as this host name (default: the stream's own)");
    cmd->add_option("--spool", a->publish.spool.dir, "Keep unacknowledged batches in DIR (outages, restarts)");
    cmd->add_option("--spool-max", a->publish.spool.max_bytes,
                    "Bytes the spool may hold; beyond, the oldest are dropped and reported as lost")
        ->check(CLI::Range(std::uint64_t{2} << 20, std::uint64_t{1} << 50))
        ->capture_default_str();
    cmd->add_option("--max-age", a->max_age_s, "Stream PROCTREE, when created: seconds a message is kept")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10} * 365 * 86400))
        ->capture_default_str();
    cmd->add_option("--max-bytes", a->publish.limits.max_bytes,
                    "Stream PROCTREE, when created: bytes kept (-1: no limit)")
        ->check(CLI::Range(std::int64_t{-1}, std::int64_t{1} << 60))
        ->capture_default_str();
    cmd->add_option("--dup-window", a->dup_window_s, "Stream PROCTREE, when created: duplicate window in seconds")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{86400}))
        ->capture_default_str();
    cmd->add_option("--batch-ms", a->batch_ms, "A batch leaves after at most this many milliseconds")
        ->check(CLI::Range(1, 10'000))
        ->capture_default_str();
    cmd->add_option("--checkpoint-interval", a->checkpoint_s,
                    "Seconds of stream time between checkpoints (complete snapshots a follower can start at; 0: none)")
        ->check(CLI::Range(0.0, 86'400.0 * 365))
        ->capture_default_str();
    cmd->add_option("--duration", a->duration_s,
                    "Stop after this many seconds (default: until the input ends or SIGTERM)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--drain-timeout", a->drain_s, "At the end, seconds to wait for the server to take the rest")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    add_nats_connect_options(cmd, a->publish.connect);
    return [a] { return publish(*a); };
}

}  // namespace proctree::cli

// proctree/nats/publisher.hpp - sends a host's wire stream to JetStream.
//
// The producer thread hands bytes to write() and never waits for the
// network: they are cut into batches (batcher.hpp) that go into a bounded
// spool (spool.hpp); a sender thread publishes the spool's oldest batch
// with a message id (host, clock origin, first seq) and removes it once the
// server acknowledged it (and indexes the checkpoints it sent,
// checkpoint_index.hpp). While the server is unreachable or slow, the
// spool fills (DIR, then the oldest are dropped and say so); on reconnect it
// drains in order. The stream PROCTREE is created when absent.
#pragma once

#include <proctree/nats/connection.hpp>
#include <proctree/nats/spool.hpp>
#include <proctree/produce/sink.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace proctree::nats {

struct StreamLimits {
    std::chrono::seconds max_age{7 * 24 * 3600};
    std::int64_t max_bytes = -1;  // -1: unlimited
    std::chrono::seconds duplicate_window{600};
};

struct PublishOptions {
    ConnectOptions connect;
    StreamLimits limits;
    std::string host;  // replaces the stream's host name; empty: keep it
    SpoolLimits spool;
    std::chrono::milliseconds batch_interval{25};  // a batch leaves at most this late
    std::chrono::milliseconds publish_timeout{2000};
    // One-line messages (connected, disconnected, spooling), from the
    // sender thread.
    std::function<void(std::string_view)> notice;
};

struct PublishStats {
    std::uint64_t batches_sent = 0;
    std::uint64_t records_sent = 0;
    std::uint64_t checkpoints_indexed = 0;
    SpoolStats spool;
};

class Publisher {
public:
    static std::unique_ptr<Publisher> start(PublishOptions options, std::string& error);
    ~Publisher();
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;

    // The next bytes of the stream. false when the stream is malformed or
    // the publisher failed for good (error() says why, in one line).
    bool write(const void* data, std::size_t len);
    // End of the stream: seals the last batch, sends for at most `drain`,
    // keeps what is left in the spool directory. true when all was sent.
    bool finish(std::chrono::milliseconds drain);

    bool failed() const { return failed_.load(); }
    std::string error() const;
    PublishStats stats() const;

private:
    explicit Publisher(PublishOptions options);
    void seal_loop();
    void send_loop();
    void pause();  // 100 ms, or until stopped
    bool ensure_stream();
    // A JetStream publish with a message id; a natsStatus, and the stored message's sequence.
    int publish(const std::string& subject, std::string_view data, const std::string& msg_id,
                std::uint64_t& stream_seq);
    bool send_one(const std::string& payload);
    void index_checkpoint(const PayloadInfo& info, std::uint64_t stream_seq);
    void report_drops();
    void fail(std::string why);
    void say(std::string_view message) const;

    PublishOptions opt_;
    std::unique_ptr<Spool> spool_;
    std::unique_ptr<Connection> conn_;

    std::mutex batch_mu_;  // the batcher: producer thread and sealer
    Batcher batcher_;
    std::chrono::steady_clock::time_point batch_started_{};

    std::atomic<bool> stop_sealer_{false};
    std::atomic<bool> stop_sender_{false};
    std::atomic<bool> failed_{false};
    mutable std::mutex err_mu_;
    std::string error_;
    std::mutex wake_mu_;
    std::condition_variable wake_;
    bool stream_ready_ = false;
    bool was_connected_ = false;
    std::atomic<std::uint64_t> batches_sent_{0};
    std::atomic<std::uint64_t> records_sent_{0};
    std::atomic<std::uint64_t> checkpoints_indexed_{0};
    bool index_warned_ = false;  // sender thread only
    std::uint64_t reported_dropped_ = 0;
    std::chrono::steady_clock::time_point reported_at_{};
    std::thread sealer_;
    std::thread sender_;
};

// A producer's sink: what a source writes goes to the publisher; a failed
// publisher makes write() fail, so the source stops.
class PublisherSink final : public collect::ByteSink {
public:
    explicit PublisherSink(Publisher& p) : p_(p) {}
    bool write(const void* data, std::size_t len) override { return p_.write(data, len); }

private:
    Publisher& p_;
};

}  // namespace proctree::nats

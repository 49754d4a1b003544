// proctree/nats/spool.hpp - the publisher's queue of batches not yet
// acknowledged by JetStream, in stream order.
//
// Bounded in memory and on disk. With a directory, a batch is kept in memory
// only while the server is reachable and the in-memory part is small; else
// it is written to DIR as one file (the message payload), so an outage or a
// restart loses nothing up to the disk limit. When the limit is reached the
// oldest batches are dropped and replaced by one events-lost record (seq:
// the last dropped record's), so a consumer learns of the loss.
#pragma once

#include <proctree/nats/batcher.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace proctree::nats {

struct SpoolLimits {
    std::string dir;                          // empty: memory only
    std::uint64_t max_bytes = 256ull << 20;   // all batches held, memory and disk
    std::uint64_t memory_bytes = 8ull << 20;  // with a directory: the in-memory part
};

struct SpoolStats {
    std::size_t batches = 0;
    std::uint64_t bytes = 0;
    std::uint64_t memory_bytes = 0;
    std::uint64_t dropped_records = 0;
    std::uint64_t last_dropped_seq = 0;  // the newest record dropped, when dropped_records > 0
};

class Spool {
public:
    // Creates DIR when absent and takes over the batches a previous run left
    // there (oldest first). nullptr with error when DIR is unusable.
    static std::unique_ptr<Spool> open(const SpoolLimits& limits, std::string& error);
    ~Spool();

    // Producer side: never waits for the network.
    void push(Batch batch);
    // Whether new batches may stay in memory (the server is reachable).
    void set_online(bool online);
    // Consumer side: the oldest payload (waits up to `wait`), marked in flight
    // so that it is not dropped while being sent; pop() removes it.
    std::optional<std::string> front(std::chrono::milliseconds wait);
    void pop();
    void release();  // the front was not sent: no longer in flight
    // Moves what is held in memory to DIR (before exit); no-op without DIR.
    void persist();
    // Wakes a waiting front().
    void wake();

    SpoolStats stats() const;
    std::string last_error() const;

private:
    struct Entry {
        std::string payload;    // empty when on disk
        std::string path;       // set when on disk
        std::uint64_t key = 0;  // queue position: names its file, so name order is queue order
        std::uint64_t size = 0;
        std::uint64_t last_seq = 0;
        std::uint64_t last_time_ns = 0;
        std::uint32_t records = 0;
        std::size_t header_size = 0;
        bool lost_marker = false;
    };
    explicit Spool(SpoolLimits limits) : limits_(std::move(limits)) {}
    bool load_dir(std::string& error);
    bool to_disk(Entry& e);
    std::optional<std::string> read_entry(const Entry& e);
    bool drop_oldest_locked();
    void forget(Entry& e);

    SpoolLimits limits_;
    mutable std::mutex mu_;
    std::condition_variable ready_;
    std::deque<Entry> entries_;
    bool front_in_flight_ = false;
    bool online_ = false;
    bool woken_ = false;
    std::uint64_t bytes_ = 0;
    std::uint64_t memory_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t last_dropped_seq_ = 0;
    std::uint64_t next_key_ = 0;
    std::string last_error_;
};

}  // namespace proctree::nats

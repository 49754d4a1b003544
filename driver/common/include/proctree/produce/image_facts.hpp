// proctree/produce/image_facts.hpp - the size and SHA-256 of each create's
// and exec's executable (PT_REC_IMAGE_FACTS), learned off the capture path.
//
// ImageFactsSink sits between a source's WireWriter and the real sink. It
// passes every record on at once, numbering the stream itself, and queues
// (bounded) the image of each create/exec for a worker thread. The worker
// identifies the file (cheap: a stat, once per path per batch of a few ms),
// reads and hashes it only when its identity is not cached, and writes the
// facts record into the same stream.
// When the queue is full the facts say "skipped" and the event goes on:
// capture never waits for a disk.
#pragma once

#include <proctree/produce/sink.hpp>
#include <proctree/produce/source.hpp>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace proctree::collect {

// What identifies one version of one file: Linux (device, inode, size,
// mtime); Windows (volume serial, file id, size, last-write time).
struct FileIdentity {
    std::uint64_t volume = 0;
    std::uint64_t file = 0;
    std::uint64_t size = 0;
    std::uint64_t modified = 0;
    friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

struct FileIdentityHash {
    std::size_t operator()(const FileIdentity& id) const noexcept
    {
        std::uint64_t h = id.file * 0x9E3779B97F4A7C15ull ^ id.volume ^ (id.modified * 31 + id.size);
        return static_cast<std::size_t>(h ^ (h >> 31));
    }
};

using Sha256 = std::array<std::uint8_t, 32>;

// The OS seam: how this platform names and reads a file. error is the
// platform's code (errno, Win32 error) when a call returns false.
class ImageFileReader {
public:
    virtual ~ImageFileReader() = default;
    // The identity of the file at path, without reading it.
    virtual bool identify(const std::string& path, FileIdentity& id, std::uint32_t& error) = 0;
    // Reads the whole file: the identity of what was read, and its digest.
    virtual bool digest(const std::string& path, FileIdentity& id, Sha256& sha, std::uint32_t& error) = 0;
};

struct ImageFactsOptions {
    std::size_t queue_capacity = 4096;  // images waiting for the worker or in its hands
    std::size_t cache_entries = 16384;  // distinct file versions remembered
    // "image facts: hasher behind, N skipped", at most every 5 s of stream
    // time, from the thread that writes the records.
    std::function<void(std::string_view)> notice;
};

struct ImageFactsStats {
    std::uint64_t requested = 0;   // creates/execs with an image
    std::uint64_t skipped = 0;     // queue full: facts say so, nothing read
    std::uint64_t cache_hits = 0;  // identity known: no read
    std::uint64_t files_read = 0;  // distinct file versions read and hashed
    std::uint64_t bytes_read = 0;
    std::uint64_t unreadable = 0;
};

class ImageFactsSink final : public ByteSink {
public:
    ImageFactsSink(ByteSink& inner, ImageFileReader& reader, ImageFactsOptions options = {});
    ~ImageFactsSink() override;  // finish()es
    ImageFactsSink(const ImageFactsSink&) = delete;
    ImageFactsSink& operator=(const ImageFactsSink&) = delete;

    // One whole stream header or record per call (as WireWriter writes).
    bool write(const void* data, std::size_t len) override;
    void flush() override;
    // Writes the facts still queued, then stops the worker. Idempotent.
    void finish();
    ImageFactsStats stats() const;

private:
    struct Request {
        pt_ident proc;
        std::uint64_t event_seq;
        std::string path;
    };
    void enqueue(const pt_record_header& h, const std::byte* record);  // mutex_ held
    void skip(const pt_record_header& h, pt_ident proc);               // mutex_ held
    struct Identified {
        bool ok = false;
        FileIdentity id;
        std::uint32_t error = 0;
    };
    std::size_t half_full() const { return options_.queue_capacity / 2 + 1; }
    void worker();
    void answer(const std::deque<Request>& batch);
    void answer(const Request& request, Identified known);
    bool emit_facts(const pt_facts_args& facts);  // mutex_ held

    ByteSink& inner_;
    ImageFileReader& reader_;
    ImageFactsOptions options_;
    mutable std::mutex mutex_;  // the stream: inner_, seq_, buf_, queue_, stats_
    std::condition_variable wake_;
    std::deque<Request> queue_;
    std::size_t in_hand_ = 0;                                           // of the worker's batch, not answered yet
    std::unordered_map<FileIdentity, Sha256, FileIdentityHash> cache_;  // worker only
    std::vector<std::byte> buf_;
    std::uint64_t seq_ = 0;
    ImageFactsStats stats_;
    bool header_seen_ = false;
    bool stopping_ = false;
    bool collecting_ = false;  // the worker is between batches and will be back
    bool failed_ = false;
    std::uint64_t skip_noticed_ns_ = 0;
    std::uint64_t skips_unsaid_ = 0;
    std::thread thread_;
};

// A source whose stream carries image facts: runs `inner` into an
// ImageFactsSink over the caller's sink; options.notice hears of skips and,
// at the end, what was hashed.
std::unique_ptr<Source> with_image_facts(std::unique_ptr<Source> inner, std::unique_ptr<ImageFileReader> reader,
                                         const SourceOptions& options, ImageFactsOptions facts = {});

}  // namespace proctree::collect

// proctree/produce/source.hpp - what every live event source offers, and
// choosing one from the sources a program links in.
//
// Every source writes the same stream (see the contract in proctree/wire.h):
// stream header, initial snapshot, live records, and after any loss an
// events-lost record followed by a resync snapshot. The viewer, `proctree
// record` and `proctree snapshot` only see the bytes.
#pragma once

#include <proctree/produce/sink.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::collect {

enum class SourceKind {
    Auto,
    Ebpf,
    Netlink,
    Poll
};

struct SourceOptions {
    SourceKind kind = SourceKind::Auto;
    std::chrono::milliseconds poll_interval{500};
    // Netlink receive buffer in bytes; 0 picks a large default
    // (SO_RCVBUFFORCE when permitted). Tests set it tiny to force loss.
    int receive_buffer = 0;
    // Proc connector: run the thread that reads events and /proc at a
    // real-time priority when permitted, so that short-lived processes are
    // named before they are gone.
    bool realtime_reader = true;
    // Attach each create's/exec's executable size and SHA-256
    // (PT_REC_IMAGE_FACTS), hashed off the capture path: see image_facts.hpp.
    // The program applies it when it opens a source (it owns the OS reader).
    bool image_facts = true;
    // One-line human messages: which source was chosen and why, "polling:
    // short-lived processes will be missed", resyncs. Headless commands print
    // them on stderr; the viewer shows them in its status line. The proc
    // connector and poll sources call it from open_source()/make_*() and
    // from the thread that called run(), never from helper threads.
    std::function<void(std::string_view)> notice;
};

class Source {
public:
    virtual ~Source() = default;
    virtual pt_source kind() const = 0;
    // Writes header, snapshot and live records into sink until `stop` is set
    // (checked at least every 100 ms) or the sink fails. Returns 0 on a clean
    // stop; otherwise reports why through options.notice and returns non-zero.
    virtual int run(ByteSink& sink, const std::atomic<bool>& stop) = 0;

    // A sink that fell behind dropped `lost` whole records (the viewer's
    // bounded channel). A source that can rescan answers from run()'s thread
    // within ~100 ms with PT_REC_EVENTS_LOST (lost, PT_LOST_QUEUE_FULL) and a
    // complete resync snapshot (the source cannot know what was dropped);
    // requests made meanwhile add up. Any thread may call it.
    virtual void request_resync(std::uint64_t lost) { resync_lost_.fetch_add(lost); }
    // Whether run() answers request_resync; a sink feeding one that does not
    // must wait for room instead of dropping.
    virtual bool resyncs_on_request() const { return false; }

protected:
    // For run(): the records lost since the last call, 0 when none were.
    std::uint64_t take_resync_request() { return resync_lost_.exchange(0); }

private:
    std::atomic<std::uint64_t> resync_lost_{0};
};

// One kind of source a program links in: a leaf (driver/linux, driver/linux/ebpf,
// ...) provides the make function; the program lists the leaves it ships, in
// the order `auto` should try them. make returns nullptr and sets why_not
// (one line, saying what to do) when the source cannot start here (no
// privilege, no BTF, built without BPF).
struct SourceFactory {
    SourceKind kind;
    std::string_view name;  // as on the command line: "ebpf", "netlink", "poll"
    std::unique_ptr<Source> (*make)(const SourceOptions& options, std::string& why_not);
};

// options.kind from `factories`, or for Auto the first of them that starts;
// says which it got and why the others were refused through options.notice.
// nullptr (with error set) only when nothing can start.
std::unique_ptr<Source> open_source(std::span<const SourceFactory> factories, const SourceOptions& options,
                                    std::string& error);

}  // namespace proctree::collect

// proctree/linux/source.hpp - live Linux event sources.
//
// Every source writes the same stream (see the contract in proctree/wire.h):
// stream header, initial snapshot, live records, and after any loss an
// events-lost record followed by a resync snapshot. The viewer, `proctree
// record` and `proctree snapshot` only see the bytes.
#pragma once

#include <proctree/linux/procfs.hpp>
#include <proctree/linux/sink.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::collect {

enum class SourceKind { Auto, Ebpf, Netlink, Poll };

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
};

// Each returns nullptr and sets why_not (one line, saying what to do) when
// the source cannot start here (no privilege, no BTF, built without BPF).
std::unique_ptr<Source> make_ebpf_source(const SourceOptions& options, std::string& why_not);
std::unique_ptr<Source> make_netlink_source(const SourceOptions& options, std::string& why_not);
std::unique_ptr<Source> make_poll_source(const SourceOptions& options, std::string& why_not);

// options.kind, or for Auto the first of ebpf, netlink, poll that starts;
// says which it got and why the others were refused through options.notice.
// nullptr (with error set) only when nothing can start.
std::unique_ptr<Source> open_source(const SourceOptions& options, std::string& error);

// Writes SNAPSHOT_BEGIN, one create per running
// process, SNAPSHOT_END, as every source's initial snapshot and `proctree
// snapshot` need. Returns false when the sink failed.
bool write_proc_snapshot(WireWriter& out, const ProcFs& procfs, std::uint32_t reason,
                         std::uint16_t flags);
// The same for a scan the caller already holds (ProcFs::scan() order), e.g.
// to seed its own table of known processes from the very same scan.
bool write_snapshot_of(WireWriter& out, const std::vector<ProcInfo>& procs, std::uint32_t reason,
                       std::uint16_t flags);

// Writes the stream header for a Linux source (host name, boot time).
bool write_linux_stream_header(WireWriter& out, const ProcFs& procfs, pt_source source);

} // namespace proctree::collect

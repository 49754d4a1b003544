// translate.hpp - ring-buffer events of proctree.bpf.c -> wire records.
//
// The thin seam between the kernel side and the stream: no libbpf, no
// syscalls, so unit tests feed it canned event structs. It keeps the set of
// processes the stream has announced, so that a fork already described by a
// (resync) snapshot is not announced twice.
#pragma once

#include <proctree/produce/sink.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

struct pt_bpf_proc;
struct pt_bpf_task;
struct pt_bpf_exit;

namespace proctree::collect::ebpf {

struct Clocks {
    // Identity start time from the kernel's task->start_boottime: truncated
    // to clock ticks, then the wire rule (btime*1e9 + ticks*1e9/CLK_TCK), so
    // it equals ProcFs's for the same process.
    std::uint64_t btime_ns = 0;            // /proc/stat btime * 1e9
    std::uint64_t ticks_per_second = 100;  // sysconf(_SC_CLK_TCK)
    // Event times: CLOCK_BOOTTIME ns + this = ns since the Unix epoch.
    std::int64_t boottime_to_wall_ns = 0;
    // When set (the live source passes ProcFs::start_ns_from_ticks), ticks
    // become start_ns exactly the way the snapshot computes them.
    std::function<std::uint64_t(std::uint64_t ticks)> from_ticks;

    std::uint64_t start_ns(std::uint64_t start_boottime_ns) const;
    std::uint64_t wall_ns(std::uint64_t boottime_ns) const;
};

// Kernel wait status (task->exit_code) -> wire exit fields.
struct ExitStatus {
    std::int32_t code = 0;  // exit status 0..255; 128+signal when signaled
    std::uint16_t signal = 0;
    std::uint16_t flags = 0;  // PT_EXIT_SIGNALED | PT_EXIT_CORE_DUMPED
};
ExitStatus decode_wait_status(std::int32_t status);

// Path components leaf first, each NUL-terminated -> "/a/b/c".
std::string join_path(std::string_view leaf_first, bool complete);
// argv as in memory (NUL-separated) -> joined by single spaces, the way
// ProcFs joins /proc/PID/cmdline. `truncated`: cut inside argv, so a split
// UTF-8 sequence at the end is dropped.
std::string join_argv(std::string_view raw, bool truncated);

class Translator {
public:
    using UserName = std::function<std::string(std::uint32_t uid)>;

    Translator(WireWriter& out, Clocks clocks, UserName user_name);

    // One ring-buffer event. Returns false when the sink failed (stop);
    // malformed events (bad size or type) are counted and skipped.
    bool handle(const void* data, std::size_t size);

    // A (resync) snapshot is about to be written / its processes: identities
    // it announced, so that a queued fork of one of them is not repeated.
    void begin_snapshot() { announced_.clear(); }
    void announced(std::uint32_t pid, std::uint64_t start_ns);

    std::uint64_t malformed() const { return malformed_; }
    std::uint64_t duplicates() const { return duplicates_; }

private:
    bool on_proc(const pt_bpf_proc& e, std::size_t size);
    bool on_task(const pt_bpf_task& e);
    bool on_exit(const pt_bpf_exit& e);
    const std::string& user(std::uint32_t uid);

    struct IdentHash {
        std::size_t operator()(const pt_ident& i) const noexcept
        {
            return std::hash<std::uint64_t>()(i.start_ns * 1000003u ^ i.pid);
        }
    };
    struct IdentEq {
        bool operator()(const pt_ident& a, const pt_ident& b) const noexcept
        {
            return a.pid == b.pid && a.start_ns == b.start_ns;
        }
    };

    WireWriter& out_;
    Clocks clocks_;
    UserName user_name_;
    std::unordered_map<std::uint32_t, std::string> users_;
    std::unordered_set<pt_ident, IdentHash, IdentEq> announced_;
    std::uint64_t malformed_ = 0;
    std::uint64_t duplicates_ = 0;
};

}  // namespace proctree::collect::ebpf

// proctree/linux/procfs.hpp - reading processes from /proc.
//
// The root directory is a parameter so tests can point it at a canned tree.
// Start times follow proctree/wire.h: btime * 1e9 + starttime ticks * 1e9 /
// CLK_TCK, so every Linux source computes the same identity for a process.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace proctree::collect {

struct ProcInfo {
    std::uint32_t pid = 0;
    std::uint32_t ppid = 0;
    std::uint64_t start_ns = 0;  // identity start time (see above)
    std::uint32_t uid = 0xFFFFFFFFu;
    std::uint32_t threads = 1;
    bool kernel_thread = false;
    char state = '?';                 // stat state letter: R, S, D, Z (zombie), ...
    std::string name;                 // comm
    std::string exe;                  // readlink exe; empty when unreadable
    std::string cmdline;              // argv joined by single spaces; empty for kthreads
    std::uint32_t cmdline_whole = 0;  // its whole length when longer than read (pt_create_args.full), else 0
    std::string user;                 // user name of uid; empty when unknown
};

class ProcFs {
public:
    explicit ProcFs(std::string root = "/proc");

    const std::string& root() const { return root_; }
    std::uint64_t boot_time_ns() const { return boot_time_ns_; }
    std::uint64_t ticks_per_second() const { return ticks_per_second_; }  // CLK_TCK
    std::uint64_t start_ns_from_ticks(std::uint64_t ticks) const;

    // One process; nullopt when it vanished (or is not a process).
    std::optional<ProcInfo> read(std::uint32_t pid) const;
    // Identity start time of pid (cheap: reads /proc/PID/stat only).
    std::optional<std::uint64_t> start_ns(std::uint32_t pid) const;
    // Its start time and parent now (the same single read).
    struct Lineage {
        std::uint64_t start_ns = 0;
        std::uint32_t ppid = 0;
    };
    std::optional<Lineage> lineage(std::uint32_t pid) const;
    // All processes, parents before children where possible. Processes that
    // vanish mid-scan are skipped; unreadable fields are left empty. Zombies
    // are not listed: they have exited (their exit event, if any, is past)
    // and only wait to be reaped, which no event reports. before_read, when
    // given, is called with each pid just before its files are read.
    std::vector<ProcInfo> scan(const std::function<void(std::uint32_t pid)>& before_read = {}) const;

private:
    std::string root_;
    std::uint64_t boot_time_ns_ = 0;
    std::uint64_t ticks_per_second_ = 100;
};

}  // namespace proctree::collect

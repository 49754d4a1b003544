// Internal: the table of processes a live source has reported, and the
// translation of events and /proc rescans into wire records. Shared by the
// proc connector source (events, resync after loss) and the poll source
// (rescans only). One thread owns a tracker.
#pragma once

#include "proc_event.hpp"

#include <proctree/linux/procfs.hpp>
#include <proctree/produce/sink.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace proctree::collect {

class ProcTracker {
public:
    ProcTracker(const ProcFs& procfs, WireWriter& out);

    // Scans /proc, writes the initial (complete) snapshot, remembers it.
    bool initial_snapshot();
    // One live event; false only when the sink failed.
    bool apply(const ProcEvent& ev);
    // After a loss: PT_REC_EVENTS_LOST, then a resync snapshot holding the
    // difference between what was reported and a fresh scan.
    bool lost_and_resync(std::uint64_t count, std::uint32_t reason);
    // A resync snapshot with the difference to a fresh scan, no loss record.
    bool resync();
    // After the output dropped records (which, this tracker cannot know):
    // PT_REC_EVENTS_LOST, then a complete resync snapshot of a fresh scan,
    // so that the consumer retires whatever it holds that is not listed.
    bool lost_and_complete_resync(std::uint64_t count, std::uint32_t reason);
    // Polling: the difference to a fresh scan, as live records.
    bool poll_difference();

    std::size_t known_processes() const { return known_.size(); }
    std::uint64_t wall_from_monotonic(std::uint64_t monotonic_ns) const { return monotonic_ns + wall_offset_; }
    // Identity start time from a kernel event time, used when the process
    // is gone before its /proc/PID/stat could be read (no later scan can
    // then disagree about it).
    std::uint64_t start_ns_from_monotonic(std::uint64_t monotonic_ns) const;

private:
    struct Known {
        std::uint64_t start_ns = 0;
        std::uint32_t ppid = 0;
        std::uint32_t uid = 0xFFFFFFFFu;
        std::string name, exe, cmdline, user;
        std::uint32_t cmdline_whole = 0;
        // The comm read from /proc soon after the fork when it already
        // differed from the parent's (the child had exec'd): the best name
        // for the exec when the process is gone before the exec is read.
        std::string name_seen_after_fork;
    };

    bool complete_snapshot(std::uint32_t reason);
    bool on_fork(const ProcEvent& ev);
    bool on_exec(const ProcEvent& ev);
    bool on_exit(const ProcEvent& ev);
    bool on_comm(const ProcEvent& ev);
    bool emit_difference(const std::vector<ProcInfo>& scan, std::uint64_t now);
    bool emit_create(std::uint64_t time_ns, const ProcInfo& info);
    pt_ident parent_ident(std::uint32_t ppid, const std::unordered_map<std::uint32_t, std::uint64_t>* scan) const;
    void remember(const ProcInfo& info);

    const ProcFs& procfs_;
    WireWriter& out_;
    std::unordered_map<std::uint32_t, Known> known_;  // by pid (tgid)
    std::uint64_t wall_offset_ = 0;                   // CLOCK_REALTIME - CLOCK_MONOTONIC
    std::uint64_t boottime_offset_ = 0;               // CLOCK_BOOTTIME - CLOCK_MONOTONIC
};

}  // namespace proctree::collect

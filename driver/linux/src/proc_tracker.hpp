// Internal: the table of processes a live source has reported, and the
// translation of events and /proc rescans into wire records. Shared by the
// proc connector source (events, resync after loss) and the poll source
// (rescans only). One thread owns a tracker.
//
// Given process handles (the poll source's pidfds), a rescan tells a pid
// reused within one clock tick from its predecessor: same (pid, start) but
// the predecessor's handle says it exited is an exit and a create. Where no
// handle could be opened (out of descriptors, no pidfd_open) the process is
// known by (pid, start) alone, as without handles.
#pragma once

#include "pidfd.hpp"
#include "proc_event.hpp"

#include <proctree/linux/procfs.hpp>
#include <proctree/produce/sink.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace proctree::collect {

class ProcTracker {
public:
    // handles: none (nullptr) for event sources; owned by the caller.
    ProcTracker(const ProcFs& procfs, WireWriter& out, ProcessHandles* handles = nullptr);

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
    // Between scans: processes whose handles reported an exit (pid, handle),
    // written once reaped, with their status; a zombie's waits for its
    // reaping (each call looks again), the next scan at the latest.
    bool exits_between_scans(const std::vector<std::pair<std::uint32_t, int>>& exited);
    // Exits seen whose processes are not reaped yet: worth looking soon.
    bool exits_pending() const { return !exiting_.empty(); }

    std::size_t known_processes() const { return known_.size(); }
    // Processes taken on without a handle although handles were in use (no
    // descriptor left): a same-tick reuse of their pid is missed.
    std::uint64_t without_handle() const { return without_handle_; }
    int last_handle_error() const { return last_handle_error_; }  // errno
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
        // Its last exec was gone before it could be read: the name is the
        // best guess, which the exit accounting may correct at the exit.
        bool name_guessed = false;
        HeldHandle handle;       // on this very process, when one could be opened
        bool exit_seen = false;  // its handle reported its exit
    };
    // A fresh scan, each process vouched for by its handle where it has one.
    struct Scan {
        std::vector<ProcInfo> procs;
        std::unordered_map<std::uint32_t, HeldHandle> handles;  // for the known ones to take
        std::unordered_set<std::uint32_t> ended;                // known pids whose handle says exited
    };

    bool complete_snapshot(std::uint32_t reason);
    Scan scan_now();
    bool vouched(const ProcInfo& p, std::unordered_map<std::uint32_t, HeldHandle>& opened,
                 const std::unordered_map<std::uint32_t, int>& failed, Scan& scan);
    bool reread(ProcInfo& p, Scan& scan);
    void take_handle(std::uint32_t pid, Scan& scan, bool is_new);
    bool write_exit(std::uint64_t now, std::uint32_t pid, const Known& k, bool ended);
    bool emit_exits(const Scan& scan, const std::unordered_map<std::uint32_t, std::uint64_t>& start_of,
                    std::unordered_map<std::uint32_t, std::uint64_t>& gone, std::uint64_t now);
    bool on_fork(const ProcEvent& ev);
    bool on_exec(const ProcEvent& ev);
    bool on_exit(const ProcEvent& ev);
    bool name_from_exit_account(const ProcEvent& ev, Known& k, std::uint64_t time);
    bool on_comm(const ProcEvent& ev);
    bool emit_difference(Scan& scan, std::uint64_t now);
    bool emit_create(std::uint64_t time_ns, const ProcInfo& info);
    pt_ident parent_ident(std::uint32_t ppid, const std::unordered_map<std::uint32_t, std::uint64_t>* scan) const;
    void remember(const ProcInfo& info);

    const ProcFs& procfs_;
    WireWriter& out_;
    ProcessHandles* handles_;
    std::uint64_t without_handle_ = 0;
    std::unordered_set<std::uint32_t> exiting_;                      // exit seen, not yet written
    std::unordered_map<std::uint32_t, std::uint64_t> gone_between_;  // written between scans: pid -> start
    int last_handle_error_ = 0;
    std::unordered_map<std::uint32_t, Known> known_;  // by pid (tgid)
    std::uint64_t wall_offset_ = 0;                   // CLOCK_REALTIME - CLOCK_MONOTONIC
    std::uint64_t boottime_offset_ = 0;               // CLOCK_BOOTTIME - CLOCK_MONOTONIC
};

}  // namespace proctree::collect

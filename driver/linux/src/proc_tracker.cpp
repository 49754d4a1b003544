// ProcTracker: events and rescans -> wire records (see proc_tracker.hpp).
#include "proc_tracker.hpp"

#include "proc_records.hpp"
#include "procfs_text.hpp"

#include <proctree/linux/clock.hpp>
#include <proctree/linux/snapshot.hpp>

#include <time.h>

#include <cerrno>

namespace proctree::collect {

namespace {

// What a process shows of itself (name, executable, command line, user),
// taken from another account of it: /proc, or its parent before an exec.
template <class To, class From>
void take_description(To& to, const From& from)
{
    to.name = from.name;
    to.exe = from.exe;
    to.cmdline = from.cmdline;
    to.cmdline_whole = from.cmdline_whole;
    to.uid = from.uid;
    to.user = from.user;
}

}  // namespace

ProcTracker::ProcTracker(const ProcFs& procfs, WireWriter& out, ProcessHandles* handles)
    : procfs_(procfs), out_(out), handles_(handles)
{
    const std::uint64_t mono = clock_ns(CLOCK_MONOTONIC);
    wall_offset_ = clock_ns(CLOCK_REALTIME) - mono;
    boottime_offset_ = clock_ns(CLOCK_BOOTTIME) - mono;
}

std::uint64_t ProcTracker::start_ns_from_monotonic(std::uint64_t monotonic_ns) const
{
    // The kernel's starttime is boot-based ns truncated to clock ticks.
    const std::uint64_t boot_ns = monotonic_ns + boottime_offset_;
    const std::uint64_t ns_per_tick = 1'000'000'000ull / procfs_.ticks_per_second();
    return procfs_.start_ns_from_ticks(boot_ns / ns_per_tick);
}

void ProcTracker::remember(const ProcInfo& info)
{
    Known& k = known_[info.pid];
    k.start_ns = info.start_ns;
    k.ppid = info.ppid;
    take_description(k, info);
    k.name_seen_after_fork.clear();
}

bool ProcTracker::initial_snapshot() { return complete_snapshot(PT_SNAPSHOT_INITIAL); }

bool ProcTracker::complete_snapshot(std::uint32_t reason)
{
    Scan scan = scan_now();
    for (auto& [pid, k] : known_) {
        if (scan.ended.contains(pid)) {
            // Listed again with the same start it would stay its predecessor.
            if (!write_exit(wall_clock_ns(), pid, k, true)) return false;
        } else if (k.handle) {
            scan.handles.emplace(pid, std::move(k.handle));  // unless its pid was re-read
        }
    }
    known_.clear();
    exiting_.clear();
    gone_between_.clear();
    for (const ProcInfo& p : scan.procs) {
        remember(p);
        take_handle(p.pid, scan, true);
    }
    return write_snapshot_of(out_, scan.procs, reason, PT_SNAPSHOT_COMPLETE);
}

// Why a process's handle vouches for what was read about it: a handle names
// the process that held the pid when it was opened. It is opened before the
// files are read and asked after (a known process's long before, asked
// after the scan); not exited then, that process held the pid all along, so
// everything read was its own. Exited, what was read may be a successor's:
// the pid is read again behind a fresh handle.
ProcTracker::Scan ProcTracker::scan_now()
{
    Scan scan;
    if (!handles_ || !handles_->supported()) {
        scan.procs = procfs_.scan();
        return scan;
    }
    std::unordered_map<std::uint32_t, HeldHandle> opened;
    std::unordered_map<std::uint32_t, int> failed;  // pid -> errno
    std::vector<ProcInfo> read = procfs_.scan([&](std::uint32_t pid) {
        auto it = known_.find(pid);
        if (it != known_.end() && it->second.handle) return;
        int h = handles_->open(pid);
        if (h >= 0) opened.emplace(pid, HeldHandle(handles_, h));
        else failed.emplace(pid, -h);
    });
    for (auto& [pid, k] : known_)
        if (k.handle.exited()) scan.ended.insert(pid);
    bool replaced = false;
    for (ProcInfo& p : read) {
        if (vouched(p, opened, failed, scan)) {
            scan.procs.push_back(std::move(p));
        } else if (reread(p, scan)) {
            scan.procs.push_back(std::move(p));
            replaced = true;
        }
    }
    if (replaced) scan.procs = order_parents_first(std::move(scan.procs));
    return scan;
}

bool ProcTracker::vouched(const ProcInfo& p, std::unordered_map<std::uint32_t, HeldHandle>& opened,
                          const std::unordered_map<std::uint32_t, int>& failed, Scan& scan)
{
    if (auto k = known_.find(p.pid); k != known_.end() && k->second.handle)
        return !scan.ended.contains(p.pid) && k->second.start_ns == p.start_ns;
    if (auto h = opened.find(p.pid); h != opened.end()) {
        if (h->second.exited()) return false;
        scan.handles.emplace(p.pid, std::move(h->second));
        return true;
    }
    auto f = failed.find(p.pid);
    if (f == failed.end() || f->second == ESRCH) return false;  // ESRCH: gone before its files were read
    last_handle_error_ = f->second;
    return true;  // no handle to be had: the files as read, as without handles
}

bool ProcTracker::reread(ProcInfo& p, Scan& scan)
{
    const int h = handles_->open(p.pid);
    if (h == -ESRCH) return false;
    HeldHandle handle = h >= 0 ? HeldHandle(handles_, h) : HeldHandle();
    if (h < 0) last_handle_error_ = -h;
    auto info = procfs_.read(p.pid);
    if (!info || info->state == 'Z' || info->state == 'X' || handle.exited()) return false;  // the next scan
    p = std::move(*info);
    if (handle) scan.handles.insert_or_assign(p.pid, std::move(handle));
    return true;
}

void ProcTracker::take_handle(std::uint32_t pid, Scan& scan, bool is_new)
{
    if (!handles_ || !handles_->supported()) return;
    Known& k = known_[pid];
    if (auto h = scan.handles.find(pid); h != scan.handles.end()) {
        k.handle = std::move(h->second);
        scan.handles.erase(h);
    } else if (is_new && !k.handle) {
        ++without_handle_;
    }
}

bool ProcTracker::exits_between_scans(const std::vector<std::pair<std::uint32_t, int>>& exited)
{
    for (const auto& [pid, handle] : exited) {
        auto k = known_.find(pid);
        if (k == known_.end() || k->second.handle.get() != handle) continue;  // already written
        k->second.exit_seen = true;
        exiting_.insert(pid);
    }
    for (auto it = exiting_.begin(); it != exiting_.end();) {
        auto k = known_.find(*it);
        if (k == known_.end() || !k->second.exit_seen) {  // written by a scan (a new process may have the pid)
            it = exiting_.erase(it);
            continue;
        }
        if (!k->second.handle.wait_status() && handles_->tells_status()) {
            ++it;  // a zombie: looked at again, the next scan at the latest
            continue;
        }
        // Timed when written, so that records stay in time order.
        if (!write_exit(wall_clock_ns(), k->first, k->second, true)) return false;
        gone_between_.emplace(k->first, k->second.start_ns);  // a reparent's previous parent
        known_.erase(k);
        it = exiting_.erase(it);
    }
    return true;
}

bool ProcTracker::write_exit(std::uint64_t now, std::uint32_t pid, const Known& k, bool ended)
{
    // Its handle knows how it ended once it was reaped (recent kernels).
    const std::optional<int> status = ended ? k.handle.wait_status() : std::nullopt;
    if (!status) return out_.exit(now, ident_of(pid, k.start_ns), 0, 0, PT_EXIT_CODE_UNKNOWN);
    const DecodedExit d = decode_wait_status(static_cast<std::uint32_t>(*status));
    return out_.exit(now, ident_of(pid, k.start_ns), d.code, d.signal, d.flags);
}

pt_ident ProcTracker::parent_ident(std::uint32_t ppid,
                                   const std::unordered_map<std::uint32_t, std::uint64_t>* scan) const
{
    if (ppid == 0) return ident_of(0, 0);
    if (auto it = known_.find(ppid); it != known_.end()) return ident_of(ppid, it->second.start_ns);
    if (scan)
        if (auto it = scan->find(ppid); it != scan->end()) return ident_of(ppid, it->second);
    return ident_of(ppid, procfs_.start_ns(ppid).value_or(0));
}

bool ProcTracker::apply(const ProcEvent& ev)
{
    switch (ev.kind) {
    case ProcEvent::Kind::Fork: return on_fork(ev);
    case ProcEvent::Kind::Exec: return on_exec(ev);
    case ProcEvent::Kind::Exit: return on_exit(ev);
    case ProcEvent::Kind::Comm: return on_comm(ev);
    case ProcEvent::Kind::Lost: return lost_and_resync(0, PT_LOST_KERNEL_BUFFER);
    case ProcEvent::Kind::Ack: return true;
    }
    return true;
}

bool ProcTracker::on_fork(const ProcEvent& ev)
{
    const std::uint64_t time = wall_from_monotonic(ev.monotonic_ns);
    if (!ev.is_process()) {
        auto it = known_.find(ev.tgid);
        pt_ident owner = ident_of(ev.tgid, it != known_.end() ? it->second.start_ns : 0);
        return out_.thread(time, PT_REC_THREAD_CREATE, owner, ev.pid);
    }
    const std::uint64_t start = ev.start_ns ? *ev.start_ns : start_ns_from_monotonic(ev.monotonic_ns);
    if (auto it = known_.find(ev.tgid); it != known_.end()) {
        // Already reported by the snapshot or a resync that raced this event.
        if (it->second.start_ns == start) return true;
        // A stale entry: its exit was lost. Retire it before the new one.
        if (!out_.exit(time, ident_of(ev.tgid, it->second.start_ns), 0, 0, PT_EXIT_CODE_UNKNOWN)) return false;
        known_.erase(it);
    }
    // At fork the child is a copy of its parent: same name, image, command
    // line and user. The exec that usually follows says what it became.
    ProcInfo child;
    child.pid = ev.tgid;
    child.ppid = ev.parent_tgid;
    child.start_ns = start;
    if (auto pit = known_.find(ev.parent_tgid); pit != known_.end()) {
        const Known& parent = pit->second;
        take_description(child, parent);
    } else if (auto info = procfs_.read(ev.tgid)) {
        // The parent was never reported (events lost): ask /proc, which
        // knows the child (maybe already past its exec).
        take_description(child, *info);
    } else if (!ev.seen_comm.empty()) {
        child.name = ev.seen_comm;
    } else if (auto parent = procfs_.read(ev.parent_tgid)) {
        take_description(child, *parent);
    }
    if (!emit_create(time, child)) return false;
    Known& k = known_[child.pid];
    if (!ev.seen_comm.empty() && ev.seen_comm != child.name) k.name_seen_after_fork = ev.seen_comm;
    return true;
}

bool ProcTracker::emit_create(std::uint64_t time_ns, const ProcInfo& info)
{
    pt_create_args args = create_args_for(info, parent_ident(info.ppid, nullptr));
    if (!out_.create(time_ns, args)) return false;
    remember(info);
    return true;
}

bool ProcTracker::on_exec(const ProcEvent& ev)
{
    const std::uint64_t time = wall_from_monotonic(ev.monotonic_ns);
    auto it = known_.find(ev.tgid);
    if (it == known_.end()) {
        // Never reported (started while events were lost): report it whole.
        if (auto info = procfs_.read(ev.tgid)) return emit_create(time, *info);
        return true;
    }
    Known& k = it->second;
    ProcInfo now;
    now.pid = ev.tgid;
    now.start_ns = k.start_ns;
    // Details read from a process that took the pid since are not its.
    const bool read = ev.details_read && (!ev.start_ns || *ev.start_ns == k.start_ns);
    if (read) {
        now.name = ev.seen_comm.empty() ? k.name : ev.seen_comm;
        now.exe = ev.exe;
        now.cmdline = ev.cmdline;
        now.cmdline_whole = ev.cmdline_whole;
        now.uid = ev.uid != PT_UID_UNKNOWN ? ev.uid : k.uid;
    } else {
        // Gone before it could be read: keep the best name known rather
        // than invent one; its image and command line are unknown.
        now.name = !k.name_seen_after_fork.empty() ? k.name_seen_after_fork : k.name;
        now.uid = k.uid;
    }
    now.user = now.uid == k.uid ? k.user : user_name(now.uid);
    if (!out_.exec(time, exec_args_for(now))) return false;
    take_description(k, now);
    k.name_seen_after_fork.clear();
    k.name_guessed = !read;
    return true;
}

bool ProcTracker::on_exit(const ProcEvent& ev)
{
    const std::uint64_t time = wall_from_monotonic(ev.monotonic_ns);
    const DecodedExit d = decode_wait_status(ev.exit_status);
    auto it = known_.find(ev.tgid);
    // The thread-group leader's exit is the process's exit (the kernel
    // reports it with the group's exit status once the group is done).
    if (!ev.is_process()) {
        pt_ident owner = ident_of(ev.tgid, it != known_.end() ? it->second.start_ns : 0);
        return out_.thread(time, PT_REC_THREAD_EXIT, owner, ev.pid, d.code);
    }
    if (it == known_.end()) return true;  // never reported, so nothing to retire
    if (!name_from_exit_account(ev, it->second, time)) return false;
    const bool ok = out_.exit(time, ident_of(ev.tgid, it->second.start_ns), d.code, d.signal, d.flags);
    known_.erase(it);
    return ok;
}

// A process whose last exec was gone before it could be read carries a
// guessed name; the kernel's exit accounting says what it really was called.
// The account is used only when its lifetime fits this process's start (one
// clock tick for the start's truncation, generous room for the exit path
// between the account and the exit event).
bool ProcTracker::name_from_exit_account(const ProcEvent& ev, Known& k, std::uint64_t time)
{
    if (!k.name_guessed || ev.exit_comm.empty() || ev.exit_comm == k.name || !ev.exit_elapsed_us) return true;
    const std::uint64_t elapsed_ns = *ev.exit_elapsed_us * 1000;
    if (elapsed_ns > ev.monotonic_ns) return true;
    const std::uint64_t started = start_ns_from_monotonic(ev.monotonic_ns - elapsed_ns);
    const std::uint64_t tick = 1'000'000'000ull / procfs_.ticks_per_second();
    constexpr std::uint64_t kExitPathNs = 100'000'000;
    if (started + tick < k.start_ns || started > k.start_ns + tick + kExitPathNs) return true;
    k.name = ev.exit_comm;
    k.name_guessed = false;
    return out_.rename(time, ident_of(ev.tgid, k.start_ns), k.name);
}

bool ProcTracker::on_comm(const ProcEvent& ev)
{
    if (!ev.is_process()) return true;  // a thread's name is not the process's
    auto it = known_.find(ev.tgid);
    if (it == known_.end()) return true;
    it->second.name = ev.comm;
    it->second.name_guessed = false;
    return out_.rename(wall_from_monotonic(ev.monotonic_ns), ident_of(ev.tgid, it->second.start_ns), ev.comm);
}

bool ProcTracker::lost_and_resync(std::uint64_t count, std::uint32_t reason)
{
    if (!out_.events_lost(wall_clock_ns(), count, reason)) return false;
    return resync();
}

bool ProcTracker::lost_and_complete_resync(std::uint64_t count, std::uint32_t reason)
{
    return out_.events_lost(wall_clock_ns(), count, reason) && complete_snapshot(PT_SNAPSHOT_RESYNC);
}

bool ProcTracker::resync()
{
    if (!out_.snapshot_begin(wall_clock_ns(), PT_SNAPSHOT_RESYNC, 0)) return false;
    Scan scan = scan_now();
    if (!emit_difference(scan, wall_clock_ns())) return false;
    return out_.snapshot_end(wall_clock_ns(), PT_SNAPSHOT_RESYNC, 0);
}

bool ProcTracker::poll_difference()
{
    Scan scan = scan_now();
    return emit_difference(scan, wall_clock_ns());
}

bool ProcTracker::emit_exits(const Scan& scan, const std::unordered_map<std::uint32_t, std::uint64_t>& start_of,
                             std::unordered_map<std::uint32_t, std::uint64_t>& gone, std::uint64_t now)
{
    for (auto it = known_.begin(); it != known_.end();) {
        const bool ended = scan.ended.contains(it->first);
        auto s = start_of.find(it->first);
        if (!ended && s != start_of.end() && s->second == it->second.start_ns) {
            ++it;
            continue;
        }
        if (!write_exit(now, it->first, it->second, ended)) return false;
        gone.emplace(it->first, it->second.start_ns);
        it = known_.erase(it);
    }
    return true;
}

bool ProcTracker::emit_difference(Scan& scan, std::uint64_t now)
{
    std::unordered_map<std::uint32_t, std::uint64_t> start_of;
    start_of.reserve(scan.procs.size());
    for (const ProcInfo& p : scan.procs) start_of.emplace(p.pid, p.start_ns);

    // Gone (or pid reused): exits first, so a reused pid's new process
    // never meets its predecessor in the consumer's tree.
    std::unordered_map<std::uint32_t, std::uint64_t> gone;  // pid -> start of what exited
    gone.swap(gone_between_);
    if (!emit_exits(scan, start_of, gone, now)) return false;
    for (const ProcInfo& p : scan.procs) {
        auto it = known_.find(p.pid);
        if (it == known_.end()) {
            pt_create_args args = create_args_for(p, parent_ident(p.ppid, &start_of));
            if (!out_.create(now, args)) return false;
            remember(p);
            take_handle(p.pid, scan, true);
            continue;
        }
        take_handle(p.pid, scan, false);
        Known& k = it->second;
        // Its parent exited and the kernel gave it another (a subreaper, init).
        if (p.ppid != k.ppid) {
            auto dead = gone.find(k.ppid);
            pt_ident previous = dead != gone.end() ? ident_of(k.ppid, dead->second) : parent_ident(k.ppid, &start_of);
            if (!out_.reparent(now, ident_of(p.pid, p.start_ns), parent_ident(p.ppid, &start_of), previous))
                return false;
            k.ppid = p.ppid;
        }
        // Same process; did it exec (or rename) while we were not looking?
        // A zombie has lost its exe and cmdline: that is not a change.
        const bool changed =
            p.name != k.name || (!p.exe.empty() && p.exe != k.exe) || (!p.cmdline.empty() && p.cmdline != k.cmdline);
        if (!changed) continue;
        // Only the name: a rename (kernel workers rename themselves all the
        // time); anything else: it exec'd.
        const bool renamed_only = p.exe == k.exe && p.cmdline == k.cmdline;
        if (renamed_only ? !out_.rename(now, ident_of(p.pid, p.start_ns), p.name) : !out_.exec(now, exec_args_for(p)))
            return false;
        remember(p);
    }
    return true;
}

}  // namespace proctree::collect

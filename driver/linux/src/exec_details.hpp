// Internal: what a new image is, read from /proc right after its exec
// event (the proc connector source's readers), and the details the exec
// thread read waiting for the full stream's reader to meet the same event.
#pragma once

#include "proc_event.hpp"
#include "procfs_text.hpp"

#include <proctree/linux/clock.hpp>
#include <proctree/linux/procfs.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace proctree::collect {

// Details of new images read by the exec thread, waiting for the reader to
// meet the same exec event (same process, same kernel time stamp) in the
// full stream; or that the process was gone when the exec thread looked.
// Bounded: details nobody asked for are dropped oldest first.
class ExecDetailCache {
public:
    void put(ProcEvent&& ev)
    {
        std::lock_guard lock(mutex_);
        if (order_.size() >= kMaxEntries) {
            details_.erase(order_.front());
            order_.pop_front();
        }
        const Key key{ev.tgid, ev.monotonic_ns};
        if (details_
                .emplace(key, Details{std::move(ev.seen_comm), std::move(ev.exe), std::move(ev.cmdline),
                                      ev.cmdline_whole, ev.uid, ev.start_ns, ev.details_read})
                .second)
            order_.push_back(key);
    }

    bool take(ProcEvent& ev)
    {
        std::lock_guard lock(mutex_);
        auto it = details_.find(Key{ev.tgid, ev.monotonic_ns});
        if (it == details_.end()) return false;
        ev.seen_comm = std::move(it->second.comm);
        ev.exe = std::move(it->second.exe);
        ev.cmdline = std::move(it->second.cmdline);
        ev.cmdline_whole = it->second.cmdline_whole;
        ev.uid = it->second.uid;
        ev.start_ns = it->second.start_ns;
        ev.details_read = it->second.read;
        details_.erase(it);  // its key stays in order_ until evicted: harmless
        return true;
    }

private:
    using Key = std::pair<std::uint32_t, std::uint64_t>;
    struct Details {
        std::string comm, exe, cmdline;
        std::uint32_t cmdline_whole;
        std::uint32_t uid;
        std::optional<std::uint64_t> start_ns;
        bool read;  // false: the process was gone already
    };
    static constexpr std::size_t kMaxEntries = 65536;
    std::mutex mutex_;
    std::map<Key, Details> details_;
    std::deque<Key> order_;
};

// Reads the details of processes right after their events (reader thread).
// A /bin/true lives well under a millisecond after its exec, so the order
// matters: first the names of every exec in the batch, newest first (the
// oldest are the likeliest to be gone already), then the rest.
//
// Each /proc file opened costs the kernel a dentry and an inode for that
// process (torn down again at its exit, by the traced workload), so an exec
// is read from two: stat (name, start time and where argv lies, in one read,
// so the name is that of the process with that start) and the exe link;
// argv comes straight from the process's memory.
class Enricher {
public:
    explicit Enricher(std::string root) : root_(std::move(root)), procfs_(root_) {}

    // exits_named: the exit accounting names what has exited, so a process
    // whose exit is already in the batch is not looked for in /proc.
    void enrich(std::vector<ProcEvent>& events, std::size_t first, ExecDetailCache* cache, bool exits_named = false)
    {
        const std::uint64_t boottime_offset = clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
        // The names (which survive while the process is a zombie) of every
        // exec first; the command line and the exe link do not survive.
        argv_of_.assign(events.size(), ArgRange{});
        exited_later_.clear();
        for (std::size_t i = events.size(); i-- > first;) {
            ProcEvent& ev = events[i];
            if (ev.kind == ProcEvent::Kind::Exit && ev.is_process() && exits_named) exited_later_.insert(ev.tgid);
            argv_of_[i].gone = exited_later_.count(ev.tgid) > 0;
            if (ev.kind != ProcEvent::Kind::Exec || (cache && cache->take(ev)) || argv_of_[i].gone) continue;
            if (read_name(ev, argv_of_[i])) argv_of_[i].wanted = true;
        }
        for (std::size_t i = first; i < events.size(); ++i) {
            ProcEvent& ev = events[i];
            if (ev.kind == ProcEvent::Kind::Exec && argv_of_[i].wanted) {
                read_image(ev, argv_of_[i]);
            } else if (ev.kind == ProcEvent::Kind::Fork && ev.is_process()) {
                ev.start_ns = start_ns_of_fork(ev, boottime_offset, argv_of_[i].gone);
            }
        }
    }

private:
    struct ArgRange {
        std::uint64_t start = 0, end = 0;
        bool wanted = false;  // the process was alive: read its image too
        bool gone = false;    // its exit follows in the batch (and will name it)
    };

    // Name, start time and user from one read of stat; false when gone.
    bool read_name(ProcEvent& ev, ArgRange& argv)
    {
        auto f = parse_stat(read_once(ev.tgid, "stat", &ev.uid));
        if (!f) return false;
        ev.seen_comm = std::move(f->comm);
        ev.start_ns = procfs_.start_ns_from_ticks(f->start_ticks);
        ev.details_read = true;
        argv.start = f->arg_start;
        argv.end = f->arg_end;
        // A zombie has no memory left, hence no command line or exe link.
        return f->state != 'Z' && f->state != 'X';
    }

    void read_image(ProcEvent& ev, const ArgRange& argv)
    {
        if (!read_argv(ev, argv)) {
            set_path(ev.tgid, "cmdline");
            CmdlineText cmd = read_cmdline(path_);
            ev.cmdline = std::move(cmd.text);
            ev.cmdline_whole = cmd.whole;
        }
        set_path(ev.tgid, nullptr);
        ev.exe = read_exe_link(path_);
    }

    // argv as exec laid it out: it fits a record and ends in a NUL. Anything
    // else (rewritten by setproctitle, too long, not ours to read) is left
    // to the cmdline file, which knows those rules: false then.
    bool read_argv(ProcEvent& ev, const ArgRange& argv)
    {
        if (argv.start == 0 || argv.end <= argv.start || argv.end - argv.start > PT_MAX_STRING) return false;
        const std::size_t len = argv.end - argv.start;
        iovec local{buf_.data(), len};
        iovec remote{reinterpret_cast<void*>(argv.start), len};
        const ssize_t n = ::process_vm_readv(static_cast<pid_t>(ev.tgid), &local, 1, &remote, 1, 0);
        if (n < 0 && errno == ESRCH) return true;  // gone meanwhile: the file would be empty too
        if (n != static_cast<ssize_t>(len) || buf_[len - 1] != '\0') return false;
        ev.cmdline = join_cmdline({buf_.data(), len});
        ev.cmdline_whole = 0;
        return true;
    }

private:
    // The kernel's starttime is the boot-based start ns truncated to clock
    // ticks; the fork event is stamped a few microseconds after it. Unless a
    // tick boundary lies just before the event, the event's own tick is the
    // start tick, and /proc need not be read at all (a good part of the cost
    // of a fork storm). Near a boundary, /proc/PID/stat decides.
    std::uint64_t start_ns_of_fork(ProcEvent& ev, std::uint64_t boottime_offset, bool gone)
    {
        const std::uint64_t boot_ns = ev.monotonic_ns + boottime_offset;
        const std::uint64_t ns_per_tick = 1'000'000'000ull / procfs_.ticks_per_second();
        // A process already gone meets no later scan to disagree with.
        if (!gone && boot_ns % ns_per_tick < kTickGuardNs) {
            std::string_view text = read_once(ev.tgid, "stat");
            if (auto f = parse_stat(text)) {
                ev.seen_comm = std::move(f->comm);  // a name for the exec, should it come too late
                return procfs_.start_ns_from_ticks(f->start_ticks);
            }
        }
        return procfs_.start_ns_from_ticks(boot_ns / ns_per_tick);
    }

    void set_path(std::uint32_t pid, const char* file)
    {
        path_.assign(root_);
        path_ += '/';
        char digits[16];
        auto r = std::to_chars(digits, digits + sizeof digits, pid);
        path_.append(digits, r.ptr);
        if (file) {
            path_ += '/';
            path_ += file;
        }
    }

    // One read(2): /proc files of a process produce their whole text in one
    // go, so a short read is the end. Empty when unreadable.
    // owner: the file's owner, which for /proc/PID files is the process's
    // effective uid (root when it is not dumpable, e.g. setuid).
    std::string_view read_once(std::uint32_t pid, const char* file, std::uint32_t* owner = nullptr)
    {
        set_path(pid, file);
        int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return {};
        struct stat st {};
        if (owner && ::fstat(fd, &st) == 0) *owner = st.st_uid;
        ssize_t n = ::read(fd, buf_.data(), buf_.size());
        ::close(fd);
        return n > 0 ? std::string_view(buf_.data(), static_cast<std::size_t>(n)) : std::string_view();
    }

    // Far more than the few microseconds between a task's start stamp and
    // its fork event, even with the forking CPU preempted in between.
    static constexpr std::uint64_t kTickGuardNs = 1'000'000;

    std::string root_;
    ProcFs procfs_;
    std::string path_;
    std::vector<ArgRange> argv_of_;
    std::unordered_set<std::uint32_t> exited_later_;
    std::array<char, PT_MAX_STRING + 1> buf_{};
};

}  // namespace proctree::collect

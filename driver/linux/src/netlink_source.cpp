// The proc connector source: a reader thread drains the kernel's events and
// reads what /proc says about each process at once (before a short-lived
// process is gone); the calling thread turns them into records and writes
// them, so a slow sink never delays reading.
#include "netlink_channel.hpp"

#include "proc_event.hpp"
#include "proc_tracker.hpp"
#include "procfs_text.hpp"

#include <proctree/linux/clock.hpp>
#include <proctree/linux/parent_watch.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/core.h>

namespace proctree::collect {

namespace {

// Events waiting for the writer; beyond this the reader drops them and the
// writer resyncs, rather than growing without bound behind a stuck sink.
constexpr std::size_t kMaxQueued = 1'000'000;
constexpr int kPollMs = 100;
// Events read before their details are: small enough that the first exec
// of a burst is looked at promptly.
constexpr std::size_t kBatch = 64;
// While busy, the writer takes what waits this often, or at this many events.
constexpr int kWriteEveryMs = 20;
constexpr std::size_t kWakeWriterAt = 4096;
// Relaxed reader (the exec thread reads names): pause between batches.
constexpr int kRelaxedReadMs = 5;
// PROC_EVENT_EXEC from linux/cn_proc.h.
constexpr std::uint32_t PROC_EVENT_EXEC_MASK = 0x00000002;
// Quiet time after the last loss before the follow-up rescan.
constexpr auto kFollowUpAfter = std::chrono::seconds(1);

// Details of new images read by the exec thread, waiting for the reader to
// meet the same exec event (same process, same kernel time stamp) in the
// full stream. Bounded: details nobody asked for are dropped oldest first.
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
                                      ev.cmdline_whole, ev.uid, ev.start_ns})
                .second)
            order_.push_back(key);
        filled_ = true;
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
        ev.details_read = true;
        details_.erase(it);  // its key stays in order_ until evicted: harmless
        return true;
    }

    bool ever_filled()
    {
        std::lock_guard lock(mutex_);
        return filled_;
    }

private:
    using Key = std::pair<std::uint32_t, std::uint64_t>;
    struct Details {
        std::string comm, exe, cmdline;
        std::uint32_t cmdline_whole;
        std::uint32_t uid;
        std::optional<std::uint64_t> start_ns;
    };
    static constexpr std::size_t kMaxEntries = 65536;
    std::mutex mutex_;
    std::map<Key, Details> details_;
    std::deque<Key> order_;
    bool filled_ = false;
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

    // Reads what a new image is (name, command line, executable, user).
    void read_exec_details(ProcEvent& ev)
    {
        ArgRange argv;
        if (read_name(ev, argv)) read_image(ev, argv);
    }

    void enrich(std::vector<ProcEvent>& events, std::size_t first, ExecDetailCache* cache)
    {
        const std::uint64_t boottime_offset = clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
        // The names (which survive while the process is a zombie) of every
        // exec first; the command line and the exe link do not survive.
        argv_of_.assign(events.size(), ArgRange{});
        for (std::size_t i = events.size(); i-- > first;) {
            ProcEvent& ev = events[i];
            if (ev.kind != ProcEvent::Kind::Exec || (cache && cache->take(ev))) continue;
            if (read_name(ev, argv_of_[i])) argv_of_[i].wanted = true;
        }
        for (std::size_t i = first; i < events.size(); ++i) {
            ProcEvent& ev = events[i];
            if (ev.kind == ProcEvent::Kind::Exec && argv_of_[i].wanted) {
                read_image(ev, argv_of_[i]);
            } else if (ev.kind == ProcEvent::Kind::Fork && ev.is_process()) {
                ev.start_ns = start_ns_of_fork(ev, boottime_offset);
            }
        }
    }

private:
    struct ArgRange {
        std::uint64_t start = 0, end = 0;
        bool wanted = false;  // the process was alive: read its image too
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
    std::uint64_t start_ns_of_fork(ProcEvent& ev, std::uint64_t boottime_offset)
    {
        const std::uint64_t boot_ns = ev.monotonic_ns + boottime_offset;
        const std::uint64_t ns_per_tick = 1'000'000'000ull / procfs_.ticks_per_second();
        if (boot_ns % ns_per_tick < kTickGuardNs) {
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
    std::array<char, PT_MAX_STRING + 1> buf_{};
};

class NetlinkSource final : public Source {
public:
    NetlinkSource(const SourceOptions& options, std::unique_ptr<EventChannel> channel, std::string root,
                  std::unique_ptr<EventChannel> exec_channel)
        : options_(options), channel_(std::move(channel)), exec_channel_(std::move(exec_channel)),
          root_(std::move(root))
    {}

    pt_source kind() const override { return PT_SOURCE_NETLINK; }
    bool resyncs_on_request() const override { return true; }

    int run(ByteSink& sink, const std::atomic<bool>& stop) override
    {
        ProcFs procfs(root_);
        ParentWatch parents(sink, procfs);
        WireWriter out(parents);
        ProcTracker tracker(procfs, out);
        if (!write_linux_stream_header(out, procfs, PT_SOURCE_NETLINK)) return sink_failed();

        // Read from the start so that nothing waits in the kernel while the
        // snapshot is taken; events racing the scan are reconciled by the
        // tracker (a fork it already knows is not reported twice).
        std::thread reader([this] { read_loop(); });
        std::thread exec_reader;
        if (exec_channel_) exec_reader = std::thread([this] { exec_loop(); });
        int status = 0;
        if (!tracker.initial_snapshot()) {
            status = sink_failed();
        } else {
            out.flush();
            status = write_loop(tracker, parents, out, stop);
        }
        {
            std::lock_guard lock(mutex_);
            reader_stop_ = true;
        }
        reader.join();
        if (exec_reader.joinable()) exec_reader.join();
        // What was read before the stop is written too.
        if (status == 0) {
            std::vector<ProcEvent> rest;
            {
                std::lock_guard lock(mutex_);
                rest.swap(queue_);
            }
            for (const ProcEvent& ev : rest) {
                if (ev.kind == ProcEvent::Kind::Lost) follow_up_at_ = std::chrono::steady_clock::now();
                if (!tracker.apply(ev)) return sink_failed();
            }
            // Losses not yet followed up: one last rescan, so that even a
            // recording stopped in the middle of a storm ends converged.
            if (follow_up_at_ && !tracker.resync()) return sink_failed();
            if (!parents.follow(out)) return sink_failed();
        }
        out.flush();
        return status;
    }

private:
    int sink_failed()
    {
        notify("proc connector: the output stopped taking data; stopping");
        return 1;
    }

    void notify(std::string_view message) const
    {
        if (options_.notice) options_.notice(message);
    }

    int write_loop(ProcTracker& tracker, ParentWatch& parents, WireWriter& out, const std::atomic<bool>& stop)
    {
        std::vector<ProcEvent> batch;
        bool batch_was_empty = true;
        while (!stop.load(std::memory_order_relaxed)) {
            std::uint64_t dropped = 0;
            std::string reader_error;
            {
                // While events flow, the writer takes them every kWriteEveryMs
                // (or sooner when many wait) instead of being woken for each:
                // a fork storm costs a few wake-ups a second, not thousands.
                // When idle, the reader wakes it for the first new event.
                std::unique_lock lock(mutex_);
                writer_idle_ = batch_was_empty;
                ready_.wait_for(lock, std::chrono::milliseconds(writer_idle_ ? kPollMs : kWriteEveryMs), [&] {
                    return queue_.size() >= kWakeWriterAt || dropped_ > 0 || reader_done_ ||
                           (writer_idle_ && !queue_.empty());
                });
                writer_idle_ = false;
                batch.swap(queue_);
                batch_was_empty = batch.empty();
                lost_queued_ = false;
                dropped = dropped_;
                dropped_ = 0;
                reader_error = reader_error_;
            }
            if (realtime_refused_.load() && !realtime_refusal_said_) {
                realtime_refusal_said_ = true;
                notify("proc connector: no real-time scheduling here (not root?): short-lived processes may lose "
                       "their names");
            }
            const auto now = std::chrono::steady_clock::now();
            for (const ProcEvent& ev : batch) {
                if (ev.kind == ProcEvent::Kind::Lost) {
                    // Said at most every few seconds: a storm can overrun often.
                    ++overruns_unsaid_;
                    if (now >= next_loss_notice_) {
                        notify(fmt::format("proc connector: the kernel dropped events (receive buffer full, {} "
                                           "time(s)); resyncing from /proc",
                                           overruns_unsaid_));
                        overruns_unsaid_ = 0;
                        next_loss_notice_ = now + std::chrono::seconds(5);
                    }
                    follow_up_at_ = now + kFollowUpAfter;
                }
                if (!tracker.apply(ev)) return sink_failed();
            }
            batch.clear();
            // The kernel re-parented the children of the processes that just exited.
            if (parents.pending() && !parents.follow(out)) return sink_failed();
            if (dropped > 0) {
                notify(fmt::format("proc connector: {} events dropped behind a slow output; resyncing", dropped));
                if (!tracker.lost_and_resync(dropped, PT_LOST_QUEUE_FULL)) return sink_failed();
                follow_up_at_ = now + kFollowUpAfter;
            }
            if (std::uint64_t lost = take_resync_request()) {
                notify(fmt::format("proc connector: the output fell behind and dropped {} records; resyncing", lost));
                if (!tracker.lost_and_complete_resync(lost, PT_LOST_QUEUE_FULL)) return sink_failed();
            }
            // A congested socket can drop more than it reports around an
            // overrun; once losses have stopped for a while, one more rescan
            // makes sure the stream converged.
            if (follow_up_at_ && now >= *follow_up_at_) {
                follow_up_at_.reset();
                if (!tracker.resync()) return sink_failed();
            }
            if (!reader_error.empty()) {
                notify(reader_error);
                return 1;
            }
            out.flush();
        }
        return 0;
    }

    // The exec thread: only exec events reach it, and it reads each new
    // image's details at once, at real-time priority where permitted. The
    // full stream's reader then needs no haste and takes events in batches.
    void exec_loop()
    {
        set_realtime(true);
        Enricher enricher(root_);
        std::vector<std::byte> buf(64 * 1024);
        std::vector<ProcEvent> events;
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                if (reader_stop_) break;
            }
            long n = exec_channel_->receive(buf.data(), buf.size(), kPollMs);
            if (n <= 0) continue;  // an overrun here only costs names: the main stream still has the events
            events.clear();
            parse_proc_connector({buf.data(), static_cast<std::size_t>(n)}, events);
            for (ProcEvent& ev : events) {
                if (ev.kind != ProcEvent::Kind::Exec) continue;
                enricher.read_exec_details(ev);
                if (ev.details_read) exec_details_.put(std::move(ev));
            }
        }
    }

    void read_loop()
    {
        // Real-time until the exec thread proves it works (kernels before
        // 6.6 cannot filter events for it); then batches at normal priority.
        bool realtime = set_realtime(true);
        bool relaxed = false;
        Enricher enricher(root_);
        std::vector<std::byte> buf(64 * 1024);
        std::vector<ProcEvent> events;
        // After an overrun the kernel stays "congested" until the receive
        // queue is empty, and drops more datagrams without another ENOBUFS
        // meanwhile. So the loss is handed over (and the resync scan done)
        // only once the queue was seen empty: that scan covers every drop.
        bool loss = false;
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                if (reader_stop_) break;
            }
            long n = channel_->receive(buf.data(), buf.size(), kPollMs);
            // Drain what is there before handing over: one lock per batch.
            while (n != 0) {
                if (n == -ENOBUFS) {
                    loss = true;
                } else if (n < 0) {
                    std::lock_guard lock(mutex_);
                    reader_error_ =
                        fmt::format("proc connector: receive failed: {}", std::strerror(static_cast<int>(-n)));
                    reader_done_ = true;
                    ready_.notify_one();
                    return;
                } else {
                    parse_proc_connector({buf.data(), static_cast<std::size_t>(n)}, events);
                }
                if (events.size() >= kBatch) break;
                n = channel_->receive(buf.data(), buf.size(), 0);
            }
            if (!events.empty()) enricher.enrich(events, 0, exec_channel_ ? &exec_details_ : nullptr);
            if (loss && n == 0) {
                events.emplace_back().kind = ProcEvent::Kind::Lost;
                loss = false;
            }
            if (!events.empty()) hand_over(events);
            if (!relaxed && exec_channel_ && exec_details_.ever_filled()) {
                relaxed = true;
                if (realtime) set_realtime(false);
            }
            // Relaxed, the reader lets events gather (the receive buffer
            // holds seconds of a storm) instead of waking for each one.
            if (relaxed && n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(kRelaxedReadMs));
        }
        if (loss) {  // stopped before the queue was seen empty: still say so
            events.emplace_back().kind = ProcEvent::Kind::Lost;
            hand_over(events);
        }
        std::lock_guard lock(mutex_);
        reader_done_ = true;
    }

    // A process like /bin/true is gone well under a millisecond after its
    // exec; on a busy machine a normal thread waits longer than that for a
    // CPU and its /proc reads come too late. Where permitted (root), the
    // reader runs at the lowest real-time priority: it preempts ordinary work
    // the moment an event arrives, and it only ever blocks or reads.
    bool set_realtime(bool on)
    {
        if (on && !options_.realtime_reader) return false;
        sched_param param{};
        param.sched_priority = on ? sched_get_priority_min(SCHED_FIFO) : 0;
        if (pthread_setschedparam(pthread_self(), on ? SCHED_FIFO : SCHED_OTHER, &param) == 0) return true;
        if (on) realtime_refused_.store(true);  // said by the writer: notices come from run()'s thread
        return false;
    }

    void hand_over(std::vector<ProcEvent>& events)
    {
        std::lock_guard lock(mutex_);
        for (ProcEvent& ev : events) {
            if (ev.kind == ProcEvent::Kind::Lost) {
                // One pending resync covers every loss before the writer gets to it.
                if (lost_queued_) continue;
                lost_queued_ = true;
            } else if (queue_.size() >= kMaxQueued) {
                ++dropped_;
                continue;
            }
            queue_.push_back(std::move(ev));
        }
        events.clear();
        if (writer_idle_ || queue_.size() >= kWakeWriterAt || lost_queued_) ready_.notify_one();
    }

    SourceOptions options_;
    std::unique_ptr<EventChannel> channel_;
    std::unique_ptr<EventChannel> exec_channel_;
    std::string root_;
    ExecDetailCache exec_details_;
    std::atomic<bool> realtime_refused_{false};
    bool realtime_refusal_said_ = false;  // writer thread only
    std::uint64_t overruns_unsaid_ = 0;   // writer thread only
    std::chrono::steady_clock::time_point next_loss_notice_{};

    std::mutex mutex_;
    std::condition_variable ready_;
    std::vector<ProcEvent> queue_;
    bool lost_queued_ = false;
    bool writer_idle_ = false;
    std::uint64_t dropped_ = 0;
    bool reader_stop_ = false;
    bool reader_done_ = false;
    std::string reader_error_;
    std::optional<std::chrono::steady_clock::time_point> follow_up_at_;  // writer thread only
};

}  // namespace

std::unique_ptr<Source> make_netlink_source_on(const SourceOptions& options, std::unique_ptr<EventChannel> channel,
                                               std::string proc_root, std::unique_ptr<EventChannel> exec_channel)
{
    return std::make_unique<NetlinkSource>(options, std::move(channel), std::move(proc_root), std::move(exec_channel));
}

std::unique_ptr<Source> make_netlink_source(const SourceOptions& options, std::string& why_not)
{
    auto channel = open_proc_connector(options.receive_buffer, why_not);
    if (!channel) return nullptr;
    if (options.notice) options.notice(fmt::format("proc connector: subscribed, {}", channel->describe()));
    return make_netlink_source_on(options, std::move(channel), "/proc",
                                  options.realtime_reader ? open_proc_connector_filtered(PROC_EVENT_EXEC_MASK)
                                                          : nullptr);
}

}  // namespace proctree::collect

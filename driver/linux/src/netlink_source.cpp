// The proc connector source: a reader thread drains the kernel's events and
// reads what /proc says about each process at once (before a short-lived
// process is gone); the calling thread turns them into records and writes
// them, so a slow sink never delays reading.
#include "netlink_channel.hpp"

#include "exec_details.hpp"
#include "exit_accounting.hpp"
#include "proc_event.hpp"
#include "proc_tracker.hpp"
#include "storm_gauge.hpp"

#include <proctree/linux/clock.hpp>
#include <proctree/linux/parent_watch.hpp>

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
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
// In a storm of execs (StormGauge), with the exit accounting there, the
// exec thread stands aside: its wake-up and /proc files per exec are most
// of what the traced workload pays. The full stream's reader reads the
// execs in its batches instead (a few ms later): what is still there is
// read whole, what is gone costs one failed open (none when its exit is in
// the same batch) and is named by the exit accounting. Once the storm is
// over, the exec thread reads each exec at once again.
// How often the exec thread, standing aside, looks whether the storm ended.
constexpr int kStandAsidePollMs = 20;

class NetlinkSource final : public Source {
public:
    NetlinkSource(const SourceOptions& options, std::unique_ptr<EventChannel> channel, std::string root,
                  std::unique_ptr<EventChannel> exec_channel, std::unique_ptr<EventChannel> exit_channel)
        : options_(options), channel_(std::move(channel)), exec_channel_(std::move(exec_channel)),
          exit_channel_(std::move(exit_channel)), root_(std::move(root))
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
            if (storm_seen_.load(std::memory_order_relaxed) && !storm_said_) {
                storm_said_ = true;
                notify(fmt::format("proc connector: a storm of execs (over {}/s): processes gone within a few ms are "
                                   "named from the exit accounting, without command line or executable",
                                   StormGauge::kExecsPerSecond));
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
    // In a storm it stands aside (the reader says when): its socket
    // overflows meanwhile, and what waited there is dropped on return.
    void exec_loop()
    {
        pthread_setname_np(pthread_self(), "pt-exec");  // for top -H and perf
        set_realtime(true);
        Enricher enricher(root_);
        std::vector<std::byte> buf(64 * 1024);
        std::vector<ProcEvent> events;
        bool stood_aside = false;
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                if (reader_stop_) break;
            }
            if (exec_thread_aside_.load(std::memory_order_relaxed)) {
                stood_aside = true;
                std::this_thread::sleep_for(std::chrono::milliseconds(kStandAsidePollMs));
                continue;
            }
            if (stood_aside) {  // the reader had those execs: stale here
                stood_aside = false;
                while (exec_channel_->receive(buf.data(), buf.size(), 0) != 0) {}
            }
            // An overrun here only costs names: the main stream still has the events.
            long n = exec_channel_->receive(buf.data(), buf.size(), kPollMs);
            if (n <= 0) continue;
            events.clear();
            parse_proc_connector({buf.data(), static_cast<std::size_t>(n)}, events);
            std::erase_if(events, [](const ProcEvent& ev) { return ev.kind != ProcEvent::Kind::Exec; });
            if (events.empty()) continue;
            exec_thread_heard_.store(true, std::memory_order_relaxed);
            enricher.enrich(events, 0, nullptr);
            // Those gone too are put: the reader need not try them again.
            for (ProcEvent& ev : events) exec_details_.put(std::move(ev));
        }
    }

    void read_loop()
    {
        pthread_setname_np(pthread_self(), "pt-events");
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
            if (exec_channel_ && exit_channel_) gauge_storm(events);
            if (!events.empty()) {
                enricher.enrich(events, 0, exec_channel_ ? &exec_details_ : nullptr, exit_channel_ != nullptr);
                if (exit_channel_) name_exits(events);
            }
            if (loss && n == 0) {
                events.emplace_back().kind = ProcEvent::Kind::Lost;
                loss = false;
                // Exits the kernel dropped leave their accounts unclaimed.
                if (exit_channel_) distrust_exit_accounts();
            }
            if (!events.empty()) hand_over(events);
            if (!relaxed && exec_channel_ && exec_thread_heard_.load(std::memory_order_relaxed)) {
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

    // Counts the execs of a batch; in a storm, the exec thread stands aside.
    void gauge_storm(const std::vector<ProcEvent>& events)
    {
        const auto execs = std::count_if(events.begin(), events.end(),
                                         [](const ProcEvent& ev) { return ev.kind == ProcEvent::Kind::Exec; });
        storm_.count(static_cast<std::uint64_t>(execs), clock_ns(CLOCK_MONOTONIC));
        exec_thread_aside_.store(storm_.on(), std::memory_order_relaxed);
        if (storm_.on()) storm_seen_.store(true, std::memory_order_relaxed);
    }

    // Gives each exit in `events` the kernel's account of it. The account
    // was sent before the exit event, so it waits on the channel by now.
    void name_exits(std::vector<ProcEvent>& events)
    {
        drain_exit_accounts();
        for (ProcEvent& ev : events) {
            if (ev.kind != ProcEvent::Kind::Exit) continue;
            std::optional<ExitAccount> account = exit_accounts_.take(ev.pid);
            // Before a loss, the account taken may be another's: unused.
            if (!account || ev.monotonic_ns < exit_accounts_trusted_from_) continue;
            ev.exit_comm = std::move(account->comm);
            ev.exit_elapsed_us = account->elapsed_us;
        }
    }

    void drain_exit_accounts()
    {
        exit_parsed_.clear();
        const bool overran = receive_exit_accounts(&exit_parsed_);
        for (ExitAccount& a : exit_parsed_) exit_accounts_.add(std::move(a));
        if (overran) distrust_exit_accounts();
    }

    // After a loss on either stream, the accounts waiting may not match the
    // exits to come: all are dropped, and exits from before now take none.
    void distrust_exit_accounts()
    {
        receive_exit_accounts(nullptr);
        exit_accounts_.forget_all();
        exit_accounts_trusted_from_ = clock_ns(CLOCK_MONOTONIC);
    }

    // Reads what waits on the exit channel, parsed into `into` (or dropped
    // when null); true when the channel overran meanwhile.
    bool receive_exit_accounts(std::vector<ExitAccount>* into)
    {
        bool overran = false;
        for (long n; (n = exit_channel_->receive(exit_buf_.data(), exit_buf_.size(), 0)) != 0;) {
            if (n == -ENOBUFS) {
                overran = true;
            } else if (n < 0) {
                break;  // names only: the exits themselves come from the proc connector
            } else if (into) {
                parse_exit_accounting({exit_buf_.data(), static_cast<std::size_t>(n)}, *into);
            }
        }
        return overran;
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
    std::unique_ptr<EventChannel> exit_channel_;
    std::string root_;
    // Reader thread only: the exit accounts waiting for their exit events.
    ExitAccounts exit_accounts_;
    std::uint64_t exit_accounts_trusted_from_ = 0;  // CLOCK_MONOTONIC ns
    std::vector<std::byte> exit_buf_ = std::vector<std::byte>(64 * 1024);
    std::vector<ExitAccount> exit_parsed_;  // reused batch after batch
    std::atomic<bool> exec_thread_heard_{false};
    StormGauge storm_;  // reader thread only
    std::atomic<bool> exec_thread_aside_{false};
    std::atomic<bool> storm_seen_{false};
    bool storm_said_ = false;  // writer thread only
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
                                               std::string proc_root, std::unique_ptr<EventChannel> exec_channel,
                                               std::unique_ptr<EventChannel> exit_channel)
{
    return std::make_unique<NetlinkSource>(options, std::move(channel), std::move(proc_root), std::move(exec_channel),
                                           std::move(exit_channel));
}

std::unique_ptr<Source> make_netlink_source(const SourceOptions& options, std::string& why_not)
{
    auto channel = open_proc_connector(options.receive_buffer, why_not);
    if (!channel) return nullptr;
    if (options.notice) options.notice(fmt::format("proc connector: subscribed, {}", channel->describe()));
    std::unique_ptr<EventChannel> exec_channel, exit_channel;
    if (options.realtime_reader) {
        exec_channel = open_proc_connector_filtered(PROC_EVENT_EXEC_MASK);
        std::string no_accounting;
        exit_channel = open_exit_accounting(no_accounting);
        if (!exit_channel && options.notice)
            options.notice(fmt::format("{}: in a storm, processes gone before /proc is read keep their parent's name",
                                       no_accounting));
    }
    return make_netlink_source_on(options, std::move(channel), "/proc", std::move(exec_channel),
                                  std::move(exit_channel));
}

}  // namespace proctree::collect

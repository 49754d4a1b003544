// The proc connector source: a reader thread drains the kernel's events and
// reads what /proc says about each process at once (before a short-lived
// process is gone); the calling thread turns them into records and writes
// them, so a slow sink never delays reading.
#include "netlink_channel.hpp"

#include "proc_event.hpp"
#include "proc_tracker.hpp"
#include "procfs_text.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <fmt/core.h>

namespace proctree::collect {

namespace {

// Events waiting for the writer; beyond this the reader drops them and the
// writer resyncs, rather than growing without bound behind a stuck sink.
constexpr std::size_t kMaxQueued = 1'000'000;
constexpr int kPollMs = 100;

// Reads the details of a process right after its event (reader thread).
class Enricher {
public:
    explicit Enricher(std::string root) : root_(std::move(root)) {}

    void enrich(ProcEvent& ev)
    {
        if (ev.kind == ProcEvent::Kind::Fork && ev.is_process()) {
            if (read_small_file(path(ev.tgid, "stat"), text_, 4096))
                if (auto f = parse_stat(text_)) {
                    ev.start_ns = procfs_.start_ns_from_ticks(f->start_ticks);
                    ev.seen_comm = std::move(f->comm);
                }
        } else if (ev.kind == ProcEvent::Kind::Exec) {
            // comm first: it survives while the process is a zombie, the
            // command line and the exe link do not.
            if (!read_small_file(path(ev.tgid, "comm"), text_, 256)) return;
            if (!text_.empty() && text_.back() == '\n') text_.pop_back();
            ev.seen_comm = text_;
            ev.details_read = true;
            if (read_small_file(path(ev.tgid, "cmdline"), text_, PT_MAX_STRING + 1)) ev.cmdline = join_cmdline(text_);
            ev.exe = read_exe_link(path(ev.tgid, ""));
            struct stat st {};
            // The owner of /proc/PID is the effective uid (root when the
            // process is not dumpable, e.g. setuid).
            if (::stat(path(ev.tgid, "").c_str(), &st) == 0) ev.uid = st.st_uid;
        }
    }

private:
    std::string path(std::uint32_t pid, const char* file)
    {
        std::string p = fmt::format("{}/{}", root_, pid);
        if (*file) {
            p += '/';
            p += file;
        }
        return p;
    }

    std::string root_;
    ProcFs procfs_{root_};
    std::string text_;
};

class NetlinkSource final : public Source {
public:
    NetlinkSource(const SourceOptions& options, std::unique_ptr<EventChannel> channel, std::string root)
        : options_(options), channel_(std::move(channel)), root_(std::move(root))
    {
    }

    pt_source kind() const override { return PT_SOURCE_NETLINK; }

    int run(ByteSink& sink, const std::atomic<bool>& stop) override
    {
        ProcFs procfs(root_);
        WireWriter out(sink);
        ProcTracker tracker(procfs, out);
        if (!write_linux_stream_header(out, procfs, PT_SOURCE_NETLINK)) return sink_failed();

        // Read from the start so that nothing waits in the kernel while the
        // snapshot is taken; events racing the scan are reconciled by the
        // tracker (a fork it already knows is not reported twice).
        std::thread reader([this] { read_loop(); });
        int status = 0;
        if (!tracker.initial_snapshot()) {
            status = sink_failed();
        } else {
            out.flush();
            status = write_loop(tracker, out, stop);
        }
        {
            std::lock_guard lock(mutex_);
            reader_stop_ = true;
        }
        reader.join();
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

    int write_loop(ProcTracker& tracker, WireWriter& out, const std::atomic<bool>& stop)
    {
        std::vector<ProcEvent> batch;
        while (!stop.load(std::memory_order_relaxed)) {
            std::uint64_t dropped = 0;
            std::string reader_error;
            {
                std::unique_lock lock(mutex_);
                ready_.wait_for(lock, std::chrono::milliseconds(kPollMs),
                                [&] { return !queue_.empty() || dropped_ > 0 || reader_done_; });
                batch.swap(queue_);
                lost_queued_ = false;
                dropped = dropped_;
                dropped_ = 0;
                reader_error = reader_error_;
            }
            for (const ProcEvent& ev : batch) {
                if (ev.kind == ProcEvent::Kind::Lost)
                    notify("proc connector: the kernel dropped events (receive buffer full); resyncing from /proc");
                if (!tracker.apply(ev)) return sink_failed();
            }
            batch.clear();
            if (dropped > 0) {
                notify(fmt::format("proc connector: {} events dropped behind a slow output; resyncing", dropped));
                if (!tracker.lost_and_resync(dropped, PT_LOST_QUEUE_FULL)) return sink_failed();
            }
            if (!reader_error.empty()) {
                notify(reader_error);
                return 1;
            }
            out.flush();
        }
        return 0;
    }

    void read_loop()
    {
        Enricher enricher(root_);
        std::vector<std::byte> buf(256 * 1024);
        std::vector<ProcEvent> events;
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                if (reader_stop_) break;
            }
            long n = channel_->receive(buf.data(), buf.size(), kPollMs);
            // Drain what is there before handing over: one lock per batch.
            while (n != 0) {
                if (n == -ENOBUFS) {
                    events.emplace_back().kind = ProcEvent::Kind::Lost;
                } else if (n < 0) {
                    std::lock_guard lock(mutex_);
                    reader_error_ = fmt::format("proc connector: receive failed: {}", std::strerror(static_cast<int>(-n)));
                    reader_done_ = true;
                    ready_.notify_one();
                    return;
                } else {
                    const std::size_t first = events.size();
                    parse_proc_connector({buf.data(), static_cast<std::size_t>(n)}, events);
                    for (std::size_t i = first; i < events.size(); ++i) enricher.enrich(events[i]);
                }
                if (events.size() >= 4096) break;
                n = channel_->receive(buf.data(), buf.size(), 0);
            }
            if (!events.empty()) hand_over(events);
        }
        std::lock_guard lock(mutex_);
        reader_done_ = true;
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
        ready_.notify_one();
    }

    SourceOptions options_;
    std::unique_ptr<EventChannel> channel_;
    std::string root_;

    std::mutex mutex_;
    std::condition_variable ready_;
    std::vector<ProcEvent> queue_;
    bool lost_queued_ = false;
    std::uint64_t dropped_ = 0;
    bool reader_stop_ = false;
    bool reader_done_ = false;
    std::string reader_error_;
};

} // namespace

std::unique_ptr<Source> make_netlink_source_on(const SourceOptions& options, std::unique_ptr<EventChannel> channel,
                                               std::string proc_root)
{
    return std::make_unique<NetlinkSource>(options, std::move(channel), std::move(proc_root));
}

std::unique_ptr<Source> make_netlink_source(const SourceOptions& options, std::string& why_not)
{
    auto channel = open_proc_connector(options.receive_buffer, why_not);
    if (!channel) return nullptr;
    if (options.notice) options.notice(fmt::format("proc connector: subscribed, {}", channel->describe()));
    return make_netlink_source_on(options, std::move(channel), "/proc");
}

} // namespace proctree::collect

// The /proc polling source: for machines where no event source may run
// (no privilege). It rescans /proc every interval and reports the
// difference, so it misses whatever lives shorter than an interval. It
// holds a pidfd on each process it reports, so that a pid reused within one
// clock tick (the same (pid, start) again) is still a new process.
#include "pidfd.hpp"
#include "proc_tracker.hpp"

#include <proctree/linux/source.hpp>

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

namespace proctree::collect {

namespace {

class PollSource final : public Source {
public:
    explicit PollSource(const SourceOptions& options) : options_(options) {}

    pt_source kind() const override { return PT_SOURCE_POLL; }
    bool resyncs_on_request() const override { return true; }

    int run(ByteSink& sink, const std::atomic<bool>& stop) override
    {
        ProcFs procfs;
        WireWriter out(sink);
        raise_open_file_limit();
        Pidfds pidfds;
        const bool same_pids = proc_shows_our_pids(procfs.root());
        ProcTracker tracker(procfs, out, same_pids ? &pidfds : nullptr);
        if (!write_linux_stream_header(out, procfs, PT_SOURCE_POLL) || !tracker.initial_snapshot())
            return sink_failed();
        out.flush();
        say_what_pidfds_miss(pidfds, tracker, same_pids);
        using clock = std::chrono::steady_clock;
        auto next = clock::now() + options_.poll_interval;
        while (!stop.load(std::memory_order_relaxed)) {
            if (std::uint64_t lost = take_resync_request()) {
                if (options_.notice)
                    options_.notice(
                        fmt::format("poll: the output fell behind and dropped {} records; resyncing", lost));
                if (!tracker.lost_and_complete_resync(lost, PT_LOST_QUEUE_FULL)) return sink_failed();
                out.flush();
            }
            // Wait in short steps so that a stop is seen within 100 ms; the
            // exits the pidfds report meanwhile are written as they come
            // (once reaped: a parent reaps its child within milliseconds).
            auto now = clock::now();
            if (now < next) {
                const auto most = std::chrono::milliseconds(tracker.exits_pending() ? 5 : 100);
                const auto step =
                    std::chrono::ceil<std::chrono::milliseconds>(std::min<clock::duration>(next - now, most));
                const std::uint64_t written = out.records_written();
                if (!tracker.exits_between_scans(pidfds.wait_for_exits(static_cast<int>(step.count()))))
                    return sink_failed();
                if (out.records_written() != written) out.flush();
                continue;
            }
            next = now + options_.poll_interval;
            if (!tracker.poll_difference()) return sink_failed();
            out.flush();
            say_what_pidfds_miss(pidfds, tracker, same_pids);
        }
        out.flush();
        return 0;
    }

private:
    // Once: where the source falls back to (pid, start) alone.
    void say_what_pidfds_miss(const Pidfds& pidfds, const ProcTracker& tracker, bool same_pids)
    {
        if (said_pidfds_missing_ || !options_.notice) return;
        if (!same_pids) {
            options_.notice("poll: /proc shows another pid namespace than this process's, so no pidfds: a pid "
                            "reused within one clock tick will be taken for its predecessor");
        } else if (!pidfds.supported()) {
            options_.notice("poll: this kernel has no pidfd_open: a pid reused within one clock tick will be "
                            "taken for its predecessor");
        } else if (tracker.without_handle() > 0) {
            options_.notice(fmt::format("poll: {} processes are watched without a pidfd ({}): a reuse of their "
                                        "pid within one clock tick will be taken for them",
                                        tracker.without_handle(), std::strerror(tracker.last_handle_error())));
        } else {
            return;
        }
        said_pidfds_missing_ = true;
    }

    int sink_failed()
    {
        if (options_.notice) options_.notice("poll: the output stopped taking data; stopping");
        return 1;
    }

    SourceOptions options_;
    bool said_pidfds_missing_ = false;
};

}  // namespace

std::unique_ptr<Source> make_poll_source(const SourceOptions& options, std::string& why_not)
{
    if (options.poll_interval.count() <= 0) {
        why_not = "poll: the interval must be positive";
        return nullptr;
    }
    if (options.notice)
        options.notice(fmt::format("polling /proc every {} ms: processes shorter-lived than that will be missed",
                                   options.poll_interval.count()));
    return std::make_unique<PollSource>(options);
}

}  // namespace proctree::collect

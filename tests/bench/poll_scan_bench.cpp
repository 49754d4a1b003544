// The poll source's rescan with a pidfd per process against the same rescan
// keeping to (pid, start) alone (its peer: the scan before pidfds), on the
// real /proc with 1,000 extra sleeping processes. Alternating scans of one
// run; median and p90 of 200 each, and the ratio of the medians.
// Not run by ctest: ./tests/bench/poll_scan_bench
#include "pidfd.hpp"
#include "proc_tracker.hpp"

#include <proctree/linux/procfs.hpp>
#include <proctree/linux/snapshot.hpp>

#include <fmt/core.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace proctree::collect;

namespace {

constexpr int kSleepers = 1000;
constexpr int kScans = 200;

class NullSink final : public ByteSink {
public:
    bool write(const void*, std::size_t) override { return true; }
    void flush() override {}
};

double scan_ms(ProcTracker& tracker, WireWriter& out)
{
    const auto t0 = std::chrono::steady_clock::now();
    tracker.poll_difference();
    out.flush();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double percentile(std::vector<double> v, double q)
{
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main()
{
    raise_open_file_limit();
    std::vector<pid_t> sleepers;
    for (int i = 0; i < kSleepers; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            ::pause();
            ::_exit(0);
        }
        if (pid > 0) sleepers.push_back(pid);
    }
    ProcFs fs;
    NullSink sink_a, sink_b;
    WireWriter out_a(sink_a), out_b(sink_b);
    Pidfds pidfds;
    ProcTracker plain(fs, out_a), held(fs, out_b, &pidfds);
    plain.initial_snapshot();
    held.initial_snapshot();
    std::vector<double> a, b;
    for (int i = 0; i < kScans; ++i) {
        if (i % 2) {
            a.push_back(scan_ms(plain, out_a));
            b.push_back(scan_ms(held, out_b));
        } else {
            b.push_back(scan_ms(held, out_b));
            a.push_back(scan_ms(plain, out_a));
        }
    }
    fmt::print("{} processes, {} pidfds held, {} without\n", held.known_processes(), pidfds.held(),
               held.without_handle());
    fmt::print("scan, (pid, start) alone: median {:.2f} ms, p90 {:.2f} ms\n", percentile(a, 0.5), percentile(a, 0.9));
    fmt::print("scan, a pidfd each:       median {:.2f} ms, p90 {:.2f} ms\n", percentile(b, 0.5), percentile(b, 0.9));
    fmt::print("ratio of medians (pidfds / alone): {:.3f}\n", percentile(b, 0.5) / percentile(a, 0.5));
    for (pid_t pid : sleepers) ::kill(pid, SIGKILL);
    for (pid_t pid : sleepers) ::waitpid(pid, nullptr, 0);
    return 0;
}

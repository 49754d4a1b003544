// Time travel benchmark: a seek anywhere in a recording of 1 M and 10 M
// records (restore the nearest checkpoint, replay the rest of its interval)
// against the peer a viewer without checkpoints has: replaying the stream
// from its start to the same time. Also the index's build time and memory.
//   build/tests/bench/timeline_bench [records...]   (default: 1000000 10000000)
// The recording is held in memory, as the viewer holds a mapped file.
#include "../support/random_stream.hpp"

#include <proctree/model/feed.hpp>
#include <proctree/model/timeline.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <ctime>
#include <vector>

using namespace proctree;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// This thread's CPU time: the machine may be shared, wall time then overstates.
double cpu_ms()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// The peer: a replay from the start that stops at the first record after t.
class ReplayUntil final : public model::RecordHandler {
public:
    ReplayUntil(model::ProcessTree& tree, std::uint64_t t) : tree_(tree), t_(t) {}
    void on_header(const model::StreamHeader& h) override { tree_.apply_header(h); }
    void on_record(const model::Record& r) override
    {
        if (r.time_ns > t_) stopped_ = true;
        if (!stopped_) tree_.apply(r);
    }

private:
    model::ProcessTree& tree_;
    std::uint64_t t_;
    bool stopped_ = false;
};

void run(std::size_t records)
{
    testing::RandomStreamShape shape;
    shape.records = records;
    shape.pid_space = 4096;         // a busy machine: a few thousand processes
    shape.mean_gap_ns = 200'000;    // 5,000 records/s: 10 M records are ~33 min
    shape.rare_per_mille = 0;       // churn only (no resync snapshots)
    shape.living_parent_in_10 = 9;  // most parents alive: a tree, not thousands of roots
    auto t0 = Clock::now();
    std::string stream = testing::RandomStream(7, shape).build();
    double gen_ms = ms_since(t0);
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(stream.data()), stream.size());

    t0 = Clock::now();
    model::Timeline timeline(bytes);
    timeline.build_all();
    double index_ms = ms_since(t0);

    std::mt19937_64 rng(1);
    std::uint64_t span = timeline.last_ns() - timeline.first_ns();
    auto random_time = [&] { return timeline.first_ns() + rng() % (span + 1); };
    model::ProcessTree viewer;
    std::vector<double> seek_ms, seek_cpu;
    for (int i = 0; i < 200; ++i) {
        std::uint64_t t = random_time();
        auto s0 = Clock::now();
        double c0 = cpu_ms();
        timeline.seek(viewer, t);
        seek_cpu.push_back(cpu_ms() - c0);
        seek_ms.push_back(ms_since(s0));
    }
    // The viewer's seek: the event log (10,000 lines) and spawner counts too.
    std::vector<double> full_ms, full_cpu;
    model::EventLog log;
    model::SpawnerCounts spawners;
    for (int i = 0; i < 100; ++i) {
        std::uint64_t t = random_time();
        auto s0 = Clock::now();
        double c0 = cpu_ms();
        timeline.seek(model::SeekTarget{viewer, &log, &spawners}, t);
        full_cpu.push_back(cpu_ms() - c0);
        full_ms.push_back(ms_since(s0));
    }
    std::vector<double> replay_ms, replay_cpu;
    for (int i = 0; i < 3; ++i) {
        std::uint64_t t = random_time();
        auto s0 = Clock::now();
        double c0 = cpu_ms();
        model::ProcessTree tree;
        model::StreamDecoder d;
        ReplayUntil r(tree, t);
        d.feed(stream, r);
        tree.advance(t);
        replay_cpu.push_back(cpu_ms() - c0);
        replay_ms.push_back(ms_since(s0));
    }
    double seek_med = percentile(seek_ms, 0.5), replay_med = percentile(replay_ms, 0.5);
    fmt::print("records {:>10}  stream {:>6.0f} MB  span {:.0f} s  processes at the end {}\n", timeline.records(),
               stream.size() / 1e6, span / 1e9, viewer.size());
    fmt::print("  index build {:>8.0f} ms  ({:.2f} M records/s)  checkpoints {}, at most {} records apart, {:.1f} MB\n",
               index_ms, timeline.records() / index_ms / 1e3, timeline.checkpoints(), timeline.records_per_checkpoint(),
               timeline.checkpoint_bytes() / 1e6);
    fmt::print("  seek (200 random)        median {:>7.2f} ms  p99 {:>7.2f} ms  max {:>7.2f} ms\n", seek_med,
               percentile(seek_ms, 0.99), *std::max_element(seek_ms.begin(), seek_ms.end()));
    fmt::print("  seek CPU time            median {:>7.2f} ms  p99 {:>7.2f} ms  max {:>7.2f} ms\n",
               percentile(seek_cpu, 0.5), percentile(seek_cpu, 0.99),
               *std::max_element(seek_cpu.begin(), seek_cpu.end()));
    fmt::print("  seek + log + spawners    median {:>7.2f} ms  p99 {:>7.2f} ms  max {:>7.2f} ms  (100 random; CPU "
               "median {:.2f} p99 {:.2f} ms)\n",
               percentile(full_ms, 0.5), percentile(full_ms, 0.99), *std::max_element(full_ms.begin(), full_ms.end()),
               percentile(full_cpu, 0.5), percentile(full_cpu, 0.99));
    fmt::print("  peer: replay from start  median {:>7.1f} ms  CPU {:.1f} ms  (3 random times)\n", replay_med,
               percentile(replay_cpu, 0.5));
    fmt::print("  ratio replay/seek (median) {:.0f}x   (stream generated in {:.0f} ms)\n", replay_med / seek_med,
               gen_ms);
}

}  // namespace

int main(int argc, char** argv)
{
    std::vector<std::size_t> sizes;
    for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
    if (sizes.empty()) sizes = {1'000'000, 10'000'000};
    for (std::size_t n : sizes) run(n);
}

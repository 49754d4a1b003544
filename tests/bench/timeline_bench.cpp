// Time travel benchmark: a seek anywhere in a recording of 1 M and 10 M
// records, as the viewer does it (restore the nearest checkpoint, replay the
// rest of its interval into the tree, the event log and the spawner counts),
// and the tree alone, against the peer a viewer without checkpoints has:
// replaying the stream from its start to the same time. Also the index's
// build time and memory.
//   build/tests/bench/timeline_bench [--no-replay] [records...]   (default: 1000000 10000000)
// The recording is held in memory, as the viewer holds a mapped file. The
// same 200 random times are used for both kinds of seek. CPU time is this
// thread's (the machine may be shared: clock time then overstates); the load
// average is printed beside the clock figures.
#include "../support/random_stream.hpp"

#include <proctree/model/feed.hpp>
#include <proctree/model/timeline.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace proctree;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double cpu_ms()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string load_average()
{
    std::ifstream f("/proc/loadavg");
    std::string one, five;
    f >> one >> five;
    return one + " " + five;
}

struct Samples {
    std::vector<double> cpu, clock;
    void time(auto&& fn)
    {
        auto s0 = Clock::now();
        double c0 = cpu_ms();
        fn();
        cpu.push_back(cpu_ms() - c0);
        clock.push_back(ms_since(s0));
    }
};

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void print(std::string_view what, const Samples& s, const std::string& load)
{
    auto line = [](const std::vector<double>& v) {
        return fmt::format("median {:>7.2f}  p99 {:>7.2f}  max {:>7.2f} ms", percentile(v, 0.5), percentile(v, 0.99),
                           *std::max_element(v.begin(), v.end()));
    };
    fmt::print("  {:<22} CPU   {}\n", what, line(s.cpu));
    fmt::print("  {:<22} clock {}  (load {})\n", "", line(s.clock), load);
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

void run(std::size_t records, bool replay)
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
    double c0 = cpu_ms();
    model::Timeline timeline(bytes);
    timeline.build_all();
    double index_ms = ms_since(t0), index_cpu = cpu_ms() - c0;

    std::mt19937_64 rng(1);
    std::uint64_t span = timeline.last_ns() - timeline.first_ns();
    std::vector<std::uint64_t> times(200);
    for (auto& t : times) t = timeline.first_ns() + rng() % (span + 1);

    model::ProcessTree viewer;
    model::EventLog log;
    model::SpawnerCounts spawners;
    std::string load0 = load_average();
    Samples full, tree_only;
    for (std::uint64_t t : times) full.time([&] { timeline.seek(model::SeekTarget{viewer, &log, &spawners}, t); });
    std::string load1 = load_average();
    for (std::uint64_t t : times) tree_only.time([&] { timeline.seek(viewer, t); });
    std::string load2 = load_average();

    fmt::print("records {:>10}  stream {:>6.0f} MB  span {:.0f} s  processes at the end {}  (generated in {:.0f} ms)\n",
               timeline.records(), static_cast<double>(stream.size()) / 1e6, static_cast<double>(span) / 1e9,
               viewer.size(), gen_ms);
    fmt::print("  index build {:.0f} ms, CPU {:.0f} ms  checkpoints {}, at most {} records apart, {:.1f} MB\n",
               index_ms, index_cpu, timeline.checkpoints(), timeline.records_per_checkpoint(),
               static_cast<double>(timeline.checkpoint_bytes()) / 1e6);
    print("seek: tree+log+spawners", full, load0 + " -> " + load1);
    print("seek: tree only", tree_only, load1 + " -> " + load2);
    if (!replay) return;
    Samples from_start;
    for (int i = 0; i < 3; ++i)
        from_start.time([&, t = times[static_cast<std::size_t>(i)]] {
            model::ProcessTree tree;
            model::StreamDecoder d;
            ReplayUntil r(tree, t);
            d.feed(stream, r);
            tree.advance(t);
        });
    fmt::print("  peer: replay from start (tree only, 3 times) CPU median {:.0f} ms, clock {:.0f} ms: {:.0f}x the "
               "tree seek's CPU median\n",
               percentile(from_start.cpu, 0.5), percentile(from_start.clock, 0.5),
               percentile(from_start.cpu, 0.5) / percentile(tree_only.cpu, 0.5));
}

}  // namespace

int main(int argc, char** argv)
{
    std::vector<std::size_t> sizes;
    bool replay = true;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--no-replay") replay = false;
        else sizes.push_back(std::strtoull(argv[i], nullptr, 10));
    }
    if (sizes.empty()) sizes = {1'000'000, 10'000'000};
    for (std::size_t n : sizes) run(n, replay);
}

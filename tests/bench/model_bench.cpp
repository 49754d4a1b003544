// Model benchmarks (Google Benchmark): apply throughput, flattening and
// export at 100,000 processes, and memory per process.
//   build/tests/bench/model_bench [--benchmark_filter=...]
#include "../support/stream_builder.hpp"

#include <proctree/model/decoder.hpp>
#include <proctree/model/event_log.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/feed.hpp>
#include <proctree/model/spawners.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <memory>
#include <random>

using namespace proctree::model;
using proctree::testing::StreamBuilder;

namespace {

constexpr std::uint64_t T0 = 1'795'000'000'000'000'000ull;

struct Collect : RecordHandler {
    std::vector<Record> records;
    void on_record(const Record& r) override { records.push_back(r); }
};

// n create+exit pairs of short-lived children of one long-lived parent, 1 us
// apart: the shape of a build or a fork storm.
std::unique_ptr<StreamBuilder> churn(std::uint32_t pairs)
{
    auto b = std::make_unique<StreamBuilder>();
    b->create(T0, {1, T0 - 1}, {0, 0}, "make");
    for (std::uint32_t i = 0; i < pairs; ++i) {
        std::uint64_t t = T0 + 2ull * i * 1000;
        proctree::testing::Id id{2 + (i % 30000), t};
        b->create(t, id, {1, T0 - 1}, "cc1", "cc1 -O2 x.c").exit(t + 1000, id, 0);
    }
    return b;
}

// A realistic large tree: services with workers, shells with children.
void populate(ProcessTree& tree, std::uint32_t n)
{
    std::mt19937 rng(42);
    StreamBuilder b;
    b.snapshot(T0, true);
    b.create(T0, {1, T0 - 10}, {0, 0}, "init", "/sbin/init");
    for (std::uint32_t i = 2; i <= n; ++i) {
        std::uint32_t parent = i < 200 ? 1 : 1 + rng() % (i - 1);
        if (i >= 200 && rng() % 4 != 0) parent = 1 + rng() % 199;  // many siblings under services
        b.create(T0, {i, T0 + i}, {parent, parent == 1 ? T0 - 10 : T0 + parent}, "worker", "worker --id");
    }
    b.snapshot(T0, false);
    StreamDecoder d;
    TreeFeeder a(tree);
    d.feed(b.bytes(), a);
}

void BM_ApplyCreateExitPairs(benchmark::State& state)
{
    auto stream = churn(100'000);
    Collect c;
    StreamDecoder d;
    d.feed(stream->bytes(), c);
    for (auto _ : state) {
        ProcessTree tree(TreeConfig{1'000'000});  // 1 ms highlight: steady churn, ~500 alive
        for (const Record& r : c.records) tree.apply(r);
        benchmark::DoNotOptimize(tree.size());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.records.size()));
}
BENCHMARK(BM_ApplyCreateExitPairs)->Unit(benchmark::kMillisecond);

void BM_DecodeAndApply(benchmark::State& state)
{
    auto stream = churn(100'000);
    std::size_t records = 0;
    for (auto _ : state) {
        ProcessTree tree(TreeConfig{1'000'000});
        TreeFeeder a(tree);
        StreamDecoder d;
        d.feed(stream->bytes(), a);
        records = d.records_decoded();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
}
BENCHMARK(BM_DecodeAndApply)->Unit(benchmark::kMillisecond);

void BM_FlattenAll100k(benchmark::State& state)
{
    ProcessTree tree;
    populate(tree, 100'000);
    TreeView view(tree);
    for (auto _ : state) benchmark::DoNotOptimize(view.all_rows());
    state.counters["rows"] = static_cast<double>(view.row_count());
}
BENCHMARK(BM_FlattenAll100k)->Unit(benchmark::kMillisecond);

void BM_ScreenOfRows100k(benchmark::State& state)  // what one frame asks for
{
    ProcessTree tree;
    populate(tree, 100'000);
    TreeView view(tree);
    std::size_t first = view.row_count() / 2;
    for (auto _ : state) benchmark::DoNotOptimize(view.rows(first, 60));
}
BENCHMARK(BM_ScreenOfRows100k)->Unit(benchmark::kMicrosecond);

void BM_ScreenOfRowsNameFilter100k(benchmark::State& state)
{
    ProcessTree tree;
    populate(tree, 100'000);
    tree.set_filter(Filter{"init", false, {}});
    StreamBuilder b;
    for (std::uint32_t i = 0; i < 1000; ++i)
        b.create(T0 + 1, {200'000 + i, T0 + 1}, {1 + i * 97, T0 + 1 + i * 97}, "needle");
    StreamDecoder d;
    TreeFeeder a(tree);
    d.feed(b.bytes(), a);
    tree.set_filter(Filter{"needle", false, {}});
    TreeView view(tree);
    for (auto _ : state) benchmark::DoNotOptimize(view.rows(view.row_count() / 2, 60));
    state.counters["rows"] = static_cast<double>(view.row_count());
}
BENCHMARK(BM_ScreenOfRowsNameFilter100k)->Unit(benchmark::kMicrosecond);

void BM_ExportText100k(benchmark::State& state)
{
    ProcessTree tree;
    populate(tree, 100'000);
    for (auto _ : state) benchmark::DoNotOptimize(export_text(tree, ExportInfo{T0, "bench", "synthetic"}));
}
BENCHMARK(BM_ExportText100k)->Unit(benchmark::kMillisecond);

void BM_ExportJson100k(benchmark::State& state)
{
    ProcessTree tree;
    populate(tree, 100'000);
    for (auto _ : state) benchmark::DoNotOptimize(export_json(tree, ExportInfo{T0, "bench", "synthetic"}));
}
BENCHMARK(BM_ExportJson100k)->Unit(benchmark::kMillisecond);

// Heap bytes per process at 100,000 processes whose strings fit the small-
// string buffer (so this is the structure's own cost, strings excluded).
void BM_MemoryPerProcess100k(benchmark::State& state)
{
    for (auto _ : state) {
        malloc_trim(0);
        std::size_t before = mallinfo2().uordblks;
        auto tree = std::make_unique<ProcessTree>();
        populate(*tree, 100'000);
        std::size_t after = mallinfo2().uordblks;
        state.counters["bytes_per_process"] = double(after - before) / double(tree->size());
        benchmark::DoNotOptimize(tree->size());
    }
}
BENCHMARK(BM_MemoryPerProcess100k)->Iterations(1)->Unit(benchmark::kMillisecond);

// What the real viewer holds per process in tests/bench/viewer_memory.py's
// "hold" step, to compare with that figure: each process is forked by a
// Python script (its create carries the script's long command line and the
// interpreter's image), execs sleep, and gets facts for both images, as
// the eBPF source sends them; the tree, the event log and the spawner
// counts take every record, as the viewer's session does.
void BM_MemoryPerProcessLikeTheViewer(benchmark::State& state)
{
    const auto n = static_cast<std::uint32_t>(state.range(0));
    const std::string script =
        "/usr/bin/python3 tests/bench/viewer_memory.py --proctree build/tui/proctree --count 100000 --hold 10000";
    const std::string sha(32, '\x5a');
    for (auto _ : state) {
        StreamBuilder b("box", PT_OS_LINUX, PT_SOURCE_EBPF);
        b.create(T0, {1, T0 - 10}, {0, 0}, "python3", script, "root", "/usr/bin/python3.11");
        for (std::uint32_t i = 0; i < n; ++i) {
            std::uint64_t t = T0 + 1000ull * i;
            proctree::testing::Id id{1000 + i, t};
            std::uint64_t created = b.next_seq();
            b.create(t, id, {1, T0 - 10}, "python3", script, "root", "/usr/bin/python3.11");
            std::uint64_t execd = b.next_seq();
            b.exec(t + 100, id, "sleep", "sleep 3600", "/usr/bin/sleep")
                .facts(t + 200, id, created, PT_FACTS_HASHED, "/usr/bin/python3.11", 6831736, sha)
                .facts(t + 300, id, execd, PT_FACTS_HASHED, "/usr/bin/sleep", 35336, sha);
        }
        malloc_trim(0);
        std::size_t before = mallinfo2().uordblks;
        auto tree = std::make_unique<ProcessTree>();
        auto log = std::make_unique<EventLog>();
        auto spawners = std::make_unique<SpawnerCounts>();
        struct Feed : RecordHandler {
            ProcessTree& tree;
            EventLog& log;
            SpawnerCounts& spawners;
            Feed(ProcessTree& t, EventLog& l, SpawnerCounts& s) : tree(t), log(l), spawners(s) {}
            void on_header(const StreamHeader& h) override { tree.apply_header(h); }
            void on_record(const Record& r) override
            {
                tree.apply(r);
                log.add(r, tree);
                spawners.add(r, tree);
            }
        } feed(*tree, *log, *spawners);
        StreamDecoder d;
        d.feed(b.bytes(), feed);
        std::size_t with_log = mallinfo2().uordblks;
        log.reset();
        std::size_t without_log = mallinfo2().uordblks;
        state.counters["bytes_per_process"] = double(with_log - before) / double(n);
        state.counters["event_log_share"] = double(with_log - without_log) / double(n);
        benchmark::DoNotOptimize(tree->size());
    }
}
BENCHMARK(BM_MemoryPerProcessLikeTheViewer)->Arg(10'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

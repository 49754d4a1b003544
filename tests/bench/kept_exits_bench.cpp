// Kept exited processes (--keep-exited, --history 100,000): what one costs
// in memory, and the frame time of a tree holding 100,000 of them.
//  - memory: heap bytes per process (malloc's own count, mallinfo2) of
//    100,000 kept exited processes against the same 100,000 living (the
//    peer: a process the tree holds anyway), and the model's own estimate;
//  - frame: the layout layer rendering a 200x50 grid (the selection in the
//    middle of the tree), with 100,000 kept exited processes and 1,000
//    living against the same tree with 101,000 living (the peer); median
//    and p99 of 300 frames.
// Not run by ctest: ./tests/bench/kept_exits_bench
#include "../support/stream_builder.hpp"

#include "viewer/grid.hpp"
#include "viewer/layout.hpp"
#include "viewer/state.hpp"
#include "viewer/theme.hpp"

#include <proctree/model/feed.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <malloc.h>
#include <string>
#include <vector>

using namespace proctree;
using testing::Id;
using testing::StreamBuilder;

namespace {

constexpr std::uint64_t kSec = 1'000'000'000ull;
constexpr std::uint64_t T0 = 1'700'000'000ull * kSec;
constexpr std::uint32_t kKept = 100'000;
constexpr std::uint32_t kLiving = 1'000;

// 1,000 living parents (pids 1..1000 under pid 1), then 100,000 children
// spread over them, each living 5 ms when `exited`.
StreamBuilder story(bool exited)
{
    StreamBuilder b("bench");
    b.snapshot(T0, true);
    for (std::uint32_t p = 1; p <= kLiving; ++p)
        b.create(T0, Id{p, T0 - kSec}, p == 1 ? Id{} : Id{1, T0 - kSec}, "svc" + std::to_string(p),
                 "/usr/sbin/svc --id " + std::to_string(p), "root");
    b.snapshot(T0, false);
    for (std::uint32_t i = 0; i < kKept; ++i) {
        std::uint32_t pid = kLiving + 1 + i;
        std::uint64_t t = T0 + (i + 1) * 1000ull;
        Id self{pid, t}, parent{1 + i % kLiving, T0 - kSec};
        b.create(t, self, parent, "worker", "worker --job " + std::to_string(i) + " --out /tmp/job.log", "root");
        if (exited) b.exit(t + 5'000'000, self, static_cast<std::int32_t>(i % 3));
    }
    return b;
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

struct Measured {
    double heap_per_process = 0, estimate_per_process = 0, frame_median_ms = 0, frame_p99_ms = 0;
    std::size_t size = 0;
};

Measured measure(bool exited)
{
    StreamBuilder b = story(exited);
    Measured m;
    std::size_t before = heap_in_use();
    {
        model::TreeConfig config;
        config.keep_exited = true;
        config.history = kKept;
        model::ProcessTree tree(config);
        model::StreamDecoder d;
        model::TreeFeeder f(tree);
        d.feed(b.bytes(), f);
        tree.advance(T0 + 60 * kSec);  // past every highlight: kept, dimmed
        malloc_trim(0);
        m.size = tree.size();
        m.heap_per_process = static_cast<double>(heap_in_use() - before) / kKept;
        m.estimate_per_process = static_cast<double>(tree.memory_estimate()) / static_cast<double>(m.size);

        viewer::UiState ui;
        viewer::StatusInfo status;
        viewer::Theme theme = viewer::Theme::colored();
        viewer::Grid grid(200, 50);
        std::uint32_t mid = kLiving + kKept / 2;
        if (const model::Process* p = tree.find(model::Identity{mid, T0 + (kKept / 2) * 1000ull}))
            ui.selected = p->ref();
        std::vector<double> ms;
        for (int i = 0; i < 300; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            viewer::render(tree, ui, status, theme, grid);
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            tree.advance(T0 + 60 * kSec + static_cast<std::uint64_t>(i) * (kSec / 30));
        }
        std::sort(ms.begin(), ms.end());
        m.frame_median_ms = ms[ms.size() / 2];
        m.frame_p99_ms = ms[ms.size() * 99 / 100];
    }
    return m;
}

}  // namespace

int main()
{
    Measured kept = measure(true), living = measure(false);
    fmt::print("{:<28} {:>9} {:>14} {:>16} {:>12} {:>10}\n", "tree", "processes", "heap B/proc", "estimate B/proc",
               "frame med", "frame p99");
    for (auto [name, m] : {std::pair{"100k kept exited + 1k", kept}, std::pair{"101k living (peer)", living}})
        fmt::print("{:<28} {:>9} {:>14.0f} {:>16.0f} {:>9.3f} ms {:>7.3f} ms\n", name, m.size, m.heap_per_process,
                   m.estimate_per_process, m.frame_median_ms, m.frame_p99_ms);
    fmt::print("ratios kept/living: heap {:.2f}x  frame median {:.2f}x  p99 {:.2f}x\n",
               kept.heap_per_process / living.heap_per_process, kept.frame_median_ms / living.frame_median_ms,
               kept.frame_p99_ms / living.frame_p99_ms);
}

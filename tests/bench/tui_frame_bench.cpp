// Frame time of the viewer with 100,000 processes in the tree while 10,000
// events/s arrive (333 per frame at 30 frames/s, half creates, half exits).
// Each iteration applies one frame's events (not timed, reported as
// apply_us), then times one frame:
//   BM_Layout     - the layout layer rendering into a 200x50 grid;
//   BM_LayoutPaint - layout plus the real ncurses paint to a pseudo-terminal
//                    (a thread drains the pty like a terminal would).
// Argument 0: events land anywhere in the tree (most off screen);
// argument 1: every event lands under a process on screen, so the visible
//             rows move every frame (full repaint: the worst case).
// Every column is on (PID USER CPU% RSS S START AGE THR, then the tree).
// Not run by ctest: ./tests/bench/tui_frame_bench
#include "../support/stream_builder.hpp"

#include "viewer/grid.hpp"
#include "viewer/layout.hpp"
#include "viewer/screen.hpp"
#include "viewer/session.hpp"

#include <proctree/model/decoder.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <pty.h>
#include <random>
#include <thread>
#include <unistd.h>

using namespace proctree;
using testing::Id;
using testing::StreamBuilder;

namespace {

constexpr std::uint64_t kSec = 1'000'000'000ull;
constexpr std::uint64_t T0 = 1'700'000'000ull * kSec;
constexpr std::uint32_t kProcesses = 100'000;
constexpr int kEventsPerFrame = 10'000 / 30;
constexpr std::uint64_t kFrameNs = kSec / 30;
constexpr int kWidth = 200, kHeight = 50;

Id ident(std::uint32_t pid) { return Id{pid, T0 - 1000 * kSec + pid}; }

struct Fixture {
    viewer::Session session{[] {
        viewer::ViewerOptions o;
        o.highlight_ms = 3000;
        o.columns.clear();  // every column
        for (const viewer::ColumnSpec& c : viewer::all_columns()) o.columns.push_back(c.id);
        return o;
    }()};
    std::uint64_t now = T0;
    std::uint32_t next_pid = kProcesses + 1;
    std::deque<Id> live;  // processes created by the benchmark, oldest first
    std::mt19937 rng{42};
    bool churn_on_screen;

    explicit Fixture(bool churn) : churn_on_screen(churn)
    {
        session.start_detached();
        StreamBuilder b("bench");
        b.snapshot(T0 - kSec, true);
        // A tree of fan-out 8: pid p's parent is p / 8 (1 is the root).
        for (std::uint32_t p = 1; p <= kProcesses; ++p) {
            Id parent = p == 1 ? Id{} : ident(p < 8 ? 1 : p / 8);
            b.create(T0 - kSec, ident(p), parent, "proc" + std::to_string(p),
                     "/usr/bin/proc" + std::to_string(p) + " --serve --port " + std::to_string(p % 65536), "root");
        }
        b.snapshot(T0 - kSec, false);
        session.feed(b.bytes(), 0);
        session.tick(0);
    }

    // One frame's worth of events; returns the time it took to apply them.
    double apply_frame()
    {
        StreamBuilder b("bench");
        std::uniform_int_distribution<std::uint32_t> any(1, kProcesses);
        // The first rows are the chain 1, 2, 16, 128, 1024, 8192, 65536 and
        // 65536's leaf siblings: children of those leaves show on screen.
        std::uniform_int_distribution<std::uint32_t> near(65536, 65543);
        for (int i = 0; i < kEventsPerFrame; ++i) {
            std::uint64_t t = now + static_cast<std::uint64_t>(i) * (kFrameNs / kEventsPerFrame);
            if (i % 2 == 0 || live.empty()) {
                Id self{next_pid++, t};
                Id parent = ident(churn_on_screen ? near(rng) : any(rng));
                b.create(t, self, parent, "worker", "worker --job " + std::to_string(self.pid), "root");
                live.push_back(self);
            } else {
                b.exit(t, live.front(), 0);
                live.pop_front();
            }
        }
        now += kFrameNs;
        const std::string& bytes = b.bytes();
        // Skip the stream header: the session's decoder is past it.
        std::size_t header = 40 + ((5 + 7) & ~7u);
        auto start = std::chrono::steady_clock::now();
        session.feed(std::string_view(bytes).substr(header), now);
        session.tick(now);
        return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    }
};

void run(benchmark::State& state, bool paint)
{
    Fixture f(state.range(0) != 0);
    viewer::Theme theme = viewer::Theme::colored();
    viewer::Grid grid(kWidth, kHeight);
    // Spread events: select a process deep in the middle of the tree. Churn
    // on screen: stay at the top, where the events land.
    std::uint32_t sel = f.churn_on_screen ? 1 : kProcesses / 2;
    if (const model::Process* p = f.session.tree().find(model::Identity{sel, ident(sel).start_ns}))
        f.session.ui().selected = p->ref();
    int master = -1, slave = -1;
    std::unique_ptr<viewer::Screen> screen;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> painted_bytes{0};
    std::thread drain;
    if (paint) {
        winsize ws{static_cast<unsigned short>(kHeight), static_cast<unsigned short>(kWidth), 0, 0};
        if (::openpty(&master, &slave, nullptr, nullptr, &ws) != 0) {
            state.SkipWithError("openpty failed");
            return;
        }
        drain = std::thread([&] {
            char buf[65536];
            while (!stop.load()) {
                ssize_t n = ::read(master, buf, sizeof buf);
                if (n <= 0) break;
                painted_bytes += static_cast<std::uint64_t>(n);
            }
        });
        ::setenv("TERM", "xterm-256color", 1);
        screen = std::make_unique<viewer::Screen>(slave, slave);
    }
    double apply_total = 0;
    for (auto _ : state) {
        apply_total += f.apply_frame();
        auto start = std::chrono::steady_clock::now();
        f.session.refresh_status(f.now);
        viewer::render(f.session.tree(), f.session.ui(), f.session.status(), theme, grid);
        if (screen) screen->paint(grid);
        state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    state.counters["apply_us"] = apply_total / static_cast<double>(state.iterations());
    state.counters["processes"] = static_cast<double>(f.session.tree().size());
    if (paint)
        state.counters["tty_bytes"] =
            static_cast<double>(painted_bytes.load()) / static_cast<double>(state.iterations());
    if (screen) {
        screen->close();
        screen.reset();
    }
    stop.store(true);
    if (slave >= 0) ::close(slave);
    if (master >= 0) ::close(master);
    if (drain.joinable()) drain.join();
}

void BM_Layout(benchmark::State& state) { run(state, false); }
void BM_LayoutPaint(benchmark::State& state) { run(state, true); }

BENCHMARK(BM_Layout)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(600);
BENCHMARK(BM_LayoutPaint)->Arg(0)->Arg(1)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(600);

}  // namespace

BENCHMARK_MAIN();

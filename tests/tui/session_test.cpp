// The viewer minus the terminal: the tree clock, when to wake up, rates,
// exports, the byte channel and the paced file reader.
#include "tui_fixture.hpp"

#include "viewer/channel.hpp"
#include "viewer/reader.hpp"
#include "viewer/session.hpp"

#include <poll.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using namespace proctree;
using namespace proctree::testing;
namespace fs = std::filesystem;

namespace {

TEST(TreeClock, AnchorsAtFirstRecordAndRunsWithSteadyTime)
{
    viewer::TreeClock c(1.0);
    EXPECT_FALSE(c.anchored());
    c.saw(T0, 1000);
    EXPECT_EQ(c.at(1000), T0);
    EXPECT_EQ(c.at(1000 + kSec), T0 + kSec);
    c.saw(T0 + 500 * kMs, 1000 + kSec);  // behind the clock: no change
    EXPECT_EQ(c.at(1000 + kSec), T0 + kSec);
    c.saw(T0 + 5 * kSec, 1000 + kSec);  // ahead (remote clock): moves forward
    EXPECT_EQ(c.at(1000 + 2 * kSec), T0 + 6 * kSec);
}

TEST(TreeClock, ReplaySpeedAndHold)
{
    viewer::TreeClock fast(4.0);
    fast.saw(T0, 0);
    EXPECT_EQ(fast.at(kSec), T0 + 4 * kSec);
    viewer::TreeClock held(1.0, true);
    held.saw(T0, 0);
    held.saw(T0 + 9 * kSec, 10);
    EXPECT_EQ(held.at(100 * kSec), T0 + 9 * kSec);  // --speed 0: held at the last record
    EXPECT_EQ(held.rate(), 0.0);
    held.release(100 * kSec);
    EXPECT_EQ(held.at(101 * kSec), T0 + 10 * kSec);
}

struct SessionFixture : ::testing::Test {
    viewer::ViewerOptions opts = [] {
        viewer::ViewerOptions o;
        o.highlight_ms = 3000;
        return o;
    }();
};

TEST_F(SessionFixture, HighlightsEndOnTimeAndWakeUpIsScheduled)
{
    viewer::Session s(opts);
    s.start_detached();
    std::uint64_t steady = 50 * kSec;
    s.feed(small_stream().bytes(), steady);
    s.tick(steady);
    const model::Process* sleep = s.tree().find({kSleep.pid, kSleep.start_ns});
    ASSERT_TRUE(sleep);
    EXPECT_EQ(s.tree().state(*sleep), model::ProcState::New);
    // Anchored at the last record (T0 + 1 s): New until T0 + 4 s.
    std::uint64_t wake = s.next_wake(steady);
    EXPECT_GE(wake, steady + 1 * kSec);  // rates decay at the next second at the latest
    EXPECT_LE(wake, steady + 3 * kSec + 2 * kMs);
    s.tick(steady + 3 * kSec + 2 * kMs);
    EXPECT_EQ(s.tree().state(*sleep), model::ProcState::Normal);
    // Later, nothing changes by time alone: no wake-up (idle CPU stays zero).
    s.tick(steady + 10 * kSec);
    EXPECT_EQ(s.next_wake(steady + 10 * kSec), UINT64_MAX);
}

TEST_F(SessionFixture, RatesCountLiveEventsNotTheSnapshot)
{
    viewer::Session s(opts);
    s.start_detached();
    std::uint64_t steady = 50 * kSec;
    StreamBuilder b = small_stream();
    b.exit(T0 + 2 * kSec, kSleep, 0);
    s.feed(b.bytes(), steady);
    s.refresh_status(steady);
    EXPECT_DOUBLE_EQ(s.status().creates_per_s, 1.0 / viewer::kRateWindowS);
    EXPECT_DOUBLE_EQ(s.status().exits_per_s, 1.0 / viewer::kRateWindowS);
    EXPECT_EQ(s.status().host, "box");
    EXPECT_EQ(s.status().processes, 5u);
    s.refresh_status(steady + 10 * kSec);
    EXPECT_DOUBLE_EQ(s.status().creates_per_s, 0.0);
}

TEST_F(SessionFixture, CountsFreezeWhilePausedAndNoticesFade)
{
    viewer::Session s(opts);
    s.start_detached();
    std::uint64_t steady = 50 * kSec;
    StreamBuilder b = small_stream();
    std::string first = b.bytes();
    s.feed(first, steady);
    s.ui().paused = true;
    s.refresh_status(steady);
    EXPECT_EQ(s.status().processes, 6u);
    b.create(T0 + 2 * kSec, {400, T0 + 2 * kSec}, kInit, "late", "late", "root");
    s.feed(std::string_view(b.bytes()).substr(first.size()), steady);
    s.refresh_status(steady + kSec);
    EXPECT_EQ(s.status().processes, 6u);  // the paused screen's count stands still
    s.ui().paused = false;
    s.refresh_status(steady + kSec);
    EXPECT_EQ(s.status().processes, 7u);
    // A key's hint is a passing notice: shown, then gone after 5 s.
    s.ui().hint = "F2: no setup screen; see --help";
    s.refresh_status(steady + 2 * kSec);
    EXPECT_EQ(s.status().notice, "F2: no setup screen; see --help");
    EXPECT_LE(s.next_wake(steady + 2 * kSec), steady + 2 * kSec + viewer::kNoticeNs);
    s.refresh_status(steady + 6 * kSec);
    EXPECT_EQ(s.status().notice, "F2: no setup screen; see --help");
    s.refresh_status(steady + 7 * kSec);
    EXPECT_EQ(s.status().notice, "");
}

TEST_F(SessionFixture, ContentForAFirstFrameOnlyOnceTheInitialSnapshotIsComplete)
{
    viewer::Session s(opts);
    s.start_detached();
    StreamBuilder b("box");
    b.snapshot(T0, true).create(T0, kInit, {}, "init", "/sbin/init", "root");
    std::string part = b.bytes();
    s.feed(part, kSec);
    EXPECT_FALSE(s.has_content());  // half a snapshot: the first frame waits
    b.snapshot(T0, false);
    s.feed(std::string_view(b.bytes()).substr(part.size()), kSec);
    EXPECT_TRUE(s.has_content());

    viewer::Session live(opts);  // a stream without a snapshot: its first record
    live.start_detached();
    StreamBuilder l("box");
    l.create(T0, kInit, {}, "init", "/sbin/init", "root");
    live.feed(l.bytes(), kSec);
    EXPECT_TRUE(live.has_content());
}

TEST_F(SessionFixture, StartUpMemoryGoesBackOnceTheInitialSnapshotIsComplete)
{
    viewer::Session s(opts);
    s.start_detached();
    StreamBuilder b("box");
    b.snapshot(T0, true).create(T0, kInit, {}, "init", "/sbin/init", "root");
    std::string part = b.bytes();
    s.feed(part, kSec);
    s.tick(kSec);
    EXPECT_EQ(s.memory_releases(), 0u);                                    // still starting
    b.snapshot(T0, false).snapshot(T0 + 1, true).snapshot(T0 + 1, false);  // the initial one, then a resync
    s.feed(std::string_view(b.bytes()).substr(part.size()), 2 * kSec);
    s.tick(2 * kSec);
    EXPECT_EQ(s.memory_releases(), 1u);
    s.tick(3 * kSec);
    EXPECT_EQ(s.memory_releases(), 1u);  // once, not at every tick or resync
}

TEST_F(SessionFixture, CorruptStreamKeepsTheTreeAndSaysWhere)
{
    viewer::Session s(opts);
    s.start_detached();
    std::string bytes = small_stream().bytes();
    std::string bad = bytes + std::string("\x01\x00\x00\x00\x0d\x00\x00\x00", 8) + std::string(16, '\0');
    s.feed(bad, kSec);
    s.refresh_status(kSec);
    EXPECT_NE(s.status().error.find("corrupt"), std::string::npos) << s.status().error;
    EXPECT_NE(s.tree().find({kSleep.pid, kSleep.start_ns}), nullptr);
}

TEST_F(SessionFixture, ExportsWriteTimestampedFilesMatchingTheView)
{
    fs::path dir = fs::temp_directory_path() / ("proctree-tui-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    opts.export_dir = dir.string();
    viewer::Session s(opts);
    s.start_detached();
    s.feed(small_stream().bytes(), kSec);
    model::Filter f;
    f.name = "vim";
    s.tree().set_filter(f);
    s.export_view(false);
    std::string path = s.status().export_path;
    ASSERT_FALSE(path.empty()) << s.status().error;
    EXPECT_NE(path.find("/proctree-"), std::string::npos);
    EXPECT_EQ(path.substr(path.size() - 4), ".txt");
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("vim"), std::string::npos);
    EXPECT_EQ(text.str().find("make"), std::string::npos);
    // The screen's columns, named in a header; "-" where the stream has no figure.
    EXPECT_TRUE(std::regex_search(text.str(), std::regex(R"(\n +PID  USER +CPU%  +RSS  S  +START  +THR  +TREE\n)")))
        << text.str();
    EXPECT_TRUE(std::regex_search(text.str(), std::regex(R"(\n +\d+  \S+ +-  +-  -  +\S+  +\d+  .*vim)")))
        << text.str();
    s.ui().columns = {viewer::Column::Threads, viewer::Column::Pid};  // as --columns thr,pid
    s.export_view(false);
    std::ifstream in2(s.status().export_path);
    std::stringstream text2;
    text2 << in2.rdbuf();
    EXPECT_TRUE(std::regex_search(text2.str(), std::regex(R"(\n +THR  +PID  +TREE\n)"))) << text2.str();
    s.export_view(true);
    EXPECT_EQ(s.status().export_path.substr(s.status().export_path.size() - 5), ".json");
    // Exports in the same millisecond each get their own file; none is lost.
    std::set<std::string> paths;
    for (int i = 0; i < 5; ++i) {
        s.export_view(false);
        EXPECT_TRUE(s.status().error.empty()) << s.status().error;
        paths.insert(s.status().export_path);
    }
    EXPECT_EQ(paths.size(), 5u);
    fs::remove_all(dir);
    // An export directory that does not exist is an error in the status.
    opts.export_dir = (dir / "missing").string();
    viewer::Session s2(opts);
    s2.export_view(false);
    EXPECT_NE(s2.status().error.find("cannot write"), std::string::npos);
}

// Rows never on screen are read at the export: RSS, state and threads for
// every running process exported; CPU% needs a second reading, so "-".
TEST_F(SessionFixture, AnExportReadsTheFiguresOfRowsNeverOnScreen)
{
    struct Reader : collect::UsageReader {
        std::optional<collect::UsageReading> read(std::uint32_t pid, std::uint64_t) override
        {
            if (pid != kVim.pid) return std::nullopt;
            return collect::UsageReading{5'000'000'000ull, 3u << 20, 'S', 2};
        }
    };
    fs::path dir = fs::temp_directory_path() / ("proctree-tui-usage-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    opts.export_dir = dir.string();
    viewer::Session s(opts);
    s.start_detached();
    s.set_usage_reader(std::make_unique<Reader>());
    s.feed(small_stream().bytes(), kSec);
    s.export_view(false);
    std::ifstream in(s.status().export_path);
    std::stringstream text;
    text << in.rdbuf();
    fs::remove_all(dir);
    EXPECT_TRUE(std::regex_search(text.str(), std::regex(R"(\n +101  \S+ +-  +3\.0M  S  +\S+  +2  .*vim)")))
        << text.str();
}

TEST(ExportFileName, HasTheTime)
{
    EXPECT_EQ(viewer::export_file_name(T0 + 42 * kMs, false), "proctree-20231114-221320-042.txt");
    EXPECT_EQ(viewer::export_file_name(T0, true), "proctree-20231114-221320-000.json");
    EXPECT_EQ(viewer::export_file_name(T0, true, 3), "proctree-20231114-221320-000-3.json");
}

std::string write_temp(const std::string& bytes)
{
    fs::path p = fs::temp_directory_path() / ("proctree-tui-replay-" + std::to_string(::getpid()) + ".ptr");
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
}

TEST(PumpStream, RecordedFileIsPacedBySpeed)
{
    StreamBuilder b("box");
    b.create(T0, Id{1, T0}, {}, "a").create(T0 + 400 * kMs, Id{2, T0}, {}, "b");
    std::string path = write_temp(b.bytes());
    for (double speed : {0.0, 2.0}) {
        cli::StreamInput in = cli::StreamInput::open(path);
        ASSERT_TRUE(in.ok());
        viewer::ByteChannel ch;
        std::atomic<bool> stop{false};
        auto start = std::chrono::steady_clock::now();
        viewer::pump_stream(in, ch, speed, stop);
        auto took = std::chrono::steady_clock::now() - start;
        viewer::ByteChannel::Drained d;
        ch.drain(d, 1 << 20);
        EXPECT_EQ(d.bytes, b.bytes());
        EXPECT_TRUE(d.finished);
        if (speed == 0.0) EXPECT_LT(took, std::chrono::milliseconds(150));
        else EXPECT_GE(took, std::chrono::milliseconds(190));  // 400 ms of records at 2x
    }
    fs::remove(path);
}

// A replay cannot be resynchronised: behind a small channel the reader
// waits, holding the bound, and every byte arrives.
TEST(PumpStream, AReplayLargerThanTheChannelBoundLosesNothing)
{
    StreamBuilder b("box");
    for (std::uint32_t i = 0; i < 20000; ++i) b.create(T0 + i, Id{1000 + i, T0 + i}, {}, "p" + std::to_string(i));
    std::string path = write_temp(b.bytes());
    cli::StreamInput in = cli::StreamInput::open(path);
    ASSERT_TRUE(in.ok());
    constexpr std::size_t kBound = 64u << 10;
    ASSERT_GT(b.bytes().size(), 10 * kBound);
    viewer::ByteChannel ch(kBound);
    std::atomic<bool> stop{false};
    std::thread reader([&] { viewer::pump_stream(in, ch, 0.0, stop); });
    std::string got;
    viewer::ByteChannel::Drained d;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!d.finished && std::chrono::steady_clock::now() < deadline) {
        ch.drain(d, 4096);  // a slow UI
        got += d.bytes;
        if (d.bytes.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    stop = true;
    ch.shut();
    reader.join();
    EXPECT_TRUE(d.finished);
    EXPECT_EQ(got, b.bytes());
    EXPECT_LE(ch.stats().most_pending, kBound);
    EXPECT_EQ(ch.stats().dropped_records, 0u);
    fs::remove(path);
}

TEST_F(SessionFixture, ReplayAtSpeedZeroHoldsTheClockUntilTheEnd)
{
    StreamBuilder b = small_stream();
    b.exit(T0 + 2 * kSec, kSleep, 0, 9, PT_EXIT_SIGNALED);
    std::string path = write_temp(b.bytes());
    opts.from = path;
    opts.speed = 0;
    viewer::Session s(opts);
    std::string err;
    ASSERT_TRUE(s.start(err)) << err;
    std::uint64_t steady = viewer::steady_ns_now();
    for (int i = 0; i < 200; ++i) {
        pollfd p{s.channel_fd(), POLLIN, 0};
        ::poll(&p, 1, 50);
        s.pump(viewer::steady_ns_now());
        s.refresh_status(viewer::steady_ns_now());
        if (s.status().replay.starts_with("replay done")) break;
    }
    EXPECT_EQ(s.status().replay, "replay done at 22:13:22.000 UTC");  // the end of the recording
    s.tick(steady);
    const model::Process* sleep = s.tree().find({kSleep.pid, kSleep.start_ns});
    ASSERT_TRUE(sleep);  // still shown as exited: the final state
    EXPECT_EQ(s.tree().state(*sleep), model::ProcState::Exiting);
    fs::remove(path);
}

}  // namespace

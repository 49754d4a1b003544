// Unit tests for model/src/timeline.cpp and time_text.cpp: a seek gives
// exactly the tree a replay up to the same time gives (random streams), the
// checkpoints stay within their memory budget, typed times.
#include "../support/random_stream.hpp"
#include "tree_fixture.hpp"

#include <proctree/model/export.hpp>
#include <proctree/model/timeline.hpp>

#include <fmt/core.h>

#include <random>

using namespace proctree::model;
using namespace proctree::testing;

namespace {

constexpr std::uint64_t kS = 1'000'000'000ull;
constexpr std::uint64_t T0 = 1'700'000'000'000'000'000ull;  // 2023-11-14 22:13:20 UTC

std::span<const std::byte> bytes_of(const std::string& s)
{
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Everything a tree can show or act on later, as text.
std::string dump(const ProcessTree& tree)
{
    ExportInfo info;
    std::string out = export_json(tree, info);
    const TreeStats& s = tree.stats();
    out += fmt::format("\nnow={} size={} next={} records={} creates={} exits={} execs={} lost={}/{} unknown={} "
                       "unmatched={} living={}\n",
                       tree.now(), tree.size(), tree.next_change_ns(), s.records, s.creates, s.exits, s.execs,
                       s.events_lost, s.loss_reports, s.unknown_records, s.unmatched_exits, s.living);
    for (const Row& r : TreeView(tree).all_rows()) {
        const Process& p = *r.proc;
        out += fmt::format("{}:{} d={} st={} par={}:{} orig={}:{} rec={}:{} c={} x={} thr={} fl={} col={}\n", p.id.pid,
                           p.id.start_ns, r.depth, int(r.state), p.parent() ? p.parent()->id.pid : 0,
                           p.parent() ? p.parent()->id.start_ns : 0, p.original_parent.pid, p.original_parent.start_ns,
                           p.recorded_parent.pid, p.recorded_parent.start_ns, p.created_ns, p.exited_ns, p.threads,
                           p.flags, r.collapsed);
    }
    return out;
}

// The reference: a plain replay that stops at the first record after t.
class ReplayUntil final : public RecordHandler {
public:
    ReplayUntil(ProcessTree& tree, std::uint64_t t) : tree_(tree), t_(t) {}
    void on_header(const StreamHeader& h) override { tree_.apply_header(h); }
    void on_record(const Record& r) override
    {
        if (r.time_ns > t_) stopped_ = true;
        if (!stopped_) tree_.apply(r);
    }

private:
    ProcessTree& tree_;
    std::uint64_t t_;
    bool stopped_ = false;
};

void replay_to(ProcessTree& tree, const std::string& stream, std::uint64_t t)
{
    StreamDecoder d;
    ReplayUntil r(tree, t);
    ASSERT_TRUE(d.feed(stream, r));
    ASSERT_TRUE(d.finish());
    tree.advance(t);
}

// Applies every record from offset on (what playing on after a seek does).
void play_rest(ProcessTree& tree, const std::string& stream, std::uint64_t offset)
{
    RecordWalker w(bytes_of(stream));
    TreeFeeder f(tree);
    w.walk(offset, kForever, SIZE_MAX, f);
    ASSERT_FALSE(w.error());
    ASSERT_TRUE(w.at_end(offset));
}

Filter some_filter(std::mt19937& rng)
{
    Filter f;
    switch (rng() % 3) {
    case 0: break;
    case 1: f.name = "a"; break;
    default:
        f.name = "cc";
        f.pids = {2 + static_cast<std::uint32_t>(rng() % 48)};
        break;
    }
    return f;
}

void check_seeks(std::uint32_t seed, const TimelineConfig& config, int seeks)
{
    RandomStreamShape shape;
    std::string stream = RandomStream(seed, shape).build();
    Timeline timeline(bytes_of(stream), config);
    timeline.build_all();
    ASSERT_FALSE(timeline.walker().error()) << timeline.walker().error()->describe();
    ASSERT_GE(timeline.records(), shape.records);

    std::mt19937 rng(seed);
    ProcessTree viewer(config.tree);  // one tree seeking back and forth, as the viewer does
    std::uint64_t span = timeline.last_ns() - timeline.first_ns();
    for (int i = 0; i < seeks; ++i) {
        std::uint64_t t = timeline.first_ns() - 2 * kS + rng() % (span + 4 * kS);
        Filter filter = some_filter(rng);
        viewer.set_filter(filter);
        std::uint64_t next = timeline.seek(viewer, t);

        ProcessTree reference(config.tree);
        reference.set_filter(filter);
        replay_to(reference, stream, t);
        ASSERT_EQ(dump(viewer), dump(reference)) << "seed " << seed << " seek " << i << " to +" << (t - T0);

        if (i % 4 == 0) {  // hidden state (waiting children, timers) shows once play goes on
            ProcessTree played(viewer);
            play_rest(played, stream, next);
            play_rest(reference, stream, next);
            ASSERT_EQ(dump(played), dump(reference)) << "seed " << seed << " after seek " << i;
        }
    }
}

// The log pane's lines and the spawner counts, as text.
std::string dump(const EventLog& log, const SpawnerCounts& spawners, std::uint64_t now)
{
    std::string out = fmt::format("total={} size={}\n", log.total(), log.size());
    for (std::size_t i = 0; i < log.size(); ++i) {
        const LogEntry& e = log.at(i);
        out += fmt::format("{} {} {}:{} {} {} {}\n", e.time_ns, to_string(e.kind), e.proc.pid, e.proc.start_ns, e.name,
                           e.parent_name, e.detail);
    }
    for (bool recent : {true, false})
        for (const Spawner& s : spawners.top(now, 1000, recent))
            out += fmt::format("{}:{} {} {} {} {}\n", s.id.pid, s.id.start_ns, s.name, s.recent, s.total, s.rate);
    return out;
}

// What the viewer's session feeds: the tree, then the log and the counts.
class SessionLike final : public RecordHandler {
public:
    SessionLike(ProcessTree& tree, EventLog& log, SpawnerCounts& spawners, std::uint64_t t)
        : tree_(tree), log_(log), spawners_(spawners), t_(t)
    {}
    void on_header(const StreamHeader& h) override { tree_.apply_header(h); }
    void on_record(const Record& r) override
    {
        if (r.time_ns > t_) stopped_ = true;
        if (stopped_) return;
        tree_.apply(r);
        log_.add(r, tree_);
        spawners_.add(r, tree_);
    }

private:
    ProcessTree& tree_;
    EventLog& log_;
    SpawnerCounts& spawners_;
    std::uint64_t t_;
    bool stopped_ = false;
};

}  // namespace

TEST(Timeline, ASeekRebuildsTheEventLogAndSpawnerCountsAReplayBuilds)
{
    TimelineConfig config;
    config.records_per_checkpoint = 97;
    for (std::uint32_t seed = 1; seed <= 6; ++seed) {
        RandomStreamShape shape;
        std::string stream = RandomStream(seed, shape).build();
        Timeline timeline(bytes_of(stream), config);
        timeline.build_all();
        std::mt19937 rng(seed);
        ProcessTree viewer;
        EventLog log(50 + seed * 40);  // several checkpoints' worth of lines
        SpawnerCounts spawners;
        std::uint64_t span = timeline.last_ns() - timeline.first_ns();
        for (int i = 0; i < 25; ++i) {
            std::uint64_t t = timeline.first_ns() + rng() % (span + 1);
            timeline.seek(SeekTarget{viewer, &log, &spawners}, t);
            ProcessTree tree;
            EventLog want(log.capacity());
            SpawnerCounts counts;
            StreamDecoder d;
            SessionLike replay(tree, want, counts, t);
            ASSERT_TRUE(d.feed(stream, replay));
            ASSERT_GT(want.total(), 0u);
            ASSERT_EQ(dump(log, spawners, t), dump(want, counts, t)) << "seed " << seed << " seek " << i;
        }
    }
}

// The log needs its lines from before the nearest checkpoint only when
// fewer than its capacity lie between that checkpoint and the time: the
// marks tell, so most seeks replay less than one spacing of records.
TEST(Timeline, ASeekGoesBackACheckpointForTheLogOnlyWhenTheLinesNeedIt)
{
    TimelineConfig config;
    config.records_per_checkpoint = 4000;
    config.records_per_mark = 256;
    RandomStreamShape shape;
    shape.records = 24'000;
    std::string stream = RandomStream(5, shape).build();
    Timeline timeline(bytes_of(stream), config);
    timeline.build_all();
    ASSERT_EQ(timeline.records_per_checkpoint(), 4000u);
    std::mt19937_64 rng(5);
    ProcessTree viewer;
    EventLog log(300);
    SpawnerCounts spawners;
    std::uint64_t span = timeline.last_ns() - timeline.first_ns();
    int seeks = 40, went_back = 0;
    for (int i = 0; i < seeks; ++i) {
        std::uint64_t t = timeline.first_ns() + rng() % (span + 1);
        std::uint64_t replayed = 0;
        timeline.seek(SeekTarget{viewer, &log, &spawners, &replayed}, t);
        if (replayed >= 4000) ++went_back;
        ProcessTree tree;
        EventLog want(log.capacity());
        SpawnerCounts counts;
        StreamDecoder d;
        SessionLike replay(tree, want, counts, t);
        ASSERT_TRUE(d.feed(stream, replay));
        tree.advance(t);
        ASSERT_EQ(dump(log, spawners, t), dump(want, counts, t)) << "seek " << i;
        ASSERT_EQ(dump(viewer), dump(tree)) << "seek " << i;
    }
    EXPECT_GT(went_back, 0);  // some times lie just after a checkpoint
    EXPECT_LT(went_back, seeks / 4);
}

TEST(Timeline, ASeekEqualsAReplayUpToTheSameTime)
{
    TimelineConfig config;
    config.records_per_checkpoint = 97;
    for (std::uint32_t seed = 1; seed <= 12; ++seed) check_seeks(seed, config, 40);
}

TEST(Timeline, ASeekEqualsAReplayWhenMemoryForcesFewCheckpoints)
{
    TimelineConfig config;
    config.records_per_checkpoint = 16;
    config.memory_budget = 64 * 1024;
    check_seeks(99, config, 40);
    std::string stream = RandomStream(99, {}).build();
    Timeline timeline(bytes_of(stream), config);
    timeline.build_all();
    EXPECT_LE(timeline.checkpoint_bytes(), config.memory_budget);
    EXPECT_GT(timeline.records_per_checkpoint(), 16u);  // thinned out
    EXPECT_GE(timeline.checkpoints(), 2u);
}

TEST(Timeline, ASeekKeepsTheViewState)
{
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init").create(T0 + kS, {2, T0 + kS}, {1, T0}, "bash");
    b.create(T0 + 2 * kS, {3, T0 + 2 * kS}, {2, T0 + kS}, "vim");
    Timeline timeline(bytes_of(b.bytes()));
    timeline.build_all();
    ProcessTree tree;
    timeline.seek(tree, T0 + 5 * kS);
    tree.set_collapsed({2, T0 + kS}, true);
    tree.set_filter(Filter{"i", false, {}});
    timeline.seek(tree, T0 + kS);
    EXPECT_TRUE(tree.is_collapsed({2, T0 + kS}));
    EXPECT_EQ(tree.filter().name, "i");
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init"}));  // bash collapsed, vim not yet there
    timeline.seek(tree, T0 + 2 * kS);
    tree.set_collapsed({2, T0 + kS}, false);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:bash", "2:vim"}));
}

TEST(Timeline, ACorruptRecordEndsTheIndexAndKeepsWhatCameBefore)
{
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init").create(T0 + kS, {2, T0 + kS}, {1, T0}, "bash");
    std::string stream = b.bytes();
    std::uint64_t bad = stream.size();
    stream += std::string("\x01\x00\x00\x00\x0d\x00\x00\x00", 8) + std::string(16, '\0');  // size 13
    Timeline timeline(bytes_of(stream));
    timeline.build_all();
    ASSERT_TRUE(timeline.walker().error());
    EXPECT_EQ(timeline.walker().error()->offset, bad);
    EXPECT_EQ(timeline.records(), 2u);
    ProcessTree tree;
    timeline.seek(tree, T0 + 10 * kS);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:bash"}));
}

TEST(Timeline, ATruncatedHeaderIsAnError)
{
    StreamBuilder b;
    std::string stream = b.bytes().substr(0, 20);
    Timeline timeline(bytes_of(stream));
    timeline.build_all();
    ASSERT_TRUE(timeline.walker().error());
    EXPECT_TRUE(timeline.empty());
    std::string error;
    EXPECT_FALSE(timeline.resolve("+0", error));
    EXPECT_EQ(error, "the recording has no records");
}

TEST(TimeText, TypedTimesResolveWithinTheRecording)
{
    StreamBuilder b;
    std::uint64_t start = T0 + 300'000'000;  // 22:13:20.300
    b.create(start, {1, start}, {0, 0}, "init").create(T0 + 65 * kS, {2, T0 + 65 * kS}, {1, start}, "sh");
    Timeline timeline(bytes_of(b.bytes()));
    timeline.build_all();
    std::string error;
    EXPECT_EQ(timeline.resolve("+1.5", error), start + 1'500'000'000);
    EXPECT_EQ(timeline.resolve("+0", error), start);
    EXPECT_EQ(timeline.resolve("22:13:21", error), T0 + kS);
    EXPECT_EQ(timeline.resolve(" 22:14:00.250 ", error), T0 + 40 * kS + 250'000'000);
    EXPECT_EQ(timeline.resolve("22:13:20", error), start);  // the start's second, typed as shown
    EXPECT_EQ(timeline.resolve("2023-11-14 22:13:30", error), T0 + 10 * kS);
    EXPECT_EQ(timeline.resolve("2023-11-14T22:13:30.5", error), T0 + 10 * kS + 500'000'000);

    EXPECT_FALSE(timeline.resolve("22:15:00", error));
    EXPECT_EQ(error, "22:15:00 is outside the recording (2023-11-14 22:13:20.300 to 2023-11-14 22:14:25.000 UTC)");
    EXPECT_FALSE(timeline.resolve("+66", error));
    EXPECT_FALSE(timeline.resolve("21:00:00", error));
    for (const char* bad : {"", "+", "+-1", "25:00:00", "12:60:00", "12:00", "1:2:3", "noon", "+1.1234567891",
                            "2023-02-30 10:00:00", "2023-13-01 00:00:00", "12:00:00 junk", "+99999999999999"}) {
        EXPECT_FALSE(timeline.resolve(bad, error)) << bad;
        EXPECT_NE(error.find("is not a time"), std::string::npos) << bad << ": " << error;
    }
    EXPECT_FALSE(timeline.resolve("\x1b[2J", error));
    EXPECT_EQ(error.find('\x1b'), std::string::npos);  // typed text is shown escaped
}

TEST(TimeText, TimeOfDayAfterMidnightFallsOnTheNextDay)
{
    std::uint64_t before_midnight = T0 - (T0 % (86'400 * kS)) + 86'399 * kS;  // 23:59:59
    StreamBuilder b;
    b.create(before_midnight, {1, before_midnight}, {0, 0}, "init");
    b.create(before_midnight + 10 * kS, {2, before_midnight + 10 * kS}, {1, before_midnight}, "late");
    Timeline timeline(bytes_of(b.bytes()));
    timeline.build_all();
    std::string error;
    EXPECT_EQ(timeline.resolve("00:00:05", error), before_midnight + 6 * kS);
    EXPECT_EQ(format_clock(before_midnight + 6 * kS + 7'000'000), "00:00:05.007");
}

// Times too large for the clock are refused, never wrapped around to a time
// that means something else (found by time_text_fuzz).
TEST(TimeText, TimesPastTheClocksRangeAreRefusedNotWrapped)
{
    std::string error;
    std::uint64_t start = T0;
    EXPECT_FALSE(parse_time("+999999999999", start, kForever, error));  // 12 digits: 10^21 ns
    EXPECT_NE(error.find("is not a time"), std::string::npos);
    EXPECT_EQ(parse_time("+999999999", start, kForever, error), start + 999'999'999ull * kS);
    EXPECT_FALSE(parse_time("4050-12-02 23:59:59", start, kForever, error));
    EXPECT_FALSE(parse_time("2262-04-12 00:00:00", start, kForever, error));
    EXPECT_TRUE(parse_time("2262-04-11 00:00:00", start, kForever, error));
    std::uint64_t last_day = kForever - 1000 * kS;  // near the end of the unsigned clock
    auto t = parse_time("23:59:59", last_day, kForever, error);
    EXPECT_TRUE(!t || *t >= last_day / (86'400 * kS) * (86'400 * kS));
}

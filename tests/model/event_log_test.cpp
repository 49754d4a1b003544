// Unit tests for model/src/event_log.cpp: one line per record, snapshot
// creates left out, the capacity, and the PID-subtree test.
#include "tree_fixture.hpp"

#include <proctree/model/event_log.hpp>

using namespace proctree::model;
using namespace proctree::testing;

namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t T0 = 1'700'000'000'000'000'000ull;

struct Logged {
    ProcessTree tree{TreeConfig{3000 * kMs}};
    EventLog log;
    explicit Logged(std::size_t capacity = 10'000) : log(capacity) {}
    void feed(const StreamBuilder& b)
    {
        feed_then(tree, b, [this](const Record& r) { log.add(r, tree); });
    }
};

}  // namespace

TEST(EventLog, OneLinePerRecordWithNamesParentsAndExitStatus)
{
    Logged l;
    StreamBuilder b;
    b.snapshot(T0, true)
        .create(T0, {1, T0 - 5}, {}, "init")
        .snapshot(T0, false)
        .create(T0 + kMs, {7, T0 + kMs}, {1, T0 - 5}, "sh")
        .exec(T0 + 2 * kMs, {7, T0 + kMs}, "make", "make all", "/usr/bin/make")
        .rename(T0 + 3 * kMs, {7, T0 + kMs}, "make-worker")
        .exit(T0 + 5 * kMs, {7, T0 + kMs}, 0, 9, PT_EXIT_SIGNALED)
        .lost(T0 + 6 * kMs, 42);
    l.feed(b);
    ASSERT_EQ(l.log.size(), 5u);  // the snapshot's create is not an event
    EXPECT_EQ(l.log.at(0).kind, LogKind::Create);
    EXPECT_EQ(l.log.at(0).name, "sh");
    EXPECT_EQ(l.log.at(0).parent_name, "init");
    EXPECT_EQ(l.log.at(0).time_ns, T0 + kMs);
    EXPECT_EQ(l.log.at(1).kind, LogKind::Exec);
    EXPECT_EQ(l.log.at(1).name, "make");
    EXPECT_EQ(l.log.at(1).detail, "/usr/bin/make");
    EXPECT_EQ(l.log.at(2).kind, LogKind::Rename);
    EXPECT_EQ(l.log.at(2).name, "make-worker");
    EXPECT_EQ(l.log.at(2).detail, "make");
    EXPECT_EQ(l.log.at(3).kind, LogKind::Exit);
    EXPECT_EQ(l.log.at(3).detail, "signal 9 (KILL) after 4 ms");
    EXPECT_EQ(l.log.at(4).kind, LogKind::Lost);
    EXPECT_EQ(l.log.at(4).detail, "42 events");
}

TEST(EventLog, KeepsTheLastLinesUpToItsCapacity)
{
    Logged l(3);
    StreamBuilder b;
    for (std::uint32_t pid = 10; pid < 15; ++pid) b.create(T0 + pid, {pid, T0 + pid}, {}, "p" + std::to_string(pid));
    l.feed(b);
    ASSERT_EQ(l.log.size(), 3u);
    EXPECT_EQ(l.log.total(), 5u);
    EXPECT_EQ(l.log.at(0).name, "p12");
    EXPECT_EQ(l.log.at(2).name, "p14");
}

TEST(EventLog, InSubtreeFollowsTheTreeUpToTheTop)
{
    Logged l;
    StreamBuilder b;
    b.create(T0, {1, T0}, {}, "init")
        .create(T0 + 1, {2, T0 + 1}, {1, T0}, "a")
        .create(T0 + 2, {3, T0 + 2}, {2, T0 + 1}, "b")
        .create(T0 + 3, {4, T0 + 3}, {1, T0}, "c");
    l.feed(b);
    const Process* a = l.tree.find({2, T0 + 1});
    EXPECT_TRUE(in_subtree(l.tree, {3, T0 + 2}, a));
    EXPECT_TRUE(in_subtree(l.tree, {2, T0 + 1}, a));
    EXPECT_FALSE(in_subtree(l.tree, {4, T0 + 3}, a));
    EXPECT_FALSE(in_subtree(l.tree, {9, T0 + 9}, a));
    EXPECT_TRUE(in_subtree(l.tree, {4, T0 + 3}, nullptr));
}

TEST(EventLog, AReparentingSaysFromWhichParentToWhich)
{
    Logged l;
    StreamBuilder b;
    b.create(T0, {1, T0 - 5}, {}, "init")
        .create(T0 + kMs, {7, T0 + kMs}, {1, T0 - 5}, "sh")
        .create(T0 + 2 * kMs, {8, T0 + 2 * kMs}, {7, T0 + kMs}, "daemon")
        .exit(T0 + 3 * kMs, {7, T0 + kMs}, 0)
        .reparent(T0 + 3 * kMs, {8, T0 + 2 * kMs}, {1, T0 - 5}, {7, T0 + kMs});
    l.feed(b);
    ASSERT_EQ(l.log.size(), 5u);
    const LogEntry& e = l.log.at(4);
    EXPECT_EQ(e.kind, LogKind::Reparent);
    EXPECT_EQ(to_string(e.kind), "reparent");
    EXPECT_EQ(e.name, "daemon");
    EXPECT_EQ(e.parent_name, "init");
    EXPECT_EQ(e.detail, "from 7 to 1");
}

// Lines of many lengths, far more than the capacity: every kept line reads
// back whole across the ring's end, and the log's memory stops growing once
// it is full (a churn costs no new allocations, so none stay scattered).
TEST(EventLog, LongRunsKeepEveryLineWholeInMemoryThatStopsGrowing)
{
    Logged l(100);
    std::size_t held_at_half = 0;
    for (std::uint32_t i = 0; i < 20'000; ++i) {
        StreamBuilder b;
        std::string name = "p" + std::string(i % 37, 'x') + std::to_string(i);
        b.create(T0 + i, {100 + i, T0 + i}, {}, name);
        l.feed(b);
        if (i == 10'000) held_at_half = l.log.bytes_held();
        ASSERT_EQ(l.log.at(l.log.size() - 1).name, name);
    }
    ASSERT_EQ(l.log.size(), 100u);
    for (std::uint32_t k = 0; k < 100; ++k) {
        std::uint32_t i = 19'900 + k;
        EXPECT_EQ(l.log.at(k).name, "p" + std::string(i % 37, 'x') + std::to_string(i));
        EXPECT_EQ(l.log.at(k).proc.pid, 100 + i);
    }
    EXPECT_EQ(l.log.bytes_held(), held_at_half);
    EXPECT_LT(l.log.bytes_held(), 100u * 128u);
}

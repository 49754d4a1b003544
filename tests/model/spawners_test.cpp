// Unit tests for model/src/spawners.cpp: children per parent in the last
// 10 s and since the start, snapshot creates left out.
#include "tree_fixture.hpp"

#include <proctree/model/spawners.hpp>

using namespace proctree::model;
using namespace proctree::testing;

namespace {

constexpr std::uint64_t kSec = 1'000'000'000ull;
constexpr std::uint64_t T0 = 1'700'000'000ull * kSec;

struct Counted {
    ProcessTree tree;
    SpawnerCounts spawners;
    void feed(const StreamBuilder& b)
    {
        feed_then(tree, b, [this](const Record& r) { spawners.add(r, tree); });
    }
};

}  // namespace

TEST(Spawners, CountsChildrenRecentlyAndSinceTheStart)
{
    Counted c;
    StreamBuilder b;
    const Id init{1, T0 - 100 * kSec}, make{2, T0 - 50 * kSec}, cron{3, T0 - 40 * kSec};
    b.snapshot(T0, true)
        .create(T0, init, {}, "init")
        .create(T0, make, init, "make")
        .create(T0, cron, init, "cron")
        .snapshot(T0, false);
    std::uint32_t pid = 100;
    for (int i = 0; i < 6; ++i, ++pid) b.create(T0 + 1 * kSec, {pid, T0 + kSec + pid}, cron, "job");  // long ago
    for (int i = 0; i < 4; ++i, ++pid) b.create(T0 + 25 * kSec, {pid, T0 + 25 * kSec + pid}, make, "cc");
    c.feed(b);
    std::uint64_t now = T0 + 26 * kSec;
    auto recent = c.spawners.top(now, 5, true);
    ASSERT_EQ(recent.size(), 1u);
    EXPECT_EQ(recent[0].name, "make");
    EXPECT_EQ(recent[0].id.pid, 2u);
    EXPECT_EQ(recent[0].recent, 4u);
    EXPECT_DOUBLE_EQ(recent[0].rate, 0.4);
    auto total = c.spawners.top(now, 5, false);
    ASSERT_EQ(total.size(), 2u);
    EXPECT_EQ(total[0].name, "cron");
    EXPECT_EQ(total[0].total, 6u);
    EXPECT_EQ(total[0].recent, 0u);
    EXPECT_EQ(total[1].name, "make");
    EXPECT_EQ(c.spawners.top(now, 1, false).size(), 1u);
}

// A checkpoint's packed counts, unpacked, go on as the counts themselves:
// the window still reaches back before the moment of packing, totals stay.
TEST(Spawners, PackedCountsUnpackedGoOnAsTheCountsWould)
{
    Counted c;
    StreamBuilder b;
    const Id init{1, T0 - 100 * kSec}, make{2, T0 - 50 * kSec};
    b.create(T0 - 100 * kSec, init, {}, "init").create(T0 - 50 * kSec, make, init, "make");
    std::uint32_t pid = 100;
    for (int s = 0; s < 30; ++s, ++pid) b.create(T0 + s * kSec, {pid, T0 + s * kSec}, s % 3 ? make : init, "cc");
    c.feed(b);
    std::uint64_t now = c.tree.now();
    SpawnerCounts::Packed packed(c.spawners, now);
    EXPECT_LT(packed.memory_estimate(), c.spawners.memory_estimate());
    SpawnerCounts unpacked = packed.unpack();
    EXPECT_EQ(unpacked.top(now, 1, true).at(0).recent, 7u);  // seconds from before the packing count
    StreamBuilder more;
    for (int s = 30; s < 36; ++s, ++pid) more.create(T0 + s * kSec, {pid, T0 + s * kSec}, make, "cc");
    feed_then(c.tree, more, [&](const Record& r) {
        c.spawners.add(r, c.tree);
        unpacked.add(r, c.tree);
    });
    for (std::uint64_t at : {now, now + 3 * kSec, c.tree.now(), c.tree.now() + 9 * kSec})
        for (bool recent : {true, false}) {
            auto want = c.spawners.top(at, 10, recent), got = unpacked.top(at, 10, recent);
            ASSERT_EQ(got.size(), want.size());
            for (std::size_t i = 0; i < want.size(); ++i) {
                EXPECT_EQ(got[i].id, want[i].id);
                EXPECT_EQ(got[i].name, want[i].name);
                EXPECT_EQ(got[i].recent, want[i].recent);
                EXPECT_EQ(got[i].total, want[i].total);
            }
        }
}

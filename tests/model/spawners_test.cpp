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

// Unit tests for model/src/tree_lineage.cpp: placement under the current
// parent and the kernel's re-parenting of orphans.
#include "tree_fixture.hpp"

#include <algorithm>

using namespace proctree::model;
using namespace proctree::testing;

namespace {
constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kH = 3000 * kMs;  // default highlight
constexpr std::uint64_t T0 = 1'700'000'000'000'000'000ull;
constexpr Id kInit{1, T0 - 100};

// init > reaper > middle > orphan, as a double fork leaves them.
StreamBuilder double_fork()
{
    StreamBuilder b;
    b.create(T0, kInit, {0, 0}, "init")
        .create(T0 + 1, {10, T0 + 1}, kInit, "reaper")
        .create(T0 + 2, {11, T0 + 2}, {10, T0 + 1}, "middle")
        .create(T0 + 3, {12, T0 + 3}, {11, T0 + 2}, "orphan");
    return b;
}
}  // namespace

TEST(TreeLineage, AReparentedOrphanMovesUnderItsNewParentAtOnceAndKeepsWhoSpawnedIt)
{
    ProcessTree tree;
    StreamBuilder b = double_fork();
    b.exit(T0 + 10, {11, T0 + 2}, 0).reparent(T0 + 10, {12, T0 + 3}, kInit, {11, T0 + 2});
    feed(tree, b);
    const Process* orphan = tree.find({12, T0 + 3});
    ASSERT_TRUE(orphan);
    EXPECT_EQ(parent_name(tree, orphan->id), "init");  // the kernel's truth, while "middle" is still shown red
    EXPECT_TRUE(tree.find({11, T0 + 2})->exited);
    EXPECT_EQ(orphan->recorded_parent, (Identity{11, T0 + 2}));
    EXPECT_EQ(orphan->current_parent, (Identity{kInit.pid, kInit.start_ns}));
    EXPECT_EQ(orphan->reparented_ns, T0 + 10);
    EXPECT_EQ(tree.stats().reparents, 1u);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:reaper", "2:middle", "1:orphan"}));
    // The dead parent leaves after its highlight; the orphan stays put and
    // is not "moved up" (no original_parent): it was placed by the kernel.
    tree.advance(T0 + 10 + kH);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:reaper", "1:orphan"}));
    EXPECT_EQ(tree.find({12, T0 + 3})->original_parent, Identity{});
}

TEST(TreeLineage, ASubreaperThenInitAsEachExits)
{
    ProcessTree tree;
    StreamBuilder b = double_fork();
    b.exit(T0 + 10, {11, T0 + 2}, 0)
        .reparent(T0 + 10, {12, T0 + 3}, {10, T0 + 1}, {11, T0 + 2})
        .exit(T0 + 20, {10, T0 + 1}, 0)
        .reparent(T0 + 20, {12, T0 + 3}, kInit, {10, T0 + 1});
    feed(tree, b);
    tree.advance(T0 + 20 + kH);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:orphan"}));
    EXPECT_EQ(tree.find({12, T0 + 3})->recorded_parent, (Identity{11, T0 + 2}));
    EXPECT_EQ(tree.stats().reparents, 2u);
}

TEST(TreeLineage, ANewParentNotSeenYetAdoptsTheOrphanWhenItArrives)
{
    ProcessTree tree;
    StreamBuilder b = double_fork();
    b.reparent(T0 + 10, {12, T0 + 3}, {50, T0}, {11, T0 + 2});
    feed(tree, b);
    EXPECT_EQ(parent_name(tree, {12, T0 + 3}), "<root>");
    StreamBuilder later;
    later.create(T0 + 11, {50, T0}, kInit, "subreaper");
    feed(tree, later);
    EXPECT_EQ(parent_name(tree, {12, T0 + 3}), "subreaper");
}

TEST(TreeLineage, AResyncSnapshotNamingAnotherParentIsAReparentingWhoseRecordWasLost)
{
    ProcessTree tree;
    StreamBuilder b = double_fork();
    b.exit(T0 + 10, {11, T0 + 2}, 0)
        .lost(T0 + 11, 1)
        .snapshot(T0 + 12, true, PT_SNAPSHOT_RESYNC, 0)
        .create(T0 + 12, {12, T0 + 3}, kInit, "orphan")
        .snapshot(T0 + 12, false, PT_SNAPSHOT_RESYNC, 0);
    feed(tree, b);
    const Process* orphan = tree.find({12, T0 + 3});
    EXPECT_EQ(parent_name(tree, orphan->id), "init");
    EXPECT_EQ(orphan->recorded_parent, (Identity{11, T0 + 2}));
    EXPECT_EQ(orphan->reparented_ns, T0 + 12);
    // The same parent listed again changes nothing.
    StreamBuilder again;
    again.snapshot(T0 + 20, true, PT_SNAPSHOT_RESYNC, 0)
        .create(T0 + 20, {12, T0 + 3}, kInit, "orphan")
        .snapshot(T0 + 20, false, PT_SNAPSHOT_RESYNC, 0);
    feed(tree, again);
    EXPECT_EQ(tree.stats().reparents, 1u);
}

TEST(TreeLineage, AReparentingIntoItsOwnSubtreeNeverMakesACycle)
{
    ProcessTree tree;
    StreamBuilder b = double_fork();
    b.reparent(T0 + 10, {10, T0 + 1}, {12, T0 + 3}, kInit)             // corrupt: under its own grandchild
        .reparent(T0 + 11, {12, T0 + 3}, {12, T0 + 3}, {11, T0 + 2});  // under itself: ignored
    feed(tree, b);
    EXPECT_EQ(parent_name(tree, {10, T0 + 1}), "<root>");
    EXPECT_EQ(parent_name(tree, {12, T0 + 3}), "middle");
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "0:reaper", "1:middle", "2:orphan"}));
}

TEST(TreeLineage, ReparentingsOfUnknownOrExitedProcessesAreIgnored)
{
    ProcessTree tree;
    StreamBuilder b = double_fork();
    b.exit(T0 + 5, {12, T0 + 3}, 0)
        .reparent(T0 + 10, {12, T0 + 3}, kInit, {11, T0 + 2})
        .reparent(T0 + 10, {99, T0}, kInit, {11, T0 + 2});
    feed(tree, b);
    EXPECT_EQ(parent_name(tree, {12, T0 + 3}), "middle");
    EXPECT_EQ(tree.stats().reparents, 0u);
}

// Children moved up from a retired parent land in start order among many
// siblings: before them all, in the middle, after them all.
TEST(TreeLineage, ChildrenMovedUpFromARetiredParentLandInStartOrderAmongManySiblings)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, kInit, {0, 0}, "init");
    Id parent{5, T0 + 5 * kMs};
    b.create(parent.start_ns, parent, kInit, "parent");
    std::vector<std::pair<std::uint64_t, std::string>> want;
    for (std::uint32_t i = 0; i < 200; ++i) {
        std::uint64_t t = T0 + (i + 1) * 10 * kMs;
        b.create(t, {100 + i, t}, kInit, "s" + std::to_string(i));
        want.emplace_back(t, "s" + std::to_string(i));
    }
    for (std::uint64_t t : {T0 + 6 * kMs, T0 + 1000 * kMs + 1, T0 + 1000 * kMs + 2, T0 + 2500 * kMs}) {
        std::string name = "c" + std::to_string(want.size());
        b.create(std::max(t, T0 + 2001 * kMs), {static_cast<std::uint32_t>(1000 + want.size()), t}, parent, name);
        want.emplace_back(t, name);
    }
    b.exit(T0 + 2600 * kMs, parent, 0);
    feed(tree, b);
    tree.advance(T0 + 2600 * kMs + kH + 1);
    ASSERT_FALSE(tree.find({parent.pid, parent.start_ns}));
    std::sort(want.begin(), want.end());
    std::vector<std::string> names;
    for (const auto& [t, name] : want) names.push_back(name);
    EXPECT_EQ(child_names(tree.find({kInit.pid, kInit.start_ns})), names);
    EXPECT_EQ(tree.find({1200, T0 + 6 * kMs})->original_parent, (Identity{parent.pid, parent.start_ns}));
}

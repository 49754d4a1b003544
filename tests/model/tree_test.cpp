// Unit tests for model/src/tree.cpp: identity, parentage, lifecycle.
#include "tree_fixture.hpp"

#include <malloc.h>

#include <algorithm>

using namespace proctree::model;
using namespace proctree::testing;

namespace {
constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kH = 3000 * kMs;  // default highlight
constexpr std::uint64_t T0 = 1'700'000'000'000'000'000ull;
}  // namespace

TEST(Tree, ChildrenHangUnderTheirParentInCreationOrder)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0 - 100}, {0, 0}, "init")
        .create(T0 + 1, {30, T0 + 1}, {1, T0 - 100}, "c")
        .create(T0 + 2, {10, T0 + 2}, {1, T0 - 100}, "a")
        .create(T0 + 3, {20, T0 + 3}, {1, T0 - 100}, "b");
    feed(tree, b);
    EXPECT_EQ(child_names(tree.first_root()), (std::vector<std::string>{"c", "a", "b"}));
    EXPECT_EQ(tree.size(), 4u);
}

TEST(Tree, ReusedPidIsANewProcessAndTheOldOneIsNotConfusedWithIt)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0 - 100}, {0, 0}, "init")
        .create(T0 + 1, {42, T0 + 1}, {1, T0 - 100}, "first")
        .exit(T0 + 2, {42, T0 + 1}, 3)
        .create(T0 + 3, {42, T0 + 3}, {1, T0 - 100}, "second");
    feed(tree, b);
    const Process* first = tree.find({42, T0 + 1});
    const Process* second = tree.find({42, T0 + 3});
    ASSERT_TRUE(first && second);
    EXPECT_NE(first, second);
    EXPECT_TRUE(first->exited);
    EXPECT_EQ(first->exit_code, 3);
    EXPECT_FALSE(second->exited);
    EXPECT_EQ(tree.find_pid(42), second);
    // An exit naming the old identity never touches the new process.
    StreamBuilder late;
    late.exit(T0 + 4, {42, T0 + 1}, 99);
    feed(tree, late);
    EXPECT_FALSE(tree.find({42, T0 + 3})->exited);
}

TEST(Tree, ReusedPidWhoseExitWasLostRetiresThePredecessor)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {42, T0}, {0, 0}, "old").create(T0 + 5, {42, T0 + 5}, {0, 0}, "new");
    feed(tree, b);
    EXPECT_TRUE(tree.find({42, T0})->exited);
    EXPECT_TRUE(tree.find({42, T0})->exit_flags & PT_EXIT_CODE_UNKNOWN);
    EXPECT_FALSE(tree.find({42, T0 + 5})->exited);
    EXPECT_EQ(tree.stats().living, 1u);
}

// Start times are clock ticks: a pid reused within one tick repeats the
// identity. The second create is still a new process.
TEST(Tree, PidReusedWithinOneTickIsANewProcessAndItsExitEndsIt)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0 - 100}, {0, 0}, "init")
        .create(T0 + 1 * kMs, {42, T0}, {1, T0 - 100}, "quick")
        .exit(T0 + 2 * kMs, {42, T0}, 0)
        .create(T0 + 3 * kMs, {42, T0}, {1, T0 - 100}, "newproc");
    feed(tree, b);
    const Process* now = tree.find({42, T0});
    ASSERT_TRUE(now);
    EXPECT_EQ(now->name, "newproc");
    EXPECT_FALSE(now->exited);
    EXPECT_EQ(tree.find_pid(42), now);
    EXPECT_EQ(tree.stats().living, 2u);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:quick", "1:newproc"}));
    EXPECT_EQ(tree.state(*tree.first_root()->first_child()), ProcState::Exiting);

    tree.advance(T0 + 2 * kMs + kH);  // quick's highlight is over: only quick leaves
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:newproc"}));
    ASSERT_EQ(tree.find({42, T0}), now);
    EXPECT_FALSE(now->exited);

    StreamBuilder end;
    end.exit(T0 + 10 * kMs + kH, {42, T0}, 7);
    feed(tree, end);
    EXPECT_TRUE(now->exited);
    EXPECT_EQ(now->exit_code, 7);
    tree.advance(T0 + 10 * kMs + 2 * kH);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init"}));
    EXPECT_EQ(tree.size(), 1u);
}

TEST(Tree, APidReusedWithinOneTickLeavesTwoProcessesEachFoundByItsRefAndGivenItsOwnImageFacts)
{
    ProcessTree tree;
    std::string sh_sha(32, '\x11'), sleep_sha(32, '\x22');
    StreamBuilder b;
    b.create(T0, {1, T0 - 100}, {0, 0}, "init")
        .create(T0 + 1 * kMs, {42, T0}, {1, T0 - 100}, "quick", "quick", "root", "/bin/sh")  // seq 1
        .exit(T0 + 2 * kMs, {42, T0}, 0)
        .create(T0 + 3 * kMs, {42, T0}, {1, T0 - 100}, "newproc", "newproc", "root", "/bin/sleep")  // seq 3
        // hashed off the capture path: the predecessor's facts come after its successor's create
        .facts(T0 + 4 * kMs, {42, T0}, 3, PT_FACTS_HASHED, "/bin/sleep", 20, sleep_sha)
        .facts(T0 + 5 * kMs, {42, T0}, 1, PT_FACTS_HASHED, "/bin/sh", 10, sh_sha);
    feed(tree, b);
    std::vector<Row> rows = TreeView(tree).all_rows();
    ASSERT_EQ(rows.size(), 3u);
    const Process* quick = rows[1].proc;
    const Process* newproc = rows[2].proc;
    ASSERT_EQ(quick->id, newproc->id);
    EXPECT_NE(quick->ref(), newproc->ref());
    EXPECT_EQ(tree.find(quick->ref()), quick);
    EXPECT_EQ(tree.find(newproc->ref()), newproc);
    EXPECT_EQ(tree.find(quick->id), newproc);  // the identity alone names the newest
    EXPECT_EQ(TreeView(tree).index_of(quick->ref()), 1u);
    EXPECT_EQ(TreeView(tree).index_of(newproc->ref()), 2u);
    ASSERT_TRUE(quick->image_facts && newproc->image_facts);
    EXPECT_EQ(quick->image_facts->size, 10u);
    EXPECT_EQ(newproc->image_facts->size, 20u);
    const ProcessRef quick_ref = quick->ref();
    ProcessTree copy(tree);
    EXPECT_EQ(copy.find(quick_ref)->name, "quick");  // a copy keeps the refs
    tree.advance(T0 + 2 * kMs + kH);                 // quick leaves
    EXPECT_FALSE(tree.find(quick_ref));
    EXPECT_EQ(tree.find(newproc->ref()), newproc);
}

TEST(Tree, PidReusedWithinOneTickBeforeTheOldOneLeavesKeepsEachExitWithItsProcess)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0 - 100}, {0, 0}, "init");
    for (int i = 0; i < 3; ++i)  // three generations of pid 42 in one tick
        b.create(T0 + (2 * i + 1) * kMs, {42, T0}, {1, T0 - 100}, "gen" + std::to_string(i))
            .exit(T0 + (2 * i + 2) * kMs, {42, T0}, i);
    b.create(T0 + 9 * kMs, {42, T0}, {1, T0 - 100}, "alive");
    feed(tree, b);
    std::vector<std::string> rows = row_names(tree);
    EXPECT_EQ(rows, (std::vector<std::string>{"0:init", "1:gen0", "1:gen1", "1:gen2", "1:alive"}));
    int code = 0;
    for (const Process* c = tree.first_root()->first_child(); c; c = c->next_sibling(), ++code) {
        if (c->name == "alive") EXPECT_FALSE(c->exited);
        else EXPECT_EQ(c->exit_code, code) << c->name;
    }
    tree.advance(T0 + 10 * kMs + kH);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:alive"}));
    EXPECT_EQ(tree.size(), 2u);
}

TEST(Tree, ResyncSnapshotAfterAPidReusedWithinOneTickMatchesTheLivingProcess)
{
    ProcessTree tree;
    StreamBuilder b;
    b.snapshot(T0, true)
        .create(T0, {1, T0 - 100}, {0, 0}, "init")
        .snapshot(T0, false)
        .create(T0 + 1 * kMs, {42, T0}, {1, T0 - 100}, "quick")
        .exit(T0 + 2 * kMs, {42, T0}, 0)
        .create(T0 + 3 * kMs, {42, T0}, {1, T0 - 100}, "newproc")
        .snapshot(T0 + 4 * kMs, true, PT_SNAPSHOT_RESYNC)
        .create(T0 + 4 * kMs, {1, T0 - 100}, {0, 0}, "init")
        .create(T0 + 4 * kMs, {42, T0}, {1, T0 - 100}, "newproc")
        .snapshot(T0 + 4 * kMs, false, PT_SNAPSHOT_RESYNC);
    feed(tree, b);
    const Process* p = tree.find({42, T0});
    ASSERT_TRUE(p);
    EXPECT_EQ(p->name, "newproc");
    EXPECT_FALSE(p->exited);
    EXPECT_EQ(tree.stats().living, 2u);
    tree.advance(T0 + 5 * kMs + kH);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:newproc"}));
}

TEST(Tree, ResyncSnapshotListingAnExitedIdentityIsANewLivingProcess)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0 + 1 * kMs, {42, T0}, {0, 0}, "quick")
        .exit(T0 + 2 * kMs, {42, T0}, 0)  // newproc's create was lost
        .lost(T0 + 3 * kMs, 1)
        .snapshot(T0 + 4 * kMs, true, PT_SNAPSHOT_RESYNC)
        .create(T0 + 4 * kMs, {42, T0}, {0, 0}, "newproc")
        .snapshot(T0 + 4 * kMs, false, PT_SNAPSHOT_RESYNC);
    feed(tree, b);
    const Process* p = tree.find({42, T0});
    ASSERT_TRUE(p);
    EXPECT_EQ(p->name, "newproc");
    EXPECT_FALSE(p->exited);
}

TEST(Tree, LiveCreateRacingTheSnapshotThatListedItIsTheSameProcess)
{
    ProcessTree tree;
    StreamBuilder b;
    b.snapshot(T0, true)
        .create(T0, {42, T0}, {0, 0}, "listed")
        .snapshot(T0, false)
        .create(T0 + 1 * kMs, {42, T0}, {0, 0}, "listed");
    feed(tree, b);
    EXPECT_EQ(tree.size(), 1u);
    EXPECT_EQ(tree.stats().living, 1u);
    EXPECT_TRUE(tree.find({42, T0})->from_snapshot);
}

TEST(Tree, ChildArrivingBeforeItsParentIsAdoptedWhenTheParentArrives)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0 + 5, {20, T0 + 5}, {10, T0 + 1}, "child")
        .create(T0 + 6, {21, T0 + 6}, {10, 0}, "child-pid-only")  // parent start unknown
        .create(T0 + 7, {10, T0 + 1}, {0, 0}, "parent");
    feed(tree, b);
    EXPECT_EQ(parent_name(tree, {20, T0 + 5}), "parent");
    EXPECT_EQ(parent_name(tree, {21, T0 + 6}), "parent");
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:parent", "1:child", "1:child-pid-only"}));
}

TEST(Tree, RecordedParentThatStartedAfterTheChildIsNotItsParent)
{
    // Windows keeps dead parent ids: pid 10 was reused by a younger process.
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0 + 9, {10, T0 + 9}, {0, 0}, "younger-reuser")
        .create(T0 + 10, {20, T0 + 2}, {10, 0}, "orphan");  // started at +2, before the reuser
    feed(tree, b);
    EXPECT_EQ(parent_name(tree, {20, T0 + 2}), "<root>");
    EXPECT_TRUE(child_names(tree.find({10, T0 + 9})).empty());
}

TEST(Tree, ExitedProcessLeavesAfterHighlightAndChildrenMoveToNearestLivingAncestor)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init")
        .create(T0 + 1, {2, T0 + 1}, {1, T0}, "grandparent")
        .create(T0 + 2, {3, T0 + 2}, {2, T0 + 1}, "parent")
        .create(T0 + 3, {4, T0 + 3}, {3, T0 + 2}, "child")
        .exit(T0 + 10, {2, T0 + 1}, 0)   // grandparent exits first
        .exit(T0 + 20, {3, T0 + 2}, 1);  // then parent
    feed(tree, b);
    EXPECT_EQ(parent_name(tree, {4, T0 + 3}), "parent");  // still shown, red
    tree.advance(T0 + 10 + kH);                           // grandparent's highlight over
    EXPECT_FALSE(tree.find({2, T0 + 1}));
    EXPECT_EQ(parent_name(tree, {3, T0 + 2}), "init");
    tree.advance(T0 + 20 + kH);
    EXPECT_FALSE(tree.find({3, T0 + 2}));
    const Process* child = tree.find({4, T0 + 3});
    ASSERT_TRUE(child);
    EXPECT_EQ(parent_name(tree, child->id), "init");
    EXPECT_EQ(child->original_parent, (Identity{3, T0 + 2}));
    EXPECT_EQ(child->recorded_parent, (Identity{3, T0 + 2}));
}

TEST(Tree, ChildrenOfAnExitedRootBecomeRoots)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "root").create(T0 + 1, {2, T0 + 1}, {1, T0}, "kid").exit(T0 + 2, {1, T0}, 0);
    feed(tree, b);
    tree.advance(T0 + 2 + kH);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:kid"}));
}

TEST(Tree, LifecycleNewThenNormalExitingThenGoneOnTheInjectedClock)
{
    ProcessTree tree(TreeConfig{500 * kMs});
    StreamBuilder b;
    b.create(T0, {7, T0}, {0, 0}, "p");
    feed(tree, b);
    const Process* p = tree.find({7, T0});
    EXPECT_EQ(tree.state(*p), ProcState::New);
    EXPECT_EQ(tree.next_change_ns(), T0 + 500 * kMs);
    tree.advance(T0 + 499 * kMs);
    EXPECT_EQ(tree.state(*p), ProcState::New);
    tree.advance(T0 + 500 * kMs);
    EXPECT_EQ(tree.state(*p), ProcState::Normal);
    StreamBuilder e;
    e.exit(T0 + 1000 * kMs, {7, T0}, 0);
    feed(tree, e);
    EXPECT_EQ(tree.state(*tree.find({7, T0})), ProcState::Exiting);
    tree.advance(T0 + 1499 * kMs);
    EXPECT_TRUE(tree.find({7, T0}));
    tree.advance(T0 + 1500 * kMs);
    EXPECT_FALSE(tree.find({7, T0}));
    EXPECT_EQ(tree.size(), 0u);
}

TEST(Tree, ClockNeverRunsBackwards)
{
    ProcessTree tree;
    tree.advance(T0 + 100);
    tree.advance(T0);
    EXPECT_EQ(tree.now(), T0 + 100);
}

TEST(Tree, SnapshotProcessesAreNeverNew)
{
    ProcessTree tree;
    StreamBuilder b;
    b.snapshot(T0, true)
        .create(T0, {1, T0 - 5000}, {0, 0}, "old")
        .snapshot(T0, false)
        .create(T0 + 1, {2, T0 + 1}, {1, T0 - 5000}, "fresh");
    feed(tree, b);
    EXPECT_EQ(tree.state(*tree.find({1, T0 - 5000})), ProcState::Normal);
    EXPECT_EQ(tree.state(*tree.find({2, T0 + 1})), ProcState::New);
}

TEST(Tree, CompleteResyncSnapshotRetiresProcessesNoLongerRunning)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init")
        .create(T0 + 1, {2, T0 + 1}, {1, T0}, "missed-exit")
        .lost(T0 + 2, 0)
        .snapshot(T0 + 3, true, PT_SNAPSHOT_RESYNC, PT_SNAPSHOT_COMPLETE)
        .create(T0 + 3, {1, T0}, {0, 0}, "init")
        .create(T0 + 3, {3, T0 + 2}, {1, T0}, "missed-create")
        .snapshot(T0 + 3, false, PT_SNAPSHOT_RESYNC, PT_SNAPSHOT_COMPLETE);
    feed(tree, b);
    EXPECT_TRUE(tree.find({2, T0 + 1})->exited);
    EXPECT_FALSE(tree.find({1, T0})->exited);
    EXPECT_EQ(tree.state(*tree.find({3, T0 + 2})), ProcState::Normal);  // learnt from a snapshot
    EXPECT_EQ(tree.stats().loss_reports, 1u);
    EXPECT_EQ(tree.stats().living, 2u);
}

TEST(Tree, ExecRenameAndThreadsUpdateTheProcess)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {5, T0}, {0, 0}, "bash", "bash")
        .exec(T0 + 1, {5, T0}, "python3", "python3 -m http.server", "/usr/bin/python3.11")
        .thread(T0 + 2, {5, T0}, 6, true)
        .thread(T0 + 3, {5, T0}, 7, true)
        .thread(T0 + 4, {5, T0}, 6, false)
        .rename(T0 + 5, {5, T0}, "worker");
    feed(tree, b);
    const Process* p = tree.find({5, T0});
    EXPECT_EQ(p->name, "worker");
    EXPECT_EQ(p->cmdline, "python3 -m http.server");
    EXPECT_EQ(p->image, "/usr/bin/python3.11");
    EXPECT_EQ(p->threads, 2u);
}

TEST(Tree, ExitOfAnUnknownProcessIsCountedNotFatal)
{
    ProcessTree tree;
    StreamBuilder b;
    b.exit(T0, {99, T0}, 1);
    feed(tree, b);
    EXPECT_EQ(tree.stats().unmatched_exits, 1u);
    EXPECT_EQ(tree.size(), 0u);
}

TEST(Tree, TenThousandDeepChainBuildsFlattensAndUnwinds)
{
    constexpr std::uint32_t kDepth = 10'000;
    ProcessTree tree(TreeConfig{kMs});
    StreamBuilder b;
    for (std::uint32_t i = 1; i <= kDepth; ++i) b.create(T0 + i, {i, T0 + i}, {i - 1, i > 1 ? T0 + i - 1 : 0}, "n");
    feed(tree, b);
    TreeView view(tree);
    ASSERT_EQ(view.row_count(), kDepth);
    auto last = view.rows(kDepth - 1, 5);
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].depth, kDepth - 1);
    EXPECT_EQ(view.index_of({kDepth, T0 + kDepth}), kDepth - 1);
    // The middle exits: its subtree moves up one level.
    StreamBuilder e;
    e.exit(T0 + kDepth + 1, {5000, T0 + 5000}, 0);
    feed(tree, e);
    tree.advance(T0 + kDepth + 1 + kMs);
    EXPECT_EQ(view.row_count(), kDepth - 1);
    EXPECT_EQ(parent_name(tree, {5001, T0 + 5001}), "n");
    EXPECT_EQ(tree.find({5001, T0 + 5001})->parent()->id.pid, 4999u);
}

TEST(Tree, HundredThousandSiblings)
{
    constexpr std::uint32_t kN = 100'000;
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init");
    for (std::uint32_t i = 0; i < kN; ++i) b.create(T0 + 1 + i, {i + 2, T0 + 1 + i}, {1, T0}, "sib");
    feed(tree, b);
    TreeView view(tree);
    EXPECT_EQ(view.row_count(), kN + 1);
    auto tail = view.rows(kN - 1, 10);
    ASSERT_EQ(tail.size(), 2u);
    EXPECT_EQ(tail[1].prefix, "└─ ");
    EXPECT_EQ(tail[0].prefix, "├─ ");
    EXPECT_EQ(view.index_of({kN + 1, T0 + kN}), kN);
}

TEST(Tree, ImageFactsAttachToTheImageOfTheRecordTheyName)
{
    ProcessTree tree;
    std::string sh_sha(32, '\x11'), ls_sha(32, '\x22');
    StreamBuilder b;
    b.create(T0, {5, T0}, {0, 0}, "sh", "sh", "root", "/bin/sh");          // seq 0
    b.exec(T0 + 1, {5, T0}, "ls", "ls -l", "/bin/ls");                     // seq 1
    b.facts(T0 + 2, {5, T0}, 1, PT_FACTS_HASHED, "/bin/ls", 100, ls_sha);  // the current image
    b.facts(T0 + 3, {5, T0}, 0, PT_FACTS_HASHED, "/bin/sh", 50, sh_sha);   // late: the replaced one
    b.facts(T0 + 4, {5, T0}, 9, PT_FACTS_HASHED, "/bin/zz", 1, ls_sha);    // names no record of it
    b.facts(T0 + 5, {6, T0}, 0, PT_FACTS_HASHED, "/bin/sh", 50, sh_sha);   // no such process
    feed(tree, b);
    const Process* p = tree.find({5, T0});
    ASSERT_TRUE(p && p->image_facts);
    EXPECT_EQ(p->image_facts->status, PT_FACTS_HASHED);
    EXPECT_EQ(p->image_facts->size, 100u);
    EXPECT_EQ(p->image_facts->sha256[0], 0x22);
    EXPECT_EQ(p->image_facts->path, "/bin/ls");
    ASSERT_EQ(p->execs.size(), 1u);
    EXPECT_EQ(p->execs[0].time_ns, T0 + 1);
    EXPECT_EQ(p->execs[0].replaced_image, "/bin/sh");
    ASSERT_TRUE(p->execs[0].replaced_facts);
    EXPECT_EQ(p->execs[0].replaced_facts->size, 50u);
    EXPECT_EQ(tree.stats().image_facts, 2u);
}

TEST(Tree, AnExecBeforeTheFactsArriveMovesThemToTheReplacedImage)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {5, T0}, {0, 0}, "sh", "sh", "root", "/bin/sh")
        .facts(T0 + 1, {5, T0}, 0, PT_FACTS_UNREADABLE, "/bin/sh", 0, {}, 13)
        .exec(T0 + 2, {5, T0}, "ls", "ls", "/bin/ls");
    feed(tree, b);
    const Process* p = tree.find({5, T0});
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->image_facts);  // /bin/ls: nothing known yet
    ASSERT_EQ(p->execs.size(), 1u);
    ASSERT_TRUE(p->execs[0].replaced_facts);
    EXPECT_EQ(p->execs[0].replaced_facts->error, 13u);
}

TEST(Tree, ExecStepsAreBounded)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {5, T0}, {0, 0}, "sh", "sh", "root", "/bin/sh");
    for (int i = 0; i < 40; ++i) b.exec(T0 + 1 + i, {5, T0}, "x", "x", "/bin/x" + std::to_string(i));
    feed(tree, b);
    const Process* p = tree.find({5, T0});
    ASSERT_EQ(p->execs.size(), Process::kMaxExecSteps);
    EXPECT_EQ(p->execs.back().replaced_image, "/bin/x38");
    EXPECT_EQ(p->image, "/bin/x39");
}

namespace proctree::testing {
namespace {

// After a churn the maps and heaps give their room back (malloc's count of
// bytes in use falls by at least their arrays' size), and the tree still works.
TEST(Tree, ReleaseSpareGivesBackTheRoomAChurnLeft)
{
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "ASan's allocator keeps freed memory in quarantine; malloc's counts say nothing here";
#endif
    constexpr std::uint64_t kSec = 1000 * kMs;
    constexpr std::uint32_t kChurn = 50'000;
    ProcessTree tree(TreeConfig{kSec});
    StreamBuilder b;
    b.create(T0, {1, T0 - 100}, {0, 0}, "init");
    for (std::uint32_t i = 0; i < kChurn; ++i) b.create(T0 + i, {100 + i, T0 + i}, {1, T0 - 100}, "true");
    for (std::uint32_t i = 0; i < kChurn; ++i) b.exit(T0 + kChurn + i, {100 + i, T0 + i}, 0);
    feed(tree, b);
    tree.advance(T0 + 2 * kChurn + 2 * kSec);
    ASSERT_EQ(tree.size(), 1u);
    std::size_t before = mallinfo2().uordblks;
    tree.release_spare();
    std::size_t after = mallinfo2().uordblks;
    // Two hash tables' bucket arrays (8 bytes a bucket) and two heaps (16 bytes an entry).
    EXPECT_GE(before - std::min(before, after), std::size_t{kChurn} * (8 + 8 + 16));
    StreamBuilder more;
    more.create(T0 + 3 * kChurn + 3 * kSec, {7, T0 + 3 * kChurn + 3 * kSec}, {1, T0 - 100}, "late");
    feed(tree, more);
    EXPECT_EQ(child_names(tree.first_root()), (std::vector<std::string>{"late"}));
}

}  // namespace
}  // namespace proctree::testing

TEST(Tree, AnExitedProcessKeepsItsCpuTimeAndPeakRssInCopiesUnknownStaysUnknown)
{
    ProcessTree tree(TreeConfig{kH, true});
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init")
        .create(T0 + 1, {2, T0 + 1}, {1, T0}, "burner")
        .create(T0 + 2, {3, T0 + 2}, {1, T0}, "zero")
        .create(T0 + 3, {4, T0 + 3}, {1, T0}, "netlink-style")
        .exit_usage(T0 + 10, {2, T0 + 1}, 0, 312'000'000ull, 52ull << 20)
        .exit_usage(T0 + 11, {3, T0 + 2}, 0, 0, 0)
        .exit(T0 + 12, {4, T0 + 3}, 0);
    feed(tree, b);
    ProcessTree copy(tree);
    for (const ProcessTree* t : {&tree, &copy}) {
        EXPECT_EQ(t->find({2, T0 + 1})->cpu_time_ns(), 312'000'000ull);
        EXPECT_EQ(t->find({2, T0 + 1})->peak_rss_bytes(), 52ull << 20);
        EXPECT_EQ(t->find({3, T0 + 2})->cpu_time_ns(), 0u);  // a known zero is a figure
        EXPECT_EQ(t->find({3, T0 + 2})->peak_rss_bytes(), 0u);
        EXPECT_FALSE(t->find({4, T0 + 3})->cpu_time_ns());
        EXPECT_FALSE(t->find({4, T0 + 3})->peak_rss_bytes());
        EXPECT_FALSE(t->find({1, T0})->cpu_time_ns());  // running
    }
}

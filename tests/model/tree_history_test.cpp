// Unit tests for model/src/tree_history.cpp: exited processes kept past their
// highlight time, the history bound, dead parents kept for their descendants'
// lineage, and the per-process list of execs, renames and image loads.
#include "tree_fixture.hpp"

using namespace proctree::model;
using namespace proctree::testing;

namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kH = 3000 * kMs;
constexpr std::uint64_t T0 = 1'700'000'000'000'000'000ull;

TreeConfig keeping(std::size_t history = 100'000)
{
    TreeConfig c;
    c.highlight_ns = kH;
    c.keep_exited = true;
    c.history = history;
    return c;
}

Id id(std::uint32_t pid) { return Id{pid, T0 + pid}; }
Identity ident(std::uint32_t pid) { return Identity{pid, T0 + pid}; }

}  // namespace

TEST(TreeHistory, AKeptProcessStaysInPlaceRedThenDimmedWithItsExit)
{
    ProcessTree tree(keeping());
    StreamBuilder b;
    b.create(T0, id(1), {}, "init").create(T0 + 1, id(2), id(1), "blip").exit(T0 + 1 * kMs, id(2), 3);
    feed(tree, b);
    const Process* p = tree.find(ident(2));
    ASSERT_TRUE(p);
    EXPECT_EQ(tree.state(*p), ProcState::Exiting);
    tree.advance(T0 + 10'000 * kMs);
    p = tree.find(ident(2));
    ASSERT_TRUE(p);
    EXPECT_EQ(tree.state(*p), ProcState::Exited);
    EXPECT_EQ(p->exit_code, 3);
    EXPECT_EQ(parent_name(tree, p->id), "init");
    auto rows = TreeView(tree).all_rows();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].state, RowState::Exited);
    EXPECT_EQ(tree.stats().exited, 1u);
}

TEST(TreeHistory, WithoutKeepingAnExitedProcessLeavesAfterItsHighlight)
{
    ProcessTree tree(TreeConfig{kH});
    StreamBuilder b;
    b.create(T0, id(1), {}, "init").create(T0 + 1, id(2), id(1), "blip").exit(T0 + 2, id(2), 0);
    feed(tree, b);
    tree.advance(T0 + 2 + kH);
    EXPECT_FALSE(tree.find(ident(2)));
    EXPECT_EQ(tree.stats().exited, 0u);
}

TEST(TreeHistory, TheBoundDropsTheOldestExitsFirstAndCountsThem)
{
    ProcessTree tree(keeping(3));
    StreamBuilder b;
    b.create(T0, id(1), {}, "init");
    for (std::uint32_t pid = 10; pid < 15; ++pid) b.create(T0 + pid, id(pid), id(1), "p" + std::to_string(pid));
    // Exits in an order unlike the creates: 12, 10, 14, 11, 13.
    std::uint64_t t = T0 + 100;
    for (std::uint32_t pid : {12u, 10u, 14u, 11u, 13u}) b.exit(t++, id(pid), 0);
    feed(tree, b);
    tree.advance(T0 + 60 * kH);
    EXPECT_FALSE(tree.find(ident(12)));
    EXPECT_FALSE(tree.find(ident(10)));
    for (std::uint32_t pid : {14u, 11u, 13u}) EXPECT_TRUE(tree.find(ident(pid))) << pid;
    EXPECT_EQ(tree.stats().history_dropped, 2u);
    EXPECT_EQ(tree.stats().exited, 3u);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:p11", "1:p13", "1:p14"}));
}

TEST(TreeHistory, ADeadParentStaysWhileItHasLivingOrKeptDescendants)
{
    ProcessTree tree(keeping(1));
    StreamBuilder b;
    b.create(T0, id(1), {}, "init")
        .create(T0 + 2, id(2), id(1), "parent")
        .create(T0 + 3, id(3), id(2), "child")
        .create(T0 + 4, id(4), id(3), "grandchild")
        .create(T0 + 5, id(5), id(1), "other")
        .exit(T0 + 10, id(2), 0)   // parent: kept
        .exit(T0 + 11, id(3), 0)   // child: the bound drops parent, which stays for the lineage
        .exit(T0 + 12, id(5), 0);  // other: the bound drops child, which stays for grandchild
    feed(tree, b);
    tree.advance(T0 + 10 * kH);
    EXPECT_EQ(tree.stats().history_dropped, 2u);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:parent", "2:child", "3:grandchild", "1:other"}));
    EXPECT_EQ(parent_name(tree, ident(4)), "child");
    EXPECT_TRUE(tree.find(ident(4))->original_parent == Identity{});

    // The grandchild exits (kept), then its drop takes the whole dead chain with it.
    StreamBuilder more;
    more.exit(T0 + 20, id(4), 0).create(T0 + 21, id(6), id(1), "late").exit(T0 + 22, id(6), 0);
    feed(tree, more);
    EXPECT_EQ(tree.stats().history_dropped, 4u);
    EXPECT_FALSE(tree.find(ident(2)));
    EXPECT_FALSE(tree.find(ident(3)));
    EXPECT_FALSE(tree.find(ident(4)));
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:late"}));
    EXPECT_EQ(tree.stats().exited, 1u);
}

TEST(TreeHistory, TurningKeepingOffRetiresAtOnceThosePastTheirHighlight)
{
    ProcessTree tree(keeping());
    StreamBuilder b;
    b.create(T0, id(1), {}, "init")
        .create(T0 + 2, id(2), id(1), "old")
        .create(T0 + 3, id(3), id(2), "orphan")
        .create(T0 + 4, id(4), id(1), "recent")
        .exit(T0 + 10, id(2), 0)
        .exit(T0 + 10 + kH, id(4), 0);
    feed(tree, b);
    tree.advance(T0 + 10 + kH + 1);
    ASSERT_TRUE(tree.find(ident(2)));
    tree.set_keep_exited(false);
    EXPECT_FALSE(tree.find(ident(2)));
    EXPECT_EQ(parent_name(tree, ident(3)), "init");
    EXPECT_EQ(tree.find(ident(3))->original_parent, ident(2));
    ASSERT_TRUE(tree.find(ident(4)));  // still red: leaves when its highlight ends
    tree.advance(T0 + 10 + 2 * kH);
    EXPECT_FALSE(tree.find(ident(4)));
    EXPECT_EQ(tree.stats().exited, 0u);
}

TEST(TreeHistory, NameAndPidFiltersApplyToKeptProcesses)
{
    ProcessTree tree(keeping());
    StreamBuilder b;
    b.create(T0, id(1), {}, "init")
        .create(T0 + 2, id(2), id(1), "make")
        .create(T0 + 3, id(3), id(2), "cc1plus")
        .create(T0 + 4, id(4), id(1), "bash")
        .exit(T0 + 10, id(3), 1)
        .exit(T0 + 11, id(2), 2);
    feed(tree, b);
    tree.advance(T0 + 100 * kH);
    Filter f;
    f.name = "cc1";
    tree.set_filter(f);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:make", "2:cc1plus"}));
    f.name.clear();
    f.pids = {2};
    tree.set_filter(f);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:make", "2:cc1plus"}));
}

TEST(TreeHistory, ThePidFilterShowsAReusedPidsKeptPredecessorBesideItsSuccessor)
{
    ProcessTree tree(keeping());
    StreamBuilder b;
    const Id blip{7, T0 + 2}, reuse{7, T0 + 20}, other{7, T0 + 40};
    b.create(T0, id(1), {}, "init")
        .create(T0 + 2, blip, id(1), "blip")
        .exit(T0 + 3, blip, 7)
        .create(T0 + 20, reuse, id(1), "reuse")
        .exit(T0 + 21, reuse, 0)
        .create(T0 + 40, other, id(1), "other");
    feed(tree, b);
    tree.advance(T0 + 10 * kH);
    Filter f;
    f.pids = {7};
    tree.set_filter(f);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:blip", "1:reuse", "1:other"}));
    EXPECT_EQ(tree.find_pid(7)->name, "other");  // the living one
    ProcessTree copy(tree);
    ASSERT_EQ(copy.with_pid(7).size(), 3u);
    EXPECT_EQ(copy.with_pid(7)[2]->name, "blip");
    EXPECT_EQ(copy.with_pid(7)[2], copy.find(Identity{7, T0 + 2}));  // the copy's own nodes
    // The middle one leaves (the history bound drops the oldest exit first,
    // so turn keeping off): the chain closes over the gap.
    StreamBuilder end;
    end.exit(T0 + 10 * kH + 1, other, 0);
    feed(tree, end);
    tree.set_keep_exited(false);
    tree.advance(T0 + 20 * kH);
    EXPECT_TRUE(tree.with_pid(7).empty());
    EXPECT_FALSE(tree.find_pid(7));
    EXPECT_EQ(copy.with_pid(7).size(), 3u);  // untouched by the original's changes
}

TEST(TreeHistory, RetiringTheNewestOfAReusedPidLeavesTheOlderOnesFindable)
{
    ProcessTree tree(keeping(1));
    StreamBuilder b;
    const Id old{7, T0 + 2}, newer{7, T0 + 20};
    b.create(T0, id(1), {}, "init")
        .create(T0 + 2, old, id(1), "old")
        .create(T0 + 3, id(8), old, "child")  // keeps the dead old one for its lineage
        .exit(T0 + 4, old, 0)
        .create(T0 + 20, newer, id(1), "newer")
        .exit(T0 + 21, newer, 0)
        .create(T0 + 30, id(9), id(1), "last")
        .exit(T0 + 31, id(9), 0);  // the bound of 1 drops old's and then newer's exit
    feed(tree, b);
    tree.advance(T0 + 10 * kH);
    EXPECT_FALSE(tree.find(Identity{7, T0 + 20}));
    ASSERT_EQ(tree.with_pid(7).size(), 1u);
    EXPECT_EQ(tree.find_pid(7)->name, "old");
    EXPECT_EQ(parent_name(tree, ident(8)), "old");
}

TEST(TreeHistory, ImageLoadsAreKeptPerProcessUpToTheBound)
{
    TreeConfig c = keeping();
    c.images_per_process = 2;
    ProcessTree tree(c);
    StreamBuilder b(std::string_view("win"), PT_OS_WINDOWS);
    b.create(T0, id(4), {}, "System").create(T0 + 1, id(8), id(4), "app.exe");
    for (int i = 0; i < 5; ++i) b.image(T0 + 10 + i, id(8), "C:\\dll" + std::to_string(i) + ".dll");
    b.exit(T0 + 20, id(8), 0);
    feed(tree, b);
    tree.advance(T0 + 10 * kH);
    const Process* p = tree.find(ident(8));
    ASSERT_TRUE(p && p->history());
    ASSERT_EQ(p->history()->images.size(), 2u);
    EXPECT_EQ(p->history()->images[0].path, "C:\\dll0.dll");
    EXPECT_EQ(p->history()->images[1].path, "C:\\dll1.dll");
    EXPECT_EQ(p->history()->images[1].time_ns, T0 + 11);
    EXPECT_EQ(p->history()->images[0].base, 0x140000000ull);
    EXPECT_EQ(p->history()->images_dropped, 3u);
    EXPECT_FALSE(tree.find(ident(4))->history());  // nothing allocated for the others
}

TEST(TreeHistory, RenamesAreRecordedWithTheNameTheyReplaced)
{
    TreeConfig c = keeping();
    c.renames_per_process = 2;
    ProcessTree tree(c);
    StreamBuilder b;
    b.create(T0, id(2), {}, "sh", "sh -c x", "", "/bin/sh")
        .exec(T0 + 5, id(2), "env", "env x", "/usr/bin/env")
        .rename(T0 + 6, id(2), "worker")
        .rename(T0 + 7, id(2), "worker2")
        .rename(T0 + 8, id(2), "worker3");
    feed(tree, b);
    const Process* p = tree.find(ident(2));
    ASSERT_TRUE(p && p->history());
    const auto& ch = p->history()->renames;
    ASSERT_EQ(ch.size(), 2u);
    EXPECT_EQ(ch[0].before, "env");
    EXPECT_EQ(ch[0].after, "worker");
    EXPECT_EQ(ch[0].time_ns, T0 + 6);
    EXPECT_EQ(ch[1].before, "worker");
    EXPECT_EQ(ch[1].after, "worker2");
    EXPECT_EQ(p->history()->renames_dropped, 1u);
    EXPECT_EQ(p->name, "worker3");
}

TEST(TreeHistory, ACopyKeepsTheKeptProcessesTheirHistoryAndTheBound)
{
    ProcessTree tree(keeping(2));
    StreamBuilder b;
    b.create(T0, id(1), {}, "init").create(T0 + 1, id(2), id(1), "a").rename(T0 + 2, id(2), "a2");
    b.create(T0 + 3, id(3), id(1), "b").exit(T0 + 4, id(2), 0).exit(T0 + 5, id(3), 0);
    feed(tree, b);
    ProcessTree copy(tree);
    ASSERT_TRUE(copy.find(ident(2)) && copy.find(ident(2))->history());
    EXPECT_EQ(copy.find(ident(2))->history()->renames.at(0).after, "a2");
    StreamBuilder more;
    more.create(T0 + 6, id(4), id(1), "c").exit(T0 + 7, id(4), 0);
    feed(copy, more);
    EXPECT_FALSE(copy.find(ident(2)));  // the oldest exit went, in the copy only
    EXPECT_TRUE(tree.find(ident(2)));
    EXPECT_EQ(copy.stats().history_dropped, 1u);
    EXPECT_EQ(tree.stats().history_dropped, 0u);
}

TEST(TreeHistory, ProcessesThatRanOneImageShareOneCopyOfItsFactsAndAnExecDropsTheForkedCommandLine)
{
    ProcessTree tree;
    const std::string sha(32, '\x11'), other(32, '\x22');
    const std::string script(200, 'p');
    StreamBuilder b;
    b.create(T0, id(1), {}, "python3", script);
    for (std::uint32_t pid : {2u, 3u, 4u}) {
        std::uint64_t execd = b.next_seq() + 1;
        b.create(T0 + pid, id(pid), id(1), "python3", script)
            .exec(T0 + pid, id(pid), "sleep", "sleep 9", "/usr/bin/sleep");
        // pid 4 ran the binary after it was replaced: other contents
        b.facts(T0 + pid, id(pid), execd, PT_FACTS_HASHED, "/usr/bin/sleep", 100, pid == 4 ? other : sha);
    }
    feed(tree, b);
    const Process* p2 = tree.find(ident(2));
    const Process* p3 = tree.find(ident(3));
    const Process* p4 = tree.find(ident(4));
    ASSERT_TRUE(p2 && p3 && p4 && p2->image_facts && p3->image_facts && p4->image_facts);
    EXPECT_EQ(p2->image_facts.get(), p3->image_facts.get());
    EXPECT_NE(p3->image_facts.get(), p4->image_facts.get());
    EXPECT_EQ(p4->image_facts->sha256[0], 0x22);
    EXPECT_EQ(p2->image_facts->sha256[0], 0x11);
    EXPECT_EQ(p2->cmdline, "sleep 9");
    EXPECT_LT(p2->cmdline.capacity(), script.size());  // the fork's long buffer went with the exec
}

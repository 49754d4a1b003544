// ParentWatch (driver/linux/src/parent_watch.cpp) on a canned /proc: the
// children of an exited process get a reparent record once their stat
// names another parent, and only then.
#include "linux_test_support.hpp"

#include <proctree/linux/parent_watch.hpp>

using namespace proctree;
using namespace proctree::collect;
using proctree::testing::FakeProc;
using proctree::testing::MemorySink;

namespace {

constexpr std::uint64_t kT = 1'800'000'000'000'000'000ull;

struct Watched {
    FakeProc proc;
    ProcFs fs{proc.root()};
    MemorySink sink;
    ParentWatch watch{sink, fs};
    WireWriter out{watch};

    Watched() { out.stream_header(PT_OS_LINUX, PT_SOURCE_NETLINK, kT, 0, "box"); }
    pt_ident id(std::uint32_t pid, std::uint64_t ticks) const
    {
        return pt_ident{pid, 0, fs.start_ns_from_ticks(ticks)};
    }
    void create(std::uint32_t pid, std::uint64_t ticks, std::uint32_t ppid, std::uint64_t pticks)
    {
        pt_create_args a{};
        a.proc = id(pid, ticks);
        a.parent = id(ppid, pticks);
        a.threads = 1;
        out.create(kT, a);
        proc.add(pid, ppid, "p" + std::to_string(pid), ticks);
    }
    std::vector<model::ProcessReparent> moves()
    {
        std::vector<model::ProcessReparent> found;
        for (const auto& r : proctree::testing::decode(sink.bytes))
            if (auto* m = std::get_if<model::ProcessReparent>(&r.r.body)) found.push_back(*m);
        return found;
    }
};

}  // namespace

TEST(ParentWatch, AnOrphanIsReportedUnderTheParentItsStatNamesOnceItMoved)
{
    Watched w;
    w.create(1, 1, 0, 0);
    w.create(10, 5, 1, 1);   // the subreaper
    w.create(11, 6, 10, 5);  // the middle
    w.create(12, 7, 11, 6);  // the orphan
    w.out.exit(kT + 5, w.id(11, 6), 0, 0, 0);
    EXPECT_TRUE(w.watch.pending());
    // The kernel has not moved it yet (eBPF's exit comes just before): nothing yet.
    ASSERT_TRUE(w.watch.follow(w.out));
    EXPECT_TRUE(w.moves().empty());
    EXPECT_TRUE(w.watch.pending());
    w.proc.add(12, 10, "p12", 7);  // now its stat names the subreaper
    ASSERT_TRUE(w.watch.follow(w.out));
    auto m = w.moves();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].proc.pid, 12u);
    EXPECT_EQ(m[0].proc.start_ns, w.id(12, 7).start_ns);
    EXPECT_EQ(m[0].parent.pid, 10u);
    EXPECT_EQ(m[0].parent.start_ns, w.id(10, 5).start_ns);
    EXPECT_EQ(m[0].previous.pid, 11u);
    EXPECT_EQ(m[0].previous.start_ns, w.id(11, 6).start_ns);
    EXPECT_FALSE(w.watch.pending());
    // The subreaper exits in turn: the orphan goes to init.
    w.out.exit(kT + 9, w.id(10, 5), 0, 0, 0);
    w.proc.add(12, 1, "p12", 7);
    ASSERT_TRUE(w.watch.follow(w.out));
    m = w.moves();
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[1].parent.pid, 1u);
    EXPECT_EQ(m[1].previous.pid, 10u);
}

TEST(ParentWatch, ChildrenThatAreGoneOrReusedOrAlreadyMovedGetNoRecord)
{
    Watched w;
    w.create(1, 1, 0, 0);
    w.create(20, 5, 1, 1);
    w.create(21, 6, 20, 5);  // exits with its parent
    w.create(22, 7, 20, 5);  // its pid is reused before we look
    w.create(23, 8, 20, 5);  // moved by a record someone else wrote
    w.out.exit(kT + 1, w.id(20, 5), 0, 0, 0);
    w.proc.remove(21);
    w.proc.add(22, 1, "new22", 99);
    w.proc.add(23, 1, "p23", 8);
    w.out.reparent(kT + 1, w.id(23, 8), w.id(1, 1), w.id(20, 5));
    ASSERT_TRUE(w.watch.follow(w.out));
    auto m = w.moves();
    ASSERT_EQ(m.size(), 1u);  // only the one written above
    EXPECT_EQ(m[0].proc.pid, 23u);
    EXPECT_FALSE(w.watch.pending());
}

TEST(ParentWatch, AProcessReusingADeadParentsPidDoesNotInheritItsChildren)
{
    Watched w;
    w.create(1, 1, 0, 0);
    w.create(30, 5, 1, 1);
    w.create(31, 6, 30, 5);
    w.out.exit(kT + 1, w.id(30, 5), 0, 0, 0);
    w.proc.add(31, 1, "p31", 6);
    ASSERT_TRUE(w.watch.follow(w.out));
    ASSERT_EQ(w.moves().size(), 1u);
    w.create(30, 50, 1, 1);  // pid 30 again: a new process, no children
    w.out.exit(kT + 2, w.id(30, 50), 0, 0, 0);
    EXPECT_FALSE(w.watch.pending());
}

TEST(ParentWatch, AnOrphanThatNeverMovesIsGivenUp)
{
    Watched w;
    w.create(1, 1, 0, 0);
    w.create(40, 5, 1, 1);
    w.create(41, 6, 40, 5);
    w.out.exit(kT + 1, w.id(40, 5), 0, 0, 0);
    for (int i = 0; i < 100 && w.watch.pending(); ++i) ASSERT_TRUE(w.watch.follow(w.out));
    EXPECT_FALSE(w.watch.pending());
    EXPECT_TRUE(w.moves().empty());
}

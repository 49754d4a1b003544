// ProcTracker (driver/linux/src/proc_tracker.cpp): the differences between
// what was reported and a fresh scan, as the poll source and resyncs emit them.
#include "linux_test_support.hpp"

#include "proc_tracker.hpp"

#include <proctree/linux/procfs.hpp>
#include <proctree/linux/snapshot.hpp>

using namespace proctree::collect;
using namespace proctree::testing;
namespace model = proctree::model;

namespace {

struct Fixture {
    FakeProc proc;
    MemorySink sink;
    ProcFs fs{proc.root()};
    WireWriter out{sink};
    ProcTracker tracker{fs, out};

    Fixture()
    {
        proc.add(1, 0, "init", 0);
        proc.add(100, 1, "bash", 50, nul_joined({"bash"}), "/bin/bash");
        proc.add(150, 100, "sleep", 60, nul_joined({"sleep", "100"}), "/bin/sleep");
        proc.add(160, 1, "kworker/0:1", 70);
        fs = ProcFs(proc.root());
        write_linux_stream_header(out, fs, PT_SOURCE_POLL);
        EXPECT_TRUE(tracker.initial_snapshot());
    }

    // The records written after the initial snapshot.
    std::vector<Rec> live()
    {
        auto all = decode(sink.bytes);
        std::vector<Rec> written;
        bool after = false;
        for (auto& r : all) {
            if (after) written.push_back(r);
            if (auto* s = std::get_if<model::Snapshot>(&r.r.body); s && !s->begin && s->reason == PT_SNAPSHOT_INITIAL)
                after = true;
        }
        return written;
    }
};

}  // namespace

TEST(ProcTracker, NothingChangedNothingWritten)
{
    Fixture f;
    ASSERT_TRUE(f.tracker.poll_difference());
    EXPECT_TRUE(f.live().empty());
    EXPECT_EQ(f.tracker.known_processes(), 4u);
}

TEST(ProcTracker, NewGoneExecdRenamedAndReusedPids)
{
    Fixture f;
    f.proc.add(200, 100, "make", 80, nul_joined({"make", "-j2"}), "/usr/bin/make");  // new
    f.proc.remove(1);                                                                // gone (test only)
    f.proc.add(1, 0, "init", 0);                                                     // (back: unchanged)
    f.proc.remove(150);
    f.proc.add(150, 100, "sleep", 90, nul_joined({"sleep", "5"}), "/bin/sleep");  // pid reused
    f.proc.add(100, 1, "zsh", 50, nul_joined({"zsh"}), "/bin/zsh");               // exec'd
    f.proc.add(160, 1, "kworker/0:1-events", 70);                                 // renamed only
    ASSERT_TRUE(f.tracker.poll_difference());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 5u);
    // Exits first: the old 150.
    const auto& gone = std::get<model::ProcessExit>(recs[0].r.body);
    EXPECT_EQ(gone.proc, (model::Identity{150, f.fs.start_ns_from_ticks(60)}));
    EXPECT_EQ(gone.flags, PT_EXIT_CODE_UNKNOWN);
    // Then in scan order (by start time, parents first): 100's exec, 160's
    // rename, 200 (new), 150 (the new process with the old pid).
    EXPECT_EQ(std::get<model::ProcessExec>(recs[1].r.body).proc.pid, 100u);
    EXPECT_EQ(recs[1].name, "zsh");
    EXPECT_EQ(recs[1].image, "/bin/zsh");
    EXPECT_EQ(std::get<model::ProcessRename>(recs[2].r.body).proc.pid, 160u);
    EXPECT_EQ(recs[2].name, "kworker/0:1-events");
    EXPECT_EQ(std::get<model::ProcessCreate>(recs[3].r.body).proc.pid, 200u);
    EXPECT_EQ(recs[3].name, "make");
    const auto& reused = std::get<model::ProcessCreate>(recs[4].r.body);
    EXPECT_EQ(reused.proc, (model::Identity{150, f.fs.start_ns_from_ticks(90)}));
    EXPECT_EQ(reused.parent, (model::Identity{100, f.fs.start_ns_from_ticks(50)}));
    EXPECT_EQ(recs[4].cmdline, "sleep 5");
}

TEST(ProcTracker, AZombieIsGoneAndLosingItsCmdlineIsNoExec)
{
    Fixture f;
    f.proc.write("150/cmdline", "");  // exiting: argv already unreadable
    ASSERT_TRUE(f.tracker.poll_difference());
    EXPECT_TRUE(f.live().empty());
    f.proc.write("150/stat", "150 (sleep) Z 100 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 60 0 0 0\n");
    ASSERT_TRUE(f.tracker.poll_difference());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(std::get<model::ProcessExit>(recs[0].r.body).proc.pid, 150u);
}

TEST(ProcTracker, ResyncIsBracketedAndLossComesFirst)
{
    Fixture f;
    f.proc.remove(150);
    ASSERT_TRUE(f.tracker.lost_and_resync(0, PT_LOST_KERNEL_BUFFER));
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_TRUE(std::holds_alternative<model::EventsLost>(recs[0].r.body));
    EXPECT_EQ(std::get<model::Snapshot>(recs[1].r.body).reason, PT_SNAPSHOT_RESYNC);
    EXPECT_TRUE(std::holds_alternative<model::ProcessExit>(recs[2].r.body));
    EXPECT_FALSE(std::get<model::Snapshot>(recs[3].r.body).begin);
}

TEST(ProcTracker, APolledOrphanIsReparentedAfterItsParentsExit)
{
    Fixture f;
    f.proc.remove(100);                                                           // bash exits
    f.proc.add(150, 1, "sleep", 60, nul_joined({"sleep", "100"}), "/bin/sleep");  // the kernel gave sleep to init
    ASSERT_TRUE(f.tracker.poll_difference());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 2u);
    const auto& gone = std::get<model::ProcessExit>(recs[0].r.body);
    EXPECT_EQ(gone.proc.pid, 100u);
    const auto& moved = std::get<model::ProcessReparent>(recs[1].r.body);
    EXPECT_EQ(moved.proc, (model::Identity{150, f.fs.start_ns_from_ticks(60)}));
    EXPECT_EQ(moved.parent, (model::Identity{1, f.fs.start_ns_from_ticks(0)}));
    EXPECT_EQ(moved.previous, gone.proc);  // the exited bash, with its start time
    ASSERT_TRUE(f.tracker.poll_difference());
    EXPECT_EQ(f.live().size(), 2u);  // said once
}

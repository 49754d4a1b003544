// ProcTracker (driver/linux/src/proc_tracker.cpp): the differences between
// what was reported and a fresh scan, as the poll source and resyncs emit them.
#include "linux_test_support.hpp"

#include "proc_tracker.hpp"

#include <proctree/linux/procfs.hpp>
#include <proctree/linux/snapshot.hpp>

#include <cerrno>
#include <map>
#include <optional>
#include <set>

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

namespace {

// Handles as the kernel's pidfds behave: one names the process that held
// the pid when it was opened; end() makes every handle on pid's process
// say exited (with a wait status once reaped), as a reuse of the pid would.
class FakeHandles final : public ProcessHandles {
public:
    bool supported() const override { return error != ENOSYS; }
    int open(std::uint32_t pid) override
    {
        if (error) return -error;
        ++opens;
        int h = next++;
        pid_of[h] = pid;
        if (die_on_open.erase(pid)) ended[h] = std::nullopt;  // ends right after the open
        return h;
    }
    bool exited(int h) override { return ended.contains(h); }
    std::optional<int> wait_status(int h) override
    {
        auto it = ended.find(h);
        return it != ended.end() ? it->second : std::nullopt;
    }
    bool tells_status() const override { return statuses; }
    void close(int h) override
    {
        EXPECT_TRUE(pid_of.erase(h)) << "closed twice or never opened: " << h;
        ended.erase(h);
    }
    void end(std::uint32_t pid, std::optional<int> status)
    {
        for (auto& [h, p] : pid_of)
            if (p == pid) ended[h] = status;
    }
    std::size_t held() const { return pid_of.size(); }
    int handle_of(std::uint32_t pid) const
    {
        int latest = -1;
        for (const auto& [h, p] : pid_of)
            if (p == pid) latest = h;
        return latest;
    }

    int error = 0;         // every open fails with it
    bool statuses = true;  // false: a kernel before PIDFD_INFO_EXIT
    int opens = 0;
    std::set<std::uint32_t> die_on_open;

private:
    int next = 3;
    std::map<int, std::uint32_t> pid_of;
    std::map<int, std::optional<int>> ended;
};

struct HandleFixture {
    FakeProc proc;
    MemorySink sink;
    FakeHandles handles;
    ProcFs fs{proc.root()};
    WireWriter out{sink};
    std::optional<ProcTracker> tracker;

    explicit HandleFixture(int error = 0)
    {
        handles.error = error;
        proc.add(1, 0, "init", 0);
        proc.add(100, 1, "bash", 50, nul_joined({"bash"}), "/bin/bash");
        proc.add(150, 100, "worker", 60, nul_joined({"worker", "a"}), "/bin/worker");
        fs = ProcFs(proc.root());
        tracker.emplace(fs, out, &handles);
        write_linux_stream_header(out, fs, PT_SOURCE_POLL);
        EXPECT_TRUE(tracker->initial_snapshot());
        sink.bytes.swap(header_and_snapshot);
    }
    // The records written after the initial snapshot.
    std::vector<Rec> live()
    {
        auto all = decode(header_and_snapshot + sink.bytes);
        return {all.end() - static_cast<std::ptrdiff_t>(all.size() - decode(header_and_snapshot).size()), all.end()};
    }
    // pid 150 exits and a new process takes its pid within the same tick.
    void reuse_150_in_one_tick(std::optional<int> status)
    {
        handles.end(150, status);
        proc.remove(150);
        proc.add(150, 100, "worker", 60, nul_joined({"worker", "b"}), "/bin/worker");
    }
    std::string header_and_snapshot;
};

const model::ProcessExit& exit_of(const Rec& r) { return std::get<model::ProcessExit>(r.r.body); }
const model::ProcessCreate& create_of(const Rec& r) { return std::get<model::ProcessCreate>(r.r.body); }

}  // namespace

TEST(ProcTrackerHandles, OneHandlePerProcessAllClosed)
{
    HandleFixture f;
    EXPECT_EQ(f.handles.held(), 3u);
    f.proc.remove(100);
    f.handles.end(100, 0);
    ASSERT_TRUE(f.tracker->poll_difference());
    EXPECT_EQ(f.handles.held(), 2u);  // the exited one's closed
    ASSERT_TRUE(f.tracker->lost_and_complete_resync(1, PT_LOST_QUEUE_FULL));
    EXPECT_EQ(f.handles.held(), 2u);  // kept across a complete resync, not reopened
    EXPECT_EQ(f.handles.opens, 3);
    EXPECT_EQ(f.tracker->without_handle(), 0u);
    f.tracker.reset();
    EXPECT_EQ(f.handles.held(), 0u);
}

TEST(ProcTrackerHandles, SameTickButExitedIsAnExitAndACreate)
{
    HandleFixture f;
    f.reuse_150_in_one_tick(9);  // killed by SIGKILL, reaped
    ASSERT_TRUE(f.tracker->poll_difference());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 2u);
    const model::Identity same{150, f.fs.start_ns_from_ticks(60)};
    EXPECT_EQ(exit_of(recs[0]).proc, same);
    EXPECT_EQ(exit_of(recs[0]).signal, 9u);
    EXPECT_EQ(exit_of(recs[0]).flags & PT_EXIT_CODE_UNKNOWN, 0u);
    EXPECT_EQ(create_of(recs[1]).proc, same);
    EXPECT_EQ(create_of(recs[1]).parent, (model::Identity{100, f.fs.start_ns_from_ticks(50)}));
    EXPECT_EQ(recs[1].cmdline, "worker b");
    EXPECT_EQ(f.handles.held(), 3u);  // the successor's own
    ASSERT_TRUE(f.tracker->poll_difference());
    EXPECT_EQ(f.live().size(), 2u);  // and then it is the same process
}

TEST(ProcTrackerHandles, AnExitNotYetReapedHasNoStatus)
{
    HandleFixture f;
    f.handles.end(150, std::nullopt);
    f.proc.write("150/stat", "150 (worker) Z 100 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 60 0 0 0\n");
    ASSERT_TRUE(f.tracker->poll_difference());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(exit_of(recs[0]).flags, PT_EXIT_CODE_UNKNOWN);
}

TEST(ProcTrackerHandles, SameTickAndAliveIsTheSameProcess)
{
    HandleFixture f;
    f.proc.add(150, 100, "worker", 60, nul_joined({"worker", "b"}), "/bin/worker");  // exec'd, same process
    ASSERT_TRUE(f.tracker->poll_difference());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(std::get<model::ProcessExec>(recs[0].r.body).proc, (model::Identity{150, f.fs.start_ns_from_ticks(60)}));
    EXPECT_EQ(f.handles.opens, 3);
}

TEST(ProcTrackerHandles, ReadBehindAHandleThatExitedIsReadAgain)
{
    HandleFixture f;
    f.proc.add(200, 100, "make", 80, nul_joined({"make"}), "/usr/bin/make");
    f.handles.die_on_open = {200};  // what was read may be a successor's
    ASSERT_TRUE(f.tracker->poll_difference());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 1u);  // read again behind a handle that held
    EXPECT_EQ(create_of(recs[0]).proc.pid, 200u);
    EXPECT_EQ(f.handles.opens, 5);
    EXPECT_EQ(f.handles.held(), 4u);
}

TEST(ProcTrackerHandles, WithoutHandlesAPidIsKnownByItsStartAlone)
{
    for (int error : {EMFILE, ENOSYS}) {
        HandleFixture f(error);
        f.reuse_150_in_one_tick(9);
        ASSERT_TRUE(f.tracker->poll_difference());
        auto recs = f.live();
        ASSERT_EQ(recs.size(), 1u);  // taken for an exec of its predecessor, as without handles
        EXPECT_TRUE(std::holds_alternative<model::ProcessExec>(recs[0].r.body));
        // Counted where handles should have been; not where the kernel has none.
        EXPECT_EQ(f.tracker->without_handle(), error == EMFILE ? 3u : 0u);
        if (error == EMFILE) {
            EXPECT_EQ(f.tracker->last_handle_error(), EMFILE);
        }
    }
}

TEST(ProcTrackerHandles, AnExitBetweenScansIsWrittenOnceReaped)
{
    HandleFixture f;
    f.handles.end(150, std::nullopt);  // a zombie: no status yet
    ASSERT_TRUE(f.tracker->exits_between_scans({{150u, f.handles.handle_of(150)}}));
    EXPECT_TRUE(f.live().empty());
    EXPECT_TRUE(f.tracker->exits_pending());
    f.handles.end(150, 3 << 8);  // reaped: exit 3
    f.proc.remove(150);
    ASSERT_TRUE(f.tracker->exits_between_scans({}));
    EXPECT_FALSE(f.tracker->exits_pending());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(exit_of(recs[0]).proc, (model::Identity{150, f.fs.start_ns_from_ticks(60)}));
    EXPECT_EQ(exit_of(recs[0]).code, 3);
    EXPECT_EQ(f.handles.held(), 2u);
    ASSERT_TRUE(f.tracker->poll_difference());
    EXPECT_EQ(f.live().size(), 1u);  // written once
}

TEST(ProcTrackerHandles, AZombieNeverReapedEndsAtTheNextScan)
{
    HandleFixture f;
    f.handles.end(150, std::nullopt);
    ASSERT_TRUE(f.tracker->exits_between_scans({{150u, f.handles.handle_of(150)}}));
    f.proc.write("150/stat", "150 (worker) Z 100 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 60 0 0 0\n");
    ASSERT_TRUE(f.tracker->poll_difference());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(exit_of(recs[0]).flags, PT_EXIT_CODE_UNKNOWN);
    ASSERT_TRUE(f.tracker->exits_between_scans({}));
    EXPECT_EQ(f.live().size(), 1u);
}

TEST(ProcTrackerHandles, AnOrphanOfAParentGoneBetweenScansNamesItAsItsPrevious)
{
    HandleFixture f;
    f.handles.end(100, 0);
    f.proc.remove(100);
    ASSERT_TRUE(f.tracker->exits_between_scans({{100u, f.handles.handle_of(100)}}));
    f.proc.add(150, 1, "worker", 60, nul_joined({"worker", "a"}), "/bin/worker");  // given to init
    ASSERT_TRUE(f.tracker->poll_difference());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(exit_of(recs[0]).proc.pid, 100u);
    const auto& moved = std::get<model::ProcessReparent>(recs[1].r.body);
    EXPECT_EQ(moved.previous, (model::Identity{100, f.fs.start_ns_from_ticks(50)}));
}

TEST(ProcTrackerHandles, WhereTheKernelTellsNoStatusAnExitIsWrittenAtOnce)
{
    HandleFixture f;
    f.handles.statuses = false;
    f.handles.end(150, std::nullopt);
    ASSERT_TRUE(f.tracker->exits_between_scans({{150u, f.handles.handle_of(150)}}));
    EXPECT_FALSE(f.tracker->exits_pending());
    auto recs = f.live();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(exit_of(recs[0]).flags, PT_EXIT_CODE_UNKNOWN);
}

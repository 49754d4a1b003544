// The proc connector source (driver/linux/src/netlink_source.cpp and
// proc_tracker.cpp) end to end behind its syscall seam: canned datagrams in,
// a canned /proc for the details, wire records out (decoded by the model).
#include "linux_test_support.hpp"
#include "netlink_bytes.hpp"
#include "taskstats_bytes.hpp"

#include "netlink_channel.hpp"
#include "procfs_text.hpp"

#include <proctree/linux/clock.hpp>
#include <proctree/linux/procfs.hpp>

#include <time.h>

#include <cerrno>
#include <functional>
#include <thread>
#include <variant>

using namespace proctree::collect;
using namespace proctree::testing;
namespace model = proctree::model;

namespace {

// A scripted step as a receive returns it: an error, or a datagram copied out.
template <typename Step>
long hand_out(const Step& s, std::byte* buf, std::size_t cap)
{
    if (auto* err = std::get_if<int>(&s)) return *err;
    const Datagram& d = std::get<Datagram>(s);
    std::memcpy(buf, d.data(), std::min(cap, d.size()));
    return static_cast<long>(d.size());
}

// Replays a script: datagrams, errors (-ENOBUFS) and actions on the fake
// /proc. An action first ends the reader's current batch (a timeout), so it
// runs after every earlier event's details were read. At the end it asks
// the source to stop.
class ScriptedChannel final : public EventChannel {
public:
    using Step = std::variant<Datagram, int, std::function<void()>>;
    // The script starts once `started` says so (the initial snapshot is out).
    ScriptedChannel(std::vector<Step> steps, std::atomic<bool>& stop, std::function<bool()> started)
        : steps_(std::move(steps)), stop_(stop), started_(std::move(started))
    {}

    long receive(std::byte* buf, std::size_t cap, int) override
    {
        if (!started_()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return 0;
        }
        if (next_ >= steps_.size()) {
            stop_.store(true);
            return 0;
        }
        Step& s = steps_[next_];
        if (auto* action = std::get_if<std::function<void()>>(&s)) {
            if (!paused_) {
                paused_ = true;
                return 0;
            }
            paused_ = false;
            ++next_;
            (*action)();
            return 0;
        }
        ++next_;
        return hand_out(s, buf, cap);
    }

private:
    std::vector<Step> steps_;
    std::atomic<bool>& stop_;
    std::function<bool()> started_;
    std::size_t next_ = 0;
    bool paused_ = false;
};

// The start tick the source derives from a fork event stamped `mono`.
std::uint64_t ticks_at(const ProcFs& fs, std::uint64_t mono)
{
    return (mono + clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC)) / (1'000'000'000ull / fs.ticks_per_second());
}

// The exec-only subscription: hands out its datagrams, then says it is done.
class ExecChannel final : public EventChannel {
public:
    ExecChannel(std::vector<Datagram> datagrams, std::atomic<bool>& done)
        : datagrams_(std::move(datagrams)), done_(done)
    {}
    long receive(std::byte* buf, std::size_t cap, int) override
    {
        if (next_ >= datagrams_.size()) {
            done_.store(true);  // every earlier datagram has been dealt with
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return 0;
        }
        const Datagram& d = datagrams_[next_++];
        std::memcpy(buf, d.data(), std::min(cap, d.size()));
        return static_cast<long>(d.size());
    }

private:
    std::vector<Datagram> datagrams_;
    std::atomic<bool>& done_;
    std::size_t next_ = 0;
};

// The exit accounting: hands out its datagrams (or errors) one per
// receive, then has nothing more.
class AccountingChannel final : public EventChannel {
public:
    using Step = std::variant<Datagram, int>;
    explicit AccountingChannel(std::vector<Step> steps) : steps_(std::move(steps)) {}
    long receive(std::byte* buf, std::size_t cap, int) override
    {
        if (next_ >= steps_.size()) return 0;
        return hand_out(steps_[next_++], buf, cap);
    }

private:
    std::vector<Step> steps_;
    std::size_t next_ = 0;
};

std::vector<Rec> run_script(FakeProc& proc, std::vector<ScriptedChannel::Step> steps,
                            std::unique_ptr<EventChannel> exec_channel = nullptr,
                            std::unique_ptr<EventChannel> exit_channel = nullptr)
{
    std::atomic<bool> stop{false};
    SourceOptions options;
    options.realtime_reader = false;  // nothing races these tests' processes
    MemorySink sink;
    // The source flushes right after its initial snapshot.
    auto started = [&sink] { return sink.flushes.load() > 0; };
    auto source = make_netlink_source_on(options, std::make_unique<ScriptedChannel>(std::move(steps), stop, started),
                                         proc.root(), std::move(exec_channel), std::move(exit_channel));
    EXPECT_EQ(source->run(sink, stop), 0);
    return decode(sink.bytes);
}

// Live records only: what follows the initial snapshot's end.
std::vector<Rec> after_initial_snapshot(const std::vector<Rec>& all)
{
    for (std::size_t i = 0; i < all.size(); ++i)
        if (auto* s = std::get_if<model::Snapshot>(&all[i].r.body); s && !s->begin)
            return {all.begin() + static_cast<long>(i) + 1, all.end()};
    ADD_FAILURE() << "no snapshot end";
    return {};
}

template <typename T>
const T& body(const Rec& r)
{
    const T* t = std::get_if<T>(&r.r.body);
    if (!t) throw std::runtime_error("unexpected record type " + std::to_string(r.r.type));
    return *t;
}

constexpr std::uint64_t kSecond = 1'000'000'000ull;

}  // namespace

TEST(NetlinkSource, TranslatesForkExecCommThreadsAndExits)
{
    FakeProc proc;
    proc.add(1, 0, "init", 0, std::string("/sbin/init\0", 11), "/sbin/init");
    proc.add(100, 1, "bash", 50, std::string("bash\0", 5), "/bin/bash", 0);
    ProcFs fs(proc.root());
    const std::uint64_t t_fork = 20 * kSecond + 5'000'000;
    const std::uint64_t child_ticks = ticks_at(fs, t_fork);

    auto recs = after_initial_snapshot(run_script(
        proc,
        {
            [&] { proc.add(200, 100, "worker", child_ticks, std::string("worker\0-x\0", 10), "/usr/bin/worker"); },
            fork_datagram(t_fork, 100, 100, 200, 200), exec_datagram(t_fork + 1000, 200),
            comm_datagram(t_fork + 2000, 200, "renamed"),
            fork_datagram(t_fork + 3000, 100, 100, 201, 200),       // a thread of 200
            comm_datagram(t_fork + 3500, 201, "thread-name", 200),  // not the process's name
            exit_datagram(t_fork + 4000, 201, 200, 0), exit_datagram(t_fork + 5000, 200, 200, 3 << 8),
            // 300 is gone before its exec is read: it keeps the name it had.
            fork_datagram(t_fork + 6000, 100, 100, 300, 300), exec_datagram(t_fork + 7000, 300),
            exit_datagram(t_fork + 8000, 300, 300, 9),
            exit_datagram(t_fork + 9000, 999, 999, 0),  // never reported: nothing to retire
        }));

    ASSERT_EQ(recs.size(), 9u);
    const auto& create = body<model::ProcessCreate>(recs[0]);
    const std::uint64_t child_start = fs.start_ns_from_ticks(child_ticks);
    EXPECT_EQ(create.proc, (model::Identity{200, child_start}));
    EXPECT_EQ(create.parent, (model::Identity{100, fs.start_ns_from_ticks(50)}));
    EXPECT_EQ(recs[0].name, "bash");  // at fork, a copy of its parent
    EXPECT_EQ(recs[0].r.time_ns - t_fork,
              recs[1].r.time_ns - (t_fork + 1000));  // kernel event times, shifted to the wall clock

    EXPECT_EQ(body<model::ProcessExec>(recs[1]).proc, create.proc);
    EXPECT_EQ(recs[1].name, "worker");
    EXPECT_EQ(recs[1].cmdline, "worker -x");
    EXPECT_EQ(recs[1].image, "/usr/bin/worker");
    EXPECT_EQ(recs[1].user, "root");

    EXPECT_EQ(body<model::ProcessRename>(recs[2]).proc, create.proc);
    EXPECT_EQ(recs[2].name, "renamed");

    const auto& thread = body<model::ThreadEvent>(recs[3]);
    EXPECT_TRUE(thread.created);
    EXPECT_EQ(thread.tid, 201u);
    EXPECT_EQ(thread.proc, create.proc);
    EXPECT_FALSE(body<model::ThreadEvent>(recs[4]).created);

    const auto& exit = body<model::ProcessExit>(recs[5]);
    EXPECT_EQ(exit.proc, create.proc);
    EXPECT_EQ(exit.code, 3);
    EXPECT_EQ(exit.flags, 0);

    EXPECT_EQ(body<model::ProcessCreate>(recs[6]).proc.pid, 300u);
    EXPECT_EQ(recs[7].name, "bash");
    EXPECT_EQ(recs[7].image, "");
    EXPECT_EQ(recs[7].cmdline, "");
    const auto& killed = body<model::ProcessExit>(recs[8]);
    EXPECT_EQ(killed.signal, 9);
    EXPECT_EQ(killed.flags, PT_EXIT_SIGNALED);
    // The identity the live records use for a vanished process is the one
    // derived from its fork event, the same in its create and its exit.
    EXPECT_EQ(killed.proc, body<model::ProcessCreate>(recs[6]).proc);
}

TEST(NetlinkSource, ANameSeenAfterTheForkIsKeptWhenTheExecComesTooLate)
{
    FakeProc proc;
    proc.add(100, 1, "bash", 50);
    ProcFs fs(proc.root());
    // Fork stamped right after a tick boundary: the source reads the
    // child's stat (the child had already exec'd "true"), then the child is
    // gone before its exec event is read.
    const std::uint64_t off = clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
    const std::uint64_t tick = 1'000'000'000ull / fs.ticks_per_second();
    const std::uint64_t t_fork = ((30 * kSecond + off) / tick + 1) * tick - off + 1000;
    auto recs = after_initial_snapshot(run_script(proc, {
                                                            [&] { proc.add(200, 100, "true", ticks_at(fs, t_fork)); },
                                                            fork_datagram(t_fork, 100, 100, 200, 200),
                                                            [&] { proc.remove(200); },
                                                            exec_datagram(t_fork + 1000, 200),
                                                        }));
    ASSERT_GE(recs.size(), 2u);
    EXPECT_EQ(recs[0].name, "bash");
    EXPECT_EQ(recs[1].name, "true");
}

TEST(NetlinkSource, LossIsReportedThenTheDifferenceIsResynced)
{
    FakeProc proc;
    proc.add(1, 0, "init", 0);
    proc.add(100, 1, "bash", 50);
    proc.add(150, 100, "doomed", 60);
    ProcFs fs(proc.root());
    const std::uint64_t t_fork = 40 * kSecond + 5'000'000;
    const std::uint64_t newcomer_ticks = ticks_at(fs, t_fork);
    auto all = run_script(proc, {
                                    [&] {
                                        proc.remove(150);
                                        proc.add(400, 100, "newcomer", newcomer_ticks, nul_joined({"newcomer"}));
                                        proc.add(100, 1, "zsh", 50, nul_joined({"zsh", "-l"}));  // 100 exec'd meanwhile
                                    },
                                    -ENOBUFS,
                                    -ENOBUFS,  // one resync covers both
                                    [] {},     // the queue is seen empty: now the resync
                                    fork_datagram(t_fork, 100, 100, 400, 400),  // raced the rescan: not reported twice
                                });
    auto recs = after_initial_snapshot(all);
    // 6 for the loss and its resync, then 2: stopped before the follow-up
    // rescan was due, the source does it on the way out (nothing changed).
    ASSERT_EQ(recs.size(), 8u);
    EXPECT_EQ(body<model::EventsLost>(recs[0]).reason, PT_LOST_KERNEL_BUFFER);
    const auto& begin = body<model::Snapshot>(recs[1]);
    EXPECT_TRUE(begin.begin);
    EXPECT_EQ(begin.reason, PT_SNAPSHOT_RESYNC);
    const auto& gone = body<model::ProcessExit>(recs[2]);
    EXPECT_EQ(gone.proc, (model::Identity{150, fs.start_ns_from_ticks(60)}));
    EXPECT_EQ(gone.flags, PT_EXIT_CODE_UNKNOWN);
    const auto& exec = body<model::ProcessExec>(recs[3]);
    EXPECT_EQ(exec.proc.pid, 100u);
    EXPECT_EQ(recs[3].name, "zsh");
    EXPECT_EQ(recs[3].cmdline, "zsh -l");
    const auto& born = body<model::ProcessCreate>(recs[4]);
    EXPECT_EQ(born.proc, (model::Identity{400, fs.start_ns_from_ticks(newcomer_ticks)}));
    EXPECT_EQ(born.parent, (model::Identity{100, fs.start_ns_from_ticks(50)}));
    EXPECT_EQ(recs[4].cmdline, "newcomer");
    const auto& end = body<model::Snapshot>(recs[5]);
    EXPECT_FALSE(end.begin);
    EXPECT_EQ(end.reason, PT_SNAPSHOT_RESYNC);
    EXPECT_EQ(body<model::Snapshot>(recs[6]).reason, PT_SNAPSHOT_RESYNC);
    EXPECT_TRUE(body<model::Snapshot>(recs[6]).begin);
    EXPECT_FALSE(body<model::Snapshot>(recs[7]).begin);
}

TEST(NetlinkSource, InitialSnapshotIsCompleteAndParentsFirst)
{
    FakeProc proc;
    proc.add(1, 0, "init", 0);
    proc.add(7, 1, "kthreadd-like", 0, {}, {}, 0, 0x00200000);
    proc.add(100, 1, "bash", 50);
    auto all = run_script(proc, {});
    ASSERT_EQ(all.size(), 5u);
    const auto& begin = body<model::Snapshot>(all[0]);
    EXPECT_EQ(begin.reason, PT_SNAPSHOT_INITIAL);
    EXPECT_EQ(begin.flags, PT_SNAPSHOT_COMPLETE);
    EXPECT_EQ(body<model::ProcessCreate>(all[1]).proc.pid, 1u);
    EXPECT_TRUE(body<model::ProcessCreate>(all[2]).flags & PT_PROC_KERNEL_THREAD);
}

TEST(NetlinkSource, DetailsReadByTheExecThreadNameAProcessGoneBeforeTheReaderLooks)
{
    FakeProc proc;
    proc.add(100, 1, "bash", 50);
    ProcFs fs(proc.root());
    const std::uint64_t t_fork = 50 * kSecond + 5'000'000;
    proc.add(200, 100, "true", ticks_at(fs, t_fork), nul_joined({"/bin/true", "--quick"}), "/usr/bin/true");
    std::atomic<bool> exec_done{false};
    auto exec_channel =
        std::make_unique<ExecChannel>(std::vector<Datagram>{exec_datagram(t_fork + 500, 200)}, exec_done);
    auto recs = after_initial_snapshot(
        run_script(proc,
                   {
                       [&] {
                           // The exec thread has read 200's details; now 200 is gone.
                           const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
                           while (!exec_done.load() && std::chrono::steady_clock::now() < deadline)
                               std::this_thread::sleep_for(std::chrono::milliseconds(1));
                           proc.remove(200);
                       },
                       fork_datagram(t_fork, 100, 100, 200, 200),
                       exec_datagram(t_fork + 500, 200),
                       exit_datagram(t_fork + 900, 200, 200, 0),
                   },
                   std::move(exec_channel)));
    // 200 was already there for the initial snapshot: its fork adds nothing.
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(body<model::ProcessExec>(recs[0]).proc.pid, 200u);
    EXPECT_EQ(recs[0].name, "true");
    EXPECT_EQ(recs[0].cmdline, "/bin/true --quick");
    EXPECT_EQ(recs[0].image, "/usr/bin/true");
    EXPECT_EQ(body<model::ProcessExit>(recs[1]).proc.pid, 200u);
}

TEST(NetlinkSource, DetailsOfAnotherProcessThatTookThePidAreNotTheExecs)
{
    FakeProc proc;
    proc.add(100, 1, "bash", 50, nul_joined({"bash"}), "/bin/bash");
    ProcFs fs(proc.root());
    const std::uint64_t t_fork = 60 * kSecond + 5'000'000;
    const std::uint64_t child_ticks = ticks_at(fs, t_fork);
    auto recs = after_initial_snapshot(run_script(
        proc, {
                  [&] { proc.add(200, 100, "bash", child_ticks); },
                  fork_datagram(t_fork, 100, 100, 200, 200),
                  // By the time its exec is read, 200 has exited and a later
                  // process (another start time) has the pid.
                  [&] { proc.add(200, 1, "imposter", child_ticks + 700, nul_joined({"imposter"}), "/bin/imp"); },
                  exec_datagram(t_fork + 1000, 200),
              }));
    ASSERT_GE(recs.size(), 2u);
    EXPECT_EQ(body<model::ProcessCreate>(recs[0]).proc, (model::Identity{200, fs.start_ns_from_ticks(child_ticks)}));
    EXPECT_EQ(body<model::ProcessExec>(recs[1]).proc.pid, 200u);
    EXPECT_EQ(recs[1].name, "bash");  // the best name known, not the newcomer's
    EXPECT_EQ(recs[1].cmdline, "");
    EXPECT_EQ(recs[1].image, "");
}

// 300 is gone before its exec could be read: the exec keeps the name it had
// (its parent's), and the kernel's exit accounting corrects it at the exit.
std::vector<Rec> exit_of_a_process_never_read(std::vector<AccountingChannel::Step> accounting)
{
    FakeProc proc;
    proc.add(100, 1, "bash", 50);
    const std::uint64_t t_fork = 70 * kSecond + 5'000'000;
    return after_initial_snapshot(
        run_script(proc,
                   {fork_datagram(t_fork, 100, 100, 300, 300), exec_datagram(t_fork + 1000, 300),
                    exit_datagram(t_fork + 800'000, 300, 300, 0)},
                   nullptr, std::make_unique<AccountingChannel>(std::move(accounting))));
}

constexpr std::uint64_t kLivedUs = 800;  // fork to exit above, as the kernel counts it

TEST(NetlinkSource, TheExitAccountNamesAProcessGoneBeforeItsExecWasRead)
{
    auto recs = exit_of_a_process_never_read({exit_message(300, "true", kLivedUs)});
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_EQ(recs[1].name, "bash");
    EXPECT_EQ(body<model::ProcessRename>(recs[2]).proc, body<model::ProcessCreate>(recs[0]).proc);
    EXPECT_EQ(recs[2].name, "true");
    EXPECT_EQ(body<model::ProcessExit>(recs[3]).proc.pid, 300u);
}

TEST(NetlinkSource, AnExitAccountWhoseLifetimeDoesNotFitIsAnotherProcesssAndUnused)
{
    // 20 s: a process of that pid long before this one.
    auto recs = exit_of_a_process_never_read({exit_message(300, "old-one", 20'000'000)});
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[1].name, "bash");
    EXPECT_EQ(body<model::ProcessExit>(recs[2]).proc.pid, 300u);
}

TEST(NetlinkSource, AfterTheAccountingOverranNoAccountWaitingIsTrusted)
{
    auto recs = exit_of_a_process_never_read({exit_message(300, "true", kLivedUs), -ENOBUFS});
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(body<model::ProcessExit>(recs[2]).proc.pid, 300u);
}

TEST(NetlinkSource, AProcessWhoseExecWasReadIsNotRenamedByItsAccount)
{
    FakeProc proc;
    proc.add(100, 1, "bash", 50);
    ProcFs fs(proc.root());
    const std::uint64_t t_fork = 80 * kSecond + 5'000'000;
    auto recs = after_initial_snapshot(
        run_script(proc,
                   {[&] { proc.add(300, 100, "worker", ticks_at(fs, t_fork), nul_joined({"worker"}), "/bin/worker"); },
                    fork_datagram(t_fork, 100, 100, 300, 300), exec_datagram(t_fork + 1000, 300),
                    [&] { proc.remove(300); }, exit_datagram(t_fork + 800'000, 300, 300, 0)},
                   nullptr,
                   std::make_unique<AccountingChannel>(
                       std::vector<AccountingChannel::Step>{exit_message(300, "other", kLivedUs)})));
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[1].name, "worker");
    EXPECT_EQ(body<model::ProcessExit>(recs[2]).proc.pid, 300u);
}

// With the exit accounting there, a process whose exit is in the same batch
// as its exec is not looked for in /proc (in a storm, nearly every one): the
// exit names it.
TEST(NetlinkSource, AnExecWhoseExitIsInTheBatchIsNamedByTheExitNotByProc)
{
    FakeProc proc;
    proc.add(100, 1, "bash", 50);
    ProcFs fs(proc.root());
    const std::uint64_t t_fork = 90 * kSecond + 5'000'000;
    auto recs = after_initial_snapshot(run_script(
        proc,
        {// Were /proc read, this is what it would say.
         [&] { proc.add(300, 100, "from-proc", ticks_at(fs, t_fork), nul_joined({"from-proc"}), "/bin/from-proc"); },
         fork_datagram(t_fork, 100, 100, 300, 300), exec_datagram(t_fork + 1000, 300),
         exit_datagram(t_fork + 800'000, 300, 300, 0)},
        nullptr,
        std::make_unique<AccountingChannel>(
            std::vector<AccountingChannel::Step>{exit_message(300, "true", kLivedUs)})));
    ASSERT_EQ(recs.size(), 4u);
    EXPECT_EQ(body<model::ProcessExec>(recs[1]).proc.pid, 300u);
    EXPECT_EQ(recs[1].name, "bash");  // its parent's, until the exit says
    EXPECT_EQ(recs[1].cmdline, "");
    EXPECT_EQ(recs[2].name, "true");
    EXPECT_EQ(body<model::ProcessExit>(recs[3]).proc.pid, 300u);
}

// ProcFs (driver/linux/src/procfs.cpp): parsing, start times, scans of a
// canned /proc, and a scan of the real one.
#include "linux_test_support.hpp"

#include "procfs_text.hpp"

#include <proctree/linux/procfs.hpp>

#include <unistd.h>

#include <algorithm>
#include <string>

using namespace proctree::collect;
using proctree::testing::FakeProc;

TEST(ParseStat, CommWithSpacesAndParenthesesRunsToTheLastParenthesis)
{
    auto f = parse_stat("42 (a) b (c)) R 7 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 3 0 12345 1000 100\n");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->comm, "a) b (c)");
    EXPECT_EQ(f->state, 'R');
    EXPECT_EQ(f->ppid, 7u);
    EXPECT_EQ(f->flags, 4194304u);
    EXPECT_EQ(f->threads, 3u);
    EXPECT_EQ(f->start_ticks, 12345u);
}

TEST(ParseStat, ArgvRangeOfARealProcessSpansItsCommandLine)
{
    std::string stat, cmdline;
    ASSERT_TRUE(read_small_file("/proc/self/stat", stat, 4096));
    ASSERT_TRUE(read_small_file("/proc/self/cmdline", cmdline, 1 << 20));
    auto f = parse_stat(stat);
    ASSERT_TRUE(f);
    ASSERT_NE(f->arg_start, 0u);
    EXPECT_EQ(f->arg_end - f->arg_start, cmdline.size());
    // Cut before field 48: no range rather than a wrong one.
    auto cut = parse_stat("42 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12345 1000 100\n");
    ASSERT_TRUE(cut);
    EXPECT_EQ(cut->arg_start, 0u);
    EXPECT_EQ(cut->arg_end, 0u);
}

TEST(ParseStat, RejectsTruncatedText)
{
    EXPECT_FALSE(parse_stat("42 (x) S 1 1 1"));
    EXPECT_FALSE(parse_stat("42 no parentheses S 1"));
    EXPECT_FALSE(parse_stat(""));
}

TEST(JoinCmdline, JoinsArgvWithSpacesAndDropsTrailingNuls)
{
    EXPECT_EQ(join_cmdline(std::string("sleep\0"
                                       "10\0",
                                       9)),
              "sleep 10");
    EXPECT_EQ(join_cmdline(std::string("a\0\0\0", 4)), "a");
    EXPECT_EQ(join_cmdline(""), "");
}

TEST(ParseStatus, EffectiveUidAndTgid)
{
    std::optional<std::uint32_t> tgid;
    auto uid = parse_status_uid("Name:\tx\nTgid:\t77\nUid:\t1000\t1001\t1002\t1003\n", &tgid);
    EXPECT_EQ(uid, 1001u);
    EXPECT_EQ(tgid, 77u);
}

TEST(ProcFs, StartTimeIsBootTimePlusTicks)
{
    FakeProc proc(1'700'000'000);
    ProcFs fs(proc.root());
    EXPECT_EQ(fs.boot_time_ns(), 1'700'000'000ull * 1'000'000'000ull);
    const std::uint64_t tps = fs.ticks_per_second();
    EXPECT_EQ(fs.start_ns_from_ticks(tps * 5 + 1), fs.boot_time_ns() + 5'000'000'000ull + 1'000'000'000ull / tps);
    // No overflow after a long uptime (ticks * 1e9 would exceed 64 bits).
    const std::uint64_t year_ticks = tps * 3600 * 24 * 365 * 10;
    EXPECT_EQ(fs.start_ns_from_ticks(year_ticks), fs.boot_time_ns() + 3600ull * 24 * 365 * 10 * 1'000'000'000ull);
}

TEST(ProcFs, ReadsEveryFieldAndLeavesUnreadableOnesEmpty)
{
    FakeProc proc;
    proc.add(10, 1, "server", 500, proctree::testing::nul_joined({"/usr/bin/server", "--port", "80"}),
             "/usr/bin/server", 0, 0, 4);
    proc.add(11, 10, "worker", 600);  // no exe link, empty cmdline (zombie-like)
    ProcFs fs(proc.root());
    auto a = fs.read(10);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->pid, 10u);
    EXPECT_EQ(a->ppid, 1u);
    EXPECT_EQ(a->name, "server");
    EXPECT_EQ(a->exe, "/usr/bin/server");
    EXPECT_EQ(a->cmdline, "/usr/bin/server --port 80");
    EXPECT_EQ(a->threads, 4u);
    EXPECT_EQ(a->uid, 0u);
    EXPECT_EQ(a->user, "root");
    EXPECT_EQ(a->start_ns, fs.start_ns_from_ticks(500));
    EXPECT_EQ(fs.start_ns(10), a->start_ns);
    auto b = fs.read(11);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->exe, "");
    EXPECT_EQ(b->cmdline, "");
}

TEST(ProcFs, KernelThreadsAreMarkedAndThreadIdsAreNotProcesses)
{
    FakeProc proc;
    proc.add(2, 0, "kthreadd", 0, {}, {}, 0, 0x00200000);
    proc.add(31, 30, "worker-thread", 10, {}, {}, 0, 0, 1, /*tgid=*/30);
    ProcFs fs(proc.root());
    auto k = fs.read(2);
    ASSERT_TRUE(k);
    EXPECT_TRUE(k->kernel_thread);
    EXPECT_FALSE(fs.read(31));
}

TEST(ProcFs, VanishedProcessesAreSkippedAndParentsComeFirst)
{
    FakeProc proc;
    // Same start tick, child pid below parent pid (wrapped pids).
    proc.add(5, 900, "child", 100);
    proc.add(900, 1, "parent", 100);
    proc.add(1, 0, "init", 0);
    proc.write("77/status", "Name:\tgone\n");  // stat missing: vanished mid-scan
    proc.write("self/stat", "not a pid directory");
    proc.add(66, 1, "zombie", 100);
    proc.write("66/stat", "66 (zombie) Z 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0 0\n");
    ProcFs fs(proc.root());
    auto all = fs.scan();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].pid, 1u);
    EXPECT_EQ(all[1].pid, 900u);
    EXPECT_EQ(all[2].pid, 5u);
    EXPECT_FALSE(fs.read(77));
    auto z = fs.read(66);  // read() still describes a zombie; scan() leaves it out
    ASSERT_TRUE(z);
    EXPECT_EQ(z->state, 'Z');
}

TEST(ProcFs, OrderingSurvivesAParentCycle)
{
    std::vector<ProcInfo> procs(2);
    procs[0].pid = 1, procs[0].ppid = 2;
    procs[1].pid = 2, procs[1].ppid = 1;
    auto out = order_parents_first(procs);
    EXPECT_EQ(out.size(), 2u);
}

TEST(ProcFsLive, ScanFindsThisProcessWithTheSameStartAsStat)
{
    ProcFs fs;
    auto all = fs.scan();
    const auto me = static_cast<std::uint32_t>(::getpid());
    auto it = std::find_if(all.begin(), all.end(), [&](const ProcInfo& p) { return p.pid == me; });
    ASSERT_NE(it, all.end());
    EXPECT_EQ(it->ppid, static_cast<std::uint32_t>(::getppid()));
    EXPECT_EQ(fs.start_ns(me), it->start_ns);
    EXPECT_NE(it->exe.find("linux_procfs_test"), std::string::npos);
    EXPECT_FALSE(it->kernel_thread);
    // The start time is in the past and after boot.
    EXPECT_GT(it->start_ns, fs.boot_time_ns());
    EXPECT_LT(it->start_ns, wall_clock_ns());
}

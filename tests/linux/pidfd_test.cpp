// Pidfds (driver/linux/src/pidfd.cpp) on the real kernel, and the poll
// source's tracker telling a pid reused within one clock tick from its
// predecessor with them: a real same-tick reuse, forced with ns_last_pid in
// a new pid namespace (root), scanned step by step.
#include "linux_test_support.hpp"

#include "pid_reuse.h"
#include "pidfd.hpp"
#include "proc_tracker.hpp"

#include <proctree/linux/procfs.hpp>
#include <proctree/linux/snapshot.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <vector>

using namespace proctree::collect;
using namespace proctree::testing;
namespace model = proctree::model;

namespace {

// PIDFD_INFO_EXIT (a reaped process's wait status) came with Linux 6.15.
bool kernel_tells_exit_status()
{
    struct utsname u {};
    unsigned major = 0, minor = 0;
    return ::uname(&u) == 0 && std::sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
           (major > 6 || (major == 6 && minor >= 15));
}

// Open descriptors of this process (the directory's own not counted).
int open_fds()
{
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    while (struct dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n - 1;
}

pid_t sleeper()
{
    pid_t pid = ::fork();
    if (pid == 0) {
        ::pause();
        ::_exit(0);
    }
    return pid;
}

bool is_zombie(pid_t pid)
{
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | WNOHANG) == 0 && info.si_pid == pid;
}

}  // namespace

TEST(Pidfds, SayWhenTheirProcessExitedAndHow)
{
    Pidfds pidfds;
    ASSERT_TRUE(pidfds.supported());
    const int before = open_fds();
    pid_t child = sleeper();
    ASSERT_GT(child, 0);
    int h = pidfds.open(static_cast<std::uint32_t>(child));
    ASSERT_GE(h, 0) << std::strerror(-h);
    EXPECT_EQ(pidfds.held(), 1u);
    EXPECT_FALSE(pidfds.exited(h));
    ::kill(child, SIGTERM);
    for (int i = 0; !is_zombie(child) && i < 100000; ++i) ::sched_yield();  // no sleep: the kernel says when
    ASSERT_TRUE(is_zombie(child));
    EXPECT_TRUE(pidfds.exited(h));  // a zombie has exited
    ::waitpid(child, nullptr, 0);
    EXPECT_TRUE(pidfds.exited(h));
    if (kernel_tells_exit_status()) {
        auto status = pidfds.wait_status(h);
        ASSERT_TRUE(status.has_value());
        EXPECT_TRUE(WIFSIGNALED(*status));
        EXPECT_EQ(WTERMSIG(*status), SIGTERM);
    }
    pidfds.close(h);
    EXPECT_EQ(pidfds.held(), 0u);
    EXPECT_EQ(open_fds(), before);
    EXPECT_EQ(pidfds.open(static_cast<std::uint32_t>(child)), -ESRCH);  // reaped: no such process
}

TEST(Pidfds, WakeTheWaitBetweenScansOncePerExit)
{
    Pidfds pidfds;
    pid_t quiet = sleeper(), child = sleeper();
    int hq = pidfds.open(static_cast<std::uint32_t>(quiet)), h = pidfds.open(static_cast<std::uint32_t>(child));
    ASSERT_GE(hq, 0);
    ASSERT_GE(h, 0);
    EXPECT_TRUE(pidfds.wait_for_exits(0).empty());
    ::kill(child, SIGKILL);
    const std::vector<std::pair<std::uint32_t, int>> once{{static_cast<std::uint32_t>(child), h}};
    EXPECT_EQ(pidfds.wait_for_exits(60'000), once);  // the deadline only bounds a failure
    ::waitpid(child, nullptr, 0);
    EXPECT_TRUE(pidfds.wait_for_exits(0).empty());  // said once, though still readable
    ::kill(quiet, SIGKILL);
    ::waitpid(quiet, nullptr, 0);
    pidfds.close(h);
    pidfds.close(hq);
}

TEST(Pidfds, LeaveDescriptorsForEverythingElse)
{
    struct rlimit saved {};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    struct rlimit low = saved;
    low.rlim_cur = 64;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    {
        Pidfds pidfds;  // a quarter kept back: 48 of 64
        std::vector<int> held;
        for (int h; (h = pidfds.open(static_cast<std::uint32_t>(::getpid()))) >= 0;) held.push_back(h);
        EXPECT_EQ(held.size(), 48u);
        EXPECT_EQ(pidfds.open(static_cast<std::uint32_t>(::getpid())), -EMFILE);
        for (int h : held) pidfds.close(h);
    }
    EXPECT_EQ(raise_open_file_limit(), saved.rlim_max == RLIM_INFINITY ? 1024u : saved.rlim_max);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
}

TEST(Pidfds, AreForAProcOfOurOwnPidNamespace)
{
    EXPECT_TRUE(proc_shows_our_pids("/proc"));
    FakeProc canned;
    EXPECT_FALSE(proc_shows_our_pids(canned.root()));
}

TEST(Pidfds, AreNotForTheProcOfAnotherPidNamespace)
{
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: a new pid namespace";
    pid_t outer = ::fork();
    if (outer == 0) {
        // The new namespace's init still sees the old namespace's /proc.
        if (::unshare(CLONE_NEWPID) != 0) ::_exit(10);
        pid_t init = ::fork();
        if (init == 0) ::_exit(proc_shows_our_pids("/proc") ? 1 : 0);
        int status = 0;
        ::waitpid(init, &status, 0);
        ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 11);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(outer, &status, 0), outer);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: taken for our own; 10, 11: no namespace";
}

namespace {

// What one run in a fresh pid namespace found, sent back through a pipe:
// a line of numbers, then the stream the tracker wrote.
struct ReuseRun {
    int attempts = 0, matched = 0;
    long long pid = 0, ticks = -1;
    std::size_t before = 0, after = 0;     // the stream's length around the scan after the reuse
    int fds_during = 0, known_during = 0;  // descriptors the tracker held then, processes it knew
    int fds_left = 0;                      // descriptors left open by the tracker's end
    std::string bytes;
};

constexpr int kAttempts = 500;

// Child A lives, the tracker scans it, A is killed and reaped, B takes A's
// pid (ns_last_pid), and, when B started in A's clock tick, one more scan.
void reuse_and_scan(ReuseRun& run)
{
    const int base = open_fds();
    {
        ProcFs fs;
        MemorySink sink;
        WireWriter out(sink);
        Pidfds pidfds;
        ProcTracker tracker(fs, out, &pidfds);
        write_linux_stream_header(out, fs, PT_SOURCE_POLL);
        tracker.initial_snapshot();
        out.flush();
        while (!run.matched && run.attempts < kAttempts) {
            ++run.attempts;
            pid_reuse_wait_tick_start();
            pid_t a = sleeper();
            tracker.poll_difference();
            const long long a_ticks = pid_reuse_start_ticks(a);
            ::kill(a, SIGKILL);
            ::waitpid(a, nullptr, 0);
            pid_reuse_set_last_pid(a - 1);
            pid_t b = sleeper();
            run.matched = b == a && a_ticks >= 0 && pid_reuse_start_ticks(b) == a_ticks;
            out.flush();
            run.before = sink.bytes.size();
            tracker.poll_difference();
            out.flush();
            run.after = sink.bytes.size();
            if (run.matched) {
                run.pid = a, run.ticks = a_ticks;
                run.fds_during = open_fds() - base;
                run.known_during = static_cast<int>(tracker.known_processes());
            }
            ::kill(b, SIGKILL);
            ::waitpid(b, nullptr, 0);
            tracker.poll_difference();  // B's exit: the next attempt starts from a clean table
        }
        out.flush();
        run.bytes = sink.bytes;
    }
    run.fds_left = open_fds() - base;
}

// In a new pid namespace (its init, with its own /proc), so that nothing
// else takes the pid; exit status 0 once the run was written to fd.
int in_new_pid_namespace(int fd)
{
    if (::unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) return 10;
    pid_t init = ::fork();
    if (init == 0) {
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
        if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) ::_exit(12);
        ReuseRun run;
        reuse_and_scan(run);
        std::string msg = std::to_string(run.attempts) + " " + std::to_string(run.matched) + " " +
                          std::to_string(run.pid) + " " + std::to_string(run.ticks) + " " + std::to_string(run.before) +
                          " " + std::to_string(run.after) + " " + std::to_string(run.fds_during) + " " +
                          std::to_string(run.known_during) + " " + std::to_string(run.fds_left) + "\n" + run.bytes;
        for (std::size_t off = 0; off < msg.size();) {
            ssize_t n = ::write(fd, msg.data() + off, msg.size() - off);
            if (n <= 0) ::_exit(13);
            off += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    int status = 0;
    if (init < 0 || ::waitpid(init, &status, 0) != init) return 14;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 15;
}

ReuseRun run_in_new_pid_namespace()
{
    int p[2];
    EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
    pid_t outer = ::fork();
    if (outer == 0) {
        ::close(p[0]);
        ::_exit(in_new_pid_namespace(p[1]));
    }
    ::close(p[1]);
    std::string got;
    char buf[65536];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) != 0;)
        if (n > 0) got.append(buf, static_cast<std::size_t>(n));
        else if (errno != EINTR) break;
    ::close(p[0]);
    int status = 0;
    EXPECT_EQ(::waitpid(outer, &status, 0), outer);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the namespace's init failed: " << status;
    ReuseRun run;
    const std::size_t nl = got.find('\n');
    if (nl == std::string::npos) return run;
    std::istringstream(got.substr(0, nl)) >> run.attempts >> run.matched >> run.pid >> run.ticks >> run.before >>
        run.after >> run.fds_during >> run.known_during >> run.fds_left;
    run.bytes = got.substr(nl + 1);
    return run;
}

}  // namespace

TEST(PidfdsInTheTracker, ARealSameTickPidReuseIsAnExitAndACreate)
{
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: a new pid namespace and its ns_last_pid";
    ReuseRun run = run_in_new_pid_namespace();
    ASSERT_TRUE(run.matched) << "no attempt of " << run.attempts << " reused a pid within one clock tick";
    std::printf("same-tick reuse of pid %lld after %d attempts\n", run.pid, run.attempts);
    const std::size_t earlier = decode(run.bytes.substr(0, run.before)).size();
    auto all = decode(run.bytes.substr(0, run.after));
    ASSERT_GE(all.size(), earlier);
    std::vector<Rec> scan(all.begin() + static_cast<std::ptrdiff_t>(earlier), all.end());
    ASSERT_EQ(scan.size(), 2u) << "expected A's exit and B's create";
    const model::Identity same{static_cast<std::uint32_t>(run.pid),
                               ProcFs().start_ns_from_ticks(static_cast<std::uint64_t>(run.ticks))};
    const auto* gone = std::get_if<model::ProcessExit>(&scan[0].r.body);
    ASSERT_NE(gone, nullptr) << "the first record is no exit";
    EXPECT_EQ(gone->proc, same);
    if (kernel_tells_exit_status()) {
        EXPECT_EQ(gone->signal, static_cast<std::uint32_t>(SIGKILL));
        EXPECT_EQ(gone->flags & PT_EXIT_CODE_UNKNOWN, 0u);
    } else {
        EXPECT_EQ(gone->flags, PT_EXIT_CODE_UNKNOWN);
    }
    const auto* born = std::get_if<model::ProcessCreate>(&scan[1].r.body);
    ASSERT_NE(born, nullptr) << "the second record is no create";
    EXPECT_EQ(born->proc, same);
    // One descriptor per known process (the namespace's init and B) and the
    // epoll one that waits for them; none left after.
    EXPECT_EQ(run.fds_during, run.known_during + 1);
    EXPECT_EQ(run.fds_left, 0);
}

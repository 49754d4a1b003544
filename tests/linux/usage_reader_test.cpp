// The /proc usage reader (driver/linux/src/usage_reader.cpp) on the real
// kernel: this process's CPU time grows as it burns, its RSS and state are
// read, and a start time that is not its own (a reused pid) reads nothing.
// A running child's whole command line, longer than any record carries, is
// read back exactly, and nothing once the child is gone.
#include <proctree/linux/procfs.hpp>
#include <proctree/linux/usage_reader.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace proctree::collect;

namespace {

std::uint64_t thread_cpu_ns()
{
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Burns this much CPU time, however long a loaded machine takes to give it.
void burn(std::chrono::milliseconds cpu)
{
    volatile std::uint64_t x = 0;
    std::uint64_t end = thread_cpu_ns() + static_cast<std::uint64_t>(cpu.count()) * 1'000'000ull;
    while (thread_cpu_ns() < end) x = x + 1;
}

}  // namespace

TEST(ProcUsageReader, ReadsThisProcess)
{
    ProcFs procfs;
    auto self = static_cast<std::uint32_t>(::getpid());
    auto start = procfs.start_ns(self);
    ASSERT_TRUE(start);
    auto reader = make_proc_usage_reader();
    auto before = reader->read(self, *start);
    ASSERT_TRUE(before);
    std::vector<char> touched(32u << 20, 1);  // 32 MiB resident
    burn(std::chrono::milliseconds(300));
    auto after = reader->read(self, *start);
    ASSERT_TRUE(after);
    // Clock ticks (10 ms) round the figures down.
    EXPECT_GE(after->cpu_ns - before->cpu_ns, 270'000'000ull) << "300 ms of CPU burnt";
    ASSERT_TRUE(after->rss_bytes);
    EXPECT_GE(*after->rss_bytes, 32ull << 20);
    EXPECT_EQ(after->state, 'R');  // reading its own stat, it runs
    EXPECT_GE(after->threads, 1u);
    EXPECT_EQ(touched[12345], 1);
}

TEST(ProcUsageReader, AnotherStartTimeIsAnotherProcess)
{
    ProcFs procfs;
    auto self = static_cast<std::uint32_t>(::getpid());
    auto start = procfs.start_ns(self);
    ASSERT_TRUE(start);
    auto reader = make_proc_usage_reader();
    EXPECT_FALSE(reader->read(self, *start + 1'000'000'000ull));
    EXPECT_FALSE(reader->read(0x7FFFFFF0u, *start));  // no such pid
}

TEST(ProcUsageReader, ReadsTheWholeCommandLineOfARunningProcess)
{
    std::vector<std::string> args = {"/bin/sh", "-c", "read x", "long"};
    for (int i = 0; i < 12'000; ++i) args.push_back("argument" + std::to_string(i));
    args.push_back("END");
    std::string whole;
    for (const std::string& a : args) whole += (whole.empty() ? "" : " ") + a;
    ASSERT_GT(whole.size(), 100'000u);
    int in[2];
    ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::dup2(in[0], 0);
        ::close(in[0]);
        ::close(in[1]);  // else the shell's own copy keeps its stdin open
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ProcFs procfs;
    auto reader = make_proc_usage_reader();
    auto pid = static_cast<std::uint32_t>(child);
    std::optional<std::string> got;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {  // until the exec has replaced the forked copy
        auto start = procfs.start_ns(pid);
        if (start) got = reader->read_cmdline(pid, *start);
        if (got && got->ends_with("END")) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    auto start = procfs.start_ns(pid);
    ASSERT_TRUE(start);
    EXPECT_EQ(got, whole);
    EXPECT_FALSE(reader->read_cmdline(pid, *start + 1'000'000'000ull)) << "another start time is another process";
    ::close(in[1]);  // read x returns: the shell exits
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_FALSE(reader->read_cmdline(pid, *start)) << "gone";
}

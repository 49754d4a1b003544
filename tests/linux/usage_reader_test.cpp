// The /proc usage reader (driver/linux/src/usage_reader.cpp) on the real
// kernel: this process's CPU time grows as it burns, its RSS and state are
// read, and a start time that is not its own (a reused pid) reads nothing.
#include <proctree/linux/procfs.hpp>
#include <proctree/linux/usage_reader.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <vector>

using namespace proctree::collect;

namespace {

void burn(std::chrono::milliseconds how_long)
{
    volatile std::uint64_t x = 0;
    auto end = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < end) x = x + 1;
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
    EXPECT_GE(after->cpu_ns - before->cpu_ns, 150'000'000ull) << "300 ms of burning";
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

// The exit accounting (driver/linux/src/exit_accounting.cpp): the parser
// from canned bytes laid out with the kernel's own structs, the waiting
// accounts, and the real taskstats channel with a real process.
#include "exit_accounting.hpp"

#include "netlink_channel.hpp"
#include "taskstats_bytes.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <vector>

using namespace proctree::collect;

namespace {

using proctree::testing::Bytes;
using proctree::testing::exit_message;

std::span<const std::byte> as_span(const Bytes& b) { return {b.data(), b.size()}; }

}  // namespace

TEST(ParseExitAccounting, ATaskExitGivesItsPidNameAndLifetime)
{
    std::vector<ExitAccount> out;
    ASSERT_TRUE(parse_exit_accounting(as_span(exit_message(4242, "true", 731)), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].pid, 4242u);
    EXPECT_EQ(out[0].comm, "true");
    EXPECT_EQ(out[0].elapsed_us, 731u);
}

TEST(ParseExitAccounting, AGroupTotalIsNotASecondExit)
{
    std::vector<ExitAccount> out;
    ASSERT_TRUE(parse_exit_accounting(as_span(exit_message(7, "worker", 5, true)), out));
    EXPECT_EQ(out.size(), 1u);
}

TEST(ParseExitAccounting, SeveralMessagesInOneDatagramAndAnOlderShorterStruct)
{
    Bytes d = exit_message(1, "a", 1);
    Bytes older = exit_message(2, "b", 2, false, offsetof(taskstats, ac_etime) + sizeof(std::uint64_t));
    d.insert(d.end(), older.begin(), older.end());
    std::vector<ExitAccount> out;
    ASSERT_TRUE(parse_exit_accounting(as_span(d), out));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].comm, "b");
    EXPECT_EQ(out[1].elapsed_us, 2u);
}

TEST(ParseExitAccounting, ANameFillingItsFieldStopsAtTheField)
{
    Bytes d = exit_message(3, "", 0);
    // ac_comm without a NUL: the name is the whole field, never beyond it.
    const std::size_t stats_at = NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN + NLA_ALIGN(NLA_HDRLEN + 4) + NLA_HDRLEN;
    std::memset(d.data() + stats_at + offsetof(taskstats, ac_comm), 'x', TS_COMM_LEN);
    std::vector<ExitAccount> out;
    ASSERT_TRUE(parse_exit_accounting(as_span(d), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].comm, std::string(TS_COMM_LEN, 'x'));
}

TEST(ParseExitAccounting, CutOrOverlongLengthsAreMalformedAndKeepWhatCameBefore)
{
    Bytes good = exit_message(1, "first", 1);
    Bytes bad = exit_message(2, "second", 2);
    // the nested STATS attribute claims more than the message holds
    const std::uint16_t huge = 0xFFF0;
    std::memcpy(bad.data() + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN + NLA_ALIGN(NLA_HDRLEN + 4), &huge, sizeof huge);
    good.insert(good.end(), bad.begin(), bad.end());
    std::vector<ExitAccount> out;
    EXPECT_FALSE(parse_exit_accounting(as_span(good), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].comm, "first");

    Bytes cut = exit_message(3, "third", 3);
    cut.resize(cut.size() - 64);
    out.clear();
    EXPECT_FALSE(parse_exit_accounting(as_span(cut), out));
    EXPECT_TRUE(out.empty());

    Bytes tiny = exit_message(4, "fourth", 4, false, 16);  // STATS too short for the fields read
    out.clear();
    EXPECT_FALSE(parse_exit_accounting(as_span(tiny), out));
    EXPECT_TRUE(out.empty());
}

TEST(ParseExitAccounting, AcksAndOtherCommandsAreSkipped)
{
    Bytes d(NLMSG_ALIGN(NLMSG_HDRLEN + sizeof(nlmsgerr)));
    nlmsghdr nh{};
    nh.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + sizeof(nlmsgerr));
    nh.nlmsg_type = NLMSG_ERROR;
    std::memcpy(d.data(), &nh, sizeof nh);
    Bytes other = exit_message(9, "x", 1);
    other[NLMSG_HDRLEN] = std::byte{TASKSTATS_CMD_GET};
    d.insert(d.end(), other.begin(), other.end());
    std::vector<ExitAccount> out;
    EXPECT_TRUE(parse_exit_accounting(as_span(d), out));
    EXPECT_TRUE(out.empty());
}

TEST(ExitAccounts, EachTaskGetsItsOwnAccountsOldestFirst)
{
    ExitAccounts waiting;
    waiting.add({100, "first", 1});
    waiting.add({200, "other", 2});
    waiting.add({100, "reused", 3});
    EXPECT_EQ(waiting.size(), 3u);
    EXPECT_EQ(waiting.take(100)->comm, "first");
    EXPECT_EQ(waiting.take(100)->comm, "reused");
    EXPECT_FALSE(waiting.take(100));
    EXPECT_EQ(waiting.take(200)->comm, "other");
    EXPECT_EQ(waiting.size(), 0u);
}

TEST(ExitAccounts, TheBoundDropsTheOldestAndForgettingDropsAll)
{
    ExitAccounts waiting;
    constexpr std::uint32_t kOver = 65536 + 10;
    for (std::uint32_t pid = 1; pid <= kOver; ++pid) {
        waiting.add({pid, "p", pid});
        if (pid == 3) waiting.take(3);  // a taken account does not count against the bound
    }
    EXPECT_EQ(waiting.size(), 65536u);
    // Nine had to go, the oldest waiting: 1, 2 and 4 to 10.
    EXPECT_FALSE(waiting.take(1));
    EXPECT_FALSE(waiting.take(10));
    EXPECT_TRUE(waiting.take(11));
    EXPECT_TRUE(waiting.take(kOver));
    waiting.forget_all();
    EXPECT_EQ(waiting.size(), 0u);
    EXPECT_FALSE(waiting.take(kOver - 1));
}

// The real channel: a child execs /bin/true, and its exit arrives with the
// name the exec gave it, no /proc read involved. Root only (CAP_NET_ADMIN).
TEST(ExitAccountingLive, AChildsExitCarriesTheNameItsExecGaveIt)
{
    if (::geteuid() != 0) GTEST_SKIP() << "taskstats listeners need CAP_NET_ADMIN";
    std::string why_not;
    auto channel = open_exit_accounting(why_not);
    ASSERT_TRUE(channel) << why_not;
    const pid_t child = ::fork();
    if (child == 0) {
        ::execl("/bin/true", "true", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ASSERT_GT(child, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    std::vector<std::byte> buf(64 * 1024);
    std::vector<ExitAccount> accounts;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    const ExitAccount* found = nullptr;
    while (!found && std::chrono::steady_clock::now() < deadline) {
        long n = channel->receive(buf.data(), buf.size(), 100);
        if (n <= 0) continue;
        accounts.clear();
        ASSERT_TRUE(parse_exit_accounting({buf.data(), static_cast<std::size_t>(n)}, accounts));
        for (const ExitAccount& a : accounts)
            if (a.pid == static_cast<std::uint32_t>(child)) found = &a;
        if (found) {
            EXPECT_EQ(found->comm, "true");
            EXPECT_LT(found->elapsed_us, 30'000'000u);
        }
    }
    EXPECT_TRUE(found) << "no exit account for pid " << child;
}

// Proc connector parsing (driver/linux/src/proc_event.cpp) from canned
// datagram bytes, laid out with the kernel's own structs.
#include "proc_event.hpp"

#include "netlink_bytes.hpp"

#include <proctree/wire.h>

#include <gtest/gtest.h>

using namespace proctree::collect;
using namespace proctree::testing;

TEST(ParseProcConnector, Fork)
{
    std::vector<ProcEvent> out;
    ASSERT_TRUE(parse_proc_connector(as_span(fork_datagram(123, 100, 100, 200, 200)), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].kind, ProcEvent::Kind::Fork);
    EXPECT_EQ(out[0].monotonic_ns, 123u);
    EXPECT_EQ(out[0].parent_tgid, 100u);
    EXPECT_EQ(out[0].pid, 200u);
    EXPECT_EQ(out[0].tgid, 200u);
    EXPECT_TRUE(out[0].is_process());
}

TEST(ParseProcConnector, ThreadCloneIsNotAProcess)
{
    std::vector<ProcEvent> out;
    ASSERT_TRUE(parse_proc_connector(as_span(fork_datagram(1, 1, 100, 201, 200)), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].is_process());
    EXPECT_EQ(out[0].tgid, 200u);
}

TEST(ParseProcConnector, ExecExitCommAck)
{
    std::vector<ProcEvent> out;
    ASSERT_TRUE(parse_proc_connector(as_span(exec_datagram(5, 300)), out));
    ASSERT_TRUE(parse_proc_connector(as_span(exit_datagram(6, 300, 300, 3 << 8)), out));
    ASSERT_TRUE(parse_proc_connector(as_span(comm_datagram(7, 300, "renamed-to-a-very-long-name")), out));
    ASSERT_TRUE(parse_proc_connector(as_span(ack_datagram(1)), out));
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].kind, ProcEvent::Kind::Exec);
    EXPECT_EQ(out[0].tgid, 300u);
    EXPECT_EQ(out[1].kind, ProcEvent::Kind::Exit);
    EXPECT_EQ(out[1].exit_status, 3u << 8);
    EXPECT_EQ(out[2].kind, ProcEvent::Kind::Comm);
    EXPECT_EQ(out[2].comm, "renamed-to-a-ve");  // the kernel's 16 bytes, NUL at the end
    EXPECT_EQ(out[3].kind, ProcEvent::Kind::Ack);
    EXPECT_EQ(out[3].ack_error, 1u);
}

// Acks reach every listener: the request they answer is in them.
TEST(ParseProcConnector, AnAckSaysWhichRequestItAnswers)
{
    std::vector<ProcEvent> out;
    ASSERT_TRUE(parse_proc_connector(as_span(ack_datagram(0, 4242)), out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].kind, ProcEvent::Kind::Ack);
    EXPECT_EQ(out[0].ack_ack, 4243u);
}

TEST(ParseProcConnector, SeveralMessagesInOneDatagram)
{
    auto a = fork_datagram(1, 1, 1, 2, 2);
    auto b = exec_datagram(2, 2);
    // The kernel pads messages to NLMSG_ALIGN; ours are multiples of 4 already.
    a.insert(a.end(), b.begin(), b.end());
    // Only the last message may carry NLMSG_DONE when several are batched.
    set_type(a, 0, 0x10);
    std::vector<ProcEvent> out;
    ASSERT_TRUE(parse_proc_connector(as_span(a), out));
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].kind, ProcEvent::Kind::Exec);
}

TEST(ParseProcConnector, IgnoresOtherEventsAndOtherConnectors)
{
    std::vector<ProcEvent> out;
    auto uid = event_datagram(1, 0x00000004 /* PROC_EVENT_UID */, {});
    ASSERT_TRUE(parse_proc_connector(as_span(uid), out));
    auto other = fork_datagram(1, 1, 1, 2, 2);
    set_connector(other, 7, 1);
    ASSERT_TRUE(parse_proc_connector(as_span(other), out));
    EXPECT_TRUE(out.empty());
}

TEST(ParseProcConnector, MalformedLengthsAreRejectedWithoutReadingPastTheEnd)
{
    auto d = fork_datagram(1, 1, 1, 2, 2);
    std::vector<ProcEvent> out;
    // Cut in the middle of the event.
    EXPECT_FALSE(parse_proc_connector(std::span<const std::byte>(d.data(), d.size() - 8), out));
    // nlmsg_len larger than the datagram.
    auto big = d;
    set_nlmsg_len(big, static_cast<std::uint32_t>(big.size() + 100));
    EXPECT_FALSE(parse_proc_connector(as_span(big), out));
    // nlmsg_len smaller than its header.
    auto tiny = d;
    set_nlmsg_len(tiny, 4);
    EXPECT_FALSE(parse_proc_connector(as_span(tiny), out));
    EXPECT_TRUE(out.empty());
    // Every prefix is handled without a crash (ASan/UBSan builds check more).
    for (std::size_t n = 0; n <= d.size(); ++n) parse_proc_connector(std::span<const std::byte>(d.data(), n), out);
}

TEST(DecodeWaitStatus, ExitCodesSignalsAndCoreDumps)
{
    auto normal = decode_wait_status(42u << 8);
    EXPECT_EQ(normal.code, 42);
    EXPECT_EQ(normal.signal, 0);
    EXPECT_EQ(normal.flags, 0);
    auto killed = decode_wait_status(9);
    EXPECT_EQ(killed.signal, 9);
    EXPECT_EQ(killed.flags, PT_EXIT_SIGNALED);
    auto core = decode_wait_status(11 | 0x80);
    EXPECT_EQ(core.signal, 11);
    EXPECT_EQ(core.flags, PT_EXIT_SIGNALED | PT_EXIT_CORE_DUMPED);
}

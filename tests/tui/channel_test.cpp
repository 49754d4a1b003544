// The viewer's byte channel: wake-ups, the byte bound, waiting (replays) and
// dropping whole records with a resync request (live sources).
#include "viewer/channel.hpp"

#include <proctree/produce/sink.hpp>

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace proctree;

namespace {

constexpr std::uint64_t kT = 1'700'000'000'000'000'000ull;
constexpr std::size_t kExit = sizeof(pt_process_exit);  // one exit record

TEST(ByteChannel, WakesOncePerDrainAndKeepsOrder)
{
    viewer::ByteChannel ch;
    pollfd p{ch.fd(), POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0);
    ch.write("abc", 3);
    ch.write("def", 3);
    ch.notice("hello");
    EXPECT_EQ(::poll(&p, 1, 0), 1);
    viewer::ByteChannel::Drained d;
    ch.drain(d, 4);
    EXPECT_EQ(d.bytes, "abcd");
    EXPECT_EQ(d.notices.size(), 1u);
    EXPECT_EQ(::poll(&p, 1, 0), 1);  // more pending: still readable
    ch.drain(d, 100);
    EXPECT_EQ(d.bytes, "ef");
    EXPECT_FALSE(d.finished);
    EXPECT_EQ(::poll(&p, 1, 0), 0);
    ch.finish(3, "gone");
    ch.drain(d, 100);
    EXPECT_TRUE(d.finished);
    EXPECT_EQ(d.status, 3);
    ch.shut();
    EXPECT_FALSE(ch.write("x", 1));
}

// A replay (no resync possible) waits for room: the writer thread is held
// at the bound, and every byte arrives in order.
TEST(ByteChannel, WithoutResyncTheWriterWaitsAtTheBoundAndLosesNothing)
{
    constexpr std::size_t kBound = 4096;
    viewer::ByteChannel ch(kBound);
    std::string sent;
    for (int i = 0; i < 20000; ++i) sent += std::to_string(i) + ",";
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (std::size_t off = 0; off < sent.size(); off += 100)
            ASSERT_TRUE(ch.write(sent.data() + off, std::min<std::size_t>(100, sent.size() - off)));
        done = true;
    });
    // The writer is stuck at the bound until the UI drains.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (ch.pending() + 100 <= kBound && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    EXPECT_GT(ch.pending() + 100, kBound);
    EXPECT_FALSE(done.load());
    std::string got;
    viewer::ByteChannel::Drained d;
    while (got.size() < sent.size() && std::chrono::steady_clock::now() < deadline) {
        ch.drain(d, 1000);
        got += d.bytes;
        if (d.bytes.empty()) std::this_thread::yield();
    }
    writer.join();
    EXPECT_EQ(got, sent);
    EXPECT_LE(ch.stats().most_pending, kBound);
    EXPECT_EQ(ch.stats().dropped_records, 0u);
}

TEST(ByteChannel, ShuttingWakesAWaitingWriter)
{
    viewer::ByteChannel ch(8);
    ASSERT_TRUE(ch.write("12345678", 8));
    std::atomic<int> result{-1};
    std::thread writer([&] { result = ch.write("9", 1) ? 1 : 0; });
    ch.shut();
    writer.join();
    EXPECT_EQ(result.load(), 0);
}

// A live source behind a channel that drops: what it asked for, and when.
struct Dropping : ::testing::Test {
    static constexpr std::size_t kBound = 2048;
    viewer::ByteChannel ch{kBound};
    collect::WireWriter out{ch};
    std::vector<std::uint64_t> asked;
    viewer::ByteChannel::Drained d;
    std::size_t header_bytes = 0;

    void SetUp() override
    {
        ch.drop_when_full([this](std::uint64_t lost) { asked.push_back(lost); });
        ASSERT_TRUE(out.stream_header(PT_OS_LINUX, PT_SOURCE_NETLINK, kT, kT, "box"));
        header_bytes = ch.pending();
    }
    void exits(int n)
    {
        for (int i = 0; i < n; ++i) ASSERT_TRUE(out.exit(kT, pt_ident{100u + i, 0, kT}, 0, 0, 0));
    }
    void snapshot(int processes)
    {
        ASSERT_TRUE(out.snapshot_begin(kT, PT_SNAPSHOT_RESYNC, 0));
        exits(processes);  // any records: the snapshot's body
        ASSERT_TRUE(out.snapshot_end(kT, PT_SNAPSHOT_RESYNC, PT_SNAPSHOT_COMPLETE));
    }
};

TEST_F(Dropping, WholeRecordsAreDroppedAndTheResyncIsAskedOnceThereIsRoom)
{
    exits(200);  // far beyond 2 KiB
    auto s = ch.stats();
    EXPECT_LE(s.most_pending, kBound);
    EXPECT_GT(s.dropped_records, 150u);
    EXPECT_EQ(s.dropped_bytes, s.dropped_records * kExit);
    EXPECT_TRUE(asked.empty());  // no room yet: a resync now would be dropped too
    ch.drain(d, 1 << 20);
    // The channel held the header and whole records, nothing cut.
    EXPECT_EQ(d.bytes.size(), header_bytes + (200 - s.dropped_records) * kExit);
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0], s.dropped_records);
    // Room again: records go in, no further request.
    exits(3);
    EXPECT_EQ(ch.pending(), 3 * kExit);
    EXPECT_EQ(asked.size(), 1u);
}

TEST_F(Dropping, WhileDroppingNothingIsTakenUntilTheResyncIsAsked)
{
    exits(100);
    std::uint64_t dropped = ch.stats().dropped_records;
    ch.drain(d, 100);  // a little room, not half the bound
    EXPECT_TRUE(asked.empty());
    exits(1);  // would fit, but the stream must not resume before the resync
    EXPECT_EQ(ch.stats().dropped_records, dropped + 1);
    ch.drain(d, 1 << 20);
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0], dropped + 1);
}

TEST_F(Dropping, ASnapshotLetInIsNeverCut)
{
    ch.drain(d, 1 << 20);
    snapshot(200);  // 200 exits: beyond the bound, taken whole
    EXPECT_EQ(ch.pending(), 32 + 200 * kExit + 32u);
    EXPECT_EQ(ch.stats().dropped_records, 0u);
    exits(1);  // after it, the bound holds again
    EXPECT_EQ(ch.stats().dropped_records, 1u);
}

TEST_F(Dropping, ASnapshotBegunWhileDroppingIsDroppedWhole)
{
    exits(100);
    std::size_t kept = ch.pending();
    ch.drain(d, kBound / 2 - 64);  // still more than half full
    snapshot(3);
    EXPECT_EQ(ch.pending(), kept - (kBound / 2 - 64));  // not let in, in part or whole
    ch.drain(d, 1 << 20);                               // room now
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0], ch.stats().dropped_records);
    EXPECT_EQ(ch.pending(), 0u);
    // The requested resync comes whole.
    ASSERT_TRUE(out.events_lost(kT, asked[0], PT_LOST_QUEUE_FULL));
    snapshot(3);
    EXPECT_EQ(ch.pending(), 40 + 32 + 3 * kExit + 32u);
}

TEST_F(Dropping, WithoutAResyncFunctionItWaitsAgain)
{
    ch.drop_when_full({});
    exits(2048 / kExit - 2);  // fits
    std::thread writer([&] { exits(40); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::size_t got = 0;
    const std::size_t total = header_bytes + (2048 / kExit - 2 + 40) * kExit;
    while (got < total && std::chrono::steady_clock::now() < deadline) {
        ch.drain(d, 64);
        got += d.bytes.size();
    }
    writer.join();
    EXPECT_EQ(got, total);
    EXPECT_LE(ch.stats().most_pending, kBound);
    EXPECT_EQ(ch.stats().dropped_records, 0u);
}

}  // namespace

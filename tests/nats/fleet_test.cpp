// The fleet: one tree per host, exactly once per (host, clock origin),
// gaps counted as lost until a complete snapshot.
#include <proctree/model/fleet.hpp>

#include "../support/stream_builder.hpp"

#include <gtest/gtest.h>

namespace proctree::model {
namespace {

using proctree::testing::StreamBuilder;

// A stream cut into its header and its records, to make messages of any
// subrange (overlaps, gaps) as a publisher or its retries would.
struct Cut {
    std::string header;
    std::vector<std::string> records;
    std::string message(std::size_t from, std::size_t to) const
    {
        std::string out = header;
        for (std::size_t i = from; i < to; ++i) out += records[i];
        return out;
    }
};

Cut cut(const std::string& s)
{
    Cut c;
    std::uint16_t hs = 0;
    std::memcpy(&hs, s.data() + 12, sizeof hs);
    c.header = s.substr(0, hs);
    for (std::size_t at = hs; at < s.size();) {
        std::uint32_t size = 0;
        std::memcpy(&size, s.data() + at + 4, sizeof size);
        c.records.push_back(s.substr(at, size));
        at += size;
    }
    return c;
}

std::string host_stream(std::string_view host, std::uint64_t origin = 1000)
{
    StreamBuilder b(host, PT_OS_LINUX, PT_SOURCE_EBPF, origin);
    b.snapshot(origin, true).create(origin, {1, 10}, {0, 0}, "init").snapshot(origin, false);
    for (std::uint32_t i = 0; i < 10; ++i) b.create(origin + 100 + i, {100 + i, origin + 100 + i}, {1, 10}, "job");
    return b.bytes();
}

TEST(Fleet, EqualPidsOnTwoHostsNeverMeet)
{
    Fleet fleet;
    fleet.apply_message(host_stream("a"));
    fleet.apply_message(host_stream("b"));
    EXPECT_EQ(fleet.hosts(), (std::vector<std::string>{"a", "b"}));
    ASSERT_TRUE(fleet.tree("a") && fleet.tree("b"));
    EXPECT_EQ(fleet.tree("a")->size(), 11u);
    EXPECT_EQ(fleet.tree("b")->size(), 11u);
    EXPECT_NE(fleet.tree("a")->find({105, 1105}), fleet.tree("b")->find({105, 1105}));
    EXPECT_EQ(fleet.status("a")->header.source, SourceKind::Ebpf);
}

TEST(Fleet, OverlappingMessagesApplyEachRecordOnce)
{
    Cut c = cut(host_stream("h"));
    Fleet fleet;
    auto first = fleet.apply_message(c.message(0, 8));
    auto again = fleet.apply_message(c.message(4, c.records.size()));
    EXPECT_EQ(first.applied, 8u);
    EXPECT_EQ(again.duplicates, 4u);
    EXPECT_EQ(again.applied, c.records.size() - 8);
    EXPECT_EQ(fleet.status("h")->records, c.records.size());
    EXPECT_EQ(fleet.lost("h"), 0u);
    EXPECT_EQ(fleet.tree("h")->stats().creates, 11u);
}

TEST(Fleet, ANewClockOriginIsANewSequence)
{
    Fleet fleet;
    fleet.apply_message(host_stream("h", 1000));
    auto restarted = fleet.apply_message(host_stream("h", 5000));
    EXPECT_EQ(restarted.duplicates, 0u);
    EXPECT_EQ(fleet.status("h")->header.clock_origin_ns, 5000u);
}

TEST(Fleet, AGapIsLostUntilTheNextCompleteSnapshot)
{
    Cut c = cut(host_stream("h"));
    Fleet fleet;
    fleet.apply_message(c.message(0, 5));
    fleet.apply_message(c.message(8, c.records.size()));
    EXPECT_EQ(fleet.lost("h"), 3u);
    EXPECT_TRUE(fleet.status("h")->stale);
    StreamBuilder resync("h", PT_OS_LINUX, PT_SOURCE_EBPF, 1000);
    std::string tail = resync.snapshot(2000, true, PT_SNAPSHOT_RESYNC)
                           .create(2000, {1, 10}, {0, 0}, "init")
                           .snapshot(2000, false, PT_SNAPSHOT_RESYNC)
                           .bytes();
    Cut r = cut(tail);
    // the resync continues the same numbering
    std::string msg = r.header;
    for (std::size_t i = 0; i < r.records.size(); ++i) {
        std::string rec = r.records[i];
        std::uint64_t seq = c.records.size() + i;
        std::memcpy(rec.data() + 8, &seq, sizeof seq);
        msg += rec;
    }
    fleet.apply_message(msg);
    EXPECT_FALSE(fleet.status("h")->stale);
    EXPECT_EQ(fleet.lost("h"), 3u);
    EXPECT_EQ(fleet.tree("h")->stats().living, 1u);  // the complete snapshot retired the rest
}

TEST(Fleet, AnEventsLostRecordEndingAGapIsCountedOnce)
{
    Cut c = cut(host_stream("h"));
    std::string lost = StreamBuilder("h", PT_OS_LINUX, PT_SOURCE_EBPF, 1000).lost(1500, 4).bytes();
    Cut l = cut(lost);
    std::string rec = l.records[0];
    std::uint64_t seq = 7;  // replaces records 4..7, as the spool does
    std::memcpy(rec.data() + 8, &seq, sizeof seq);
    Fleet fleet;
    fleet.apply_message(c.message(0, 4));
    fleet.apply_message(c.header + rec + c.records[8]);
    EXPECT_EQ(fleet.lost("h"), 4u);
}

TEST(Fleet, CorruptMessageKeepsWhatCameBefore)
{
    Cut c = cut(host_stream("h"));
    std::string msg = c.message(0, 6);
    msg[msg.size() - 1 - 0] = 0;
    std::uint32_t bad = 13;
    std::memcpy(msg.data() + c.header.size() + c.records[0].size() + c.records[1].size() + 4, &bad, sizeof bad);
    Fleet fleet;
    auto applied = fleet.apply_message(msg);
    ASSERT_TRUE(applied.error);
    EXPECT_EQ(applied.applied, 2u);
}

TEST(Fleet, ExportsNameEveryHostAndNarrow)
{
    Fleet fleet;
    fleet.apply_message(host_stream("a"));
    fleet.apply_message(host_stream("b\x1b[2J"));
    FleetExportInfo info;
    info.time_ns = 2000;
    std::string text = export_fleet_text(fleet, info);
    EXPECT_NE(text.find("== host a  os linux  source ebpf  processes 11  lost 0"), std::string::npos) << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    info.host_filter = "a";
    std::string json = export_fleet_json(fleet, info);
    EXPECT_NE(json.find("\"host\":\"a\""), std::string::npos);
    EXPECT_EQ(json.find("\"host\":\"b"), std::string::npos);
}

TEST(Fleet, AStreamPickedUpAtACheckpointHasNoGapBeforeIt)
{
    StreamBuilder b("h", PT_OS_LINUX, PT_SOURCE_EBPF, 1000);
    b.snapshot(1000, true).create(1000, {1, 10}, {0, 0}, "init").snapshot(1000, false);
    for (std::uint32_t i = 0; i < 5; ++i) b.create(1100 + i, {100 + i, 1100 + i}, {1, 10}, "job");
    b.snapshot(2000, true, PT_SNAPSHOT_CHECKPOINT).create(2000, {1, 10}, {0, 0}, "init");
    for (std::uint32_t i = 0; i < 5; ++i) b.create(2000, {100 + i, 1100 + i}, {1, 10}, "job");
    b.snapshot(2000, false, PT_SNAPSHOT_CHECKPOINT).create(2100, {200, 2100}, {1, 10}, "late");
    Cut c = cut(b.bytes());
    const std::size_t checkpoint = 8;  // its snapshot begin
    Fleet late;
    late.apply_message(c.message(checkpoint, c.records.size()));
    EXPECT_EQ(late.lost("h"), 0u);
    EXPECT_FALSE(late.status("h")->stale);
    EXPECT_EQ(late.tree("h")->size(), 7u);
    // a stream picked up anywhere else counts what it missed
    Fleet elsewhere;
    elsewhere.apply_message(c.message(checkpoint + 1, c.records.size()));
    EXPECT_EQ(elsewhere.lost("h"), checkpoint + 1);
    // one that has it all sees no change from the checkpoint
    Fleet all;
    all.apply_message(b.bytes());
    EXPECT_EQ(all.tree("h")->size(), 7u);
    EXPECT_EQ(all.lost("h"), 0u);
}

TEST(Fleet, StopAfterAppliesNothingLater)
{
    Fleet fleet;
    fleet.stop_after(1104);
    fleet.apply_message(host_stream("h"));
    EXPECT_EQ(fleet.tree("h")->size(), 6u);  // init and the jobs created at 1100..1104
}

}  // namespace
}  // namespace proctree::model

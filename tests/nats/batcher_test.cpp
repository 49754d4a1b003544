// Cutting a stream into NATS payloads: whole records, size bound, host.
#include <proctree/nats/batcher.hpp>

#include <proctree/wire_encode.h>

#include <gtest/gtest.h>

#include <string>

namespace proctree::nats {
namespace {

std::string stream(std::uint64_t records, std::string_view host = "orig")
{
    char buf[PT_MAX_RECORD_SIZE];
    std::uint32_t n = pt_encode_stream_header(buf, sizeof buf, PT_OS_LINUX, PT_SOURCE_SYNTHETIC, 5, 0,
                                              pt_str{host.data(), static_cast<std::uint32_t>(host.size())});
    std::string out(buf, n);
    for (std::uint64_t i = 0; i < records; ++i) {
        n = pt_encode_process_exit(buf, sizeof buf, i, 1000 + i, pt_ident{1, 0, 2}, 0, 0, 0);
        out.append(buf, n);
    }
    return out;
}

TEST(Batcher, BytesSplitAnywhereGiveWholeRecordsInOrder)
{
    std::string s = stream(100);
    Batcher b("web1");
    std::vector<Batch> out;
    for (char c : s) ASSERT_TRUE(b.feed(&c, 1, out));
    b.seal(out);
    ASSERT_EQ(out.size(), 1u);
    auto info = describe_payload(out[0].payload);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->host, "web1");
    EXPECT_EQ(info->clock_origin_ns, 5u);
    EXPECT_EQ(info->first_seq, 0u);
    EXPECT_EQ(info->last_seq, 99u);
    EXPECT_EQ(info->records, 100u);
}

TEST(Batcher, NoPayloadExceedsTheLimit)
{
    std::string s = stream(1000);
    Batcher b("", 4096);
    std::vector<Batch> out;
    ASSERT_TRUE(b.feed(s.data(), s.size(), out));
    b.seal(out);
    ASSERT_GT(out.size(), 10u);
    std::uint64_t next = 0;
    for (const auto& batch : out) {
        EXPECT_LE(batch.payload.size(), 4096u);
        auto info = describe_payload(batch.payload);
        ASSERT_TRUE(info);
        EXPECT_EQ(info->host, "orig");
        EXPECT_EQ(info->first_seq, next);
        next = info->last_seq + 1;
    }
    EXPECT_EQ(next, 1000u);
}

TEST(Batcher, CorruptInputIsRefusedWithTheOffset)
{
    std::string s = stream(3);
    s[s.size() - PT_PROCESS_EXIT_FIXED + 4] = 13;  // last record's size
    Batcher b("");
    std::vector<Batch> out;
    EXPECT_FALSE(b.feed(s.data(), s.size(), out));
    EXPECT_NE(b.error().find("record size 13"), std::string::npos) << b.error();
    EXPECT_NE(b.error().find(std::to_string(s.size() - PT_PROCESS_EXIT_FIXED)), std::string::npos) << b.error();
    std::string bad = "NOTATREE" + s.substr(8);
    Batcher m("");
    EXPECT_FALSE(m.feed(bad.data(), bad.size(), out));
    EXPECT_NE(m.error().find("bad magic"), std::string::npos) << m.error();
}

TEST(Batcher, RewrittenHostKeepsTheHeaderValid)
{
    std::string s = stream(0, "a");
    std::string h = rewrite_host(s, "a-much-longer-host-name");
    auto info = describe_payload(h);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->host, "a-much-longer-host-name");
    EXPECT_EQ(h.size() % 8, 0u);
}

TEST(Batcher, LostPayloadCarriesTheCount)
{
    std::string h = stream(0);
    std::string p = lost_payload(h, 41, 9, 42);
    std::vector<RecordSpan> spans;
    std::size_t hs = 0;
    ASSERT_TRUE(split_payload(p, hs, spans));
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].type, PT_REC_EVENTS_LOST);
    EXPECT_EQ(spans[0].seq, 41u);
}

TEST(Batcher, ACheckpointStartsAMessage)
{
    std::string s = stream(5);
    char buf[64];
    std::uint32_t n = pt_encode_snapshot(buf, sizeof buf, PT_REC_SNAPSHOT_BEGIN, 5, 2000, PT_SNAPSHOT_CHECKPOINT,
                                         PT_SNAPSHOT_COMPLETE);
    s.append(buf, n);
    n = pt_encode_snapshot(buf, sizeof buf, PT_REC_SNAPSHOT_END, 6, 2000, PT_SNAPSHOT_CHECKPOINT, PT_SNAPSHOT_COMPLETE);
    s.append(buf, n);
    Batcher b("");
    std::vector<Batch> out;
    ASSERT_TRUE(b.feed(s.data(), s.size(), out));
    b.seal(out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].last_seq, 4u);
    auto first = describe_payload(out[0].payload);
    auto second = describe_payload(out[1].payload);
    ASSERT_TRUE(first && second);
    EXPECT_FALSE(first->starts_checkpoint);
    EXPECT_TRUE(second->starts_checkpoint);
    EXPECT_EQ(second->first_seq, 5u);
    EXPECT_EQ(second->first_time_ns, 2000u);
}

}  // namespace
}  // namespace proctree::nats

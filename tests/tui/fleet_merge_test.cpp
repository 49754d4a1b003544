// The fleet merge: NATS messages of many hosts (with retries' overlaps and
// gaps) into the one byte stream the viewer's fleet tree reads.
#include "fleet_merge.hpp"

#include <proctree/model/decoder.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/wire.h>

#include "../support/stream_builder.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace proctree::cli {
namespace {

using proctree::testing::StreamBuilder;

struct StringSink final : collect::ByteSink {
    bool write(const void* d, std::size_t n) override
    {
        bytes.append(static_cast<const char*>(d), n);
        return true;
    }
    std::string bytes;
};

// A host's stream as messages: the header, then records [from, to).
struct Messages {
    explicit Messages(const std::string& s)
    {
        std::uint16_t hs = 0;
        std::memcpy(&hs, s.data() + offsetof(pt_stream_header, header_size), sizeof hs);
        header = s.substr(0, hs);
        for (std::size_t at = hs; at < s.size();) {
            std::uint32_t size = 0;
            std::memcpy(&size, s.data() + at + offsetof(pt_record_header, size), sizeof size);
            records.push_back(s.substr(at, size));
            at += size;
        }
    }
    std::string message(std::size_t from, std::size_t to) const
    {
        std::string out = header;
        for (std::size_t i = from; i < to && i < records.size(); ++i) out += records[i];
        return out;
    }
    std::string header;
    std::vector<std::string> records;
};

// Equal PIDs and start times on every host: init 1 and jobs 100..104.
Messages host(std::string_view name)
{
    StreamBuilder b(name, PT_OS_LINUX, PT_SOURCE_EBPF, 1000);
    b.snapshot(1000, true).create(1000, {1, 10}, {0, 0}, "init").snapshot(1000, false);
    for (std::uint32_t i = 0; i < 5; ++i) b.create(1100 + i, {100 + i, 1100 + i}, {1, 10}, "job");
    b.exit(1200, {102, 1102}, 0);
    return Messages(b.bytes());
}

struct Viewer {
    Viewer()
        : tree([] {
              model::TreeConfig c;
              c.highlight_ns = 0;
              c.hosts = true;
              return c;
          }())
    {
        decoder.accept_concatenated(true);
    }
    struct Apply final : model::RecordHandler {
        explicit Apply(model::ProcessTree& t) : tree(t) {}
        void on_header(const model::StreamHeader& h) override { tree.apply_header(h); }
        void on_record(const model::Record& r) override { tree.apply(r); }
        model::ProcessTree& tree;
    };
    void take(StringSink& sink)
    {
        ASSERT_TRUE(decoder.feed(sink.bytes, apply)) << decoder.error()->describe();
        sink.bytes.clear();
        tree.advance(10'000);
    }
    model::ProcessTree tree;
    model::StreamDecoder decoder;
    Apply apply{tree};
};

TEST(FleetMerge, HostsStayApartAndRetriesApplyOnce)
{
    Messages a = host("alpha"), b = host("beta");
    FleetMerge merge;
    StringSink sink;
    Viewer v;
    EXPECT_EQ(merge.forward(a.message(0, 5), sink), FleetMerge::Result::Forwarded);
    EXPECT_EQ(merge.forward(b.message(0, 4), sink), FleetMerge::Result::Forwarded);
    EXPECT_EQ(merge.forward(a.message(3, 9), sink), FleetMerge::Result::Forwarded);  // 3, 4 again
    EXPECT_EQ(merge.forward(a.message(0, 9), sink), FleetMerge::Result::Skipped);    // all again
    EXPECT_EQ(merge.forward(b.message(4, 9), sink), FleetMerge::Result::Forwarded);
    v.take(sink);
    ASSERT_EQ(v.tree.host_count(), 2u);
    for (std::uint32_t h : {1u, 2u}) {
        EXPECT_EQ(v.tree.host(h)->records, 9u) << h;
        EXPECT_EQ(v.tree.host(h)->living, 5u) << h;
        EXPECT_EQ(v.tree.host(h)->events_lost, 0u) << h;
        EXPECT_EQ(v.tree.find_pid(102, h), nullptr) << h;
        EXPECT_NE(v.tree.find_pid(103, h), nullptr) << h;
    }
    EXPECT_NE(v.tree.find_pid(103, 1), v.tree.find_pid(103, 2));
    EXPECT_EQ(v.tree.stats().creates, 12u);
}

TEST(FleetMerge, AGapIsLostOnItsHostOnlyUntilItsNextResync)
{
    Messages a = host("alpha"), b = host("beta");
    FleetMerge merge;
    StringSink sink;
    Viewer v;
    merge.forward(a.message(0, 4), sink);
    merge.forward(b.message(0, 9), sink);
    merge.forward(a.message(7, 9), sink);  // 4, 5, 6 never came
    v.take(sink);
    EXPECT_EQ(v.tree.host(1)->events_lost, 3u);
    EXPECT_TRUE(v.tree.host(1)->stale);
    EXPECT_EQ(v.tree.host(2)->events_lost, 0u);
    EXPECT_FALSE(v.tree.host(2)->stale);
    // alpha resyncs, numbering on: a complete snapshot clears the mark, not the count
    StreamBuilder r("alpha", PT_OS_LINUX, PT_SOURCE_EBPF, 1000);
    r.snapshot(1300, true, PT_SNAPSHOT_RESYNC).create(1300, {1, 10}, {0, 0}, "init");
    r.snapshot(1300, false, PT_SNAPSHOT_RESYNC);
    Messages tail(r.bytes());
    std::string msg = tail.header;
    for (std::size_t i = 0; i < tail.records.size(); ++i) {
        std::string rec = tail.records[i];
        std::uint64_t seq = a.records.size() + i;
        std::memcpy(rec.data() + offsetof(pt_record_header, seq), &seq, sizeof seq);
        msg += rec;
    }
    EXPECT_EQ(merge.forward(msg, sink), FleetMerge::Result::Forwarded);
    v.take(sink);
    EXPECT_FALSE(v.tree.host(1)->stale);
    EXPECT_EQ(v.tree.host(1)->events_lost, 3u);
    EXPECT_EQ(v.tree.host(1)->living, 1u);
    EXPECT_EQ(v.tree.host(2)->living, 5u);  // beta's resync is not alpha's
}

TEST(FleetMerge, OnlyTheHostsAskedFor)
{
    FleetMerge merge({"beta"});
    StringSink sink;
    EXPECT_EQ(merge.forward(host("alpha").message(0, 9), sink), FleetMerge::Result::Skipped);
    EXPECT_TRUE(sink.bytes.empty());
    EXPECT_EQ(merge.forward(host("beta").message(0, 9), sink), FleetMerge::Result::Forwarded);
    EXPECT_EQ(merge.forward("not a batch", sink), FleetMerge::Result::NotBatch);
    Viewer v;
    v.take(sink);
    ASSERT_EQ(v.tree.host_count(), 1u);
    EXPECT_EQ(v.tree.host(1)->name, "beta");
}

}  // namespace
}  // namespace proctree::cli

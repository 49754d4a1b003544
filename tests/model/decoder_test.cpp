// Unit tests for model/src/decoder.cpp.
#include "../support/stream_builder.hpp"

#include <proctree/model/decoder.hpp>

#include <gtest/gtest.h>

#include <cstring>

using namespace proctree::model;
using proctree::testing::Id;
using proctree::testing::StreamBuilder;

namespace {

struct Collected : RecordHandler {
    std::optional<StreamHeader> header;
    std::vector<Record> records;
    std::vector<std::string> names;  // copies: views die after the callback
    void on_header(const StreamHeader& h) override { header = h; }
    void on_record(const Record& r) override
    {
        records.push_back(r);
        if (auto* c = std::get_if<ProcessCreate>(&r.body)) names.emplace_back(c->name);
    }
};

StreamBuilder sample()
{
    StreamBuilder b("host-α", PT_OS_LINUX, PT_SOURCE_NETLINK, 1000);
    b.snapshot(1, true)
        .create(2, {1, 100}, {0, 0}, "init", "/sbin/init splash", "root", "/sbin/init", 3)
        .snapshot(3, false)
        .create(10, {42, 500}, {1, 100}, "bash", "bash -l")
        .exec(11, {42, 500}, "ls", "ls -la /tmp", "/usr/bin/ls")
        .rename(12, {42, 500}, "ls-renamed")
        .thread(13, {42, 500}, 43, true)
        .thread(14, {42, 500}, 43, false)
        .image(15, {42, 500}, "C:\\Windows\\System32\\ntdll.dll")
        .lost(16, 7)
        .exit(17, {42, 500}, 0, 9, PT_EXIT_SIGNALED);
    return b;
}

Collected decode_all(std::string_view bytes, StreamDecoder& d)
{
    Collected c;
    d.feed(bytes, c);
    d.finish();
    return c;
}

}  // namespace

TEST(Decoder, RoundTripsEveryRecordKind)
{
    StreamBuilder b = sample();
    StreamDecoder d;
    Collected c = decode_all(b.bytes(), d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    ASSERT_TRUE(c.header);
    EXPECT_EQ(c.header->host, "host-α");
    EXPECT_EQ(c.header->os, Os::Linux);
    EXPECT_EQ(c.header->source, SourceKind::Netlink);
    EXPECT_EQ(c.header->clock_origin_ns, 1000u);
    ASSERT_EQ(c.records.size(), 11u);
    for (std::size_t i = 0; i < c.records.size(); ++i) EXPECT_EQ(c.records[i].seq, i);

    auto& init = std::get<ProcessCreate>(c.records[1].body);
    EXPECT_EQ(init.proc, (Identity{1, 100}));
    EXPECT_EQ(init.threads, 3u);
    EXPECT_EQ(c.names[0], "init");
    auto& exec = std::get<ProcessExec>(c.records[4].body);
    EXPECT_EQ(exec.proc, (Identity{42, 500}));
    auto& exit = std::get<ProcessExit>(c.records[10].body);
    EXPECT_EQ(exit.signal, 9);
    EXPECT_EQ(exit.flags, PT_EXIT_SIGNALED);
    EXPECT_EQ(std::get<EventsLost>(c.records[9].body).count, 7u);
    EXPECT_TRUE(std::get<ThreadEvent>(c.records[6].body).created);
    EXPECT_FALSE(std::get<ThreadEvent>(c.records[7].body).created);
    EXPECT_EQ(c.records[10].time_ns, 17u);
    EXPECT_EQ(d.bytes_consumed(), b.size());
}

TEST(Decoder, SplitReadsAtEveryByteGiveTheSameRecords)
{
    StreamBuilder b = sample();
    const std::string& bytes = b.bytes();
    for (std::size_t chunk : {1u, 3u, 7u, 24u, 100u}) {
        StreamDecoder d;
        Collected c;
        for (std::size_t i = 0; i < bytes.size(); i += chunk)
            ASSERT_TRUE(d.feed(std::string_view(bytes).substr(i, chunk), c));
        ASSERT_TRUE(d.finish()) << "chunk " << chunk;
        EXPECT_EQ(c.records.size(), 11u) << "chunk " << chunk;
        EXPECT_EQ(c.names, (std::vector<std::string>{"init", "bash"}));
    }
}

TEST(Decoder, TruncatedStreamKeepsEarlierRecordsAndNamesTheOffset)
{
    StreamBuilder b = sample();
    std::string cut = b.bytes().substr(0, b.size() - 20);  // inside the final exit record
    StreamDecoder d;
    Collected c = decode_all(cut, d);
    ASSERT_TRUE(d.error());
    EXPECT_EQ(c.records.size(), 10u);
    EXPECT_EQ(d.error()->offset, b.size() - PT_PROCESS_EXIT_FIXED);  // where the exit record begins
    EXPECT_NE(d.error()->describe().find("truncated"), std::string::npos);
    EXPECT_NE(d.error()->describe().find(std::to_string(b.size() - PT_PROCESS_EXIT_FIXED)), std::string::npos);
}

TEST(Decoder, TruncatedHeaderAndEmptyStreamAreErrors)
{
    StreamBuilder b;
    StreamDecoder d1;
    decode_all(b.bytes().substr(0, 20), d1);
    ASSERT_TRUE(d1.error());
    EXPECT_EQ(d1.error()->offset, 0u);
    StreamDecoder d2;
    decode_all("", d2);
    ASSERT_TRUE(d2.error());
    EXPECT_NE(d2.error()->message.find("empty"), std::string::npos);
}

TEST(Decoder, RejectsBadMagicAndUnknownMajorVersion)
{
    StreamBuilder b;
    std::string bad = b.bytes();
    bad[0] = 'X';
    StreamDecoder d1;
    decode_all(bad, d1);
    ASSERT_TRUE(d1.error());
    EXPECT_NE(d1.error()->message.find("magic"), std::string::npos);

    std::string v2 = b.bytes();
    v2[8] = 2;  // version_major
    StreamDecoder d2;
    decode_all(v2, d2);
    ASSERT_TRUE(d2.error());
    EXPECT_NE(d2.error()->message.find("version 2"), std::string::npos);
}

TEST(Decoder, RecordSizeNotMultipleOfEightIsCorrupt)
{
    StreamBuilder b;
    b.create(1, {1, 1}, {0, 0}, "a").create(2, {2, 2}, {1, 1}, "b");
    std::string bytes = b.bytes();
    std::size_t second = bytes.size() - 96;  // "b" create: 88 + 1 -> 96
    std::uint32_t size = 13;
    std::memcpy(&bytes[second + 4], &size, 4);
    StreamDecoder d;
    Collected c = decode_all(bytes, d);
    ASSERT_TRUE(d.error());
    EXPECT_EQ(d.error()->offset, second);
    EXPECT_EQ(c.records.size(), 1u);
}

TEST(Decoder, OversizedRecordIsRejectedWithoutWaitingForIt)
{
    StreamBuilder b;
    b.create(1, {1, 1}, {0, 0}, "a");
    std::string bytes = b.bytes();
    const std::size_t record = bytes.size() - 96;  // after the stream header
    std::uint32_t huge = 0xFFFFFFF8u;
    std::memcpy(&bytes[record + 4], &huge, 4);
    StreamDecoder d;
    Collected c;
    EXPECT_FALSE(d.feed(bytes, c));  // known corrupt at once, not "waiting for 4 GiB"
    ASSERT_TRUE(d.error());
    EXPECT_EQ(d.error()->offset, record);
}

TEST(Decoder, StringLengthsBeyondTheRecordAreCorrupt)
{
    StreamBuilder b;
    b.create(1, {1, 1}, {0, 0}, "abc", "cmd");
    std::string bytes = b.bytes();
    std::uint32_t cmdline_len = 5000;
    std::memcpy(&bytes[bytes.size() - 96 + 84], &cmdline_len, 4);
    StreamDecoder d;
    Collected c = decode_all(bytes, d);
    ASSERT_TRUE(d.error());
    EXPECT_EQ(c.records.size(), 0u);
    EXPECT_NE(d.error()->message.find("string lengths"), std::string::npos);
}

TEST(Decoder, KnownTypeShorterThanItsFixedPartIsCorrupt)
{
    StreamBuilder b;
    b.unknown(1, PT_REC_PROCESS_CREATE, 16);  // a "create" of 40 bytes
    StreamDecoder d;
    decode_all(b.bytes(), d);
    ASSERT_TRUE(d.error());
    EXPECT_NE(d.error()->message.find("shorter than its fixed part"), std::string::npos);
}

TEST(Decoder, UnknownTypesAreSkippedBySize)
{
    StreamBuilder b;
    b.create(1, {1, 1}, {0, 0}, "a").unknown(2, 999, 100).create(3, {2, 2}, {1, 1}, "b");
    StreamDecoder d;
    Collected c = decode_all(b.bytes(), d);
    ASSERT_FALSE(d.error());
    ASSERT_EQ(c.records.size(), 3u);
    EXPECT_TRUE(std::holds_alternative<UnknownRecord>(c.records[1].body));
    EXPECT_EQ(c.names, (std::vector<std::string>{"a", "b"}));
}

TEST(Decoder, NoInputAcceptedAfterAnError)
{
    StreamDecoder d;
    Collected c;
    EXPECT_FALSE(d.feed(std::string_view("garbage!garbage!garbage!garbage!garbage!"), c));
    EXPECT_FALSE(d.feed(StreamBuilder().bytes(), c));
    EXPECT_FALSE(c.header);
}

TEST(Decoder, ImageFactsRoundTrip)
{
    std::string sha(32, '\0');
    for (int i = 0; i < 32; ++i) sha[i] = static_cast<char>(0xA0 + i);
    StreamBuilder b;
    b.create(1, {7, 70}, {1, 10}, "sh", "sh -c x", "root", "/bin/sh")
        .facts(2, {7, 70}, 0, PT_FACTS_HASHED, "/bin/sh", 125688, sha)
        .facts(3, {7, 70}, 0, PT_FACTS_UNREADABLE, "/gone", 0, {}, 2)
        .facts(4, {7, 70}, 0, PT_FACTS_SKIPPED, "");
    StreamDecoder d;
    Collected c = decode_all(b.bytes(), d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    ASSERT_EQ(c.records.size(), 4u);
    EXPECT_EQ(c.header->version_minor, PT_WIRE_VERSION_MINOR);
    const auto& hashed = std::get<ImageFactsRecord>(c.records[1].body);
    EXPECT_EQ(c.records[1].type, PT_REC_IMAGE_FACTS);
    EXPECT_EQ(hashed.proc, (Identity{7, 70}));
    EXPECT_EQ(hashed.event_seq, 0u);
    EXPECT_EQ(hashed.status, PT_FACTS_HASHED);
    EXPECT_EQ(hashed.file_size, 125688u);
    EXPECT_EQ(std::memcmp(hashed.sha256.data(), sha.data(), 32), 0);
    EXPECT_EQ(hashed.path, "/bin/sh");
    const auto& unreadable = std::get<ImageFactsRecord>(c.records[2].body);
    EXPECT_EQ(unreadable.status, PT_FACTS_UNREADABLE);
    EXPECT_EQ(unreadable.error, 2u);
    EXPECT_EQ(unreadable.file_size, 0u);  // the encoder writes no size without a hash
    EXPECT_EQ(std::get<ImageFactsRecord>(c.records[3].body).status, PT_FACTS_SKIPPED);
    EXPECT_EQ(record_type_name(PT_REC_IMAGE_FACTS), "image_facts");
}

TEST(Decoder, ImageFactsLengthsAreChecked)
{
    StreamBuilder shortb;
    shortb.unknown(1, PT_REC_IMAGE_FACTS, PT_IMAGE_FACTS_FIXED - 24 - 8);
    StreamDecoder d1;
    decode_all(shortb.bytes(), d1);
    ASSERT_TRUE(d1.error());
    EXPECT_NE(d1.error()->message.find("shorter than its fixed part"), std::string::npos);

    StreamBuilder b;
    b.facts(1, {7, 70}, 0, PT_FACTS_UNREADABLE, "/x");
    std::string bytes = b.bytes();
    std::size_t rec = bytes.size() - PT_ALIGN8(PT_IMAGE_FACTS_FIXED + 2);
    std::uint32_t huge = 9;  // more than the 8 bytes the record holds after its fixed part
    std::memcpy(bytes.data() + rec + offsetof(pt_image_facts, path_len), &huge, sizeof huge);
    StreamDecoder d2;
    Collected c = decode_all(bytes, d2);
    ASSERT_TRUE(d2.error());
    EXPECT_EQ(d2.error()->offset, rec);
    EXPECT_NE(d2.error()->message.find("string lengths exceed"), std::string::npos);
    EXPECT_TRUE(c.records.empty());
}

TEST(Decoder, MinorZeroStreamsStillDecode)
{
    StreamBuilder b = sample();
    b.minor_version(0);
    StreamDecoder d;
    Collected c = decode_all(b.bytes(), d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    EXPECT_EQ(c.header->version_minor, 0u);
    EXPECT_EQ(c.records.size(), 11u);
}

TEST(Decoder, AnExitCarriesTheProcesssCpuTimeAndPeakRss)
{
    StreamBuilder b;
    b.exit_usage(1, {7, 70}, 0, 312'000'000ull, 52ull << 20)
        .exit_usage(2, {8, 80}, 0, 4'000'000ull, std::nullopt)
        .exit(3, {9, 90}, 1);
    StreamDecoder d;
    Collected c = decode_all(b.bytes(), d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    ASSERT_EQ(c.records.size(), 3u);
    EXPECT_EQ(c.records[0].size, PT_PROCESS_EXIT_FIXED);
    auto& both = std::get<ProcessExit>(c.records[0].body);
    EXPECT_EQ(both.cpu_ns, 312'000'000ull);
    EXPECT_EQ(both.peak_rss_bytes, 52ull << 20);
    auto& cpu_only = std::get<ProcessExit>(c.records[1].body);
    EXPECT_EQ(cpu_only.cpu_ns, 4'000'000ull);
    EXPECT_FALSE(cpu_only.peak_rss_bytes);  // unknown, not 0
    auto& neither = std::get<ProcessExit>(c.records[2].body);
    EXPECT_FALSE(neither.cpu_ns);
    EXPECT_FALSE(neither.peak_rss_bytes);
    EXPECT_EQ(neither.code, 1);
}

TEST(Decoder, AMinorZeroExitOf48BytesHasNoUsageWhateverItsFlagsSay)
{
    StreamBuilder b;
    b.exit_usage(1, {7, 70}, 3, 312'000'000ull, 52ull << 20).minor_version(0);
    ASSERT_EQ(b.size(), PT_STREAM_HEADER_FIXED + 8 + PT_PROCESS_EXIT_FIXED_V0);
    // A minor-0 producer never set these bits; set them anyway: 48 bytes
    // cannot hold the figures, so they stay unknown.
    std::string bytes = b.bytes();
    std::uint16_t flags = PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN;
    std::memcpy(bytes.data() + PT_STREAM_HEADER_FIXED + 8 + offsetof(pt_process_exit, flags), &flags, 2);
    StreamDecoder d;
    Collected c = decode_all(bytes, d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    ASSERT_EQ(c.records.size(), 1u);
    auto& x = std::get<ProcessExit>(c.records[0].body);
    EXPECT_EQ(x.code, 3);
    EXPECT_EQ(x.proc, (Identity{7, 70}));
    EXPECT_FALSE(x.cpu_ns);
    EXPECT_FALSE(x.peak_rss_bytes);
    EXPECT_EQ(x.flags & (PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN), 0);
}

TEST(Decoder, ALongerExitFromALaterMinorKeepsTheFieldsThisOneKnows)
{
    StreamBuilder b;
    b.exit_usage(1, {7, 70}, 0, 5'000ull, 8192ull);
    std::string bytes = b.bytes();
    std::size_t rec = bytes.size() - PT_PROCESS_EXIT_FIXED;
    bytes.append(16, '\x5a');  // fields a later minor appended
    std::uint32_t size = PT_PROCESS_EXIT_FIXED + 16;
    std::memcpy(bytes.data() + rec + 4, &size, 4);
    b.exit(2, {8, 80}, 0);  // the next record still lines up
    bytes += b.bytes().substr(b.size() - PT_PROCESS_EXIT_FIXED);
    StreamDecoder d;
    Collected c = decode_all(bytes, d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    ASSERT_EQ(c.records.size(), 2u);
    auto& x = std::get<ProcessExit>(c.records[0].body);
    EXPECT_EQ(x.cpu_ns, 5'000ull);
    EXPECT_EQ(x.peak_rss_bytes, 8192ull);
    EXPECT_EQ(std::get<ProcessExit>(c.records[1].body).proc, (Identity{8, 80}));
}

TEST(Decoder, AnExitShorterThanMinorZerosIsCorrupt)
{
    StreamBuilder b;
    b.exit(1, {7, 70}, 0);
    std::string bytes = b.bytes().substr(0, b.size() - PT_PROCESS_EXIT_FIXED + 40);
    std::uint32_t size = 40;
    std::memcpy(bytes.data() + bytes.size() - 40 + 4, &size, 4);
    StreamDecoder d;
    Collected c = decode_all(bytes, d);
    ASSERT_TRUE(d.error());
    EXPECT_NE(d.error()->message.find("shorter than its fixed part (48 bytes)"), std::string::npos)
        << d.error()->message;
}

TEST(Decoder, ReparentRecordsDecodeAndTheirLengthIsChecked)
{
    StreamBuilder b;
    b.reparent(5, {12, 120}, {1, 10}, {11, 110});
    StreamDecoder d;
    Collected c = decode_all(b.bytes(), d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    ASSERT_EQ(c.records.size(), 1u);
    EXPECT_EQ(c.records[0].size, sizeof(pt_process_reparent));
    const auto& m = std::get<ProcessReparent>(c.records[0].body);
    EXPECT_EQ(m.proc, (Identity{12, 120}));
    EXPECT_EQ(m.parent, (Identity{1, 10}));
    EXPECT_EQ(m.previous, (Identity{11, 110}));
    EXPECT_EQ(record_type_name(PT_REC_PROCESS_REPARENT), "reparent");

    StreamBuilder shortb;
    shortb.unknown(1, PT_REC_PROCESS_REPARENT, 40);  // 64 bytes: the previous parent is missing
    StreamDecoder d2;
    decode_all(shortb.bytes(), d2);
    ASSERT_TRUE(d2.error());
    EXPECT_NE(d2.error()->message.find("reparent record of 64 bytes is shorter than its fixed part (72 bytes)"),
              std::string::npos)
        << d2.error()->message;
}

TEST(Decoder, ABigChunkBehindACutRecordDoesNotStayAllocated)
{
    StreamBuilder b;
    for (std::uint32_t i = 0; i < 40'000; ++i) b.create(i, {i + 1, i}, {0, 0}, "worker", "worker --id");
    const std::string& bytes = b.bytes();
    Collected c;
    StreamDecoder d;
    std::size_t cut = 1000;  // inside a record: it waits in the carry buffer
    ASSERT_TRUE(d.feed(std::string_view(bytes).substr(0, cut), c));
    std::size_t big = bytes.size() - cut - 100;  // megabytes of records, the last one cut again
    ASSERT_GT(big, 2u << 20);
    ASSERT_TRUE(d.feed(std::string_view(bytes).substr(cut, big), c));
    EXPECT_LE(d.carry_capacity(), 2 * PT_MAX_RECORD_SIZE);
    ASSERT_TRUE(d.feed(std::string_view(bytes).substr(cut + big), c));
    EXPECT_TRUE(d.finish());
    EXPECT_EQ(c.records.size(), 40'000u);
}

namespace {
constexpr std::size_t kFirstRecord = PT_STREAM_HEADER_FIXED + 8;  // after "testhost"

const ProcessCreate& only_create(const Collected& c)
{
    EXPECT_EQ(c.records.size(), 1u);
    return std::get<ProcessCreate>(c.records.at(0).body);
}
}  // namespace

TEST(Decoder, ACutCommandLinesWholeLengthIsRead)
{
    StreamBuilder b;
    b.create_cut(1, {9, 90}, {1, 10}, "big", std::string(100'000, 'a'), 0);
    StreamDecoder d;
    Collected c = decode_all(b.bytes(), d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    const ProcessCreate& p = only_create(c);
    EXPECT_EQ(p.cmdline.size(), PT_MAX_STRING);
    EXPECT_TRUE(p.flags & PT_PROC_CMDLINE_TRUNCATED);
    EXPECT_EQ(p.full.cmdline, 100'000u);
    EXPECT_EQ(p.full.name, 0u);
}

TEST(Decoder, AnOlderRecordCutWithoutTheTrailerHasTheLengthUnknown)
{
    // What producers wrote before the trailer: the flag alone.
    StreamBuilder b;
    b.create(1, {9, 90}, {1, 10}, "big", std::string(PT_MAX_STRING, 'a'), {}, {}, 1, PT_PROC_CMDLINE_TRUNCATED);
    ASSERT_EQ(b.size(), kFirstRecord + PT_ALIGN8(PT_PROCESS_CREATE_FIXED + 3 + PT_MAX_STRING));
    StreamDecoder d;
    Collected c = decode_all(b.bytes(), d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    const ProcessCreate& p = only_create(c);
    EXPECT_TRUE(p.flags & PT_PROC_CMDLINE_TRUNCATED);
    EXPECT_EQ(p.full, FullLengths{});
}

TEST(Decoder, ATrailerTheRecordIsTooShortForIsUnknownNotAnError)
{
    StreamBuilder b;
    b.create_cut(1, {9, 90}, {1, 10}, "big", std::string(5000, 'a'), 0);
    std::string bytes = b.bytes();
    bytes.resize(bytes.size() - sizeof(pt_full_lengths));
    std::uint32_t size = static_cast<std::uint32_t>(bytes.size() - kFirstRecord);
    std::memcpy(bytes.data() + kFirstRecord + offsetof(pt_record_header, size), &size, 4);
    StreamDecoder d;
    Collected c = decode_all(bytes, d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    const ProcessCreate& p = only_create(c);
    EXPECT_TRUE(p.flags & PT_PROC_FULL_LENGTHS);
    EXPECT_EQ(p.full.cmdline, 0u);
}

TEST(Decoder, AWholeLengthWithoutItsFlagOrNotLongerThanKeptIsIgnored)
{
    StreamBuilder b;
    b.create_cut(1, {9, 90}, {1, 10}, "big", std::string(5000, 'a'), 0);
    std::string bytes = b.bytes();
    std::size_t trailer = bytes.size() - sizeof(pt_full_lengths);
    std::uint32_t name_whole = 2;  // "big" is 3 bytes: a whole length can't be shorter
    std::memcpy(bytes.data() + trailer + offsetof(pt_full_lengths, name), &name_whole, 4);
    std::uint32_t flags = PT_PROC_FULL_LENGTHS | PT_PROC_NAME_TRUNCATED;  // the cmdline's flag cleared
    std::memcpy(bytes.data() + kFirstRecord + offsetof(pt_process_create, flags), &flags, 4);
    StreamDecoder d;
    Collected c = decode_all(bytes, d);
    ASSERT_FALSE(d.error()) << d.error()->describe();
    EXPECT_EQ(only_create(c).full, FullLengths{});
}

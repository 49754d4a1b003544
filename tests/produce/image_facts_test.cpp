// Unit tests for driver/common/src/image_facts.cpp: the stream stays whole
// and numbered, facts follow their records, one read per file version, one
// stat per path per batch, and a full queue skips facts, never events. The
// file reader here is a test double of the OS seam (a real disk cannot be
// made slow on demand); the Linux reader is tested on real files in
// tests/linux.
#include "../support/stream_builder.hpp"

#include <proctree/model/decoder.hpp>
#include <proctree/produce/image_facts.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>

using namespace proctree;
using collect::FileIdentity;
using collect::Sha256;
using proctree::testing::StreamBuilder;

namespace {

class MemorySink : public collect::ByteSink {
public:
    bool write(const void* data, std::size_t len) override
    {
        bytes.append(static_cast<const char*>(data), len);
        return true;
    }
    std::string bytes;
};

// Files by path: version number and contents' first byte; can hold reads.
class TestReader : public collect::ImageFileReader {
public:
    std::map<std::string, std::uint64_t> versions;
    std::atomic<int> identified{0}, digested{0};

    bool identify(const std::string& path, FileIdentity& id, std::uint32_t& error) override
    {
        wait_open();
        ++identified;
        auto it = versions.find(path);
        if (it == versions.end()) {
            error = 2;
            return false;
        }
        id = FileIdentity{1, std::hash<std::string>{}(path), 100 + path.size(), it->second};
        return true;
    }
    bool digest(const std::string& path, FileIdentity& id, Sha256& sha, std::uint32_t& error) override
    {
        ++digested;
        if (!identify(path, id, error)) return false;
        sha.fill(static_cast<std::uint8_t>(path.back()));
        sha[31] = static_cast<std::uint8_t>(versions[path]);
        return true;
    }
    void hold()
    {
        std::lock_guard l(m_);
        held_ = true;
    }
    void release()
    {
        {
            std::lock_guard l(m_);
            held_ = false;
        }
        cv_.notify_all();
    }

private:
    void wait_open()
    {
        std::unique_lock l(m_);
        cv_.wait(l, [this] { return !held_; });
    }
    std::mutex m_;
    std::condition_variable cv_;
    bool held_ = false;
};

struct Decoded : model::RecordHandler {
    std::vector<model::Record> records;
    std::vector<std::string> paths;  // of each facts record, in order
    void on_header(const model::StreamHeader&) override {}
    void on_record(const model::Record& r) override
    {
        records.push_back(r);
        if (auto* f = std::get_if<model::ImageFactsRecord>(&r.body)) paths.emplace_back(f->path);
    }
    std::vector<const model::ImageFactsRecord*> facts() const
    {
        std::vector<const model::ImageFactsRecord*> out;
        for (const auto& r : records)
            if (auto* f = std::get_if<model::ImageFactsRecord>(&r.body)) out.push_back(f);
        return out;
    }
};

Decoded decode(const std::string& bytes)
{
    Decoded d;
    model::StreamDecoder decoder;
    decoder.feed(bytes, d);
    EXPECT_TRUE(decoder.finish()) << decoder.error()->describe();
    return d;
}

// Writes a producer's stream (header, then records as WireWriter would:
// one whole record per write) into sink.
void produce(collect::ByteSink& sink, const StreamBuilder& b)
{
    const std::string& s = b.bytes();
    pt_stream_header h;
    std::memcpy(&h, s.data(), sizeof h);
    sink.write(s.data(), h.header_size);
    for (std::size_t pos = h.header_size; pos < s.size();) {
        pt_record_header rh;
        std::memcpy(&rh, s.data() + pos, sizeof rh);
        ASSERT_TRUE(sink.write(s.data() + pos, rh.size));
        pos += rh.size;
    }
}

}  // namespace

TEST(ImageFacts, RecordsPassOnNumberedAndFactsNameTheirRecord)
{
    MemorySink out;
    TestReader reader;
    reader.versions = {{"/bin/sh", 1}, {"/bin/ls", 1}};
    StreamBuilder b;
    b.create(1, {10, 1}, {1, 0}, "sh", "sh", "root", "/bin/sh")
        .exec(2, {10, 1}, "ls", "ls", "/bin/ls")
        .exit(3, {10, 1}, 0)
        .create(4, {11, 4}, {1, 0}, "gone", "gone", "root", "/tmp/gone");
    {
        collect::ImageFactsSink sink(out, reader);
        produce(sink, b);
        sink.finish();
        collect::ImageFactsStats st = sink.stats();
        EXPECT_EQ(st.requested, 3u);
        EXPECT_EQ(st.files_read, 2u);
        EXPECT_EQ(st.unreadable, 1u);
        EXPECT_EQ(st.skipped, 0u);
    }
    Decoded d = decode(out.bytes);
    ASSERT_EQ(d.records.size(), 7u);
    for (std::size_t i = 0; i < d.records.size(); ++i) EXPECT_EQ(d.records[i].seq, i);
    std::map<std::uint64_t, const model::Record*> by_seq;
    for (const auto& r : d.records) by_seq[r.seq] = &r;
    auto facts = d.facts();
    ASSERT_EQ(facts.size(), 3u);
    for (auto* f : facts) {
        const model::Record* described = by_seq.at(f->event_seq);
        ASSERT_TRUE(described->type == PT_REC_PROCESS_CREATE || described->type == PT_REC_PROCESS_EXEC);
        std::string_view image = described->type == PT_REC_PROCESS_CREATE
                                     ? std::get<model::ProcessCreate>(described->body).image
                                     : std::get<model::ProcessExec>(described->body).image;
        EXPECT_EQ(f->path, image);
        if (f->path == "/tmp/gone") {
            EXPECT_EQ(f->status, PT_FACTS_UNREADABLE);
            EXPECT_EQ(f->error, 2u);
        } else {
            EXPECT_EQ(f->status, PT_FACTS_HASHED);
            EXPECT_EQ(f->sha256[0], static_cast<std::uint8_t>(f->path.back()));
            EXPECT_EQ(f->file_size, 100 + f->path.size());
        }
    }
}

TEST(ImageFacts, OneReadPerFileVersion)
{
    MemorySink out;
    TestReader reader;
    reader.versions = {{"/bin/true", 1}};
    StreamBuilder b;
    for (std::uint32_t i = 0; i < 2000; ++i) b.create(i, {100 + i, i}, {1, 0}, "true", "true", "root", "/bin/true");
    collect::ImageFactsOptions o;
    o.queue_capacity = 100000;
    collect::ImageFactsSink sink(out, reader, o);
    produce(sink, b);
    sink.finish();
    EXPECT_EQ(reader.digested.load(), 1);
    EXPECT_EQ(sink.stats().cache_hits, 1999u);

    reader.versions["/bin/true"] = 2;  // replaced: a new identity is read again
    MemorySink out2;
    collect::ImageFactsSink again(out2, reader, o);
    StreamBuilder c;
    c.create(1, {5, 1}, {1, 0}, "true", "true", "root", "/bin/true");
    produce(again, c);
    again.finish();
    auto decoded = decode(out2.bytes);  // facts() points into it
    auto facts = decoded.facts();
    ASSERT_EQ(facts.size(), 1u);
    EXPECT_EQ(facts[0]->sha256[31], 2);
}

TEST(ImageFacts, AStormOfOneImageIsIdentifiedOncePerBatch)
{
    MemorySink out;
    TestReader reader;
    reader.versions = {{"/bin/true", 1}};
    reader.hold();  // whatever the worker took first, the rest queue meanwhile
    StreamBuilder b;
    for (std::uint32_t i = 0; i < 1000; ++i) b.create(i, {100 + i, i}, {1, 0}, "true", "true", "root", "/bin/true");
    collect::ImageFactsSink sink(out, reader);
    produce(sink, b);
    reader.release();
    sink.finish();
    // At most: the first request alone (identify, and digest's own identify),
    // then one identify for all that queued behind it; one per exec before.
    EXPECT_LE(reader.identified.load(), 3);
    EXPECT_EQ(reader.digested.load(), 1);
    Decoded d = decode(out.bytes);
    auto facts = d.facts();
    ASSERT_EQ(facts.size(), 1000u);
    for (auto* f : facts) EXPECT_EQ(f->status, PT_FACTS_HASHED);
}

TEST(ImageFacts, AFullQueueSkipsFactsNeverEvents)
{
    MemorySink out;
    TestReader reader;
    reader.versions = {{"/bin/a", 1}};
    reader.hold();  // the disk is slow: the worker is stuck on its first file
    std::vector<std::string> notices;
    collect::ImageFactsOptions o;
    o.queue_capacity = 4;
    o.notice = [&](std::string_view m) { notices.emplace_back(m); };
    StreamBuilder b;
    for (std::uint32_t i = 0; i < 50; ++i) b.create(i, {100 + i, i}, {1, 0}, "a", "a", "root", "/bin/a");
    collect::ImageFactsSink sink(out, reader, o);
    produce(sink, b);  // returns at once: nothing waits for the reader
    collect::ImageFactsStats held = sink.stats();
    EXPECT_GE(held.skipped, 50u - 5u);  // at most the queue and the one in hand are pending
    reader.release();
    sink.finish();
    Decoded d = decode(out.bytes);
    std::size_t creates = 0, skipped = 0, hashed = 0;
    for (const auto& r : d.records) creates += r.type == PT_REC_PROCESS_CREATE;
    for (auto* f : d.facts()) (f->status == PT_FACTS_SKIPPED ? skipped : hashed) += 1;
    EXPECT_EQ(creates, 50u);
    EXPECT_EQ(skipped + hashed, 50u);
    EXPECT_EQ(skipped, held.skipped);
    ASSERT_EQ(notices.size(), 1u);  // rate-limited: the storm took well under 5 s of stream time
    EXPECT_NE(notices[0].find("hasher behind"), std::string::npos);
}

TEST(ImageFacts, KernelThreadsAndRecordsWithoutAnImageGetNoFacts)
{
    MemorySink out;
    TestReader reader;
    StreamBuilder b;
    b.create(1, {2, 1}, {0, 0}, "kthreadd").rename(2, {2, 1}, "x").lost(3, 1);
    collect::ImageFactsSink sink(out, reader);
    produce(sink, b);
    sink.finish();
    EXPECT_TRUE(decode(out.bytes).facts().empty());
    EXPECT_EQ(reader.identified.load(), 0);
}

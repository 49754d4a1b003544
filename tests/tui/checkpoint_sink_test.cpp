// Checkpoints put into a stream on its way to the publisher: where they go,
// what they hold, the renumbering after them, and input that is not a stream.
#include "checkpoint_sink.hpp"

#include "../support/stream_builder.hpp"

#include <proctree/model/decoder.hpp>
#include <proctree/model/feed.hpp>
#include <proctree/model/tree.hpp>

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <tuple>

namespace proctree::cli {
namespace {

using proctree::testing::StreamBuilder;
constexpr std::uint64_t kS = 1'000'000'000ull;

class Memory : public collect::ByteSink {
public:
    bool write(const void* data, std::size_t len) override
    {
        bytes.append(static_cast<const char*>(data), len);
        return true;
    }
    std::string bytes;
};

class Collect : public model::RecordHandler {
public:
    void on_header(const model::StreamHeader&) override {}
    void on_record(const model::Record& r) override
    {
        records.push_back(r);
        owned.emplace_back();
    }
    std::vector<model::Record> records;
    std::vector<std::string> owned;
};

// 60 s: init, a process every second under init or the previous one, each
// living 2.5 s, one that lives throughout and execs; facts after some creates.
std::string history()
{
    StreamBuilder b("h");
    b.snapshot(0, true).create(0, {1, 1}, {0, 0}, "init").snapshot(0, false);
    b.create(1, {2, 2}, {1, 1}, "keeper", "keeper --all");
    for (std::uint32_t i = 0; i < 60; ++i) {
        std::uint64_t t = (i + 1) * kS;
        std::uint32_t parent = i % 2 ? 100 + i - 1 : 1;
        std::uint64_t pstart = i % 2 ? i * kS : 1;
        b.create(t, {100 + i, t}, {parent, pstart}, "job", "job --n");
        std::uint64_t event = b.next_seq() - 1;
        b.facts(t + 10, {100 + i, t}, event, PT_FACTS_UNREADABLE, "/bin/job", 0, {}, 2);
        if (i >= 2) b.exit(t + 500'000'000, {100 + i - 2, (i - 1) * kS}, 0);
        if (i == 30) b.exec(t, {2, 2}, "keeper2", "keeper2 --half");
    }
    return b.bytes();
}

std::string through(const std::string& in, std::uint64_t interval, std::size_t seed)
{
    Memory out;
    CheckpointSink sink(out, interval);
    std::mt19937 rng(static_cast<std::uint32_t>(seed));
    for (std::size_t at = 0; at < in.size();) {
        std::size_t n = std::min<std::size_t>(in.size() - at, 1 + rng() % 300);
        EXPECT_TRUE(sink.write(in.data() + at, n));
        at += n;
    }
    return out.bytes;
}

std::vector<model::Record> decode(const std::string& s)
{
    Collect c;
    model::StreamDecoder d;
    EXPECT_TRUE(d.feed(s, c));
    EXPECT_TRUE(d.finish());
    return c.records;
}

using Shape = std::set<std::tuple<std::uint32_t, std::uint64_t, std::string, std::uint32_t>>;
Shape living(const model::ProcessTree& t, std::uint32_t pid_from = 0)
{
    Shape out;
    std::vector<const model::Process*> todo;
    for (auto* p = t.first_root(); p; p = p->next_sibling()) todo.push_back(p);
    while (!todo.empty()) {
        const model::Process* p = todo.back();
        todo.pop_back();
        for (auto* c = p->first_child(); c; c = c->next_sibling()) todo.push_back(c);
        if (!p->exited && p->id.pid >= pid_from)
            out.emplace(p->id.pid, p->id.start_ns, p->name, p->parent() ? p->parent()->id.pid : 0);
    }
    return out;
}

model::ProcessTree tree_of(const std::string& s)
{
    model::ProcessTree t(model::TreeConfig{0});
    model::TreeFeeder f(t);
    model::StreamDecoder d;
    d.feed(s, f);
    return t;
}

TEST(CheckpointSink, ACheckpointEveryIntervalOfStreamTimeAndContiguousNumbers)
{
    std::string in = history();
    for (std::size_t seed : {1, 2, 3}) {
        auto recs = decode(through(in, 10 * kS, seed));
        std::vector<std::uint64_t> at;
        for (std::size_t i = 0; i < recs.size(); ++i) {
            EXPECT_EQ(recs[i].seq, i);
            const auto* s = std::get_if<model::Snapshot>(&recs[i].body);
            if (s && s->begin && s->reason == PT_SNAPSHOT_CHECKPOINT) at.push_back(recs[i].time_ns);
        }
        ASSERT_EQ(at.size(), 6u) << "before the records at 10, 20, ... 60 s";
        for (std::size_t i = 1; i < at.size(); ++i) EXPECT_EQ(at[i] - at[i - 1], 10 * kS);
    }
    EXPECT_EQ(through(in, 0, 1), in);  // interval 0: unchanged
}

TEST(CheckpointSink, AFollowerStartingAtACheckpointBuildsTheSameTree)
{
    std::string out = through(history(), 10 * kS, 4);
    std::uint16_t header = 0;
    std::memcpy(&header, out.data() + 12, sizeof header);
    // the last checkpoint: the last snapshot begin with reason 3, by offset
    std::size_t last = 0;
    for (std::size_t at = header; at < out.size();) {
        std::uint32_t size = 0;
        std::uint16_t type = 0;
        std::uint32_t reason = 0;
        std::memcpy(&size, out.data() + at + 4, 4);
        std::memcpy(&type, out.data() + at, 2);
        std::memcpy(&reason, out.data() + at + 24, 4);
        if (type == PT_REC_SNAPSHOT_BEGIN && reason == PT_SNAPSHOT_CHECKPOINT) last = at;
        at += size;
    }
    ASSERT_GT(last, 0u);
    model::ProcessTree whole = tree_of(out);
    model::ProcessTree late = tree_of(out.substr(0, header) + out.substr(last));
    EXPECT_EQ(living(late), living(whole));
    EXPECT_EQ(living(whole), living(tree_of(history())));
    EXPECT_EQ(late.find({2, 2})->name, "keeper2");
}

TEST(CheckpointSink, ImageFactsStillNameTheirRecordAfterRenumbering)
{
    auto recs = decode(through(history(), 10 * kS, 5));
    std::size_t facts = 0;
    for (const auto& r : recs) {
        const auto* f = std::get_if<model::ImageFactsRecord>(&r.body);
        if (!f) continue;
        ++facts;
        ASSERT_LT(f->event_seq, recs.size());
        const auto* c = std::get_if<model::ProcessCreate>(&recs[f->event_seq].body);
        ASSERT_TRUE(c) << "facts at seq " << r.seq << " name seq " << f->event_seq;
        EXPECT_EQ(c->proc, f->proc);
    }
    EXPECT_EQ(facts, 60u);
}

TEST(CheckpointSink, WhatIsNotAStreamPassesUntouched)
{
    std::string junk = "this is not a proctree stream at all, but the publisher says so";
    EXPECT_EQ(through(junk, 10 * kS, 6), junk);
    std::string bad = history();
    std::uint16_t header = 0;
    std::memcpy(&header, bad.data() + 12, sizeof header);
    std::uint32_t odd = 7;  // a record size that is not a multiple of 8
    std::memcpy(bad.data() + header + 4, &odd, 4);
    EXPECT_EQ(through(bad, 10 * kS, 7), bad);
}

}  // namespace
}  // namespace proctree::cli

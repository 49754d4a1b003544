// The checkpoint index: its subjects and entries, and the choice of where a
// follower starts.
#include <proctree/nats/checkpoint_index.hpp>

#include <gtest/gtest.h>

namespace proctree::nats {
namespace {

TEST(CheckpointIndex, EntriesRoundTripAndNameTheirHost)
{
    CheckpointEntry e{"db.1 prod", 42, 1'795'000'000'123'456'789ull, 9001, 77};
    std::string subject = index_subject(e.host);
    EXPECT_EQ(subject, "proctree.v1.db%2E1%20prod.ckpt");
    auto back = parse_index_entry(subject, format_index_entry(e));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->host, e.host);
    EXPECT_EQ(back->stream_seq, 42u);
    EXPECT_EQ(back->time_ns, e.time_ns);
    EXPECT_EQ(back->first_seq, 9001u);
    EXPECT_EQ(back->clock_origin_ns, 77u);
}

TEST(CheckpointIndex, WhatIsNotOursIsRefused)
{
    std::string good = format_index_entry({"h", 1, 2, 3, 4});
    EXPECT_FALSE(parse_index_entry("proctree.v1.h", good));  // a data subject
    EXPECT_FALSE(parse_index_entry("other.v1.h.ckpt", good));
    EXPECT_FALSE(parse_index_entry("proctree.v1.a.b.ckpt", good));
    EXPECT_FALSE(parse_index_entry("proctree.v1.h.ckpt", "stream_seq=1 time_ns=x"));
    EXPECT_FALSE(parse_index_entry("proctree.v1.h.ckpt", ""));
    EXPECT_EQ(host_of_subject("proctree.v1.web1"), "web1");
    EXPECT_FALSE(host_of_subject("proctree.v1.web1.ckpt"));
}

TEST(CheckpointIndex, TheNewestCheckpointAtOrBeforeATime)
{
    std::vector<CheckpointEntry> index{
        {"a", 10, 100, 0, 1}, {"b", 11, 100, 0, 1}, {"a", 20, 200, 50, 1}, {"a", 30, 300, 90, 1}};
    EXPECT_EQ(checkpoint_before(index, "a", std::nullopt)->stream_seq, 30u);
    EXPECT_EQ(checkpoint_before(index, "a", 299)->stream_seq, 20u);
    EXPECT_EQ(checkpoint_before(index, "a", 200)->stream_seq, 20u);
    EXPECT_EQ(checkpoint_before(index, "b", 5000)->stream_seq, 11u);
    EXPECT_FALSE(checkpoint_before(index, "a", 99));
    EXPECT_FALSE(checkpoint_before(index, "c", std::nullopt));
}

}  // namespace
}  // namespace proctree::nats

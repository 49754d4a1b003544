// The publisher's spool: order, bounds, the events-lost marker, restarts.
#include <proctree/nats/spool.hpp>

#include <proctree/wire_encode.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

namespace proctree::nats {
namespace {

std::string header_bytes()
{
    char buf[64];
    std::uint32_t n = pt_encode_stream_header(buf, sizeof buf, PT_OS_LINUX, PT_SOURCE_SYNTHETIC, 7, 0, pt_str{"h", 1});
    return std::string(buf, n);
}

// A batch of `records` exit records numbered from first, padded to about `bytes`.
Batch make_batch(std::uint64_t first, std::uint32_t records)
{
    Batcher b("");
    std::vector<Batch> out;
    std::string bytes = header_bytes();
    b.feed(bytes.data(), bytes.size(), out);
    for (std::uint32_t i = 0; i < records; ++i) {
        char rec[64];
        std::uint32_t n =
            pt_encode_process_exit(rec, sizeof rec, first + i, 100 + first + i, pt_ident{1, 0, 2}, 0, 0, 0);
        b.feed(rec, n, out);
    }
    b.seal(out);
    EXPECT_EQ(out.size(), 1u);
    return out.front();
}

std::uint64_t first_seq(const std::string& payload) { return describe_payload(payload)->first_seq; }

class SpoolTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir_ = std::filesystem::temp_directory_path() /
               ("proctree-spool-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

TEST_F(SpoolTest, KeepsOrderAcrossMemoryAndDisk)
{
    std::string error;
    auto s = Spool::open(SpoolLimits{dir_.string(), 1 << 20, 1000}, error);
    ASSERT_TRUE(s) << error;
    s->set_online(true);
    for (std::uint64_t i = 0; i < 10; ++i) s->push(make_batch(i * 10, 10));  // 488 bytes each: 2 fit in memory
    EXPECT_GT(std::distance(std::filesystem::directory_iterator(dir_), {}), 0);
    for (std::uint64_t i = 0; i < 10; ++i) {
        auto p = s->front(std::chrono::milliseconds(0));
        ASSERT_TRUE(p);
        EXPECT_EQ(first_seq(*p), i * 10);
        s->pop();
    }
    EXPECT_FALSE(s->front(std::chrono::milliseconds(0)));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 0);
}

TEST_F(SpoolTest, FullSpoolReplacesTheOldestWithOneLossRecord)
{
    std::string error;
    std::size_t one = make_batch(0, 10).payload.size();
    auto s = Spool::open(SpoolLimits{dir_.string(), 4 * one, 0}, error);
    ASSERT_TRUE(s) << error;
    for (std::uint64_t i = 0; i < 20; ++i) s->push(make_batch(i * 10, 10));
    EXPECT_LE(s->stats().bytes, 4 * one);
    auto p = s->front(std::chrono::milliseconds(0));
    ASSERT_TRUE(p);
    auto info = describe_payload(*p);
    ASSERT_EQ(info->records, 1u);
    std::uint64_t count = 0;
    std::memcpy(&count, p->data() + info->header_size + 24, sizeof count);
    // seq: the last dropped record's; count: every dropped record
    EXPECT_EQ(info->first_seq, count - 1);
    EXPECT_EQ(s->stats().dropped_records, count);
    s->pop();
    auto next = s->front(std::chrono::milliseconds(0));
    ASSERT_TRUE(next);
    EXPECT_EQ(first_seq(*next), count);
}

TEST_F(SpoolTest, ARestartTakesOverWhatWasLeft)
{
    std::string error;
    {
        auto s = Spool::open(SpoolLimits{dir_.string(), 1 << 20, 1 << 20}, error);
        ASSERT_TRUE(s) << error;
        s->set_online(true);
        for (std::uint64_t i = 0; i < 3; ++i) s->push(make_batch(i * 10, 10));
        s->persist();
    }
    auto s = Spool::open(SpoolLimits{dir_.string(), 1 << 20, 1 << 20}, error);
    ASSERT_TRUE(s) << error;
    EXPECT_EQ(s->stats().batches, 3u);
    auto p = s->front(std::chrono::milliseconds(0));
    ASSERT_TRUE(p);
    EXPECT_EQ(first_seq(*p), 0u);
}

TEST_F(SpoolTest, OrderSurvivesARestartWithMemoryEntriesAndALossRecord)
{
    std::string error;
    std::size_t one = make_batch(0, 10).payload.size();
    {
        auto s = Spool::open(SpoolLimits{dir_.string(), 3 * one, 0}, error);
        ASSERT_TRUE(s) << error;
        for (std::uint64_t i = 0; i < 6; ++i) s->push(make_batch(i * 10, 10));  // offline: on disk
        s->persist();                                                           // the loss record too
    }
    auto s = Spool::open(SpoolLimits{dir_.string(), 3 * one, 0}, error);
    ASSERT_TRUE(s) << error;
    auto p = s->front(std::chrono::milliseconds(0));
    ASSERT_TRUE(p);
    auto info = describe_payload(*p);
    EXPECT_EQ(info->records, 1u);  // the loss record comes first
    std::uint64_t next = info->last_seq + 1;
    s->pop();
    while (auto q = s->front(std::chrono::milliseconds(0))) {
        EXPECT_EQ(first_seq(*q), next);
        next = describe_payload(*q)->last_seq + 1;
        s->pop();
    }
    EXPECT_EQ(next, 60u);
}

TEST_F(SpoolTest, AForeignFileInTheDirectoryIsReportedNotTaken)
{
    std::filesystem::create_directories(dir_);
    {
        std::FILE* f = std::fopen((dir_ / "00000000000000000001.ptbatch").c_str(), "w");
        std::fputs("junk", f);
        std::fclose(f);
    }
    std::string error;
    EXPECT_FALSE(Spool::open(SpoolLimits{dir_.string(), 1 << 20, 0}, error));
    EXPECT_NE(error.find("not a proctree batch"), std::string::npos) << error;
}

}  // namespace
}  // namespace proctree::nats

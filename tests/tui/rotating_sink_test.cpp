// RotatingSink: the producer's stream cut into numbered files, each a whole
// stream, within keep x max_file_bytes.
#include "recording_dir.hpp"
#include "rotating_sink.hpp"
#include "temp_dir.hpp"

#include "../support/stream_builder.hpp"

#include <proctree/model/decoder.hpp>
#include <proctree/wire.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace proctree::cli {
namespace {

using testing::Id;
using testing::StreamBuilder;
using testing::TempDir;

// What the machine's snapshot holds in these tests: two processes.
bool two_process_snapshot(collect::WireWriter& w)
{
    pt_create_args a{};
    a.uid = PT_UID_UNKNOWN;
    a.threads = 1;
    a.name = collect::to_pt_str("init");
    bool ok = w.snapshot_begin(1, PT_SNAPSHOT_INITIAL, PT_SNAPSHOT_COMPLETE);
    a.proc = pt_ident{1, 0, 1};
    ok = ok && w.create(1, a);
    a.proc = pt_ident{2, 0, 2};
    a.parent = pt_ident{1, 0, 1};
    ok = ok && w.create(1, a);
    return ok && w.snapshot_end(1, PT_SNAPSHOT_INITIAL, PT_SNAPSHOT_COMPLETE);
}

// Hands a built stream to the sink as a producer does: the header, then
// one record per write.
bool produce(collect::ByteSink& sink, const std::string& stream)
{
    std::size_t header = StreamBuilder().bytes().size();
    if (!sink.write(stream.data(), header)) return false;
    for (std::size_t pos = header; pos < stream.size();) {
        std::uint32_t size;
        std::memcpy(&size, stream.data() + pos + 4, sizeof size);
        if (!sink.write(stream.data() + pos, size)) return false;
        pos += size;
    }
    return true;
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Kinds : model::RecordHandler {
    std::vector<std::uint16_t> types;
    std::vector<std::uint64_t> seqs;
    void on_record(const model::Record& r) override
    {
        types.push_back(r.type);
        seqs.push_back(r.seq);
    }
};

StreamBuilder storm(int creates)
{
    StreamBuilder b;
    b.snapshot(1, true).create(1, Id{1, 1}, Id{}, "init").snapshot(1, false);
    for (int i = 0; i < creates; ++i) b.create(10 + i, Id{static_cast<std::uint32_t>(100 + i), 5}, Id{1, 1}, "child");
    return b;
}

TEST(RotatingSink, FilesStayWithinTheBoundAndEachIsAWholeStream)
{
    TempDir d;
    RotatingSink::Options o{d.path(), 2048, 3};
    std::string error;
    auto sink = RotatingSink::open(o, two_process_snapshot, error);
    ASSERT_TRUE(sink) << error;
    ASSERT_TRUE(produce(*sink, storm(200).bytes())) << sink->error();
    ASSERT_TRUE(sink->finish()) << sink->error();
    EXPECT_GT(sink->files_started(), 3u);

    std::vector<std::string> files = list_recording_files(d.path(), error);
    ASSERT_EQ(files.size(), 3u);
    EXPECT_EQ(recording_file_index(files.back()), sink->files_started());
    for (const std::string& f : files) {
        std::string bytes = read_file(d.file(f));
        EXPECT_LE(bytes.size(), 2048u) << f;
        Kinds got;
        model::StreamDecoder decoder;
        decoder.feed(bytes, got);
        ASSERT_TRUE(decoder.finish()) << f << ": " << decoder.error()->describe();
        ASSERT_GE(got.types.size(), 4u);
        EXPECT_EQ(got.types.front(), PT_REC_SNAPSHOT_BEGIN) << f;
        for (std::size_t i = 0; i < got.seqs.size(); ++i) EXPECT_EQ(got.seqs[i], i) << f;
    }
}

TEST(RotatingSink, ASnapshotTooBigForOneFileFailsWithoutPassingTheBound)
{
    TempDir d;
    RotatingSink::Options o{d.path(), 600, 2};
    std::string error;
    auto sink = RotatingSink::open(o, two_process_snapshot, error);
    ASSERT_TRUE(sink) << error;
    StreamBuilder big;
    big.snapshot(1, true);
    for (int i = 0; i < 20; ++i) big.create(1, Id{static_cast<std::uint32_t>(10 + i), 5}, Id{1, 1}, "in-snapshot");
    big.snapshot(1, false);
    EXPECT_FALSE(produce(*sink, big.bytes()));
    EXPECT_NE(sink->error().find("is too small"), std::string::npos) << sink->error();
    sink->finish();
    for (const std::string& f : list_recording_files(d.path(), error))
        EXPECT_LE(std::filesystem::file_size(d.file(f)), 600u);
}

TEST(RotatingSink, ARestartContinuesTheNumberingAndPrunesToKeep)
{
    TempDir d;
    for (int i = 1; i <= 4; ++i) d.write(recording_file_name(i), storm(0).bytes());
    d.write("mine.ptr", "kept: not a recorder file");
    RotatingSink::Options o{d.path(), 1 << 20, 2};
    std::string error;
    auto sink = RotatingSink::open(o, two_process_snapshot, error);
    ASSERT_TRUE(sink) << error;
    ASSERT_TRUE(produce(*sink, storm(3).bytes()));
    ASSERT_TRUE(sink->finish());
    EXPECT_EQ(list_recording_files(d.path(), error),
              (std::vector<std::string>{recording_file_name(4), recording_file_name(5), "mine.ptr"}));
}

TEST(RotatingSink, AnUnusableDirectoryIsOneLine)
{
    TempDir d;
    d.write("file", "x");
    std::string error;
    EXPECT_FALSE(RotatingSink::open({d.file("file") + "/sub", 1 << 20, 2}, two_process_snapshot, error));
    EXPECT_NE(error.find("cannot create directory"), std::string::npos) << error;
}

}  // namespace
}  // namespace proctree::cli

// DirectoryStream: a flight recorder's files read back as one stream.
#include "recording_dir.hpp"
#include "temp_dir.hpp"

#include "../support/stream_builder.hpp"

#include <proctree/model/decoder.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace proctree::cli {
namespace {

using testing::Id;
using testing::StreamBuilder;
using testing::TempDir;

struct Decoded : model::RecordHandler {
    int headers = 0;
    std::vector<std::uint32_t> pids;  // of creates, in order
    void on_header(const model::StreamHeader&) override { ++headers; }
    void on_record(const model::Record& r) override
    {
        if (const auto* c = std::get_if<model::ProcessCreate>(&r.body)) pids.push_back(c->proc.pid);
    }
};

// Reads the whole directory through DirectoryStream into a decoder.
struct Replay {
    Decoded got;
    model::StreamDecoder decoder;
    bool finished = false;
    std::string error;
};

Replay replay(const std::string& dir)
{
    Replay r;
    DirectoryStream in(dir);
    if (!in.ok()) {
        r.error = in.error();
        return r;
    }
    char buf[7];  // tiny reads: records and headers split across them
    for (;;) {
        long n = in.read(buf, sizeof buf);
        if (n < 0) {
            r.error = in.error();
            return r;
        }
        if (n == 0) break;
        r.decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)), r.got);
    }
    r.finished = r.decoder.finish();
    return r;
}

std::string file_with(std::uint32_t pid)
{
    StreamBuilder b;
    b.snapshot(10, true).create(10, Id{pid, 5}, Id{1, 1}, "p").snapshot(10, false);
    return b.bytes();
}

TEST(RecordingDir, NamesSortByNumberThenOtherStreamsByName)
{
    TempDir d;
    for (const char* name : {"zz.ptr", "proctree-00000010.ptr", "a.ptr", "proctree-00000002.ptr", "notes.txt"})
        d.write(name, "x");
    std::string error;
    EXPECT_EQ(list_recording_files(d.path(), error),
              (std::vector<std::string>{"proctree-00000002.ptr", "proctree-00000010.ptr", "a.ptr", "zz.ptr"}));
    EXPECT_EQ(error, "");
    EXPECT_EQ(recording_file_name(42), "proctree-00000042.ptr");
    EXPECT_EQ(recording_file_index("proctree-00000042.ptr"), 42u);
    EXPECT_EQ(recording_file_index("proctree-.ptr"), 0u);
    EXPECT_EQ(recording_file_index("proctree-12x.ptr"), 0u);
}

TEST(RecordingDir, FilesReplayInOrderAsOneStream)
{
    TempDir d;
    d.write(recording_file_name(2), file_with(200));
    d.write(recording_file_name(1), file_with(100));
    d.write(recording_file_name(3), file_with(300));
    Replay r = replay(d.path());
    EXPECT_EQ(r.error, "");
    EXPECT_TRUE(r.finished) << (r.decoder.error() ? r.decoder.error()->describe() : "");
    EXPECT_EQ(r.got.headers, 1);
    EXPECT_EQ(r.got.pids, (std::vector<std::uint32_t>{100, 200, 300}));
}

TEST(RecordingDir, TornTailOfAnEarlierFileIsDroppedTheLastOnesReported)
{
    TempDir d;
    // Each file: a whole stream, then half of a record (the recorder was killed).
    std::string first = file_with(100);
    std::string half = StreamBuilder().create(11, Id{150, 5}, Id{1, 1}, "torn").bytes();
    std::size_t header = StreamBuilder().bytes().size();
    d.write(recording_file_name(1), first + half.substr(header, 20));
    std::string last = file_with(200);
    d.write(recording_file_name(2), last + half.substr(header, 20));
    Replay r = replay(d.path());
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.got.pids, (std::vector<std::uint32_t>{100, 200}));
    EXPECT_FALSE(r.finished);
    ASSERT_TRUE(r.decoder.error());
    EXPECT_NE(r.decoder.error()->message.find("truncated"), std::string::npos) << r.decoder.error()->message;
}

TEST(RecordingDir, CorruptLengthIsLeftForTheDecoderToReport)
{
    TempDir d;
    std::string bad = file_with(100);
    std::size_t header = StreamBuilder().bytes().size();
    bad[header + 4] = 13;  // the first record's size: not a multiple of 8
    d.write(recording_file_name(1), file_with(50));
    d.write(recording_file_name(2), bad);
    Replay r = replay(d.path());
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.got.pids, (std::vector<std::uint32_t>{50}));
    ASSERT_TRUE(r.decoder.error());
    EXPECT_NE(r.decoder.error()->message.find("invalid"), std::string::npos) << r.decoder.error()->message;
}

TEST(RecordingDir, NotAStreamIsReportedByTheDecoder)
{
    TempDir d;
    d.write(recording_file_name(1), file_with(50));
    d.write(recording_file_name(2), std::string(64, 'x'));
    Replay r = replay(d.path());
    EXPECT_EQ(r.got.pids, (std::vector<std::uint32_t>{50}));
    EXPECT_TRUE(r.decoder.error());
}

TEST(RecordingDir, EmptyOrMissingDirectorySaysWhatToDo)
{
    TempDir d;
    DirectoryStream empty(d.path());
    EXPECT_FALSE(empty.ok());
    EXPECT_NE(empty.error().find("holds no .ptr stream files"), std::string::npos) << empty.error();
    DirectoryStream missing(d.file("nope"));
    EXPECT_FALSE(missing.ok());
    EXPECT_NE(missing.error().find("cannot read directory"), std::string::npos) << missing.error();
}

}  // namespace
}  // namespace proctree::cli

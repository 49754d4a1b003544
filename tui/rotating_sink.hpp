// tui/rotating_sink.hpp - the flight recorder's sink: the producer's stream
// cut into numbered files in a directory (recording_dir.hpp), each at most
// max_file_bytes and each a complete stream: the producer's stream header, a
// fresh snapshot of the machine, then the records that follow. At most
// `keep` files exist at any time (the oldest is removed before a new one is
// opened), so the directory never holds more than keep x max_file_bytes.
#pragma once

#include <proctree/produce/fd_sink.hpp>
#include <proctree/produce/sink.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace proctree::cli {

class RotatingSink final : public collect::ByteSink {
public:
    struct Options {
        std::string dir;
        std::uint64_t max_file_bytes = 64u << 20;
        unsigned keep = 8;
    };
    // Writes a snapshot of the machine (SNAPSHOT_BEGIN .. END) for a new file.
    using SnapshotWriter = std::function<bool(collect::WireWriter&)>;

    // Creates dir if needed and prunes old files; the first file is opened
    // on the first write. nullptr with error set when dir is unusable.
    static std::unique_ptr<RotatingSink> open(const Options& options, SnapshotWriter snapshot, std::string& error);
    ~RotatingSink() override;

    bool write(const void* data, std::size_t len) override;
    void flush() override;
    // Flushes and closes the last file; false when anything failed.
    bool finish();

    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }  // one line
    std::uint64_t files_started() const { return files_started_; }

private:
    RotatingSink(Options options, SnapshotWriter snapshot, std::uint64_t next_index);
    bool write_record(const char* record, std::uint32_t size);
    bool start_file();  // the next numbered file, with header and snapshot
    bool close_file();
    bool prune(std::size_t room);                 // removes the oldest files until `room` more fit under keep
    bool put(const char* data, std::size_t len);  // into the current file, counted
    bool fail(std::string message);
    std::string too_small() const;

    class FileWriter;  // the current file as the snapshot's WireWriter sees it

    Options options_;
    SnapshotWriter snapshot_;
    std::uint64_t next_index_;
    std::uint64_t files_started_ = 0;
    std::string header_;  // the producer's stream header, repeated in every file
    int fd_ = -1;
    std::unique_ptr<collect::FdSink> file_;
    std::uint64_t file_bytes_ = 0;
    std::uint64_t file_seq_ = 0;  // records are renumbered 0, 1, ... in each file
    // The producer's seq of this file's first record from it, and the file's
    // seq for it: image facts name their record by seq and are renumbered too.
    std::optional<std::pair<std::uint64_t, std::uint64_t>> file_seq_base_;
    bool in_source_snapshot_ = false;  // the producer's own snapshot is never split
    std::string error_;
};

}  // namespace proctree::cli

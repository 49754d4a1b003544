// tui/stream_input.hpp - opening the byte streams proctree reads: a file,
// standard input ("-"), a TCP peer ("tcp:HOST:PORT", e.g. a Windows agent
// started with --listen), or a flight recorder's directory (its files in
// order, as one stream: recording_dir.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace proctree::cli {

class DirectoryStream;

// False when file descriptor 0 is closed (`proctree --from - <&-`): then
// the next descriptor the program opens would be read as its input.
bool stdin_is_open();

class StreamInput {
public:
    // Opens spec; on failure returns an input with ok() == false and error()
    // saying what to do, in one line.
    static StreamInput open(const std::string& spec);

    StreamInput(StreamInput&& other) noexcept;
    StreamInput& operator=(StreamInput&& other) noexcept;
    StreamInput(const StreamInput&) = delete;
    StreamInput& operator=(const StreamInput&) = delete;
    ~StreamInput();

    bool ok() const { return fd_ >= 0 || directory_; }
    const std::string& error() const { return error_; }
    const std::string& description() const { return description_; }  // "file x.ptr", "stdin", "tcp 1.2.3.4:9"
    // Files and directories: reads never block, and ending is the end.
    bool is_regular_file() const { return regular_file_; }
    int fd() const { return fd_; }  // -1 for a directory

    // Reads up to cap bytes; 0 at end of stream; -1 on error (error() set).
    // Retries EINTR.
    long read(void* buf, std::size_t cap);

private:
    StreamInput() = default;
    int fd_ = -1;
    bool owned_ = false;
    bool regular_file_ = false;
    std::string error_;
    std::string description_;
    std::unique_ptr<DirectoryStream> directory_;
};

}  // namespace proctree::cli

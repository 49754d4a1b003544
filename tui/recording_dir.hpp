// tui/recording_dir.hpp - a flight recorder's directory: numbered files
// (proctree-00000001.ptr, ...), each a complete stream that starts with a
// snapshot. Writing them is RotatingSink's job (rotating_sink.hpp); reading
// them back as ONE stream is DirectoryStream's: the first file whole, then
// every later file without its stream header, so a decoder sees one header
// and each file's snapshot as a resync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace proctree::cli {

// "proctree-00000042.ptr"
std::string recording_file_name(std::uint64_t index);
// The index of a recorder file name, 0 for any other name.
std::uint64_t recording_file_index(const std::string& name);

// The directory's stream files in replay order: the recorder's numbered
// files by number, then any other *.ptr by name. Sets error (one line) when
// the directory cannot be read.
std::vector<std::string> list_recording_files(const std::string& dir, std::string& error);

class DirectoryStream {
public:
    // Lists dir; on failure (unreadable, no *.ptr) ok() is false and error()
    // says what to do.
    explicit DirectoryStream(const std::string& dir);
    ~DirectoryStream();
    DirectoryStream(const DirectoryStream&) = delete;
    DirectoryStream& operator=(const DirectoryStream&) = delete;

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    std::size_t file_count() const { return files_.size(); }

    // As StreamInput::read: bytes, 0 at the end of the last file, -1 on error.
    long read(void* buf, std::size_t cap);

private:
    bool open_next();
    bool fill();             // reads more of the current file; false on error
    void release_records();  // moves whole records from in_ to out_
    bool finish_file();      // the current file ended: drop a torn tail (not the last file)

    std::string dir_;
    std::vector<std::string> files_;
    std::size_t next_ = 0;  // index in files_ of the next file to open
    int fd_ = -1;
    bool at_eof_ = false;          // the current file has no more bytes
    bool header_done_ = false;     // the current file's stream header was passed or skipped
    bool header_emitted_ = false;  // the one stream header went out
    bool raw_ = false;             // lengths stopped making sense: pass bytes as they are
    std::string in_;               // read from the current file, not yet released
    std::string out_;              // released, not yet returned by read()
    std::string error_;
};

}  // namespace proctree::cli

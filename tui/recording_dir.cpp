#include "recording_dir.hpp"

#include <proctree/wire.h>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace proctree::cli {

namespace {

constexpr std::string_view kPrefix = "proctree-";
constexpr std::string_view kSuffix = ".ptr";
constexpr std::size_t kChunk = 64 * 1024;

std::uint32_t load_u32(const char* p)
{
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

std::uint16_t load_u16(const char* p)
{
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

bool ends_with(const std::string& s, std::string_view tail)
{
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::string recording_file_name(std::uint64_t index) { return fmt::format("proctree-{:08}.ptr", index); }

std::uint64_t recording_file_index(const std::string& name)
{
    if (name.rfind(kPrefix, 0) != 0 || !ends_with(name, kSuffix)) return 0;
    const char* begin = name.data() + kPrefix.size();
    const char* end = name.data() + name.size() - kSuffix.size();
    std::uint64_t index = 0;
    auto [p, ec] = std::from_chars(begin, end, index);
    return ec == std::errc() && p == end && begin != end ? index : 0;
}

std::vector<std::string> list_recording_files(const std::string& dir, std::string& error)
{
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        error = fmt::format("cannot read directory {}: {}", dir, std::strerror(errno));
        return names;
    }
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (ends_with(name, kSuffix) && name.size() > kSuffix.size() && name[0] != '.') names.push_back(name);
    }
    ::closedir(d);
    // Numbered files by number (the recorder's order even past 8 digits),
    // then anything else by name.
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        std::uint64_t ia = recording_file_index(a), ib = recording_file_index(b);
        if ((ia != 0) != (ib != 0)) return ia != 0;
        if (ia != ib) return ia < ib;
        return a < b;
    });
    return names;
}

DirectoryStream::DirectoryStream(const std::string& dir) : dir_(dir)
{
    files_ = list_recording_files(dir, error_);
    if (error_.empty() && files_.empty())
        error_ =
            fmt::format("{} holds no .ptr stream files (proctree record --rotate-mb N -o {}/ writes them)", dir, dir);
}

DirectoryStream::~DirectoryStream()
{
    if (fd_ >= 0) ::close(fd_);
}

bool DirectoryStream::open_next()
{
    std::string path = dir_ + "/" + files_[next_];
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        error_ = fmt::format("cannot open {}: {}", path, std::strerror(errno));
        return false;
    }
    ++next_;
    at_eof_ = false;
    header_done_ = false;
    in_.clear();
    return true;
}

bool DirectoryStream::fill()
{
    char chunk[kChunk];
    for (;;) {
        ssize_t n = ::read(fd_, chunk, sizeof chunk);
        if (n > 0) {
            in_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        if (n == 0) {
            at_eof_ = true;
            return true;
        }
        if (errno == EINTR) continue;
        error_ = fmt::format("reading {}/{}: {}", dir_, files_[next_ - 1], std::strerror(errno));
        return false;
    }
}

void DirectoryStream::release_records()
{
    if (!header_done_ && !raw_) {
        if (in_.size() < PT_STREAM_HEADER_FIXED) return;
        std::uint16_t header_size = load_u16(in_.data() + 12);
        if (std::memcmp(in_.data(), PT_WIRE_MAGIC, PT_WIRE_MAGIC_LEN) != 0 || header_size < PT_STREAM_HEADER_FIXED) {
            raw_ = true;  // not a stream: the decoder downstream says where and why
        } else {
            if (in_.size() < header_size) return;
            // The first header is the stream's; later files' are dropped.
            if (!header_emitted_) out_.append(in_, 0, header_size);
            header_emitted_ = true;
            in_.erase(0, header_size);
            header_done_ = true;
        }
    }
    if (raw_) {
        out_ += in_;
        in_.clear();
        return;
    }
    std::size_t pos = 0;
    while (in_.size() - pos >= sizeof(pt_record_header)) {
        std::uint32_t size = load_u32(in_.data() + pos + 4);
        if (size < sizeof(pt_record_header) || size % 8 != 0 || size > PT_MAX_RECORD_SIZE) {
            raw_ = true;  // corrupt: hand everything on for the decoder to report
            break;
        }
        if (in_.size() - pos < size) break;
        pos += size;
    }
    if (raw_) pos = in_.size();
    out_.append(in_, 0, pos);
    in_.erase(0, pos);
}

bool DirectoryStream::finish_file()
{
    // A torn record at the end of a file that is not the last (the recorder
    // was killed, and restarted into a new file) is dropped: the next file
    // starts with a fresh snapshot. The last file's tail goes on, so that
    // the decoder reports the truncation.
    if (next_ == files_.size()) out_ += in_;
    in_.clear();
    ::close(fd_);
    fd_ = -1;
    raw_ = false;
    return true;
}

long DirectoryStream::read(void* buf, std::size_t cap)
{
    if (!error_.empty()) return -1;
    while (out_.empty()) {
        if (fd_ < 0) {
            if (next_ == files_.size()) return 0;
            if (!open_next()) return -1;
        }
        if (!fill()) return -1;
        release_records();
        if (at_eof_) finish_file();
    }
    std::size_t n = std::min(cap, out_.size());
    std::memcpy(buf, out_.data(), n);
    out_.erase(0, n);
    return static_cast<long>(n);
}

}  // namespace proctree::cli

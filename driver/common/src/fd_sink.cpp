// FdSink: buffered writes of whole records to a file descriptor.
#include <proctree/produce/fd_sink.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace proctree::collect {

FdSink::FdSink(int fd, std::size_t buffer_bytes) : fd_(fd), buf_(buffer_bytes) {}

FdSink::~FdSink() { flush(); }

bool FdSink::write_all(const char* p, std::size_t len)
{
    while (len > 0 && !failed_) {
        ssize_t n = ::write(fd_, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            failed_ = true;  // EPIPE (reader gone), ENOSPC: the producer stops
            error_ = std::strerror(errno);
            break;
        }
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return !failed_;
}

bool FdSink::write(const void* data, std::size_t len)
{
    if (failed_) return false;
    if (used_ + len > buf_.size()) {
        flush();
        if (len > buf_.size()) return write_all(static_cast<const char*>(data), len);
    }
    std::memcpy(buf_.data() + used_, data, len);
    used_ += len;
    return !failed_;
}

void FdSink::flush()
{
    if (used_ == 0 || failed_) return;
    write_all(buf_.data(), used_);
    used_ = 0;
}

}  // namespace proctree::collect

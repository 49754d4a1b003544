#include "channel.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>

namespace proctree::viewer {

ByteChannel::ByteChannel()
{
    event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (event_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

ByteChannel::~ByteChannel()
{
    if (event_fd_ >= 0) ::close(event_fd_);
}

void ByteChannel::signal_locked()
{
    if (signalled_) return;  // one wake-up per drain, not per record
    signalled_ = true;
    std::uint64_t one = 1;
    ssize_t rc;
    do rc = ::write(event_fd_, &one, sizeof one);
    while (rc < 0 && errno == EINTR);
}

bool ByteChannel::write(const void* data, std::size_t len)
{
    if (shut_.load()) return false;
    std::lock_guard lock(mu_);
    buf_.append(static_cast<const char*>(data), len);
    signal_locked();
    return true;
}

void ByteChannel::notice(std::string message)
{
    std::lock_guard lock(mu_);
    notices_.push_back(std::move(message));
    signal_locked();
}

void ByteChannel::finish(int status, std::string why)
{
    std::lock_guard lock(mu_);
    finished_ = true;
    status_ = status;
    why_ = std::move(why);
    signal_locked();
}

bool ByteChannel::wait_for_room(std::size_t cap)
{
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return shut_.load() || buf_.size() - head_ <= cap; });
    return !shut_.load();
}

void ByteChannel::release_spare()
{
    std::lock_guard lock(mu_);
    if (buf_.size() != head_) return;
    std::string().swap(buf_);
    head_ = 0;
}

std::size_t ByteChannel::pending() const
{
    std::lock_guard lock(mu_);
    return buf_.size() - head_;
}

void ByteChannel::drain(Drained& out, std::size_t max_bytes)
{
    out.bytes.clear();
    out.notices.clear();
    std::lock_guard lock(mu_);
    std::size_t avail = buf_.size() - head_;
    std::size_t n = avail < max_bytes ? avail : max_bytes;
    if (n == avail && head_ == 0) {
        out.bytes.swap(buf_);
    } else {
        out.bytes.assign(buf_, head_, n);
        head_ += n;
        if (head_ == buf_.size() || head_ > (1u << 20)) {
            buf_.erase(0, head_);
            head_ = 0;
        }
    }
    out.notices.swap(notices_);
    bool empty = buf_.size() == head_;
    out.finished = finished_ && empty;
    out.status = status_;
    out.why = why_;
    if (empty && signalled_) {
        std::uint64_t v;
        while (::read(event_fd_, &v, sizeof v) < 0 && errno == EINTR) {}
        signalled_ = false;
    }
    room_.notify_all();
}

void ByteChannel::shut()
{
    std::lock_guard lock(mu_);
    shut_.store(true);
    room_.notify_all();
}

} // namespace proctree::viewer

#include "channel.hpp"

#include <proctree/wire.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>

namespace proctree::viewer {

namespace {

// The whole records laid end to end in one write, and whether a snapshot
// begins or ends among them. A piece that is not whole records counts once.
struct Pieces {
    std::uint64_t records = 0;
    bool snapshot_begin = false;
    bool snapshot_end = false;
};

Pieces look_at(const char* data, std::size_t len)
{
    Pieces p;
    std::size_t off = 0;
    while (len - off >= sizeof(pt_record_header)) {
        pt_record_header h;
        std::memcpy(&h, data + off, sizeof h);
        if (h.size < sizeof h || h.size > len - off) break;
        ++p.records;
        p.snapshot_begin |= h.type == PT_REC_SNAPSHOT_BEGIN;
        p.snapshot_end |= h.type == PT_REC_SNAPSHOT_END;
        off += h.size;
    }
    p.records = std::max<std::uint64_t>(p.records, 1);
    return p;
}

}  // namespace

ByteChannel::ByteChannel(std::size_t bound) : bound_(bound)
{
    stats_.bound = bound;
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

void ByteChannel::append_locked(const char* data, std::size_t len)
{
    buf_.append(data, len);
    stats_.most_pending = std::max(stats_.most_pending, pending_locked());
    signal_locked();
}

bool ByteChannel::write(const void* data, std::size_t len)
{
    const char* bytes = static_cast<const char*>(data);
    std::unique_lock lock(mu_);
    if (ask_resync_) {
        if (shut_.load()) return false;
        if (!take_dropping_locked(bytes, len)) return true;  // dropped, counted
        append_locked(bytes, len);
        return true;
    }
    // One piece larger than the bound still goes in once the rest is out.
    room_.wait(lock, [&] { return shut_.load() || pending_locked() == 0 || pending_locked() + len <= bound_; });
    if (shut_.load()) return false;
    append_locked(bytes, len);
    return true;
}

// Dropping mode: false when the piece is dropped.
bool ByteChannel::take_dropping_locked(const char* data, std::size_t len)
{
    if (!header_seen_) {
        header_seen_ = true;
        return true;
    }
    Pieces p = look_at(data, len);
    if (in_snapshot_) {
        in_snapshot_ = !p.snapshot_end;
        return true;
    }
    bool full = pending_locked() + len > bound_;
    if (skip_snapshot_ || unasked_ > 0 || full) {
        unasked_ += p.records;
        stats_.dropped_records += p.records;
        stats_.dropped_bytes += len;
        if (p.snapshot_begin && !p.snapshot_end) skip_snapshot_ = true;
        else if (p.snapshot_end) skip_snapshot_ = false;
        ask_if_room_locked();
        return false;
    }
    in_snapshot_ = p.snapshot_begin && !p.snapshot_end;
    return true;
}

// After a drop, the resync is asked for only once the UI has made room for
// it: asked at once, it would be dropped too.
void ByteChannel::ask_if_room_locked()
{
    if (unasked_ == 0 || skip_snapshot_ || !ask_resync_ || pending_locked() > bound_ / 2) return;
    ask_resync_(unasked_);
    unasked_ = 0;
    ++stats_.resyncs_asked;
}

void ByteChannel::drop_when_full(std::function<void(std::uint64_t)> ask_resync)
{
    std::lock_guard lock(mu_);
    ask_resync_ = std::move(ask_resync);
    room_.notify_all();
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
    return pending_locked();
}

ByteChannel::Stats ByteChannel::stats() const
{
    std::lock_guard lock(mu_);
    return stats_;
}

void ByteChannel::drain(Drained& out, std::size_t max_bytes)
{
    out.bytes.clear();
    out.notices.clear();
    std::lock_guard lock(mu_);
    std::size_t avail = pending_locked();
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
    ask_if_room_locked();
    room_.notify_all();
}

void ByteChannel::shut()
{
    std::lock_guard lock(mu_);
    shut_.store(true);
    room_.notify_all();
}

}  // namespace proctree::viewer

// Internal: the proc connector behind a thin syscall seam. The real channel
// is a NETLINK_CONNECTOR socket subscribed to CN_IDX_PROC; unit tests give
// the source a channel that returns canned datagrams (and errors).
#pragma once

#include <proctree/linux/source.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace proctree::collect {

class EventChannel {
public:
    virtual ~EventChannel() = default;
    // Waits up to timeout_ms for one datagram. Returns its size (> 0), 0 on
    // timeout, or -errno: -ENOBUFS means the kernel dropped events because
    // the receive buffer was full.
    virtual long receive(std::byte* buf, std::size_t cap, int timeout_ms) = 0;
    // One line for notices, e.g. "receive buffer 64 MiB".
    virtual std::string describe() const { return {}; }
};

// A netlink socket read with recvmmsg: many datagrams per system call,
// handed out one by one. Owns fd (closed by the destructor).
class NetlinkSocket : public EventChannel {
public:
    NetlinkSocket(int fd, std::size_t slot_size);  // slot_size: the largest datagram
    ~NetlinkSocket() override;
    NetlinkSocket(const NetlinkSocket&) = delete;
    NetlinkSocket& operator=(const NetlinkSocket&) = delete;

    long receive(std::byte* buf, std::size_t cap, int timeout_ms) override;
    std::string describe() const override { return description_; }
    void set_description(std::string d) { description_ = std::move(d); }

protected:
    int fd() const { return fd_; }

private:
    static constexpr int kSlots = 256;
    // How many datagrams arrived, or -errno (-EAGAIN: none waiting).
    int fetch(int flags);

    int fd_;
    std::size_t slot_size_;
    std::string description_;
    std::vector<std::byte> slab_;
    std::array<mmsghdr, kSlots> msgs_{};
    std::array<iovec, kSlots> iov_{};
    int filled_ = 0;
    int next_ = 0;
    bool drained_ = false;
};

// SO_RCVBUFFORCE where permitted, else SO_RCVBUF; returns the size granted.
int size_receive_buffer(int fd, int wanted);

// Opens, sizes (receive_buffer bytes; 0: a large default) and subscribes;
// nullptr with why_not when the kernel refuses.
std::unique_ptr<EventChannel> open_proc_connector(int receive_buffer, std::string& why_not);

// A second subscription that receives only the event types in event_mask
// (e.g. exec), for a helper that must react to those at once. nullptr when
// it cannot be opened; on kernels before 6.6 it opens but stays silent.
std::unique_ptr<EventChannel> open_proc_connector_filtered(std::uint32_t event_mask);

// The proc connector source reading from `channel`, with /proc at proc_root.
// exec_channel (optional) carries the exec events alone, for the thread
// that reads the details of a new image before the process is gone;
// exit_channel (optional) the kernel's exit accounting (exit_accounting.hpp),
// which names the exits of processes gone before they could be read.
std::unique_ptr<Source> make_netlink_source_on(const SourceOptions& options, std::unique_ptr<EventChannel> channel,
                                               std::string proc_root,
                                               std::unique_ptr<EventChannel> exec_channel = nullptr,
                                               std::unique_ptr<EventChannel> exit_channel = nullptr);

}  // namespace proctree::collect

// The real proc connector channel: a NETLINK_CONNECTOR socket.
#include "netlink_channel.hpp"

#include "proc_event.hpp"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include <fmt/core.h>

namespace proctree::collect {

namespace {

// Default receive buffer: room for a few hundred thousand queued events, so
// that a fork storm does not overrun a reader that is briefly descheduled.
// Memory is only used while events wait.
constexpr int kDefaultReceiveBuffer = 64 << 20;
// The exec-only subscription is read at once, or not at all for a while (a
// storm), after which what waited is dropped: a small buffer is enough.
constexpr int kFilteredReceiveBuffer = 4 << 20;

class ProcConnector final : public NetlinkSocket {
public:
    explicit ProcConnector(int fd) : NetlinkSocket(fd, kSlotSize) {}
    ~ProcConnector() override
    {
        send_op(PROC_CN_MCAST_IGNORE);  // keeps the kernel's listener count right
    }

    // Subscribes to the event types in `mask` only (kernels since 6.6; older
    // ones ignore the request). The kernel sends no answer to it: the ack
    // itself is filtered out.
    bool send_filtered(std::uint32_t mask)
    {
        std::byte msg[NLMSG_HDRLEN + sizeof(cn_msg) + 2 * sizeof(std::uint32_t)]{};
        nlmsghdr nh{};
        nh.nlmsg_len = sizeof msg;
        nh.nlmsg_type = NLMSG_DONE;
        cn_msg cn{};
        cn.id.idx = CN_IDX_PROC;
        cn.id.val = CN_VAL_PROC;
        cn.len = 2 * sizeof(std::uint32_t);
        const std::uint32_t input[2] = {PROC_CN_MCAST_LISTEN, mask};  // struct proc_input
        std::memcpy(msg, &nh, sizeof nh);
        std::memcpy(msg + NLMSG_HDRLEN, &cn, sizeof cn);
        std::memcpy(msg + NLMSG_HDRLEN + sizeof cn, input, sizeof input);
        return ::send(fd(), msg, sizeof msg, 0) == static_cast<ssize_t>(sizeof msg);
    }

    // The kernel's ack to it carries `ack` + 1.
    bool send_op(proc_cn_mcast_op op, std::uint32_t ack = 0)
    {
        // nlmsghdr, cn_msg, then the operation; laid out by hand because
        // cn_msg ends in a flexible array.
        std::byte msg[NLMSG_HDRLEN + sizeof(cn_msg) + sizeof op]{};
        nlmsghdr nh{};
        nh.nlmsg_len = sizeof msg;
        nh.nlmsg_type = NLMSG_DONE;
        cn_msg cn{};
        cn.id.idx = CN_IDX_PROC;
        cn.id.val = CN_VAL_PROC;
        cn.len = sizeof op;
        cn.ack = ack;
        std::memcpy(msg, &nh, sizeof nh);
        std::memcpy(msg + NLMSG_HDRLEN, &cn, sizeof cn);
        std::memcpy(msg + NLMSG_HDRLEN + sizeof cn, &op, sizeof op);
        return ::send(fd(), msg, sizeof msg, 0) == static_cast<ssize_t>(sizeof msg);
    }

private:
    static constexpr std::size_t kSlotSize = 1024;  // a proc connector datagram is ~100 bytes
};

}  // namespace

NetlinkSocket::NetlinkSocket(int fd, std::size_t slot_size) : fd_(fd), slot_size_(slot_size), slab_(kSlots * slot_size)
{
    // Set up once: the kernel only writes msg_len and msg_flags back.
    for (int i = 0; i < kSlots; ++i) {
        iov_[i].iov_base = slab_.data() + static_cast<std::size_t>(i) * slot_size_;
        iov_[i].iov_len = slot_size_;
        msgs_[i].msg_hdr.msg_iov = &iov_[i];
        msgs_[i].msg_hdr.msg_iovlen = 1;
    }
}

NetlinkSocket::~NetlinkSocket() { ::close(fd_); }

long NetlinkSocket::receive(std::byte* buf, std::size_t cap, int timeout_ms)
{
    // Datagrams are fetched up to kSlots at a time with one recvmmsg and
    // handed out one by one. Waiting is that same call (MSG_WAITFORONE,
    // bounded by SO_RCVTIMEO): one system call per wake-up.
    if (next_ == filled_) {
        // A fetch that came back short found the queue empty: report
        // that (0) rather than ask the kernel again right away.
        if (timeout_ms == 0 && drained_) {
            drained_ = false;
            return 0;
        }
        int n = fetch(timeout_ms == 0 ? MSG_DONTWAIT : MSG_WAITFORONE);
        if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR) return 0;
        if (n < 0) return n;
    }
    const mmsghdr& m = msgs_[next_];
    const std::size_t len = std::min<std::size_t>(m.msg_len, cap);
    std::memcpy(buf, slab_.data() + static_cast<std::size_t>(next_) * slot_size_, len);
    ++next_;
    return static_cast<long>(len);
}

int NetlinkSocket::fetch(int flags)
{
    int n = ::recvmmsg(fd_, msgs_.data(), kSlots, flags, nullptr);
    next_ = filled_ = 0;
    if (n < 0) {
        drained_ = errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;  // ENOBUFS comes on an empty queue
        return -errno;
    }
    filled_ = n;
    drained_ = n < kSlots;
    return n;
}

int size_receive_buffer(int fd, int wanted)
{
    // SO_RCVBUFFORCE passes rmem_max with CAP_NET_ADMIN; without it the
    // plain option is capped at net.core.rmem_max.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &wanted, sizeof wanted) != 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &wanted, sizeof wanted);
    int got = 0;
    socklen_t len = sizeof got;
    ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
    return got;
}

std::unique_ptr<EventChannel> open_proc_connector(int receive_buffer, std::string& why_not)
{
    int fd = ::socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) {
        why_not = fmt::format("proc connector: cannot open a netlink socket: {}", std::strerror(errno));
        return nullptr;
    }
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = CN_IDX_PROC;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int e = errno;
        ::close(fd);
        why_not = fmt::format("proc connector refused: {}{}", std::strerror(e),
                              e == EPERM ? " (needs CAP_NET_ADMIN: run as root)" : "");
        return nullptr;
    }
    // Blocking receives wake up at least every 100 ms to see a stop.
    timeval timeout{0, 100'000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    // Subscribe with the large buffer, so that the kernel's answer is not
    // crowded out by other events when a test asks for a tiny one.
    int got = size_receive_buffer(fd, kDefaultReceiveBuffer);
    // The socket's port id, unique among netlink sockets, marks our request:
    // the kernel sends every ack to every listener, and one answering another
    // program's subscription must not pass for ours (in a user namespace ours
    // gets none).
    sockaddr_nl bound{};
    socklen_t bound_len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
    const std::uint32_t request_mark = bound.nl_pid;
    auto channel = std::make_unique<ProcConnector>(fd);
    if (!channel->send_op(PROC_CN_MCAST_LISTEN, request_mark)) {
        why_not = fmt::format("proc connector refused the subscription: {}", std::strerror(errno));
        return nullptr;
    }
    // The kernel answers with an ack (err 0 or an errno). It says nothing to
    // a requester outside the initial user/pid namespace: time out then.
    std::vector<std::byte> buf(64 * 1024);
    std::vector<ProcEvent> events;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
        long n = channel->receive(buf.data(), buf.size(), 100);
        if (n <= 0) continue;  // events lost before the snapshot do not matter
        events.clear();
        parse_proc_connector({buf.data(), static_cast<std::size_t>(n)}, events);
        for (const ProcEvent& ev : events) {
            if (ev.kind != ProcEvent::Kind::Ack || ev.ack_ack != request_mark + 1) continue;
            if (ev.ack_error == 0) {
                if (receive_buffer > 0) got = size_receive_buffer(fd, receive_buffer);
                channel->set_description(fmt::format("receive buffer {} KiB", got / 1024));
                return channel;
            }
            why_not = fmt::format("proc connector refused the subscription: {}{}",
                                  std::strerror(static_cast<int>(ev.ack_error)),
                                  ev.ack_error == EPERM ? " (needs CAP_NET_ADMIN: run as root)" : "");
            return nullptr;
        }
    }
    why_not = "proc connector did not answer the subscription (not in the initial user/pid namespace?)";
    return nullptr;
}

std::unique_ptr<EventChannel> open_proc_connector_filtered(std::uint32_t event_mask)
{
    int fd = ::socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) return nullptr;
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = CN_IDX_PROC;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return nullptr;
    }
    timeval timeout{0, 100'000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    size_receive_buffer(fd, kFilteredReceiveBuffer);
    auto channel = std::make_unique<ProcConnector>(fd);
    if (!channel->send_filtered(event_mask)) return nullptr;
    return channel;
}

}  // namespace proctree::collect

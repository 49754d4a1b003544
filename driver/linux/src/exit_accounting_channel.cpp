// The taskstats channel: a generic netlink socket registered for the exits
// of every possible CPU.
#include "exit_accounting.hpp"

#include "netlink_attributes.hpp"
#include "netlink_channel.hpp"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <vector>

#include <fmt/core.h>

namespace proctree::collect {

namespace {

// A message is a struct taskstats (416 bytes in version 13, a little more
// in later ones) and 36 bytes of headers: twice over in a slot, and the
// socket's 256 slots hold 256 KiB, resident for the source's lifetime.
constexpr std::size_t kSlotSize = 1024;
// Exits of a storm wait here while the reader drains the proc connector.
constexpr int kReceiveBuffer = 16 << 20;

// Sends one generic netlink request with a string attribute.
bool send_request(int fd, std::uint16_t family, std::uint8_t cmd, std::uint16_t attr, std::string_view value)
{
    std::vector<std::byte> msg(NLMSG_ALIGN(NLMSG_HDRLEN + GENL_HDRLEN) + NLA_ALIGN(NLA_HDRLEN + value.size() + 1));
    nlmsghdr nh{};
    nh.nlmsg_len = static_cast<std::uint32_t>(msg.size());
    nh.nlmsg_type = family;
    nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    genlmsghdr gh{};
    gh.cmd = cmd;
    gh.version = TASKSTATS_GENL_VERSION;
    nlattr na{};
    na.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + value.size() + 1);
    na.nla_type = attr;
    std::byte* p = msg.data();
    std::memcpy(p, &nh, sizeof nh);
    std::memcpy(p + NLMSG_HDRLEN, &gh, sizeof gh);
    std::memcpy(p + NLMSG_HDRLEN + GENL_HDRLEN, &na, sizeof na);
    std::memcpy(p + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, value.data(), value.size());
    return ::send(fd, msg.data(), msg.size(), 0) == static_cast<ssize_t>(msg.size());
}

// The answer to a request: the family id (for CTRL_CMD_GETFAMILY) and the
// ack's error, skipping exits that arrive meanwhile. -ETIMEDOUT when none.
struct Answer {
    int error = -ETIMEDOUT;
    std::uint16_t family = 0;
};
Answer await_answer(EventChannel& channel)
{
    Answer answer;
    std::vector<std::byte> buf(kSlotSize * 4);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
        long n = channel.receive(buf.data(), buf.size(), 100);
        if (n < 0) return Answer{static_cast<int>(n)};
        std::span<const std::byte> d(buf.data(), static_cast<std::size_t>(std::max(n, 0L)));
        for (std::size_t off = 0; off + NLMSG_HDRLEN <= d.size();) {
            const auto nh = read_at<nlmsghdr>(d, off);
            if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > d.size() - off) break;
            auto body = d.subspan(off + NLMSG_HDRLEN, nh.nlmsg_len - NLMSG_HDRLEN);
            if (nh.nlmsg_type == GENL_ID_CTRL && body.size() >= GENL_HDRLEN) {
                for_each_attribute(body.subspan(GENL_HDRLEN), [&](std::uint16_t type, std::span<const std::byte> v) {
                    if (type == CTRL_ATTR_FAMILY_ID && v.size() >= 2) answer.family = read_at<std::uint16_t>(v, 0);
                });
            } else if (nh.nlmsg_type == NLMSG_ERROR && body.size() >= sizeof(int)) {
                answer.error = read_at<int>(body, 0);
                return answer;
            }
            off += NLMSG_ALIGN(nh.nlmsg_len);
        }
    }
    return answer;
}

std::string possible_cpus()
{
    std::ifstream f("/sys/devices/system/cpu/possible");
    std::string list;
    if (std::getline(f, list) && !list.empty()) return list;
    const long n = ::sysconf(_SC_NPROCESSORS_CONF);
    return fmt::format("0-{}", n > 1 ? n - 1 : 0);
}

// Takes the registration back when closed (the kernel would otherwise
// notice only at the next exit it fails to deliver).
class ExitAccountingSocket final : public NetlinkSocket {
public:
    explicit ExitAccountingSocket(int fd) : NetlinkSocket(fd, kSlotSize) {}
    ~ExitAccountingSocket() override
    {
        if (family_ != 0) send_request(fd(), family_, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, cpus_);
    }
    void registered(std::uint16_t family, std::string cpus)
    {
        family_ = family;
        cpus_ = std::move(cpus);
    }

private:
    std::uint16_t family_ = 0;
    std::string cpus_;
};

}  // namespace

std::unique_ptr<EventChannel> open_exit_accounting(std::string& why_not)
{
    int fd = ::socket(PF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (fd < 0) {
        why_not = fmt::format("exit accounting: cannot open a netlink socket: {}", std::strerror(errno));
        return nullptr;
    }
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    timeval timeout{0, 100'000};  // blocking receives wake up to see a stop
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
        why_not = fmt::format("exit accounting: {}", std::strerror(errno));
        ::close(fd);
        return nullptr;
    }
    auto channel = std::make_unique<ExitAccountingSocket>(fd);
    if (!send_request(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME)) {
        why_not = fmt::format("exit accounting: {}", std::strerror(errno));
        return nullptr;
    }
    const Answer family = await_answer(*channel);
    if (family.family == 0) {
        why_not = "exit accounting: this kernel has no taskstats (CONFIG_TASKSTATS)";
        return nullptr;
    }
    const int got = size_receive_buffer(fd, kReceiveBuffer);
    const std::string cpus = possible_cpus();
    if (!send_request(fd, family.family, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, cpus)) {
        why_not = fmt::format("exit accounting: {}", std::strerror(errno));
        return nullptr;
    }
    if (const Answer reg = await_answer(*channel); reg.error != 0) {
        why_not = fmt::format("exit accounting refused: {}{}", std::strerror(-reg.error),
                              reg.error == -EPERM ? " (needs CAP_NET_ADMIN: run as root)" : "");
        return nullptr;
    }
    channel->registered(family.family, cpus);
    channel->set_description(fmt::format("CPUs {}, receive buffer {} KiB", cpus, got / 1024));
    return channel;
}

}  // namespace proctree::collect

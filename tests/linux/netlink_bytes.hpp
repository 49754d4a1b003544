// Canned proc connector datagrams, built with the kernel's structs
// (linux/cn_proc.h) exactly as the kernel lays them out.
#pragma once

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace proctree::testing {

using Datagram = std::vector<std::byte>;

inline std::span<const std::byte> as_span(const Datagram& d) { return {d.data(), d.size()}; }

// nlmsghdr + cn_msg + proc_event header + payload.
inline Datagram event_datagram(std::uint64_t ts, std::uint32_t what, const std::vector<std::byte>& payload)
{
    const std::size_t head = offsetof(proc_event, event_data);
    const std::size_t ev_len = head + payload.size();
    const std::size_t total = NLMSG_HDRLEN + sizeof(cn_msg) + ev_len;
    Datagram d(NLMSG_ALIGN(total));
    nlmsghdr nh{};
    nh.nlmsg_len = static_cast<std::uint32_t>(total);
    nh.nlmsg_type = NLMSG_DONE;
    cn_msg cn{};
    cn.id.idx = CN_IDX_PROC;
    cn.id.val = CN_VAL_PROC;
    cn.len = static_cast<std::uint16_t>(ev_len);
    std::memcpy(d.data(), &nh, sizeof nh);
    std::memcpy(d.data() + NLMSG_HDRLEN, &cn, sizeof cn);
    std::byte* ev = d.data() + NLMSG_HDRLEN + sizeof(cn_msg);
    std::memcpy(ev + offsetof(proc_event, what), &what, sizeof what);
    std::memcpy(ev + offsetof(proc_event, timestamp_ns), &ts, sizeof ts);
    if (!payload.empty()) std::memcpy(ev + head, payload.data(), payload.size());
    return d;
}

template <typename T>
std::vector<std::byte> bytes_of(const T& v)
{
    std::vector<std::byte> b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
}

inline Datagram fork_datagram(std::uint64_t ts, std::int32_t ppid, std::int32_t ptgid, std::int32_t cpid,
                              std::int32_t ctgid)
{
    decltype(proc_event{}.event_data.fork) f{ppid, ptgid, cpid, ctgid};
    return event_datagram(ts, proc_event::PROC_EVENT_FORK, bytes_of(f));
}

inline Datagram exec_datagram(std::uint64_t ts, std::int32_t pid, std::int32_t tgid = 0)
{
    decltype(proc_event{}.event_data.exec) e{pid, tgid ? tgid : pid};
    return event_datagram(ts, proc_event::PROC_EVENT_EXEC, bytes_of(e));
}

inline Datagram exit_datagram(std::uint64_t ts, std::int32_t pid, std::int32_t tgid, std::uint32_t status)
{
    decltype(proc_event{}.event_data.exit) e{};
    e.process_pid = pid;
    e.process_tgid = tgid;
    e.exit_code = status;
    e.exit_signal = 17;
    return event_datagram(ts, proc_event::PROC_EVENT_EXIT, bytes_of(e));
}

inline Datagram comm_datagram(std::uint64_t ts, std::int32_t pid, const std::string& name, std::int32_t tgid = 0)
{
    decltype(proc_event{}.event_data.comm) c{};
    c.process_pid = pid;
    c.process_tgid = tgid ? tgid : pid;
    std::memcpy(c.comm, name.data(), std::min(name.size(), sizeof c.comm - 1));
    return event_datagram(ts, proc_event::PROC_EVENT_COMM, bytes_of(c));
}

// The kernel's answer to a request whose cn_msg ack was `request_ack`.
inline Datagram ack_datagram(std::uint32_t err, std::uint32_t request_ack = 0)
{
    Datagram d = event_datagram(0, proc_event::PROC_EVENT_NONE, bytes_of(err));
    const std::uint32_t ack = request_ack + 1;
    std::memcpy(d.data() + NLMSG_HDRLEN + offsetof(cn_msg, ack), &ack, sizeof ack);
    return d;
}

inline void set_nlmsg_len(Datagram& d, std::uint32_t len) { std::memcpy(d.data(), &len, sizeof len); }

inline void set_type(Datagram& d, std::size_t offset, std::uint16_t type)
{
    std::memcpy(d.data() + offset + offsetof(nlmsghdr, nlmsg_type), &type, sizeof type);
}

inline void set_connector(Datagram& d, std::uint32_t idx, std::uint32_t val)
{
    std::memcpy(d.data() + NLMSG_HDRLEN + offsetof(cn_msg, id) + offsetof(cb_id, idx), &idx, sizeof idx);
    std::memcpy(d.data() + NLMSG_HDRLEN + offsetof(cn_msg, id) + offsetof(cb_id, val), &val, sizeof val);
}

}  // namespace proctree::testing

// Parsing proc connector datagrams (linux/cn_proc.h) into ProcEvents.
#include "proc_event.hpp"

#include <proctree/wire.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <cstring>
#include <utility>

namespace proctree::collect {

namespace {

// Reads a T at p (no alignment assumed: the bytes may come from anywhere).
template <typename T>
T load(const std::byte* p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// The payload structs are nested in an unnamed union of proc_event.
using ForkData = decltype(std::declval<proc_event>().event_data.fork);
using ExecData = decltype(std::declval<proc_event>().event_data.exec);
using CommData = decltype(std::declval<proc_event>().event_data.comm);
using ExitData = decltype(std::declval<proc_event>().event_data.exit);

constexpr std::size_t kEventHead = offsetof(proc_event, event_data);

bool parse_event(const cn_msg& cn, const std::byte* p, std::size_t len, std::vector<ProcEvent>& out)
{
    if (len < kEventHead) return false;
    const auto what = load<std::uint32_t>(p + offsetof(proc_event, what));
    ProcEvent ev;
    ev.monotonic_ns = load<std::uint64_t>(p + offsetof(proc_event, timestamp_ns));
    const std::byte* d = p + kEventHead;
    const std::size_t dlen = len - kEventHead;
    auto need = [&](std::size_t n) { return dlen >= n; };
    switch (what) {
    case proc_event::PROC_EVENT_NONE:
        if (!need(sizeof(std::uint32_t))) return false;
        ev.kind = ProcEvent::Kind::Ack;
        ev.ack_error = load<std::uint32_t>(d);
        ev.ack_ack = cn.ack;
        break;
    case proc_event::PROC_EVENT_FORK: {
        if (!need(sizeof(ForkData))) return false;
        auto f = load<ForkData>(d);
        ev.kind = ProcEvent::Kind::Fork;
        ev.parent_tgid = static_cast<std::uint32_t>(f.parent_tgid);
        ev.pid = static_cast<std::uint32_t>(f.child_pid);
        ev.tgid = static_cast<std::uint32_t>(f.child_tgid);
        break;
    }
    case proc_event::PROC_EVENT_EXEC: {
        if (!need(sizeof(ExecData))) return false;
        auto e = load<ExecData>(d);
        ev.kind = ProcEvent::Kind::Exec;
        ev.pid = static_cast<std::uint32_t>(e.process_pid);
        ev.tgid = static_cast<std::uint32_t>(e.process_tgid);
        break;
    }
    case proc_event::PROC_EVENT_COMM: {
        if (!need(sizeof(CommData))) return false;
        auto c = load<CommData>(d);
        ev.kind = ProcEvent::Kind::Comm;
        ev.pid = static_cast<std::uint32_t>(c.process_pid);
        ev.tgid = static_cast<std::uint32_t>(c.process_tgid);
        ev.comm.assign(c.comm, strnlen(c.comm, sizeof c.comm));
        break;
    }
    case proc_event::PROC_EVENT_EXIT: {
        // Older kernels send the exit event without parent_pid/parent_tgid:
        // only the first four fields are required.
        if (!need(offsetof(ExitData, parent_pid))) return false;
        ev.kind = ProcEvent::Kind::Exit;
        ev.pid = static_cast<std::uint32_t>(load<std::int32_t>(d + offsetof(ExitData, process_pid)));
        ev.tgid = static_cast<std::uint32_t>(load<std::int32_t>(d + offsetof(ExitData, process_tgid)));
        ev.exit_status = load<std::uint32_t>(d + offsetof(ExitData, exit_code));
        break;
    }
    default: return true;  // uid/gid/sid/ptrace/coredump changes: not part of the tree
    }
    out.push_back(std::move(ev));
    return true;
}

}  // namespace

bool parse_proc_connector(std::span<const std::byte> datagram, std::vector<ProcEvent>& out)
{
    const std::byte* p = datagram.data();
    std::size_t left = datagram.size();
    while (left >= sizeof(nlmsghdr)) {
        auto nh = load<nlmsghdr>(p);
        if (nh.nlmsg_len < sizeof(nlmsghdr) || nh.nlmsg_len > left) return false;
        const std::size_t payload_len = nh.nlmsg_len - sizeof(nlmsghdr);
        const std::byte* payload = p + NLMSG_HDRLEN;
        if (nh.nlmsg_type == NLMSG_ERROR || nh.nlmsg_type == NLMSG_NOOP || nh.nlmsg_type == NLMSG_OVERRUN) {
            // not a connector message
        } else if (payload_len >= sizeof(cn_msg)) {
            auto cn = load<cn_msg>(payload);
            if (cn.id.idx == CN_IDX_PROC && cn.id.val == CN_VAL_PROC) {
                if (sizeof(cn_msg) + cn.len > payload_len) return false;
                if (!parse_event(cn, payload + sizeof(cn_msg), cn.len, out)) return false;
            }
        } else {
            return false;
        }
        std::size_t step = NLMSG_ALIGN(nh.nlmsg_len);
        if (step >= left) break;
        p += step;
        left -= step;
        if (nh.nlmsg_type == NLMSG_DONE) break;
    }
    return true;
}

DecodedExit decode_wait_status(std::uint32_t status)
{
    DecodedExit d;
    const std::uint32_t sig = status & 0x7fu;
    if (sig != 0 && sig != 0x7fu) {
        d.signal = static_cast<std::uint16_t>(sig);
        d.flags = PT_EXIT_SIGNALED | ((status & 0x80u) ? PT_EXIT_CORE_DUMPED : 0);
    } else {
        d.code = static_cast<std::int32_t>((status >> 8) & 0xffu);
    }
    return d;
}

}  // namespace proctree::collect

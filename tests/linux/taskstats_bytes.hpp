// Canned taskstats messages, built with the kernel's structs
// (linux/taskstats.h) as taskstats_exit() lays them out.
#pragma once

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace proctree::testing {

using Bytes = std::vector<std::byte>;

inline void put_attribute(Bytes& out, std::uint16_t type, const Bytes& payload)
{
    nlattr na{};
    na.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + payload.size());
    na.nla_type = type;
    const std::size_t at = out.size();
    out.resize(at + NLA_ALIGN(na.nla_len));
    std::memcpy(out.data() + at, &na, sizeof na);
    if (!payload.empty()) std::memcpy(out.data() + at + NLA_HDRLEN, payload.data(), payload.size());
}

template <typename T>
Bytes raw_bytes_of(const T& v)
{
    Bytes b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
}

// One TASKSTATS_CMD_NEW message as taskstats_exit() sends it: AGGR_PID
// holding PID and STATS; with a group total (AGGR_TGID) when asked.
inline Bytes exit_message(std::uint32_t pid, const char* comm, std::uint64_t etime_us, bool with_group = false,
                          std::size_t stats_size = sizeof(taskstats))
{
    taskstats ts{};
    ts.version = TASKSTATS_VERSION;
    std::strncpy(ts.ac_comm, comm, sizeof ts.ac_comm - 1);
    ts.ac_etime = etime_us;
    ts.ac_pid = pid;
    Bytes stats = raw_bytes_of(ts);
    stats.resize(stats_size);
    Bytes aggr;
    put_attribute(aggr, TASKSTATS_TYPE_PID, raw_bytes_of(pid));
    put_attribute(aggr, TASKSTATS_TYPE_STATS, stats);
    Bytes attrs;
    put_attribute(attrs, NLA_F_NESTED | TASKSTATS_TYPE_AGGR_PID, aggr);
    if (with_group) {
        Bytes group;
        put_attribute(group, TASKSTATS_TYPE_TGID, raw_bytes_of(pid));
        put_attribute(group, TASKSTATS_TYPE_STATS, stats);
        put_attribute(attrs, TASKSTATS_TYPE_AGGR_TGID, group);
    }
    genlmsghdr gh{};
    gh.cmd = TASKSTATS_CMD_NEW;
    gh.version = TASKSTATS_GENL_VERSION;
    nlmsghdr nh{};
    nh.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + GENL_HDRLEN + attrs.size());
    nh.nlmsg_type = 0x1a;  // the family id the kernel gave taskstats
    Bytes msg(NLMSG_ALIGN(nh.nlmsg_len));
    std::memcpy(msg.data(), &nh, sizeof nh);
    std::memcpy(msg.data() + NLMSG_HDRLEN, &gh, sizeof gh);
    std::memcpy(msg.data() + NLMSG_HDRLEN + GENL_HDRLEN, attrs.data(), attrs.size());
    return msg;
}

}  // namespace proctree::testing

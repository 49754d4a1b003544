// The parser of what the kernel sends on the taskstats channel, and the
// accounts waiting for their exit events.
#include "exit_accounting.hpp"

#include "netlink_attributes.hpp"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include <cstring>

namespace proctree::collect {

namespace {

// One AGGR_PID: the task's id and its struct taskstats.
bool parse_task_exit(std::span<const std::byte> nested, std::vector<ExitAccount>& out)
{
    ExitAccount a;
    bool have_pid = false, have_stats = false, fits = true;
    const bool well_formed = for_each_attribute(nested, [&](std::uint16_t type, std::span<const std::byte> v) {
        if (type == TASKSTATS_TYPE_PID && v.size() >= sizeof(std::uint32_t)) {
            a.pid = read_at<std::uint32_t>(v, 0);
            have_pid = true;
        } else if (type == TASKSTATS_TYPE_STATS) {
            // The struct only ever grows at its end: the fields read here
            // are where every version since the first put them.
            if (v.size() < offsetof(taskstats, ac_etime) + sizeof(std::uint64_t)) {
                fits = false;
                return;
            }
            const char* comm = reinterpret_cast<const char*>(v.data() + offsetof(taskstats, ac_comm));
            a.comm.assign(comm, strnlen(comm, TS_COMM_LEN));
            a.elapsed_us = read_at<std::uint64_t>(v, offsetof(taskstats, ac_etime));
            have_stats = true;
        }
    });
    if (!well_formed || !fits) return false;
    if (have_pid && have_stats) out.push_back(std::move(a));
    return true;
}

}  // namespace

bool parse_exit_accounting(std::span<const std::byte> d, std::vector<ExitAccount>& out)
{
    for (std::size_t off = 0; off + NLMSG_HDRLEN <= d.size();) {
        const auto nh = read_at<nlmsghdr>(d, off);
        if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > d.size() - off) return false;
        auto body = d.subspan(off + NLMSG_HDRLEN, nh.nlmsg_len - NLMSG_HDRLEN);
        off += NLMSG_ALIGN(nh.nlmsg_len);
        if (nh.nlmsg_type < NLMSG_MIN_TYPE) continue;  // acks, errors, done
        if (body.size() < GENL_HDRLEN) return false;
        if (read_at<genlmsghdr>(body, 0).cmd != TASKSTATS_CMD_NEW) continue;
        bool ok = true;
        const bool well_formed =
            for_each_attribute(body.subspan(GENL_HDRLEN), [&](std::uint16_t type, std::span<const std::byte> v) {
                if (type == TASKSTATS_TYPE_AGGR_PID && !parse_task_exit(v, out)) ok = false;
            });
        if (!well_formed || !ok) return false;
    }
    return true;
}

void ExitAccounts::add(ExitAccount&& account)
{
    if (size_ >= kMaxWaiting) drop_oldest();
    const std::uint32_t pid = account.pid;
    by_pid_[pid].push_back(Waiting{next_seq_, std::move(account)});
    arrival_.emplace_back(pid, next_seq_++);
    ++size_;
    // Entries of accounts taken since: dropped once they reach the front.
    while (!arrival_.empty()) {
        auto it = by_pid_.find(arrival_.front().first);
        if (it != by_pid_.end() && !it->second.empty() && it->second.front().seq <= arrival_.front().second) break;
        arrival_.pop_front();
    }
}

std::optional<ExitAccount> ExitAccounts::take(std::uint32_t pid)
{
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) return std::nullopt;
    ExitAccount a = std::move(it->second.front().account);
    it->second.pop_front();
    if (it->second.empty()) by_pid_.erase(it);
    --size_;
    return a;
}

void ExitAccounts::forget_all()
{
    by_pid_.clear();
    arrival_.clear();
    size_ = 0;
}

void ExitAccounts::drop_oldest()
{
    while (!arrival_.empty()) {
        const auto [pid, seq] = arrival_.front();
        arrival_.pop_front();
        auto it = by_pid_.find(pid);
        if (it == by_pid_.end() || it->second.empty() || it->second.front().seq != seq) continue;  // taken
        it->second.pop_front();
        if (it->second.empty()) by_pid_.erase(it);
        --size_;
        return;
    }
}

}  // namespace proctree::collect

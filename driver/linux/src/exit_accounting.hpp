// Internal: the kernel's exit accounting (taskstats over generic netlink).
// Every task that exits is described once, by the kernel, in its own exit
// path: its name at that moment, how long it lived, its exit code. A source
// that could not read a short-lived process's name from /proc in time learns
// it here without touching /proc at all. Listening needs CAP_NET_ADMIN.
//
// Order: the kernel sends a task's accounting before the proc connector's
// exit event of that task, so once the exit event has been read, the
// accounting is already waiting on this channel (or was dropped, which the
// channel reports as -ENOBUFS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace proctree::collect {

class EventChannel;  // netlink_channel.hpp

struct ExitAccount {
    std::uint32_t pid = 0;         // the task (thread id; the process id for a leader)
    std::string comm;              // its name when it exited
    std::uint64_t elapsed_us = 0;  // from its thread group's start to its exit
};

// Parses one taskstats datagram (generic netlink messages) and appends the
// per-task exits it holds; other messages (acks, group totals) are skipped.
// False when the bytes are malformed (what was parsed before is kept).
bool parse_exit_accounting(std::span<const std::byte> datagram, std::vector<ExitAccount>& out);

// Subscribes to the exits of every CPU; nullptr with why_not when the kernel
// has no taskstats or refuses (not root).
std::unique_ptr<EventChannel> open_exit_accounting(std::string& why_not);

// Accounts waiting for the proc connector's exit of the same task, first in
// first out per task. Bounded: the oldest are dropped first. One thread.
class ExitAccounts {
public:
    void add(ExitAccount&& account);
    // The oldest account of this task, if one waits.
    std::optional<ExitAccount> take(std::uint32_t pid);
    // After a loss on either stream an account may have lost its exit event
    // (or an exit its account): none waiting is trusted any more.
    void forget_all();
    std::size_t size() const { return size_; }

private:
    struct Waiting {
        std::uint64_t seq;
        ExitAccount account;
    };
    static constexpr std::size_t kMaxWaiting = 65536;
    void drop_oldest();

    std::unordered_map<std::uint32_t, std::deque<Waiting>> by_pid_;
    // (pid, seq) in arrival order, for the bound; entries of accounts taken
    // since are skipped when met.
    std::deque<std::pair<std::uint32_t, std::uint64_t>> arrival_;
    std::uint64_t next_seq_ = 0;
    std::size_t size_ = 0;
};

}  // namespace proctree::collect

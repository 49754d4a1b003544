// Internal: process events as the live sources see them, independent of
// where they came from (proc connector datagrams, a /proc rescan), and the
// parser of proc connector datagrams. Exposed for unit tests, which feed it
// canned bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace proctree::collect {

struct ProcEvent {
    enum class Kind : std::uint8_t {
        Fork,  // pid/tgid: the child; parent_tgid: its parent process
        Exec,
        Exit,  // exit_status: the raw wait status (as waitpid reports it)
        Comm,  // comm: the new name
        Ack,   // subscription answer; ack_error: 0 or an errno
        Lost,  // the kernel dropped events (ENOBUFS) or our queue overflowed
    };
    Kind kind = Kind::Ack;
    std::uint64_t monotonic_ns = 0;  // kernel time of the event (CLOCK_MONOTONIC)
    std::uint32_t pid = 0;           // thread id
    std::uint32_t tgid = 0;          // process id
    std::uint32_t parent_tgid = 0;   // Fork only
    std::uint32_t exit_status = 0;   // Exit only
    std::uint32_t ack_error = 0;     // Ack only
    std::string comm;                // Comm only
    // Ack only: the answered request's ack field plus one (the kernel puts
    // its own counter in seq). Acks go to every listener, so a subscriber
    // knows its own by this.
    std::uint32_t ack_ack = 0;

    // Filled by the reader straight after the event, while the process is
    // most likely still there (empty/nullopt when it was already gone).
    // Fork: the child's identity start time; Exec: the start time read
    // together with the name (whose details these are).
    std::optional<std::uint64_t> start_ns;
    std::string seen_comm;      // Fork, Exec: comm read from /proc
    bool details_read = false;  // Exec: the fields below were read
    std::string exe, cmdline;
    std::uint32_t cmdline_whole = 0;  // ProcInfo::cmdline_whole
    std::uint32_t uid = 0xFFFFFFFFu;

    // Exit: the kernel's exit accounting of this task, when it was heard
    // (its name when it exited, and how long its thread group had lived).
    std::string exit_comm;
    std::optional<std::uint64_t> exit_elapsed_us;

    bool is_process() const { return pid == tgid; }
};

// Parses one proc connector datagram (one or more netlink messages) and
// appends the events it holds. Messages that are not proc connector events
// are skipped; returns false when the bytes are malformed (what was parsed
// before the fault is kept).
bool parse_proc_connector(std::span<const std::byte> datagram, std::vector<ProcEvent>& out);

// A wait status split into what the exit record carries.
struct DecodedExit {
    std::int32_t code = 0;     // exit status 0..255 when not signaled
    std::uint16_t signal = 0;  // signal number when signaled
    std::uint16_t flags = 0;   // PT_EXIT_SIGNALED, PT_EXIT_CORE_DUMPED
};
DecodedExit decode_wait_status(std::uint32_t status);

}  // namespace proctree::collect

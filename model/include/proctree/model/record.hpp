// proctree/model/record.hpp - decoded records of the wire stream
// (driver/include/proctree/wire.h). Strings are views into the decoder's
// buffer: valid only during the handler call that receives them.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace proctree::model {

// A process is (pid, start time), never the pid alone: PIDs are reused.
// In a fleet (several hosts in one tree) it is (host, pid, start): equal
// PIDs on two hosts never meet. The host sits in what would be padding, so
// the identity stays 16 bytes; the decoder leaves it 0 (one stream, one
// host) and the tree sets it from the stream header it belongs to.
struct Identity {
    std::uint32_t pid = 0;
    std::uint32_t host = 0;      // key of the host in a fleet; 0: the only one
    std::uint64_t start_ns = 0;  // 0: unknown
    constexpr Identity() = default;
    constexpr Identity(std::uint32_t pid_, std::uint64_t start, std::uint32_t host_ = 0)
        : pid(pid_), host(host_), start_ns(start)
    {}
    friend bool operator==(const Identity&, const Identity&) = default;
    friend auto operator<=>(const Identity&, const Identity&) = default;
};

struct IdentityHash {
    std::size_t operator()(const Identity& id) const noexcept
    {
        std::uint64_t h = id.start_ns * 0x9E3779B97F4A7C15ull ^ id.pid ^ (std::uint64_t(id.host) << 32);
        return static_cast<std::size_t>(h ^ (h >> 29));
    }
};

enum class Os : std::uint8_t {
    Unknown = 0,
    Linux = 1,
    Windows = 2
};
enum class SourceKind : std::uint8_t {
    Unknown = 0,
    WindowsDriver = 1,
    Netlink = 2,
    Ebpf = 3,
    Poll = 4,
    Synthetic = 5
};

std::string_view to_string(Os os);
std::string_view to_string(SourceKind source);  // "windows-driver", "netlink", "ebpf", "poll", ...

struct StreamHeader {
    std::uint16_t version_major = 0;
    std::uint16_t version_minor = 0;
    Os os = Os::Unknown;
    SourceKind source = SourceKind::Unknown;
    std::uint64_t clock_origin_ns = 0;
    std::uint64_t boot_time_ns = 0;
    std::string host;
};

// The whole lengths of the strings a producer cut (PT_PROC_FULL_LENGTHS):
// each is 0 unless its *_TRUNCATED flag is set and the producer knew it
// (the decoder checks that it exceeds what was kept).
struct FullLengths {
    std::uint32_t name = 0;
    std::uint32_t image = 0;
    std::uint32_t cmdline = 0;
    friend bool operator==(const FullLengths&, const FullLengths&) = default;
};

struct ProcessCreate {
    Identity proc;
    Identity parent;
    std::uint32_t creator_pid = 0;
    std::uint32_t creator_tid = 0;
    std::uint32_t uid = 0xFFFFFFFFu;
    std::uint32_t flags = 0;
    std::uint32_t threads = 1;
    std::string_view name, user, image, cmdline;
    FullLengths full;
};

struct ProcessExit {
    Identity proc;
    std::int32_t code = 0;
    std::uint16_t signal = 0;
    std::uint16_t flags = 0;  // PT_EXIT_*; the *_KNOWN bits agree with the optionals below
    // The whole life's CPU time (user + system) and peak RSS (minor 1),
    // where the producer knew them: unknown is not 0.
    std::optional<std::uint64_t> cpu_ns;
    std::optional<std::uint64_t> peak_rss_bytes;
};

struct ProcessExec {
    Identity proc;
    std::uint32_t uid = 0xFFFFFFFFu;
    std::uint32_t flags = 0;
    std::string_view name, user, image, cmdline;
    FullLengths full;
};

struct ProcessRename {
    Identity proc;
    std::uint32_t flags = 0;
    std::string_view name;
};

// The kernel gave a living process a new parent (its parent exited).
struct ProcessReparent {
    Identity proc;
    Identity parent;    // the new parent
    Identity previous;  // the parent before
};

struct ThreadEvent {
    Identity proc;
    std::uint32_t tid = 0;
    std::int32_t exit_code = 0;
    bool created = true;
};

struct ImageLoad {
    Identity proc;
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    std::uint32_t flags = 0;
    std::string_view path;
};

struct Snapshot {
    bool begin = true;
    std::uint32_t reason = 0;  // PT_SNAPSHOT_INITIAL / PT_SNAPSHOT_RESYNC
    std::uint16_t flags = 0;   // PT_SNAPSHOT_COMPLETE
};

struct EventsLost {
    std::uint64_t count = 0;  // 0: unknown
    std::uint32_t reason = 0;
};

// Size and SHA-256 of the executable of an earlier create/exec (named by
// its seq), read by the producer off its capture path (PT_REC_IMAGE_FACTS).
struct ImageFactsRecord {
    Identity proc;
    std::uint64_t event_seq = 0;
    std::uint64_t file_size = 0;
    std::array<std::uint8_t, 32> sha256{};
    std::uint16_t status = 0;  // PT_FACTS_*
    std::uint16_t flags = 0;   // PT_PROC_IMAGE_TRUNCATED
    std::uint32_t error = 0;   // errno / Win32 error when unreadable
    std::string_view path;
};

struct UnknownRecord {};  // a type this version does not know; skipped by size

using RecordBody = std::variant<ProcessCreate, ProcessExit, ProcessExec, ProcessRename, ProcessReparent, ThreadEvent,
                                ImageLoad, Snapshot, EventsLost, ImageFactsRecord, UnknownRecord>;

struct Record {
    std::uint16_t type = 0;
    std::uint32_t size = 0;
    std::uint64_t seq = 0;
    std::uint64_t time_ns = 0;
    std::uint64_t offset = 0;  // byte offset of the record in the stream
    RecordBody body;
};

std::string_view record_type_name(std::uint16_t type);  // "create", "exit", ... "unknown"

}  // namespace proctree::model

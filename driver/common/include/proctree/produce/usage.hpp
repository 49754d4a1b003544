// proctree/produce/usage.hpp - reading a running process's resource usage
// now (CPU time, resident memory, scheduler state, threads), for a viewer
// that shows them for the rows it has on screen.
//
// Neutral: an OS leaf implements it (driver/linux reads /proc/PID/stat);
// a program without one for its platform, or looking at a stream from
// elsewhere, has none and shows no figures.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace proctree::collect {

struct UsageReading {
    std::uint64_t cpu_ns = 0;  // user + system time over the whole life so far
    std::optional<std::uint64_t> rss_bytes;
    char state = 0;  // 'R', 'S', 'D', 'Z', 'T' (stopped or traced), 0 unknown
    std::uint32_t threads = 0;
};

class UsageReader {
public:
    virtual ~UsageReader() = default;
    // The process `pid` if it is still the one that started at start_ns
    // (identity start time, proctree/wire.h); nullopt when it is gone or the
    // pid now belongs to another process.
    virtual std::optional<UsageReading> read(std::uint32_t pid, std::uint64_t start_ns) = 0;
    // Its whole command line now, argv joined by single spaces as records
    // carry it but never cut: records hold at most PT_MAX_STRING, and a
    // details view of a running process can show the rest. nullopt when it
    // is gone, another process, or unreadable; a reader that cannot says so.
    virtual std::optional<std::string> read_cmdline(std::uint32_t /*pid*/, std::uint64_t /*start_ns*/)
    {
        return std::nullopt;
    }
};

}  // namespace proctree::collect

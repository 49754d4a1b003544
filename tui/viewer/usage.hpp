// tui/viewer/usage.hpp - resource figures of the processes the screen
// shows (CPU% of one core over the last second, RSS, state, threads), read
// through a collect::UsageReader about once a second. Only the processes
// asked for are read, so the cost follows the rows shown, not the machine.
// Without a reader (a file, a stream from elsewhere) there are no figures:
// the columns show "-".
#pragma once

#include <proctree/model/record.hpp>
#include <proctree/produce/usage.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

namespace proctree::viewer {

// The clock UsageTable::sample takes (and the viewer's loop runs on).
std::uint64_t steady_ns_now();

struct Usage {
    std::optional<double> cpu_percent;  // of one core; needs two readings
    std::optional<std::uint64_t> rss_bytes;
    char state = 0;             // R S D Z T; 0 unknown
    std::uint32_t threads = 0;  // 0 unknown
};

class UsageTable {
public:
    static constexpr std::uint64_t kRoundNs = 1'000'000'000ull;  // at most one round a second
    // A CPU% over less than this is too coarse (clock ticks): wait a round.
    static constexpr std::uint64_t kMinSpanNs = 250'000'000ull;

    explicit UsageTable(std::unique_ptr<collect::UsageReader> reader = nullptr) : reader_(std::move(reader)) {}

    bool live() const { return reader_ != nullptr; }
    const Usage* find(const model::Identity& id) const;
    // Bumped when any figure changed (the screen and a usage sort follow it).
    std::uint64_t generation() const { return generation_; }
    // A round when one is due: reads every process in `ids` and forgets the
    // others. Between rounds, reads only the ones never read (rows that just
    // came on screen), so that RSS and state show at once. True when
    // anything changed.
    bool sample(std::span<const model::Identity> ids, std::uint64_t steady_ns);
    // When the next round is due; UINT64_MAX without a reader.
    std::uint64_t next_round() const { return reader_ ? next_round_ : UINT64_MAX; }
    std::uint64_t reads() const { return reads_; }  // processes read so far (cost, for tests)
    // The whole command line of one running process (the one whose details
    // show), read once from the OS: records carry at most PT_MAX_STRING.
    // Null until fetched, or when it could not be read.
    const std::string* whole_cmdline(const model::Identity& id) const;
    // Reads it unless `id`'s is already held (or was tried); true when what
    // whole_cmdline returns changed.
    bool fetch_whole_cmdline(const model::Identity& id);

private:
    struct Entry {
        Usage shown;
        std::uint64_t cpu_ns = 0;
        std::uint64_t read_at = 0;
        std::uint64_t round = 0;
        bool gone = false;  // could not be read
    };
    bool read_one(const model::Identity& id, std::uint64_t steady_ns, Entry* entry);

    std::unique_ptr<collect::UsageReader> reader_;
    std::optional<model::Identity> cmdline_of_;
    std::optional<std::string> whole_cmdline_;
    std::unordered_map<model::Identity, Entry, model::IdentityHash> entries_;
    std::uint64_t next_round_ = 0;
    std::uint64_t round_ = 0;
    std::uint64_t generation_ = 0;
    std::uint64_t reads_ = 0;
};

}  // namespace proctree::viewer

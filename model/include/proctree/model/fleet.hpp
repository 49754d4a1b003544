// proctree/model/fleet.hpp - many hosts, one tree each.
//
// A fleet is fed messages as NATS carries them: each a stream header and
// whole records. Identity becomes (host, pid, start): every host has its own
// ProcessTree, so equal PIDs on two hosts never meet, and the single-host
// tree stays as it is. Exactly once: per (host, clock origin) a record at or
// below the last applied sequence number is ignored; a jump in the
// sequence counts the missing records as lost and marks the host stale
// until its next complete snapshot. A stream picked up at a checkpoint
// starts there: what came before it is not missing.
#pragma once

#include <proctree/model/decoder.hpp>
#include <proctree/model/tree.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace proctree::model {

struct HostStatus {
    StreamHeader header;               // the latest stream header seen
    std::uint64_t records = 0;         // applied
    std::uint64_t duplicates = 0;      // ignored: already applied
    std::uint64_t missing = 0;         // sequence numbers never seen
    bool stale = false;                // lost something since the last complete snapshot
    std::uint64_t last_record_ns = 0;  // time of the newest applied record
};

// Exactly-once bookkeeping per (host, clock origin).
class SequenceGate {
public:
    struct Verdict {
        bool apply = false;
        std::uint64_t missing = 0;  // records skipped between the last applied and this one
    };
    // starts_checkpoint: the record begins a checkpoint (a complete snapshot
    // a follower may start at); as a stream's first record it is no gap.
    Verdict check(const std::string& host, std::uint64_t clock_origin_ns, std::uint64_t seq,
                  bool starts_checkpoint = false);

private:
    std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> next_;  // next expected seq
};

class Fleet {
public:
    struct Host;  // one host's tree and status (opaque)

    explicit Fleet(TreeConfig config = {});
    ~Fleet();

    struct Applied {
        std::string host;
        std::uint64_t applied = 0;
        std::uint64_t duplicates = 0;
        std::uint64_t missing = 0;
        std::optional<DecodeError> error;  // the message was corrupt (what came before is applied)
    };
    // Applies one message. `also` (optional) sees the header and every
    // applied record (record offsets are within payload).
    Applied apply_message(std::string_view payload, RecordHandler* also = nullptr);

    std::vector<std::string> hosts() const;  // sorted
    const ProcessTree* tree(std::string_view host) const;
    ProcessTree* tree(std::string_view host);
    const HostStatus* status(std::string_view host) const;
    // Lost records of a host: sequence gaps plus the events-lost records' counts.
    std::uint64_t lost(std::string_view host) const;

    void advance(std::uint64_t now_ns);  // every tree
    // Records later than this are not applied (the state at a time).
    void stop_after(std::uint64_t time_ns) { until_ns_ = time_ns; }
    void set_filter(const Filter& filter);
    std::uint64_t generation() const;  // bumped when any host changes

private:
    Host& host_for(const StreamHeader& header);

    TreeConfig config_;
    Filter filter_;
    SequenceGate gate_;
    std::map<std::string, std::unique_ptr<Host>, std::less<>> hosts_;
    std::uint64_t generation_ = 0;
    std::uint64_t until_ns_ = UINT64_MAX;
};

// Whether a decoded record begins a checkpoint (PT_SNAPSHOT_CHECKPOINT).
bool starts_checkpoint(const Record& r);

// What a fleet tree's host node says of its host (TreeConfig::hosts):
// "linux  ebpf  51 processes  lost 3 (until the next resync)  last record 2.0 s ago".
std::string describe_host(const HostInfo& host, std::uint64_t now_ns);

struct FleetExportInfo {
    std::uint64_t time_ns = 0;  // wall clock of the export: ages are measured from it
    std::string source;         // "nats://server/*"
    std::string host_filter;    // "" for all hosts
};

// One block per host: "== host NAME  os linux  source ebpf  processes N
// lost L  last record 3.2 s ago", then the host's tree as export_text shows it.
std::string export_fleet_text(const Fleet& fleet, const FleetExportInfo& info);
// {"time":..,"source":..,"hosts":[{"host":..,"os":..,"source":..,"processes":..,
//  "lost":..,"stale":..,"last_record_ns":..,"tree":<export_json of the host>}]}
std::string export_fleet_json(const Fleet& fleet, const FleetExportInfo& info);

}  // namespace proctree::model

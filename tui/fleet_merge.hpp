// tui/fleet_merge.hpp - the NATS messages of every host merged into one byte
// stream for the viewer's fleet tree (TreeConfig::hosts): each host's records
// behind its own stream header (written again whenever the host changes),
// exactly once per (host, clock origin), a gap said as events lost just
// before the next record of that host.
#pragma once

#include <proctree/model/fleet.hpp>
#include <proctree/nats/batcher.hpp>
#include <proctree/produce/sink.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace proctree::cli {

class FleetMerge {
public:
    // hosts: only these hosts' messages pass; empty: every host.
    explicit FleetMerge(std::vector<std::string> hosts = {}) : hosts_(std::move(hosts)) {}

    enum class Result {
        Forwarded,
        Skipped,   // a host not asked for, or nothing new
        NotBatch,  // not a proctree batch
        SinkFull   // the sink refused: stop
    };
    Result forward(std::string_view payload, collect::ByteSink& sink);

private:
    bool wanted(std::string_view host) const;

    std::vector<std::string> hosts_;
    model::SequenceGate gate_;
    std::vector<nats::RecordSpan> spans_;
    std::string last_header_;  // the header the sink saw last
};

// The records that never came, said as an events-lost record numbered just
// before `next` (a whole record of payload) and at its time.
bool write_gap(std::string_view payload, const nats::RecordSpan& next, std::uint64_t missing, collect::ByteSink& sink);

}  // namespace proctree::cli

// proctree/nats/checkpoint_index.hpp - where a follower can start.
//
// A publisher's checkpoint (a complete snapshot, reason
// PT_SNAPSHOT_CHECKPOINT) always starts a message. Once the server stored
// it, the publisher adds one entry to proctree.v1.<host>.ckpt naming that
// message's JetStream sequence and its stream time, so a follower finds the
// last checkpoint before a time without reading the stream up to it. The
// index subject has one token more than a host's subject, so followers of
// proctree.v1.* never see it.
#pragma once

#include <proctree/nats/connection.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::nats {

inline constexpr std::string_view kAllIndexSubject = "proctree.v1.*.ckpt";

struct CheckpointEntry {
    std::string host;
    std::uint64_t stream_seq = 0;       // the JetStream message that starts the checkpoint
    std::uint64_t time_ns = 0;          // the checkpoint's stream time
    std::uint64_t first_seq = 0;        // its first record's sequence number
    std::uint64_t clock_origin_ns = 0;  // of the stream it belongs to
};

std::string index_subject(std::string_view host);
// "stream_seq=N time_ns=T first_seq=S clock_origin_ns=O"
std::string format_index_entry(const CheckpointEntry& entry);
// The host comes from the subject; nullopt when either is not ours.
std::optional<CheckpointEntry> parse_index_entry(std::string_view subject, std::string_view body);
// The host a data subject (proctree.v1.<host>) names; nullopt for others.
std::optional<std::string> host_of_subject(std::string_view subject);

// What the stream holds for one host (or every host, host empty).
struct StreamSurvey {
    std::vector<std::string> hosts;            // with messages retained, sorted
    std::vector<CheckpointEntry> checkpoints;  // indexed, oldest first
    std::int64_t first_time_ns = 0;            // the stream's oldest message (server time), 0 if none
};
std::optional<StreamSurvey> survey_stream(const ConnectOptions& connect, std::string_view host, std::string& error);

// The newest checkpoint of `host` at or before time_ns (any time: nullopt
// for time_ns), or nullopt when there is none.
std::optional<CheckpointEntry> checkpoint_before(const std::vector<CheckpointEntry>& index, std::string_view host,
                                                 std::optional<std::uint64_t> time_ns);

}  // namespace proctree::nats

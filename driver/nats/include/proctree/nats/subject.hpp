// proctree/nats/subject.hpp - where a host's stream lives in JetStream.
//
// Every host publishes on proctree.v1.<host>, the host name escaped so that
// it is one subject token with exactly one reading: bytes outside
// [A-Za-z0-9_-] become %XX (uppercase hex), '%' included. All hosts share
// the stream PROCTREE (subjects proctree.v1.>).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace proctree::nats {

inline constexpr std::string_view kStreamName = "PROCTREE";
inline constexpr std::string_view kSubjectPrefix = "proctree.v1.";
inline constexpr std::string_view kAllHostsSubject = "proctree.v1.*";

std::string escape_host(std::string_view host);
// nullopt when token is not something escape_host produces.
std::optional<std::string> unescape_host(std::string_view token);
std::string subject_for_host(std::string_view host);

// Message id for de-duplication: host, clock origin and the first and last
// sequence numbers identify a batch across retries and restarts (the last
// one too, so that a relay restarted with other batch boundaries is not
// taken for a retry and dropped: the consumer skips what it already has).
std::string message_id(std::string_view host, std::uint64_t clock_origin_ns, std::uint64_t first_seq,
                       std::uint64_t last_seq);

}  // namespace proctree::nats

// proctree/nats/batcher.hpp - cuts a wire stream into NATS message payloads.
//
// Every payload is a complete little stream: the producer's stream header
// (host name possibly replaced), then whole records in order, at most
// kMaxPayload bytes in all; a checkpoint snapshot always starts a payload. A consumer can decode any message on its
// own, and (host, clock origin, first sequence number) names it.
#pragma once

#include <proctree/wire.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::nats {

// The server's default max_payload is 1 MiB; keep room for the message
// headers (Nats-Msg-Id) beside the body.
inline constexpr std::size_t kMaxPayload = (1u << 20) - 4096;

struct Batch {
    std::string payload;  // stream header + whole records
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    std::uint64_t last_time_ns = 0;
    std::uint32_t records = 0;
    std::size_t header_size = 0;  // payload bytes taken by the stream header
};

// What a payload says about itself; nullopt when it is not a header
// followed by whole records.
struct PayloadInfo {
    std::string host;
    std::uint64_t clock_origin_ns = 0;
    std::size_t header_size = 0;
    std::uint64_t first_seq = 0;
    std::uint64_t last_seq = 0;
    std::uint64_t first_time_ns = 0;
    std::uint64_t last_time_ns = 0;
    std::uint32_t records = 0;
    bool starts_checkpoint = false;  // its first record begins a checkpoint (PT_SNAPSHOT_CHECKPOINT)
};
std::optional<PayloadInfo> describe_payload(std::string_view payload);

// A payload holding only an events-lost record (count records dropped, seq
// the last dropped one), under the given stream header bytes.
std::string lost_payload(std::string_view header, std::uint64_t seq, std::uint64_t time_ns, std::uint64_t count);

// Whether a whole record begins a checkpoint (PT_SNAPSHOT_CHECKPOINT).
bool is_checkpoint_record(std::string_view record);

// The stream header with its host name replaced.
std::string rewrite_host(std::string_view header, std::string_view host);

class Batcher {
public:
    // host: replaces the stream header's host name unless empty.
    explicit Batcher(std::string host, std::size_t max_payload = kMaxPayload);

    // Takes the next bytes of the stream (any split); appends every batch
    // that became full to out. false once the stream is malformed (error()).
    bool feed(const char* data, std::size_t len, std::vector<Batch>& out);
    // Hands over the open batch, if it holds any record.
    void seal(std::vector<Batch>& out);

    bool has_header() const { return !header_.empty(); }
    const std::string& host() const { return host_; }
    std::uint64_t clock_origin_ns() const { return clock_origin_; }
    bool open_batch() const { return open_.records > 0; }
    const std::string& error() const { return error_; }
    std::uint64_t bytes_seen() const { return offset_; }

private:
    bool take_header();
    bool take_record(std::vector<Batch>& out);
    void start_batch();
    bool fail(std::string message);
    std::string_view unread() const { return std::string_view(pending_).substr(head_); }

    std::string host_;
    std::size_t max_payload_;
    std::string pending_;  // bytes fed and not yet framed, from head_
    std::size_t head_ = 0;
    std::string header_;  // the (rewritten) stream header
    std::uint64_t clock_origin_ = 0;
    std::uint64_t offset_ = 0;  // stream offset of pending_[head_]
    Batch open_;
    std::string error_;
};

}  // namespace proctree::nats

namespace proctree::nats {

// The records of a payload, in order, without decoding their bodies: the
// offset (within payload), size, type and sequence number of each. false
// when the payload is not a header followed by whole records.
struct RecordSpan {
    std::size_t offset = 0;
    std::uint32_t size = 0;
    std::uint16_t type = 0;
    std::uint64_t seq = 0;
};
bool split_payload(std::string_view payload, std::size_t& header_size, std::vector<RecordSpan>& out);

}  // namespace proctree::nats

#include "fleet_merge.hpp"

#include <proctree/wire_encode.h>

#include <algorithm>
#include <cstring>

namespace proctree::cli {

namespace {

template <class T>
T load_at(std::string_view bytes, std::size_t offset)
{
    T v{};
    std::memcpy(&v, bytes.data() + offset, sizeof v);
    return v;
}

}  // namespace

bool write_gap(std::string_view payload, const nats::RecordSpan& next, std::uint64_t missing, collect::ByteSink& sink)
{
    auto time_ns = load_at<std::uint64_t>(payload, next.offset + offsetof(pt_record_header, time_ns));
    char rec[sizeof(pt_events_lost)];
    std::uint32_t n = pt_encode_events_lost(rec, sizeof rec, next.seq - 1, time_ns, missing, PT_LOST_OTHER);
    return sink.write(rec, n);
}

bool FleetMerge::wanted(std::string_view host) const
{
    return hosts_.empty() || std::find(hosts_.begin(), hosts_.end(), host) != hosts_.end();
}

FleetMerge::Result FleetMerge::forward(std::string_view payload, collect::ByteSink& sink)
{
    std::size_t header_size = 0;
    spans_.clear();
    if (!nats::split_payload(payload, header_size, spans_)) return Result::NotBatch;
    auto host_len = load_at<std::uint16_t>(payload, offsetof(pt_stream_header, host_len));
    std::string host(payload.substr(PT_STREAM_HEADER_FIXED, host_len));
    if (!wanted(host)) return Result::Skipped;
    auto origin = load_at<std::uint64_t>(payload, offsetof(pt_stream_header, clock_origin_ns));
    std::string_view header = payload.substr(0, header_size);
    bool any = false;
    for (const auto& r : spans_) {
        std::string_view record = payload.substr(r.offset, r.size);
        auto v = gate_.check(host, origin, r.seq, nats::is_checkpoint_record(record));
        if (!v.apply) continue;
        if (header != last_header_) {
            if (!sink.write(header.data(), header.size())) return Result::SinkFull;
            last_header_ = header;
        }
        any = true;
        if (v.missing && r.type != PT_REC_EVENTS_LOST && !write_gap(payload, r, v.missing, sink))
            return Result::SinkFull;
        if (!sink.write(record.data(), record.size())) return Result::SinkFull;
    }
    return any ? Result::Forwarded : Result::Skipped;
}

}  // namespace proctree::cli

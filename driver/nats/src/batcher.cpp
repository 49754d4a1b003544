#include <proctree/nats/batcher.hpp>

#include <proctree/wire_encode.h>

#include <fmt/core.h>

#include <cstddef>
#include <cstring>

namespace proctree::nats {

namespace {

template <typename T>
T load(const char* p)
{
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Size of the stream header at the start of bytes, 0 when more bytes are
// needed, nullopt with why when it is not a header.
std::optional<std::size_t> header_size(std::string_view bytes, std::string& why)
{
    if (bytes.size() < PT_STREAM_HEADER_FIXED) return 0;
    if (std::memcmp(bytes.data(), PT_WIRE_MAGIC, PT_WIRE_MAGIC_LEN) != 0) {
        why = "not a proctree stream (bad magic)";
        return std::nullopt;
    }
    auto major = load<std::uint16_t>(bytes.data() + 8);
    auto size = load<std::uint16_t>(bytes.data() + 12);
    auto host_len = load<std::uint16_t>(bytes.data() + 36);
    if (major != PT_WIRE_VERSION_MAJOR) {
        why = fmt::format("stream version {} is not {}", major, PT_WIRE_VERSION_MAJOR);
        return std::nullopt;
    }
    if (host_len > PT_MAX_HOST || size != PT_STREAM_HEADER_FIXED + PT_ALIGN8(host_len)) {
        why = fmt::format("stream header size {} does not fit host length {}", size, host_len);
        return std::nullopt;
    }
    return bytes.size() >= size ? std::optional<std::size_t>(size) : std::optional<std::size_t>(0);
}

// Size of the record at the start of bytes; 0 when more bytes are needed.
std::optional<std::size_t> record_size(std::string_view bytes, std::string& why)
{
    if (bytes.size() < sizeof(pt_record_header)) return 0;
    auto size = load<std::uint32_t>(bytes.data() + 4);
    if (size < sizeof(pt_record_header) || size % 8 != 0 || size > PT_MAX_RECORD_SIZE) {
        why = fmt::format("record size {} is invalid", size);
        return std::nullopt;
    }
    return bytes.size() >= size ? std::optional<std::size_t>(size) : std::optional<std::size_t>(0);
}

bool is_checkpoint_begin(const char* record, std::size_t size)
{
    return is_checkpoint_record(std::string_view(record, size));
}

}  // namespace

bool is_checkpoint_record(std::string_view record)
{
    return record.size() >= sizeof(pt_snapshot) && load<std::uint16_t>(record.data()) == PT_REC_SNAPSHOT_BEGIN &&
           load<std::uint32_t>(record.data() + offsetof(pt_snapshot, reason)) == PT_SNAPSHOT_CHECKPOINT;
}

bool split_payload(std::string_view payload, std::size_t& header_bytes, std::vector<RecordSpan>& out)
{
    std::string why;
    auto hs = header_size(payload, why);
    if (!hs || *hs == 0) return false;
    header_bytes = *hs;
    for (std::size_t at = *hs; at < payload.size();) {
        auto rs = record_size(payload.substr(at), why);
        if (!rs || *rs == 0) return false;
        RecordSpan r;
        r.offset = at;
        r.size = static_cast<std::uint32_t>(*rs);
        r.type = load<std::uint16_t>(payload.data() + at);
        r.seq = load<std::uint64_t>(payload.data() + at + 8);
        out.push_back(r);
        at += *rs;
    }
    return true;
}

std::optional<PayloadInfo> describe_payload(std::string_view payload)
{
    std::vector<RecordSpan> spans;
    PayloadInfo info;
    if (!split_payload(payload, info.header_size, spans)) return std::nullopt;
    info.clock_origin_ns = load<std::uint64_t>(payload.data() + 16);
    info.host.assign(payload.data() + PT_STREAM_HEADER_FIXED, load<std::uint16_t>(payload.data() + 36));
    info.records = static_cast<std::uint32_t>(spans.size());
    if (!spans.empty()) {
        info.first_seq = spans.front().seq;
        info.last_seq = spans.back().seq;
        info.last_time_ns = load<std::uint64_t>(payload.data() + spans.back().offset + 16);
        info.first_time_ns = load<std::uint64_t>(payload.data() + spans.front().offset + 16);
        info.starts_checkpoint = is_checkpoint_begin(payload.data() + spans.front().offset, spans.front().size);
    }
    return info;
}

std::string lost_payload(std::string_view header, std::uint64_t seq, std::uint64_t time_ns, std::uint64_t count)
{
    std::string out(header);
    char rec[sizeof(pt_events_lost)];
    std::uint32_t n = pt_encode_events_lost(rec, sizeof rec, seq, time_ns, count, PT_LOST_QUEUE_FULL);
    out.append(rec, n);
    return out;
}

std::string rewrite_host(std::string_view header, std::string_view host)
{
    if (host.size() > PT_MAX_HOST) host = host.substr(0, PT_MAX_HOST);
    std::string out(header.substr(0, PT_STREAM_HEADER_FIXED));
    auto host_len = static_cast<std::uint16_t>(host.size());
    auto size = static_cast<std::uint16_t>(PT_STREAM_HEADER_FIXED + PT_ALIGN8(host_len));
    std::memcpy(out.data() + 12, &size, sizeof size);
    std::memcpy(out.data() + 36, &host_len, sizeof host_len);
    out.append(host);
    out.resize(size, '\0');
    return out;
}

Batcher::Batcher(std::string host, std::size_t max_payload) : host_(std::move(host)), max_payload_(max_payload) {}

bool Batcher::fail(std::string message)
{
    error_ = fmt::format("stream byte {}: {}", offset_, message);
    return false;
}

bool Batcher::take_header()
{
    std::string why;
    auto hs = header_size(unread(), why);
    if (!hs) return fail(why);
    if (*hs == 0) return true;
    std::string_view raw(unread().data(), *hs);
    clock_origin_ = load<std::uint64_t>(raw.data() + 16);
    if (host_.empty()) host_.assign(raw.data() + PT_STREAM_HEADER_FIXED, load<std::uint16_t>(raw.data() + 36));
    header_ = rewrite_host(raw, host_);
    head_ += *hs;
    offset_ += *hs;
    start_batch();
    return true;
}

void Batcher::start_batch()
{
    open_ = Batch{};
    open_.payload = header_;
    open_.header_size = header_.size();
}

bool Batcher::take_record(std::vector<Batch>& out)
{
    std::string why;
    auto rs = record_size(unread(), why);
    if (!rs) return fail(why);
    if (*rs == 0) return true;
    const char* p = unread().data();
    // A checkpoint starts a message, so that a follower can start there.
    if (open_.payload.size() + *rs > max_payload_ || is_checkpoint_begin(p, *rs)) seal(out);
    auto seq = load<std::uint64_t>(p + 8);
    if (open_.records == 0) open_.first_seq = seq;
    open_.last_seq = seq;
    open_.last_time_ns = load<std::uint64_t>(p + 16);
    ++open_.records;
    open_.payload.append(p, *rs);
    head_ += *rs;
    offset_ += *rs;
    return true;
}

bool Batcher::feed(const char* data, std::size_t len, std::vector<Batch>& out)
{
    if (!error_.empty()) return false;
    pending_.append(data, len);
    bool ok = true;
    for (;;) {
        std::size_t before = head_;
        ok = header_.empty() ? take_header() : take_record(out);
        if (!ok || head_ == before || head_ == pending_.size()) break;
    }
    pending_.erase(0, head_);
    head_ = 0;
    return ok;
}

void Batcher::seal(std::vector<Batch>& out)
{
    if (open_.records == 0) return;
    out.push_back(std::move(open_));
    start_batch();
}

}  // namespace proctree::nats

// The wire decoder. Every length is checked against what is actually there
// before it is used; structs are copied out with memcpy (input is unaligned).
#include <proctree/model/decoder.hpp>
#include <proctree/wire.h>

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

namespace proctree::model {

namespace {

constexpr std::uint32_t kMaxHeaderSize = 4096;                // room for future fields; bounds allocation
constexpr std::size_t kKeptPending = 2 * PT_MAX_RECORD_SIZE;  // room the split-record buffer keeps

template <class T>
T load(const std::byte* p)
{
    T value;
    std::memcpy(&value, p, sizeof value);
    return value;
}

Identity ident(const pt_ident& w) { return Identity{w.pid, w.start_ns}; }

// The model's enumerations are the wire's, value for value.
static_assert(static_cast<int>(Os::Unknown) == PT_OS_UNKNOWN && static_cast<int>(Os::Linux) == PT_OS_LINUX &&
              static_cast<int>(Os::Windows) == PT_OS_WINDOWS);
static_assert(static_cast<int>(SourceKind::Unknown) == PT_SOURCE_UNKNOWN &&
              static_cast<int>(SourceKind::WindowsDriver) == PT_SOURCE_WINDOWS_DRIVER &&
              static_cast<int>(SourceKind::Netlink) == PT_SOURCE_NETLINK &&
              static_cast<int>(SourceKind::Ebpf) == PT_SOURCE_EBPF &&
              static_cast<int>(SourceKind::Poll) == PT_SOURCE_POLL &&
              static_cast<int>(SourceKind::Synthetic) == PT_SOURCE_SYNTHETIC);
constexpr std::uint8_t kLastOs = PT_OS_WINDOWS;
constexpr std::uint8_t kLastSource = PT_SOURCE_SYNTHETIC;

// One whole record as it lies in the input.
struct RawRecord {
    const std::byte* p;
    std::uint16_t type;
    std::uint32_t size;
};

// Cuts the variable part of a record into consecutive strings, checking that
// their lengths fit in what the record holds.
class StringCursor {
public:
    StringCursor(const RawRecord& raw, std::uint32_t fixed)
        : p_(reinterpret_cast<const char*>(raw.p) + fixed), left_(raw.size - fixed)
    {}
    bool take(std::uint64_t len, std::string_view& out)
    {
        if (len > left_) return false;
        out = std::string_view(p_, static_cast<std::size_t>(len));
        p_ += len;
        left_ -= static_cast<std::uint32_t>(len);
        return true;
    }
    // Bytes taken so far, from the record's start.
    std::uint32_t used(const RawRecord& raw) const { return raw.size - left_; }

private:
    const char* p_;
    std::uint32_t left_;
};

// The body decoders: one per record type. Each returns why the record is
// malformed, or an empty string after setting r.body.
std::string too_short(const RawRecord& raw, std::uint32_t fixed)
{
    return fmt::format("{} record of {} bytes is shorter than its fixed part ({} bytes)", record_type_name(raw.type),
                       raw.size, fixed);
}

std::string bad_strings(const RawRecord& raw)
{
    return fmt::format("{} record of {} bytes: its string lengths exceed the record", record_type_name(raw.type),
                       raw.size);
}

// The pt_full_lengths trailer of a create or exec (minor 1) after its
// strings (`end`: the offset past them); a field counts only with its
// truncation flag and when longer than what was kept. A record too short
// for the trailer leaves every length unknown (0).
template <class Body>
void read_full_lengths(const RawRecord& raw, std::uint32_t end, Body& b)
{
    std::uint32_t at = PT_ALIGN8(end);
    if (!(b.flags & PT_PROC_FULL_LENGTHS) || at > raw.size || raw.size - at < sizeof(pt_full_lengths)) return;
    auto w = load<pt_full_lengths>(raw.p + at);
    auto pick = [&](std::uint32_t whole, std::uint32_t flag, std::size_t kept) {
        return (b.flags & flag) && whole > kept ? whole : 0u;
    };
    b.full.name = pick(w.name, PT_PROC_NAME_TRUNCATED, b.name.size());
    b.full.image = pick(w.image, PT_PROC_IMAGE_TRUNCATED, b.image.size());
    b.full.cmdline = pick(w.cmdline, PT_PROC_CMDLINE_TRUNCATED, b.cmdline.size());
}

std::string decode_create(const RawRecord& raw, Record& r)
{
    if (raw.size < PT_PROCESS_CREATE_FIXED) return too_short(raw, PT_PROCESS_CREATE_FIXED);
    auto w = load<pt_process_create>(raw.p);
    ProcessCreate c;
    c.proc = ident(w.proc);
    c.parent = ident(w.parent);
    c.creator_pid = w.creator_pid;
    c.creator_tid = w.creator_tid;
    c.uid = w.uid;
    c.flags = w.flags;
    c.threads = w.threads;
    StringCursor s(raw, PT_PROCESS_CREATE_FIXED);
    if (!s.take(w.name_len, c.name) || !s.take(w.user_len, c.user) || !s.take(w.image_len, c.image) ||
        !s.take(w.cmdline_len, c.cmdline))
        return bad_strings(raw);
    read_full_lengths(raw, s.used(raw), c);
    r.body = c;
    return {};
}

// Minor 0 wrote 48 bytes; the usage fields appended in minor 1 are read
// only when the record holds them (and its flags say they are known).
std::string decode_exit(const RawRecord& raw, Record& r)
{
    if (raw.size < PT_PROCESS_EXIT_FIXED_V0) return too_short(raw, PT_PROCESS_EXIT_FIXED_V0);
    pt_process_exit w{};
    std::memcpy(&w, raw.p, std::min<std::size_t>(raw.size, sizeof w));
    ProcessExit x{ident(w.proc), w.exit_code, w.signal, w.flags, {}, {}};
    constexpr std::uint16_t kUsage = PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN;
    if (raw.size < PT_PROCESS_EXIT_FIXED) x.flags &= static_cast<std::uint16_t>(~kUsage);
    if (x.flags & PT_EXIT_CPU_KNOWN) x.cpu_ns = w.cpu_ns;
    if (x.flags & PT_EXIT_RSS_KNOWN) x.peak_rss_bytes = w.peak_rss_bytes;
    r.body = x;
    return {};
}

std::string decode_exec(const RawRecord& raw, Record& r)
{
    if (raw.size < PT_PROCESS_EXEC_FIXED) return too_short(raw, PT_PROCESS_EXEC_FIXED);
    auto w = load<pt_process_exec>(raw.p);
    ProcessExec e;
    e.proc = ident(w.proc);
    e.uid = w.uid;
    e.flags = w.flags;
    StringCursor s(raw, PT_PROCESS_EXEC_FIXED);
    if (!s.take(w.name_len, e.name) || !s.take(w.user_len, e.user) || !s.take(w.image_len, e.image) ||
        !s.take(w.cmdline_len, e.cmdline))
        return bad_strings(raw);
    read_full_lengths(raw, s.used(raw), e);
    r.body = e;
    return {};
}

std::string decode_rename(const RawRecord& raw, Record& r)
{
    if (raw.size < PT_PROCESS_RENAME_FIXED) return too_short(raw, PT_PROCESS_RENAME_FIXED);
    auto w = load<pt_process_rename>(raw.p);
    ProcessRename n;
    n.proc = ident(w.proc);
    n.flags = w.flags;
    StringCursor s(raw, PT_PROCESS_RENAME_FIXED);
    if (!s.take(w.name_len, n.name)) return bad_strings(raw);
    r.body = n;
    return {};
}

std::string decode_reparent(const RawRecord& raw, Record& r)
{
    if (raw.size < sizeof(pt_process_reparent)) return too_short(raw, sizeof(pt_process_reparent));
    auto w = load<pt_process_reparent>(raw.p);
    r.body = ProcessReparent{ident(w.proc), ident(w.parent), ident(w.previous)};
    return {};
}

std::string decode_thread(const RawRecord& raw, Record& r)
{
    if (raw.size < sizeof(pt_thread)) return too_short(raw, sizeof(pt_thread));
    auto w = load<pt_thread>(raw.p);
    r.body = ThreadEvent{ident(w.proc), w.tid, w.exit_code, raw.type == PT_REC_THREAD_CREATE};
    return {};
}

std::string decode_image_load(const RawRecord& raw, Record& r)
{
    if (raw.size < PT_IMAGE_LOAD_FIXED) return too_short(raw, PT_IMAGE_LOAD_FIXED);
    auto w = load<pt_image_load>(raw.p);
    ImageLoad im;
    im.proc = ident(w.proc);
    im.base = w.base;
    im.size = w.size;
    im.flags = w.flags;
    StringCursor s(raw, PT_IMAGE_LOAD_FIXED);
    if (!s.take(w.path_len, im.path)) return bad_strings(raw);
    r.body = im;
    return {};
}

std::string decode_snapshot(const RawRecord& raw, Record& r)
{
    if (raw.size < sizeof(pt_snapshot)) return too_short(raw, sizeof(pt_snapshot));
    auto w = load<pt_snapshot>(raw.p);
    r.body = Snapshot{raw.type == PT_REC_SNAPSHOT_BEGIN, w.reason, w.flags};
    return {};
}

std::string decode_image_facts(const RawRecord& raw, Record& r)
{
    if (raw.size < PT_IMAGE_FACTS_FIXED) return too_short(raw, PT_IMAGE_FACTS_FIXED);
    auto w = load<pt_image_facts>(raw.p);
    ImageFactsRecord f;
    f.proc = ident(w.proc);
    f.event_seq = w.event_seq;
    f.file_size = w.file_size;
    std::memcpy(f.sha256.data(), w.sha256, f.sha256.size());
    f.status = w.status;
    f.flags = w.flags;
    f.error = w.error;
    StringCursor s(raw, PT_IMAGE_FACTS_FIXED);
    if (!s.take(w.path_len, f.path)) return bad_strings(raw);
    r.body = f;
    return {};
}

std::string decode_events_lost(const RawRecord& raw, Record& r)
{
    if (raw.size < sizeof(pt_events_lost)) return too_short(raw, sizeof(pt_events_lost));
    auto w = load<pt_events_lost>(raw.p);
    r.body = EventsLost{w.count, w.reason};
    return {};
}

// A new record type is one case here and one function above.
std::string decode_body(const RawRecord& raw, Record& r)
{
    switch (raw.type) {
    case PT_REC_PROCESS_CREATE: return decode_create(raw, r);
    case PT_REC_PROCESS_EXIT: return decode_exit(raw, r);
    case PT_REC_PROCESS_EXEC: return decode_exec(raw, r);
    case PT_REC_PROCESS_RENAME: return decode_rename(raw, r);
    case PT_REC_PROCESS_REPARENT: return decode_reparent(raw, r);  // minor 1
    case PT_REC_THREAD_CREATE:
    case PT_REC_THREAD_EXIT: return decode_thread(raw, r);
    case PT_REC_IMAGE_LOAD: return decode_image_load(raw, r);
    case PT_REC_SNAPSHOT_BEGIN:
    case PT_REC_SNAPSHOT_END: return decode_snapshot(raw, r);
    case PT_REC_IMAGE_FACTS: return decode_image_facts(raw, r);  // minor 1
    case PT_REC_EVENTS_LOST: return decode_events_lost(raw, r);
    default:
        r.body = UnknownRecord{};  // newer producer: skip by size
        return {};
    }
}

}  // namespace

std::string DecodeError::describe() const { return fmt::format("corrupt stream at byte {}: {}", offset, message); }

bool StreamDecoder::fail(std::uint64_t offset, std::string message)
{
    if (!error_) error_ = DecodeError{offset, std::move(message)};
    return false;
}

bool StreamDecoder::feed(std::string_view data, RecordHandler& handler)
{
    return feed(std::span(reinterpret_cast<const std::byte*>(data.data()), data.size()), handler);
}

bool StreamDecoder::feed(std::span<const std::byte> data, RecordHandler& handler)
{
    if (error_) return false;
    if (pending_.empty()) {
        std::size_t used = decode_from(data.data(), data.size(), handler);
        if (error_) return false;
        pending_.assign(data.begin() + static_cast<std::ptrdiff_t>(used), data.end());
        return true;
    }
    pending_.insert(pending_.end(), data.begin(), data.end());
    std::size_t used = decode_from(pending_.data(), pending_.size(), handler);
    if (error_) return false;
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
    // What is left is less than a record; a big chunk appended behind a cut
    // record must not leave its room allocated for the rest of the stream.
    if (pending_.capacity() > kKeptPending && pending_.size() <= kKeptPending / 2)
        std::vector<std::byte>(pending_.begin(), pending_.end()).swap(pending_);
    return true;
}

bool StreamDecoder::finish()
{
    if (error_) return false;
    if (!header_) {
        if (pending_.empty()) return fail(0, "empty stream: no proctree header");
        return fail(consumed_, fmt::format("truncated stream header: have {} bytes", pending_.size()));
    }
    if (!pending_.empty()) {
        std::uint32_t want = 0;
        if (pending_.size() >= 8) want = load<std::uint32_t>(pending_.data() + 4);
        return fail(consumed_,
                    want ? fmt::format("truncated record: stream ends after {} of its {} bytes", pending_.size(), want)
                         : fmt::format("truncated record header: stream ends after {} bytes", pending_.size()));
    }
    return true;
}

void StreamDecoder::resume_at(std::uint64_t offset)
{
    pending_.clear();
    consumed_ = offset;
}

// The stream header, once it is all there; returns its size, or 0 while
// it is incomplete or when it is bad (then the error is set).
std::size_t StreamDecoder::decode_header(const std::byte* data, std::size_t len, RecordHandler& handler)
{
    if (len < PT_STREAM_HEADER_FIXED) {
        // Reject a wrong magic as early as we can see it.
        if (std::memcmp(data, PT_WIRE_MAGIC, std::min<std::size_t>(len, PT_WIRE_MAGIC_LEN)) != 0)
            fail(consumed_, "not a proctree stream (bad magic)");
        return 0;
    }
    auto h = load<pt_stream_header>(data);
    if (std::memcmp(h.magic, PT_WIRE_MAGIC, PT_WIRE_MAGIC_LEN) != 0) {
        fail(consumed_, "not a proctree stream (bad magic)");
        return 0;
    }
    if (h.version_major != PT_WIRE_VERSION_MAJOR) {
        fail(consumed_ + 8, fmt::format("unsupported wire version {}.{} (this proctree reads {}.x)", h.version_major,
                                        h.version_minor, PT_WIRE_VERSION_MAJOR));
        return 0;
    }
    std::uint32_t need = PT_STREAM_HEADER_FIXED + PT_ALIGN8(std::uint32_t{h.host_len});
    if (h.header_size < need || h.header_size % 8 != 0 || h.header_size > kMaxHeaderSize || h.host_len > PT_MAX_HOST) {
        fail(consumed_ + 12, fmt::format("bad stream header size {} (host name {} bytes)", h.header_size, h.host_len));
        return 0;
    }
    if (len < h.header_size) return 0;
    StreamHeader sh;
    sh.version_major = h.version_major;
    sh.version_minor = h.version_minor;
    sh.os = static_cast<Os>(h.os <= kLastOs ? h.os : std::uint8_t{PT_OS_UNKNOWN});
    sh.source = static_cast<SourceKind>(h.source <= kLastSource ? h.source : std::uint8_t{PT_SOURCE_UNKNOWN});
    sh.clock_origin_ns = h.clock_origin_ns;
    sh.boot_time_ns = h.boot_time_ns;
    sh.host.assign(reinterpret_cast<const char*>(data) + PT_STREAM_HEADER_FIXED, h.host_len);
    header_ = std::move(sh);
    consumed_ += h.header_size;
    handler.on_header(*header_);
    return h.header_size;
}

// Decodes as many whole units as data holds; returns the bytes used.
std::size_t StreamDecoder::decode_from(const std::byte* data, std::size_t len, RecordHandler& handler)
{
    std::size_t pos = 0;
    if (!header_) {
        pos = decode_header(data, len, handler);
        if (!header_) return 0;
    }
    while (len - pos >= sizeof(pt_record_header)) {
        if (concatenated_ && std::memcmp(data + pos, PT_WIRE_MAGIC, PT_WIRE_MAGIC_LEN) == 0) {
            // The next stream of the concatenation: its header, once all there.
            std::optional<StreamHeader> before = std::move(header_);
            header_.reset();
            std::size_t used = decode_header(data + pos, len - pos, handler);
            if (!header_) {
                header_ = std::move(before);
                return pos;
            }
            pos += used;
            continue;
        }
        auto rh = load<pt_record_header>(data + pos);
        if (rh.size < sizeof(pt_record_header) || rh.size % 8 != 0 || rh.size > PT_MAX_RECORD_SIZE) {
            fail(consumed_, fmt::format("record size {} is invalid (must be a multiple of 8 between 24 and {})",
                                        rh.size, PT_MAX_RECORD_SIZE));
            return pos;
        }
        if (len - pos < rh.size) break;  // wait for the rest

        Record r;
        r.type = rh.type;
        r.size = rh.size;
        r.seq = rh.seq;
        r.time_ns = rh.time_ns;
        r.offset = consumed_;
        std::string malformed = decode_body(RawRecord{data + pos, rh.type, rh.size}, r);
        if (!malformed.empty()) {
            fail(consumed_, std::move(malformed));
            return pos;
        }
        pos += rh.size;
        consumed_ += rh.size;
        ++records_;
        handler.on_record(r);
    }
    return pos;
}

}  // namespace proctree::model

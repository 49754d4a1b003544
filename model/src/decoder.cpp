// The wire decoder. Every length is checked against what is actually there
// before it is used; structs are copied out with memcpy (input is unaligned).
#include <proctree/model/decoder.hpp>
#include <proctree/wire.h>

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

namespace proctree::model {

namespace {

constexpr std::uint32_t kMaxHeaderSize = 4096;  // room for future fields; bounds allocation

template <class T>
T load(const std::byte* p)
{
    T value;
    std::memcpy(&value, p, sizeof value);
    return value;
}

Identity ident(const pt_ident& w) { return Identity{w.pid, w.start_ns}; }

// Cuts the variable part of a record into consecutive strings, checking that
// their lengths fit in what the record holds.
class StringCursor {
public:
    StringCursor(const std::byte* record, std::uint32_t fixed, std::uint32_t size)
        : p_(reinterpret_cast<const char*>(record) + fixed), left_(size - fixed) {}
    bool take(std::uint64_t len, std::string_view& out)
    {
        if (len > left_) return false;
        out = std::string_view(p_, static_cast<std::size_t>(len));
        p_ += len;
        left_ -= static_cast<std::uint32_t>(len);
        return true;
    }

private:
    const char* p_;
    std::uint32_t left_;
};

// PT_REC_IMAGE_FACTS (minor 1); false when its path does not fit the record.
bool decode_facts(const std::byte* rec, std::uint32_t size, Record& r)
{
    auto w = load<pt_image_facts>(rec);
    ImageFactsRecord f;
    f.proc = ident(w.proc);
    f.event_seq = w.event_seq;
    f.file_size = w.file_size;
    std::memcpy(f.sha256.data(), w.sha256, f.sha256.size());
    f.status = w.status;
    f.flags = w.flags;
    f.error = w.error;
    StringCursor s(rec, PT_IMAGE_FACTS_FIXED, size);
    if (!s.take(w.path_len, f.path)) return false;
    r.body = f;
    return true;
}

} // namespace

std::string DecodeError::describe() const
{
    return fmt::format("corrupt stream at byte {}: {}", offset, message);
}

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
        return fail(consumed_, want ? fmt::format("truncated record: stream ends after {} of its {} bytes",
                                                  pending_.size(), want)
                                    : fmt::format("truncated record header: stream ends after {} bytes",
                                                  pending_.size()));
    }
    return true;
}

void StreamDecoder::resume_at(std::uint64_t offset)
{
    pending_.clear();
    consumed_ = offset;
}

// Decodes as many whole units as data holds; returns the bytes used.
std::size_t StreamDecoder::decode_from(const std::byte* data, std::size_t len, RecordHandler& handler)
{
    std::size_t pos = 0;
    if (!header_) {
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
            fail(consumed_ + 8, fmt::format("unsupported wire version {}.{} (this proctree reads {}.x)",
                                            h.version_major, h.version_minor, PT_WIRE_VERSION_MAJOR));
            return 0;
        }
        std::uint32_t need = PT_STREAM_HEADER_FIXED + PT_ALIGN8(std::uint32_t{h.host_len});
        if (h.header_size < need || h.header_size % 8 != 0 || h.header_size > kMaxHeaderSize ||
            h.host_len > PT_MAX_HOST) {
            fail(consumed_ + 12, fmt::format("bad stream header size {} (host name {} bytes)", h.header_size,
                                             h.host_len));
            return 0;
        }
        if (len < h.header_size) return 0;
        StreamHeader sh;
        sh.version_major = h.version_major;
        sh.version_minor = h.version_minor;
        sh.os = static_cast<Os>(h.os <= 2 ? h.os : 0);
        sh.source = static_cast<SourceKind>(h.source <= 5 ? h.source : 0);
        sh.clock_origin_ns = h.clock_origin_ns;
        sh.boot_time_ns = h.boot_time_ns;
        sh.host.assign(reinterpret_cast<const char*>(data) + PT_STREAM_HEADER_FIXED, h.host_len);
        header_ = std::move(sh);
        pos = h.header_size;
        consumed_ += pos;
        handler.on_header(*header_);
    }

    while (len - pos >= sizeof(pt_record_header)) {
        const std::byte* rec = data + pos;
        auto rh = load<pt_record_header>(rec);
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
        auto too_short = [&](std::uint32_t fixed) {
            if (rh.size >= fixed) return false;
            fail(consumed_, fmt::format("{} record of {} bytes is shorter than its fixed part ({} bytes)",
                                        record_type_name(rh.type), rh.size, fixed));
            return true;
        };
        auto bad_strings = [&]() {
            fail(consumed_, fmt::format("{} record of {} bytes: its string lengths exceed the record",
                                        record_type_name(rh.type), rh.size));
        };

        switch (rh.type) {
        case PT_REC_PROCESS_CREATE: {
            if (too_short(PT_PROCESS_CREATE_FIXED)) return pos;
            auto w = load<pt_process_create>(rec);
            ProcessCreate c;
            c.proc = ident(w.proc);
            c.parent = ident(w.parent);
            c.creator_pid = w.creator_pid;
            c.creator_tid = w.creator_tid;
            c.uid = w.uid;
            c.flags = w.flags;
            c.threads = w.threads;
            StringCursor s(rec, PT_PROCESS_CREATE_FIXED, rh.size);
            if (!s.take(w.name_len, c.name) || !s.take(w.user_len, c.user) || !s.take(w.image_len, c.image) ||
                !s.take(w.cmdline_len, c.cmdline)) {
                bad_strings();
                return pos;
            }
            r.body = c;
            break;
        }
        case PT_REC_PROCESS_EXIT: {
            if (too_short(sizeof(pt_process_exit))) return pos;
            auto w = load<pt_process_exit>(rec);
            r.body = ProcessExit{ident(w.proc), w.exit_code, w.signal, w.flags};
            break;
        }
        case PT_REC_PROCESS_EXEC: {
            if (too_short(PT_PROCESS_EXEC_FIXED)) return pos;
            auto w = load<pt_process_exec>(rec);
            ProcessExec e;
            e.proc = ident(w.proc);
            e.uid = w.uid;
            e.flags = w.flags;
            StringCursor s(rec, PT_PROCESS_EXEC_FIXED, rh.size);
            if (!s.take(w.name_len, e.name) || !s.take(w.user_len, e.user) || !s.take(w.image_len, e.image) ||
                !s.take(w.cmdline_len, e.cmdline)) {
                bad_strings();
                return pos;
            }
            r.body = e;
            break;
        }
        case PT_REC_PROCESS_RENAME: {
            if (too_short(PT_PROCESS_RENAME_FIXED)) return pos;
            auto w = load<pt_process_rename>(rec);
            ProcessRename n;
            n.proc = ident(w.proc);
            n.flags = w.flags;
            StringCursor s(rec, PT_PROCESS_RENAME_FIXED, rh.size);
            if (!s.take(w.name_len, n.name)) {
                bad_strings();
                return pos;
            }
            r.body = n;
            break;
        }
        case PT_REC_THREAD_CREATE:
        case PT_REC_THREAD_EXIT: {
            if (too_short(sizeof(pt_thread))) return pos;
            auto w = load<pt_thread>(rec);
            r.body = ThreadEvent{ident(w.proc), w.tid, w.exit_code, rh.type == PT_REC_THREAD_CREATE};
            break;
        }
        case PT_REC_IMAGE_LOAD: {
            if (too_short(PT_IMAGE_LOAD_FIXED)) return pos;
            auto w = load<pt_image_load>(rec);
            ImageLoad im;
            im.proc = ident(w.proc);
            im.base = w.base;
            im.size = w.size;
            im.flags = w.flags;
            StringCursor s(rec, PT_IMAGE_LOAD_FIXED, rh.size);
            if (!s.take(w.path_len, im.path)) {
                bad_strings();
                return pos;
            }
            r.body = im;
            break;
        }
        case PT_REC_SNAPSHOT_BEGIN:
        case PT_REC_SNAPSHOT_END: {
            if (too_short(sizeof(pt_snapshot))) return pos;
            auto w = load<pt_snapshot>(rec);
            r.body = Snapshot{rh.type == PT_REC_SNAPSHOT_BEGIN, w.reason, w.flags};
            break;
        }
        case PT_REC_IMAGE_FACTS: {
            if (too_short(PT_IMAGE_FACTS_FIXED)) return pos;
            if (!decode_facts(rec, rh.size, r)) {
                bad_strings();
                return pos;
            }
            break;
        }
        case PT_REC_EVENTS_LOST: {
            if (too_short(sizeof(pt_events_lost))) return pos;
            auto w = load<pt_events_lost>(rec);
            r.body = EventsLost{w.count, w.reason};
            break;
        }
        default:
            r.body = UnknownRecord{};  // newer producer: skip by size
            break;
        }
        pos += rh.size;
        consumed_ += rh.size;
        ++records_;
        handler.on_record(r);
    }
    return pos;
}

} // namespace proctree::model

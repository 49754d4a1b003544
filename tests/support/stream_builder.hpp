// tests/support/stream_builder.hpp - builds wire streams in memory with the
// shared C encoder, for unit tests, fuzz seeds, benchmarks and the sample
// generator.
#pragma once

#include <proctree/wire_encode.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::testing {

struct Id {
    std::uint32_t pid = 0;
    std::uint64_t start_ns = 0;
};

inline pt_ident wire(Id id) { return pt_ident{id.pid, 0, id.start_ns}; }
inline pt_str str(std::string_view s) { return pt_str{s.data(), static_cast<std::uint32_t>(s.size())}; }

class StreamBuilder {
public:
    explicit StreamBuilder(std::string_view host = "testhost", std::uint8_t os = PT_OS_LINUX,
                           std::uint8_t source = PT_SOURCE_SYNTHETIC, std::uint64_t origin_ns = 0)
    {
        std::uint32_t n = pt_encode_stream_header(buf_, sizeof buf_, os, source, origin_ns, 0, str(host));
        bytes_.assign(reinterpret_cast<const char*>(buf_), n);  // no sequence number: not a record
    }

    StreamBuilder& create(std::uint64_t t, Id self, Id parent, std::string_view name, std::string_view cmdline = {},
                          std::string_view user = {}, std::string_view image = {}, std::uint32_t threads = 1,
                          std::uint32_t flags = 0)
    {
        pt_create_args a{};
        a.flags = flags;
        a.proc = wire(self);
        a.parent = wire(parent);
        a.creator_pid = parent.pid;
        a.uid = PT_UID_UNKNOWN;
        a.threads = threads;
        a.name = str(name);
        a.user = str(user);
        a.image = str(image);
        a.cmdline = str(cmdline);
        return put(pt_encode_process_create(buf_, sizeof buf_, seq_, t, &a));
    }
    // A create whose command line the producer read only `cmdline.size()`
    // bytes of, out of `whole` (0: unknown; flags may add *_TRUNCATED).
    StreamBuilder& create_cut(std::uint64_t t, Id self, Id parent, std::string_view name, std::string_view cmdline,
                              std::uint32_t whole, std::uint32_t flags = 0)
    {
        pt_create_args a{};
        a.flags = flags;
        a.proc = wire(self);
        a.parent = wire(parent);
        a.creator_pid = parent.pid;
        a.uid = PT_UID_UNKNOWN;
        a.threads = 1;
        a.name = str(name);
        a.cmdline = str(cmdline);
        a.full.cmdline = whole;
        return put(pt_encode_process_create(buf_, sizeof buf_, seq_, t, &a));
    }
    StreamBuilder& exit(std::uint64_t t, Id self, std::int32_t code, std::uint16_t signal = 0, std::uint16_t flags = 0)
    {
        return put(pt_encode_process_exit(buf_, sizeof buf_, seq_, t, wire(self), code, signal, flags));
    }
    // An exit with whole-life usage (minor 1); nullopt: not known.
    StreamBuilder& exit_usage(std::uint64_t t, Id self, std::int32_t code, std::optional<std::uint64_t> cpu_ns,
                              std::optional<std::uint64_t> peak_rss_bytes)
    {
        pt_exit_usage u{
            cpu_ns.value_or(0), peak_rss_bytes.value_or(0),
            static_cast<std::uint16_t>((cpu_ns ? PT_EXIT_CPU_KNOWN : 0u) | (peak_rss_bytes ? PT_EXIT_RSS_KNOWN : 0u))};
        return put(pt_encode_process_exit_usage(buf_, sizeof buf_, seq_, t, wire(self), code, 0, 0, &u));
    }
    StreamBuilder& exec(std::uint64_t t, Id self, std::string_view name, std::string_view cmdline,
                        std::string_view image = {})
    {
        pt_exec_args a{};
        a.proc = wire(self);
        a.uid = PT_UID_UNKNOWN;
        a.name = str(name);
        a.image = str(image);
        a.cmdline = str(cmdline);
        return put(pt_encode_process_exec(buf_, sizeof buf_, seq_, t, &a));
    }
    // An exec from arguments made by the caller (e.g. with whole lengths).
    StreamBuilder& raw_exec(std::uint64_t t, const pt_exec_args& a)
    {
        return put(pt_encode_process_exec(buf_, sizeof buf_, seq_, t, &a));
    }
    StreamBuilder& rename(std::uint64_t t, Id self, std::string_view name)
    {
        return put(pt_encode_process_rename(buf_, sizeof buf_, seq_, t, wire(self), str(name)));
    }
    StreamBuilder& reparent(std::uint64_t t, Id self, Id parent, Id previous)
    {
        return put(pt_encode_process_reparent(buf_, sizeof buf_, seq_, t, wire(self), wire(parent), wire(previous)));
    }
    StreamBuilder& thread(std::uint64_t t, Id self, std::uint32_t tid, bool created)
    {
        return put(pt_encode_thread(buf_, sizeof buf_, created ? PT_REC_THREAD_CREATE : PT_REC_THREAD_EXIT, seq_, t,
                                    wire(self), tid, 0));
    }
    StreamBuilder& image(std::uint64_t t, Id self, std::string_view path)
    {
        return put(pt_encode_image_load(buf_, sizeof buf_, seq_, t, wire(self), 0x140000000ull, 4096, str(path)));
    }
    StreamBuilder& snapshot(std::uint64_t t, bool begin, std::uint32_t reason = PT_SNAPSHOT_INITIAL,
                            std::uint16_t flags = PT_SNAPSHOT_COMPLETE)
    {
        return put(pt_encode_snapshot(buf_, sizeof buf_, begin ? PT_REC_SNAPSHOT_BEGIN : PT_REC_SNAPSHOT_END, seq_, t,
                                      reason, flags));
    }
    StreamBuilder& lost(std::uint64_t t, std::uint64_t count)
    {
        return put(pt_encode_events_lost(buf_, sizeof buf_, seq_, t, count, PT_LOST_KERNEL_BUFFER));
    }
    // Facts about the image of the record numbered event_seq; sha256 is 32
    // bytes, or empty for statuses other than PT_FACTS_HASHED.
    StreamBuilder& facts(std::uint64_t t, Id self, std::uint64_t event_seq, std::uint16_t status, std::string_view path,
                         std::uint64_t file_size = 0, std::string_view sha256 = {}, std::uint32_t error = 0)
    {
        pt_facts_args a{};
        a.proc = wire(self);
        a.event_seq = event_seq;
        a.file_size = file_size;
        a.sha256 = sha256.size() == 32 ? reinterpret_cast<const std::uint8_t*>(sha256.data()) : nullptr;
        a.status = status;
        a.error = error;
        a.path = str(path);
        return put(pt_encode_image_facts(buf_, sizeof buf_, seq_, t, &a));
    }
    // A record of a type this version does not know, `body` bytes long.
    StreamBuilder& unknown(std::uint64_t t, std::uint16_t type, std::uint32_t body)
    {
        std::string rec(PT_ALIGN8(24 + body), '\0');
        pt_record_header h{type, 0, static_cast<std::uint32_t>(rec.size()), seq_, t};
        std::memcpy(rec.data(), &h, sizeof h);
        ++seq_;
        bytes_ += rec;
        return *this;
    }

    const std::string& bytes() const { return bytes_; }
    std::size_t size() const { return bytes_.size(); }
    std::uint64_t next_seq() const { return seq_; }
    // Marks the stream as written by a producer of an older minor version;
    // minor 0 also cuts every exit record to the 48 bytes minor 0 wrote.
    StreamBuilder& minor_version(std::uint16_t minor)
    {
        std::memcpy(bytes_.data() + offsetof(pt_stream_header, version_minor), &minor, sizeof minor);
        if (minor == 0) shrink_exits();
        return *this;
    }

private:
    void shrink_exits()
    {
        std::uint16_t header_size;
        std::memcpy(&header_size, bytes_.data() + offsetof(pt_stream_header, header_size), sizeof header_size);
        for (std::size_t off = header_size; off + sizeof(pt_record_header) <= bytes_.size();) {
            pt_record_header h;
            std::memcpy(&h, bytes_.data() + off, sizeof h);
            if (h.type == PT_REC_PROCESS_EXIT && h.size == PT_PROCESS_EXIT_FIXED) {
                bytes_.erase(off + PT_PROCESS_EXIT_FIXED_V0, PT_PROCESS_EXIT_FIXED - PT_PROCESS_EXIT_FIXED_V0);
                h.size = PT_PROCESS_EXIT_FIXED_V0;
                std::uint16_t flags;
                std::memcpy(&flags, bytes_.data() + off + offsetof(pt_process_exit, flags), sizeof flags);
                flags = static_cast<std::uint16_t>(flags & ~(PT_EXIT_CPU_KNOWN | PT_EXIT_RSS_KNOWN));
                std::memcpy(bytes_.data() + off + offsetof(pt_process_exit, flags), &flags, sizeof flags);
                std::memcpy(bytes_.data() + off, &h, sizeof h);
            }
            off += h.size;
        }
    }

    StreamBuilder& put(std::uint32_t n)  // one encoded record in buf_
    {
        bytes_.append(reinterpret_cast<const char*>(buf_), n);
        if (n != 0) ++seq_;
        return *this;
    }

    alignas(8) unsigned char buf_[PT_MAX_RECORD_SIZE];
    std::string bytes_;
    std::uint64_t seq_ = 0;
};

}  // namespace proctree::testing

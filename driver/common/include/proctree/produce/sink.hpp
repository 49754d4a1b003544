// proctree/produce/sink.hpp - where a producer's bytes go, and the writer that
// frames records for it. Every source writes through a WireWriter into
// a ByteSink; the contract for the bytes is in proctree/wire.h.
#pragma once

#include <proctree/wire_encode.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace proctree::collect {

// A byte destination: a file, a pipe, a socket, or the viewer's in-memory
// channel. write() returns false when the sink can take no more (closed
// pipe, disk full); the producer then stops.
class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual bool write(const void* data, std::size_t len) = 0;
    virtual void flush() {}
};

// Frames records (sequence numbers, sizes, padding) with the C encoder and
// hands each whole record to the sink. One producer thread owns a writer.
class WireWriter {
public:
    explicit WireWriter(ByteSink& sink);

    bool stream_header(pt_os os, pt_source source, std::uint64_t clock_origin_ns, std::uint64_t boot_time_ns,
                       std::string_view host);
    bool create(std::uint64_t time_ns, const pt_create_args& args);
    bool exec(std::uint64_t time_ns, const pt_exec_args& args);
    // usage: the process's CPU time and peak RSS where the source knows
    // them; nullptr when it knows neither.
    bool exit(std::uint64_t time_ns, pt_ident proc, std::int32_t code, std::uint16_t signal, std::uint16_t flags,
              const pt_exit_usage* usage = nullptr);
    bool rename(std::uint64_t time_ns, pt_ident proc, std::string_view name);
    bool reparent(std::uint64_t time_ns, pt_ident proc, pt_ident parent, pt_ident previous);
    bool thread(std::uint64_t time_ns, pt_record_type type, pt_ident proc, std::uint32_t tid,
                std::int32_t exit_code = 0);
    bool snapshot_begin(std::uint64_t time_ns, std::uint32_t reason, std::uint16_t flags);
    bool snapshot_end(std::uint64_t time_ns, std::uint32_t reason, std::uint16_t flags);
    bool events_lost(std::uint64_t time_ns, std::uint64_t count, std::uint32_t reason);
    void flush() { sink_.flush(); }

    std::uint64_t records_written() const { return seq_; }

private:
    bool emit(std::uint32_t size);

    ByteSink& sink_;
    std::uint64_t seq_ = 0;
    std::vector<std::byte> buf_;
};

// Helper to pass std::string_view to the C encoder.
inline pt_str to_pt_str(std::string_view s) { return pt_str{s.data(), static_cast<std::uint32_t>(s.size())}; }

// Wall clock, ns since the Unix epoch.
std::uint64_t wall_clock_ns();

}  // namespace proctree::collect

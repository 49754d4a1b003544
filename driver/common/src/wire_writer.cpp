// WireWriter: frames records with the shared C encoder (proctree/wire_encode.h).
#include <proctree/produce/sink.hpp>

#include <chrono>

namespace proctree::collect {

namespace {
constexpr std::uint32_t kBufferSize = PT_MAX_RECORD_SIZE;
}  // namespace

WireWriter::WireWriter(ByteSink& sink) : sink_(sink), buf_(kBufferSize) {}

std::uint64_t wall_clock_ns()
{
    using namespace std::chrono;
    return static_cast<std::uint64_t>(duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count());
}

bool WireWriter::emit(std::uint32_t size)
{
    if (size == 0) return false;  // cannot happen: buffer holds the largest record
    ++seq_;
    return sink_.write(buf_.data(), size);
}

bool WireWriter::stream_header(pt_os os, pt_source source, std::uint64_t clock_origin_ns, std::uint64_t boot_time_ns,
                               std::string_view host)
{
    std::uint32_t n =
        pt_encode_stream_header(buf_.data(), kBufferSize, static_cast<std::uint8_t>(os),
                                static_cast<std::uint8_t>(source), clock_origin_ns, boot_time_ns, to_pt_str(host));
    return n != 0 && sink_.write(buf_.data(), n);
}

bool WireWriter::create(std::uint64_t time_ns, const pt_create_args& args)
{
    return emit(pt_encode_process_create(buf_.data(), kBufferSize, seq_, time_ns, &args));
}

bool WireWriter::exec(std::uint64_t time_ns, const pt_exec_args& args)
{
    return emit(pt_encode_process_exec(buf_.data(), kBufferSize, seq_, time_ns, &args));
}

bool WireWriter::exit(std::uint64_t time_ns, pt_ident proc, std::int32_t code, std::uint16_t signal,
                      std::uint16_t flags, const pt_exit_usage* usage)
{
    return emit(
        pt_encode_process_exit_usage(buf_.data(), kBufferSize, seq_, time_ns, proc, code, signal, flags, usage));
}

bool WireWriter::rename(std::uint64_t time_ns, pt_ident proc, std::string_view name)
{
    return emit(pt_encode_process_rename(buf_.data(), kBufferSize, seq_, time_ns, proc, to_pt_str(name)));
}

bool WireWriter::reparent(std::uint64_t time_ns, pt_ident proc, pt_ident parent, pt_ident previous)
{
    return emit(pt_encode_process_reparent(buf_.data(), kBufferSize, seq_, time_ns, proc, parent, previous));
}

bool WireWriter::thread(std::uint64_t time_ns, pt_record_type type, pt_ident proc, std::uint32_t tid,
                        std::int32_t exit_code)
{
    return emit(pt_encode_thread(buf_.data(), kBufferSize, static_cast<std::uint16_t>(type), seq_, time_ns, proc, tid,
                                 exit_code));
}

bool WireWriter::snapshot_begin(std::uint64_t time_ns, std::uint32_t reason, std::uint16_t flags)
{
    return emit(pt_encode_snapshot(buf_.data(), kBufferSize, PT_REC_SNAPSHOT_BEGIN, seq_, time_ns, reason, flags));
}

bool WireWriter::snapshot_end(std::uint64_t time_ns, std::uint32_t reason, std::uint16_t flags)
{
    return emit(pt_encode_snapshot(buf_.data(), kBufferSize, PT_REC_SNAPSHOT_END, seq_, time_ns, reason, flags));
}

bool WireWriter::events_lost(std::uint64_t time_ns, std::uint64_t count, std::uint32_t reason)
{
    return emit(pt_encode_events_lost(buf_.data(), kBufferSize, seq_, time_ns, count, reason));
}

}  // namespace proctree::collect

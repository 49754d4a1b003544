#include "replay.hpp"

#include <fmt/core.h>

#include <vector>

namespace proctree::cli {

std::string ReadResult::describe() const
{
    if (!io_ok) return io_error;
    if (decode_error) return decode_error->describe();
    return "ok";
}

ReadResult read_stream(StreamInput& in, model::RecordHandler& handler)
{
    ReadResult result;
    model::StreamDecoder decoder;
    std::vector<char> buf(256 * 1024);
    for (;;) {
        long n = in.read(buf.data(), buf.size());
        if (n < 0) {
            result.io_ok = false;
            result.io_error = in.error();
            break;
        }
        if (n == 0) {
            decoder.finish();
            break;
        }
        if (!decoder.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)), handler)) break;
    }
    result.decode_error = decoder.error();
    return result;
}

}  // namespace proctree::cli

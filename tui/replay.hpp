// tui/replay.hpp - reading a whole stream into the model, shared by the
// headless commands (decode, snapshot).
#pragma once

#include "stream_input.hpp"

#include <proctree/model/decoder.hpp>

#include <functional>
#include <optional>
#include <string>

namespace proctree::cli {

struct ReadResult {
    bool io_ok = true;
    std::string io_error;
    std::optional<model::DecodeError> decode_error;
    bool ok() const { return io_ok && !decode_error; }
    std::string describe() const;  // one line for stderr
};

// Feeds all of `in` through a decoder into handler, then finish()es it.
ReadResult read_stream(StreamInput& in, model::RecordHandler& handler);

// Handler adapting lambdas.
class LambdaHandler : public model::RecordHandler {
public:
    std::function<void(const model::StreamHeader&)> header;
    std::function<void(const model::Record&)> record;
    void on_header(const model::StreamHeader& h) override
    {
        if (header) header(h);
    }
    void on_record(const model::Record& r) override
    {
        if (record) record(r);
    }
};

}  // namespace proctree::cli

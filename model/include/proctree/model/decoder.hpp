// proctree/model/decoder.hpp - the one decoder of the wire stream.
//
// Streaming: feed() takes bytes as they come (records may be split across
// reads of a pipe or socket) and hands every whole record to the handler.
// Every length is checked before it is used. On corrupt input the decoder
// stops with an error naming the byte offset; everything decoded before it
// has already been delivered.
#pragma once

#include <proctree/model/record.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::model {

struct DecodeError {
    std::uint64_t offset = 0;      // byte offset in the stream where the problem is
    std::string message;           // e.g. "record size 13 is not a multiple of 8"
    std::string describe() const;  // "corrupt stream at byte 1234: record size ..."
};

class RecordHandler {
public:
    virtual ~RecordHandler() = default;
    virtual void on_header(const StreamHeader&) {}
    virtual void on_record(const Record& record) = 0;
};

class StreamDecoder {
public:
    // Returns false once the stream is known to be corrupt (then error() is
    // set and further input is ignored).
    bool feed(std::span<const std::byte> data, RecordHandler& handler);
    bool feed(std::string_view data, RecordHandler& handler);
    // End of input: a partial header or record left over is a truncation
    // error. An empty stream (no header) is an error too.
    bool finish();
    // For a caller holding the whole stream (a mapped recording) who jumps
    // within it: the next byte fed is at `offset`, where a record starts.
    // The header must have been fed already.
    void resume_at(std::uint64_t offset);
    // Streams laid end to end (a fleet: each host's pieces behind its own
    // header): a header where a record would start begins the next stream
    // (no record type starts with the magic). on_header comes for each.
    void accept_concatenated(bool on) { concatenated_ = on; }

    const std::optional<DecodeError>& error() const { return error_; }
    const std::optional<StreamHeader>& header() const { return header_; }
    std::uint64_t bytes_consumed() const { return consumed_; }
    std::uint64_t records_decoded() const { return records_; }
    // Memory held for a record split across feeds (bounded after a burst).
    std::size_t carry_capacity() const { return pending_.capacity(); }

private:
    std::size_t decode_from(const std::byte* data, std::size_t len, RecordHandler& handler);
    std::size_t decode_header(const std::byte* data, std::size_t len, RecordHandler& handler);
    bool fail(std::uint64_t offset, std::string message);

    std::vector<std::byte> pending_;  // a partial header/record carried between feeds
    std::optional<StreamHeader> header_;
    std::optional<DecodeError> error_;
    std::uint64_t consumed_ = 0;
    std::uint64_t records_ = 0;
    bool concatenated_ = false;
};

}  // namespace proctree::model

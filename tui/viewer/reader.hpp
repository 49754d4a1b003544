// tui/viewer/reader.hpp - the reader thread: a live source, or a stream
// (file, stdin, TCP) copied into the ByteChannel. A recorded file is paced
// at its recorded speed (records are forwarded when their time has come,
// scaled by --speed; speed 0 forwards everything at once).
#pragma once

#include "channel.hpp"

#include <proctree/produce/source.hpp>

#include "stream_input.hpp"

#include <atomic>
#include <memory>
#include <thread>

namespace proctree::viewer {

class Reader {
public:
    // Runs source->run(channel, stop) on its own thread. When the channel is
    // full it drops and asks the source for a resync, if the source can.
    static std::unique_ptr<Reader> live(std::unique_ptr<collect::Source> source, ByteChannel& channel);
    // Copies the input into the channel; paced when it is a regular file and
    // speed > 0. Waits while the channel is full: nothing is dropped.
    static std::unique_ptr<Reader> stream(cli::StreamInput input, ByteChannel& channel, double speed);

    ~Reader();  // stops and joins
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    void stop();

private:
    explicit Reader(ByteChannel& channel) : channel_(channel) {}
    void run_stream(cli::StreamInput& input, double speed);

    ByteChannel& channel_;
    std::atomic<bool> stop_{false};
    std::unique_ptr<collect::Source> source_;
    std::unique_ptr<cli::StreamInput> input_;
    std::thread thread_;
};

// Copies `input` into `channel` (used by the reader thread; exposed for
// tests). Returns when the input ends, fails, or stop is set.
void pump_stream(cli::StreamInput& input, ByteChannel& channel, double speed, const std::atomic<bool>& stop);

}  // namespace proctree::viewer

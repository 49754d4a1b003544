// tui/viewer/channel.hpp - the in-memory byte channel between a reader
// thread (a live source, or a stream/file reader) and the UI thread.
//
// The writer never waits for the UI: a live source appends and returns (the
// kernel buffers are finite; a slow reader would lose events). Only a file
// replay, which cannot lose anything, may wait for room (wait_for_room).
// The UI polls fd() (an eventfd) together with the terminal, then drains.
#pragma once

#include <proctree/produce/sink.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace proctree::viewer {

class ByteChannel final : public collect::ByteSink {
public:
    ByteChannel();
    ~ByteChannel() override;
    ByteChannel(const ByteChannel&) = delete;
    ByteChannel& operator=(const ByteChannel&) = delete;

    // Producer side (any thread).
    bool write(const void* data, std::size_t len) override;  // false once the UI shut it
    void notice(std::string message);                          // a line for the status
    void finish(int status, std::string why);                  // the producer is done
    // Blocks while more than `cap` bytes are pending (file replay only);
    // false when the channel was shut meanwhile.
    bool wait_for_room(std::size_t cap);

    // Consumer side (the UI thread).
    int fd() const { return event_fd_; }
    struct Drained {
        std::string bytes;
        std::vector<std::string> notices;
        bool finished = false;  // the producer is done (and everything is drained)
        int status = 0;
        std::string why;
    };
    // Moves up to max_bytes pending bytes (and all notices) into out.
    // Clears the eventfd only when nothing is left, so poll() wakes again.
    void drain(Drained& out, std::size_t max_bytes);
    void shut();  // the UI is leaving: writes fail, waiters wake
    bool is_shut() const { return shut_.load(); }
    std::size_t pending() const;
    // Frees the buffer's room when nothing is waiting (after a burst).
    void release_spare();

private:
    void signal_locked();

    mutable std::mutex mu_;
    std::condition_variable room_;
    std::string buf_;
    std::size_t head_ = 0;  // consumed prefix of buf_
    std::vector<std::string> notices_;
    bool finished_ = false;
    int status_ = 0;
    std::string why_;
    bool signalled_ = false;
    std::atomic<bool> shut_{false};
    int event_fd_ = -1;
};

} // namespace proctree::viewer

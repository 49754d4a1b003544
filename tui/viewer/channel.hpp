// tui/viewer/channel.hpp - the in-memory byte channel between a reader
// thread (a live source, or a stream/file reader) and the UI thread.
//
// It holds at most `bound` pending bytes, so a UI stuck painting to a slow
// terminal cannot make it grow without end. What a writer does when it is
// full depends on what feeds it:
//  - a live source that can rescan (drop_when_full): the channel drops whole
//    records and never delays the source (the kernel buffers are finite; a
//    slow reader would lose events there instead). Once the UI has caught up
//    (half the bound free) it asks the source for a resync, and the source
//    writes events-lost and a resync snapshot. A snapshot that was let in is
//    never cut (it is bounded by the process count); one that starts while
//    dropping is dropped whole.
//  - anything else (a file replay, a pipe, TCP): write() waits for room; a
//    replay loses nothing, and a remote producer sees back-pressure.
// The UI polls fd() (an eventfd) together with the terminal, then drains.
#pragma once

#include <proctree/produce/sink.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace proctree::viewer {

inline constexpr std::size_t kDefaultChannelBound = 16u << 20;

class ByteChannel final : public collect::ByteSink {
public:
    explicit ByteChannel(std::size_t bound = kDefaultChannelBound);
    ~ByteChannel() override;
    ByteChannel(const ByteChannel&) = delete;
    ByteChannel& operator=(const ByteChannel&) = delete;

    // Producer side (any thread). write() takes one piece of the stream: the
    // stream header, or (when dropping) one or more whole records, as a
    // WireWriter hands them over. False once the UI shut the channel.
    bool write(const void* data, std::size_t len) override;
    void notice(std::string message);          // a line for the status
    void finish(int status, std::string why);  // the producer is done
    // Drop instead of waiting when full; ask_resync(records dropped) is
    // called (from either side, under the channel's lock: it must not call
    // back) once there is room again. An empty function waits again.
    void drop_when_full(std::function<void(std::uint64_t)> ask_resync);

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

    struct Stats {
        std::size_t bound = 0;
        std::size_t most_pending = 0;       // high-water mark of pending bytes
        std::uint64_t dropped_records = 0;  // in all, since the start
        std::uint64_t dropped_bytes = 0;
        std::uint64_t resyncs_asked = 0;
    };
    Stats stats() const;

private:
    void signal_locked();
    void append_locked(const char* data, std::size_t len);
    bool take_dropping_locked(const char* data, std::size_t len);
    void ask_if_room_locked();
    std::size_t pending_locked() const { return buf_.size() - head_; }

    const std::size_t bound_;
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

    // Dropping mode (a live source).
    std::function<void(std::uint64_t)> ask_resync_;
    bool header_seen_ = false;    // the stream header is never dropped
    bool in_snapshot_ = false;    // a snapshot let in: taken whole
    bool skip_snapshot_ = false;  // a snapshot begun while dropping: dropped whole
    std::uint64_t unasked_ = 0;   // dropped, no resync asked for yet
    Stats stats_;
};

}  // namespace proctree::viewer

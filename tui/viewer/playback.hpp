// tui/viewer/playback.hpp - a recorded file played from memory, with time
// travel. The file is mapped; records are handed to the session when the
// play clock reaches their time (times --speed; --speed 0: all at once, then
// the clock runs at 1x). A thread indexes the recording (model::Timeline) so
// that a seek anywhere restores a checkpoint instead of replaying it all.
#pragma once

#include "mapped_input.hpp"

#include <proctree/model/timeline.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace proctree::viewer {

// The stream time as a function of the monotonic clock: runs at a rate from
// an anchor, or stands still while paused.
class PlayClock {
public:
    explicit PlayClock(double rate) : rate_(rate) {}
    std::uint64_t at(std::uint64_t steady_ns) const;
    void set(std::uint64_t stream_ns, std::uint64_t steady_ns);
    void pause(bool paused, std::uint64_t steady_ns);
    void set_rate(double rate, std::uint64_t steady_ns);
    bool paused() const { return paused_; }
    double rate() const { return paused_ ? 0.0 : rate_; }
    // When the clock reaches stream_ns, in steady ns (UINT64_MAX: never).
    std::uint64_t steady_when(std::uint64_t stream_ns, std::uint64_t steady_now) const;

private:
    double rate_;
    bool paused_ = false;
    std::uint64_t base_stream_ = 0;
    std::uint64_t base_steady_ = 0;
};

class Playback {
public:
    // Maps `path` and starts indexing it; nullptr with `error` set when it
    // cannot be mapped.
    static std::unique_ptr<Playback> open(const std::string& path, double speed, model::TreeConfig tree,
                                          std::string& error);
    ~Playback();  // stops the indexer
    Playback(const Playback&) = delete;
    Playback& operator=(const Playback&) = delete;

    const std::string& description() const { return input_.description(); }
    const std::optional<model::StreamHeader>& header() const { return walker_.header(); }
    // A corrupt or truncated stream, once play reaches the bad part.
    const std::optional<model::DecodeError>& error() const { return walker_.error(); }
    bool finished() const { return walker_.at_end(offset_); }

    // Hands the records due at steady_ns to handler (at most max_records);
    // returns how many.
    std::size_t play(std::uint64_t steady_ns, model::RecordHandler& handler, std::size_t max_records);
    // Records are due that play() has not handed yet.
    bool behind(std::uint64_t steady_ns) const;
    // The tree's clock: the play clock, held just before a record that is
    // due but not handed yet (a backlog), and at the records while loading.
    std::uint64_t now(std::uint64_t steady_ns) const;
    // When the next record is due, in steady ns (UINT64_MAX: none, paused).
    std::uint64_t next_due(std::uint64_t steady_ns) const;
    double rate() const { return loading_ ? 0.0 : clock_.rate(); }
    void set_paused(bool paused, std::uint64_t steady_ns);
    bool paused() const { return clock_.paused(); }

    // Time travel: puts the tree (and the event log and spawner counts
    // beside it) in the state at the new time and plays on from there. ""
    // when done, else one line saying why not.
    std::string seek_by(const model::SeekTarget& state, std::int64_t delta_ns, std::uint64_t steady_ns);
    std::string seek_to(const model::SeekTarget& state, std::string_view typed, std::uint64_t steady_ns);
    // "replay 2x at 19:23:48.123 UTC", "replay done at ...", "loading".
    std::string describe(std::uint64_t steady_ns) const;

private:
    Playback(cli::MappedInput input, double speed, model::TreeConfig tree);
    std::string not_indexed() const;
    void seek(const model::SeekTarget& state, std::uint64_t t, std::uint64_t steady_ns);

    cli::MappedInput input_;
    double speed_;
    model::RecordWalker walker_;
    std::uint64_t offset_;
    std::uint64_t played_ns_ = 0;  // the latest record time handed
    bool started_ = false;
    bool loading_;  // --speed 0 before the end
    PlayClock clock_;
    model::Timeline timeline_;  // the indexer's until ready_
    std::atomic<bool> ready_{false};
    std::atomic<bool> stop_{false};
    std::atomic<int> per_mille_{0};
    std::thread indexer_;
};

}  // namespace proctree::viewer

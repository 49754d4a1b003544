// tui/checkpoint_sink.hpp - puts checkpoints into a stream on its way to a
// publisher: every `interval` of stream time (record timestamps, so that a
// relay restarted on the same input puts them in the same places), a
// complete snapshot with reason PT_SNAPSHOT_CHECKPOINT of the tree the
// stream describes so far. A follower can start at one instead of at the
// stream's first record. The records after a checkpoint are renumbered (and
// image facts' event_seq with them) so that sequence numbers stay
// contiguous. Input it cannot frame passes through untouched: the publisher
// reports it.
#pragma once

#include <proctree/model/decoder.hpp>
#include <proctree/model/feed.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/produce/sink.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace proctree::cli {

class CheckpointSink final : public collect::ByteSink {
public:
    // interval_ns 0: no checkpoints (the stream passes unchanged).
    CheckpointSink(collect::ByteSink& out, std::uint64_t interval_ns);

    bool write(const void* data, std::size_t len) override;
    void flush() override { out_.flush(); }

    std::uint64_t checkpoints() const { return checkpoints_; }
    // A checkpoint before the next record, whatever the interval: after a
    // loss downstream it is the resync that lets followers converge. Any thread.
    void request_checkpoint() { wanted_.store(true); }
    // The first sequence number of the newest checkpoint; nullopt before the first. Any thread.
    std::optional<std::uint64_t> last_checkpoint_seq() const
    {
        std::uint64_t s = last_checkpoint_seq_.load();
        return s == kNone ? std::nullopt : std::optional<std::uint64_t>(s);
    }
    // End of the input: a checkpoint still asked for is written now.
    bool finish();

private:
    bool take_header();
    bool take_record(const char* record, std::uint32_t size);
    bool write_checkpoint();
    bool forward(const char* record, std::uint32_t size);
    std::uint64_t shift_for(std::uint64_t in_seq) const;
    bool pass_through();

    class Renumbering;  // what the checkpoint writer emits, numbered in place

    collect::ByteSink& out_;
    std::uint64_t interval_ns_;
    model::ProcessTree tree_;
    model::TreeFeeder feeder_{tree_};
    model::StreamDecoder decoder_;
    std::string pending_;
    bool header_seen_ = false;
    bool raw_ = false;          // framing failed: everything passes through
    bool in_snapshot_ = false;  // the producer's own snapshot is never split
    std::uint64_t next_due_ns_ = 0;
    std::uint64_t last_time_ns_ = 0;
    std::uint64_t next_out_seq_ = 0;
    std::uint64_t inserted_ = 0;  // records added so far: the shift of what follows
    // (first input seq after a checkpoint, shift from it on); recent ones,
    // for image facts that name an earlier record.
    std::deque<std::pair<std::uint64_t, std::uint64_t>> shifts_;
    std::uint64_t checkpoints_ = 0;
    std::atomic<bool> wanted_{false};
    static constexpr std::uint64_t kNone = UINT64_MAX;
    std::atomic<std::uint64_t> last_checkpoint_seq_{kNone};
};

}  // namespace proctree::cli

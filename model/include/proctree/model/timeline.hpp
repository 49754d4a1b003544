// proctree/model/timeline.hpp - time travel in a recording held whole in
// memory (the caller maps the file and hands the bytes in).
//
// One replay builds an index of checkpoints (copies of the tree spaced
// evenly over the stream, as densely as a memory budget allows); a seek
// restores the nearest earlier checkpoint and replays at most one spacing
// of records.
//
// "The state at time t" is what a replay reaches when it has applied every
// record before the first one stamped after t, with the tree's clock then
// moved to t. (Record times can be slightly out of order across CPUs; a
// player stops at the first later record too, so playing and seeking agree.)
#pragma once

#include <proctree/model/decoder.hpp>
#include <proctree/model/event_log.hpp>
#include <proctree/model/spawners.hpp>
#include <proctree/model/tree.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace proctree::model {

inline constexpr std::uint64_t kForever = std::numeric_limits<std::uint64_t>::max();

// Walks the records of a whole stream from any record boundary.
class RecordWalker {
public:
    explicit RecordWalker(std::span<const std::byte> stream);

    const std::optional<StreamHeader>& header() const { return decoder_.header(); }
    // Set when the header or a record is corrupt or cut short (once walked to).
    const std::optional<DecodeError>& error() const { return decoder_.error(); }
    std::uint64_t first_record() const { return first_record_; }  // offset after the header
    bool at_end(std::uint64_t offset) const { return offset >= stream_.size() || error(); }
    // Time of the record at offset; nullopt at the end or at a bad record.
    std::optional<std::uint64_t> time_at(std::uint64_t offset) const;
    // Hands the records from `offset` on to handler while their time is at
    // most until_ns, at most max_records of them, and moves offset past
    // them. Returns how many it handed. Stops at the end and at a corrupt or
    // truncated record (error() then names its offset).
    std::size_t walk(std::uint64_t& offset, std::uint64_t until_ns, std::size_t max_records, RecordHandler& handler);

private:
    void fail_from(std::uint64_t offset);

    std::span<const std::byte> stream_;
    StreamDecoder decoder_;
    std::uint64_t first_record_ = 0;
};

struct TimelineConfig {
    TreeConfig tree;
    // The closest spacing of checkpoints (records); wider when the memory
    // budget cannot hold one every so many records over the whole stream.
    std::size_t records_per_checkpoint = 16384;
    std::size_t memory_budget = std::size_t{512} << 20;  // all checkpoints together, estimated
    // How often the index notes the log's line count (a few bytes each): a
    // seek then knows how many lines lie before its time without replaying,
    // so it goes back a checkpoint for the log only when it must.
    std::size_t records_per_mark = 1024;
};

// What a seek puts in the state at its time: the tree, and when given the
// event log (its last `capacity` lines) and the spawner counts a replay from
// the start would have built alongside it.
struct SeekTarget {
    ProcessTree& tree;
    EventLog* log = nullptr;
    SpawnerCounts* spawners = nullptr;
    std::uint64_t* replayed = nullptr;  // when given: set to the records the seek applied
};

class Timeline {
public:
    explicit Timeline(std::span<const std::byte> stream, TimelineConfig config = {});
    ~Timeline();
    Timeline(const Timeline&) = delete;
    Timeline& operator=(const Timeline&) = delete;

    // Indexes up to max_records more records; false once the whole stream
    // is indexed (or a corrupt record ended it: walker().error()).
    bool build(std::size_t max_records);
    void build_all()
    {
        while (build(1u << 20)) {}
    }
    bool built() const { return built_; }
    double progress() const;  // fraction of the stream indexed

    const RecordWalker& walker() const { return walker_; }
    std::uint64_t records() const { return records_; }
    std::uint64_t first_ns() const { return first_ns_; }  // the first record's time
    std::uint64_t last_ns() const { return last_ns_; }    // the latest record time seen
    bool empty() const { return records_ == 0; }
    std::size_t checkpoints() const { return checkpoints_.size(); }
    std::size_t checkpoint_bytes() const { return checkpoint_bytes_; }
    // The widest spacing of checkpoints: the most records a seek replays.
    std::size_t records_per_checkpoint() const;

    // Puts `tree` in the state at time t (see the top), keeping its view
    // state; returns the offset of the next record to apply. Works on the
    // part indexed so far.
    std::uint64_t seek(ProcessTree& tree, std::uint64_t t) const { return seek(SeekTarget{tree}, t); }
    // The same for the log and spawner counts too: replays from as many
    // checkpoints back as the log's capacity needs.
    std::uint64_t seek(const SeekTarget& target, std::uint64_t t) const;
    // A typed time (parse_time) within the recording, which runs from the
    // second of its first record to its latest record; else nullopt with
    // `error` saying so in one line. A time in the start's second before
    // the first record is the start.
    std::optional<std::uint64_t> resolve(std::string_view text, std::string& error) const;

private:
    struct Checkpoint {
        std::uint64_t offset = 0;  // the next record to apply
        std::uint64_t index = 0;   // records applied
        std::unique_ptr<const ProcessTree> tree;
        EventLog log{0};  // lines so far (none kept)
        SpawnerCounts::Packed spawners;
    };
    struct LineMark {
        std::uint64_t now_ns = 0;  // the index's clock: no record before the mark is later
        std::uint64_t lines = 0;   // log lines before the mark
    };
    std::uint64_t lines_before(std::uint64_t t) const;  // at least; a replay to t makes this many
    void add_checkpoint();
    void plan_next(std::size_t checkpoint_bytes);
    void thin_out();

    std::span<const std::byte> stream_;
    TimelineConfig config_;
    RecordWalker walker_;
    ProcessTree tree_;  // the replay that builds the index
    EventLog log_{0};   // ... counting log lines
    SpawnerCounts spawners_;
    std::vector<Checkpoint> checkpoints_;
    std::vector<LineMark> marks_;
    std::size_t checkpoint_bytes_ = 0;
    std::uint64_t next_checkpoint_ = 0;  // records applied when the next copy is taken
    std::uint64_t offset_ = 0;
    std::uint64_t records_ = 0;
    std::uint64_t first_ns_ = 0;
    std::uint64_t last_ns_ = 0;
    bool built_ = false;
};

// A time the user typed, as ns since the epoch:
//   "+SECONDS[.fraction]"        from the recording's start (start_ns);
//   "HH:MM:SS[.mmm]"             UTC time of day, on the recording's first
//                                day, or the next one when that is earlier
//                                than the start and the recording reaches it;
//   "YYYY-MM-DD HH:MM:SS[.mmm]"  (or with a T) a UTC date and time.
// nullopt with `error` set (one line) when it is none of these.
std::optional<std::uint64_t> parse_time(std::string_view text, std::uint64_t start_ns, std::uint64_t end_ns,
                                        std::string& error);
// "19:23:48.123": the UTC time of day of a stream time, to the millisecond.
std::string format_clock(std::uint64_t ns);

}  // namespace proctree::model

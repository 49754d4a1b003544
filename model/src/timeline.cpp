// Time travel: walking a stream held in memory, checkpoints, seeks.
#include <proctree/model/timeline.hpp>
#include <proctree/wire.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace proctree::model {

namespace {

// Applies records to a tree, then to the log and spawner counts beside it
// (as the viewer does), counting them and remembering the first one's time.
class ApplyTo final : public RecordHandler {
public:
    // Log lines before `lines_dropped` (counted from the stream's start) are
    // only counted: the log would drop them anyway.
    explicit ApplyTo(const SeekTarget& target, std::uint64_t* records = nullptr, std::uint64_t* first_ns = nullptr,
                     std::uint64_t lines_dropped = 0)
        : target_(target), records_(records), first_ns_(first_ns), lines_dropped_(lines_dropped)
    {}
    void on_record(const Record& r) override
    {
        if (records_ && (*records_)++ == 0) *first_ns_ = r.time_ns;
        target_.tree.apply(r);
        if (target_.log && target_.log->total() < lines_dropped_) target_.log->count(r);
        else if (target_.log) target_.log->add(r, target_.tree);
        if (target_.spawners) target_.spawners->add(r, target_.tree);
    }

private:
    const SeekTarget& target_;
    std::uint64_t* records_;
    std::uint64_t* first_ns_;
    std::uint64_t lines_dropped_;
};

}  // namespace

RecordWalker::RecordWalker(std::span<const std::byte> stream) : stream_(stream)
{
    struct : RecordHandler {
        void on_record(const Record&) override {}
    } none;
    std::size_t n = stream_.size();
    if (n >= PT_STREAM_HEADER_FIXED) {
        pt_stream_header h;
        std::memcpy(&h, stream_.data(), sizeof h);
        n = std::min<std::size_t>(n, std::max<std::size_t>(h.header_size, PT_STREAM_HEADER_FIXED));
    }
    decoder_.feed(stream_.first(n), none);
    if (!decoder_.header()) decoder_.finish();  // says what is wrong with it
    first_record_ = decoder_.bytes_consumed();
}

std::optional<std::uint64_t> RecordWalker::time_at(std::uint64_t offset) const
{
    if (error() || offset + sizeof(pt_record_header) > stream_.size()) return std::nullopt;
    pt_record_header rh;
    std::memcpy(&rh, stream_.data() + offset, sizeof rh);
    return rh.time_ns;
}

void RecordWalker::fail_from(std::uint64_t offset)
{
    struct : RecordHandler {
        void on_record(const Record&) override {}
    } none;
    decoder_.resume_at(offset);
    if (decoder_.feed(stream_.subspan(static_cast<std::size_t>(offset)), none)) decoder_.finish();
}

std::size_t RecordWalker::walk(std::uint64_t& offset, std::uint64_t until_ns, std::size_t max_records,
                               RecordHandler& handler)
{
    std::size_t handed = 0;
    while (handed < max_records && !error() && offset < stream_.size()) {
        std::size_t left = stream_.size() - static_cast<std::size_t>(offset);
        pt_record_header rh;
        if (left < sizeof rh) {
            fail_from(offset);
            break;
        }
        std::memcpy(&rh, stream_.data() + offset, sizeof rh);
        if (rh.size < sizeof rh || rh.size % 8 != 0 || rh.size > left) {
            fail_from(offset);
            break;
        }
        if (rh.time_ns > until_ns) break;
        decoder_.resume_at(offset);
        if (!decoder_.feed(stream_.subspan(static_cast<std::size_t>(offset), rh.size), handler)) break;
        offset += rh.size;
        ++handed;
    }
    return handed;
}

Timeline::Timeline(std::span<const std::byte> stream, TimelineConfig config)
    : stream_(stream), config_(config), walker_(stream), tree_(config.tree)
{
    if (walker_.header()) tree_.apply_header(*walker_.header());
    offset_ = walker_.first_record();
    add_checkpoint();  // the start: no record applied
    built_ = walker_.at_end(offset_);
}

Timeline::~Timeline() = default;

double Timeline::progress() const
{
    if (built_ || stream_.empty()) return 1.0;
    return static_cast<double>(offset_) / static_cast<double>(stream_.size());
}

bool Timeline::build(std::size_t max_records)
{
    SeekTarget index{tree_, &log_, &spawners_};
    ApplyTo feeder(index, &records_, &first_ns_);
    std::size_t per_mark = std::max<std::size_t>(config_.records_per_mark, 1);
    while (!built_ && max_records > 0) {
        std::size_t to_next = static_cast<std::size_t>(next_checkpoint_ - records_);
        std::size_t to_mark = per_mark - static_cast<std::size_t>(records_ % per_mark);
        std::size_t want = std::min({max_records, to_next, to_mark});
        std::size_t got = walker_.walk(offset_, kForever, want, feeder);
        max_records -= got;
        last_ns_ = tree_.now();
        if (got == to_mark) marks_.push_back(LineMark{tree_.now(), log_.total()});
        if (got == to_next) add_checkpoint();
        if (got < want) built_ = true;  // the end, or a corrupt record
    }
    return !built_;
}

void Timeline::add_checkpoint()
{
    auto copy = std::make_unique<const ProcessTree>(tree_);
    SpawnerCounts::Packed spawners(spawners_, tree_.now());
    std::size_t bytes = copy->memory_estimate() + spawners.memory_estimate();
    checkpoint_bytes_ += bytes;
    checkpoints_.push_back(Checkpoint{offset_, records_, std::move(copy), log_, std::move(spawners)});
    while (checkpoint_bytes_ > config_.memory_budget && checkpoints_.size() > 2) thin_out();
    plan_next(bytes);
}

// Spaces the checkpoints still to come evenly over the rest of the stream
// (its size is known: records so far tell how many bytes one takes), as
// densely as what is left of the budget allows at this checkpoint's size
// plus a quarter for growth. A seek replays at most one spacing, so the
// budget is spent on the shortest spacing it affords, not thinned by halves
// after running out.
void Timeline::plan_next(std::size_t checkpoint_bytes)
{
    std::size_t spacing = std::max<std::size_t>(config_.records_per_checkpoint, 1);
    std::uint64_t consumed = offset_ - walker_.first_record();
    if (records_ > 0 && consumed > 0 && checkpoint_bytes > 0) {
        double bytes_per_record = static_cast<double>(consumed) / static_cast<double>(records_);
        double records_left =
            static_cast<double>(stream_.size() - std::min<std::uint64_t>(offset_, stream_.size())) / bytes_per_record;
        std::size_t room = config_.memory_budget - std::min(config_.memory_budget, checkpoint_bytes_);
        double slots = std::floor(static_cast<double>(room) / (static_cast<double>(checkpoint_bytes) * 1.25));
        double even = slots >= 1 ? std::ceil(records_left / slots) : records_left + 1;
        spacing = std::max(spacing, static_cast<std::size_t>(std::min(even, 1e15)));
    }
    next_checkpoint_ = records_ + spacing;
}

std::size_t Timeline::records_per_checkpoint() const
{
    std::uint64_t widest = 0;
    for (std::size_t i = 0; i < checkpoints_.size(); ++i) {
        std::uint64_t next = i + 1 < checkpoints_.size() ? checkpoints_[i + 1].index : records_;
        widest = std::max(widest, next - checkpoints_[i].index);
    }
    return static_cast<std::size_t>(widest);
}

// Keeps every other checkpoint (the start always): half the memory.
void Timeline::thin_out()
{
    std::vector<Checkpoint> kept;
    checkpoint_bytes_ = 0;
    for (std::size_t i = 0; i < checkpoints_.size(); i += 2) {
        checkpoint_bytes_ += checkpoints_[i].tree->memory_estimate() + checkpoints_[i].spawners.memory_estimate();
        kept.push_back(std::move(checkpoints_[i]));
    }
    checkpoints_ = std::move(kept);
}

std::uint64_t Timeline::lines_before(std::uint64_t t) const
{
    auto after = std::upper_bound(marks_.begin(), marks_.end(), t,
                                  [](std::uint64_t v, const LineMark& m) { return v < m.now_ns; });
    return after == marks_.begin() ? 0 : std::prev(after)->lines;
}

std::uint64_t Timeline::seek(const SeekTarget& target, std::uint64_t t) const
{
    // A checkpoint's clock is the latest record time before it: the last
    // one at or before t (and any before it) has applied only records a
    // replay to t applies.
    auto after = std::upper_bound(checkpoints_.begin(), checkpoints_.end(), t,
                                  [](std::uint64_t v, const Checkpoint& c) { return v < c.tree->now(); });
    auto near = std::prev(after);  // the start's clock is 0
    auto from = near;
    // The log keeps its last `capacity` lines: start where at least that
    // many lie before t (the marks tell how many lie before t at least).
    std::uint64_t capacity = target.log ? target.log->capacity() : 0;
    std::uint64_t lines_before_t = std::max(near->log.total(), lines_before(t));
    if (target.log)
        while (from != checkpoints_.begin() && lines_before_t - from->log.total() < capacity) --from;
    ProcessTree& tree = target.tree;
    std::vector<Identity> collapsed(tree.collapsed_ids().begin(), tree.collapsed_ids().end());
    tree.restore(*from->tree);
    if (target.log) *target.log = from->log.resumed(capacity);
    std::uint64_t dropped = lines_before_t > capacity ? lines_before_t - capacity : 0;
    std::uint64_t offset = from->offset;
    std::uint64_t replayed = 0;
    if (from != near) {  // only for the log's sake: up to `near`, whose spawner counts are kept
        RecordWalker early(stream_.first(static_cast<std::size_t>(near->offset)));
        SeekTarget without_spawners{tree, target.log};
        ApplyTo apply(without_spawners, nullptr, nullptr, dropped);
        replayed += early.walk(offset, t, kForever, apply);
    }
    if (target.spawners) *target.spawners = near->spawners.unpack();
    RecordWalker walker(stream_);
    ApplyTo apply(target, nullptr, nullptr, dropped);
    replayed += walker.walk(offset, t, kForever, apply);
    tree.advance(t);
    for (const Identity& id : collapsed) tree.set_collapsed(id, true);  // those created after the checkpoint
    if (target.replayed) *target.replayed = replayed;
    return offset;
}

}  // namespace proctree::model

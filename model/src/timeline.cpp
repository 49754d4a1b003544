// Time travel: walking a stream held in memory, checkpoints, seeks.
#include <proctree/model/timeline.hpp>
#include <proctree/wire.h>

#include <algorithm>
#include <cstring>

namespace proctree::model {

namespace {

// Applies records to a tree, remembering the first record's time.
class IndexFeeder final : public RecordHandler {
public:
    IndexFeeder(ProcessTree& tree, std::uint64_t& records, std::uint64_t& first_ns)
        : tree_(tree), records_(records), first_ns_(first_ns) {}
    void on_record(const Record& r) override
    {
        if (records_++ == 0) first_ns_ = r.time_ns;
        tree_.apply(r);
    }

private:
    ProcessTree& tree_;
    std::uint64_t& records_;
    std::uint64_t& first_ns_;
};

class ApplyTo final : public RecordHandler {
public:
    explicit ApplyTo(ProcessTree& tree) : tree_(tree) {}
    void on_record(const Record& r) override { tree_.apply(r); }

private:
    ProcessTree& tree_;
};

} // namespace

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
    : stream_(stream), config_(config), walker_(stream), tree_(config.tree),
      interval_(std::max<std::size_t>(config.records_per_checkpoint, 1))
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
    IndexFeeder feeder(tree_, records_, first_ns_);
    while (!built_ && max_records > 0) {
        std::size_t to_next = interval_ - static_cast<std::size_t>(records_ % interval_);
        std::size_t want = std::min(max_records, to_next);
        std::size_t got = walker_.walk(offset_, kForever, want, feeder);
        max_records -= got;
        last_ns_ = tree_.now();
        if (got == to_next) add_checkpoint();
        if (got < want) built_ = true;  // the end, or a corrupt record
    }
    return !built_;
}

void Timeline::add_checkpoint()
{
    auto copy = std::make_unique<const ProcessTree>(tree_);
    checkpoint_bytes_ += copy->memory_estimate();
    checkpoints_.push_back(Checkpoint{offset_, records_, std::move(copy)});
    while (checkpoint_bytes_ > config_.memory_budget && checkpoints_.size() > 2) thin_out();
}

// Keeps every other checkpoint (the start always): twice the records
// between them, half the memory.
void Timeline::thin_out()
{
    std::size_t wider = interval_ * 2;
    std::vector<Checkpoint> kept;
    checkpoint_bytes_ = 0;
    for (Checkpoint& c : checkpoints_) {
        if (c.index % wider != 0) continue;
        checkpoint_bytes_ += c.tree->memory_estimate();
        kept.push_back(std::move(c));
    }
    checkpoints_ = std::move(kept);
    interval_ = wider;
}

std::uint64_t Timeline::seek(ProcessTree& tree, std::uint64_t t) const
{
    // A checkpoint's clock is the latest record time before it: the last
    // one at or before t has applied only records a replay to t applies.
    auto after = std::upper_bound(checkpoints_.begin(), checkpoints_.end(), t,
                                  [](std::uint64_t v, const Checkpoint& c) { return v < c.tree->now(); });
    const Checkpoint& from = *std::prev(after);  // the start's clock is 0
    std::vector<Identity> collapsed(tree.collapsed_ids().begin(), tree.collapsed_ids().end());
    tree.restore(*from.tree);
    std::uint64_t offset = from.offset;
    RecordWalker walker(stream_);
    ApplyTo apply(tree);
    walker.walk(offset, t, kForever, apply);
    tree.advance(t);
    for (const Identity& id : collapsed) tree.set_collapsed(id, true);  // those created after the checkpoint
    return offset;
}

} // namespace proctree::model

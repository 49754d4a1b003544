#include "checkpoint_sink.hpp"

#include "wire_bytes.hpp"

#include <proctree/wire.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace proctree::cli {

namespace {

constexpr std::size_t kShiftsKept = 64;  // facts name records far younger than 64 checkpoints

// Exited processes leave at once: a checkpoint lists only the living.
model::TreeConfig checkpoint_tree_config()
{
    model::TreeConfig c;
    c.highlight_ns = 0;
    return c;
}

}  // namespace

// The checkpoint's records go out numbered after the last forwarded one.
class CheckpointSink::Renumbering final : public collect::ByteSink {
public:
    explicit Renumbering(CheckpointSink& owner) : owner_(owner) {}
    bool write(const void* data, std::size_t len) override
    {
        std::string rec(static_cast<const char*>(data), len);
        store(rec.data() + offsetof(pt_record_header, seq), owner_.next_out_seq_++);
        ++owner_.inserted_;
        return owner_.out_.write(rec.data(), rec.size());
    }

private:
    CheckpointSink& owner_;
};

CheckpointSink::CheckpointSink(collect::ByteSink& out, std::uint64_t interval_ns)
    : out_(out), interval_ns_(interval_ns), tree_(checkpoint_tree_config())
{
    shifts_.emplace_back(0, 0);
}

bool CheckpointSink::pass_through()
{
    raw_ = true;
    bool ok = out_.write(pending_.data(), pending_.size());
    pending_.clear();
    return ok;
}

bool CheckpointSink::write(const void* data, std::size_t len)
{
    if (raw_ || interval_ns_ == 0) return out_.write(data, len);
    pending_.append(static_cast<const char*>(data), len);
    if (!header_seen_ && !take_header()) return pass_through();
    std::size_t at = 0;
    bool ok = true;
    while (ok && header_seen_ && pending_.size() - at >= sizeof(pt_record_header)) {
        auto size = load<std::uint32_t>(pending_.data() + at + 4);
        if (size < sizeof(pt_record_header) || size % 8 != 0 || size > PT_MAX_RECORD_SIZE) {
            pending_.erase(0, at);
            return pass_through();
        }
        if (pending_.size() - at < size) break;
        ok = take_record(pending_.data() + at, size);
        at += size;
    }
    pending_.erase(0, at);
    return ok;
}

// true while framing is possible (a whole header taken, or more bytes needed).
bool CheckpointSink::take_header()
{
    if (pending_.size() < PT_STREAM_HEADER_FIXED) return true;
    if (std::memcmp(pending_.data(), PT_WIRE_MAGIC, PT_WIRE_MAGIC_LEN) != 0) return false;
    auto size = load<std::uint16_t>(pending_.data() + 12);
    if (size < PT_STREAM_HEADER_FIXED) return false;
    if (pending_.size() < size) return true;
    decoder_.feed(std::string_view(pending_.data(), size), feeder_);
    if (!out_.write(pending_.data(), size)) return false;
    pending_.erase(0, size);
    header_seen_ = true;
    return true;
}

bool CheckpointSink::take_record(const char* record, std::uint32_t size)
{
    auto type = load<std::uint16_t>(record);
    auto time_ns = load<std::uint64_t>(record + offsetof(pt_record_header, time_ns));
    if (next_due_ns_ == 0) next_due_ns_ = time_ns + interval_ns_;
    if (!in_snapshot_ && tree_.header() && (time_ns >= next_due_ns_ || wanted_.load())) {
        wanted_.store(false);
        if (!write_checkpoint()) return false;
        next_due_ns_ = time_ns + interval_ns_;
    }
    if (type == PT_REC_SNAPSHOT_BEGIN) in_snapshot_ = true;
    if (type == PT_REC_SNAPSHOT_END) in_snapshot_ = false;
    last_time_ns_ = std::max(last_time_ns_, time_ns);
    decoder_.feed(std::string_view(record, size), feeder_);
    return forward(record, size);
}

bool CheckpointSink::finish()
{
    if (raw_ || !header_seen_ || !tree_.header() || in_snapshot_ || !wanted_.exchange(false)) return true;
    return write_checkpoint();
}

std::uint64_t CheckpointSink::shift_for(std::uint64_t in_seq) const
{
    for (auto it = shifts_.rbegin(); it != shifts_.rend(); ++it)
        if (in_seq >= it->first) return it->second;
    return shifts_.front().second;
}

bool CheckpointSink::forward(const char* record, std::uint32_t size)
{
    std::string rec(record, size);
    auto in_seq = load<std::uint64_t>(record + offsetof(pt_record_header, seq));
    next_out_seq_ = in_seq + inserted_;
    store(rec.data() + offsetof(pt_record_header, seq), next_out_seq_++);
    if (load<std::uint16_t>(record) == PT_REC_IMAGE_FACTS && size >= PT_IMAGE_FACTS_FIXED) {
        auto event = load<std::uint64_t>(record + offsetof(pt_image_facts, event_seq));
        if (event != PT_FACTS_EVENT_ELSEWHERE)
            store(rec.data() + offsetof(pt_image_facts, event_seq), event + shift_for(event));
    }
    return out_.write(rec.data(), rec.size());
}

// Parents before children (a walk of the tree, no recursion); each under the
// parent it hangs under now, so a consumer starting here builds the same tree.
bool CheckpointSink::write_checkpoint()
{
    Renumbering renumber(*this);
    collect::WireWriter w(renumber);
    last_checkpoint_seq_.store(next_out_seq_);
    if (!w.snapshot_begin(last_time_ns_, PT_SNAPSHOT_CHECKPOINT, PT_SNAPSHOT_COMPLETE)) return false;
    std::vector<const model::Process*> stack;
    for (const model::Process* p = tree_.first_root(); p; p = p->next_sibling()) stack.push_back(p);
    std::vector<const model::Process*> order;
    // Siblings go out in the tree's order: reverse each level onto the stack.
    std::reverse(stack.begin(), stack.end());
    while (!stack.empty()) {
        const model::Process* p = stack.back();
        stack.pop_back();
        std::size_t mark = stack.size();
        for (const model::Process* c = p->first_child(); c; c = c->next_sibling()) stack.push_back(c);
        std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(mark), stack.end());
        if (p->exited) continue;
        pt_create_args a{};
        a.proc = pt_ident{p->id.pid, 0, p->id.start_ns};
        model::Identity parent = p->parent() ? p->parent()->id : p->recorded_parent;
        a.parent = pt_ident{parent.pid, 0, parent.start_ns};
        a.creator_pid = p->creator_pid;
        a.creator_tid = p->creator_tid;
        a.uid = p->uid;
        a.flags = p->flags;
        a.threads = p->threads;
        a.name = collect::to_pt_str(p->name);
        a.user = collect::to_pt_str(p->user);
        a.image = collect::to_pt_str(p->image);
        a.cmdline = collect::to_pt_str(p->cmdline);
        if (!w.create(last_time_ns_, a)) return false;
    }
    if (!w.snapshot_end(last_time_ns_, PT_SNAPSHOT_CHECKPOINT, PT_SNAPSHOT_COMPLETE)) return false;
    // The records written were numbered from next_out_seq_; what follows shifts by them.
    shifts_.emplace_back(next_out_seq_ - inserted_, inserted_);
    if (shifts_.size() > kShiftsKept) shifts_.pop_front();
    ++checkpoints_;
    return true;
}

}  // namespace proctree::cli

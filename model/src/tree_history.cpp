// What the tree remembers beyond the running processes: exited processes
// (with the resource usage their exit records carried) kept past their
// highlight time (bounded, oldest exits first, dead parents staying for their
// descendants' lineage; a reused pid's predecessors findable beside it) and
// the per-process lists of renames and image loads (bounded per process).
#include <proctree/model/tree.hpp>
#include <proctree/wire.h>

#include <algorithm>

namespace proctree::model {

namespace {

std::size_t heap_bytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

}  // namespace

std::shared_ptr<const ImageFacts> FactsPool::get(const ImageFactsRecord& f)
{
    auto same = [&](const ImageFacts& k) {
        return k.status == f.status && k.error == f.error && k.size == f.file_size && k.sha256 == f.sha256;
    };
    std::weak_ptr<const ImageFacts>& slot = pool_[std::string(f.path)];
    if (auto known = slot.lock(); known && same(*known)) return known;
    auto facts = std::make_shared<ImageFacts>();
    facts->status = f.status;
    facts->error = f.error;
    facts->size = f.file_size;
    facts->sha256 = f.sha256;
    facts->path = f.path;
    slot = facts;
    if (pool_.size() >= prune_at_) {  // paths no process holds any more
        std::erase_if(pool_, [](const auto& kv) { return kv.second.expired(); });
        prune_at_ = std::max<std::size_t>(64, 2 * pool_.size());
    }
    return facts;
}

std::optional<std::uint64_t> Process::cpu_time_ns() const
{
    if (!exited || !(exit_flags & PT_EXIT_CPU_KNOWN)) return std::nullopt;
    return cpu_ns_;
}

std::optional<std::uint64_t> Process::peak_rss_bytes() const
{
    if (!exited || !(exit_flags & PT_EXIT_RSS_KNOWN)) return std::nullopt;
    return peak_rss_;
}

std::size_t ProcessTree::history_bytes(const Process& p)
{
    const ProcessHistory* h = p.history_.get();
    if (!h) return 0;
    std::size_t bytes =
        sizeof(*h) + 32 + h->renames.capacity() * sizeof(NameChange) + h->images.capacity() * sizeof(LoadedImage);
    for (const NameChange& c : h->renames) bytes += heap_bytes(c.before) + heap_bytes(c.after);
    for (const LoadedImage& i : h->images) bytes += heap_bytes(i.path);
    return bytes;
}

// The exited process that this entry of exit_order_ names, if it is still
// kept: the current holder of the identity or one it superseded.
Process* ProcessTree::exited_at(Identity id, std::uint64_t exited_ns) const
{
    Process* p = node(id);
    if (p && p->exited && p->exited_ns == exited_ns) return p;
    auto [begin, end] = superseded_.equal_range(id);
    for (auto it = begin; it != end; ++it)
        if (it->second.exited_ns == exited_ns) return const_cast<Process*>(&it->second);
    return nullptr;
}

// The highlight time of an exited process is over.
void ProcessTree::expire(Process* p)
{
    if (config_.keep_exited) {
        ++generation_;  // red turns dim
        return;
    }
    retire(p);
}

void ProcessTree::set_keep_exited(bool keep)
{
    if (keep == config_.keep_exited) return;
    config_.keep_exited = keep;
    ++generation_;
    if (keep) {
        enforce_history();
        return;
    }
    // Those past their highlight time (and the lineage-only ones) go now;
    // the others leave when their highlight ends, as always.
    std::deque<std::pair<std::uint64_t, Identity>> order;
    order.swap(exit_order_);
    for (const auto& [exited_ns, id] : order) {
        Process* p = exited_at(id, exited_ns);
        if (!p) continue;
        if (p->lineage_only_ || exited_ns + config_.highlight_ns <= now_) retire(p);
        else exit_order_.emplace_back(exited_ns, id);
    }
}

// Entries for processes that already left (or a newer process under the
// same identity) are skipped.
void ProcessTree::drop_stale_exits()
{
    while (!exit_order_.empty()) {
        const auto& [exited_ns, id] = exit_order_.front();
        Process* p = exited_at(id, exited_ns);
        if (p && !p->lineage_only_) return;
        exit_order_.pop_front();
    }
}

// At most config_.history exited processes stay: the oldest exits leave
// first. One with descendants in the tree stays, lineage only, until they
// have all left; it no longer counts against the bound.
void ProcessTree::enforce_history()
{
    drop_stale_exits();
    while (stats_.exited - lineage_only_ > config_.history && !exit_order_.empty()) {
        Process* p = exited_at(exit_order_.front().second, exit_order_.front().first);
        exit_order_.pop_front();
        ++stats_.history_dropped;
        ++generation_;
        if (p->first_child_) {
            p->lineage_only_ = true;
            ++lineage_only_;
        } else {
            retire(p);
        }
        drop_stale_exits();
    }
}

void ProcessTree::note_rename(Process* p, std::uint64_t time_ns, std::string_view name)
{
    ProcessHistory& h = p->history_.make();
    if (h.renames.size() >= config_.renames_per_process) {
        ++h.renames_dropped;
        return;
    }
    h.renames.push_back(NameChange{time_ns, p->name, std::string(name)});
}

void ProcessTree::note_image(const Record& r, const ImageLoad& load)
{
    Process* p = node(load.proc);
    if (!p) return;
    ProcessHistory& h = p->history_.make();
    if (h.images.size() >= config_.images_per_process) {
        ++h.images_dropped;
        return;
    }
    h.images.push_back(LoadedImage{r.time_ns, load.base, load.size, load.flags, std::string(load.path)});
}

// Two held processes share an identity after a pid reused within one tick:
// the serial says which.
const Process* ProcessTree::find(const ProcessRef& ref) const
{
    if (const Process* p = node(ref.id); p && p->serial_ == ref.serial) return p;
    auto [first, last] = superseded_.equal_range(ref.id);
    for (auto it = first; it != last; ++it)
        if (it->second.serial_ == ref.serial) return &it->second;
    return nullptr;
}

// Newest first, along the chain by_pid_ starts.
std::vector<const Process*> ProcessTree::with_pid(std::uint32_t pid, std::uint32_t host) const
{
    std::vector<const Process*> out;
    for (const Process* p = find_pid(pid, host); p; p = p->older_same_pid_) out.push_back(p);
    return out;
}

}  // namespace proctree::model

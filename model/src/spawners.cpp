// Children created per parent: a total, and per-second counts over the last
// 10 s. Parents that left the tree with nothing recent are pruned now and
// then, so a storm of short-lived parents cannot grow the table without bound.
#include <proctree/model/spawners.hpp>

#include <algorithm>

namespace proctree::model {

namespace {

constexpr std::uint64_t kSecNs = 1'000'000'000ull;

}  // namespace

void SpawnerCounts::add(const Record& r, const ProcessTree& tree)
{
    if (const auto* s = std::get_if<Snapshot>(&r.body)) {
        in_snapshot_ = s->begin;
        return;
    }
    const auto* c = std::get_if<ProcessCreate>(&r.body);
    if (!c || in_snapshot_) return;
    const Process* child = tree.find(c->proc);
    const Process* parent = child ? child->parent() : nullptr;
    if (!parent) return;
    Counts& n = counts_[parent->id];
    n.name = parent->name;
    ++n.total;
    std::uint64_t sec = r.time_ns / kSecNs;
    if (n.seconds.empty() || n.seconds.back().first < sec) n.seconds.emplace_back(sec, 0);
    ++n.seconds.back().second;  // a record from the past counts in the newest second
    if (n.seconds.size() > kWindowNs / kSecNs + 1) n.seconds.erase(n.seconds.begin());
    if (counts_.size() >= prune_at_) prune(tree);
}

std::uint64_t SpawnerCounts::recent(const Counts& c, std::uint64_t now_ns) const
{
    std::uint64_t now_sec = now_ns / kSecNs;
    std::uint64_t window = kWindowNs / kSecNs;
    std::uint64_t sum = 0;
    for (const auto& [sec, count] : c.seconds)
        if (sec + window > now_sec && sec <= now_sec) sum += count;
    return sum;
}

std::size_t SpawnerCounts::memory_estimate() const
{
    constexpr std::size_t kNodeOverhead = 64;  // hash node and bucket
    std::size_t bytes = sizeof(*this);
    for (const auto& [id, c] : counts_)
        bytes += sizeof(id) + sizeof(c) + kNodeOverhead + (c.name.capacity() > 15 ? c.name.capacity() + 1 : 0) +
                 c.seconds.capacity() * sizeof(c.seconds.front());
    return bytes;
}

void SpawnerCounts::prune(const ProcessTree& tree)
{
    std::uint64_t now = tree.now();
    std::erase_if(counts_, [&](const auto& item) { return !tree.find(item.first) && recent(item.second, now) == 0; });
    prune_at_ = std::max<std::size_t>(4096, counts_.size() * 2);
}

std::vector<Spawner> SpawnerCounts::top(std::uint64_t now_ns, std::size_t n, bool by_recent) const
{
    std::vector<Spawner> all;
    all.reserve(counts_.size());
    for (const auto& [id, c] : counts_) {
        Spawner s{id, c.name, recent(c, now_ns), c.total, 0};
        s.rate = static_cast<double>(s.recent) / static_cast<double>(kWindowNs / kSecNs);
        if (by_recent ? s.recent > 0 : s.total > 0) all.push_back(std::move(s));
    }
    auto key = [by_recent](const Spawner& s) { return by_recent ? s.recent : s.total; };
    auto better = [&](const Spawner& a, const Spawner& b) { return key(a) != key(b) ? key(a) > key(b) : a.id < b.id; };
    n = std::min(n, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), better);
    all.resize(n);
    return all;
}

SpawnerCounts::Packed::Packed(const SpawnerCounts& counts, std::uint64_t now_ns)
    : prune_at_(counts.prune_at_), in_snapshot_(counts.in_snapshot_)
{
    std::uint64_t now_sec = now_ns / kSecNs, window = kWindowNs / kSecNs;
    entries_.reserve(counts.counts_.size());
    for (const auto& [id, c] : counts.counts_) {
        auto first = static_cast<std::uint32_t>(seconds_.size());
        for (const auto& second : c.seconds)
            if (second.first + window > now_sec) seconds_.push_back(second);
        entries_.push_back(Entry{id, c.total, c.name, first, static_cast<std::uint32_t>(seconds_.size()) - first});
    }
    seconds_.shrink_to_fit();
}

SpawnerCounts SpawnerCounts::Packed::unpack() const
{
    SpawnerCounts out;
    out.prune_at_ = prune_at_;
    out.in_snapshot_ = in_snapshot_;
    out.counts_.reserve(entries_.size());
    for (const Entry& e : entries_) {
        Counts& c = out.counts_[e.id];
        c.name = e.name;
        c.total = e.total;
        c.seconds.assign(seconds_.begin() + e.first_second, seconds_.begin() + e.first_second + e.seconds);
    }
    return out;
}

std::size_t SpawnerCounts::Packed::memory_estimate() const
{
    std::size_t bytes = sizeof(*this) + entries_.capacity() * sizeof(Entry) + seconds_.capacity() * sizeof(seconds_[0]);
    for (const Entry& e : entries_) bytes += e.name.capacity() > 15 ? e.name.capacity() + 1 : 0;
    return bytes;
}

}  // namespace proctree::model

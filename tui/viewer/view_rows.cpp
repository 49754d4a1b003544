#include "view_rows.hpp"

#include <algorithm>
#include <array>

namespace proctree::viewer {

std::span<const SortColumn> sort_columns()
{
    static constexpr std::array<SortColumn, 8> kColumns{{
        {SortKey::Start, "START", false},
        {SortKey::Pid, "PID", false},
        {SortKey::User, "USER", false},
        {SortKey::Cpu, "CPU%", true},
        {SortKey::Rss, "RSS", true},
        {SortKey::State, "S", false},
        {SortKey::Threads, "THR", true},
        {SortKey::Name, "NAME", false},
    }};
    return kColumns;
}

const SortColumn& sort_column(SortKey key)
{
    for (const SortColumn& c : sort_columns())
        if (c.key == key) return c;
    return sort_columns().front();
}

bool sorts_by_usage(SortKey key) { return key == SortKey::Cpu || key == SortKey::Rss || key == SortKey::State; }

namespace {

bool start_before(const model::Process& a, const model::Process& b)
{
    return a.id.start_ns != b.id.start_ns ? a.id.start_ns < b.id.start_ns : a.created_ns < b.created_ns;
}

constexpr auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };

// A sampled figure as a number: -1 when unknown (an exited process: its
// peak RSS where the exit record had it; no CPU% or state any more).
double figure(SortKey key, const model::Process& p, const UsageTable* usage)
{
    const Usage* u = usage && !p.exited ? usage->find(p.id) : nullptr;
    switch (key) {
    case SortKey::Cpu: return u && u->cpu_percent ? *u->cpu_percent : -1.0;
    case SortKey::Rss:
        if (p.exited) return p.peak_rss_bytes() ? static_cast<double>(*p.peak_rss_bytes()) : -1.0;
        return u && u->rss_bytes ? static_cast<double>(*u->rss_bytes) : -1.0;
    case SortKey::State: return u && u->state ? static_cast<double>(u->state) : 1000.0;  // unknown last
    default: return 0;
    }
}

// -1, 0, 1 by the key alone.
int compare(SortKey key, const model::Process& a, const model::Process& b, const UsageTable* usage)
{
    if (sorts_by_usage(key)) return cmp(figure(key, a, usage), figure(key, b, usage));
    switch (key) {
    case SortKey::Start: return 0;
    case SortKey::Pid: return cmp(a.id.pid, b.id.pid);
    case SortKey::User: return cmp(a.user, b.user);
    case SortKey::Name: return cmp(a.name, b.name);
    case SortKey::Threads: return cmp(a.threads, b.threads);
    default: return 0;
    }
}

}  // namespace

model::ProcessLess process_less(const ViewOrder& order, const UsageTable* usage)
{
    bool descending = sort_column(order.key).descending != order.inverted;
    SortKey key = order.key;
    return [key, descending, usage](const model::Process& a, const model::Process& b) {
        int c = compare(key, a, b, usage);
        if (c == 0) return descending && key == SortKey::Start ? start_before(b, a) : start_before(a, b);
        return descending ? c > 0 : c < 0;
    };
}

ViewRows::ViewRows(const model::ProcessTree& tree, const ViewOrder& order, RowCache& cache, const UsageTable* usage)
    : tree_(tree)
{
    if (order.is_default()) return;
    std::uint64_t usage_gen = sorts_by_usage(order.key) && usage ? usage->generation() : 0;
    if (cache.tree != &tree || cache.generation != tree.generation() || !(cache.order == order) ||
        cache.usage_generation != usage_gen) {
        cache.tree = &tree;
        cache.generation = tree.generation();
        cache.usage_generation = usage_gen;
        cache.order = order;
        cache.rows = model::ordered_rows(tree, process_less(order, usage), order.flat);
        cache.index.clear();
        cache.index.reserve(cache.rows.size());
        for (std::size_t i = 0; i < cache.rows.size(); ++i) cache.index.emplace(cache.rows[i].proc->ref().serial, i);
    }
    ordered_ = &cache;
}

std::size_t ViewRows::row_count() const
{
    return ordered_ ? ordered_->rows.size() : model::TreeView(tree_).row_count();
}

std::vector<model::Row> ViewRows::rows(std::size_t first, std::size_t count) const
{
    if (!ordered_) return model::TreeView(tree_).rows(first, count);
    const auto& all = ordered_->rows;
    if (first >= all.size()) return {};
    auto begin = all.begin() + static_cast<std::ptrdiff_t>(first);
    auto end = begin + static_cast<std::ptrdiff_t>(std::min(count, all.size() - first));
    return std::vector<model::Row>(begin, end);
}

std::optional<std::size_t> ViewRows::index_of(const model::ProcessRef& ref) const
{
    if (!ordered_) return model::TreeView(tree_).index_of(ref);
    auto it = ordered_->index.find(ref.serial);
    if (it == ordered_->index.end()) return std::nullopt;
    return it->second;
}

}  // namespace proctree::viewer

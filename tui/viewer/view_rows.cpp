#include "view_rows.hpp"

#include <algorithm>
#include <array>

namespace proctree::viewer {

std::span<const SortColumn> sort_columns()
{
    static constexpr std::array<SortColumn, 5> kColumns{{
        {SortKey::Start, "START", false},
        {SortKey::Pid, "PID", false},
        {SortKey::User, "USER", false},
        {SortKey::Name, "NAME", false},
        {SortKey::Threads, "THR", true},
    }};
    return kColumns;
}

const SortColumn& sort_column(SortKey key)
{
    for (const SortColumn& c : sort_columns())
        if (c.key == key) return c;
    return sort_columns().front();
}

namespace {

bool start_before(const model::Process& a, const model::Process& b)
{
    return a.id.start_ns != b.id.start_ns ? a.id.start_ns < b.id.start_ns : a.created_ns < b.created_ns;
}

// -1, 0, 1 by the key alone.
int compare(SortKey key, const model::Process& a, const model::Process& b)
{
    auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
    switch (key) {
    case SortKey::Start: return 0;
    case SortKey::Pid: return cmp(a.id.pid, b.id.pid);
    case SortKey::User: return cmp(a.user, b.user);
    case SortKey::Name: return cmp(a.name, b.name);
    case SortKey::Threads: return cmp(a.threads, b.threads);
    }
    return 0;
}

}  // namespace

model::ProcessLess process_less(const ViewOrder& order)
{
    bool descending = sort_column(order.key).descending != order.inverted;
    SortKey key = order.key;
    return [key, descending](const model::Process& a, const model::Process& b) {
        int c = compare(key, a, b);
        if (c == 0) return descending && key == SortKey::Start ? start_before(b, a) : start_before(a, b);
        return descending ? c > 0 : c < 0;
    };
}

ViewRows::ViewRows(const model::ProcessTree& tree, const ViewOrder& order, RowCache& cache) : tree_(tree)
{
    if (order.is_default()) return;
    if (cache.tree != &tree || cache.generation != tree.generation() || !(cache.order == order)) {
        cache.tree = &tree;
        cache.generation = tree.generation();
        cache.order = order;
        cache.rows = model::ordered_rows(tree, process_less(order), order.flat);
        cache.index.clear();
        cache.index.reserve(cache.rows.size());
        for (std::size_t i = 0; i < cache.rows.size(); ++i) cache.index.emplace(cache.rows[i].proc->id, i);
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

std::optional<std::size_t> ViewRows::index_of(model::Identity id) const
{
    if (!ordered_) return model::TreeView(tree_).index_of(id);
    auto it = ordered_->index.find(id);
    if (it == ordered_->index.end()) return std::nullopt;
    return it->second;
}

}  // namespace proctree::viewer

// Flattening the tree into rows without visiting what is not shown: the
// per-node row counts let us jump to row `first` and then walk exactly
// `count` rows. Iterative throughout (a 10,000-deep chain must not overflow
// the stack).
#include <proctree/model/view.hpp>

#include <algorithm>

namespace proctree::model {

// Friend access lives in this helper so view.hpp stays free of internals.
class TreeViewAccess {
public:
    static std::uint32_t rows(const Process* p, int k) { return p->rows_[k]; }
    static const Process* root(const ProcessTree& t) { return &t.root_; }
    static bool name_filter(const ProcessTree& t) { return t.match_active_; }
};

struct ViewScope {
    const Process* top = nullptr;           // subtree root the view is limited to (nullptr: whole tree)
    std::vector<const Process*> context{};  // PID filter: ancestors shown above `top` (not shown by an earlier scope)
    std::uint32_t base = 0;                 // depth of the first context row
    std::vector<bool> later{};              // PID filter: at each depth to `top`'s, a later scope continues there
    int k = 0;                              // which row count: 0 all, 1 name filter
};

namespace {

std::uint32_t rows_of(const Process* p, int k) { return TreeViewAccess::rows(p, k); }

const Process* next_visible(const Process* p, int k)
{
    while (p && rows_of(p, k) == 0) p = p->next_sibling();
    return p;
}

// A process and its ancestors, the root first.
std::vector<const Process*> chain_of(const Process* p)
{
    std::vector<const Process*> chain;
    for (; p; p = p->parent()) chain.push_back(p);
    std::reverse(chain.begin(), chain.end());
    return chain;
}

std::size_t common_prefix(const std::vector<const Process*>& a, const std::vector<const Process*>& b)
{
    std::size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
}

// Whether a's subtree comes before b's in the tree's order (neither holds the other).
bool comes_before(const ProcessTree& tree, const std::vector<const Process*>& a, const std::vector<const Process*>& b)
{
    std::size_t n = common_prefix(a, b);
    const Process* first = n == 0 ? tree.first_root() : a[n - 1]->first_child();
    for (const Process* c = first; c; c = c->next_sibling()) {
        if (c == a[n]) return true;
        if (c == b[n]) return false;
    }
    return false;
}

// The PID filter's processes shown (in a fleet, on every host that has
// them; a reused pid's kept predecessors too), each with its ancestors; one
// inside another's subtree is shown by it.
std::vector<std::vector<const Process*>> pid_chains(const ProcessTree& tree, int k)
{
    std::vector<std::vector<const Process*>> chains;
    auto add = [&](std::uint32_t pid, std::uint32_t host) {
        for (const Process* p : tree.with_pid(pid, host))
            if (rows_of(p, k) > 0) chains.push_back(chain_of(p));
    };
    for (std::uint32_t pid : tree.filter().pids) {
        if (tree.host_count() == 0) add(pid, 0);
        for (std::uint32_t host = 1; host <= tree.host_count(); ++host) add(pid, host);
    }
    auto inside = [](const std::vector<const Process*>& c, const std::vector<const Process*>& of) {
        return c.size() >= of.size() && c[of.size() - 1] == of.back();
    };
    std::vector<std::vector<const Process*>> kept;
    for (std::size_t i = 0; i < chains.size(); ++i) {
        bool covered = false;
        for (std::size_t j = 0; j < chains.size() && !covered; ++j)
            covered = j != i && inside(chains[i], chains[j]) && (chains[i] != chains[j] || j < i);
        if (!covered) kept.push_back(chains[i]);
    }
    std::sort(kept.begin(), kept.end(), [&](const auto& a, const auto& b) { return comes_before(tree, a, b); });
    return kept;
}

// What the view shows, scope after scope: the whole tree, or the PID
// filter's processes in tree order, each below those of its ancestors that
// an earlier scope has not shown, so that the scopes read as one tree.
std::vector<ViewScope> scopes_of(const ProcessTree& tree)
{
    const int k = TreeViewAccess::name_filter(tree) ? 1 : 0;
    if (tree.filter().pids.empty()) return {ViewScope{.k = k}};
    std::vector<std::vector<const Process*>> chains = pid_chains(tree, k);
    std::vector<ViewScope> out;
    for (std::size_t i = 0; i < chains.size(); ++i) {
        const std::vector<const Process*>& c = chains[i];
        ViewScope s{.top = c.back(), .k = k};
        s.base = static_cast<std::uint32_t>(i == 0 ? 0 : common_prefix(chains[i - 1], c));
        s.context.assign(c.begin() + s.base, c.end() - 1);
        // The depths at which a later scope branches off this one's path: a
        // later sibling is shown there. Tree order makes the shared depth
        // with later scopes a running minimum.
        s.later.assign(c.size(), false);
        std::size_t shared = c.size();
        for (std::size_t j = i + 1; j < chains.size() && shared > 0; ++j) {
            shared = std::min(shared, common_prefix(chains[j - 1], chains[j]));
            s.later[shared] = true;
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::size_t scope_rows(const ProcessTree& tree, const ViewScope& s)
{
    if (!tree.filter().pids.empty()) return s.top ? s.context.size() + rows_of(s.top, s.k) : 0;
    return rows_of(TreeViewAccess::root(tree), s.k);
}

bool has_later_visible_sibling(const Process* p, int k) { return next_visible(p->next_sibling(), k) != nullptr; }

Row make_row(const ProcessTree& tree, const Process* p, std::uint32_t depth, bool context,
             const std::vector<bool>& bars, bool last, int k)
{
    Row row;
    row.proc = p;
    row.depth = depth;
    row.collapsed = p->collapsed();
    row.has_children = next_visible(p->first_child(), k) != nullptr;
    bool unmatched = TreeViewAccess::name_filter(tree) && !tree.matches_filter(*p);
    if (context || unmatched) {
        row.state = RowState::Context;
    } else {
        switch (tree.state(*p)) {
        case ProcState::New: row.state = RowState::New; break;
        case ProcState::Exiting: row.state = RowState::Exiting; break;
        case ProcState::Exited: row.state = RowState::Exited; break;
        case ProcState::Normal: row.state = RowState::Normal; break;
        }
    }
    if (depth > 0) {
        std::size_t bytes = 7;  // "├─ " / "└─ "
        for (std::uint32_t level = 1; level < depth; ++level) bytes += bars[level] ? 5 : 3;
        row.prefix.reserve(bytes);
        for (std::uint32_t level = 1; level < depth; ++level) row.prefix += bars[level] ? "│  " : "   ";
        row.prefix += last ? "└─ " : "├─ ";
    }
    return row;
}

}  // namespace

std::size_t TreeView::row_count() const
{
    std::size_t n = 0;
    for (const ViewScope& s : scopes_of(tree_)) n += scope_rows(tree_, s);
    return n;
}

std::vector<Row> TreeView::rows(std::size_t first, std::size_t count) const
{
    std::vector<Row> out;
    for (const ViewScope& s : scopes_of(tree_)) {
        if (out.size() == count) break;
        std::size_t n = scope_rows(tree_, s);
        if (first >= n) {
            first -= n;
            continue;
        }
        std::vector<Row> part = rows_in(s, first, count - out.size());
        out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
        first = 0;
    }
    return out;
}

std::vector<Row> TreeView::rows_in(const ViewScope& s, std::size_t first, std::size_t count) const
{
    std::vector<Row> out;
    std::size_t total = scope_rows(tree_, s);
    if (first >= total || count == 0) return out;
    count = std::min(count, total - first);
    out.reserve(count);
    const int k = s.k;

    // bars[level]: the ancestor at `level` has a later visible sibling, so a
    // vertical line runs through this level.
    std::vector<bool> bars = s.later;
    auto depth_of_top = s.base + static_cast<std::uint32_t>(s.context.size());

    // PID filter: the ancestors come first, as context.
    std::size_t idx = first;
    if (s.top) {
        for (std::size_t i = idx; i < s.context.size() && out.size() < count; ++i) {
            auto level = s.base + static_cast<std::uint32_t>(i);
            out.push_back(make_row(tree_, s.context[i], level, true, bars, !s.later[level], k));
        }
        if (out.size() == count) return out;
        idx = idx > s.context.size() ? idx - s.context.size() : 0;
    }

    // Find the node at row `idx` within the scope, recording the path.
    std::vector<const Process*> path;
    const Process* cur;
    if (s.top) {
        cur = s.top;
        path.push_back(cur);
        while (idx > 0) {
            --idx;  // the row of cur itself
            const Process* c = next_visible(cur->first_child(), k);
            while (c && idx >= rows_of(c, k)) {
                idx -= rows_of(c, k);
                c = next_visible(c->next_sibling(), k);
            }
            cur = c;  // non-null: idx < total rows
            path.push_back(cur);
        }
    } else {
        const Process* c = next_visible(tree_.first_root(), k);
        for (;;) {
            while (c && idx >= rows_of(c, k)) {
                idx -= rows_of(c, k);
                c = next_visible(c->next_sibling(), k);
            }
            path.push_back(c);
            if (idx == 0) break;
            --idx;
            c = next_visible(c->first_child(), k);
        }
        cur = c;
    }

    // Depth and the "has a later sibling" flags along the path.
    std::uint32_t depth = depth_of_top + static_cast<std::uint32_t>(path.size()) - 1;
    bars.resize(depth + 1, false);
    for (std::size_t i = 0; i < path.size(); ++i) {
        std::uint32_t level = depth_of_top + static_cast<std::uint32_t>(i);
        bool is_top = s.top && i == 0;
        bars[level] = is_top ? s.later[level] : has_later_visible_sibling(path[i], k);
    }

    // Walk pre-order from cur, never leaving the scope.
    const Process* limit = s.top;  // nullptr: the whole tree
    while (cur && out.size() < count) {
        bool context = false;
        out.push_back(make_row(tree_, cur, depth, context, bars, !bars[depth], k));
        const Process* child = cur->collapsed() ? nullptr : next_visible(cur->first_child(), k);
        if (child) {
            cur = child;
            ++depth;
            if (bars.size() <= depth) bars.resize(depth + 1);
            bars[depth] = has_later_visible_sibling(cur, k);
            continue;
        }
        // Climb until a later visible sibling exists.
        for (;;) {
            if (cur == limit) {
                cur = nullptr;
                break;
            }
            const Process* sib = next_visible(cur->next_sibling(), k);
            if (sib) {
                cur = sib;
                bars[depth] = has_later_visible_sibling(cur, k);
                break;
            }
            cur = cur->parent();
            if (!cur) break;
            --depth;
        }
    }
    return out;
}

std::optional<std::size_t> TreeView::index_of_node(const Process* p) const
{
    if (!p) return std::nullopt;
    std::size_t offset = 0;
    for (const ViewScope& s : scopes_of(tree_)) {
        if (auto i = index_in(s, p)) return offset + *i;
        offset += scope_rows(tree_, s);
    }
    return std::nullopt;
}

std::optional<std::size_t> TreeView::index_in(const ViewScope& s, const Process* p) const
{
    const int k = s.k;
    if (rows_of(p, k) == 0) return std::nullopt;
    if (s.top) {
        for (std::size_t i = 0; i < s.context.size(); ++i)
            if (s.context[i] == p) return i;
    }
    // Rows before p: for p and each ancestor up to the scope's top, the rows
    // of earlier visible siblings, plus one row per ancestor.
    std::size_t index = 0;
    const Process* n = p;
    for (;;) {
        if (n == s.top) break;
        const Process* parent = n->parent();
        if (parent && parent->collapsed()) return std::nullopt;
        const Process* first = parent ? parent->first_child() : tree_.first_root();
        for (const Process* c = first; c != n; c = c->next_sibling()) index += rows_of(c, k);
        if (!parent) {
            if (s.top) return std::nullopt;  // outside the PID filter's subtree
            break;
        }
        index += 1;  // the parent's own row
        n = parent;
    }
    return index + (s.top ? s.context.size() : 0);
}

}  // namespace proctree::model

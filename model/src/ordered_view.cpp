// The ordered view is built from the start-ordered rows: their depths give
// the structure (a row's parent is the nearest earlier row one level up),
// each sibling list is sorted, and the rows are emitted again in pre-order
// with their tree glyphs recomputed. Iterative: deep chains are fine.
#include <proctree/model/ordered_view.hpp>

#include <algorithm>

namespace proctree::model {

namespace {

struct Node {
    std::size_t row;                    // index into the start-ordered rows
    std::vector<std::size_t> children;  // node indices
};

std::string prefix_for(const std::vector<bool>& bars, std::uint32_t depth, bool last)
{
    std::string out;
    if (depth == 0) return out;
    for (std::uint32_t level = 1; level < depth; ++level) out += bars[level] ? "│  " : "   ";
    out += last ? "└─ " : "├─ ";
    return out;
}

std::vector<Row> flat_rows(std::vector<Row> rows, const ProcessLess& less)
{
    std::erase_if(rows, [](const Row& r) { return r.state == RowState::Context; });
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return less(*a.proc, *b.proc); });
    for (Row& r : rows) {
        r.depth = 0;
        r.prefix.clear();
        r.has_children = false;
    }
    return rows;
}

}  // namespace

std::vector<Row> ordered_rows(const ProcessTree& tree, const ProcessLess& less, bool flat)
{
    std::vector<Row> rows = TreeView(tree).all_rows();
    if (flat) return flat_rows(std::move(rows), less);
    // Structure from depths: node 0 is a virtual root above depth 0.
    std::vector<Node> nodes(1);
    nodes.reserve(rows.size() + 1);
    std::vector<std::size_t> open{0};  // open[d + 1]: the node at depth d on the current path
    for (std::size_t i = 0; i < rows.size(); ++i) {
        std::size_t depth = rows[i].depth;
        open.resize(std::min(open.size(), depth + 1));
        std::size_t parent = open.back();
        nodes.push_back(Node{i, {}});
        nodes[parent].children.push_back(nodes.size() - 1);
        open.push_back(nodes.size() - 1);
    }
    auto by_key = [&](std::size_t a, std::size_t b) {
        return less(*rows[nodes[a].row].proc, *rows[nodes[b].row].proc);
    };
    for (Node& n : nodes) std::stable_sort(n.children.begin(), n.children.end(), by_key);
    // Pre-order again, with the glyphs of the new sibling order.
    std::vector<Row> out;
    out.reserve(rows.size());
    std::vector<bool> bars;
    struct Frame {
        std::size_t node;
        std::size_t next = 0;
    };
    std::vector<Frame> stack{{0}};
    while (!stack.empty()) {
        Frame& f = stack.back();
        const Node& n = nodes[f.node];
        if (f.next == n.children.size()) {
            stack.pop_back();
            continue;
        }
        std::size_t child = n.children[f.next++];
        bool last = f.next == n.children.size();
        Row row = rows[nodes[child].row];
        std::uint32_t depth = row.depth;
        if (bars.size() <= depth) bars.resize(depth + 1);
        bars[depth] = !last;
        row.prefix = prefix_for(bars, depth, last);
        out.push_back(std::move(row));
        stack.push_back(Frame{child});
    }
    return out;
}

}  // namespace proctree::model

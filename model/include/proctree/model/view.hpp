// proctree/model/view.hpp - the flattened tree: the rows a screen or an
// export shows, honouring the filter and collapsed subtrees.
//
// rows(first, count) costs O(count + depth * siblings skipped) thanks to the
// row counts the tree maintains; no recursion (a 10,000-deep chain is fine).
#pragma once

#include <proctree/model/tree.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace proctree::model {

enum class RowState : std::uint8_t {
    Normal,
    New,      // created within the highlight time (green)
    Exiting,  // exited within the highlight time (red)
    Exited,   // exited before that, kept (dimmed)
    Context   // shown only as an ancestor of a filter match (dimmed)
};

struct Row {
    const Process* proc = nullptr;
    std::uint32_t depth = 0;
    RowState state = RowState::Normal;
    bool has_children = false;  // visible children exist (under the filter)
    bool collapsed = false;
    // Tree glyphs before the name: "│  ├─ " style, one 3-column cell per level.
    std::string prefix;
};

struct ViewScope;  // view.cpp: the part of the tree shown (the PID filter's)

class TreeView {
public:
    explicit TreeView(const ProcessTree& tree) : tree_(tree) {}

    std::size_t row_count() const;
    std::vector<Row> rows(std::size_t first, std::size_t count) const;
    std::vector<Row> all_rows() const { return rows(0, row_count()); }
    // Index of the row showing this process, if it is visible.
    std::optional<std::size_t> index_of(Identity id) const { return index_of_node(tree_.find(id)); }
    std::optional<std::size_t> index_of(const ProcessRef& ref) const { return index_of_node(tree_.find(ref)); }

private:
    std::optional<std::size_t> index_of_node(const Process* p) const;
    std::vector<Row> rows_in(const ViewScope& s, std::size_t first, std::size_t count) const;
    std::optional<std::size_t> index_in(const ViewScope& s, const Process* p) const;

    const ProcessTree& tree_;
};

}  // namespace proctree::model

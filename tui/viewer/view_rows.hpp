// tui/viewer/view_rows.hpp - the rows the screen shows, in the order the
// user chose: start order (the model's TreeView, O(rows shown)), the tree
// with siblings sorted by a column, or a flat list sorted by it (built by
// the model's ordered_rows and kept until the tree changes).
#pragma once

#include "usage.hpp"

#include <proctree/model/ordered_view.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace proctree::viewer {

enum class SortKey : std::uint8_t {
    Start,
    Pid,
    User,
    Name,
    Threads,
    Cpu,  // the figures sampled for the screen (usage.hpp)
    Rss,
    State
};

struct SortColumn {
    SortKey key;
    std::string_view label;  // "PID", as the header and the menu name it
    bool descending;         // its natural order (biggest first for amounts)
};
std::span<const SortColumn> sort_columns();
const SortColumn& sort_column(SortKey key);
// Whether the order needs the sampled figures of every row in the view.
bool sorts_by_usage(SortKey key);

struct ViewOrder {
    SortKey key = SortKey::Start;
    bool inverted = false;  // I: the other way round
    bool flat = false;      // t / F5: a list, not a tree
    bool is_default() const { return key == SortKey::Start && !inverted && !flat; }
    friend bool operator==(const ViewOrder&, const ViewOrder&) = default;
};

// The order as a comparison of processes (ties: start order). Unknown
// figures (not sampled, no data in this stream) come after known ones.
model::ProcessLess process_less(const ViewOrder& order, const UsageTable* usage = nullptr);

// The last ordered rows, valid while the tree's generation stays the same.
struct RowCache {
    const model::ProcessTree* tree = nullptr;
    std::uint64_t generation = ~0ull;
    std::uint64_t usage_generation = ~0ull;  // when sorted by a sampled figure
    ViewOrder order;
    std::vector<model::Row> rows;
    std::unordered_map<std::uint64_t, std::size_t> index;  // by ProcessRef::serial
};

class ViewRows {
public:
    ViewRows(const model::ProcessTree& tree, const ViewOrder& order, RowCache& cache,
             const UsageTable* usage = nullptr);

    std::size_t row_count() const;
    std::vector<model::Row> rows(std::size_t first, std::size_t count) const;
    std::optional<std::size_t> index_of(const model::ProcessRef& ref) const;
    std::vector<model::Row> all_rows() const { return rows(0, row_count()); }

private:
    const model::ProcessTree& tree_;
    const RowCache* ordered_ = nullptr;  // null: start order, straight from the TreeView
};

}  // namespace proctree::viewer

// proctree/model/ordered_view.hpp - the view's rows in another order than
// start order: the tree with each process's children sorted by a key, or a
// flat list of every shown process sorted by it. The visible set is the
// TreeView's (filter, PID scope, collapsed subtrees); the flat list leaves
// out the rows shown only as the context of a filter match.
//
// Unlike TreeView this costs O(n log n) for the n rows shown: the caller
// keeps the result while tree.generation() stays the same.
#pragma once

#include <proctree/model/view.hpp>

#include <functional>
#include <vector>

namespace proctree::model {

// Strict weak order on processes; ties keep start order.
using ProcessLess = std::function<bool(const Process&, const Process&)>;

std::vector<Row> ordered_rows(const ProcessTree& tree, const ProcessLess& less, bool flat);

}  // namespace proctree::model

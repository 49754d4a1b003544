// Shared helpers for the model tests: feed a built stream into a tree and
// look at the result the way a user would (names, parents, rows).
#pragma once

#include "../support/tree_feed.hpp"

#include <proctree/model/decoder.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace proctree::testing {

inline std::string parent_name(const model::ProcessTree& tree, model::Identity id)
{
    const model::Process* p = tree.find(id);
    if (!p) return "<gone>";
    return p->parent() ? p->parent()->name : "<root>";
}

inline std::vector<std::string> child_names(const model::Process* p)
{
    std::vector<std::string> out;
    for (const model::Process* c = p->first_child(); c; c = c->next_sibling()) out.push_back(c->name);
    return out;
}

// "depth:name" per row, e.g. {"0:init", "1:bash"}.
inline std::vector<std::string> row_names(const model::ProcessTree& tree)
{
    std::vector<std::string> out;
    for (const model::Row& r : model::TreeView(tree).all_rows())
        out.push_back(std::to_string(r.depth) + ":" + r.proc->name);
    return out;
}

}  // namespace proctree::testing

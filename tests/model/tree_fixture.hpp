// Shared helpers for the model tests: feed a built stream into a tree and
// look at the result the way a user would (names, parents, rows).
#pragma once

#include "../support/stream_builder.hpp"

#include <proctree/model/decoder.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace proctree::testing {

struct TreeFeeder : model::RecordHandler {
    explicit TreeFeeder(model::ProcessTree& t) : tree(t) {}
    void on_header(const model::StreamHeader& h) override { tree.apply_header(h); }
    void on_record(const model::Record& r) override { tree.apply(r); }
    model::ProcessTree& tree;
};

// Appends the records of `b` (its header is decoded again: harmless).
inline void feed(model::ProcessTree& tree, const StreamBuilder& b)
{
    model::StreamDecoder d;
    TreeFeeder f(tree);
    ASSERT_TRUE(d.feed(b.bytes(), f));
    ASSERT_TRUE(d.finish()) << d.error()->describe();
}

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

} // namespace proctree::testing

// tests/support/tree_feed.hpp - feeding a built stream into a model tree,
// shared by the model and viewer tests.
#pragma once

#include "stream_builder.hpp"

#include <proctree/model/decoder.hpp>
#include <proctree/model/tree.hpp>

#include <gtest/gtest.h>

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

} // namespace proctree::testing

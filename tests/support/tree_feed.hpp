// tests/support/tree_feed.hpp - feeding a built stream into a model tree,
// shared by the model and viewer tests.
#pragma once

#include "stream_builder.hpp"

#include <proctree/model/feed.hpp>

#include <gtest/gtest.h>

namespace proctree::testing {

// Appends the records of `b` (its header is decoded again: harmless).
inline void feed(model::ProcessTree& tree, const StreamBuilder& b)
{
    model::StreamDecoder d;
    model::TreeFeeder f(tree);
    ASSERT_TRUE(d.feed(b.bytes(), f));
    ASSERT_TRUE(d.finish()) << d.error()->describe();
}

// Like feed(), calling after(record) once the tree has applied each record
// (for what the viewer feeds alongside the tree: the log, spawner counts).
template <class After>
void feed_then(model::ProcessTree& tree, const StreamBuilder& b, After after)
{
    struct Handler : model::RecordHandler {
        model::ProcessTree& tree;
        After& after;
        Handler(model::ProcessTree& t, After& a) : tree(t), after(a) {}
        void on_header(const model::StreamHeader& h) override { tree.apply_header(h); }
        void on_record(const model::Record& r) override
        {
            tree.apply(r);
            after(r);
        }
    } handler(tree, after);
    model::StreamDecoder d;
    ASSERT_TRUE(d.feed(b.bytes(), handler));
    ASSERT_TRUE(d.finish()) << d.error()->describe();
}

}  // namespace proctree::testing

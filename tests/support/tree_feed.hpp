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

} // namespace proctree::testing

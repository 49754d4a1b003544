// proctree/model/feed.hpp - decoded records applied to a tree, for every
// consumer that wants only the tree (snapshot, tests, benchmarks). The
// viewer's session does more per record and has its own handler.
#pragma once

#include <proctree/model/decoder.hpp>
#include <proctree/model/tree.hpp>

namespace proctree::model {

class TreeFeeder : public RecordHandler {
public:
    explicit TreeFeeder(ProcessTree& tree) : tree_(tree) {}
    void on_header(const StreamHeader& header) override { tree_.apply_header(header); }
    void on_record(const Record& record) override { tree_.apply(record); }

private:
    ProcessTree& tree_;
};

}  // namespace proctree::model

// A fleet in one tree (TreeConfig::hosts): the hosts' streams cut at record
// boundaries and laid end to end, each piece behind its host's header.
#include <proctree/model/decoder.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>
#include <proctree/wire.h>

#include "../support/stream_builder.hpp"

#include <gtest/gtest.h>

namespace proctree::model {
namespace {

using proctree::testing::StreamBuilder;

class Apply final : public RecordHandler {
public:
    explicit Apply(ProcessTree& t) : tree(t) {}
    void on_header(const StreamHeader& h) override { tree.apply_header(h); }
    void on_record(const Record& r) override { tree.apply(r); }
    ProcessTree& tree;
};

// Builds one host's stream; pieces() hands out what came since the last call.
struct Host {
    explicit Host(std::string_view name) : b(name, PT_OS_LINUX, PT_SOURCE_EBPF, 1000)
    {
        header = b.bytes();
        taken = header.size();
    }
    std::string piece()
    {
        std::string out = header + b.bytes().substr(taken);
        taken = b.bytes().size();
        return out;
    }
    StreamBuilder b;
    std::string header;
    std::size_t taken = 0;
};

// pid 1 and its children 100, 101, the same (pid, start) on every host.
void boot(Host& h)
{
    h.b.snapshot(1000, true).create(1000, {1, 10}, {0, 0}, "init").snapshot(1000, false);
    h.b.create(1100, {100, 1100}, {1, 10}, "job").create(1200, {101, 1200}, {1, 10}, "other");
}

struct Fixture {
    Fixture()
        : tree([] {
              TreeConfig c;
              c.highlight_ns = 0;
              c.hosts = true;
              return c;
          }())
    {
        decoder.accept_concatenated(true);
    }
    void feed(const std::string& bytes) { ASSERT_TRUE(decoder.feed(bytes, apply)) << decoder.error()->describe(); }
    const Process* at(std::uint32_t host, std::uint32_t pid, std::uint64_t start) const
    {
        return tree.find(Identity{pid, start, host});
    }
    ProcessTree tree;
    StreamDecoder decoder;
    Apply apply{tree};
};

TEST(TreeHosts, EqualPidsOnTwoHostsNeverMeet)
{
    Fixture f;
    Host a("alpha"), b("beta");
    boot(a);
    boot(b);
    f.feed(a.piece());
    f.feed(b.piece());
    ASSERT_EQ(f.tree.host_count(), 2u);
    EXPECT_EQ(f.tree.host(1)->name, "alpha");
    EXPECT_EQ(f.tree.host(2)->name, "beta");
    EXPECT_EQ(f.tree.size(), 6u);
    EXPECT_EQ(f.tree.stats().living, 6u);
    const Process* a100 = f.at(1, 100, 1100);
    const Process* b100 = f.at(2, 100, 1100);
    ASSERT_TRUE(a100 && b100);
    EXPECT_NE(a100, b100);
    EXPECT_EQ(a100->parent(), f.at(1, 1, 10));
    EXPECT_EQ(a100->parent()->parent(), f.tree.host_node(1));
    EXPECT_TRUE(f.tree.host_node(1)->is_host());
    EXPECT_EQ(f.tree.host_node(1)->parent(), nullptr);
    EXPECT_EQ(f.tree.find_pid(100, 2), b100);

    // host alpha's 100 exits: beta's stays, untouched
    a.b.exit(1300, {100, 1100}, 0);
    f.feed(a.piece());
    f.tree.advance(2000);
    EXPECT_EQ(f.at(1, 100, 1100), nullptr);
    ASSERT_EQ(f.at(2, 100, 1100), b100);
    EXPECT_FALSE(b100->exited);
    EXPECT_EQ(f.tree.host(1)->living, 2u);
    EXPECT_EQ(f.tree.host(2)->living, 3u);

    // the rows: each host a top-level node with its tree below
    std::vector<std::string> rows;
    for (const Row& r : TreeView(f.tree).all_rows()) rows.push_back(std::string(r.depth, ' ') + r.proc->name);
    EXPECT_EQ(rows, (std::vector<std::string>{"alpha", " init", "  other", "beta", " init", "  job", "  other"}));
}

TEST(TreeHosts, AHostsCompleteSnapshotLeavesTheOtherHostAlone)
{
    Fixture f;
    Host a("alpha"), b("beta");
    boot(a);
    boot(b);
    f.feed(a.piece());
    f.feed(b.piece());
    // alpha resyncs in two pieces with a piece of beta between them: beta's
    // new process is no part of alpha's snapshot, and alpha's only lists init.
    a.b.snapshot(1500, true, PT_SNAPSHOT_RESYNC).create(1500, {1, 10}, {0, 0}, "init");
    f.feed(a.piece());
    b.b.create(1550, {300, 1550}, {1, 10}, "late");
    f.feed(b.piece());
    a.b.snapshot(1600, false, PT_SNAPSHOT_RESYNC);
    f.feed(a.piece());
    f.tree.advance(5000);
    EXPECT_EQ(f.at(1, 100, 1100), nullptr);
    EXPECT_EQ(f.at(1, 101, 1200), nullptr);
    EXPECT_NE(f.at(1, 1, 10), nullptr);
    for (std::uint32_t pid : {1u, 100u, 101u, 300u}) EXPECT_NE(f.tree.find_pid(pid, 2), nullptr) << pid;
    EXPECT_TRUE(f.tree.find_pid(300, 2)->created_ns == 1550 && !f.tree.find_pid(300, 2)->from_snapshot);
    EXPECT_EQ(f.tree.host(1)->living, 1u);
    EXPECT_EQ(f.tree.host(2)->living, 4u);
}

TEST(TreeHosts, LossIsPerHostAndStaleUntilItsCompleteSnapshot)
{
    Fixture f;
    Host a("alpha"), b("beta");
    boot(a);
    boot(b);
    a.b.lost(1300, 7);
    f.feed(a.piece());
    f.feed(b.piece());
    EXPECT_EQ(f.tree.host(1)->events_lost, 7u);
    EXPECT_TRUE(f.tree.host(1)->stale);
    EXPECT_EQ(f.tree.host(2)->events_lost, 0u);
    EXPECT_FALSE(f.tree.host(2)->stale);
    a.b.snapshot(1500, true, PT_SNAPSHOT_RESYNC).create(1500, {1, 10}, {0, 0}, "init");
    a.b.snapshot(1500, false, PT_SNAPSHOT_RESYNC);
    f.feed(a.piece());
    EXPECT_FALSE(f.tree.host(1)->stale);
    EXPECT_EQ(f.tree.host(1)->events_lost, 7u);
    EXPECT_EQ(f.tree.host(1)->last_record_ns, 1500u);
}

TEST(TreeHosts, FiltersWorkAcrossHosts)
{
    Fixture f;
    Host a("alpha"), b("beta");
    boot(a);
    boot(b);
    f.feed(a.piece());
    f.feed(b.piece());
    Filter filter;
    filter.name = "job";
    f.tree.set_filter(filter);
    std::vector<std::string> rows;
    for (const Row& r : TreeView(f.tree).all_rows()) rows.push_back(r.proc->name);
    EXPECT_EQ(rows, (std::vector<std::string>{"alpha", "init", "job", "beta", "init", "job"}));
    // a host's name is no match by itself
    filter.name = "alpha";
    f.tree.set_filter(filter);
    EXPECT_EQ(TreeView(f.tree).row_count(), 0u);

    // a PID filter: that process on every host that has it, under its ancestors
    a.b.create(1300, {500, 1300}, {100, 1100}, "child");
    f.feed(a.piece());
    Filter by_pid;
    by_pid.pids = {100};
    f.tree.set_filter(by_pid);
    TreeView view(f.tree);
    rows.clear();
    for (const Row& r : view.all_rows()) rows.push_back(std::string(r.depth, ' ') + r.proc->name);
    EXPECT_EQ(rows, (std::vector<std::string>{"alpha", " init", "  job", "   child", "beta", " init", "  job"}));
    EXPECT_EQ(view.row_count(), 7u);
    EXPECT_EQ(view.index_of(f.at(2, 100, 1100)->id), 6u);
    EXPECT_EQ(view.index_of(f.at(1, 500, 1300)->id), 3u);
    EXPECT_FALSE(view.index_of(f.at(2, 101, 1200)->id));
    ASSERT_EQ(view.rows(5, 10).size(), 2u);
    EXPECT_EQ(view.rows(5, 10)[0].proc, f.at(2, 1, 10));
}

TEST(TreeHosts, OneStreamWithoutHostsIsUnchanged)
{
    ProcessTree tree;
    StreamDecoder d;
    Apply apply(tree);
    Host a("alpha");
    boot(a);
    ASSERT_TRUE(d.feed(a.piece(), apply));
    EXPECT_EQ(tree.host_count(), 0u);
    EXPECT_NE(tree.find(Identity{100, 1100}), nullptr);
    EXPECT_EQ(tree.find(Identity{100, 1100})->parent(), tree.find(Identity{1, 10}));
    EXPECT_EQ(tree.size(), 3u);
}

}  // namespace
}  // namespace proctree::model

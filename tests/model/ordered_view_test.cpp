// Unit tests for model/src/ordered_view.cpp: siblings sorted by a key with
// the glyphs recomputed, the flat list, filters and collapse kept, and a
// start-order key giving exactly the TreeView's rows.
#include "tree_fixture.hpp"

#include <proctree/model/ordered_view.hpp>

using namespace proctree::model;
using namespace proctree::testing;

namespace {
constexpr std::uint64_t T0 = 1'700'000'000'000'000'000ull;

// init ─┬ sshd ─ bash ─ vim
//       ├ cron ─ backup
//       └ atd
StreamBuilder family()
{
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init")
        .create(T0 + 1, {20, T0 + 1}, {1, T0}, "sshd")
        .create(T0 + 2, {3, T0 + 2}, {20, T0 + 1}, "bash")
        .create(T0 + 3, {4, T0 + 3}, {3, T0 + 2}, "vim", "vim notes.txt")
        .create(T0 + 4, {5, T0 + 4}, {1, T0}, "cron")
        .create(T0 + 5, {6, T0 + 5}, {5, T0 + 4}, "backup", "backup --to=/srv")
        .create(T0 + 6, {7, T0 + 6}, {1, T0}, "atd");
    return b;
}

std::vector<std::string> lines(const std::vector<Row>& rows)
{
    std::vector<std::string> out;
    for (const Row& r : rows) out.push_back(r.prefix + r.proc->name);
    return out;
}

bool by_name(const Process& a, const Process& b) { return a.name < b.name; }
bool by_pid_desc(const Process& a, const Process& b) { return a.id.pid > b.id.pid; }

}  // namespace

TEST(OrderedView, SiblingsSortedWithGlyphsRecomputed)
{
    ProcessTree tree;
    feed(tree, family());
    EXPECT_EQ(lines(ordered_rows(tree, by_name, false)),
              (std::vector<std::string>{"init", "├─ atd", "├─ cron", "│  └─ backup", "└─ sshd", "   └─ bash",
                                        "      └─ vim"}));
    EXPECT_EQ(lines(ordered_rows(tree, by_pid_desc, false)),
              (std::vector<std::string>{"init", "├─ sshd", "│  └─ bash", "│     └─ vim", "├─ atd", "└─ cron",
                                        "   └─ backup"}));
}

TEST(OrderedView, StartOrderIsTheTreeView)
{
    ProcessTree tree;
    feed(tree, family());
    auto start = [](const Process& a, const Process& b) { return a.id.start_ns < b.id.start_ns; };
    EXPECT_EQ(lines(ordered_rows(tree, start, false)), lines(TreeView(tree).all_rows()));
}

TEST(OrderedView, FlatListSortedByTheKey)
{
    ProcessTree tree;
    feed(tree, family());
    auto rows = ordered_rows(tree, by_pid_desc, true);
    EXPECT_EQ(lines(rows), (std::vector<std::string>{"sshd", "atd", "backup", "cron", "vim", "bash", "init"}));
    for (const Row& r : rows) {
        EXPECT_EQ(r.depth, 0u);
        EXPECT_FALSE(r.has_children);
    }
}

TEST(OrderedView, FilterAndCollapseKept)
{
    ProcessTree tree;
    feed(tree, family());
    Filter f;
    f.name = "vim";
    tree.set_filter(f);
    // The tree keeps the match's ancestors (as context); the flat list only the match.
    EXPECT_EQ(lines(ordered_rows(tree, by_name, false)),
              (std::vector<std::string>{"init", "└─ sshd", "   └─ bash", "      └─ vim"}));
    EXPECT_EQ(lines(ordered_rows(tree, by_name, true)), (std::vector<std::string>{"vim"}));
    tree.set_filter({});
    tree.set_collapsed({5, T0 + 4}, true);
    auto rows = ordered_rows(tree, by_name, false);
    EXPECT_EQ(lines(rows),
              (std::vector<std::string>{"init", "├─ atd", "├─ cron", "└─ sshd", "   └─ bash", "      └─ vim"}));
    EXPECT_TRUE(rows[2].collapsed);
}

TEST(OrderedView, DeepChainIsIterative)
{
    ProcessTree tree;
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "p");
    for (std::uint32_t i = 2; i <= 3'000; ++i) b.create(T0 + i, {i, T0 + i}, {i - 1, i == 2 ? T0 : T0 + i - 1}, "p");
    feed(tree, b);
    auto rows = ordered_rows(tree, by_name, false);
    ASSERT_EQ(rows.size(), 3'000u);
    EXPECT_EQ(rows.back().depth, 2'999u);
}

// Unit tests for model/src/view.cpp: glyphs, filters, collapse, and the
// incremental row counts checked against a naive flatten on random trees.
#include "tree_fixture.hpp"

#include <algorithm>
#include <cctype>
#include <random>

using namespace proctree::model;
using namespace proctree::testing;

namespace {
constexpr std::uint64_t T0 = 1'700'000'000'000'000'000ull;

StreamBuilder family()
{
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init")
        .create(T0 + 1, {2, T0 + 1}, {1, T0}, "sshd")
        .create(T0 + 2, {3, T0 + 2}, {2, T0 + 1}, "bash")
        .create(T0 + 3, {4, T0 + 3}, {3, T0 + 2}, "vim", "vim notes.txt")
        .create(T0 + 4, {5, T0 + 4}, {1, T0}, "cron")
        .create(T0 + 5, {6, T0 + 5}, {5, T0 + 4}, "backup", "backup --to=/srv/VIMFILES");
    return b;
}

std::vector<std::string> glyph_lines(const ProcessTree& tree)
{
    std::vector<std::string> out;
    for (const Row& r : TreeView(tree).all_rows()) out.push_back(r.prefix + r.proc->name);
    return out;
}

}  // namespace

TEST(View, TreeGlyphsLikePstree)
{
    ProcessTree tree;
    feed(tree, family());
    EXPECT_EQ(glyph_lines(tree),
              (std::vector<std::string>{"init", "├─ sshd", "│  └─ bash", "│     └─ vim", "└─ cron", "   └─ backup"}));
}

TEST(View, NameFilterShowsMatchesWithAncestorsAsContext)
{
    ProcessTree tree;
    feed(tree, family());
    tree.set_filter(Filter{"VIM", false, {}});
    auto rows = TreeView(tree).all_rows();
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[3].proc->name, "vim");
    EXPECT_NE(rows[3].state, RowState::Context);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(rows[i].state, RowState::Context) << rows[i].proc->name;
    EXPECT_EQ(rows[1].prefix, "└─ ");  // cron's branch is hidden: sshd is the last shown child

    tree.set_filter(Filter{"vim", true, {}});  // also command lines: backup matches
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:sshd", "2:bash", "3:vim", "1:cron", "2:backup"}));
}

TEST(View, NameFilterFollowsLaterProcessesAndExecs)
{
    ProcessTree tree;
    feed(tree, family());
    tree.set_filter(Filter{"make", false, {}});
    EXPECT_EQ(TreeView(tree).row_count(), 0u);
    StreamBuilder b;
    b.create(T0 + 10, {7, T0 + 10}, {3, T0 + 2}, "sh").exec(T0 + 11, {7, T0 + 10}, "make", "make -j2");
    feed(tree, b);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:sshd", "2:bash", "3:make"}));
}

TEST(View, PidFilterShowsAncestorsAndWholeSubtreeIncludingLaterDescendants)
{
    ProcessTree tree;
    feed(tree, family());
    tree.set_filter(Filter{"", false, {2u}});
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:sshd", "2:bash", "3:vim"}));
    EXPECT_EQ(TreeView(tree).all_rows()[0].state, RowState::Context);
    StreamBuilder b;
    b.create(T0 + 10, {8, T0 + 10}, {4, T0 + 3}, "later-child").create(T0 + 11, {9, T0 + 11}, {5, T0 + 4}, "elsewhere");
    feed(tree, b);
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:sshd", "2:bash", "3:vim", "4:later-child"}));
    tree.set_filter(Filter{});
    EXPECT_EQ(TreeView(tree).row_count(), 8u);
}

TEST(View, PidFilterOfSeveralPidsShowsTheUnionOfTheirSubtreesAsOneTree)
{
    ProcessTree tree;
    feed(tree, family());
    tree.set_filter(Filter{"", false, {6u, 3u}});  // listed out of tree order
    EXPECT_EQ(glyph_lines(tree),
              (std::vector<std::string>{"init", "├─ sshd", "│  └─ bash", "│     └─ vim", "└─ cron", "   └─ backup"}));
    auto rows = TreeView(tree).all_rows();
    EXPECT_EQ(rows[0].state, RowState::Context);
    EXPECT_EQ(rows[4].state, RowState::Context);
    EXPECT_NE(rows[5].state, RowState::Context);
    EXPECT_EQ(TreeView(tree).index_of({6, T0 + 5}), 5u);
    EXPECT_EQ(TreeView(tree).rows(4, 2).size(), 2u);
    EXPECT_EQ(tree.filter().describe(), "pid=6,3");

    // A listed process inside another's subtree, a repeat and an unknown PID add nothing.
    tree.set_filter(Filter{"", false, {2u, 4u, 2u, 4242u}});
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:sshd", "2:bash", "3:vim"}));
    tree.set_filter(Filter{"", false, {4u, 5u}});
    EXPECT_EQ(glyph_lines(tree),
              (std::vector<std::string>{"init", "├─ sshd", "│  └─ bash", "│     └─ vim", "└─ cron", "   └─ backup"}));
}

TEST(View, PidFilterForAnUnknownPidShowsNothing)
{
    ProcessTree tree;
    feed(tree, family());
    tree.set_filter(Filter{"", false, {4242u}});
    EXPECT_EQ(TreeView(tree).row_count(), 0u);
    EXPECT_TRUE(TreeView(tree).all_rows().empty());
}

TEST(View, CollapseHidesTheSubtreeAndIsKeptPerIdentity)
{
    ProcessTree tree;
    feed(tree, family());
    tree.toggle_collapsed({2, T0 + 1});
    auto rows = TreeView(tree).all_rows();
    EXPECT_EQ(row_names(tree), (std::vector<std::string>{"0:init", "1:sshd", "1:cron", "2:backup"}));
    EXPECT_TRUE(rows[1].collapsed);
    EXPECT_TRUE(rows[1].has_children);
    // A new descendant of a collapsed process stays hidden.
    StreamBuilder b;
    b.create(T0 + 20, {10, T0 + 20}, {3, T0 + 2}, "hidden");
    feed(tree, b);
    EXPECT_EQ(TreeView(tree).row_count(), 4u);
    EXPECT_FALSE(TreeView(tree).index_of({10, T0 + 20}));
    tree.toggle_collapsed({2, T0 + 1});
    EXPECT_EQ(TreeView(tree).row_count(), 7u);
    EXPECT_EQ(TreeView(tree).index_of({10, T0 + 20}), 4u);
}

TEST(View, StatesNewExitingNormal)
{
    ProcessTree tree(TreeConfig{1000});
    StreamBuilder b;
    b.snapshot(T0, true)
        .create(T0, {1, T0 - 1}, {0, 0}, "old")
        .snapshot(T0, false)
        .create(T0 + 10, {2, T0 + 10}, {1, T0 - 1}, "young")
        .create(T0 + 10, {3, T0 + 10}, {1, T0 - 1}, "dying")
        .exit(T0 + 20, {3, T0 + 10}, 0, 9, PT_EXIT_SIGNALED);
    feed(tree, b);
    auto rows = TreeView(tree).all_rows();
    EXPECT_EQ(rows[0].state, RowState::Normal);
    EXPECT_EQ(rows[1].state, RowState::New);
    EXPECT_EQ(rows[2].state, RowState::Exiting);
}

// --- random trees against a naive flatten --------------------------------

namespace {

bool naive_match(const Process& p, const Filter& f)
{
    if (f.name.empty()) return true;
    auto has = [&](const std::string& s) {
        std::string a = s, n = f.name;
        for (auto& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return a.find(n) != std::string::npos;
    };
    return has(p.name) || (f.match_cmdline && has(p.cmdline));
}

bool naive_visible(const Process* p, const Filter& f)
{
    if (naive_match(*p, f)) return true;
    for (const Process* c = p->first_child(); c; c = c->next_sibling())
        if (naive_visible(c, f)) return true;
    return false;
}

void naive_walk(const Process* p, std::uint32_t depth, const Filter& f, std::vector<std::string>& out)
{
    for (; p; p = p->next_sibling()) {
        if (!naive_visible(p, f)) continue;
        out.push_back(std::to_string(depth) + ":" + std::to_string(p->id.pid));
        if (!p->collapsed()) naive_walk(p->first_child(), depth + 1, f, out);
    }
}

// A PID filter's scope: in the subtree of a listed PID's process, or an
// ancestor of one shown.
using Tops = std::vector<const Process*>;

bool naive_in_subtree(const Process* p, const Tops& tops)
{
    for (; p; p = p->parent())
        if (std::find(tops.begin(), tops.end(), p) != tops.end()) return true;
    return false;
}

bool naive_holds_top(const Process* p, const Filter& f, const Tops& tops)
{
    if (naive_in_subtree(p, tops)) return naive_visible(p, f);
    for (const Process* c = p->first_child(); c; c = c->next_sibling())
        if (naive_holds_top(c, f, tops)) return true;
    return false;
}

void naive_pid_walk(const Process* p, std::uint32_t depth, const Filter& f, const Tops& tops,
                    std::vector<std::string>& out)
{
    for (; p; p = p->next_sibling()) {
        if (naive_in_subtree(p, tops)) {
            if (!naive_visible(p, f)) continue;
            out.push_back(std::to_string(depth) + ":" + std::to_string(p->id.pid));
            if (!p->collapsed()) naive_walk(p->first_child(), depth + 1, f, out);
        } else if (naive_holds_top(p, f, tops)) {  // context: shown whether collapsed or not
            out.push_back(std::to_string(depth) + ":" + std::to_string(p->id.pid));
            naive_pid_walk(p->first_child(), depth + 1, f, tops, out);
        }
    }
}

std::vector<std::string> naive_rows(const ProcessTree& tree)
{
    std::vector<std::string> out;
    const Filter& f = tree.filter();
    Tops tops;  // every process in the tree with a filtered pid: a reused pid's predecessors too
    auto collect = [&](auto& self, const Process* p) -> void {
        for (; p; p = p->next_sibling()) {
            if (std::find(f.pids.begin(), f.pids.end(), p->id.pid) != f.pids.end()) tops.push_back(p);
            self(self, p->first_child());
        }
    };
    collect(collect, tree.first_root());
    if (!f.pids.empty()) naive_pid_walk(tree.first_root(), 0, f, tops, out);
    else naive_walk(tree.first_root(), 0, f, out);
    return out;
}

std::vector<std::string> fast_rows(const ProcessTree& tree, std::size_t first, std::size_t count)
{
    std::vector<std::string> out;
    for (const Row& r : TreeView(tree).rows(first, count))
        out.push_back(std::to_string(r.depth) + ":" + std::to_string(r.proc->id.pid));
    return out;
}

}  // namespace

TEST(View, IncrementalCountsAgreeWithANaiveFlattenOnRandomHistories)
{
    const char* names[] = {"alpha", "beta", "gamma", "delta", "Alphabet"};
    for (unsigned seed = 1; seed <= 25; ++seed) {
        std::mt19937 rng(seed);
        ProcessTree tree(TreeConfig{50});
        std::vector<Identity> alive;
        std::uint64_t t = T0;
        for (int step = 0; step < 400; ++step) {
            StreamBuilder b;
            int op = static_cast<int>(rng() % 10);
            t += 1 + rng() % 20;
            if (op < 5 || alive.empty()) {
                Identity parent = alive.empty() || rng() % 8 == 0 ? Identity{} : alive[rng() % alive.size()];
                auto pid = static_cast<std::uint32_t>(2 + rng() % 300);  // small space: pids get reused
                Identity id{pid, t};
                if (rng() % 10 == 0)
                    parent = Identity{static_cast<std::uint32_t>(2 + rng() % 300), t + 5};  // parent "from the future"
                b.create(t, {id.pid, id.start_ns}, {parent.pid, parent.start_ns}, names[rng() % 5], "cmd --x");
                alive.push_back(id);
            } else if (op < 7) {
                std::size_t i = rng() % alive.size();
                b.exit(t, {alive[i].pid, alive[i].start_ns}, 0);
                alive.erase(alive.begin() + static_cast<long>(i));
            } else if (op == 7) {
                tree.toggle_collapsed(alive[rng() % alive.size()]);
            } else if (op == 8) {
                Filter f;
                switch (rng() % 4) {
                case 0: break;
                case 1: f.name = "ALPHA"; break;
                case 2:
                    f.name = "x";
                    f.match_cmdline = rng() % 2;
                    break;
                case 3:
                    for (std::size_t n = 1 + rng() % 3; n > 0; --n) f.pids.push_back(alive[rng() % alive.size()].pid);
                    break;
                }
                tree.set_filter(f);
            } else {
                auto& id = alive[rng() % alive.size()];
                b.exec(t, {id.pid, id.start_ns}, names[rng() % 5], "exec'd");
            }
            feed(tree, b);
            auto expected = naive_rows(tree);
            ASSERT_EQ(TreeView(tree).row_count(), expected.size()) << "seed " << seed << " step " << step;
            std::size_t first = expected.empty() ? 0 : rng() % expected.size();
            std::size_t count = 1 + rng() % 15;
            std::vector<std::string> slice(expected.begin() + static_cast<long>(first),
                                           expected.begin() +
                                               static_cast<long>(std::min(expected.size(), first + count)));
            ASSERT_EQ(fast_rows(tree, first, count), slice) << "seed " << seed << " step " << step;
            if (!expected.empty()) {
                const Row r = TreeView(tree).rows(first, 1)[0];
                ASSERT_EQ(TreeView(tree).index_of(r.proc->id), first) << "seed " << seed << " step " << step;
            }
        }
    }
}

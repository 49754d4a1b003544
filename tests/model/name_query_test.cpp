// Unit tests for model/src/name_query.cpp (the name filter's syntax) and the
// tree's filter parts built on it: alternatives, exclusions, users, kernel
// threads hidden.
#include "tree_fixture.hpp"

#include <proctree/model/name_query.hpp>
#include <proctree/model/view.hpp>
#include <proctree/wire.h>

using namespace proctree::model;
using namespace proctree::testing;

TEST(NameQuery, AlternativesAndExclusions)
{
    NameQuery q = parse_name_query(" SSH | bash |!sshd-session| ");
    EXPECT_EQ(q.any, (std::vector<std::string>{"ssh", "bash"}));
    EXPECT_EQ(q.none, (std::vector<std::string>{"sshd-session"}));
    EXPECT_TRUE(q.matches("sshd", "", false));
    EXPECT_TRUE(q.matches("Bash", "", false));
    EXPECT_FALSE(q.matches("sshd-session", "", false));
    EXPECT_FALSE(q.matches("vim", "vim ssh.txt", false));
    EXPECT_TRUE(q.matches("vim", "vim ssh.txt", true));  // --cmdline
}

TEST(NameQuery, OnlyExclusionsPassTheRest)
{
    NameQuery q = parse_name_query("!kworker");
    EXPECT_TRUE(q.matches("bash", "", false));
    EXPECT_FALSE(q.matches("kworker/0:1", "", false));
    EXPECT_TRUE(parse_name_query("|| ! |").empty());
}

TEST(TreeFilter, UsersAndKernelThreads)
{
    constexpr std::uint64_t T0 = 1'700'000'000'000'000'000ull;
    StreamBuilder b;
    b.create(T0, {1, T0}, {0, 0}, "init", "", "root")
        .create(T0 + 1, {2, T0 + 1}, {0, 0}, "kthreadd", "", "root", "", 1, PT_PROC_KERNEL_THREAD)
        .create(T0 + 2, {3, T0 + 2}, {2, T0 + 1}, "kworker/0:1", "", "root", "", 1, PT_PROC_KERNEL_THREAD)
        .create(T0 + 3, {4, T0 + 3}, {1, T0}, "bash", "-bash", "alice")
        .create(T0 + 4, {5, T0 + 4}, {1, T0}, "make", "make", "bob");
    ProcessTree tree;
    feed(tree, b);
    EXPECT_EQ(TreeView(tree).row_count(), 5u);
    Filter f;
    f.hide_kernel_threads = true;
    tree.set_filter(f);
    EXPECT_TRUE(tree.filter().empty());         // a view setting, not a search
    EXPECT_EQ(TreeView(tree).row_count(), 3u);  // init, bash, make
    f.users = {"alice"};
    tree.set_filter(f);
    auto rows = TreeView(tree).all_rows();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].proc->name, "init");
    EXPECT_EQ(rows[0].state, RowState::Context);  // root's, shown for context
    EXPECT_EQ(rows[1].proc->name, "bash");
    EXPECT_EQ(tree.filter().describe(), "user=alice");
    f.users.clear();
    f.hide_kernel_threads = false;
    f.name = "bash|make";
    tree.set_filter(f);
    EXPECT_EQ(TreeView(tree).row_count(), 3u);
}

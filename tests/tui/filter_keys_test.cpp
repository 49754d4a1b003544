// The filter keys: u chooses a user from those present, K hides and shows
// kernel threads, c makes the name filter match command lines, and Esc
// clears the searches but keeps those two view settings.
#include "keys_fixture.hpp"

using namespace proctree;
using namespace proctree::testing;
using viewer::Key;
using viewer::Mode;
using viewer::Request;

namespace {

using FilterKeys = KeysFixture;

TEST_F(FilterKeys, UChoosesAUserFromThosepresent)
{
    EXPECT_EQ(ch('u'), Request::Redraw);
    EXPECT_EQ(ui.mode, Mode::User);
    EXPECT_EQ(ui.user_choices, (std::vector<std::string>{"", "alice", "bob", "root"}));
    EXPECT_NE(row_with("Show the processes of"), -1) << grid.text();
    EXPECT_NE(row_with("every user"), -1);
    key(Key::Down);
    key(Key::Down);  // bob
    key(Key::Enter);
    EXPECT_EQ(ui.mode, Mode::Normal);
    EXPECT_EQ(tree.filter().users, std::vector<std::string>{"bob"});
    EXPECT_EQ(tree.filter().describe(), "user=bob");
    EXPECT_NE(row_with("cc -c x.c"), -1);
    EXPECT_EQ(row_with("vim notes"), -1) << "alice's processes are hidden";
    ch('u');
    EXPECT_EQ(ui.user_choice, 2u) << "the menu opens on the user shown";
    key(Key::Up);
    key(Key::Up);
    key(Key::Enter);  // every user
    EXPECT_TRUE(tree.filter().users.empty());
    EXPECT_NE(row_with("vim notes"), -1);
}

TEST_F(FilterKeys, KTogglesKernelThreadsAndTheStatusLineSaysSo)
{
    StreamBuilder b("box");
    b.create(T0 + 10 * kSec, Id{2, T0 - 200 * kSec}, {}, "kthreadd", "", "root", "", 1, PT_PROC_KERNEL_THREAD);
    feed(tree, b);
    status.kernel_threads_seen = true;  // the session saw its create
    draw();
    EXPECT_NE(row_with("kthreadd"), -1);
    EXPECT_EQ(ch('K'), Request::Redraw);
    EXPECT_TRUE(tree.filter().hide_kernel_threads);
    EXPECT_EQ(row_with("kthreadd"), -1);
    EXPECT_NE(row_with("kthreads hidden (K)"), -1) << grid.text();
    EXPECT_NE(row_with("sleep 1000"), -1);
    key(Key::Escape);  // clears searches, not this
    EXPECT_TRUE(tree.filter().hide_kernel_threads);
    ch('K');
    EXPECT_FALSE(tree.filter().hide_kernel_threads);
    EXPECT_NE(row_with("kthreadd"), -1);
    EXPECT_EQ(row_with("kthreads hidden"), -1);
}

TEST_F(FilterKeys, CMakesTheNameFilterMatchCommandLines)
{
    model::Filter f;
    f.name = "notes";  // only in vim's command line
    tree.set_filter(f);
    draw();
    EXPECT_EQ(row_with("vim notes"), -1);
    EXPECT_EQ(ch('c'), Request::Redraw);
    EXPECT_TRUE(tree.filter().match_cmdline);
    EXPECT_NE(row_with("vim notes"), -1);
    EXPECT_NE(row_with("filter cmdline~notes"), -1) << grid.text();
    key(Key::Escape);
    EXPECT_TRUE(tree.filter().name.empty());
    EXPECT_TRUE(tree.filter().match_cmdline);
}

}  // namespace

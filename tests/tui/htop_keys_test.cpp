// htop's keys where they mean the same: F1/h help, F3 and n/N search that
// hides nothing, F4 and \ filter, + - * collapse, Ctrl-L, F9's signal menu,
// F10 quits, and a hint (once) for a key that does nothing.
#include "keys_fixture.hpp"

#include "viewer/session.hpp"
#include "viewer/signals.hpp"

#include <csignal>

using namespace proctree;
using namespace proctree::testing;
using viewer::Event;
using viewer::Key;
using viewer::Mode;
using viewer::Request;

namespace {

using HtopKeys = KeysFixture;

TEST_F(HtopKeys, HelpFromF1AndH_QOrF10ClosesIt)
{
    for (auto open : {+[](HtopKeys& t) { return t.fn(1); }, +[](HtopKeys& t) { return t.ch('h'); }}) {
        EXPECT_EQ(open(*this), Request::Redraw);
        EXPECT_EQ(ui.mode, Mode::Help);
        EXPECT_NE(row_with("proctree - keys"), -1);
        EXPECT_EQ(ch('q'), Request::Redraw);
        EXPECT_EQ(ui.mode, Mode::Normal);
    }
    fn(1);
    EXPECT_EQ(fn(10), Request::Redraw);
    EXPECT_EQ(ui.mode, Mode::Normal);
    EXPECT_EQ(fn(10), Request::Quit);
}

TEST_F(HtopKeys, SearchJumpsWithoutHiding)
{
    std::size_t rows = model::TreeView(tree).row_count();
    EXPECT_EQ(fn(3), Request::Redraw);
    EXPECT_EQ(ui.mode, Mode::Search);
    EXPECT_NE(row_with("Search"), -1);
    type("c");  // live: the first row from here holding "c": cc (make -j2 has no c in its name)
    EXPECT_EQ(selected_pid(), 301u);
    key(Key::Enter);
    EXPECT_EQ(ui.mode, Mode::Normal);
    EXPECT_TRUE(tree.filter().empty());
    EXPECT_EQ(model::TreeView(tree).row_count(), rows);  // nothing hidden
    ui.search = "s";                                     // bash, sleep
    ch('n');
    EXPECT_EQ(selected_pid(), 100u);  // wraps around to bash
    ch('n');
    EXPECT_EQ(selected_pid(), 200u);
    ch('N');
    EXPECT_EQ(selected_pid(), 100u);
    ui.search = "nomatch";
    ch('n');
    EXPECT_EQ(selected_pid(), 100u);
    EXPECT_NE(ui.hint.find("no process matches"), std::string::npos);
}

TEST_F(HtopKeys, SearchEscapeGoesBack)
{
    key(Key::Down);
    std::uint32_t before = selected_pid();
    fn(3);
    type("cc");
    EXPECT_EQ(selected_pid(), 301u);
    key(Key::Escape);
    EXPECT_EQ(selected_pid(), before);
}

TEST_F(HtopKeys, F4AndBackslashFilterLikeSlash)
{
    for (auto open : {+[](HtopKeys& t) { return t.fn(4); }, +[](HtopKeys& t) { return t.ch('\\'); }}) {
        open(*this);
        EXPECT_EQ(ui.mode, Mode::EditName);
        type("vim");
        key(Key::Enter);
        EXPECT_EQ(tree.filter().name, "vim");
        key(Key::Escape);
        EXPECT_TRUE(tree.filter().empty());
    }
}

TEST_F(HtopKeys, PlusMinusAndStarCollapse)
{
    key(Key::Down);  // bash
    EXPECT_EQ(selected_pid(), 100u);
    EXPECT_EQ(ch('-'), Request::Redraw);
    EXPECT_TRUE(tree.is_collapsed({kBash.pid, kBash.start_ns}));
    EXPECT_EQ(ch('-'), Request::None);  // already collapsed
    EXPECT_EQ(ch('+'), Request::Redraw);
    EXPECT_FALSE(tree.is_collapsed({kBash.pid, kBash.start_ns}));
    ch('*');  // collapse every subtree: only the root shows
    EXPECT_EQ(model::TreeView(tree).row_count(), 1u);
    ch('*');  // and expand everything again
    EXPECT_EQ(model::TreeView(tree).row_count(), 6u);
}

TEST_F(HtopKeys, CtrlLRepaints) { EXPECT_EQ(key(Key::Redraw), Request::Repaint); }

TEST_F(HtopKeys, UnboundKeysHintOnce)
{
    EXPECT_EQ(fn(2), Request::Redraw);
    EXPECT_EQ(ui.hint, "F2: no setup screen; see --help and ~/.config/proctree/config");
    ui.hint.clear();
    EXPECT_EQ(fn(2), Request::None);  // once
    EXPECT_EQ(ui.hint, "");
    EXPECT_EQ(ch('Z'), Request::Redraw);
    EXPECT_EQ(ui.hint, "Z: not a key here; ? lists the keys");
    EXPECT_EQ(fn(7), Request::Redraw);
    EXPECT_NE(ui.hint.find("nice"), std::string::npos);
    // j/k stay movement keys.
    ch('j');
    EXPECT_EQ(selected_pid(), 100u);
    ch('k');
    EXPECT_EQ(selected_pid(), 1u);
}

TEST_F(HtopKeys, F9OnAStreamSaysItCannotSignal)
{
    ui.can_signal = false;
    ui.cannot_signal = "F9: x.ptr comes from a stream; its processes cannot be signalled from here";
    key(Key::Down);
    EXPECT_EQ(fn(9), Request::Redraw);
    EXPECT_EQ(ui.mode, Mode::Normal);
    EXPECT_EQ(ui.hint, ui.cannot_signal);
}

TEST_F(HtopKeys, F9MenuShowsPidNameAndSignalsTermFirst)
{
    ui.can_signal = true;
    key(Key::Down);
    fn(9);
    ASSERT_EQ(ui.mode, Mode::Signal);
    int title = row_with("Send a signal to 100 bash");
    ASSERT_NE(title, -1) << grid.text();
    EXPECT_NE(grid.row_text(title + 1).find("15 TERM"), std::string::npos);
    EXPECT_TRUE(grid.at(0, title + 1).style.reverse);  // TERM, the default
    EXPECT_NE(row_with(" 9 KILL"), -1);
    key(Key::Down);
    EXPECT_EQ(viewer::signal_choices()[ui.signal_choice].number, SIGKILL);
    EXPECT_EQ(key(Key::Enter), Request::Signal);
    EXPECT_EQ(ui.mode, Mode::Normal);
    ASSERT_TRUE(ui.signal_target);
    EXPECT_EQ(ui.signal_target->id.pid, 100u);
    // Esc cancels.
    fn(9);
    EXPECT_EQ(key(Key::Escape), Request::Redraw);
    EXPECT_FALSE(ui.signal_target);
}

int g_sent_pid = 0, g_sent_signal = 0;
int record_signal(int pid, int sig)
{
    g_sent_pid = pid;
    g_sent_signal = sig;
    return 0;
}

TEST(SessionSignal, SendsTheChosenSignalToARunningProcessOnly)
{
    viewer::ViewerOptions o;
    viewer::Session s(o);
    s.start_detached();
    s.set_signal_sender(&record_signal);
    proctree::testing::StreamBuilder b = small_stream();
    const std::string first = b.bytes();
    s.feed(first, kSec);
    s.ui().can_signal = true;
    const model::ProcessRef vim = s.tree().find(model::Identity{kVim.pid, kVim.start_ns})->ref();
    s.ui().signal_target = vim;
    s.ui().signal_choice = 1;  // KILL
    s.send_signal(kSec);
    EXPECT_EQ(g_sent_pid, 101);
    EXPECT_EQ(g_sent_signal, SIGKILL);
    EXPECT_EQ(s.status().notice, "sent KILL to 101 (vim)");
    g_sent_pid = 0;
    s.ui().signal_target = model::ProcessRef{model::Identity{kVim.pid, kVim.start_ns + 1}};  // not that process
    s.send_signal(kSec);
    EXPECT_EQ(g_sent_pid, 0);
    EXPECT_NE(s.status().notice.find("no signal sent"), std::string::npos);
    // vim exits and its pid is reused within the same clock tick (the same
    // identity): the menu chose vim, so its successor gets no signal.
    b.exit(T0 + kSec, kVim, 0).create(T0 + kSec, kVim, kBash, "other", "other", "alice");
    s.feed(std::string_view(b.bytes()).substr(first.size()), 2 * kSec);
    ASSERT_EQ(s.tree().find(model::Identity{kVim.pid, kVim.start_ns})->name, "other");
    s.ui().signal_target = vim;
    s.send_signal(2 * kSec);
    EXPECT_EQ(g_sent_pid, 0);
    EXPECT_EQ(s.status().notice, "101 has exited; no signal sent");
}

}  // namespace

namespace {

std::vector<std::uint32_t> shown_pids(const viewer::UiState& ui, const model::ProcessTree& tree)
{
    std::vector<std::uint32_t> out;
    viewer::RowCache cache;
    for (const model::Row& r : viewer::ViewRows(tree, ui.order, cache).all_rows()) out.push_back(r.proc->id.pid);
    return out;
}

TEST_F(HtopKeys, F6MenuSortsSiblingsAndTFlattens)
{
    EXPECT_EQ(shown_pids(ui, tree), (std::vector<std::uint32_t>{1, 100, 101, 200, 300, 301}));
    fn(6);
    ASSERT_EQ(ui.mode, Mode::Sort);
    EXPECT_NE(row_with("Sort by"), -1);
    key(Key::Down);  // PID
    key(Key::Enter);
    EXPECT_EQ(ui.order.key, viewer::SortKey::Pid);
    ch('I');  // descending: siblings with the biggest PID first
    EXPECT_EQ(shown_pids(ui, tree), (std::vector<std::uint32_t>{1, 300, 301, 100, 200, 101}));
    EXPECT_NE(grid.row_text(0).find("[tree, by PID desc]"), std::string::npos) << grid.row_text(0);
    ch('t');  // the flat list
    EXPECT_EQ(shown_pids(ui, tree), (std::vector<std::uint32_t>{301, 300, 200, 101, 100, 1}));
    EXPECT_NE(grid.row_text(0).find("[list, by PID desc]"), std::string::npos);
    EXPECT_EQ(grid.row_text(1).substr(0, 7), "    301");
    fn(5);  // F5: the tree again
    EXPECT_FALSE(ui.order.flat);
    ch('>');  // the next column: USER (alice, bob)
    EXPECT_EQ(ui.order.key, viewer::SortKey::User);
    EXPECT_FALSE(ui.order.inverted);
    ch('<');
    ch('<');
    EXPECT_EQ(ui.order.key, viewer::SortKey::Start);
    EXPECT_EQ(grid.row_text(0).find("["), std::string::npos);
}

TEST_F(HtopKeys, SelectionFollowsItsProcessWhenTheOrderChanges)
{
    key(Key::End);  // cc, 301
    EXPECT_EQ(selected_pid(), 301u);
    ui.order.flat = true;
    ui.order.key = viewer::SortKey::Pid;
    ui.order.inverted = true;
    draw();
    EXPECT_EQ(selected_pid(), 301u);
    EXPECT_EQ(ui.sel_index, 0u);
    key(Key::Down);
    EXPECT_EQ(selected_pid(), 300u);
}

}  // namespace

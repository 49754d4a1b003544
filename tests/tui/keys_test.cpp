// The key layer driven with events: movement, collapse, filters typed live,
// PID filter, exports, pause, help, quit, mouse.
#include "tui_fixture.hpp"

#include "keys_fixture.hpp"

using namespace proctree;
using namespace proctree::testing;
using viewer::Event;
using viewer::Key;
using viewer::Request;

namespace {

TEST_F(KeysFixture, ArrowsAndJkMove)
{
    EXPECT_EQ(selected_pid(), 1u);  // the first row is selected at start
    key(Key::Down);
    EXPECT_EQ(selected_pid(), 100u);
    ch('j');
    EXPECT_EQ(selected_pid(), 101u);
    ch('k');
    EXPECT_EQ(selected_pid(), 100u);
    key(Key::Up);
    key(Key::Up);  // stays at the top
    EXPECT_EQ(selected_pid(), 1u);
    key(Key::End);
    EXPECT_EQ(selected_pid(), 301u);
    key(Key::Down);
    EXPECT_EQ(selected_pid(), 301u);
    key(Key::Home);
    EXPECT_EQ(selected_pid(), 1u);
    key(Key::PageDown);
    EXPECT_EQ(selected_pid(), 301u);  // a page is longer than the 6 rows
    key(Key::PageUp);
    EXPECT_EQ(selected_pid(), 1u);
}

TEST_F(KeysFixture, SpaceCollapsesAndExpands)
{
    key(Key::Down);  // bash
    EXPECT_EQ(rows(), 6u);
    ch(' ');
    EXPECT_EQ(rows(), 4u);
    EXPECT_NE(row_with("▶ bash"), -1);
    ch(' ');
    EXPECT_EQ(rows(), 6u);
}

TEST_F(KeysFixture, EnterOpensDetailsThatFollowTheSelectionEnterOrEscCloses)
{
    grid.resize(100, 30);
    key(Key::Down);  // bash
    key(Key::Enter);
    EXPECT_EQ(ui.pane, viewer::Pane::Details);
    EXPECT_NE(row_with("details: bash (100)"), -1);
    key(Key::Down);  // vim: the pane follows
    EXPECT_NE(row_with("details: vim (101)"), -1);
    EXPECT_NE(row_with("parents: bash (100) < init (1)"), -1);
    EXPECT_EQ(rows(), 6u);  // Enter no longer collapses
    key(Key::Enter);
    EXPECT_EQ(ui.pane, viewer::Pane::None);
    key(Key::Enter);
    key(Key::Escape);
    EXPECT_EQ(ui.pane, viewer::Pane::None);
    EXPECT_EQ(row_with("details:"), -1);
}

TEST_F(KeysFixture, XTogglesKeepingExitedProcesses)
{
    EXPECT_FALSE(tree.keep_exited());
    ch('x');
    EXPECT_TRUE(tree.keep_exited());
    ch('x');
    EXPECT_FALSE(tree.keep_exited());
}

TEST_F(KeysFixture, TabGivesThePaneTheArrowKeys)
{
    grid.resize(100, 16);
    key(Key::Enter);
    ASSERT_EQ(ui.pane, viewer::Pane::Details);
    key(Key::Tab);
    EXPECT_TRUE(ui.pane_focus);
    key(Key::Down);
    EXPECT_EQ(selected_pid(), 1u);  // the pane scrolled, not the selection
    EXPECT_EQ(ui.pane_scroll, 1u);
    key(Key::End);
    EXPECT_GT(ui.pane_scroll, 1u);
    key(Key::Tab);
    key(Key::Down);
    EXPECT_EQ(selected_pid(), 100u);
}

TEST_F(KeysFixture, SlashFiltersLiveEnterKeepsEscCancels)
{
    EXPECT_EQ(ch('/'), Request::Redraw);
    EXPECT_EQ(ui.mode, viewer::Mode::EditName);
    type("vi");
    EXPECT_EQ(tree.filter().name, "vi");  // live, before Enter
    EXPECT_EQ(rows(), 3u);                // init, bash (context), vim
    EXPECT_NE(row_with("Filter by name: vi"), -1);
    key(Key::Backspace);
    EXPECT_EQ(tree.filter().name, "v");
    ch('i');
    key(Key::Enter);
    EXPECT_EQ(ui.mode, viewer::Mode::Normal);
    EXPECT_EQ(tree.filter().name, "vi");
    // A second / edits; Esc restores what was kept.
    ch('/');
    type("m");
    EXPECT_EQ(tree.filter().name, "vim");
    key(Key::Escape);
    EXPECT_EQ(tree.filter().name, "vi");
    EXPECT_EQ(ui.mode, viewer::Mode::Normal);
    // Esc in normal mode clears all filters.
    key(Key::Escape);
    EXPECT_TRUE(tree.filter().empty());
    EXPECT_EQ(rows(), 6u);
}

TEST_F(KeysFixture, PidFilterTakesDigitsThenEnter)
{
    ch('p');
    EXPECT_EQ(ui.mode, viewer::Mode::EditPid);
    type("3x0");  // non-digits are ignored
    EXPECT_TRUE(tree.filter().pids.empty());
    EXPECT_NE(row_with("Filter by PID: 30"), -1);
    ch('0');
    key(Key::Enter);
    EXPECT_EQ(tree.filter().pids, std::vector<std::uint32_t>{300u});
    EXPECT_EQ(selected_pid(), 300u);
    EXPECT_EQ(rows(), 3u);  // init, make, cc
    // Esc cancels a PID being typed.
    ch('p');
    type("1");
    key(Key::Escape);
    EXPECT_EQ(tree.filter().pids, std::vector<std::uint32_t>{300u});
    key(Key::Escape);
    EXPECT_TRUE(tree.filter().empty());
}

TEST_F(KeysFixture, PidFilterTakesAListSeparatedByCommas)
{
    ch('p');
    type("300,,1,");
    key(Key::Enter);
    EXPECT_EQ(tree.filter().pids, (std::vector<std::uint32_t>{300u, 1u}));
    EXPECT_EQ(tree.filter().describe(), "pid=300,1");
    ch('p');
    key(Key::Enter);  // empty: no PID filter
    EXPECT_TRUE(tree.filter().pids.empty());
}

TEST_F(KeysFixture, NameAndPidFiltersCombineAndEscClearsBoth)
{
    ch('p');
    type("1");
    key(Key::Enter);
    ch('/');
    type("cc");
    key(Key::Enter);
    EXPECT_EQ(tree.filter().describe().empty(), false);
    EXPECT_FALSE(tree.filter().pids.empty());
    EXPECT_EQ(tree.filter().name, "cc");
    key(Key::Escape);
    EXPECT_TRUE(tree.filter().empty());
}

TEST_F(KeysFixture, ExportPauseHelpQuit)
{
    EXPECT_EQ(ch('s'), Request::ExportText);
    EXPECT_EQ(ch('S'), Request::ExportJson);
    EXPECT_EQ(ch('P'), Request::Redraw);
    EXPECT_TRUE(ui.paused);
    EXPECT_NE(row_with("PAUSED"), -1);
    ch('P');
    EXPECT_FALSE(ui.paused);
    EXPECT_EQ(ch('?'), Request::Redraw);
    EXPECT_EQ(ui.mode, viewer::Mode::Help);
    EXPECT_NE(row_with("proctree - keys"), -1);
    ch('x');  // any key closes help
    EXPECT_EQ(ui.mode, viewer::Mode::Normal);
    ch('?');
    EXPECT_EQ(ch('q'), Request::Redraw);  // q on the help page closes the help, like htop
    EXPECT_EQ(ui.mode, viewer::Mode::Normal);
    EXPECT_EQ(ch('q'), Request::Quit);
}

TEST_F(KeysFixture, QuitWorksWhenTooSmall)
{
    grid.resize(20, 3);
    draw();
    EXPECT_EQ(ch('j'), Request::None);
    EXPECT_EQ(ch('q'), Request::Quit);
}

TEST_F(KeysFixture, ClickSelectsWheelScrolls)
{
    // Row 4 of the screen is the 4th tree row (the header is row 0).
    key(Key::Click);  // a click outside the body changes nothing
    EXPECT_EQ(ctl.handle(Event::click(10, 0)), Request::None);
    EXPECT_EQ(ctl.handle(Event::click(10, 4)), Request::Redraw);
    draw();
    EXPECT_EQ(selected_pid(), 200u);
    EXPECT_EQ(ctl.handle(Event::click(10, 9)), Request::None);  // below the last row

    StreamBuilder b("box");
    for (std::uint32_t i = 0; i < 40; ++i) b.create(T0, Id{1000 + i, T0}, {}, "w" + std::to_string(i), "", "root");
    feed(tree, b);
    draw();
    key(Key::Home);
    key(Key::WheelDown);
    EXPECT_EQ(ui.top, 3u);
    EXPECT_EQ(ui.sel_index, 3u);  // the selection moves into view
    key(Key::WheelDown);
    key(Key::WheelUp);
    EXPECT_EQ(ui.top, 3u);
}

TEST(Utf8, AppendAndPop)
{
    std::string s;
    viewer::append_utf8(s, U'é');
    viewer::append_utf8(s, U'日');
    viewer::append_utf8(s, U'x');
    EXPECT_EQ(s, "é日x");
    viewer::pop_utf8(s);
    viewer::pop_utf8(s);
    EXPECT_EQ(s, "é");
}

}  // namespace

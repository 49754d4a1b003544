// The layout layer on a fixed-size grid: text, styles, status, filters,
// selection, escaping, help and a terminal too small.
#include "tui_fixture.hpp"

#include "viewer/keys.hpp"

using namespace proctree;
using namespace proctree::testing;
using viewer::Color;

namespace {

TEST_F(LayoutFixture, WholeScreenText)
{
    feed(tree, small_stream());
    tree.advance(T0 + 1500 * kMs);
    status.source = "netlink";
    status.host = "box";
    status.processes = 6;
    status.creates_per_s = 0.3;
    draw();
    const char* expected = "    PID USER        START  THR  PROCESS\n"
                           "      1 root     22:11:40    1  init  /sbin/init\n"
                           "    100 alice    22:12:30    1  ├─ bash  -bash\n"
                           "    101 alice    22:12:40    1  │  ├─ vim  vim notes.txt\n"
                           "    200 alice    22:13:21    1  │  └─ sleep  sleep 1000\n"
                           "    300 bob      22:12:50    1  └─ make  make -j2\n"
                           "    301 bob      22:13:00    1     └─ cc  cc -c x.c\n"
                           "\n"
                           "\n"
                           "\n"
                           "\n"
                           " netlink │ host box │ 6 procs │ 0.3 new/s 0 exit/s │ lost 0 │ ? help\n";
    EXPECT_EQ(grid.text(), expected);
    EXPECT_EQ(ui.body_rows, 10);
}

TEST_F(LayoutFixture, NewRowsGreenThenNormal)
{
    feed(tree, small_stream());
    tree.advance(T0 + 1500 * kMs);
    ui.selected = tree.find(model::Identity{kInit.pid, kInit.start_ns})->ref();
    draw();
    EXPECT_EQ(style_of("sleep 1000").fg, Color::Green);
    EXPECT_EQ(style_of("vim notes").fg, Color::Default);
    // After the highlight time, the row is normal.
    tree.advance(T0 + 5 * kSec);
    draw();
    EXPECT_EQ(style_of("sleep 1000").fg, Color::Default);
    EXPECT_FALSE(style_of("sleep 1000").bold);
}

TEST_F(LayoutFixture, ExitedRowsRedWithSignalAndLifetimeThenGone)
{
    StreamBuilder b = small_stream();
    b.exit(T0 + 3500 * kMs, kSleep, 0, 9, PT_EXIT_SIGNALED);
    feed(tree, b);
    tree.advance(T0 + 4 * kSec);
    draw();
    int y = row_with("sleep");
    ASSERT_GE(y, 0);
    EXPECT_NE(grid.row_text(y).find("└─ sleep (signal 9 (KILL) after 2.5 s)  sleep"), std::string::npos)
        << grid.row_text(y);
    EXPECT_EQ(grid.at(0, y).style.fg, Color::Red);
    tree.advance(T0 + 7 * kSec);
    draw();
    EXPECT_EQ(row_with("sleep"), -1);
}

TEST_F(LayoutFixture, LifetimeOfALiveProcessCountsFromItsCreateRecord)
{
    // Identity start times (btime + ticks) can be most of a second early.
    StreamBuilder b("box");
    Id p{500, T0 - 700 * kMs};
    b.create(T0, p, {}, "quick", "quick", "root").exit(T0 + 20 * kMs, p, 0, 9, PT_EXIT_SIGNALED);
    feed(tree, b);
    draw();
    EXPECT_NE(row_with("quick (signal 9 (KILL) after 20 ms)"), -1) << grid.text();
}

TEST_F(LayoutFixture, MonochromeMarksStatesInText)
{
    theme = viewer::Theme::monochrome();
    StreamBuilder b = small_stream();
    b.create(T0 + 2 * kSec, Id{400, T0 + 2 * kSec}, kInit, "true", "true", "root")
        .exit(T0 + 2 * kSec + 5 * kMs, Id{400, T0 + 2 * kSec}, 0);
    feed(tree, b);
    tree.advance(T0 + 2500 * kMs);
    draw();
    EXPECT_NE(row_with("└─ [+] sleep"), -1) << grid.text();
    EXPECT_NE(row_with("[x] true (exit 0 after 5 ms)"), -1) << grid.text();
    EXPECT_TRUE(style_of("[+] sleep").bold);
    EXPECT_EQ(style_of("[+] sleep").fg, Color::Default);
    // No colours anywhere.
    for (int y = 0; y < grid.height(); ++y)
        for (int x = 0; x < grid.width(); ++x) {
            EXPECT_EQ(grid.at(x, y).style.fg, Color::Default);
            EXPECT_EQ(grid.at(x, y).style.bg, Color::Default);
        }
}

TEST_F(LayoutFixture, NameFilterDimsAncestors)
{
    feed(tree, small_stream());
    tree.advance(T0 + 10 * kSec);
    model::Filter f;
    f.name = "vim";
    tree.set_filter(f);
    draw();
    EXPECT_EQ(grid.row_text(1).substr(0, 7), "      1");
    EXPECT_TRUE(style_of("init").dim);
    EXPECT_TRUE(style_of("bash").dim);
    EXPECT_FALSE(style_of("vim notes").dim);
    EXPECT_EQ(row_with("make"), -1);
    EXPECT_EQ(row_with("sleep"), -1);
    EXPECT_NE(row_with("filter name~vim"), -1) << grid.text();
}

TEST_F(LayoutFixture, SelectionIsReverseAndStaysOnItsProcess)
{
    feed(tree, small_stream());
    tree.advance(T0 + 10 * kSec);
    ui.selected = tree.find(model::Identity{kMake.pid, kMake.start_ns})->ref();
    ui.sel_index = 4;
    draw();
    int y = row_with("make -j2");
    EXPECT_TRUE(grid.at(0, y).style.reverse);
    EXPECT_TRUE(grid.at(79, y).style.reverse);
    EXPECT_FALSE(style_of("vim notes").reverse);
    // Rows appear above the selection: it stays on make.
    StreamBuilder more("box");
    more.create(T0 + 11 * kSec, Id{500, T0 + 11 * kSec}, kBash, "top", "top", "alice")
        .create(T0 + 11 * kSec, Id{501, T0 + 11 * kSec}, kBash, "less", "less", "alice");
    feed(tree, more);
    draw();
    EXPECT_EQ(ui.sel_index, 6u);
    y = row_with("make -j2");
    EXPECT_TRUE(grid.at(0, y).style.reverse);
    EXPECT_FALSE(style_of("less").reverse);
}

TEST_F(LayoutFixture, SelectedProcessLeavesThenNeighbourIsSelected)
{
    StreamBuilder b = small_stream();
    b.exit(T0 + 2 * kSec, kSleep, 0);
    feed(tree, b);
    tree.advance(T0 + 2 * kSec);
    ui.selected = tree.find(model::Identity{kSleep.pid, kSleep.start_ns})->ref();
    ui.sel_index = 3;
    draw();
    tree.advance(T0 + 10 * kSec);  // sleep leaves
    draw();
    ASSERT_TRUE(ui.selected);
    EXPECT_EQ(ui.selected->id.pid, kMake.pid);
}

TEST_F(LayoutFixture, EscapesHostileNamesAndCommandLines)
{
    StreamBuilder b("box\x1b]2;x\x07");
    b.create(T0, Id{7, T0}, {}, "ev\x1b[2Jil",
             "run \x1b]0;owned\x07 \x9b"
             "31m",
             "root");
    feed(tree, b);
    status.host = tree.header()->host;
    draw();
    std::string all = grid.text();
    EXPECT_NE(all.find("ev\\e[2Jil  run \\e]0;owned\\a \\x9b31m"), std::string::npos) << all;
    EXPECT_NE(all.find("host box\\e]2;x\\a"), std::string::npos) << all;
    EXPECT_EQ(all.find('\x1b'), std::string::npos);
    EXPECT_EQ(all.find('\x07'), std::string::npos);
}

TEST_F(LayoutFixture, WideCharactersTakeTwoCells)
{
    StreamBuilder b("box");
    b.create(T0, Id{7, T0}, {}, "日本語", "日本語 --x", "root");
    feed(tree, b);
    grid.resize(41, 8);
    draw();
    int y = row_with("日本語");
    ASSERT_GE(y, 0);
    EXPECT_EQ(grid.text_at(32, y), "日");
    EXPECT_EQ(grid.at(32, y).width, 2);
    EXPECT_EQ(grid.at(33, y).width, 0);
    EXPECT_EQ(grid.text_at(34, y), "本");
    // The last column can't hold half a wide character.
    EXPECT_EQ(grid.at(40, y).width, 1);
}

TEST_F(LayoutFixture, CollapsedSubtreeShowsMarker)
{
    feed(tree, small_stream());
    tree.advance(T0 + 10 * kSec);
    tree.toggle_collapsed(model::Identity{kBash.pid, kBash.start_ns});
    draw();
    EXPECT_NE(row_with("├─ ▶ bash  -bash"), -1) << grid.text();
    EXPECT_EQ(row_with("vim"), -1);
}

TEST_F(LayoutFixture, SourceNoticeShownOnlyWhenItSaysMoreThanTheSource)
{
    feed(tree, small_stream());
    status.source = "ebpf";
    status.source_choice = "source: ebpf";
    draw();
    std::string foot = grid.row_text(11);
    EXPECT_EQ(foot.find("source: ebpf"), std::string::npos) << foot;
    EXPECT_NE(foot.find("ebpf"), std::string::npos) << foot;
    status.source = "netlink";
    status.source_choice = "source: netlink (refused: ebpf: needs root)";
    status.notice = "proc connector: no real-time scheduling here";  // a later notice keeps the reason shown
    grid.resize(160, 12);
    draw();
    foot = grid.row_text(11);
    EXPECT_NE(foot.find("refused: ebpf: needs root"), std::string::npos) << foot;
    EXPECT_NE(foot.find("proc connector: no real-time"), std::string::npos) << foot;
}

TEST_F(LayoutFixture, PromptShowsTypedTextAndCursor)
{
    feed(tree, small_stream());
    ui.mode = viewer::Mode::EditName;
    ui.edit = "vi";
    draw();
    EXPECT_EQ(grid.row_text(11).substr(0, 18), "Filter by name: vi");
    ASSERT_TRUE(grid.cursor);
    EXPECT_EQ(grid.cursor->first, 18);
    EXPECT_EQ(grid.cursor->second, 11);
}

TEST_F(LayoutFixture, HelpScreenListsTheKeys)
{
    feed(tree, small_stream());
    ui.mode = viewer::Mode::Help;
    grid.resize(80, 42);
    draw();
    std::string all = grid.text();
    for (const char* k : {"j/k", "PgUp/PgDn", "Home/End", "Enter ", "Space", "  x ", "  l ", "  T ", "Tab", "/ ", "Esc",
                          "  s ", "  S ", "  P ", "  q ", "mouse", "  u ", "  K ", "  c "})
        EXPECT_NE(all.find(k), std::string::npos) << k;
    EXPECT_EQ(all.find("vim notes"), std::string::npos);
}

TEST_F(LayoutFixture, TooSmallSaysSo)
{
    feed(tree, small_stream());
    grid.resize(30, 4);
    draw();
    EXPECT_TRUE(ui.too_small);
    EXPECT_NE(grid.text().find("Terminal too"), std::string::npos) << grid.text();
    EXPECT_NE(grid.text().find("small: 30x4"), std::string::npos) << grid.text();
    grid.resize(viewer::kMinWidth, viewer::kMinHeight);
    draw();
    EXPECT_FALSE(ui.too_small);
}

TEST_F(LayoutFixture, ScrollKeepsSelectionVisibleInALongList)
{
    StreamBuilder b("box");
    for (std::uint32_t i = 0; i < 100; ++i) b.create(T0, Id{1000 + i, T0}, {}, "p" + std::to_string(i), "", "root");
    feed(tree, b);
    viewer::Controller ctl(tree, ui);
    draw();
    ctl.handle(viewer::Event::of(viewer::Key::End));
    draw();
    EXPECT_NE(row_with("p99"), -1);
    EXPECT_EQ(ui.top, 100u - static_cast<std::size_t>(ui.body_rows));
    ctl.handle(viewer::Event::of(viewer::Key::Home));
    draw();
    EXPECT_EQ(ui.top, 0u);
    EXPECT_NE(row_with("p0"), -1);
}

TEST_F(LayoutFixture, LongCommandLinesAreCutBeforeEscaping)
{
    std::string huge = "java";
    while (huge.size() < 12000) huge += " -Dprop=\xc3\xa9\x01";
    StreamBuilder b("box");
    b.create(T0, Id{7, T0}, {}, "java", huge, "root");
    feed(tree, b);
    draw();
    model::TreeView view(tree);
    auto rows = view.rows(0, 1);
    std::string label = viewer::row_label(tree, rows[0], theme, 320);
    EXPECT_LT(label.size(), 2000u);
    EXPECT_NE(grid.row_text(1).find("java  java -Dprop=é\\x01 -Dprop"), std::string::npos) << grid.row_text(1);
}

TEST_F(LayoutFixture, ACutCommandLineEndsWithTheMarkerAndTheMissingCount)
{
    StreamBuilder b("box");
    b.create_cut(T0, Id{7, T0}, {}, "tool", "tool --x", 100'000)
        .create(T0 + 1, Id{8, T0 + 1}, {}, "odd…", "odd …(+5 bytes)", "root");
    feed(tree, b);
    draw();
    int row = row_with("tool --x");
    ASSERT_NE(row, -1);
    EXPECT_NE(grid.row_text(row).find("tool --x…(+99,992 bytes)"), std::string::npos) << grid.row_text(row);
    // A process's own "…" shows escaped: the bare one is only the marker.
    row = row_with("odd");
    EXPECT_NE(grid.row_text(row).find("odd\\u{2026}  odd \\u{2026}(+5 bytes)"), std::string::npos)
        << grid.row_text(row);
    theme.glyphs = viewer::Glyphs::plain_ascii();
    draw();
    row = row_with("tool --x");
    EXPECT_NE(grid.row_text(row).find("tool --x\\~(+99,992 bytes)"), std::string::npos) << grid.row_text(row);
}

TEST(Grid, PutClipsAndCombines)
{
    std::setlocale(LC_ALL, "C.UTF-8");  // widths are the locale's (wcwidth)
    viewer::Grid g(10, 2);
    int end = g.put(0, 0, "abcdefghijkl", {}, 5);
    EXPECT_EQ(end, 5);
    EXPECT_EQ(g.row_text(0), "abcde");
    g.put(0, 1, "e\u0301x", {});
    EXPECT_EQ(g.text_at(0, 1), "e\u0301");
    EXPECT_EQ(g.text_at(1, 1), "x");
    EXPECT_EQ(viewer::text_width("日本x"), 5);
    EXPECT_EQ(viewer::fit_prefix("日本x", 3), "日");
}

}  // namespace

// The lower panes on a fixed-size grid, compared whole: the details of a
// kept exited process (identity, lineage, image facts, command line, exit,
// records) and the event log (one line per record, names and parents from
// the tree, exit statuses).
#include "tui_fixture.hpp"

#include "viewer/panes.hpp"

#include <proctree/model/event_log.hpp>
#include <proctree/model/spawners.hpp>

using namespace proctree;
using namespace proctree::testing;

namespace {

struct PanesFixture : LayoutFixture {
    model::EventLog log;
    model::SpawnerCounts spawners;

    PanesFixture()
    {
        tree.set_keep_exited(true);  // kept exited processes
        grid.resize(80, 24);
    }
    // small_stream(), then sleep's image facts, an exec of vim and sleep killed.
    void feed_story()
    {
        StreamBuilder b = small_stream();  // sleep's create is record 7
        std::string sha;
        for (int i = 0; i < 32; ++i) sha += static_cast<char>(0xa0 + i);
        b.facts(T0 + 1100 * kMs, kSleep, 7, PT_FACTS_HASHED, "/usr/bin/sleep", 35336, sha);
        b.exec(T0 + 2 * kSec, kVim, "vim", "vim -R notes.txt", "/usr/bin/vim.basic");
        b.exit(T0 + 3500 * kMs, kSleep, 0, 9, PT_EXIT_SIGNALED);
        feed_then(tree, b, [&](const model::Record& r) {
            log.add(r, tree);
            spawners.add(r, tree);
        });
    }
    void draw_panes() { viewer::render(tree, ui, status, theme, grid, viewer::PaneSources{&log, &spawners}); }
};

}  // namespace

TEST_F(PanesFixture, DetailsPaneOfAKeptExitedProcess)
{
    feed_story();
    tree.advance(T0 + 20 * kSec);  // long past the highlight: kept, dimmed
    ui.selected = tree.find(model::Identity{kSleep.pid, kSleep.start_ns})->ref();
    ui.pane = viewer::Pane::Details;
    draw_panes();
    const char* expected = "    PID USER        START  THR  PROCESS\n"
                           "      1 root     22:11:40    1  init  /sbin/init\n"
                           "    100 alice    22:12:30    1  ├─ bash  -bash\n"
                           "    101 alice    22:12:40    1  │  ├─ vim  vim -R notes.txt\n"
                           "    200 alice    22:13:21    1  │  └─ sleep (signal 9 (KILL) after 2.5 s)  sleep\n"
                           "    300 bob      22:12:50    1  └─ make  make -j2\n"
                           "    301 bob      22:13:00    1     └─ cc  cc -c x.c\n"
                           "\n"
                           "\n"
                           "\n"
                           "\n"
                           "\n"
                           " details: sleep (200)  lines 1-10 of 14           Tab: scroll, Enter/Esc: close\n"
                           " pid 200  started 2023-11-14 22:13:21.000 UTC  creator pid 100 tid 0\n"
                           " created (record) 2023-11-14 22:13:21.000 UTC\n"
                           " parents: bash (100) < init (1)\n"
                           " user: alice  uid unknown  threads 1\n"
                           " image:\n"
                           " image facts: sha256 a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcb\n"
                           "   dbebf, 35336 bytes\n"
                           " command line: 10 bytes\n"
                           " sleep 1000\n"
                           " exit: signal 9 (KILL) after 2.5 s\n"
                           " 0 procs │ 0 new/s 0 exit/s │ lost 0 │ ? help\n";
    EXPECT_EQ(grid.text(), expected);
    ui.pane_scroll = 100;  // clamped to the last page: the records seen for it
    draw_panes();
    EXPECT_NE(row_with(" details: sleep (200)  lines 5-14 of 14"), -1) << grid.text();
    EXPECT_NE(row_with(" records:"), -1) << grid.text();
    EXPECT_NE(row_with("   22:13:21.000  create"), -1) << grid.text();
    EXPECT_NE(row_with("   22:13:23.500  exit: signal 9 (KILL)"), -1) << grid.text();
}

TEST_F(PanesFixture, EventLogPaneShowsOneLinePerRecord)
{
    feed_story();
    tree.advance(T0 + 4 * kSec);
    ui.pane = viewer::Pane::Log;
    draw_panes();
    const char* expected = "    PID USER        START  THR  PROCESS\n"
                           "      1 root     22:11:40    1  init  /sbin/init\n"
                           "    100 alice    22:12:30    1  ├─ bash  -bash\n"
                           "    101 alice    22:12:40    1  │  ├─ vim  vim -R notes.txt\n"
                           "    200 alice    22:13:21    1  │  └─ sleep (signal 9 (KILL) after 2.5 s)  sleep\n"
                           "    300 bob      22:12:50    1  └─ make  make -j2\n"
                           "    301 bob      22:13:00    1     └─ cc  cc -c x.c\n"
                           "\n"
                           "\n"
                           "\n"
                           "\n"
                           "\n"
                           " log: 3 lines                                         Tab: scroll, l/Esc: close\n"
                           "\n"
                           "\n"
                           "\n"
                           "\n"
                           "\n"
                           "\n"
                           "\n"
                           " 22:13:21.000  create     200  sleep  < bash\n"
                           " 22:13:22.000  exec       101  vim  < bash  /usr/bin/vim.basic\n"
                           " 22:13:23.500  exit       200  sleep  < bash  signal 9 (KILL) after 2.5 s\n"
                           " 0 procs │ 0 new/s 0 exit/s │ lost 0 │ ? help\n";
    EXPECT_EQ(grid.text(), expected);
}

TEST_F(PanesFixture, DetailsOfACutCommandLineEndWithTheMarkerAndSayHowMuchIsMissing)
{
    StreamBuilder b("box");
    std::string cmd = "big " + std::string(100'000, 'a');
    b.create_cut(T0, Id{7, T0}, {}, "big", cmd, 0)
        .create(T0, Id{8, T0}, {}, "old", "old -x", {}, {}, 1, PT_PROC_CMDLINE_TRUNCATED);
    feed(tree, b);
    std::vector<std::string> lines = viewer::details_lines(tree, *tree.find({7, T0}), 60);
    auto has = [&](const std::string& s) {
        return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(s) != l.npos; });
    };
    EXPECT_TRUE(has("command line: 4,096 bytes, cut by the producer: 95,908 more not sent"));
    auto last = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.starts_with("running"); });
    ASSERT_NE(last, lines.begin());
    EXPECT_TRUE(std::prev(last)->ends_with("aaaa…(+95,908 bytes)")) << *std::prev(last);
    lines = viewer::details_lines(tree, *tree.find({8, T0}), 60, nullptr, "\\~");
    EXPECT_TRUE(has("command line: 6 bytes, cut by the producer (how much is missing is unknown)"));
    EXPECT_TRUE(has("old -x\\~"));
}

// A running process's whole command line, read from the OS, replaces the
// start its record carried; an uncut one is shown as its record has it.
TEST_F(PanesFixture, DetailsOfARunningProcessShowItsWholeCommandLine)
{
    StreamBuilder b("box");
    std::string whole = "big " + std::string(100'000, 'a') + " END";
    b.create_cut(T0, Id{7, T0}, {}, "big", whole, 0).create(T0, Id{8, T0}, {}, "small", "small -x");
    feed(tree, b);
    std::vector<std::string> lines =
        viewer::details_lines(tree, *tree.find({7, T0}), 60, nullptr, model::kCutEllipsis, &whole);
    auto has = [&](const std::string& s) {
        return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(s) != l.npos; });
    };
    EXPECT_TRUE(has("command line: 100,008 bytes, read from the running process (its record carried 4,096)"));
    EXPECT_TRUE(has("aaaa END"));
    EXPECT_FALSE(has("…(+"));
    std::string other = "small -x -y";
    lines = viewer::details_lines(tree, *tree.find({8, T0}), 60, nullptr, model::kCutEllipsis, &other);
    EXPECT_TRUE(has("command line: 8 bytes"));
    EXPECT_FALSE(has("-y"));
}

// A fleet's host node: the host described, and its processes counted; no
// pid, user or command line that it does not have.
TEST(HostDetails, AHostNodeDescribesItsHostNotAProcess)
{
    model::TreeConfig config;
    config.hosts = true;
    model::ProcessTree tree(config);
    StreamBuilder b("alpha", PT_OS_LINUX, PT_SOURCE_EBPF, 1000);
    b.snapshot(1000, true).create(1000, {1, 10}, {0, 0}, "init").snapshot(1000, false);
    b.create(1100, {100, 1100}, {1, 10}, "job");
    feed(tree, b);
    ASSERT_EQ(tree.host_count(), 1u);
    const model::Process* host = tree.first_root();
    ASSERT_TRUE(host && host->is_host());
    std::vector<std::string> lines = viewer::details_lines(tree, *host, 100);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].rfind("host alpha: linux  ebpf  2 processes", 0), 0u) << lines[0];
    EXPECT_EQ(lines[1], "children: 1 living, 0 exited; descendants: 2 living, 0 exited");
}

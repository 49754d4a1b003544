// The status line: one line that fits the terminal (80 columns included),
// the least important segments cut or left out first; rates never "-0.0".
#include "tui_fixture.hpp"

#include "viewer/status_line.hpp"

using namespace proctree;
using namespace proctree::testing;
using viewer::Color;

namespace {

TEST(StatusRate, NeverNegativeZero)
{
    EXPECT_EQ(viewer::format_rate(0.0), "0");
    EXPECT_EQ(viewer::format_rate(-0.0), "0");
    EXPECT_EQ(viewer::format_rate(0.01), "0");
    EXPECT_EQ(viewer::format_rate(0.33), "0.3");
    EXPECT_EQ(viewer::format_rate(140.4), "140");
}

struct StatusFixture : LayoutFixture {
    void busy()
    {
        feed(tree, small_stream());
        status.source = "poll";
        status.polling = true;
        status.host = "a-rather-long-host-name.example.org";
        status.processes = 6;
        status.creates_per_s = 12.5;
        status.export_path = "/tmp/proctree-20231114-221320-000.txt";
        status.error = "the source stopped: netlink socket closed";
        status.keep_exited = true;
        status.notice = "proc connector: no real-time scheduling here";
        status.source_choice = "source: poll (refused: ebpf: needs root, netlink: needs CAP_NET_ADMIN)";
        ui.paused = true;
        model::Filter f;
        f.name = "sshd";
        tree.set_filter(f);
    }
};

TEST_F(StatusFixture, WideTerminalShowsEverythingOnOneLine)
{
    busy();
    grid.resize(400, 12);
    draw();
    std::string foot = grid.row_text(11);
    for (const char* part : {"PAUSED", "poll (polling)", "host a-rather", "6 procs", "12.5 new/s 0 exit/s", "lost n/a",
                             "filter name~sshd", "keeping exited", "saved /tmp/proctree-2023",
                             "error: the source stopped", "refused: ebpf", "no real-time", "? help"})
        EXPECT_NE(foot.find(part), std::string::npos) << part << "\n" << foot;
    EXPECT_EQ(ui.body_rows, 10);                     // one status line
    EXPECT_EQ(grid.at(1, 11).style.bg, Color::Red);  // PAUSED is an alert
}

TEST_F(StatusFixture, EightyColumnsKeepTheImportantPartsOnOneLine)
{
    busy();
    grid.resize(80, 24);
    draw();
    EXPECT_EQ(ui.body_rows, 22);
    std::string foot = grid.row_text(23);
    EXPECT_LE(viewer::text_width(foot), 80);
    for (const char* part : {"PAUSED", "6 procs", "error: ", "filter name~sshd", "? help"})
        EXPECT_NE(foot.find(part), std::string::npos) << part << "\n" << foot;
    // The source's long reason went first.
    EXPECT_EQ(foot.find("refused"), std::string::npos) << foot;
    // The row above is tree or blank, never a wrapped status.
    EXPECT_EQ(grid.row_text(22).find("? help"), std::string::npos);
}

TEST_F(StatusFixture, ALongErrorIsCutWithAnEllipsisRatherThanDropped)
{
    feed(tree, small_stream());
    status.source = "netlink";
    status.processes = 6;
    status.error = std::string("corrupt stream at byte 123456: ") + std::string(200, 'x');
    grid.resize(80, 24);
    draw();
    std::string foot = grid.row_text(23);
    EXPECT_NE(foot.find("error: corrupt stream at byte 123456"), std::string::npos) << foot;
    EXPECT_NE(foot.find("…"), std::string::npos) << foot;
    EXPECT_NE(foot.find("6 procs"), std::string::npos) << foot;
}

TEST_F(StatusFixture, RatesLeaveWhenTheReplayIsDone)
{
    feed(tree, small_stream());
    status.source = "file x.ptr";
    status.replay = "replay done";
    status.rates_live = false;
    draw();
    std::string foot = grid.row_text(11);
    EXPECT_EQ(foot.find("/s"), std::string::npos) << foot;
    EXPECT_NE(foot.find("replay done"), std::string::npos) << foot;
}

TEST_F(StatusFixture, AsciiSeparatorsOutsideUtf8)
{
    feed(tree, small_stream());
    status.source = "netlink";
    theme.glyphs = viewer::Glyphs::plain_ascii();
    draw();
    EXPECT_EQ(grid.row_text(11), " netlink | 0 procs | 0 new/s 0 exit/s | lost 0 | ? help");
}

}  // namespace

// The columns before the tree (units, --columns) and the sampled figures:
// CPU% from two readings a round apart, reads only for the rows asked for,
// "-" without a reader, exited processes' whole-life figures, sorting by CPU%.
#include "tui_fixture.hpp"

#include "viewer/columns.hpp"
#include "viewer/panes.hpp"
#include "viewer/usage.hpp"
#include "viewer/view_rows.hpp"

#include <map>

using namespace proctree;
using namespace proctree::testing;
using viewer::Column;

namespace {

// Readings set by the test, per pid; counts the reads.
struct FakeReader : collect::UsageReader {
    std::map<std::uint32_t, collect::UsageReading>* readings;
    std::size_t* reads;
    FakeReader(std::map<std::uint32_t, collect::UsageReading>* r, std::size_t* n) : readings(r), reads(n) {}
    std::optional<collect::UsageReading> read(std::uint32_t pid, std::uint64_t) override
    {
        ++*reads;
        auto it = readings->find(pid);
        if (it == readings->end()) return std::nullopt;
        return it->second;
    }
};

struct ColumnsFixture : LayoutFixture {
    std::map<std::uint32_t, collect::UsageReading> readings;
    std::size_t reads = 0;
    viewer::UsageTable usage{std::make_unique<FakeReader>(&readings, &reads)};
    void SetUp() override
    {
        LayoutFixture::SetUp();
        ui.columns = viewer::default_columns();
        ui.usage = &usage;
    }
    static collect::UsageReading reading(std::uint64_t cpu_ms, std::uint64_t rss, char state)
    {
        return collect::UsageReading{cpu_ms * 1'000'000ull, rss, state, 1};
    }
    std::vector<model::Identity> ids(std::initializer_list<Id> list)
    {
        std::vector<model::Identity> out;
        for (const Id& i : list) out.push_back(model::Identity{i.pid, i.start_ns});
        return out;
    }
};

constexpr std::uint64_t kS = 1'000'000'000ull;

}  // namespace

TEST(Columns, Units)
{
    EXPECT_EQ(viewer::format_rss(512 * 1024), "512K");
    EXPECT_EQ(viewer::format_rss(5 * 1024 * 1024 + 300 * 1024), "5.3M");
    EXPECT_EQ(viewer::format_rss(312ull << 20), "312M");
    EXPECT_EQ(viewer::format_rss(1536ull << 20), "1.5G");
    EXPECT_EQ(viewer::format_rss(40ull << 30), "40G");
    EXPECT_EQ(viewer::format_cpu(0), "0.0");
    EXPECT_EQ(viewer::format_cpu(99.94), "99.9");
    EXPECT_EQ(viewer::format_cpu(350.25), "350.2");
    EXPECT_EQ(viewer::format_cpu(1234.4), "1234");
    EXPECT_EQ(viewer::format_age(42 * kS), "42s");
    EXPECT_EQ(viewer::format_age(17 * 60 * kS), "17m");
    EXPECT_EQ(viewer::format_age(5 * 3600 * kS), "5h");
    EXPECT_EQ(viewer::format_age(12 * 86400 * kS), "12d");
}

TEST(Columns, ParseAList)
{
    std::string why;
    auto c = viewer::parse_columns("pid, CPU%,rss,Age", why);
    ASSERT_TRUE(c) << why;
    EXPECT_EQ(*c, (std::vector<Column>{Column::Pid, Column::Cpu, Column::Rss, Column::Age}));
    EXPECT_EQ(viewer::columns_list(*c), "pid,cpu,rss,age");
    EXPECT_FALSE(viewer::parse_columns("pid,mem", why));
    EXPECT_NE(why.find("unknown column 'mem'"), std::string::npos) << why;
    EXPECT_NE(why.find("pid, user, cpu, rss, s, start, age, thr"), std::string::npos) << why;
    EXPECT_FALSE(viewer::parse_columns("pid,pid", why));
    EXPECT_NE(why.find("twice"), std::string::npos);
    EXPECT_FALSE(viewer::parse_columns("", why));
}

TEST_F(ColumnsFixture, WithoutAReaderEveryFigureIsADash)
{
    ui.usage = nullptr;  // a file, a stream from elsewhere
    feed(tree, small_stream());
    tree.advance(T0 + 1500 * kMs);
    draw();
    EXPECT_EQ(grid.row_text(0), "    PID USER      CPU%   RSS S    START  THR  PROCESS");
    EXPECT_EQ(grid.row_text(1), "      1 root         -     - - 22:11:40    1  init  /sbin/init");
}

TEST_F(ColumnsFixture, CpuPercentFromTwoReadingsARoundApart)
{
    feed(tree, small_stream());
    tree.advance(T0 + 1500 * kMs);
    readings[1] = reading(1000, 5 << 20, 'S');
    readings[200] = reading(2000, 700 << 10, 'R');
    usage.sample(ids({kInit, kSleep}), 10 * kS);
    draw();
    // One reading: RSS and state at once, CPU% not yet.
    EXPECT_EQ(grid.row_text(row_with("init")), "      1 root         -  5.0M S 22:11:40    1  init  /sbin/init");
    readings[200] = reading(2750, 900 << 10, 'R');  // 750 ms of CPU in 1 s
    EXPECT_FALSE(usage.sample(ids({kInit, kSleep}), 10 * kS + kS / 2)) << "no round before a second";
    usage.sample(ids({kInit, kSleep}), 11 * kS);
    draw();
    EXPECT_EQ(grid.row_text(row_with("sleep")).substr(0, 46), "    200 alice     75.0  900K R 22:13:21    1  ");
    EXPECT_EQ(grid.row_text(row_with("init")).substr(0, 30), "      1 root       0.0  5.0M S");
}

TEST_F(ColumnsFixture, OnlyTheRowsAskedForAreRead)
{
    feed(tree, small_stream());
    for (std::uint32_t pid : {1u, 100u, 101u, 200u, 300u, 301u}) readings[pid] = reading(1, 1 << 20, 'S');
    usage.sample(ids({kInit, kBash}), 10 * kS);
    EXPECT_EQ(reads, 2u);
    // Between rounds only rows new on screen are read; a gone one is not
    // read again before the next round.
    readings.erase(101);
    usage.sample(ids({kInit, kBash, kVim}), 10 * kS + kS / 10);
    usage.sample(ids({kInit, kBash, kVim}), 10 * kS + kS / 5);
    EXPECT_EQ(reads, 3u);
    EXPECT_EQ(usage.find({kVim.pid, kVim.start_ns}), nullptr);
    // A round reads what is asked for now and forgets the rest.
    usage.sample(ids({kSleep}), 11 * kS);
    EXPECT_EQ(reads, 4u);
    EXPECT_EQ(usage.find({kInit.pid, kInit.start_ns}), nullptr);
    EXPECT_NE(usage.find({kSleep.pid, kSleep.start_ns}), nullptr);
}

TEST_F(ColumnsFixture, AnExitedProcessShowsItsWholeLifeFigures)
{
    StreamBuilder b = small_stream();
    b.exit_usage(T0 + 3500 * kMs, kSleep, 0, 312'000'000ull, 52ull << 20);
    feed(tree, b);
    tree.advance(T0 + 4 * kSec);
    readings[200] = reading(5, 1 << 20, 'R');  // its pid's figures now are not its own
    usage.sample(ids({kSleep}), 10 * kS);
    grid.resize(120, 12);
    draw();
    std::string row = grid.row_text(row_with("sleep"));
    EXPECT_EQ(row.substr(0, 46), "    200 alice        -   52M - 22:13:21    1  ") << row;
    EXPECT_NE(row.find("sleep (exit 0 after 2.5 s; cpu 312 ms, peak RSS 52.0 MiB)"), std::string::npos) << row;
    const model::Process* p = tree.find({kSleep.pid, kSleep.start_ns});
    ASSERT_NE(p, nullptr);
    auto lines = viewer::details_lines(tree, *p, 100);
    EXPECT_NE(std::find(lines.begin(), lines.end(), "exit: exit 0 after 2.5 s; cpu 312 ms, peak RSS 52.0 MiB"),
              lines.end());
}

TEST_F(ColumnsFixture, DetailsOfARunningProcessSayItsFigures)
{
    feed(tree, small_stream());
    readings[200] = reading(1000, 3 << 20, 'S');
    usage.sample(ids({kSleep}), 10 * kS);
    readings[200] = reading(1100, 3 << 20, 'S');
    usage.sample(ids({kSleep}), 11 * kS);
    const model::Process* p = tree.find({kSleep.pid, kSleep.start_ns});
    auto lines = viewer::details_lines(tree, *p, 100, usage.find(p->id));
    EXPECT_NE(std::find(lines.begin(), lines.end(), "running: cpu 10.0% of one core, RSS 3.0M, state S"), lines.end());
}

TEST_F(ColumnsFixture, SortByCpuPutsTheBusiestFirstAndFollowsNewFigures)
{
    feed(tree, small_stream());
    for (std::uint32_t pid : {1u, 100u, 101u, 200u, 300u, 301u}) readings[pid] = reading(0, 1 << 20, 'S');
    auto all = ids({kInit, kBash, kVim, kSleep, kMake, kCc});
    usage.sample(all, 10 * kS);
    readings[301] = reading(900, 1 << 20, 'R');
    readings[101] = reading(300, 1 << 20, 'R');
    usage.sample(all, 11 * kS);
    ui.order = viewer::ViewOrder{viewer::SortKey::Cpu, false, true};
    auto pids = [&] {
        std::vector<std::uint32_t> out;
        for (const model::Row& r : viewer::ViewRows(tree, ui.order, ui.rows, &usage).all_rows())
            out.push_back(r.proc->id.pid);
        return out;
    };
    EXPECT_EQ(pids().front(), 301u);
    EXPECT_EQ(pids()[1], 101u);
    readings[101] = reading(1300, 1 << 20, 'R');  // now the busier one
    usage.sample(all, 12 * kS);
    EXPECT_EQ(pids().front(), 101u) << "the cached order follows the figures";
}

// Shared helpers for the viewer's unit tests: a small process tree built
// from a wire stream, rendered into a fixed-size grid.
#pragma once

#include "../support/tree_feed.hpp"

#include "viewer/grid.hpp"
#include "viewer/layout.hpp"
#include "viewer/state.hpp"
#include "viewer/theme.hpp"

#include <proctree/model/decoder.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/model/view.hpp>

#include <gtest/gtest.h>

#include <clocale>
#include <cstdlib>
#include <ctime>
#include <string>

namespace proctree::testing {

inline constexpr std::uint64_t kSec = 1'000'000'000ull;
inline constexpr std::uint64_t kMs = 1'000'000ull;
// 2023-11-14 22:13:20 UTC
inline constexpr std::uint64_t T0 = 1'700'000'000ull * kSec;

inline const Id kInit{1, T0 - 100 * kSec};
inline const Id kBash{100, T0 - 50 * kSec};
inline const Id kVim{101, T0 - 40 * kSec};
inline const Id kSleep{200, T0 + 1 * kSec};
inline const Id kMake{300, T0 - 30 * kSec};
inline const Id kCc{301, T0 - 20 * kSec};

// init ─┬ bash ─ vim, └ make ─ cc (snapshot at T0), then sleep under bash at
// T0 + 1 s (live: New for the highlight time).
inline StreamBuilder small_stream()
{
    StreamBuilder b("box");
    b.snapshot(T0, true)
        .create(T0, kInit, {}, "init", "/sbin/init", "root")
        .create(T0, kBash, kInit, "bash", "-bash", "alice")
        .create(T0, kVim, kBash, "vim", "vim notes.txt", "alice")
        .create(T0, kMake, kInit, "make", "make -j2", "bob")
        .create(T0, kCc, kMake, "cc", "cc -c x.c", "bob")
        .snapshot(T0, false)
        .create(kSleep.start_ns, kSleep, kBash, "sleep", "sleep 1000", "alice");
    return b;
}

struct LayoutFixture : ::testing::Test {
    void SetUp() override
    {
        ::setenv("TZ", "UTC", 1);
        ::tzset();
        // Widths are the locale's (wcwidth, as ncursesw measures them).
        std::setlocale(LC_ALL, "C.UTF-8");
        // The tree's tests keep an 80-column grid to the columns without
        // sampled figures; columns_test.cpp covers the default set.
        ui.columns = {viewer::Column::Pid, viewer::Column::User, viewer::Column::Start, viewer::Column::Threads};
    }
    model::ProcessTree tree{model::TreeConfig{3 * kSec}};
    viewer::UiState ui;
    viewer::StatusInfo status;
    viewer::Theme theme = viewer::Theme::colored();
    viewer::Grid grid{80, 12};

    void draw() { viewer::render(tree, ui, status, theme, grid); }
    // The row of the grid whose text contains `needle`, or -1.
    int row_with(const std::string& needle) const
    {
        for (int y = 0; y < grid.height(); ++y)
            if (grid.row_text(y).find(needle) != std::string::npos) return y;
        return -1;
    }
    // The style of the first cell of the row containing `needle`.
    viewer::Style style_of(const std::string& needle) const
    {
        int y = row_with(needle);
        EXPECT_GE(y, 0) << needle;
        return y >= 0 ? grid.at(0, y).style : viewer::Style{};
    }
};

}  // namespace proctree::testing

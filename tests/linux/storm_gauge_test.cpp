// The exec storm gauge (driver/linux/src/storm_gauge.hpp): on above its
// rate, off below half of it, over windows of a monotonic clock.
#include "storm_gauge.hpp"

#include <gtest/gtest.h>

using proctree::collect::StormGauge;

namespace {

constexpr std::uint64_t kWindow = StormGauge::kWindowNs;
constexpr std::uint64_t kRate = StormGauge::kExecsPerWindow;

}  // namespace

TEST(StormGauge, QuietExecsAreNoStorm)
{
    StormGauge g;
    for (std::uint64_t t = 1; t <= 100; ++t) g.count(kRate / 10, t * kWindow);
    EXPECT_FALSE(g.on());
}

TEST(StormGauge, AStormShowsWithinItsFirstWindow)
{
    StormGauge g;
    g.count(0, kWindow);
    g.count(kRate - 1, kWindow + 1000);
    EXPECT_FALSE(g.on());
    g.count(1, kWindow + 2000);
    EXPECT_TRUE(g.on());
}

TEST(StormGauge, ItEndsOnlyBelowHalfTheRate)
{
    StormGauge g;
    std::uint64_t t = kWindow;
    g.count(kRate, t);
    ASSERT_TRUE(g.on());
    // Just above half: still a storm (no flapping around the threshold).
    for (int i = 0; i < 5; ++i) g.count(kRate / 2 + 1, t += kWindow);
    EXPECT_TRUE(g.on());
    g.count(kRate / 2 - 1, t += kWindow);
    g.count(0, t += kWindow);  // the window of kRate / 2 - 1 is judged when it ends
    EXPECT_FALSE(g.on());
}

TEST(StormGauge, ALongQuietIsJudgedAsARateNotACount)
{
    StormGauge g;
    std::uint64_t t = kWindow;
    g.count(kRate, t);
    ASSERT_TRUE(g.on());
    // Ten windows' time with a window's worth of execs: a tenth of the rate.
    g.count(kRate - 1, t + 1);
    g.count(0, t += 10 * kWindow);
    EXPECT_FALSE(g.on());
}

// Internal: whether execs come in a storm, from their count per window.
// The proc connector source's reader feeds it every batch (and at least
// every poll when idle); see netlink_source.cpp for what a storm changes.
#pragma once

#include <cstdint>

namespace proctree::collect {

class StormGauge {
public:
    // On above this rate (per window), off again below half of it.
    static constexpr std::uint64_t kExecsPerWindow = 100;
    static constexpr std::uint64_t kWindowNs = 50'000'000;
    static constexpr std::uint64_t kExecsPerSecond = kExecsPerWindow * 1'000'000'000 / kWindowNs;

    bool on() const { return on_; }

    // execs: how many arrived since the last call; now_ns: a monotonic clock.
    void count(std::uint64_t execs, std::uint64_t now_ns)
    {
        const std::uint64_t elapsed = now_ns - window_start_;
        if (elapsed >= kWindowNs) {
            // The last window's rate (a quiet reader looks less often).
            const std::uint64_t per_window = in_window_ * kWindowNs / elapsed;
            on_ = per_window >= (on_ ? kExecsPerWindow / 2 : kExecsPerWindow);
            window_start_ = now_ns;
            in_window_ = 0;
        }
        in_window_ += execs;
        if (in_window_ >= kExecsPerWindow) on_ = true;  // no need to wait for the window's end
    }

private:
    std::uint64_t window_start_ = 0;
    std::uint64_t in_window_ = 0;
    bool on_ = false;
};

}  // namespace proctree::collect

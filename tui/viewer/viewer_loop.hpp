// tui/viewer/viewer_loop.hpp - the live viewer's main loop: one thread
// blocks in poll() on the terminal, the reader channel's eventfd and a
// signalfd, with a timeout derived from when the tree next changes by time
// alone. Events are applied as they arrive (in one batch per frame while a
// frame is due); frames are drawn only when something changed, at most 30
// a second for keys and 10 a second for what events and time change.
#pragma once

#include "session.hpp"

namespace proctree::viewer {

inline constexpr std::uint64_t kFrameNs = 1'000'000'000ull / 30;
inline constexpr std::uint64_t kEventFrameNs = 1'000'000'000ull / 10;
// The first frame waits (at most this long) for the initial snapshot, so it
// shows the tree rather than an empty screen.
inline constexpr std::uint64_t kFirstFrameWaitNs = 1'000'000'000ull;

// Runs the viewer until q, SIGINT, SIGTERM or SIGHUP; returns the exit status.
int run_viewer(const ViewerOptions& options);

}  // namespace proctree::viewer

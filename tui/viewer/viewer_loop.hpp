// tui/viewer/viewer_loop.hpp - the live viewer's main loop: one thread
// blocks in poll() on the terminal, the reader channel's eventfd and a
// signalfd, with a timeout derived from when the tree next changes by time
// alone; events are applied as they arrive, frames are drawn at most 30
// times a second and only when something changed.
#pragma once

#include "session.hpp"

namespace proctree::viewer {

inline constexpr std::uint64_t kFrameNs = 1'000'000'000ull / 30;

// Runs the viewer until q, SIGINT, SIGTERM or SIGHUP; returns the exit status.
int run_viewer(const ViewerOptions& options);

} // namespace proctree::viewer

// tui/stop_signal.hpp - the headless commands' stop flag: set by SIGINT and
// SIGTERM (a lock-free atomic store is async-signal-safe) and by their own
// timers; sources check it at least every 100 ms.
#pragma once

#include <atomic>

namespace proctree::cli {

// The one flag the signal handler can reach (a handler takes no argument).
std::atomic<bool>& stop_requested();
// SIGINT/SIGTERM set the flag; SIGPIPE is ignored, so a closed reader makes
// write() fail with EPIPE and the producer stop cleanly.
void install_stop_handlers();

}  // namespace proctree::cli

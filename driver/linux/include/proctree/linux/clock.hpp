// proctree/linux/clock.hpp - a Linux clock (CLOCK_REALTIME, CLOCK_BOOTTIME,
// CLOCK_MONOTONIC ...) in ns, for every Linux source.
#pragma once

#include <time.h>

#include <cstdint>

namespace proctree::collect {

std::uint64_t clock_ns(clockid_t id);

}  // namespace proctree::collect

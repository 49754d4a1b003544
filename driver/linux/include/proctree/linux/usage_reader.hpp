// proctree/linux/usage_reader.hpp - a process's usage now, from
// /proc/PID/stat (one small read per process: CPU time, RSS, state,
// threads). The viewer reads the processes it shows, about once a second.
#pragma once

#include <proctree/produce/usage.hpp>

#include <memory>
#include <string>

namespace proctree::collect {

std::unique_ptr<UsageReader> make_proc_usage_reader(std::string proc_root = "/proc");

}  // namespace proctree::collect

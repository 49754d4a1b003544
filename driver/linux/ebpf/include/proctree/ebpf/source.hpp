// proctree/ebpf/source.hpp - the eBPF source (sched tracepoints, names
// captured in the kernel).
#pragma once

#include <proctree/produce/source.hpp>

#include <memory>
#include <string>

namespace proctree::collect {

// nullptr with why_not (one line, saying what to do) when it cannot start
// here (no privilege, no BTF, built without BPF).
std::unique_ptr<Source> make_ebpf_source(const SourceOptions& options, std::string& why_not);

}  // namespace proctree::collect

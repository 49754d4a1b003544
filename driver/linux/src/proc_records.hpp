// Internal: turning what /proc says about a process into wire records.
#pragma once

#include <proctree/linux/procfs.hpp>
#include <proctree/produce/sink.hpp>

namespace proctree::collect {

inline pt_ident ident_of(std::uint32_t pid, std::uint64_t start_ns) { return pt_ident{pid, 0, start_ns}; }

// Create arguments describing `p`; the strings point into `p`.
inline pt_create_args create_args_for(const ProcInfo& p, pt_ident parent)
{
    pt_create_args a{};
    a.proc = ident_of(p.pid, p.start_ns);
    a.parent = parent;
    a.creator_pid = p.ppid;
    a.creator_tid = 0;
    a.uid = p.uid;
    a.flags = (p.kernel_thread ? PT_PROC_KERNEL_THREAD : 0u) | (p.name.empty() ? PT_PROC_NAME_UNKNOWN : 0u);
    a.threads = p.threads;
    a.name = to_pt_str(p.name);
    a.user = to_pt_str(p.user);
    a.image = to_pt_str(p.exe);
    a.cmdline = to_pt_str(p.cmdline);
    a.full.cmdline = p.cmdline_whole;
    return a;
}

// Exec arguments describing `p` after an image change (or a name change
// found by a rescan).
inline pt_exec_args exec_args_for(const ProcInfo& p)
{
    pt_exec_args a{};
    a.proc = ident_of(p.pid, p.start_ns);
    a.uid = p.uid;
    a.flags = p.name.empty() ? PT_PROC_NAME_UNKNOWN : 0u;
    a.name = to_pt_str(p.name);
    a.user = to_pt_str(p.user);
    a.image = to_pt_str(p.exe);
    a.cmdline = to_pt_str(p.cmdline);
    a.full.cmdline = p.cmdline_whole;
    return a;
}

}  // namespace proctree::collect

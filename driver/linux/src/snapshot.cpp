// The /proc snapshot and the Linux stream header, shared by every Linux
// source and by `proctree snapshot`.
#include <proctree/linux/snapshot.hpp>

#include "proc_records.hpp"

#include <sys/utsname.h>

#include <unordered_map>

namespace proctree::collect {

bool write_linux_stream_header(WireWriter& out, const ProcFs& procfs, pt_source source)
{
    struct utsname u {};
    std::string host = ::uname(&u) == 0 ? std::string(u.nodename) : std::string();
    return out.stream_header(PT_OS_LINUX, source, wall_clock_ns(), procfs.boot_time_ns(), host);
}

bool write_proc_snapshot(WireWriter& out, const ProcFs& procfs, std::uint32_t reason, std::uint16_t flags)
{
    std::vector<ProcInfo> procs = procfs.scan();
    return write_snapshot_of(out, procs, reason, flags);
}

bool write_snapshot_of(WireWriter& out, const std::vector<ProcInfo>& procs, std::uint32_t reason, std::uint16_t flags)
{
    const std::uint64_t now = wall_clock_ns();
    std::unordered_map<std::uint32_t, std::uint64_t> start_of;
    start_of.reserve(procs.size());
    for (const ProcInfo& p : procs) start_of.emplace(p.pid, p.start_ns);

    if (!out.snapshot_begin(now, reason, flags)) return false;
    for (const ProcInfo& p : procs) {
        // A parent missing from the scan (pid 0, or gone meanwhile) keeps
        // its pid with an unknown start time.
        auto it = start_of.find(p.ppid);
        pt_ident parent = ident_of(p.ppid, it != start_of.end() ? it->second : 0);
        pt_create_args args = create_args_for(p, parent);
        if (!out.create(now, args)) return false;
    }
    return out.snapshot_end(wall_clock_ns(), reason, flags);
}

}  // namespace proctree::collect

// proctree/linux/snapshot.hpp - the /proc snapshot and the Linux stream
// header: the Linux base every Linux source (proc connector, poll, eBPF) and
// `proctree snapshot` share.
#pragma once

#include <proctree/linux/procfs.hpp>
#include <proctree/produce/sink.hpp>

#include <cstdint>
#include <vector>

namespace proctree::collect {

// Writes SNAPSHOT_BEGIN, one create per running
// process, SNAPSHOT_END, as every source's initial snapshot and `proctree
// snapshot` need. Returns false when the sink failed.
bool write_proc_snapshot(WireWriter& out, const ProcFs& procfs, std::uint32_t reason, std::uint16_t flags);
// The same for a scan the caller already holds (ProcFs::scan() order), e.g.
// to seed its own table of known processes from the very same scan.
bool write_snapshot_of(WireWriter& out, const std::vector<ProcInfo>& procs, std::uint32_t reason, std::uint16_t flags);

// Writes the stream header for a Linux source (host name, boot time).
bool write_linux_stream_header(WireWriter& out, const ProcFs& procfs, pt_source source);

}  // namespace proctree::collect

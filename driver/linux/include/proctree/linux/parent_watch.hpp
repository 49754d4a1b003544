// proctree/linux/parent_watch.hpp - following the kernel's re-parenting.
//
// When a process exits, Linux gives its children a new parent (the nearest
// PR_SET_CHILD_SUBREAPER ancestor, else init). No event says so, but each
// child's /proc/PID/stat does. ParentWatch sits between a live source and its
// sink: it notes every create, exit and reparent record going out, and
// follow() then reads the new parent of the dead processes' known children
// and writes a PT_REC_PROCESS_REPARENT for each one that moved. A child
// whose stat still names the dead parent (eBPF reports an exit just before
// the kernel re-parents) is looked at again on the next follow().
#pragma once

#include <proctree/linux/procfs.hpp>
#include <proctree/produce/sink.hpp>

#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace proctree::collect {

class ParentWatch final : public ByteSink {
public:
    ParentWatch(ByteSink& inner, const ProcFs& procfs) : inner_(inner), procfs_(procfs) {}

    bool write(const void* data, std::size_t len) override;
    void flush() override { inner_.flush(); }

    // Reads the parents of the children orphaned since the last call and
    // writes the moves through `out` (a writer on this sink). False when
    // the sink failed.
    bool follow(WireWriter& out);
    bool pending() const { return !orphans_.empty(); }
    std::size_t known() const { return procs_.size(); }

private:
    struct Known {
        std::uint64_t start_ns = 0;
        std::uint32_t ppid = 0;
    };
    struct Orphan {
        pt_ident proc;
        pt_ident dead_parent;
        std::uint64_t exit_ns = 0;  // the kernel re-parents at the parent's exit
        unsigned looks = 0;
    };

    void note(const void* data, std::size_t len);
    void started(pt_ident proc, std::uint32_t ppid);
    void exited(pt_ident proc, std::uint64_t time_ns);
    void set_parent(std::uint32_t pid, std::uint32_t ppid);
    pt_ident parent_ident(std::uint32_t ppid) const;

    ByteSink& inner_;
    const ProcFs& procfs_;
    std::unordered_map<std::uint32_t, Known> procs_;  // by pid: what the stream announced
    std::unordered_map<std::uint32_t, std::unordered_set<std::uint32_t>> children_;  // ppid -> pids
    std::vector<Orphan> orphans_;
};

}  // namespace proctree::collect

// ParentWatch: re-parenting found in /proc after a parent's exit (see
// parent_watch.hpp).
#include <proctree/linux/parent_watch.hpp>

#include <cstddef>
#include <cstring>

namespace proctree::collect {

namespace {

// A child still naming its dead parent is looked at on this many follow()s
// (each some milliseconds apart) before it is given up.
constexpr unsigned kMaxLooks = 64;

template <class T>
T load(const void* p)
{
    T value;
    std::memcpy(&value, p, sizeof value);
    return value;
}

}  // namespace

bool ParentWatch::write(const void* data, std::size_t len)
{
    note(data, len);
    return inner_.write(data, len);
}

// One write is one whole record (WireWriter), or the stream header.
void ParentWatch::note(const void* data, std::size_t len)
{
    if (len < sizeof(pt_record_header) || std::memcmp(data, PT_WIRE_MAGIC, PT_WIRE_MAGIC_LEN) == 0) return;
    auto h = load<pt_record_header>(data);
    if (h.size > len) return;
    switch (h.type) {
    case PT_REC_PROCESS_CREATE:
        if (len >= sizeof(pt_process_create)) {
            auto r = load<pt_process_create>(data);
            started(r.proc, r.parent.pid);
        }
        break;
    case PT_REC_PROCESS_EXIT:
        if (len >= PT_PROCESS_EXIT_FIXED_V0)
            exited(load<pt_ident>(static_cast<const char*>(data) + offsetof(pt_process_exit, proc)), h.time_ns);
        break;
    case PT_REC_PROCESS_REPARENT:
        if (len >= sizeof(pt_process_reparent)) {
            auto r = load<pt_process_reparent>(data);
            if (auto it = procs_.find(r.proc.pid); it != procs_.end() && it->second.start_ns == r.proc.start_ns)
                set_parent(r.proc.pid, r.parent.pid);
        }
        break;
    case PT_REC_SNAPSHOT_BEGIN:
        // A complete snapshot lists every process again, with its parent now.
        if (len >= sizeof(pt_snapshot) && (load<pt_snapshot>(data).flags & PT_SNAPSHOT_COMPLETE)) {
            procs_.clear();
            children_.clear();
            orphans_.clear();
        }
        break;
    default: break;
    }
}

void ParentWatch::set_parent(std::uint32_t pid, std::uint32_t ppid)
{
    Known& k = procs_[pid];
    if (auto it = children_.find(k.ppid); it != children_.end()) {
        it->second.erase(pid);
        if (it->second.empty()) children_.erase(it);
    }
    k.ppid = ppid;
    if (ppid != 0) children_[ppid].insert(pid);
}

void ParentWatch::started(pt_ident proc, std::uint32_t ppid)
{
    procs_[proc.pid].start_ns = proc.start_ns;
    set_parent(proc.pid, ppid);
}

void ParentWatch::exited(pt_ident proc, std::uint64_t time_ns)
{
    auto it = procs_.find(proc.pid);
    if (it == procs_.end() || (proc.start_ns != 0 && it->second.start_ns != proc.start_ns)) return;
    pt_ident dead{proc.pid, 0, it->second.start_ns};
    set_parent(proc.pid, 0);
    procs_.erase(it);
    auto kids = children_.find(proc.pid);
    if (kids == children_.end()) return;  // the usual case: no children left
    for (std::uint32_t child : kids->second)
        if (auto c = procs_.find(child); c != procs_.end())
            orphans_.push_back(Orphan{pt_ident{child, 0, c->second.start_ns}, dead, time_ns, 0});
    // They keep naming the dead pid until follow() sees them move, but a
    // later process with that pid must not inherit them.
    children_.erase(kids);
}

pt_ident ParentWatch::parent_ident(std::uint32_t ppid) const
{
    if (auto it = procs_.find(ppid); it != procs_.end()) return pt_ident{ppid, 0, it->second.start_ns};
    return pt_ident{ppid, 0, procfs_.start_ns(ppid).value_or(0)};
}

bool ParentWatch::follow(WireWriter& out)
{
    std::vector<Orphan> waiting;
    std::vector<Orphan> now;
    now.swap(orphans_);
    for (Orphan& o : now) {
        auto it = procs_.find(o.proc.pid);
        // Gone (its exit was written), or already moved by a record.
        if (it == procs_.end() || it->second.start_ns != o.proc.start_ns || it->second.ppid != o.dead_parent.pid)
            continue;
        auto seen = procfs_.lineage(o.proc.pid);
        if (!seen || seen->start_ns != o.proc.start_ns) continue;  // gone: its exit follows
        if (seen->ppid == o.dead_parent.pid) {
            if (++o.looks < kMaxLooks) waiting.push_back(o);
            continue;
        }
        if (!out.reparent(o.exit_ns, o.proc, parent_ident(seen->ppid), o.dead_parent)) return false;
    }
    waiting.insert(waiting.end(), orphans_.begin(), orphans_.end());  // orphaned by the records just written
    orphans_.swap(waiting);
    return true;
}

}  // namespace proctree::collect

// Where a process hangs in the tree: under its current parent once that is
// known, waiting at the root until it arrives, and moved when the kernel
// re-parents it (its parent exited: Linux hands it to the nearest subreaper
// or to init). Who spawned it stays in recorded_parent.
#include <proctree/model/tree.hpp>

namespace proctree::model {

// True when n is top or lies inside top's subtree.
bool ProcessTree::is_within(const Process* n, const Process* top) const
{
    for (; n && n != &root_; n = n->parent_)
        if (n == top) return true;
    return false;
}

void ProcessTree::place(Process* p)
{
    Process* parent = resolve_parent(*p);
    if (parent && is_within(parent, p)) parent = nullptr;  // a corrupt stream must not make a cycle
    const Identity& rp = p->current_parent;
    // resolve_parent found no parent: with a start time, it is simply not here
    // yet (unless it started after the child: then it is not the parent); by
    // pid alone, only if no process holds that pid now.
    bool may_arrive_later = rp.start_ns != 0 ? rp.start_ns <= p->id.start_ns : !find_pid(rp.pid, rp.host);
    if (!parent && rp.pid != 0 && rp.pid != p->id.pid && may_arrive_later)
        waiting_.emplace(rp, p);  // events can arrive out of order: adopt it then
    link(parent ? parent : root_of(*p), p);
}

void ProcessTree::stop_waiting(Process* p)
{
    auto [begin, end] = waiting_.equal_range(p->current_parent);
    for (auto it = begin; it != end; ++it)
        if (it->second == p) {
            waiting_.erase(it);
            return;
        }
}

// Children that arrived before this process and named it as their parent.
void ProcessTree::adopt_waiting(Process* parent)
{
    if (waiting_.empty()) return;  // the usual case: parents come first
    for (Identity key : {parent->id, Identity{parent->id.pid, 0, parent->id.host}}) {
        auto [begin, end] = waiting_.equal_range(key);
        for (auto it = begin; it != end;) {
            Process* child = it->second;
            if (child->parent_ == root_of(*child) && resolve_parent(*child) == parent && !is_within(parent, child)) {
                unlink(child);
                link(parent, child);
                it = waiting_.erase(it);
            } else {
                ++it;
            }
        }
    }
}

// The kernel's truth: the process belongs to `parent` from now on.
void ProcessTree::reparent(Process* p, Identity parent, std::uint64_t time_ns)
{
    if (parent == p->current_parent || parent == p->id) return;
    ++stats_.reparents;
    ++generation_;
    stop_waiting(p);
    p->current_parent = parent;
    p->reparented_ns = time_ns;
    unlink(p);
    place(p);
}

}  // namespace proctree::model

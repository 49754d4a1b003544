// The log pane's lines, one per record, the oldest dropped past the capacity.
#include <proctree/model/event_log.hpp>
#include <proctree/model/export.hpp>

#include <fmt/core.h>

namespace proctree::model {

namespace {

LogEntry entry_for(const ProcessTree& tree, std::uint64_t time_ns, LogKind kind, Identity id)
{
    LogEntry e;
    e.time_ns = time_ns;
    e.kind = kind;
    e.proc = id;
    const Process* p = id.start_ns != 0 ? tree.find(id) : tree.find_pid(id.pid);
    if (!p) return e;
    e.proc = p->id;
    e.name = p->name;
    if (const Process* parent = p->parent()) e.parent_name = parent->name;
    return e;
}

}  // namespace

std::string_view to_string(LogKind kind)
{
    switch (kind) {
    case LogKind::Create: return "create";
    case LogKind::Exec: return "exec";
    case LogKind::Exit: return "exit";
    case LogKind::Rename: return "rename";
    case LogKind::Lost: return "lost";
    case LogKind::Reparent: return "reparent";
    }
    return "?";
}

void EventLog::push(LogEntry entry)
{
    if (entries_.size() >= capacity_) entries_.pop_front();
    entries_.push_back(std::move(entry));
    ++total_;
}

void EventLog::count(const Record& r)
{
    if (const auto* s = std::get_if<Snapshot>(&r.body)) {
        in_snapshot_ = s->begin;
        return;
    }
    bool create = std::holds_alternative<ProcessCreate>(r.body);
    if (create && in_snapshot_) return;
    // the records add() makes a line of
    if (create || std::holds_alternative<ProcessExec>(r.body) || std::holds_alternative<ProcessExit>(r.body) ||
        std::holds_alternative<ProcessRename>(r.body) || std::holds_alternative<ProcessReparent>(r.body) ||
        std::holds_alternative<EventsLost>(r.body))
        ++total_;
}

EventLog EventLog::resumed(std::size_t capacity) const
{
    EventLog log(capacity);
    log.total_ = total_;
    log.in_snapshot_ = in_snapshot_;
    return log;
}

void EventLog::add(const Record& r, const ProcessTree& tree)
{
    if (capacity_ == 0 || std::holds_alternative<Snapshot>(r.body)) return count(r);
    if (std::holds_alternative<ProcessCreate>(r.body) && in_snapshot_) return;
    if (const auto* c = std::get_if<ProcessCreate>(&r.body)) {
        push(entry_for(tree, r.time_ns, LogKind::Create, c->proc));
    } else if (const auto* x = std::get_if<ProcessExec>(&r.body)) {
        LogEntry e = entry_for(tree, r.time_ns, LogKind::Exec, x->proc);
        e.detail = std::string(x->image);
        push(std::move(e));
    } else if (const auto* q = std::get_if<ProcessExit>(&r.body)) {
        LogEntry e = entry_for(tree, r.time_ns, LogKind::Exit, q->proc);
        const Process* p = tree.find(e.proc);
        if (p && p->exited) {
            e.detail = describe_exit(*p);
            if (std::uint64_t life = process_lifetime_ns(*p)) e.detail += " after " + format_duration(life);
        }
        push(std::move(e));
    } else if (const auto* n = std::get_if<ProcessRename>(&r.body)) {
        LogEntry e = entry_for(tree, r.time_ns, LogKind::Rename, n->proc);
        const Process* p = tree.find(e.proc);
        const ProcessHistory* h = p ? p->history() : nullptr;
        if (h && !h->renames.empty() && h->renames.back().time_ns == r.time_ns) e.detail = h->renames.back().before;
        push(std::move(e));
    } else if (const auto* m = std::get_if<ProcessReparent>(&r.body)) {
        LogEntry e = entry_for(tree, r.time_ns, LogKind::Reparent, m->proc);
        e.detail = fmt::format("from {} to {}", m->previous.pid, m->parent.pid);
        push(std::move(e));
    } else if (const auto* l = std::get_if<EventsLost>(&r.body)) {
        LogEntry e;
        e.time_ns = r.time_ns;
        e.kind = LogKind::Lost;
        e.detail = l->count ? fmt::format("{} events", l->count) : std::string("events (count unknown)");
        push(std::move(e));
    }
}

bool in_subtree(const ProcessTree& tree, Identity proc, const Process* top)
{
    if (!top) return true;
    for (const Process* p = tree.find(proc); p; p = p->parent())
        if (p == top) return true;
    return false;
}

}  // namespace proctree::model

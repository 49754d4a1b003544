// The log pane's lines, one per record, the oldest dropped past the capacity.
#include <proctree/model/event_log.hpp>
#include <proctree/model/export.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <limits>
#include <string>

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

LogEntry EventLog::at(std::size_t i) const
{
    const Slot& s = slots_[(first_ + i) % slots_.size()];
    const char* text = text_.data() + s.text;
    return LogEntry{s.time_ns,
                    s.kind,
                    s.proc,
                    {text, s.name_len},
                    {text + s.name_len, s.parent_len},
                    {text + s.name_len + s.parent_len, s.detail_len}};
}

void EventLog::drop_oldest()
{
    const Slot& s = slots_[first_];
    text_used_ -= s.skipped + s.text_len();
    first_ = (first_ + 1) % slots_.size();
    if (--size_ == 0) first_ = text_head_ = text_used_ = 0;
}

// Room for n bytes at the head of the text ring, contiguous: past its end,
// the line starts over at the front and the bytes before the end are
// skipped. Grows the ring (rather than dropping lines) when it is full.
std::uint32_t EventLog::place_text(std::size_t n, std::uint32_t& skipped)
{
    bool wraps = false;
    for (;;) {
        const std::size_t free = text_.size() - text_used_;
        const std::size_t to_end = text_.size() - text_head_;
        wraps = n > to_end;  // (a head right at the end wraps too, skipping nothing)
        skipped = wraps ? static_cast<std::uint32_t>(to_end) : 0;
        if (skipped + n <= free) break;
        grow_text(n);
    }
    const std::size_t at = wraps ? 0 : text_head_;
    text_head_ = at + n;
    text_used_ += skipped + n;
    return static_cast<std::uint32_t>(at);
}

// A ring twice as large (or more, for a long line), the kept lines' strings
// packed at its front, oldest first.
void EventLog::grow_text(std::size_t n)
{
    std::size_t size = std::max<std::size_t>(text_.size() * 2, 4096);
    while (size < text_used_ + n) size *= 2;
    std::vector<char> grown(size);
    std::size_t at = 0;
    for (std::size_t i = 0; i < size_; ++i) {
        Slot& s = slots_[(first_ + i) % slots_.size()];
        std::copy_n(text_.data() + s.text, s.text_len(), grown.data() + at);
        s.text = static_cast<std::uint32_t>(at);
        s.skipped = 0;
        at += s.text_len();
    }
    text_.swap(grown);
    text_head_ = text_used_ = at;
}

void EventLog::push(const LogEntry& e)
{
    if (size_ >= capacity_) drop_oldest();
    // Lengths fit a slot's 16 bits (wire strings are far shorter).
    auto clip = [](std::string_view v) { return v.substr(0, std::numeric_limits<std::uint16_t>::max()); };
    const std::string_view name = clip(e.name), parent = clip(e.parent_name), detail = clip(e.detail);
    Slot s{e.time_ns,
           e.proc,
           0,
           0,
           static_cast<std::uint16_t>(name.size()),
           static_cast<std::uint16_t>(parent.size()),
           static_cast<std::uint16_t>(detail.size()),
           e.kind};
    s.text = place_text(s.text_len(), s.skipped);
    char* out = text_.data() + s.text;
    out = std::copy(name.begin(), name.end(), out);
    out = std::copy(parent.begin(), parent.end(), out);
    std::copy(detail.begin(), detail.end(), out);
    // The slots reach their full number once, in one block.
    if (slots_.capacity() < capacity_) slots_.reserve(capacity_);
    if (slots_.size() < capacity_) slots_.push_back(s);
    else slots_[(first_ + size_) % slots_.size()] = s;
    ++size_;
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
    // The entries' strings are views (of the tree, or of `detail`) until push copies them.
    std::string detail;
    if (const auto* c = std::get_if<ProcessCreate>(&r.body)) {
        push(entry_for(tree, r.time_ns, LogKind::Create, c->proc));
    } else if (const auto* x = std::get_if<ProcessExec>(&r.body)) {
        LogEntry e = entry_for(tree, r.time_ns, LogKind::Exec, x->proc);
        e.detail = x->image;
        push(e);
    } else if (const auto* q = std::get_if<ProcessExit>(&r.body)) {
        LogEntry e = entry_for(tree, r.time_ns, LogKind::Exit, q->proc);
        const Process* p = tree.find(e.proc);
        if (p && p->exited) {
            detail = describe_exit(*p);
            if (std::uint64_t life = process_lifetime_ns(*p)) detail += " after " + format_duration(life);
        }
        e.detail = detail;
        push(e);
    } else if (const auto* n = std::get_if<ProcessRename>(&r.body)) {
        LogEntry e = entry_for(tree, r.time_ns, LogKind::Rename, n->proc);
        const Process* p = tree.find(e.proc);
        const ProcessHistory* h = p ? p->history() : nullptr;
        if (h && !h->renames.empty() && h->renames.back().time_ns == r.time_ns) e.detail = h->renames.back().before;
        push(e);
    } else if (const auto* m = std::get_if<ProcessReparent>(&r.body)) {
        LogEntry e = entry_for(tree, r.time_ns, LogKind::Reparent, m->proc);
        detail = fmt::format("from {} to {}", m->previous.pid, m->parent.pid);
        e.detail = detail;
        push(e);
    } else if (const auto* l = std::get_if<EventsLost>(&r.body)) {
        detail = l->count ? fmt::format("{} events", l->count) : std::string("events (count unknown)");
        push(LogEntry{r.time_ns, LogKind::Lost, {}, {}, {}, detail});
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

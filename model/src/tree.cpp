// The process tree. Children are an intrusive list sorted by start time
// (creation order); every node keeps the number of rows its subtree shows
// with and without the name filter, updated along the ancestor chain on each
// change, so the view never has to walk the whole tree.
#include <proctree/model/tree.hpp>
#include <proctree/wire.h>

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace proctree::model {

namespace {

using HeapItem = std::pair<std::uint64_t, Identity>;
constexpr auto kHeapOrder = [](const HeapItem& a, const HeapItem& b) { return a.first > b.first; };

void heap_push(std::vector<HeapItem>& heap, HeapItem item)
{
    heap.push_back(item);
    std::push_heap(heap.begin(), heap.end(), kHeapOrder);
}

void heap_pop(std::vector<HeapItem>& heap)
{
    std::pop_heap(heap.begin(), heap.end(), kHeapOrder);
    heap.pop_back();
}

std::uint64_t pid_key(std::uint32_t pid, std::uint32_t host) { return std::uint64_t(host) << 32 | pid; }

bool starts_before(const Process& a, const Process& b)
{
    return a.id.start_ns != b.id.start_ns ? a.id.start_ns < b.id.start_ns : a.created_ns < b.created_ns;
}

}  // namespace

std::string Filter::describe() const
{
    std::string out;
    if (!name.empty()) out = fmt::format("{}~{}", match_cmdline ? "cmdline" : "name", name);
    if (!users.empty()) {
        std::string list;
        for (const std::string& u : users) list += (list.empty() ? "" : ",") + u;
        out += fmt::format("{}user={}", out.empty() ? "" : " ", list);
    }
    if (!pids.empty()) out += fmt::format("{}pid={}", out.empty() ? "" : " ", fmt::join(pids, ","));
    return out;
}

ProcessTree::ProcessTree(TreeConfig config) : config_(config)
{
    root_.rows_[0] = root_.rows_[1] = 0;
    root_.sentinel_ = true;
}

ProcessTree::~ProcessTree() = default;

ProcessTree::ProcessTree(const ProcessTree& other) { copy_from(other); }

void ProcessTree::copy_from(const ProcessTree& o)
{
    config_ = o.config_;
    root_ = o.root_;
    // Node by node, so that every copied pointer can be re-pointed at the
    // copy of what it pointed to.
    std::unordered_map<const Process*, Process*> copy_of;
    copy_of.reserve(o.by_id_.size() + o.superseded_.size() + 1);
    copy_of.emplace(&o.root_, &root_);
    by_id_.clear();
    by_id_.reserve(o.by_id_.size());
    for (const auto& [id, p] : o.by_id_) copy_of.emplace(&p, &by_id_.emplace(id, p).first->second);
    superseded_.clear();
    for (const auto& [id, p] : o.superseded_) copy_of.emplace(&p, &superseded_.emplace(id, p)->second);
    by_pid_ = o.by_pid_;
    waiting_ = o.waiting_;
    expiry_ = o.expiry_;
    newness_ = o.newness_;
    exit_order_ = o.exit_order_;
    lineage_only_ = o.lineage_only_;
    collapsed_ids_ = o.collapsed_ids_;
    filter_ = o.filter_;
    query_ = o.query_;
    match_active_ = o.match_active_;
    header_ = o.header_;
    facts_pool_ = o.facts_pool_;
    stats_ = o.stats_;
    now_ = o.now_;
    generation_ = o.generation_;
    next_serial_ = o.next_serial_;
    in_snapshot_ = o.in_snapshot_;
    snapshot_complete_ = o.snapshot_complete_;
    hosts_ = o.hosts_;
    current_host_ = o.current_host_;
    auto mine = [&](Process*& p) {
        if (p) p = copy_of.at(p);
    };
    auto repoint = [&](Process& n) {
        mine(n.parent_);
        mine(n.first_child_);
        mine(n.last_child_);
        mine(n.prev_);
        mine(n.next_);
        mine(n.older_same_pid_);
    };
    repoint(root_);
    for (auto& [id, p] : by_id_) repoint(p);
    for (auto& [id, p] : superseded_) repoint(p);
    for (auto& [pid, p] : by_pid_) mine(p);
    for (auto& [id, p] : waiting_) mine(p);
}

void ProcessTree::restore(const ProcessTree& checkpoint)
{
    Filter filter = std::move(filter_);
    auto collapsed = std::move(collapsed_ids_);
    std::uint64_t generation = generation_;
    bool keep = config_.keep_exited;
    copy_from(checkpoint);
    set_keep_exited(keep);                                           // the viewer's choice, like the filter
    generation_ = std::max(generation, checkpoint.generation_) + 1;  // a view must notice the change
    for (auto& [id, p] : by_id_) p.collapsed_ = false;
    for (auto& [id, p] : superseded_) p.collapsed_ = false;
    collapsed_ids_.clear();
    for (const Identity& id : collapsed)
        if (Process* p = node(id)) {
            p->collapsed_ = true;
            collapsed_ids_.insert(id);
        }
    set_filter(std::move(filter));  // recounts every row
}

std::size_t ProcessTree::memory_estimate() const
{
    constexpr std::size_t kNodeOverhead = 64;  // hash nodes and buckets of by_id_ and by_pid_
    std::size_t bytes = sizeof(*this) + size() * (sizeof(Process) + kNodeOverhead);
    auto heap_bytes = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
    auto strings = [&](const Process& p) {
        return heap_bytes(p.name) + heap_bytes(p.user) + heap_bytes(p.image) + heap_bytes(p.cmdline) +
               p.execs.capacity() * (sizeof(ExecStep) + 32);
    };
    for (const auto& [id, p] : by_id_) bytes += strings(p) + history_bytes(p);
    for (const auto& [id, p] : superseded_) bytes += strings(p) + history_bytes(p);
    bytes += exit_order_.size() * sizeof(exit_order_.front());
    bytes += (expiry_.capacity() + newness_.capacity()) * sizeof(HeapItem);
    bytes += (waiting_.size() + collapsed_ids_.size()) * kNodeOverhead;
    return bytes;
}

void ProcessTree::apply_header(const StreamHeader& header)
{
    if (config_.hosts) switch_host(header);
    header_ = header;
    ++generation_;
}

Process* ProcessTree::node(Identity id) const
{
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : const_cast<Process*>(&it->second);
}

const Process* ProcessTree::find(Identity id) const { return node(id); }

const Process* ProcessTree::find_pid(std::uint32_t pid, std::uint32_t host) const
{
    auto it = by_pid_.find(pid_key(pid, host));
    return it == by_pid_.end() ? nullptr : it->second;
}

ProcState ProcessTree::state(const Process& p) const
{
    if (p.exited) return now_ < p.exited_ns + config_.highlight_ns ? ProcState::Exiting : ProcState::Exited;
    if (!p.from_snapshot && now_ < p.created_ns + config_.highlight_ns) return ProcState::New;
    return ProcState::Normal;
}

std::uint64_t ProcessTree::next_change_ns() const
{
    std::uint64_t next = std::numeric_limits<std::uint64_t>::max();
    if (!expiry_.empty()) next = std::min(next, expiry_.front().first);
    if (!newness_.empty()) next = std::min(next, newness_.front().first);
    return next;
}

void ProcessTree::apply_body(const Record& r)
{
    ++stats_.records;
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, ProcessCreate>) {
                create(r, body);
            } else if constexpr (std::is_same_v<T, ProcessExit>) {
                on_exit(r.time_ns, body);
            } else if constexpr (std::is_same_v<T, ProcessExec>) {
                on_exec(r, body);
            } else if constexpr (std::is_same_v<T, ProcessReparent>) {
                if (Process* p = node(body.proc); p && !p->exited) reparent(p, body.parent, r.time_ns);
            } else if constexpr (std::is_same_v<T, ImageFactsRecord>) {
                on_image_facts(body);
            } else if constexpr (std::is_same_v<T, ProcessRename>) {
                if (Process* p = node(body.proc); p && !body.name.empty()) {
                    note_rename(p, r.time_ns, body.name);
                    p->name = body.name;
                    refresh_match(p);
                    ++generation_;
                }
            } else if constexpr (std::is_same_v<T, ThreadEvent>) {
                if (Process* p = node(body.proc)) {
                    if (body.created) ++p->threads;
                    else if (p->threads > 1) --p->threads;
                    ++generation_;
                }
            } else if constexpr (std::is_same_v<T, Snapshot>) {
                on_snapshot(body, r.time_ns);
            } else if constexpr (std::is_same_v<T, EventsLost>) {
                stats_.events_lost += body.count;
                ++stats_.loss_reports;
                ++generation_;
            } else if constexpr (std::is_same_v<T, ImageLoad>) {
                note_image(r, body);
            } else if constexpr (std::is_same_v<T, UnknownRecord>) {
                ++stats_.unknown_records;
            }
        },
        r.body);
    // Not inside the handlers: dropping a process there could free one they still use.
    if (config_.keep_exited) enforce_history();
    advance(r.time_ns);
}

// The parent a process hangs under: its current parent if that is known and
// did not start after it (a later start means the pid was reused).
Process* ProcessTree::resolve_parent(const Process& child) const
{
    const Identity& rp = child.current_parent;
    if (rp.pid == 0 || rp == child.id) return nullptr;
    Process* cand = rp.start_ns != 0 ? node(rp) : const_cast<Process*>(find_pid(rp.pid, rp.host));
    if (!cand || cand == &child) return nullptr;
    if (cand->id.start_ns > child.id.start_ns) return nullptr;
    return cand;
}

// The sibling a child goes after (nullptr: first) to keep the children
// sorted by start time. New children almost always go last; a child moved
// up from a retired parent goes somewhere in a long list, so the search also
// walks forward from `near` (a sibling close to its place), a step each in
// turn with the walk back from the end: both stop at the same place.
Process* ProcessTree::insertion_point(const Process* parent, const Process& child, Process* near)
{
    bool near_before = near && near->parent_ == parent && !starts_before(child, *near);
    Process* back = near && near->parent_ == parent && !near_before ? near->prev_ : parent->last_child_;
    Process* fwd = near_before ? near : nullptr;
    for (;;) {
        if (!back || !starts_before(child, *back)) return back;
        back = back->prev_;
        if (fwd) {
            if (!fwd->next_ || starts_before(child, *fwd->next_)) return fwd;
            fwd = fwd->next_;
        }
    }
}

void ProcessTree::link(Process* parent, Process* child, Process* near)
{
    Process* after = insertion_point(parent, *child, near);
    child->parent_ = parent;
    child->prev_ = after;
    child->next_ = after ? after->next_ : parent->first_child_;
    if (child->next_) child->next_->prev_ = child;
    else parent->last_child_ = child;
    if (after) after->next_ = child;
    else parent->first_child_ = child;

    int dmatch = !match_active_ ? 0 : int(child->matches_) + int(child->matches_below_);
    parent->child_rows_[0] += child->rows_[0];
    parent->child_rows_[1] += child->rows_[1];
    parent->matches_below_ += static_cast<std::uint32_t>(dmatch);
    propagate(parent, dmatch);
}

void ProcessTree::unlink(Process* child)
{
    Process* parent = child->parent_;
    if (!parent) return;
    if (child->prev_) child->prev_->next_ = child->next_;
    else parent->first_child_ = child->next_;
    if (child->next_) child->next_->prev_ = child->prev_;
    else parent->last_child_ = child->prev_;
    child->prev_ = child->next_ = nullptr;
    child->parent_ = nullptr;

    int dmatch = !match_active_ ? 0 : int(child->matches_) + int(child->matches_below_);
    parent->child_rows_[0] -= child->rows_[0];
    parent->child_rows_[1] -= child->rows_[1];
    parent->matches_below_ -= static_cast<std::uint32_t>(dmatch);
    propagate(parent, -dmatch);
}

// Recomputes n's row counts from its children and carries the differences
// (and dmatch, the change in matches inside n's subtree) up to the root.
void ProcessTree::propagate(Process* n, int dmatch)
{
    while (n) {
        std::uint32_t rows0, rows1;
        if (n == &root_) {
            rows0 = n->child_rows_[0];
            rows1 = n->child_rows_[1];
        } else {
            rows0 = 1 + (n->collapsed_ ? 0 : n->child_rows_[0]);
            bool visible = n->matches_ || n->matches_below_ > 0;
            rows1 = visible ? 1 + (n->collapsed_ ? 0 : n->child_rows_[1]) : 0;
        }
        std::int64_t d0 = std::int64_t(rows0) - n->rows_[0];
        std::int64_t d1 = std::int64_t(rows1) - n->rows_[1];
        n->rows_[0] = rows0;
        n->rows_[1] = rows1;
        Process* p = n->parent_;
        if (!p || (d0 == 0 && d1 == 0 && dmatch == 0)) return;
        p->child_rows_[0] = static_cast<std::uint32_t>(p->child_rows_[0] + d0);
        p->child_rows_[1] = static_cast<std::uint32_t>(p->child_rows_[1] + d1);
        p->matches_below_ = static_cast<std::uint32_t>(std::int64_t(p->matches_below_) + dmatch);
        n = p;
    }
}

bool ProcessTree::name_matches(const Process& p) const
{
    if (!match_active_) return true;
    if (p.host_node_) return false;  // shown for the matches of its processes
    if (filter_.hide_kernel_threads && (p.flags & PT_PROC_KERNEL_THREAD)) return false;
    if (!filter_.users.empty() && std::find(filter_.users.begin(), filter_.users.end(), p.user) == filter_.users.end())
        return false;
    return query_.matches(p.name, p.cmdline, filter_.match_cmdline);
}

void ProcessTree::refresh_match(Process* p)
{
    bool m = name_matches(*p);
    if (m == p->matches_) return;
    p->matches_ = m;
    propagate(p, !match_active_ ? 0 : (m ? 1 : -1));
}

// A create names a process already held only when it is the same one
// described twice: a snapshot (initial or resync) listing it, or its live
// create racing a snapshot that already listed it. Any other create is a new
// process, even with an identity equal to an exited one's (start times are
// clock ticks, so a pid reused within one tick repeats the identity).
bool ProcessTree::is_same_process(const Process& known, const ProcessCreate&) const
{
    if (known.exited) return false;
    return in_snapshot_ || known.from_snapshot || known.in_snapshot_;
}

void ProcessTree::refresh(Process* p, const Record& r, const ProcessCreate& c)
{
    p->in_snapshot_ = true;
    // A resync lists the parent the kernel gives it now: a re-parenting
    // whose record was lost.
    if (in_snapshot_ && c.parent.pid != p->current_parent.pid) reparent(p, c.parent, r.time_ns);
    // A string taken brings its own truncation facts with it.
    auto take_cut = [&](std::uint32_t flag, std::uint32_t FullLengths::*len) {
        p->flags = (p->flags & ~flag) | (c.flags & flag);
        p->full.*len = c.full.*len;
    };
    if (!c.name.empty()) p->name = c.name, take_cut(PT_PROC_NAME_TRUNCATED, &FullLengths::name);
    if (!c.cmdline.empty()) p->cmdline = c.cmdline, take_cut(PT_PROC_CMDLINE_TRUNCATED, &FullLengths::cmdline);
    if (!c.image.empty() && c.image != p->image) {
        p->image = c.image;
        p->image_seq = r.seq;
        p->image_facts.reset();
    }
    if (!c.image.empty()) take_cut(PT_PROC_IMAGE_TRUNCATED, &FullLengths::image);
    if (!c.user.empty()) p->user = c.user;
    if (c.threads) p->threads = c.threads;
    refresh_match(p);
}

Process* ProcessTree::create(const Record& r, const ProcessCreate& c)
{
    ++stats_.creates;
    ++generation_;
    if (auto known = by_id_.find(c.proc); known != by_id_.end()) {
        Process* old = &known->second;
        if (is_same_process(*old, c)) {
            refresh(old, r, c);
            return old;
        }
        if (!old->exited) {  // its exit was lost
            end(old, r.time_ns, ProcessExit{old->id, 0, 0, PT_EXIT_CODE_UNKNOWN, {}, {}});
            --stats_.exits;  // inferred, not reported
        }
        collapsed_ids_.erase(old->id);
        superseded_.insert(by_id_.extract(known));  // the node (and its address) moves
    }
    Process* p = &by_id_.try_emplace(c.proc).first->second;
    // A new process with a pid we hold for a living one: the old one must have
    // exited unseen (its exit was lost). Never confuse the two.
    if (auto [pid_slot, fresh] = by_pid_.try_emplace(pid_key(c.proc.pid, c.proc.host), p); !fresh) {
        Process* old = pid_slot->second;
        if (!old->exited && old->id.start_ns <= c.proc.start_ns) {
            end(old, r.time_ns, ProcessExit{old->id, 0, 0, PT_EXIT_CODE_UNKNOWN, {}, {}});
            --stats_.exits;  // inferred, not reported
        }
        p->older_same_pid_ = old;
        pid_slot->second = p;
    }

    p->id = c.proc;
    p->serial_ = next_serial_++;
    p->recorded_parent = c.parent;
    p->current_parent = c.parent;
    p->creator_pid = c.creator_pid;
    p->creator_tid = c.creator_tid;
    p->uid = c.uid;
    p->threads = c.threads ? c.threads : 1;
    p->flags = c.flags;
    p->full = c.full;
    p->from_snapshot = in_snapshot_;
    p->birth_seen = !in_snapshot_ && !(header_ && header_->source == SourceKind::Poll);
    p->in_snapshot_ = in_snapshot_;
    p->created_ns = r.time_ns;
    p->name = c.name;
    p->user = c.user;
    p->image = c.image;
    p->image_seq = r.seq;
    p->cmdline = c.cmdline;
    p->matches_ = name_matches(*p);
    p->rows_[0] = 1;
    p->rows_[1] = p->matches_ ? 1 : 0;
    count_living(*p, 1);

    place(p);
    adopt_waiting(p);
    if (!p->from_snapshot) heap_push(newness_, {r.time_ns + config_.highlight_ns, p->id});
    return p;
}

void ProcessTree::on_exit(std::uint64_t time_ns, const ProcessExit& e)
{
    ++stats_.exits;
    Process* p = e.proc.start_ns != 0 ? node(e.proc) : const_cast<Process*>(find_pid(e.proc.pid, e.proc.host));
    if (!p) {
        ++stats_.unmatched_exits;
        return;
    }
    end(p, time_ns, e);
}

void ProcessTree::end(Process* p, std::uint64_t time_ns, const ProcessExit& e)
{
    if (p->exited) return;
    p->exited = true;
    p->exit_code = e.code;
    p->exit_signal = e.signal;
    p->exit_flags = e.flags;
    p->cpu_ns_ = e.cpu_ns.value_or(0);
    p->peak_rss_ = e.peak_rss_bytes.value_or(0);
    p->exited_ns = std::max(time_ns, p->created_ns);
    count_living(*p, -1);
    ++stats_.exited;
    ++generation_;
    heap_push(expiry_, {p->exited_ns + config_.highlight_ns, p->id});
    exit_order_.emplace_back(p->exited_ns, p->id);
}

void ProcessTree::on_exec(const Record& r, const ProcessExec& e)
{
    ++stats_.execs;
    Process* p = node(e.proc);
    if (!p) return;
    if (p->execs.size() == Process::kMaxExecSteps) p->execs.erase(p->execs.begin());
    p->execs.push_back(ExecStep{r.time_ns, r.seq, std::move(p->image), p->image_seq, std::move(p->image_facts)});
    p->image_facts.reset();
    if (!e.name.empty()) p->name = e.name;
    p->image = e.image;
    p->image_seq = r.seq;
    // A fresh string, not an assignment (which keeps the buffer): the forked
    // parent's often long command line would stay allocated with the process.
    std::string(e.cmdline).swap(p->cmdline);
    if (!e.user.empty()) p->user = e.user;
    if (e.uid != PT_UID_UNKNOWN) p->uid = e.uid;
    p->flags = e.flags;
    p->full = e.full;
    refresh_match(p);
    ++generation_;
}

// Where facts about the image of record `seq` go in p: its image now, or
// the one an exec replaced; nullptr if no record of p's has that seq.
std::shared_ptr<const ImageFacts>* ProcessTree::facts_slot(Process& p, std::uint64_t seq)
{
    if (seq == p.image_seq) return &p.image_facts;
    for (ExecStep& step : p.execs)
        if (step.replaced_seq == seq) return &step.replaced_facts;
    return nullptr;
}

// Facts name the record whose image they describe: the current image, or one
// an exec has since replaced. A resync's repeated create of a known process
// carries a new seq for the same image: its facts fill a gap, never replace.
void ProcessTree::on_image_facts(const ImageFactsRecord& f)
{
    Process* p = node(f.proc);
    if (!p) return;
    std::shared_ptr<const ImageFacts>* slot = facts_slot(*p, f.event_seq);
    // Hashed off the capture path, facts can come after a pid reused within
    // the tick took the identity: they may be the predecessor's.
    auto [first, last] = superseded_.equal_range(f.proc);
    for (auto it = first; !slot && it != last; ++it) slot = facts_slot(it->second, f.event_seq);
    if (!slot && !p->image_facts && f.path == p->image) slot = &p->image_facts;
    if (!slot) return;
    *slot = facts_pool_.get(f);
    ++stats_.image_facts;
    ++generation_;
}

void ProcessTree::on_snapshot(const Snapshot& s, std::uint64_t time_ns)
{
    ++generation_;
    if (s.begin) {
        in_snapshot_ = true;
        snapshot_complete_ = (s.flags & PT_SNAPSHOT_COMPLETE) != 0;
        if (snapshot_complete_)
            for (auto& [id, p] : by_id_)
                if (id.host == current_host_) p.in_snapshot_ = false;
        return;
    }
    in_snapshot_ = false;
    if (!snapshot_complete_) return;
    snapshot_complete_ = false;
    if (current_host_) hosts_[current_host_ - 1].stale = false;
    // A complete snapshot lists every running process (of its host): the others are gone.
    std::vector<Identity> gone;
    for (auto& [id, p] : by_id_)
        if (id.host == current_host_ && !p.exited && !p.in_snapshot_ && !p.host_node_) gone.push_back(id);
    for (const Identity& id : gone) {
        on_exit(time_ns, ProcessExit{id, 0, 0, PT_EXIT_CODE_UNKNOWN, {}, {}});
        --stats_.exits;
    }
}

void ProcessTree::advance(std::uint64_t now_ns)
{
    now_ = std::max(now_, now_ns);
    while (!newness_.empty() && newness_.front().first <= now_) {
        heap_pop(newness_);
        ++generation_;  // a row stops being green
    }
    while (!expiry_.empty() && expiry_.front().first <= now_) {
        Identity id = expiry_.front().second;
        heap_pop(expiry_);
        if (Process* p = due_for_retirement(id)) expire(p);
    }
    if (!config_.keep_exited) drop_stale_exits();
}

void ProcessTree::release_spare()
{
    auto spare = [](std::size_t room, std::size_t used) { return room > 1024 && room > 4 * used; };
    if (spare(by_id_.bucket_count(), by_id_.size())) by_id_.rehash(0);
    if (spare(by_pid_.bucket_count(), by_pid_.size())) by_pid_.rehash(0);
    if (spare(expiry_.capacity(), expiry_.size())) expiry_.shrink_to_fit();
    if (spare(newness_.capacity(), newness_.size())) newness_.shrink_to_fit();
}

// The exited process with this identity whose time is up: a superseded one
// (older) first, else the one find() names.
Process* ProcessTree::due_for_retirement(Identity id)
{
    auto [begin, end] = superseded_.equal_range(id);
    for (auto it = begin; it != end; ++it)
        if (it->second.exited_ns + config_.highlight_ns <= now_) return &it->second;
    Process* p = node(id);
    return p && p->exited ? p : nullptr;
}

// An exited process leaves after its highlight time; its children move up
// to the nearest living ancestor (or become roots), remembering where they were.
void ProcessTree::retire(Process* p)
{
    // A parent kept only for the lineage leaves with its last child.
    while (p) {
        Process* up = p->parent_;
        retire_one(p);
        p = up && up->lineage_only_ && !up->first_child_ ? up : nullptr;
    }
}

void ProcessTree::retire_one(Process* p)
{
    Process* heir = p->parent_;
    while (heir && heir != &root_ && heir->exited) heir = heir->parent_;
    if (!heir) heir = &root_;
    // A sibling near where the children go: p's neighbour or the ancestor
    // below heir; then each moved child for the next (they are in order).
    Process* near = p;
    while (near && near->parent_ != heir) near = near->parent_;
    if (near == p) near = p->prev_ ? p->prev_ : p->next_;
    unlink(p);
    while (Process* c = p->first_child_) {
        if (c->original_parent.pid == 0 && c->original_parent.start_ns == 0) c->original_parent = p->id;
        unlink(c);
        link(heir, c, near);
        near = c;
    }
    stop_waiting(p);
    forget_pid(p);
    ++generation_;
    if (p->exited) --stats_.exited;
    if (p->lineage_only_) --lineage_only_;
    if (node(p->id) == p) {
        collapsed_ids_.erase(p->id);
        by_id_.erase(p->id);  // frees p
        return;
    }
    auto [first, last] = superseded_.equal_range(p->id);
    for (auto it = first; it != last; ++it)
        if (&it->second == p) {
            superseded_.erase(it);  // frees p
            return;
        }
}

// Takes p out of its pid's chain, newest first; the slot goes with the last.
void ProcessTree::forget_pid(Process* p)
{
    auto it = by_pid_.find(pid_key(p->id.pid, p->id.host));
    if (it == by_pid_.end()) return;
    Process** link = &it->second;
    while (*link && *link != p) link = &(*link)->older_same_pid_;
    if (*link) *link = p->older_same_pid_;
    if (!it->second) by_pid_.erase(it);
}

void ProcessTree::set_collapsed(Identity id, bool collapsed)
{
    Process* p = node(id);
    if (!p || p->collapsed_ == collapsed) return;
    p->collapsed_ = collapsed;
    if (collapsed) collapsed_ids_.insert(id);
    else collapsed_ids_.erase(id);
    propagate(p, 0);
    ++generation_;
}

void ProcessTree::toggle_collapsed(Identity id) { set_collapsed(id, !is_collapsed(id)); }

void ProcessTree::set_filter(Filter filter)
{
    filter_ = std::move(filter);
    query_ = parse_name_query(filter_.name);
    match_active_ = !query_.empty() || !filter_.users.empty() || filter_.hide_kernel_threads;
    recount_all();
    ++generation_;
}

// Recomputes matches and row counts bottom-up, without recursion.
void ProcessTree::recount_all()
{
    std::vector<Process*> order;
    order.reserve(by_id_.size());
    for (Process* c = root_.first_child_; c;) {
        order.push_back(c);
        if (c->first_child_) {
            c = c->first_child_;
            continue;
        }
        while (c && !c->next_) {
            c = c->parent_ == &root_ ? nullptr : c->parent_;
        }
        if (c) c = c->next_;
    }
    bool name_active = match_active_;
    root_.child_rows_[0] = root_.child_rows_[1] = root_.matches_below_ = 0;
    for (Process* p : order) {
        p->matches_ = name_matches(*p);
        p->child_rows_[0] = p->child_rows_[1] = p->matches_below_ = 0;
    }
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Process* n = *it;
        n->rows_[0] = 1 + (n->collapsed_ ? 0 : n->child_rows_[0]);
        bool visible = n->matches_ || n->matches_below_ > 0;
        n->rows_[1] = visible ? 1 + (n->collapsed_ ? 0 : n->child_rows_[1]) : 0;
        Process* parent = n->parent_;
        parent->child_rows_[0] += n->rows_[0];
        parent->child_rows_[1] += n->rows_[1];
        if (name_active) parent->matches_below_ += (n->matches_ ? 1 : 0) + n->matches_below_;
    }
    root_.rows_[0] = root_.child_rows_[0];
    root_.rows_[1] = root_.child_rows_[1];
}

}  // namespace proctree::model

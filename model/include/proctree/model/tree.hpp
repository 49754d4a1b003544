// proctree/model/tree.hpp - the process tree rebuilt from records.
//
// Rules (design.md, "Model"):
//  - identity is (pid, start time); a reused pid is a new process, and so is
//    every live create, even one whose identity equals an exited process's
//    (a pid reused within one clock tick): find() then names the newest;
//  - a recorded parent that started after its child is not its parent (the
//    child is an orphan at the root); a child whose parent has not arrived
//    yet waits at the root and moves under the parent when it arrives;
//  - children are kept in creation order;
//  - the tree follows the kernel's re-parenting (a reparent record, or a
//    resync snapshot naming another parent): the process moves under its
//    new parent at once; recorded_parent keeps who spawned it (lineage);
//  - a process is New for highlight_ns after its create, Exiting for
//    highlight_ns after its exit, then it leaves and its children move up to
//    the nearest living ancestor (remembering the original parent);
//  - keeping exited processes (keep_exited), they stay past the highlight
//    time, up to `history` of them: the oldest exits leave first, except a
//    dead process with descendants in the tree, which stays for the lineage
//    until its last descendant has left;
//  - processes from a snapshot are never New;
//  - a fleet (TreeConfig::hosts): the input is the hosts' streams cut at
//    record boundaries, each piece behind its host's stream header; every
//    identity then carries the host's key, each host is a top-level node
//    (Process::is_host) whose subtree is that host's tree, and a host's
//    complete snapshot ends only that host's processes it does not list.
// Time comes only from record timestamps and advance(now): deterministic.
//
// The tree also holds the view state (filter, collapsed processes) and
// keeps per-process row counts up to date on every change, so that the
// flattened view (view.hpp) costs O(rows produced), not O(processes).
#pragma once

#include <proctree/model/name_query.hpp>
#include <proctree/model/record.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace proctree::model {

struct TreeConfig {
    std::uint64_t highlight_ns = 3'000'000'000ull;
    bool keep_exited = false;              // exited processes stay past their highlight time
    std::size_t history = 100'000;         // how many exited processes are kept at most
    std::size_t images_per_process = 64;   // image loads kept per process (the first ones)
    std::size_t renames_per_process = 32;  // renames kept per process (the first ones)
    bool hosts = false;                    // a fleet: each stream header names a host (see above)
};

// A host of a fleet: what its node shows.
struct HostInfo {
    std::string name;
    StreamHeader header;               // its latest stream header
    std::size_t living = 0;            // its running processes
    std::uint64_t records = 0;         // applied
    std::uint64_t events_lost = 0;     // events-lost counts (a sequence gap is one too)
    std::uint64_t loss_reports = 0;    // events-lost records (a count may be unknown)
    bool stale = false;                // lost something since its last complete snapshot
    std::uint64_t last_record_ns = 0;  // time of its newest record
    // Its snapshot in progress: a host's snapshot may come in pieces
    // between other hosts' records.
    bool in_snapshot = false;
    bool snapshot_complete = false;
};

// Exiting: exited within the highlight time; Exited: kept after it.
enum class ProcState : std::uint8_t {
    Normal,
    New,
    Exiting,
    Exited
};

// What the producer read of an executable file (PT_REC_IMAGE_FACTS).
struct ImageFacts {
    std::uint16_t status = 0;  // PT_FACTS_HASHED, _UNREADABLE, _SKIPPED
    std::uint32_t error = 0;   // errno / Win32 error when unreadable
    std::uint64_t size = 0;    // bytes, when hashed
    std::array<std::uint8_t, 32> sha256{};
    std::string path;  // the file read
};

// The facts of each image once, whatever the number of processes that ran
// it (facts are immutable; a storm of one binary shares one copy).
class FactsPool {
public:
    std::shared_ptr<const ImageFacts> get(const ImageFactsRecord& f);
    std::size_t size() const { return pool_.size(); }

private:
    std::unordered_map<std::string, std::weak_ptr<const ImageFacts>> pool_;  // by path
    std::size_t prune_at_ = 64;
};

// One exec of a process: when, and the image it replaced (with that image's
// facts once they arrive).
struct ExecStep {
    std::uint64_t time_ns = 0;
    std::uint64_t seq = 0;  // of the exec record
    std::string replaced_image;
    std::uint64_t replaced_seq = 0;  // of the record that had set the replaced image
    std::shared_ptr<const ImageFacts> replaced_facts;
};

// A rename record (Linux comm changes, prctl PR_SET_NAME).
struct NameChange {
    std::uint64_t time_ns = 0;
    std::string before;
    std::string after;
};

struct LoadedImage {
    std::uint64_t time_ns = 0;
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    std::uint32_t flags = 0;  // PT_PROC_IMAGE_TRUNCATED
    std::string path;
};

// What few processes have: allocated on the first rename or image load,
// so a kept exited process costs little.
struct ProcessHistory {
    std::vector<NameChange> renames;
    std::uint32_t renames_dropped = 0;  // beyond TreeConfig::renames_per_process
    std::vector<LoadedImage> images;
    std::uint32_t images_dropped = 0;  // beyond TreeConfig::images_per_process
};

// Owns a process's history; copied with the process (tree copies are
// checkpoints). Only the processes that have one pay for it.
class HistoryBox {
public:
    HistoryBox() = default;
    HistoryBox(const HistoryBox& o) : p_(o.p_ ? std::make_unique<ProcessHistory>(*o.p_) : nullptr) {}
    HistoryBox& operator=(const HistoryBox& o)
    {
        if (this != &o) p_ = o.p_ ? std::make_unique<ProcessHistory>(*o.p_) : nullptr;
        return *this;
    }
    HistoryBox(HistoryBox&&) noexcept = default;
    HistoryBox& operator=(HistoryBox&&) noexcept = default;
    ~HistoryBox() = default;
    const ProcessHistory* get() const { return p_.get(); }
    ProcessHistory& make()
    {
        if (!p_) p_ = std::make_unique<ProcessHistory>();
        return *p_;
    }

private:
    std::unique_ptr<ProcessHistory> p_;
};

// One held process exactly. Two processes can share an Identity (a pid
// reused within one clock tick); the serial, given out in order of creation
// by the tree and kept by its copies, tells them apart.
struct ProcessRef {
    Identity id;
    std::uint64_t serial = 0;
    friend bool operator==(const ProcessRef&, const ProcessRef&) = default;
};

struct Process {
private:
    // Declared first: what flattening touches shares the node's first cache
    // line(s) (a full flatten of 100k processes is bound by these misses).
    friend class ProcessTree;
    friend class TreeViewAccess;
    Process* parent_ = nullptr;
    Process* first_child_ = nullptr;
    Process* last_child_ = nullptr;
    Process* prev_ = nullptr;
    Process* next_ = nullptr;
    // Rows this subtree contributes: [0] unfiltered, [1] under the name filter.
    std::uint32_t rows_[2] = {1, 0};
    std::uint32_t child_rows_[2] = {0, 0};
    std::uint32_t matches_below_ = 0;  // name-filter matches strictly inside the subtree
    bool matches_ = false;
    bool collapsed_ = false;
    bool in_snapshot_ = false;   // seen in the current complete snapshot
    bool sentinel_ = false;      // the tree's invisible root
    bool lineage_only_ = false;  // dropped from the history, stays for its descendants
    bool host_node_ = false;     // a fleet's host: its children are that host's roots
    // The next older process held with this pid (and host): by_pid_'s chain.
    Process* older_same_pid_ = nullptr;
    std::uint64_t serial_ = 0;  // ProcessRef::serial
    HistoryBox history_;

public:
    Identity id;
    std::uint64_t created_ns = 0;  // time of the create record
    std::uint64_t exited_ns = 0;   // time of the exit record
    bool from_snapshot = false;
    // Its create record came as it was created (an event source), so
    // created_ns is its birth; a poll or a snapshot found it later.
    bool birth_seen = false;
    bool exited = false;
    std::uint16_t exit_signal = 0;
    std::uint16_t exit_flags = 0;  // PT_EXIT_*
    std::int32_t exit_code = 0;
    Identity recorded_parent;         // as the producer recorded it at creation: who spawned it (lineage)
    Identity current_parent;          // the kernel's parent now: recorded_parent until a re-parenting
    std::uint64_t reparented_ns = 0;  // time of the last re-parenting; 0 if never
    Identity original_parent;         // the tree parent before it was moved up; {} if never moved
    std::uint32_t creator_pid = 0;
    std::uint32_t creator_tid = 0;
    std::uint32_t uid = 0xFFFFFFFFu;
    std::uint32_t threads = 1;
    std::uint32_t flags = 0;  // PT_PROC_*
    FullLengths full;         // of the cut strings, when the producer knew (truncation.hpp)
    std::string name, user, image, cmdline;
    std::uint64_t image_seq = 0;                    // seq of the record that set `image` (create or latest exec)
    std::shared_ptr<const ImageFacts> image_facts;  // of `image`; null until the producer sends them
    std::vector<ExecStep> execs;                    // oldest first, the last kMaxExecSteps

    static constexpr std::size_t kMaxExecSteps = 32;

    const Process* parent() const { return parent_ && !parent_->sentinel_ ? parent_ : nullptr; }
    const Process* first_child() const { return first_child_; }
    const Process* next_sibling() const { return next_; }
    bool collapsed() const { return collapsed_; }
    ProcessRef ref() const { return {id, serial_}; }
    // A fleet's host node (name: the host; id: {kHostPid, 0, host key}), not a process.
    bool is_host() const { return host_node_; }
    static constexpr std::uint32_t kHostPid = 0xFFFFFFFFu;  // no OS gives it out
    // Execs, renames and image loads seen; nullptr when none.
    const ProcessHistory* history() const { return history_.get(); }
    // The whole life's CPU time (user + system, ns) and peak RSS (bytes), from
    // its exit record where the source knew them; nullopt otherwise.
    std::optional<std::uint64_t> cpu_time_ns() const;
    std::optional<std::uint64_t> peak_rss_bytes() const;

private:
    std::uint64_t cpu_ns_ = 0;    // valid with PT_EXIT_CPU_KNOWN in exit_flags
    std::uint64_t peak_rss_ = 0;  // valid with PT_EXIT_RSS_KNOWN in exit_flags
};

// Filters keep the structure: a name filter shows matches and, dimmed, their
// ancestors; a PID filter shows those processes, their ancestors and their
// whole subtrees (including descendants created later), as one tree. Both
// may be set: the name filter then applies inside the PIDs' subtrees.
struct Filter {
    std::string name;                   // name_query.hpp syntax: "ssh|bash", "!kworker"; empty: none
    bool match_cmdline = false;         // also match the command line
    std::vector<std::uint32_t> pids{};  // empty: none
    std::vector<std::string> users{};   // only these users' processes; empty: every user
    // Linux kernel threads (PT_PROC_KERNEL_THREAD) left out, like htop's
    // default. Not part of empty() or describe(): a view setting, not a search.
    bool hide_kernel_threads = false;
    bool empty() const { return name.empty() && pids.empty() && users.empty(); }
    std::string describe() const;  // "name~ssh user=alice,bob pid=42,43", "" when empty
};

struct TreeStats {
    std::uint64_t records = 0;
    std::uint64_t creates = 0;
    std::uint64_t exits = 0;
    std::uint64_t execs = 0;
    std::uint64_t reparents = 0;     // re-parentings applied (records and snapshot differences)
    std::uint64_t events_lost = 0;   // sum of counts (unknown counts add 0)
    std::uint64_t loss_reports = 0;  // events-lost records seen
    std::uint64_t unknown_records = 0;
    std::uint64_t unmatched_exits = 0;  // exits for processes never seen
    std::uint64_t image_facts = 0;      // facts records attached to a process or exec
    std::uint64_t history_dropped = 0;  // kept exited processes dropped by the history bound
    std::size_t living = 0;
    std::size_t exited = 0;  // exited processes still in the tree
};

class ProcessTree {
public:
    explicit ProcessTree(TreeConfig config = {});
    ~ProcessTree();
    // An exact copy (a checkpoint for time travel): processes, clock,
    // counters and view state.
    ProcessTree(const ProcessTree& other);
    ProcessTree& operator=(const ProcessTree&) = delete;
    // Takes the checkpoint's processes, clock and counters, keeping this
    // tree's view state (filter; collapsed processes that exist in it).
    void restore(const ProcessTree& checkpoint);
    // Roughly the bytes this tree holds (bounds the checkpoints' memory).
    std::size_t memory_estimate() const;
    // Roughly the bytes of a process's history.
    static std::size_t history_bytes(const Process& p);

    void apply_header(const StreamHeader& header);
    void apply(const Record& record);  // also moves now() forward to record.time_ns
    // Sets the clock (never backwards) and retires exited processes whose
    // highlight time has passed.
    void advance(std::uint64_t now_ns);
    // Gives back the spare room of the maps and heaps once they hold far
    // fewer processes than they grew for (they never shrink by themselves).
    void release_spare();

    std::uint64_t now() const { return now_; }
    const TreeConfig& config() const { return config_; }
    ProcState state(const Process& p) const;
    // Earliest time at which some state changes by time alone; UINT64_MAX if none.
    std::uint64_t next_change_ns() const;
    // Bumped by every change that can alter what a view shows.
    std::uint64_t generation() const { return generation_; }

    // The newest process with this identity.
    const Process* find(Identity id) const;
    const Process* find(const ProcessRef& ref) const;
    // The living process with this pid (on that host of a fleet); else the
    // most recent one with it.
    const Process* find_pid(std::uint32_t pid, std::uint32_t host = 0) const;
    // Every process held with this pid, newest first: a reused pid's
    // predecessors stay findable while they are kept.
    std::vector<const Process*> with_pid(std::uint32_t pid, std::uint32_t host = 0) const;
    std::size_t size() const { return by_id_.size() + superseded_.size() - hosts_.size(); }
    const TreeStats& stats() const { return stats_; }
    const std::optional<StreamHeader>& header() const { return header_; }
    const Process* first_root() const { return root_.first_child_; }

    // A fleet's hosts, by key (1, 2, ... in order of arrival); nullptr for
    // 0 or a key not given out.
    const HostInfo* host(std::uint32_t key) const;
    std::size_t host_count() const { return hosts_.size(); }
    const Process* host_node(std::uint32_t key) const;

    // Keeping exited processes. Turning it off retires at once those past
    // their highlight time.
    void set_keep_exited(bool keep);
    bool keep_exited() const { return config_.keep_exited; }

    // View state.
    void set_filter(Filter filter);
    const Filter& filter() const { return filter_; }
    bool matches_filter(const Process& p) const { return p.matches_; }
    void set_collapsed(Identity id, bool collapsed);
    void toggle_collapsed(Identity id);
    bool is_collapsed(Identity id) const { return collapsed_ids_.contains(id); }
    const std::unordered_set<Identity, IdentityHash>& collapsed_ids() const { return collapsed_ids_; }

private:
    friend class TreeView;
    friend class TreeViewAccess;
    Process* node(Identity id) const;
    void apply_body(const Record& record);
    void switch_host(const StreamHeader& header);
    void note_host_record(const Record& record);
    Process* root_of(const Process& p) const;
    void count_living(const Process& p, int delta);
    Process* resolve_parent(const Process& child) const;
    Process* create(const Record& r, const ProcessCreate& c);
    bool is_same_process(const Process& known, const ProcessCreate& c) const;
    void refresh(Process* p, const Record& r, const ProcessCreate& c);
    void on_exit(std::uint64_t time_ns, const ProcessExit& e);
    void end(Process* p, std::uint64_t time_ns, const ProcessExit& e);
    Process* due_for_retirement(Identity id);
    void on_snapshot(const Snapshot& s, std::uint64_t time_ns);
    void on_exec(const Record& r, const ProcessExec& e);
    void reparent(Process* p, Identity parent, std::uint64_t time_ns);
    void on_image_facts(const ImageFactsRecord& f);
    static std::shared_ptr<const ImageFacts>* facts_slot(Process& p, std::uint64_t seq);
    void retire(Process* p);
    void retire_one(Process* p);
    void forget_pid(Process* p);
    void expire(Process* p);
    void enforce_history();
    void drop_stale_exits();
    Process* exited_at(Identity id, std::uint64_t exited_ns) const;
    void note_rename(Process* p, std::uint64_t time_ns, std::string_view name);
    void note_image(const Record& r, const ImageLoad& load);
    void place(Process* p);
    void stop_waiting(Process* p);
    bool is_within(const Process* n, const Process* top) const;
    static Process* insertion_point(const Process* parent, const Process& child, Process* near);
    void link(Process* parent, Process* child, Process* near = nullptr);
    void unlink(Process* child);
    void adopt_waiting(Process* parent);
    bool name_matches(const Process& p) const;
    void refresh_match(Process* p);
    void propagate(Process* from, int dmatch);
    void recount_all();
    void copy_from(const ProcessTree& other);

    // Every member below is copied by copy_from() (checkpoints); a member
    // holding Process pointers must be re-pointed there too.
    TreeConfig config_;
    Process root_;                                               // sentinel: its children are the roots
    std::unordered_map<Identity, Process, IdentityHash> by_id_;  // node-based: addresses are stable
    // Exited processes whose identity a newer process took (a pid reused
    // within one clock tick): kept until their highlight time is over.
    std::unordered_multimap<Identity, Process, IdentityHash> superseded_;
    std::unordered_map<std::uint64_t, Process*> by_pid_;  // newest process per (host, pid): pid_key()
    // Children whose (current) parent has not arrived: parent identity -> children.
    std::unordered_multimap<Identity, Process*, IdentityHash> waiting_;
    std::vector<std::pair<std::uint64_t, Identity>> expiry_;     // min-heap on exit time + highlight
    std::vector<std::pair<std::uint64_t, Identity>> newness_;    // min-heap on create time + highlight
    std::deque<std::pair<std::uint64_t, Identity>> exit_order_;  // exits, oldest first (stale ones skipped)
    std::size_t lineage_only_ = 0;                               // exited processes kept only for their descendants
    std::unordered_set<Identity, IdentityHash> collapsed_ids_;
    Filter filter_;
    NameQuery query_;            // the parsed filter_.name
    bool match_active_ = false;  // some part of the filter decides matches (name, users, kernel threads)
    std::optional<StreamHeader> header_;
    FactsPool facts_pool_;
    TreeStats stats_;
    std::uint64_t now_ = 0;
    std::uint64_t generation_ = 0;
    std::uint64_t next_serial_ = 1;
    bool in_snapshot_ = false;
    bool snapshot_complete_ = false;
    std::vector<HostInfo> hosts_;     // a fleet's hosts: key - 1
    std::uint32_t current_host_ = 0;  // whose records come now (its header came last)
};

}  // namespace proctree::model

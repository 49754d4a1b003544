// proctree/model/event_log.hpp - the last records as one line each: what
// the viewer's log pane shows. Fed after the tree applied each record, so
// names and parents are the tree's. Snapshot creates are not events (the
// processes were already running) and are left out.
#pragma once

#include <proctree/model/record.hpp>
#include <proctree/model/tree.hpp>

#include <cstdint>
#include <deque>
#include <string>

namespace proctree::model {

enum class LogKind : std::uint8_t {
    Create,
    Exec,
    Exit,
    Rename,
    Lost,
    Reparent
};

struct LogEntry {
    std::uint64_t time_ns = 0;
    LogKind kind = LogKind::Create;
    Identity proc;            // {} for events lost
    std::string name;         // raw: escape before showing
    std::string parent_name;  // raw; "" when it has no parent in the tree
    std::string detail;       // exit: "exit 0 after 1 ms"; rename: the old name; lost: "42 events";
                              // reparent: "from 812 to 1"
};

std::string_view to_string(LogKind kind);  // "create", "exec", "exit", "rename", "lost", "reparent"

class EventLog {
public:
    // Capacity 0 keeps no lines, only counts them (a checkpoint's mark).
    explicit EventLog(std::size_t capacity = 10'000) : capacity_(capacity) {}

    // After tree.apply(record).
    void add(const Record& record, const ProcessTree& tree);
    // Counts the line `record` would add without making it (a line that
    // would be dropped anyway, or a log of capacity 0).
    void count(const Record& record);

    std::size_t size() const { return entries_.size(); }
    const LogEntry& at(std::size_t i) const { return entries_[i]; }  // 0: the oldest kept
    std::uint64_t total() const { return total_; }                   // lines ever added
    std::size_t capacity() const { return capacity_; }
    // An empty log of `capacity` that goes on from this one's count and
    // snapshot state, as a replay from here fills it.
    EventLog resumed(std::size_t capacity) const;

private:
    void push(LogEntry entry);

    std::size_t capacity_;
    std::deque<LogEntry> entries_;
    std::uint64_t total_ = 0;
    bool in_snapshot_ = false;
};

// Whether the process is `top` or below it in the tree (the log pane under a
// PID filter). False when the process has left the tree.
bool in_subtree(const ProcessTree& tree, Identity proc, const Process* top);

}  // namespace proctree::model

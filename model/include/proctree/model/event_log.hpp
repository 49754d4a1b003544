// proctree/model/event_log.hpp - the last records as one line each: what
// the viewer's log pane shows. Fed after the tree applied each record, so
// names and parents are the tree's. Snapshot creates are not events (the
// processes were already running) and are left out.
#pragma once

#include <proctree/model/record.hpp>
#include <proctree/model/tree.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace proctree::model {

enum class LogKind : std::uint8_t {
    Create,
    Exec,
    Exit,
    Rename,
    Lost,
    Reparent
};

// One line, as EventLog::at() shows it: the strings are views into the log,
// valid until it next changes.
struct LogEntry {
    std::uint64_t time_ns = 0;
    LogKind kind = LogKind::Create;
    Identity proc;                 // {} for events lost
    std::string_view name;         // raw: escape before showing
    std::string_view parent_name;  // raw; "" when it has no parent in the tree
    std::string_view detail;       // exit: "exit 0 after 1 ms"; rename: the old name; lost: "42 events";
                                   // reparent: "from 812 to 1"
};

std::string_view to_string(LogKind kind);  // "create", "exec", "exit", "rename", "lost", "reparent"

// The lines live in two rings that reach their size once and are then
// reused: fixed-size slots, and one buffer of bytes holding each line's
// strings back to back. A long run of short-lived processes so leaves no
// small allocations scattered over the heap, which would keep its pages
// resident after the processes themselves are gone.
class EventLog {
public:
    // Capacity 0 keeps no lines, only counts them (a checkpoint's mark).
    explicit EventLog(std::size_t capacity = 10'000) : capacity_(capacity) {}

    // After tree.apply(record).
    void add(const Record& record, const ProcessTree& tree);
    // Counts the line `record` would add without making it (a line that
    // would be dropped anyway, or a log of capacity 0).
    void count(const Record& record);

    std::size_t size() const { return size_; }
    LogEntry at(std::size_t i) const;               // 0: the oldest kept
    std::uint64_t total() const { return total_; }  // lines ever added
    std::size_t capacity() const { return capacity_; }
    // Heap bytes the log holds (its two rings).
    std::size_t bytes_held() const { return slots_.capacity() * sizeof(Slot) + text_.capacity(); }
    // An empty log of `capacity` that goes on from this one's count and
    // snapshot state, as a replay from here fills it.
    EventLog resumed(std::size_t capacity) const;

private:
    struct Slot {
        std::uint64_t time_ns;
        Identity proc;
        std::uint32_t text;     // offset of the line's strings in text_
        std::uint32_t skipped;  // bytes of text_ left unused before them (the ring's end)
        std::uint16_t name_len, parent_len, detail_len;
        LogKind kind;
        std::size_t text_len() const { return std::size_t{name_len} + parent_len + detail_len; }
    };

    void push(const LogEntry& e);
    void drop_oldest();
    std::uint32_t place_text(std::size_t n, std::uint32_t& skipped);
    void grow_text(std::size_t n);

    std::size_t capacity_;
    std::vector<Slot> slots_;  // a ring once full; first_ is the oldest line
    std::size_t first_ = 0;
    std::size_t size_ = 0;
    std::vector<char> text_;     // a ring of bytes
    std::size_t text_head_ = 0;  // where the next line's strings go
    std::size_t text_used_ = 0;  // bytes the kept lines take, skipped ones included
    std::uint64_t total_ = 0;
    bool in_snapshot_ = false;
};

// Whether the process is `top` or below it in the tree (the log pane under a
// PID filter). False when the process has left the tree.
bool in_subtree(const ProcessTree& tree, Identity proc, const Process* top);

}  // namespace proctree::model

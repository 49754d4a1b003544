// proctree/model/spawners.hpp - which processes created the most children,
// in the last 10 s and since the start (the viewer's top-spawners pane).
// Fed after the tree applied each record; time is the records' time.
#pragma once

#include <proctree/model/record.hpp>
#include <proctree/model/tree.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace proctree::model {

struct Spawner {
    Identity id;
    std::string name;          // raw: escape before showing
    std::uint64_t recent = 0;  // children created in the window
    std::uint64_t total = 0;   // since the start
    double rate = 0;           // recent children per second over the window
};

class SpawnerCounts {
public:
    static constexpr std::uint64_t kWindowNs = 10'000'000'000ull;
    class Packed;

    // After tree.apply(record): a live create counts for the child's parent.
    void add(const Record& record, const ProcessTree& tree);

    // The top `n`, by children in the window ending at now_ns (recent) or
    // since the start; ties go to the lower pid.
    std::vector<Spawner> top(std::uint64_t now_ns, std::size_t n, bool recent) const;
    std::size_t tracked() const { return counts_.size(); }
    std::size_t memory_estimate() const;  // bytes, roughly (a checkpoint's share)

private:
    struct Counts {
        std::string name;
        std::uint64_t total = 0;
        // (second, children), oldest first: at most 11, so a vector (copied
        // into every time-travel checkpoint) is the smallest form.
        std::vector<std::pair<std::uint64_t, std::uint32_t>> seconds;
    };
    std::uint64_t recent(const Counts& c, std::uint64_t now_ns) const;
    void prune(const ProcessTree& tree);

    std::unordered_map<Identity, Counts, IdentityHash> counts_;
    std::size_t prune_at_ = 4096;
    bool in_snapshot_ = false;
};

// The counts in a flat form, for time-travel checkpoints: about a third of
// the table's memory. Seconds that can no longer count in a window ending
// at or after the moment of packing are left out; unpack() gives counts
// that go on exactly as the packed ones would have.
class SpawnerCounts::Packed {
public:
    Packed(const SpawnerCounts& counts, std::uint64_t now_ns);
    SpawnerCounts unpack() const;
    std::size_t memory_estimate() const;  // bytes, roughly

private:
    struct Entry {
        Identity id;
        std::uint64_t total = 0;
        std::string name;
        std::uint32_t first_second = 0;  // into seconds_
        std::uint32_t seconds = 0;
    };
    std::vector<Entry> entries_;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> seconds_;
    std::size_t prune_at_ = 0;
    bool in_snapshot_ = false;
};

}  // namespace proctree::model

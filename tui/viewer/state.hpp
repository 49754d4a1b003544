// tui/viewer/state.hpp - what the viewer's screen shows besides the tree:
// the interaction state (selection, scroll, mode, pause) and the status
// facts the session gathers. Plain data, shared by layout and key layers.
#pragma once

#include <proctree/model/tree.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace proctree::viewer {

enum class Mode : std::uint8_t { Normal, EditName, EditPid, EditTime, Help };

// A jump in a recording asked for by a key: by a step, or to a typed time.
struct SeekRequest {
    std::int64_t delta_ns = 0;
    std::string typed;  // as typed at the g prompt; empty: a step
};

struct UiState {
    Mode mode = Mode::Normal;
    std::string edit;             // text typed at the / or p prompt
    model::Filter saved_filter;   // restored when a prompt is cancelled
    // The selection is a process (identity), so it stays on that process
    // when rows move; sel_index is where it was last seen.
    std::optional<model::Identity> selected;
    std::size_t sel_index = 0;
    std::size_t top = 0;          // first tree row on screen
    bool paused = false;
    std::optional<SeekRequest> seek;  // for the session to carry out
    // Geometry of the last layout (the key layer needs page size and where
    // rows are for clicks).
    int body_top = 1;
    int body_rows = 0;
    bool too_small = false;
};

struct StatusInfo {
    std::string source;           // "netlink", "file rec.ptr (netlink)"
    bool polling = false;         // the source polls /proc
    std::string host;
    std::size_t processes = 0;
    double creates_per_s = 0;
    double exits_per_s = 0;
    std::uint64_t events_lost = 0;
    std::uint64_t loss_reports = 0;
    std::string replay;           // "replay 2x", "replay done", "" when live
    std::string export_path;      // last export
    std::string error;            // source or export error
    std::string notice;           // latest message from the source
    std::string source_choice;    // "source: netlink (refused: ebpf: ...)": kept, later notices do not replace it
    friend bool operator==(const StatusInfo&, const StatusInfo&) = default;
};

} // namespace proctree::viewer

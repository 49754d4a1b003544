// tui/viewer/state.hpp - what the viewer's screen shows besides the tree:
// the interaction state (selection, scroll, mode, pause) and the status
// facts the session gathers. Plain data, shared by layout and key layers.
#pragma once

#include "columns.hpp"
#include "usage.hpp"
#include "view_rows.hpp"

#include <proctree/model/tree.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace proctree::viewer {

enum class Mode : std::uint8_t {
    Normal,
    EditName,
    EditPid,
    EditTime,
    Help,
    Search,
    Signal,
    Sort,
    User
};

// A jump in a recording asked for by a key: by a step, or to a typed time.
struct SeekRequest {
    std::int64_t delta_ns = 0;
    std::string typed;  // as typed at the g prompt; empty: a step
};

// The pane in the lower half of the body: details of the selected process,
// the event log, or the top spawners.
enum class Pane : std::uint8_t {
    None,
    Details,
    Log,
    Spawners
};

struct UiState {
    Mode mode = Mode::Normal;
    Pane pane = Pane::None;
    bool pane_focus = false;                      // Up/Down/PgUp/PgDn/Home/End act on the pane (Tab switches)
    std::size_t pane_scroll = 0;                  // details: first line shown; log: lines back from the newest
    std::size_t pane_sel = 0;                     // spawners: the selected line
    std::vector<model::ProcessRef> pane_targets;  // spawners: the process of each line, as laid out
    std::optional<model::ProcessRef> details_of;  // the process the details scroll belongs to
    std::string edit;                             // text typed at the / or p prompt
    model::Filter saved_filter;                   // restored when a prompt is cancelled
    // The selection is a process (exactly: a ProcessRef), so it stays on it
    // when rows move; sel_index is where it was last seen.
    std::optional<model::ProcessRef> selected;
    std::size_t sel_index = 0;
    std::size_t top = 0;      // first tree row on screen
    std::size_t hscroll = 0;  // columns of the command lines scrolled off to the left
    bool paused = false;
    ViewOrder order;                        // F6 < > I t: sort column and tree or list
    std::size_t sort_choice = 0;            // F6 menu: the highlighted column
    std::vector<std::string> user_choices;  // u menu: "" (every user), then the users present
    std::size_t user_choice = 0;
    RowCache rows;                                    // the ordered rows while the tree is unchanged
    std::vector<Column> columns = default_columns();  // --columns: before the tree
    const UsageTable* usage = nullptr;                // the sampled figures (CPU%, RSS, S); null: none
    std::vector<model::Identity> shown;               // the living processes on screen, as last laid out
    std::size_t help_top = 0;                         // first help line shown
    std::optional<SeekRequest> seek;                  // for the session to carry out
    std::string hint;                                 // a key's one-time hint, for the status line
    std::string search;                            // the F3 / n / N search term (name, and command line with --cmdline)
    std::optional<model::ProcessRef> search_from;  // where the selection was when the search prompt opened
    // F9: the process to signal and the signal chosen (an index into
    // signal_choices()); signalling needs a local live source.
    std::optional<model::ProcessRef> signal_target;
    std::size_t signal_choice = 0;
    bool can_signal = false;
    std::string cannot_signal;  // why not, for the hint
    // Geometry of the last layout (the key layer needs page size and where
    // rows are for clicks).
    int body_top = 1;
    int body_rows = 0;  // tree rows
    int pane_rows = 0;  // pane lines (below its title line)
    bool too_small = false;
};

struct StatusInfo {
    std::string source;    // "netlink", "file rec.ptr (netlink)"
    bool polling = false;  // the source polls /proc
    std::string host;
    std::size_t processes = 0;
    double creates_per_s = 0;
    double exits_per_s = 0;
    bool kernel_threads_seen = false;  // the stream has had some: the status says when K hides them
    bool rates_live = true;            // false once a replay is done: nothing arrives any more
    std::uint64_t events_lost = 0;
    std::uint64_t loss_reports = 0;
    bool keep_exited = false;
    std::size_t exited = 0;             // exited processes shown
    std::uint64_t history_dropped = 0;  // kept ones dropped by the history bound
    std::string replay;                 // "replay 2x", "replay done", "" when live
    std::string export_path;            // last export
    std::string error;                  // source or export error
    std::string notice;                 // latest message from the source
    std::string source_choice;          // "source: netlink (refused: ebpf: ...)": kept, later notices do not replace it
    friend bool operator==(const StatusInfo&, const StatusInfo&) = default;
};

}  // namespace proctree::viewer

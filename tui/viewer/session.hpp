// tui/viewer/session.hpp - the viewer minus the terminal: where the bytes
// come from, decoding and applying them, the tree's clock, the rates and
// the status facts, exports. The terminal loop (viewer_loop.cpp) drives it.
//
// Clock: the tree's time is the records' time. It is anchored at the first
// record and then runs with the monotonic clock (times --speed for a
// replay); a record ahead of it moves it forward (a remote producer whose
// clock is ahead). `--speed 0` holds the clock at the last record until the
// file ends, then lets it run.
#pragma once

#include "channel.hpp"
#include "playback.hpp"
#include "reader.hpp"
#include "signals.hpp"
#include "state.hpp"

#include <proctree/produce/source.hpp>
#include <proctree/model/decoder.hpp>
#include <proctree/model/event_log.hpp>
#include <proctree/model/spawners.hpp>
#include <proctree/model/tree.hpp>
#include <proctree/nats/connection.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace proctree::viewer {

struct ViewerOptions {
    std::string from;  // FILE, "-", tcp:HOST:PORT; empty: this machine, live
    collect::SourceKind source = collect::SourceKind::Auto;
    std::chrono::milliseconds interval{500};
    double speed = 1.0;
    std::uint64_t highlight_ms = 3000;
    std::string filter;
    std::vector<std::uint32_t> pids;  // -p: these processes' subtrees; empty: every process
    std::vector<std::string> users;   // -u: only these users' processes
    bool match_cmdline = false;       // --cmdline: the name filter and search match command lines too
    bool kernel_threads = false;      // --kernel-threads: shown from the start (K toggles)
    std::string export_dir = ".";
    nats::ConnectOptions nats;       // with --from nats://...
    std::vector<std::string> hosts;  // with --from nats://SERVER/*: only these hosts; empty: every one
    bool image_facts = true;         // live sources: size and SHA-256 of executables
    bool keep_exited = false;
    std::size_t history = 100'000;
    bool ascii = false;  // ASCII line drawing even in a UTF-8 locale
    bool mouse = true;   // take the mouse (wheel, clicks); off: the terminal keeps selecting text
    std::size_t channel_bytes = kDefaultChannelBound;  // reader -> UI backlog bound
    std::vector<Column> columns = default_columns();   // before the tree, in this order
    SortKey sort = SortKey::Start;                     // siblings sorted by it (F6 changes it)
    std::string notice;                                // for the status line at the start (config problems)
};

class TreeClock {
public:
    explicit TreeClock(double rate = 1.0, bool hold = false) : rate_(rate), hold_(hold) {}
    bool anchored() const { return anchored_; }
    std::uint64_t at(std::uint64_t steady_ns) const;
    // A record with this time was applied at steady_ns.
    void saw(std::uint64_t record_ns, std::uint64_t steady_ns);
    // Stop holding (speed 0 at end of file): run at rate 1 from here.
    void release(std::uint64_t steady_ns);
    double rate() const { return hold_ ? 0.0 : rate_; }

private:
    double rate_;
    bool hold_;
    bool anchored_ = false;
    std::uint64_t base_tree_ = 0;
    std::uint64_t base_steady_ = 0;
};

class Session final : public model::RecordHandler {
public:
    explicit Session(ViewerOptions options);
    ~Session() override;

    // Opens the source or input and starts the reader thread. False (with
    // error set, one line) when nothing can be read at all.
    bool start(std::string& error);
    // For tests and benchmarks: no reader; bytes come through feed().
    void start_detached(bool replay_file = false);

    int channel_fd() const { return channel_.fd(); }
    ByteChannel::Stats channel_stats() const { return channel_.stats(); }
    // Drains the channel (at most max_bytes), decodes and applies. Returns
    // true when more is pending; `got` tells whether anything came.
    bool pump(std::uint64_t steady_ns, bool* got = nullptr, std::size_t max_bytes = 4u << 20);
    // Decodes and applies bytes directly (tests, benchmarks).
    void feed(std::string_view bytes, std::uint64_t steady_ns);
    // Moves the tree's clock to steady_ns (retires expired processes).
    void tick(std::uint64_t steady_ns);
    // When something will change by time alone (a highlight ends, a rate
    // decays), in steady ns; UINT64_MAX when nothing will.
    std::uint64_t next_wake(std::uint64_t steady_ns) const;
    // Reads the usage figures (CPU%, RSS, S) of the processes on screen, or
    // of every row when sorted by one of them: a round at most once a
    // second, and rows that just came on screen at once. A live source of
    // this machine only; true when a figure changed. The details pane of a
    // running process gets its whole command line here as well.
    bool sample_usage(std::uint64_t steady_ns);
    // Tests and benchmarks: where the figures come from.
    void set_usage_reader(std::unique_ptr<collect::UsageReader> reader);
    const UsageTable& usage() const { return usage_; }

    // Refreshes the status facts; returns true when they changed.
    bool refresh_status(std::uint64_t steady_ns);

    // Carries out ui().seek in a recorded file (time travel); a line in
    // the status says why when it cannot.
    void seek(std::uint64_t steady_ns);

    // Sends ui().signal_choice to ui().signal_target (F9), if that process
    // is still running; the status line says what happened.
    void send_signal(std::uint64_t steady_ns);
    // Tests: where signals go instead of kill(2).
    void set_signal_sender(SendSignal send) { send_signal_ = send; }

    // Writes the current view (text or JSON) into the export directory;
    // sets status().export_path or status().error.
    void export_view(bool json);

    const model::EventLog& log() const { return log_; }
    const model::SpawnerCounts& spawners() const { return spawners_; }
    model::ProcessTree& tree() { return tree_; }
    const model::ProcessTree& tree() const { return tree_; }
    UiState& ui() { return ui_; }
    const StatusInfo& status() const { return status_; }
    const ViewerOptions& options() const { return options_; }
    std::string source_label() const;
    // The host, or a fleet's hosts ("alpha,beta"), for the status and exports.
    std::string host_label() const;
    // Something worth a first frame has arrived: the initial snapshot is
    // complete, a record came outside any snapshot, or the input ended.
    bool has_content() const { return content_ || finished_ || corrupt_; }
    // How often memory went back to the system (after start-up, churns).
    std::size_t memory_releases() const { return releases_; }
    // What the viewer exits with when the user quits: 2 once the stream was
    // corrupt, truncated or empty, or the source failed (the error stays on
    // the status line until then); else 0.
    int exit_status() const;

    // model::RecordHandler
    void on_header(const model::StreamHeader& header) override;
    void on_record(const model::Record& record) override;

private:
    bool start_nats(std::string& error);  // --from nats://SERVER/HOST
    bool fetch_details_cmdline();
    std::vector<model::Identity> running_in_view();  // rows of the view whose process runs
    void count(std::uint64_t steady_ns, bool exit);
    void release_after_churn();
    void rates(std::uint64_t steady_ns, double& creates, double& exits) const;
    void input_finished(const ByteChannel::Drained& d, std::uint64_t steady_ns);
    bool open_playback();
    bool pump_playback(std::uint64_t steady_ns, bool* got);
    std::uint64_t playback_wake(std::uint64_t steady_ns) const;
    void fade_notices(StatusInfo& s, std::uint64_t steady_ns);
    void set_notice(std::string text, std::uint64_t steady_ns);

    ViewerOptions options_;
    model::ProcessTree tree_;
    model::EventLog log_;
    model::SpawnerCounts spawners_;
    model::StreamDecoder decoder_;
    ByteChannel channel_;
    std::unique_ptr<Reader> reader_;
    std::unique_ptr<Playback> playback_;  // a regular file: played from memory, with time travel
    UiState ui_;
    UsageTable usage_;
    StatusInfo status_;
    TreeClock clock_;
    std::string input_description_;  // "file x.ptr", "stdin", ""
    bool replay_file_ = false;
    bool finished_ = false;
    bool corrupt_ = false;
    bool source_failed_ = false;
    bool in_snapshot_ = false;
    bool content_ = false;
    bool kernel_threads_seen_ = false;  // the stream has had kernel threads (K has something to hide)
    std::uint64_t steady_now_ = 0;
    // Live creates/exits per steady second (snapshots excluded), last few s.
    struct Bucket {
        std::uint64_t second = 0;
        std::uint32_t creates = 0;
        std::uint32_t exits = 0;
    };
    std::deque<Bucket> buckets_;
    // When the passing messages (source notice, "saved FILE") were posted.
    std::uint64_t notice_at_ = 0;
    std::uint64_t export_at_ = 0;
    bool status_paused_ = false;  // the last status was made while paused
    SendSignal send_signal_ = send_signal_kill;
    ByteChannel::Drained drained_;
    std::size_t peak_processes_ = 0;  // since memory was last given back
    bool started_ = false;            // the first snapshot has ended
    bool release_due_ = false;        // give memory back at the next tick
    std::size_t releases_ = 0;
};

inline constexpr std::uint64_t kRateWindowS = 3;
// Passing notices ("saved FILE", a source's message, a key's hint) leave
// the status line after this long; errors stay.
inline constexpr std::uint64_t kNoticeNs = 5'000'000'000ull;
std::uint64_t wall_ns_now();
// "proctree-20261121-193044-123.txt" for a wall-clock time; the n-th (from 1)
// name of that millisecond is "...-123-n.txt", for when earlier ones are taken.
std::string export_file_name(std::uint64_t wall_ns, bool json, int n = 1);

}  // namespace proctree::viewer

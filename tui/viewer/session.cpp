#include "session.hpp"

#include "cli.hpp"
#include "sources.hpp"
#include "nats_from.hpp"

#include <proctree/model/escape.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/truncation.hpp>
#include <proctree/wire.h>

#include <fmt/core.h>

#include <malloc.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

namespace proctree::viewer {

std::uint64_t wall_ns_now()
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

constexpr int kMaxExportsPerMs = 100;

std::string export_file_name(std::uint64_t wall_ns, bool json, int n)
{
    std::time_t t = static_cast<std::time_t>(wall_ns / 1'000'000'000ull);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    std::string suffix = n > 1 ? fmt::format("-{}", n) : std::string();
    return fmt::format("proctree-{}-{:03}{}.{}", buf, (wall_ns / 1'000'000ull) % 1000, suffix, json ? "json" : "txt");
}

std::uint64_t TreeClock::at(std::uint64_t steady_ns) const
{
    if (!anchored_) return 0;
    if (hold_ || steady_ns <= base_steady_) return base_tree_;
    return base_tree_ + static_cast<std::uint64_t>(static_cast<double>(steady_ns - base_steady_) * rate_);
}

void TreeClock::saw(std::uint64_t record_ns, std::uint64_t steady_ns)
{
    if (anchored_ && at(steady_ns) >= record_ns) return;
    anchored_ = true;
    base_tree_ = record_ns;
    base_steady_ = steady_ns;
}

void TreeClock::release(std::uint64_t steady_ns)
{
    if (!hold_) return;
    base_tree_ = at(steady_ns);
    base_steady_ = steady_ns;
    hold_ = false;
    rate_ = 1.0;
}

Session::Session(ViewerOptions options)
    : options_(std::move(options)), tree_([this] {
          model::TreeConfig c;
          c.highlight_ns = options_.highlight_ms * 1'000'000ull;
          c.keep_exited = options_.keep_exited;
          c.history = options_.history;
          std::string ignored;
          auto nats = cli::is_nats_spec(options_.from) ? cli::parse_nats_from(options_.from, ignored) : std::nullopt;
          c.hosts = nats && nats->all_hosts;  // the fleet: each host a node
          return c;
      }()),
      channel_(options_.channel_bytes), clock_(options_.speed > 0 ? options_.speed : 1.0, false)
{
    model::Filter f;
    f.name = options_.filter;
    f.pids = options_.pids;
    f.users = options_.users;
    f.match_cmdline = options_.match_cmdline;
    f.hide_kernel_threads = !options_.kernel_threads;  // like htop
    tree_.set_filter(std::move(f));
    status_.source = "starting";
    ui_.columns = options_.columns;
    ui_.order.key = options_.sort;
    ui_.hint = options_.notice;  // a passing notice, like a key's hint
    ui_.usage = &usage_;
    decoder_.accept_concatenated(tree_.config().hosts);  // the hosts' pieces, each behind its header
    ui_.cannot_signal = options_.from.empty() ? "F9: signals need a live source of this machine"
                                              : "F9: the processes of a stream cannot be signalled from here";
}

Session::~Session()
{
    if (reader_) reader_->stop();
    reader_.reset();
}

bool Session::start(std::string& error)
{
    if (cli::is_nats_spec(options_.from)) return start_nats(error);
    if (!options_.from.empty()) {
        cli::StreamInput in = cli::StreamInput::open(options_.from);
        if (!in.ok()) {
            error = in.error();
            return false;
        }
        input_description_ = in.description();
        replay_file_ = in.is_regular_file();
        if (replay_file_ && open_playback()) return true;
        if (replay_file_ && options_.speed <= 0) clock_ = TreeClock(1.0, true);
        status_.source = input_description_;
        reader_ = Reader::stream(std::move(in), channel_, options_.speed);
        return true;
    }
    ui_.can_signal = true;  // this machine, live: its processes can be signalled
    collect::SourceOptions so;
    so.kind = options_.source;
    so.poll_interval = options_.interval;
    ByteChannel* ch = &channel_;
    so.notice = [ch](std::string_view m) { ch->notice(std::string(m)); };
    so.image_facts = options_.image_facts;
    auto source = open_linked_source(so, error);
    if (!source) return false;
    usage_ = UsageTable(linked_usage_reader());  // this machine's processes: figures from the OS
    reader_ = Reader::live(std::move(source), channel_);
    return true;
}

void Session::set_usage_reader(std::unique_ptr<collect::UsageReader> reader) { usage_ = UsageTable(std::move(reader)); }

// The details of a running process whose record carried only the start of
// its command line show all of it, read once from /proc.
bool Session::fetch_details_cmdline()
{
    if (!usage_.live() || ui_.pane != Pane::Details || !ui_.selected) return false;
    const model::Process* p = tree_.find(*ui_.selected);
    if (!p || p->exited || !model::cut_of(*p, model::TextField::Cmdline).truncated) return false;
    return usage_.fetch_whole_cmdline(p->id);
}

bool Session::sample_usage(std::uint64_t steady_ns)
{
    if (fetch_details_cmdline()) return true;
    bool by_usage = sorts_by_usage(ui_.order.key) && !ui_.order.is_default();
    if (!usage_.live() || ui_.paused || (!wants_usage(ui_.columns) && !by_usage)) return false;
    if (!by_usage || steady_ns < usage_.next_round()) return usage_.sample(ui_.shown, steady_ns);
    // The order needs every row's figures: the whole view, once a round.
    return usage_.sample(running_in_view(), steady_ns);
}

std::vector<model::Identity> Session::running_in_view()
{
    std::vector<model::Identity> ids;
    for (const model::Row& r : ViewRows(tree_, ui_.order, ui_.rows, &usage_).all_rows())
        if (!r.proc->exited) ids.push_back(r.proc->id);
    return ids;
}

bool Session::open_playback()
{
    std::string why;
    playback_ = Playback::open(options_.from, options_.speed, tree_.config(), why);
    if (!playback_) return false;  // the reader copies it instead (no time travel)
    status_.source = input_description_;
    if (playback_->header()) on_header(*playback_->header());
    return true;
}

bool Session::start_nats(std::string& error)
{
    auto from = cli::parse_nats_from(options_.from, error);
    if (!from) return false;
    ByteChannel* ch = &channel_;
    auto source = cli::make_nats_follow_source(
        *from, options_.nats, [ch](std::string_view m) { ch->notice(std::string(m)); }, error,
        {cli::FollowStart::From::Newest, ""}, options_.hosts);
    if (!source) return false;
    input_description_ = from->describe();
    status_.source = input_description_;
    reader_ = Reader::live(std::move(source), channel_);
    return true;
}

void Session::start_detached(bool replay_file)
{
    replay_file_ = replay_file;
    if (replay_file && options_.speed <= 0) clock_ = TreeClock(1.0, true);
}

std::string Session::source_label() const
{
    std::string kind;
    if (tree_.header()) kind = std::string(model::to_string(tree_.header()->source));
    if (input_description_.empty()) return kind.empty() ? std::string("starting") : kind;
    return kind.empty() ? input_description_ : fmt::format("{} ({})", input_description_, kind);
}

std::string Session::host_label() const
{
    if (!tree_.config().hosts) return tree_.header() ? tree_.header()->host : std::string();
    std::string out;
    for (std::uint32_t k = 1; k <= tree_.host_count(); ++k) out += (out.empty() ? "" : ",") + tree_.host(k)->name;
    return out;
}

void Session::on_header(const model::StreamHeader& header) { tree_.apply_header(header); }

void Session::on_record(const model::Record& record)
{
    if (const auto* s = std::get_if<model::Snapshot>(&record.body)) {
        // The first snapshot's end closes start-up (the source's loading,
        // the snapshot's burst): what start-up freed goes back at the next tick.
        if (in_snapshot_ && !s->begin && !started_) release_due_ = started_ = true;
        in_snapshot_ = s->begin;
    } else if (!in_snapshot_) {
        if (std::holds_alternative<model::ProcessCreate>(record.body)) count(steady_now_, false);
        else if (std::holds_alternative<model::ProcessExit>(record.body)) count(steady_now_, true);
    }
    if (const auto* c = std::get_if<model::ProcessCreate>(&record.body); c && (c->flags & PT_PROC_KERNEL_THREAD))
        kernel_threads_seen_ = true;
    tree_.apply(record);
    log_.add(record, tree_);
    spawners_.add(record, tree_);
    if (!in_snapshot_) content_ = true;
    clock_.saw(record.time_ns, steady_now_);
}

void Session::feed(std::string_view bytes, std::uint64_t steady_ns)
{
    steady_now_ = steady_ns;
    if (corrupt_ || bytes.empty()) return;
    if (!decoder_.feed(bytes, *this)) {
        corrupt_ = true;
        if (decoder_.error()) status_.error = decoder_.error()->describe();
    }
}

bool Session::pump(std::uint64_t steady_ns, bool* got, std::size_t max_bytes)
{
    if (playback_) return pump_playback(steady_ns, got);
    channel_.drain(drained_, max_bytes);
    if (got) *got = !drained_.bytes.empty() || !drained_.notices.empty() || (drained_.finished && !finished_);
    for (auto& n : drained_.notices) {
        if (n.rfind("source: ", 0) == 0) status_.source_choice = std::move(n);
        else set_notice(std::move(n), steady_ns);
    }
    feed(drained_.bytes, steady_ns);
    if (drained_.finished && !finished_) input_finished(drained_, steady_ns);
    // A burst's buffer (up to max_bytes, traded with the channel's at each
    // drain) is not kept through the quiet after it.
    constexpr std::size_t kKeptBuffer = 256u << 10;
    if (drained_.bytes.capacity() > kKeptBuffer && drained_.bytes.size() < kKeptBuffer / 4)
        std::string().swap(drained_.bytes);
    return channel_.pending() > 0;
}

bool Session::pump_playback(std::uint64_t steady_ns, bool* got)
{
    constexpr std::size_t kBatch = 50'000;  // records per pump: keys stay answered during a load
    steady_now_ = steady_ns;
    playback_->set_paused(ui_.paused, steady_ns);
    std::size_t n = playback_->play(steady_ns, *this, kBatch);
    if (playback_->error() && !corrupt_) {
        corrupt_ = true;
        status_.error = playback_->error()->describe();
    }
    finished_ = playback_->finished();
    if (got) *got = n > 0;
    return playback_->behind(steady_ns);
}

void Session::seek(std::uint64_t steady_ns)
{
    std::optional<SeekRequest> req = std::exchange(ui_.seek, std::nullopt);
    if (!req) return;
    if (!playback_) {
        set_notice("time travel needs a recorded file (--from FILE)", steady_ns);
        return;
    }
    playback_->set_paused(ui_.paused, steady_ns);
    model::SeekTarget state{tree_, &log_, &spawners_};  // the log and counts as a replay to then builds them
    set_notice(req->typed.empty() ? playback_->seek_by(state, req->delta_ns, steady_ns)
                                  : playback_->seek_to(state, req->typed, steady_ns),
               steady_ns);
    steady_now_ = steady_ns;
    buckets_.clear();  // rates seen at another stream time
}

void Session::input_finished(const ByteChannel::Drained& d, std::uint64_t steady_ns)
{
    finished_ = true;
    if (!corrupt_ && !decoder_.finish()) {
        corrupt_ = true;
        if (decoder_.error()) status_.error = decoder_.error()->describe();
    }
    if (d.status != 0 || input_description_.empty()) source_failed_ = true;  // a live source never ends by itself
    if (d.status != 0) {
        std::string why = d.why;
        if (!status_.notice.empty()) why += ": " + status_.notice;
        status_.error = why;
    } else if (input_description_.empty() && status_.error.empty()) {
        status_.error = d.why.empty() ? "the source stopped" : d.why;
    }
    clock_.release(steady_ns);
}

int Session::exit_status() const { return corrupt_ || source_failed_ ? cli::kExitBadInput : cli::kExitOk; }

void Session::tick(std::uint64_t steady_ns)
{
    steady_now_ = steady_ns;
    if (playback_) tree_.advance(playback_->now(steady_ns));
    else if (clock_.anchored()) tree_.advance(clock_.at(steady_ns));
    release_after_churn();
}

// After a churn (a few hundred processes gone since the most the tree held,
// a quarter of it at least) memory goes back to the system: the maps and
// buffers give up their spare room and malloc its free pages, which it would
// keep. As the churn's processes leave, this happens a few times, the last
// ones after the burst's buffers have stopped growing. Start-up's own
// garbage goes back once too, so idle is what the tree needs. Halving was the
// trigger once, but a churn that never doubles the tree (a busy machine
// holds many processes) then kept everything.
void Session::release_after_churn()
{
    constexpr std::size_t kChurnProcesses = 512;
    std::size_t n = tree_.size();
    peak_processes_ = std::max(peak_processes_, n);
    std::size_t gone = peak_processes_ - n;
    bool churned = gone >= kChurnProcesses && gone * 4 >= peak_processes_;
    if (!churned && !release_due_) return;
    release_due_ = false;
    tree_.release_spare();
    channel_.release_spare();
    std::string().swap(drained_.bytes);
    ::malloc_trim(0);
    ++releases_;
    peak_processes_ = n;
}

void Session::count(std::uint64_t steady_ns, bool exit)
{
    std::uint64_t sec = steady_ns / 1'000'000'000ull;
    if (buckets_.empty() || buckets_.back().second != sec) buckets_.push_back(Bucket{sec, 0, 0});
    if (exit) ++buckets_.back().exits;
    else ++buckets_.back().creates;
    while (buckets_.size() > kRateWindowS + 1) buckets_.pop_front();
}

void Session::rates(std::uint64_t steady_ns, double& creates, double& exits) const
{
    std::uint64_t sec = steady_ns / 1'000'000'000ull;
    std::uint64_t c = 0, e = 0;
    for (const Bucket& b : buckets_) {
        if (b.second + kRateWindowS <= sec) continue;  // outside [sec - window + 1, sec]
        c += b.creates;
        e += b.exits;
    }
    creates = static_cast<double>(c) / kRateWindowS;
    exits = static_cast<double>(e) / kRateWindowS;
}

std::uint64_t Session::next_wake(std::uint64_t steady_ns) const
{
    std::uint64_t wake = UINT64_MAX;
    std::uint64_t next = tree_.next_change_ns();
    double rate = playback_ ? playback_->rate() : clock_.rate();
    if (playback_) wake = playback_wake(steady_ns);
    if (next != UINT64_MAX && (playback_ || clock_.anchored()) && rate > 0) {
        std::uint64_t now = playback_ ? playback_->now(steady_ns) : clock_.at(steady_ns);
        std::uint64_t dt = next > now ? next - now : 0;
        wake = std::min<std::uint64_t>(wake, steady_ns + static_cast<std::uint64_t>(static_cast<double>(dt) / rate) +
                                                 1'000'000ull);
    }
    bool sampling = usage_.live() && !ui_.paused && (wants_usage(ui_.columns) || sorts_by_usage(ui_.order.key));
    if (sampling) wake = std::min(wake, usage_.next_round());
    for (auto [text, at] : {std::pair{&status_.notice, notice_at_}, std::pair{&status_.export_path, export_at_}})
        if (!text->empty()) wake = std::min(wake, at + kNoticeNs);
    // A non-zero rate decays when its second leaves the window.
    std::uint64_t sec = steady_ns / 1'000'000'000ull;
    for (const Bucket& b : buckets_) {
        if (b.second + kRateWindowS <= sec) continue;
        std::uint64_t at = (sec + 1) * 1'000'000'000ull;
        if (at < wake) wake = at;
        break;
    }
    return wake;
}

// The next record's time, and while playing the status clock's next tenth
// of a second.
std::uint64_t Session::playback_wake(std::uint64_t steady_ns) const
{
    std::uint64_t wake = playback_->next_due(steady_ns);
    if (playback_->rate() > 0 && !playback_->finished())
        wake = std::min<std::uint64_t>(wake, steady_ns + 100'000'000ull);
    return wake;
}

void Session::set_notice(std::string text, std::uint64_t steady_ns)
{
    status_.notice = std::move(text);
    notice_at_ = steady_ns;
}

void Session::fade_notices(StatusInfo& s, std::uint64_t steady_ns)
{
    if (!ui_.hint.empty()) {  // a key's hint is a notice like the others
        s.notice = std::exchange(ui_.hint, std::string());
        notice_at_ = steady_ns;
    }
    if (!s.notice.empty() && steady_ns >= notice_at_ + kNoticeNs) s.notice.clear();
    if (!s.export_path.empty() && steady_ns >= export_at_ + kNoticeNs) s.export_path.clear();
}

bool Session::refresh_status(std::uint64_t steady_ns)
{
    StatusInfo s = status_;
    fade_notices(s, steady_ns);
    s.source = source_label();
    s.polling = tree_.header() && tree_.header()->source == model::SourceKind::Poll;
    s.host = host_label();
    s.processes = tree_.stats().living;
    rates(steady_ns, s.creates_per_s, s.exits_per_s);
    s.events_lost = tree_.stats().events_lost;
    s.loss_reports = tree_.stats().loss_reports;
    s.keep_exited = tree_.keep_exited();
    s.exited = tree_.stats().exited;
    s.history_dropped = tree_.stats().history_dropped;
    s.rates_live = !finished_;
    s.kernel_threads_seen = kernel_threads_seen_;
    if (ui_.paused && status_paused_) {  // a paused screen's figures stand still
        s.processes = status_.processes;
        s.creates_per_s = status_.creates_per_s;
        s.exits_per_s = status_.exits_per_s;
        s.events_lost = status_.events_lost;
        s.loss_reports = status_.loss_reports;
        s.exited = status_.exited;
        s.history_dropped = status_.history_dropped;
    }
    status_paused_ = ui_.paused;
    if (playback_) {
        s.replay = playback_->describe(steady_ns);
    } else if (!options_.from.empty()) {
        if (!replay_file_) s.replay = finished_ ? "stream ended" : "";
        else if (finished_) s.replay = "replay done";
        else if (options_.speed <= 0) s.replay = "loading";
        else s.replay = fmt::format("replay {}x", options_.speed);
    }
    bool changed = s != status_;
    status_ = std::move(s);
    return changed;
}

void Session::send_signal(std::uint64_t steady_ns)
{
    std::optional<model::ProcessRef> target = std::exchange(ui_.signal_target, std::nullopt);
    auto choices = signal_choices();
    if (!target || !ui_.can_signal || ui_.signal_choice >= choices.size()) return;
    const SignalChoice& sig = choices[ui_.signal_choice];
    const model::Process* p = tree_.find(*target);
    // The tree follows exits as they happen: a process it holds as running
    // is that process, not a later one with its pid.
    if (!p || p->exited) {
        set_notice(fmt::format("{} has exited; no signal sent", target->id.pid), steady_ns);
        return;
    }
    std::string who = fmt::format("{} ({})", p->id.pid, model::escape(p->name));
    int err = send_signal_(static_cast<int>(p->id.pid), sig.number);
    set_notice(err == 0 ? fmt::format("sent {} to {}", sig.name, who)
                        : fmt::format("cannot send {} to {}: {}", sig.name, who, std::strerror(err)),
               steady_ns);
}

void Session::export_view(bool json)
{
    std::uint64_t wall = wall_ns_now();
    model::ExportInfo info;
    info.time_ns = wall;
    info.host = host_label();
    info.source = source_label();
    // The screen's columns for every row exported: rows never on screen are
    // read now (RSS, state, threads; CPU% needs the second reading a
    // screen's round gives, so it stays "-" for them).
    if (usage_.live() && wants_usage(ui_.columns)) usage_.sample(running_in_view(), steady_ns_now());
    info.columns = export_columns(ui_.columns, usage_, tree_);
    std::string body = json ? model::export_json(tree_, info) : model::export_text(tree_, info);
    std::string dir = options_.export_dir.empty() ? std::string(".") : options_.export_dir;
    std::string prefix = dir + (dir.back() == '/' ? "" : "/");
    // "x": never overwrite; another export of the same millisecond takes the next name.
    std::string path;
    std::FILE* f = nullptr;
    for (int n = 1; n <= kMaxExportsPerMs && !f; ++n) {
        path = prefix + export_file_name(wall, json, n);
        f = std::fopen(path.c_str(), "wx");
        if (!f && errno != EEXIST) break;
    }
    if (!f) {
        status_.error = fmt::format("cannot write {}: {}", path, std::strerror(errno));
        return;
    }
    bool ok = std::fwrite(body.data(), 1, body.size(), f) == body.size();
    ok = std::fclose(f) == 0 && ok;
    if (!ok) {
        status_.error = fmt::format("writing {} failed: {}", path, std::strerror(errno));
        return;
    }
    status_.export_path = path;
    export_at_ = steady_ns_now();
    if (status_.error.rfind("cannot write", 0) == 0 || status_.error.rfind("writing", 0) == 0) status_.error.clear();
}

}  // namespace proctree::viewer

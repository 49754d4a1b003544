#include "playback.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace proctree::viewer {

namespace {

// Hands records on, remembering the latest time handed.
class Played final : public model::RecordHandler {
public:
    Played(model::RecordHandler& next, std::uint64_t& latest) : next_(next), latest_(latest) {}
    void on_record(const model::Record& r) override
    {
        latest_ = std::max(latest_, r.time_ns);
        next_.on_record(r);
    }

private:
    model::RecordHandler& next_;
    std::uint64_t& latest_;
};

constexpr std::size_t kIndexStep = 65536;  // records per indexing step (the stop flag is checked between)

}  // namespace

std::uint64_t PlayClock::at(std::uint64_t steady_ns) const
{
    if (paused_ || steady_ns <= base_steady_) return base_stream_;
    return base_stream_ + static_cast<std::uint64_t>(static_cast<double>(steady_ns - base_steady_) * rate_);
}

void PlayClock::set(std::uint64_t stream_ns, std::uint64_t steady_ns)
{
    base_stream_ = stream_ns;
    base_steady_ = steady_ns;
}

void PlayClock::pause(bool paused, std::uint64_t steady_ns)
{
    if (paused == paused_) return;
    set(at(steady_ns), steady_ns);
    paused_ = paused;
}

void PlayClock::set_rate(double rate, std::uint64_t steady_ns)
{
    set(at(steady_ns), steady_ns);
    rate_ = rate;
}

std::uint64_t PlayClock::steady_when(std::uint64_t stream_ns, std::uint64_t steady_now) const
{
    if (rate() <= 0) return UINT64_MAX;
    if (stream_ns <= at(steady_now)) return steady_now;
    double dt = static_cast<double>(stream_ns - base_stream_) / rate_;
    return base_steady_ + static_cast<std::uint64_t>(dt);
}

std::unique_ptr<Playback> Playback::open(const std::string& path, double speed, model::TreeConfig tree,
                                         std::string& error)
{
    cli::MappedInput input = cli::MappedInput::open(path);
    if (!input.ok()) {
        error = input.error();
        return nullptr;
    }
    return std::unique_ptr<Playback>(new Playback(std::move(input), speed, tree));
}

Playback::Playback(cli::MappedInput input, double speed, model::TreeConfig tree)
    : input_(std::move(input)), speed_(speed), walker_(input_.bytes()), offset_(walker_.first_record()),
      loading_(speed <= 0), clock_(speed > 0 ? speed : 1.0), timeline_(input_.bytes(), model::TimelineConfig{tree})
{
    indexer_ = std::thread([this] {
        while (!stop_.load() && timeline_.build(kIndexStep))
            per_mille_.store(static_cast<int>(timeline_.progress() * 1000));
        ready_.store(!stop_.load(), std::memory_order_release);
    });
}

Playback::~Playback()
{
    stop_.store(true);
    if (indexer_.joinable()) indexer_.join();
}

std::size_t Playback::play(std::uint64_t steady_ns, model::RecordHandler& handler, std::size_t max_records)
{
    if (!started_) {
        started_ = true;
        if (auto first = walker_.time_at(offset_)) clock_.set(*first, steady_ns);
    }
    std::uint64_t until = loading_ ? model::kForever : clock_.at(steady_ns);
    Played played(handler, played_ns_);
    std::size_t n = walker_.walk(offset_, until, max_records, played);
    if (loading_ && finished()) {
        loading_ = false;  // everything is shown: from here the clock runs at 1x
        clock_.set(played_ns_, steady_ns);
    }
    return n;
}

bool Playback::behind(std::uint64_t steady_ns) const
{
    auto next = walker_.time_at(offset_);
    return next && (loading_ || *next <= clock_.at(steady_ns));
}

std::uint64_t Playback::now(std::uint64_t steady_ns) const
{
    if (loading_ || !started_) return played_ns_;
    std::uint64_t t = clock_.at(steady_ns);
    if (auto next = walker_.time_at(offset_); next && *next <= t) t = std::max(played_ns_, *next - 1);
    return t;
}

std::uint64_t Playback::next_due(std::uint64_t steady_ns) const
{
    if (!started_ || loading_) return finished() ? UINT64_MAX : steady_ns;
    auto next = walker_.time_at(offset_);
    return next ? clock_.steady_when(*next, steady_ns) : UINT64_MAX;
}

void Playback::set_paused(bool paused, std::uint64_t steady_ns) { clock_.pause(paused, steady_ns); }

std::string Playback::not_indexed() const
{
    return fmt::format("indexing the recording for time travel ({}%): try again in a moment", per_mille_.load() / 10);
}

void Playback::seek(const model::SeekTarget& state, std::uint64_t t, std::uint64_t steady_ns)
{
    offset_ = timeline_.seek(state, t);
    played_ns_ = t;
    started_ = true;
    if (loading_) {
        loading_ = false;
        clock_.set_rate(1.0, steady_ns);
    }
    clock_.set(t, steady_ns);
}

std::string Playback::seek_by(const model::SeekTarget& state, std::int64_t delta_ns, std::uint64_t steady_ns)
{
    if (!ready_.load(std::memory_order_acquire)) return not_indexed();
    if (timeline_.empty()) return "the recording has no records";
    std::uint64_t first = timeline_.first_ns(), last = timeline_.last_ns();
    std::uint64_t from = std::max(now(steady_ns), first);
    if (delta_ns < 0 && from <= first) return "at the start of the recording";
    if (delta_ns > 0 && from >= last) return "at the end of the recording";
    auto back = static_cast<std::uint64_t>(delta_ns < 0 ? -delta_ns : 0);
    std::uint64_t to = delta_ns < 0 ? from - std::min(from - first, back)
                                    : std::min(last, from + static_cast<std::uint64_t>(delta_ns));
    seek(state, to, steady_ns);
    return "";
}

std::string Playback::seek_to(const model::SeekTarget& state, std::string_view typed, std::uint64_t steady_ns)
{
    if (!ready_.load(std::memory_order_acquire)) return not_indexed();
    std::string error;
    std::optional<std::uint64_t> t = timeline_.resolve(typed, error);
    if (!t) return error;
    seek(state, *t, steady_ns);
    return "";
}

std::string Playback::describe(std::uint64_t steady_ns) const
{
    if (loading_) return "loading";
    if (finished()) return fmt::format("replay done at {} UTC", model::format_clock(played_ns_));
    return fmt::format("replay {}x at {} UTC", speed_ > 0 ? speed_ : 1.0, model::format_clock(now(steady_ns)));
}

}  // namespace proctree::viewer

#include "usage.hpp"

#include <chrono>
#include <iterator>

namespace proctree::viewer {

std::uint64_t steady_ns_now()
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

const Usage* UsageTable::find(const model::Identity& id) const
{
    auto it = entries_.find(id);
    return it == entries_.end() || it->second.gone ? nullptr : &it->second.shown;
}

// Reads one process into *entry (a new one when entry is null); false when
// it is gone (or its pid is another process's now).
bool UsageTable::read_one(const model::Identity& id, std::uint64_t steady_ns, Entry* entry)
{
    ++reads_;
    std::optional<collect::UsageReading> r = reader_->read(id.pid, id.start_ns);
    if (!r) {
        // Remembered as gone until the next round: not read again meanwhile.
        if (!entry) entries_.emplace(id, Entry{{}, 0, steady_ns, round_, true});
        return false;
    }
    Entry fresh;
    Entry& e = entry ? *entry : fresh;
    Usage u;
    if (entry && steady_ns >= e.read_at + kMinSpanNs && r->cpu_ns >= e.cpu_ns) {
        u.cpu_percent = static_cast<double>(r->cpu_ns - e.cpu_ns) * 100.0 / static_cast<double>(steady_ns - e.read_at);
        e.cpu_ns = r->cpu_ns;
        e.read_at = steady_ns;
    } else if (entry) {
        u.cpu_percent = e.shown.cpu_percent;  // too soon: keep the last figure
    } else {
        e.cpu_ns = r->cpu_ns;
        e.read_at = steady_ns;
    }
    u.rss_bytes = r->rss_bytes;
    u.state = r->state;
    u.threads = r->threads;
    bool changed = !entry || u.cpu_percent != e.shown.cpu_percent || u.rss_bytes != e.shown.rss_bytes ||
                   u.state != e.shown.state || u.threads != e.shown.threads;
    e.shown = u;
    e.gone = false;
    e.round = round_;
    if (!entry) entries_.emplace(id, e);
    if (changed) ++generation_;
    return true;
}

bool UsageTable::sample(std::span<const model::Identity> ids, std::uint64_t steady_ns)
{
    if (!reader_) return false;
    std::uint64_t before = generation_;
    if (steady_ns < next_round_) {
        for (const model::Identity& id : ids)
            if (!entries_.contains(id)) read_one(id, steady_ns, nullptr);
        return generation_ != before;
    }
    ++round_;
    next_round_ = steady_ns + kRoundNs;
    for (const model::Identity& id : ids) {
        auto it = entries_.find(id);
        if (it != entries_.end() && it->second.round == round_) continue;  // listed twice
        if (!read_one(id, steady_ns, it == entries_.end() ? nullptr : &it->second) && it != entries_.end()) {
            entries_.erase(it);
            ++generation_;
        }
    }
    // Off screen (or gone): forgotten, so the table stays as small as the screen.
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second.round != round_) {
            it = entries_.erase(it);
            ++generation_;
        } else {
            ++it;
        }
    }
    return generation_ != before;
}

const std::string* UsageTable::whole_cmdline(const model::Identity& id) const
{
    return cmdline_of_ == id && whole_cmdline_ ? &*whole_cmdline_ : nullptr;
}

bool UsageTable::fetch_whole_cmdline(const model::Identity& id)
{
    if (!reader_ || cmdline_of_ == id) return false;
    bool had = whole_cmdline_.has_value();
    cmdline_of_ = id;
    whole_cmdline_ = reader_->read_cmdline(id.pid, id.start_ns);
    return had || whole_cmdline_;
}

}  // namespace proctree::viewer

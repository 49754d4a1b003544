#include "status_line.hpp"

#include <proctree/model/escape.hpp>

#include <fmt/core.h>

#include <algorithm>

namespace proctree::viewer {

std::string format_rate(double per_s)
{
    if (!(per_s > 0.0)) return "0";  // also NaN and -0.0
    if (per_s >= 100) return fmt::format("{:.0f}", per_s);
    std::string s = fmt::format("{:.1f}", per_s);
    return s == "0.0" ? "0" : s;
}

namespace {

std::string lost_text(const StatusInfo& s, bool& alert)
{
    alert = false;
    if (s.polling) return "lost n/a";  // it sees what is there at each scan, never what it missed
    if (s.loss_reports > 0 && s.events_lost == 0) {
        alert = true;
        return fmt::format("lost ? ({}x)", s.loss_reports);
    }
    alert = s.events_lost > 0;
    return fmt::format("lost {}", s.events_lost);
}

}  // namespace

std::vector<Segment> status_segments(const UiState& ui, const StatusInfo& s, const model::Filter& filter)
{
    std::vector<Segment> out;
    auto add = [&](std::string text, int priority, bool shrinkable = false, bool alert = false) {
        out.push_back(Segment{std::move(text), alert, priority, shrinkable});
    };
    if (ui.paused) add("PAUSED", 100, false, true);
    if (!s.source.empty()) add(s.polling ? fmt::format("{} (polling)", s.source) : s.source, 70, true);
    if (!s.host.empty()) add("host " + model::escape(s.host), 30, true);
    add(fmt::format("{} procs", s.processes), 85);
    if (s.rates_live)
        add(fmt::format("{} new/s {} exit/s", format_rate(s.creates_per_s), format_rate(s.exits_per_s)), 60);
    bool lost_alert = false;
    std::string lost = lost_text(s, lost_alert);
    add(std::move(lost), lost_alert ? 96 : 65, false, lost_alert);
    if (!filter.empty()) add("filter " + model::escape(filter.describe()), 90, true);
    if (filter.hide_kernel_threads && s.kernel_threads_seen) add("kthreads hidden (K)", 75);
    if (filter.match_cmdline && filter.name.empty()) add("cmdline search (c)", 38);
    if (s.keep_exited) add(fmt::format("keeping exited: {}", s.exited), 55);
    if (s.history_dropped > 0) add(fmt::format("{} dropped from history", s.history_dropped), 35);
    if (!s.replay.empty()) add(s.replay, 80);
    // What answers the user's last key (and fades) outranks the figures.
    if (!s.export_path.empty()) add("saved " + model::escape(s.export_path), 77, true);
    if (!s.error.empty()) add("error: " + model::escape(s.error), 95, true, true);
    // "source: ebpf" says nothing the source segment does not; a notice with
    // a reason ("source: netlink (refused: ...)", resyncs) is worth the room.
    if (!s.source_choice.empty() && s.source_choice != "source: " + s.source)
        add(model::escape(s.source_choice), 20, true);
    if (!s.notice.empty()) add(model::escape(s.notice), 76, true);
    add("? help", 80);
    return out;
}

namespace {

constexpr int kEssential = 80;  // segments at or above it go only when nothing can be cut
constexpr int kShortest = 10;   // a cut segment keeps at least this many columns

int line_width(const std::vector<Segment>& segs, int sep)
{
    int total = 1;  // the leading blank
    for (const Segment& s : segs) total += text_width(s.text);
    return total + sep * std::max<int>(0, static_cast<int>(segs.size()) - 1);
}

void cut(Segment& seg, int columns, const Glyphs& glyphs)
{
    seg.text = std::string(fit_prefix(seg.text, columns - text_width(glyphs.ellipsis))) + std::string(glyphs.ellipsis);
}

}  // namespace

std::vector<Segment> fit_segments(std::vector<Segment> segs, int width, const Glyphs& glyphs)
{
    const int sep = text_width(glyphs.separator);
    auto by_priority = [](const Segment& a, const Segment& b) { return a.priority < b.priority; };
    for (int excess = line_width(segs, sep) - width; excess > 0 && !segs.empty();
         excess = line_width(segs, sep) - width) {
        auto lowest = std::min_element(segs.begin(), segs.end(), by_priority);
        int w = text_width(lowest->text);
        if (lowest->priority < kEssential) {
            if (lowest->shrinkable && w - excess >= kShortest) cut(*lowest, w - excess, glyphs);
            else segs.erase(lowest);
            continue;
        }
        // Only essential segments are left: cut the longest before dropping any.
        auto cuttable = segs.end();
        for (auto it = segs.begin(); it != segs.end(); ++it)
            if (it->shrinkable && text_width(it->text) > kShortest &&
                (cuttable == segs.end() || text_width(it->text) > text_width(cuttable->text)))
                cuttable = it;
        if (cuttable == segs.end()) {
            segs.erase(lowest);
            continue;
        }
        int cw = text_width(cuttable->text);
        cut(*cuttable, std::max(kShortest, cw - excess), glyphs);
    }
    return segs;
}

void paint_status_line(Grid& g, int y, const UiState& ui, const StatusInfo& s, const model::Filter& filter,
                       const Theme& theme)
{
    g.fill(0, y, -1, theme.status);
    int x = 1;
    bool first = true;
    for (const Segment& seg : fit_segments(status_segments(ui, s, filter), g.width(), theme.glyphs)) {
        if (!first) x = g.put(x, y, theme.glyphs.separator, theme.status);
        first = false;
        x = g.put(x, y, seg.text, seg.alert ? theme.status_alert : theme.status);
    }
}

}  // namespace proctree::viewer

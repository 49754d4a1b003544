#include "panes.hpp"

#include "columns.hpp"

#include <proctree/model/escape.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/fleet.hpp>
#include <proctree/model/truncation.hpp>
#include <proctree/wire.h>

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace proctree::viewer {

namespace {

using model::Process;

// "22:13:20.123" (UTC, like the exports' times).
std::string clock_ms(std::uint64_t ns)
{
    std::uint64_t ms = ns / 1'000'000ull;
    std::uint64_t day_ms = ms % 86'400'000ull;
    return fmt::format("{:02}:{:02}:{:02}.{:03}", day_ms / 3'600'000, day_ms / 60'000 % 60, day_ms / 1000 % 60,
                       day_ms % 1000);
}

std::string stamp_ms(std::uint64_t ns)
{
    if (ns == 0) return "unknown";
    std::string day = model::format_utc(ns);  // "2026-11-21 19:23:48 UTC"
    return fmt::format("{}.{:03} UTC", day.substr(0, day.size() - 4), ns / 1'000'000ull % 1000);
}

std::string who(const Process& p) { return fmt::format("{} ({})", model::escape(p.name), p.id.pid); }

// Adds `text` (escaped) as lines of at most `width` columns; continuation
// lines are indented by `indent`.
void wrap(std::vector<std::string>& out, const std::string& text, int width, int indent = 2)
{
    std::string_view rest = text;
    bool first = true;
    while (first || !rest.empty()) {
        int room = std::max(1, width - (first ? 0 : indent));
        std::string_view part = fit_prefix(rest, room);
        if (part.empty() && !rest.empty()) part = rest.substr(0, 1);
        out.push_back((first ? std::string() : std::string(static_cast<std::size_t>(indent), ' ')) + std::string(part));
        rest.remove_prefix(part.size());
        first = false;
    }
}

struct Counts {
    std::size_t living = 0, exited = 0;
};

// Descendants in the tree now (kept exited ones included); iterative.
Counts descendants(const Process& top)
{
    Counts c;
    const Process* n = top.first_child();
    while (n) {
        (n->exited ? c.exited : c.living)++;
        if (n->first_child()) {
            n = n->first_child();
            continue;
        }
        while (n && n != &top && !n->next_sibling()) n = n->parent();
        n = (n && n != &top) ? n->next_sibling() : nullptr;
    }
    return c;
}

void add_lineage(std::vector<std::string>& out, const model::ProcessTree& tree, const Process& p, int width)
{
    std::string chain;
    for (const Process* a = p.parent(); a; a = a->parent()) chain += (chain.empty() ? "" : " < ") + who(*a);
    wrap(out, "parents: " + (chain.empty() ? std::string("none (a root)") : chain), width);
    if (p.original_parent != model::Identity{}) {
        const Process* o = tree.find(p.original_parent);
        wrap(out, "original parent: " + (o ? who(*o) : fmt::format("{} (gone)", p.original_parent.pid)), width);
    }
    if (p.reparented_ns)
        wrap(out,
             fmt::format("spawned by pid {}; {} at {}", p.recorded_parent.pid, model::describe_reparenting(p),
                         clock_ms(p.reparented_ns)),
             width);
    else if (p.recorded_parent.pid != 0 && (!p.parent() || p.parent()->id.pid != p.recorded_parent.pid))
        wrap(out, fmt::format("recorded parent: pid {}", p.recorded_parent.pid), width);
}

void add_records(std::vector<std::string>& out, const Process& p, int width)
{
    struct Line {
        std::uint64_t t;
        std::string text;
    };
    std::vector<Line> lines;
    lines.push_back({p.created_ns, p.from_snapshot ? "running at the snapshot" : "create"});
    for (const model::ExecStep& x : p.execs)
        lines.push_back({x.time_ns, "exec, replacing " + model::escape(x.replaced_image)});
    if (const model::ProcessHistory* h = p.history())
        for (const model::NameChange& r : h->renames)
            lines.push_back({r.time_ns, "rename " + model::escape(r.before) + " -> " + model::escape(r.after)});
    if (p.exited) lines.push_back({p.exited_ns, "exit: " + model::describe_exit(p)});
    std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.t < b.t; });
    out.push_back("records:");
    for (const Line& l : lines) wrap(out, "  " + clock_ms(l.t) + "  " + l.text, width, 4);
    if (const model::ProcessHistory* h = p.history(); h && h->renames_dropped)
        out.push_back(fmt::format("  ({} more renames not kept)", h->renames_dropped));
}

void add_images(std::vector<std::string>& out, const Process& p, int width)
{
    const model::ProcessHistory* h = p.history();
    if (!h || h->images.empty()) return;
    out.push_back(fmt::format("images loaded: {}{}", h->images.size() + h->images_dropped,
                              h->images_dropped ? fmt::format(" ({} not kept)", h->images_dropped) : ""));
    for (const model::LoadedImage& i : h->images)
        wrap(out,
             fmt::format("  {}  base 0x{:x}  size {}  {}", clock_ms(i.time_ns), i.base, i.size, model::escape(i.path)),
             width, 4);
}

// "command line: 4,096 bytes, cut by the producer: 95,904 more not sent".
std::string cmdline_heading(const model::Cut& cut, std::size_t kept)
{
    std::string s = fmt::format("command line: {} bytes", model::group_digits(kept));
    if (!cut.truncated) return s;
    if (!cut.missing) return s + ", cut by the producer (how much is missing is unknown)";
    return s + fmt::format(", cut by the producer: {} more not sent", model::group_digits(*cut.missing));
}

// The record's command line, with how much the producer cut; or, for a
// running process, the whole one read from the OS.
void add_cmdline(std::vector<std::string>& out, const Process& p, int width, std::string_view cut_glyph,
                 const std::string* whole)
{
    model::Cut cut = model::cut_of(p, model::TextField::Cmdline);
    if (whole && cut.truncated && whole->size() > p.cmdline.size()) {
        out.push_back(fmt::format("command line: {} bytes, read from the running process (its record carried {})",
                                  model::group_digits(whole->size()), model::group_digits(p.cmdline.size())));
        wrap(out, model::escape(*whole), width, 0);
        return;
    }
    out.push_back(cmdline_heading(cut, p.cmdline.size()));
    wrap(out, model::escape(p.cmdline) + model::cut_marker(cut, cut_glyph), width, 0);
}

void add_family_counts(std::vector<std::string>& out, const Process& p, int width)
{
    Counts kids;
    for (const Process* c = p.first_child(); c; c = c->next_sibling()) (c->exited ? kids.exited : kids.living)++;
    Counts all = descendants(p);
    wrap(out,
         fmt::format("children: {} living, {} exited; descendants: {} living, {} exited", kids.living, kids.exited,
                     all.living, all.exited),
         width);
}

// A fleet's host node is no process: no pid, user or command line of its own.
std::vector<std::string> host_details(const model::ProcessTree& tree, const Process& p, int width)
{
    std::vector<std::string> out;
    std::string line = "host " + model::escape(p.name);
    if (const model::HostInfo* h = tree.host(p.id.host)) line += ": " + model::describe_host(*h, tree.now());
    wrap(out, line, width);
    add_family_counts(out, p, width);
    return out;
}

}  // namespace

std::vector<std::string> details_lines(const model::ProcessTree& tree, const Process& p, int width, const Usage* usage,
                                       std::string_view cut_glyph, const std::string* whole_cmdline)
{
    if (p.is_host()) return host_details(tree, p, width);
    std::vector<std::string> out;
    wrap(out,
         fmt::format("pid {}  started {}  creator pid {} tid {}", p.id.pid, stamp_ms(p.id.start_ns), p.creator_pid,
                     p.creator_tid),
         width);
    if (p.created_ns && !p.from_snapshot) wrap(out, "created (record) " + stamp_ms(p.created_ns), width);
    add_lineage(out, tree, p, width);
    std::string uid = p.uid == PT_UID_UNKNOWN ? std::string("unknown") : std::to_string(p.uid);
    wrap(out, fmt::format("user: {}  uid {}  threads {}", p.user.empty() ? "?" : model::escape(p.user), uid, p.threads),
         width);
    wrap(out,
         "image: " + model::escape(p.image) + model::cut_marker(model::cut_of(p, model::TextField::Image), cut_glyph),
         width);
    if (std::string facts = model::describe_image_facts(p.image_facts.get()); !facts.empty())
        wrap(out, "image facts: " + facts, width);
    add_cmdline(out, p, width, cut_glyph, whole_cmdline);
    if (p.exited) {
        std::uint64_t life = model::process_lifetime_ns(p);
        std::string used = model::describe_exit_usage(p);
        wrap(out,
             fmt::format("exit: {} after {}{}", model::describe_exit(p), model::format_duration(life),
                         used.empty() ? "" : "; " + used),
             width);
    } else if (usage) {
        wrap(out,
             fmt::format("running: cpu {}% of one core, RSS {}, state {}",
                         usage->cpu_percent ? format_cpu(*usage->cpu_percent) : "-",
                         usage->rss_bytes ? format_rss(*usage->rss_bytes) : "-",
                         usage->state ? std::string(1, usage->state) : "-"),
             width);
    } else {
        out.push_back("running");
    }
    add_family_counts(out, p, width);
    add_records(out, p, width);
    add_images(out, p, width);
    return out;
}

std::string log_line(const model::LogEntry& e)
{
    std::string s = fmt::format("{}  {:<6} {:>7}  {}", clock_ms(e.time_ns), model::to_string(e.kind),
                                e.proc.pid ? std::to_string(e.proc.pid) : std::string("-"), model::escape(e.name));
    if (!e.parent_name.empty()) s += "  < " + model::escape(e.parent_name);
    if (!e.detail.empty()) s += "  " + model::escape(e.detail);
    return s;
}

std::vector<std::string> log_lines(const model::ProcessTree& tree, const model::EventLog& log, std::size_t back,
                                   std::size_t count, std::size_t* matching)
{
    std::vector<const Process*> tops;
    for (std::uint32_t pid : tree.filter().pids)
        for (const Process* top : tree.with_pid(pid)) tops.push_back(top);
    if (!tree.filter().pids.empty() && tops.empty()) {
        if (matching) *matching = 0;
        return {};
    }
    std::vector<std::string> out;
    std::size_t seen = 0;
    for (std::size_t i = log.size(); i-- > 0;) {
        const model::LogEntry& e = log.at(i);
        auto in = [&](const Process* top) { return model::in_subtree(tree, e.proc, top); };
        if (!tops.empty() && std::none_of(tops.begin(), tops.end(), in)) continue;
        if (seen++ < back) continue;
        if (out.size() < count) out.push_back(log_line(e));
        else if (!matching) break;
    }
    if (matching) *matching = seen;
    std::reverse(out.begin(), out.end());
    return out;
}

}  // namespace proctree::viewer

namespace proctree::viewer {

namespace {

void paint_title(Grid& g, int y, const std::string& title, const std::string& hint, const Theme& theme)
{
    g.fill(0, y, -1, theme.header);
    int x = g.put(1, y, title, theme.header);
    if (x + 2 + text_width(hint) < g.width()) g.put(g.width() - 1 - text_width(hint), y, hint, theme.header);
}

std::size_t clamp_scroll(std::size_t pos, std::size_t total, std::size_t shown)
{
    return std::min(pos, total > shown ? total - shown : 0);
}

void paint_details(const model::ProcessTree& tree, UiState& ui, const Theme& theme, int top, int body, Grid& g)
{
    if (ui.details_of != ui.selected) {  // follows the selection, from its first line
        ui.details_of = ui.selected;
        ui.pane_scroll = 0;
    }
    const Process* p = ui.selected ? tree.find(*ui.selected) : nullptr;
    std::vector<std::string> lines =
        p ? details_lines(tree, *p, g.width() - 1, ui.usage ? ui.usage->find(p->id) : nullptr, theme.glyphs.cut,
                          ui.usage ? ui.usage->whole_cmdline(p->id) : nullptr)
          : std::vector<std::string>{"(no process selected)"};
    auto shown = static_cast<std::size_t>(body);
    ui.pane_scroll = clamp_scroll(ui.pane_scroll, lines.size(), shown);
    std::size_t last = std::min(lines.size(), ui.pane_scroll + shown);
    std::string title = p ? fmt::format("details: {} ({})", model::escape(p->name), p->id.pid) : "details";
    paint_title(g, top, fmt::format("{}  lines {}-{} of {}", title, ui.pane_scroll + 1, last, lines.size()),
                ui.pane_focus ? "Up/Dn PgUp/PgDn Home/End scroll, Tab: tree" : "Tab: scroll, Enter/Esc: close", theme);
    for (std::size_t i = ui.pane_scroll; i < last; ++i)
        g.put(1, top + 1 + static_cast<int>(i - ui.pane_scroll), lines[i], theme.normal);
}

void paint_log(const model::ProcessTree& tree, UiState& ui, const model::EventLog* log, const Theme& theme, int top,
               int body, Grid& g)
{
    std::size_t matching = 0;
    auto shown = static_cast<std::size_t>(body);
    std::vector<std::string> lines;
    if (log) {
        log_lines(tree, *log, 0, 0, &matching);
        ui.pane_scroll = clamp_scroll(ui.pane_scroll, matching, shown);
        lines = log_lines(tree, *log, ui.pane_scroll, shown);
    }
    const std::vector<std::uint32_t>& pids = tree.filter().pids;
    std::string scope = pids.empty() ? "" : fmt::format(" of pid {}'s subtree", fmt::join(pids, ","));
    paint_title(g, top,
                fmt::format("log{}: {} lines{}", scope, matching,
                            ui.pane_scroll ? fmt::format(", {} newer below", ui.pane_scroll) : ""),
                ui.pane_focus ? "Up/Dn PgUp/PgDn scroll, Tab: tree" : "Tab: scroll, l/Esc: close", theme);
    // Newest at the bottom, like a terminal.
    int y = top + 1 + body - static_cast<int>(lines.size());
    for (const std::string& l : lines) g.put(1, y++, l, theme.normal);
}

void paint_spawners(const model::ProcessTree& tree, UiState& ui, const model::SpawnerCounts* counts, const Theme& theme,
                    int top, int body, Grid& g)
{
    paint_title(g, top, "top spawners: children created",
                ui.pane_focus ? "Up/Dn choose, Enter: show in the tree, Tab: tree" : "Tab: choose, T/Esc: close",
                theme);
    ui.pane_targets.clear();
    if (!counts) return;
    std::size_t each = static_cast<std::size_t>(std::max(1, (body - 2) / 2));
    int y = top + 1;
    for (bool recent : {true, false}) {
        if (y >= top + 1 + body) break;
        g.put(1, y++,
              fmt::format("{:<24} {:>7} {:>8} {:>8} {:>8}", recent ? "in the last 10 s" : "since the start", "PID",
                          "LAST 10s", "PER s", "TOTAL"),
              theme.context);
        for (const model::Spawner& s : counts->top(tree.now(), each, recent)) {
            if (y >= top + 1 + body) break;
            bool sel = ui.pane_focus && ui.pane_targets.size() == ui.pane_sel;
            const Process* spawner = tree.find(s.id);  // the newest with its identity, as counted
            ui.pane_targets.push_back(spawner ? spawner->ref() : model::ProcessRef{s.id});
            std::string name = model::escape(s.name);
            g.put(1, y,
                  fmt::format("{:<24} {:>7} {:>8} {:>8.1f} {:>8}", std::string(fit_prefix(name, 24)), s.id.pid,
                              s.recent, s.rate, s.total),
                  theme.normal);
            if (sel) g.add_reverse(0, y, -1);
            ++y;
        }
    }
    if (!ui.pane_targets.empty() && ui.pane_sel >= ui.pane_targets.size()) {
        ui.pane_sel = ui.pane_targets.size() - 1;  // drawn again next frame
    }
}

}  // namespace

void paint_pane(const model::ProcessTree& tree, UiState& ui, const PaneSources& sources, const Theme& theme, int top,
                int rows, Grid& g)
{
    int body = rows - 1;
    ui.pane_rows = body;
    for (int y = top; y < top + rows; ++y) g.fill(0, y, -1, theme.normal);
    switch (ui.pane) {
    case Pane::Details: paint_details(tree, ui, theme, top, body, g); break;
    case Pane::Log: paint_log(tree, ui, sources.log, theme, top, body, g); break;
    case Pane::Spawners: paint_spawners(tree, ui, sources.spawners, theme, top, body, g); break;
    case Pane::None: break;
    }
}

}  // namespace proctree::viewer

#include "layout.hpp"

#include "host_row.hpp"
#include "menus.hpp"
#include "status_line.hpp"

#include <proctree/model/escape.hpp>
#include <proctree/model/export.hpp>
#include <proctree/model/truncation.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <ctime>

namespace proctree::viewer {

namespace {

using model::Process;
using model::Row;
using model::RowState;

bool prompting(const UiState& ui)
{
    return ui.mode == Mode::EditName || ui.mode == Mode::EditPid || ui.mode == Mode::EditTime ||
           ui.mode == Mode::Search;
}

// The status line, and the prompt while one is open.
int footer_height(const UiState& ui) { return prompting(ui) ? 2 : 1; }

void paint_footer(const UiState& ui, const StatusInfo& status, const model::Filter& filter, const Theme& theme, Grid& g)
{
    int y = g.height() - 1;
    g.cursor.reset();
    if (prompting(ui)) {
        g.fill(0, y, -1, theme.normal);
        const char* label = ui.mode == Mode::EditName  ? "Filter by name: "
                            : ui.mode == Mode::EditPid ? "Filter by PID: "
                            : ui.mode == Mode::Search  ? "Search (F3 next; then n/N): "
                                                       : "Go to time (HH:MM:SS[.mmm] UTC, +SECONDS): ";
        int x = g.put(0, y, label, theme.prompt);
        std::string shown = model::escape(ui.edit);
        int room = g.width() - x - 1;
        std::string_view tail = shown;
        while (text_width(tail) > room && !tail.empty()) tail.remove_prefix(1);
        x = g.put(x, y, tail, theme.normal);
        g.cursor = std::make_pair(std::min(x, g.width() - 1), y);
        std::string hint = "  (Enter keeps, Esc cancels)";
        if (x + text_width(hint) < g.width()) g.put(x + 1, y, hint, theme.context);
        --y;
    }
    paint_status_line(g, y, ui, status, filter, theme);
}

void paint_header(Grid& g, const UiState& ui, const Theme& theme)
{
    g.fill(0, 0, -1, theme.header);
    std::string h = header_cells(ui.columns) + "PROCESS";
    if (!ui.order.is_default()) {
        const SortColumn& c = sort_column(ui.order.key);
        bool descending = c.descending != ui.order.inverted;
        h += fmt::format("  [{}{}]", ui.order.flat ? "list" : "tree",
                         c.key == SortKey::Start && !descending
                             ? std::string()
                             : fmt::format(", by {} {}", c.label, descending ? "desc" : "asc"));
    }
    if (ui.hscroll > 0) h += fmt::format("  (command lines from column {}; Left/Right)", ui.hscroll + 1);
    g.put(0, 0, h, theme.header);
}

// The text after the first `columns` columns.
std::string_view skip_columns(std::string_view text, std::size_t columns)
{
    if (columns == 0) return text;
    std::string_view head = fit_prefix(text, static_cast<int>(std::min<std::size_t>(columns, INT32_MAX)));
    return text.substr(head.size());
}

void paint_row(const model::ProcessTree& tree, const Row& row, int y, const UiState& ui, const Theme& theme, Grid& g)
{
    const Process& p = *row.proc;
    if (p.is_host()) return paint_host_row(tree, row, y, ui.selected && p.ref() == *ui.selected, theme, g);
    Style st = theme.row_style(row.state);
    Style cmd = row.state == RowState::Normal ? theme.cmdline : st;
    if (!(st == theme.normal)) g.fill(0, y, -1, st);  // render() cleared the rest
    const Usage* usage = ui.usage ? ui.usage->find(p.id) : nullptr;
    int x = g.put(0, y, row_cells(ui.columns, p, usage, tree.now()), st);
    bool selected = ui.selected && row.proc->ref() == *ui.selected;
    std::size_t raw = (static_cast<std::size_t>(g.width()) + ui.hscroll) * 4;
    std::string label = row_label(tree, row, theme, raw);
    // Name part in the row style, command line in `cmd` style.
    std::string_view all = label;
    std::size_t split = label.find("\x1f");
    if (split == std::string::npos) {
        g.put(x, y, all, st);
    } else {
        x = g.put(x, y, all.substr(0, split), st);
        g.put(x, y, skip_columns(all.substr(split + 1), ui.hscroll), cmd);
    }
    if (selected) g.add_reverse(0, y, -1);
}

void paint_help(Grid& g, int top, int rows, UiState& ui, const Theme& theme)
{
    auto lines = help_lines();
    std::size_t shown = static_cast<std::size_t>(std::max(0, rows));
    ui.help_top = std::min(ui.help_top, lines.size() > shown ? lines.size() - shown : 0);
    for (int i = 0; i < rows; ++i) {
        g.fill(0, top + i, -1, theme.normal);
        std::size_t k = ui.help_top + static_cast<std::size_t>(i);
        if (k < lines.size()) g.put(2, top + i, lines[k], k == 0 ? theme.help_title : theme.normal);
    }
}

void paint_too_small(Grid& g, const Theme& theme)
{
    g.clear(theme.normal);
    std::string msg = fmt::format("Terminal too small: {}x{}, proctree needs at least {}x{}.", g.width(), g.height(),
                                  kMinWidth, kMinHeight);
    // Wrap on the available width so that even a tiny terminal says so.
    int y = 0;
    std::string_view rest = msg;
    while (!rest.empty() && y < g.height()) {
        std::string_view line = fit_prefix(rest, std::max(1, g.width()));
        if (line.empty()) break;
        g.put(0, y++, line, theme.error);
        rest.remove_prefix(line.size());
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    }
    if (y < g.height()) g.put(0, y, "q quits", theme.normal);
}

}  // namespace

namespace {

// The first `max` bytes of raw text, cut at a UTF-8 boundary: a screen row
// needs no more than a few bytes per column of a 4 KiB command line.
std::string_view clip_raw(std::string_view raw, std::size_t max)
{
    if (raw.size() <= max) return raw;
    while (max > 0 && (static_cast<unsigned char>(raw[max]) & 0xC0) == 0x80) --max;
    return raw.substr(0, max);
}

}  // namespace

std::string row_label(const model::ProcessTree& tree, const Row& row, const Theme& theme, std::size_t max_raw)
{
    (void)tree;
    const Process& p = *row.proc;
    std::string s = tree_prefix(row.prefix, theme.glyphs);
    if (row.has_children && row.collapsed) s += theme.glyphs.collapsed;
    s += theme.marker(row.state);
    s += model::escape(p.name.empty() ? std::string_view("?") : clip_raw(p.name, max_raw));
    if (p.name.size() <= max_raw) s += model::cut_marker(model::cut_of(p, model::TextField::Name), theme.glyphs.cut);
    if (p.exited) {
        // Shared with the exports: from the create record when seen, since
        // Linux identity start times are coarse (see process_lifetime_ns).
        s += " (" + model::describe_exit(p);
        if (std::string life = model::describe_lifetime(p); !life.empty()) s += " after " + life;
        if (std::string usage = model::describe_exit_usage(p); !usage.empty()) s += "; " + usage;
        s += ")";
    }
    // \x1f separates the part in the row style from the command line; it
    // can't come from a process (escape() shows control bytes as \xNN).
    s += '\x1f';
    if (!p.cmdline.empty()) s += "  " + model::escape(clip_raw(p.cmdline, max_raw));
    // Past a clipped command line the marker would be off the screen anyway.
    if (!p.cmdline.empty() && p.cmdline.size() <= max_raw)
        s += model::cut_marker(model::cut_of(p, model::TextField::Cmdline), theme.glyphs.cut);
    return s;
}

std::vector<std::string> help_lines()
{
    return {
        "proctree - keys (htop's where they mean the same)",
        "",
        "  Up/Down, j/k      move the selection",
        "  PgUp/PgDn         move by a page",
        "  Home/End          first / last process",
        "  Left/Right        scroll the command lines by 8 columns",
        "  Enter             details of the selected process (Enter or Esc closes)",
        "  Space             collapse or expand the selected subtree",
        "  + -               expand / collapse the selected subtree",
        "  *                 expand everything, or collapse every subtree",
        "  Tab               focus the open pane to scroll it, and back to the tree",
        "  x                 keep exited processes (--keep-exited; --history N bounds)",
        "  l                 event log in the lower half (within the PID filter)",
        "  T                 top spawners; Enter on one shows it in the tree",
        "  t F5              tree or flat list",
        "  F6                sort by a column (menu); siblings in the tree, or the whole list",
        "  < >               sort by the previous / next column",
        "  I                 invert the sort order",
        "  F3                search by name, typed live: jumps to the first match, hides nothing",
        "  n N               next / previous match of the search",
        "  / \\ F4            filter by name, typed live (Enter keeps, Esc cancels)",
        "  p                 filter by PID[,PID]: the processes, their ancestors and subtrees",
        "  u                 show one user's processes (a menu of the users present)",
        "  K                 hide or show kernel threads (hidden at the start; --kernel-threads)",
        "  c                 the name filter and search match command lines too (--cmdline)",
        "  Esc               close the pane, else clear the name, PID and user filters",
        "  F9                send a signal to the selected process (TERM, KILL, ...; this machine, live)",
        "  s                 export the view as text to the export directory",
        "  S                 export the view as JSON",
        "  P                 pause the screen (events are still applied; a file's clock stops)",
        "  [ ]  { }          in a recorded file: back / forward 1 s, 10 s",
        "  g                 in a recorded file: go to a time (HH:MM:SS[.mmm] UTC, +SECONDS)",
        "  Ctrl-L            repaint the whole screen",
        "  ? h F1            this help (Up/Down scroll it, other keys close it, q too)",
        "  q F10             quit",
        "  mouse             wheel scrolls, click selects (--no-mouse leaves it to the terminal)",
        "",
        "  Colours: green = new, red = exited (with exit status and lifetime),",
        "  dim red = exited and kept, dim = ancestor shown for context.",
        "  Without colour: [+] new, [x] exited.",
        "  Columns (--columns): CPU% of one core over the last second, RSS, S (R runs,",
        "  S sleeps, D waits on disk, Z zombie, T stopped), read from /proc once a second",
        "  for the rows on screen (for every row while sorted by one of them); \"-\" where",
        "  the stream has no such figures. Exited: whole-life CPU time and peak RSS.",
        "  A key that does nothing says so once in the status line.",
    };
}

void sync_selection(const ViewRows& view, UiState& ui, int body_rows)
{
    std::size_t n = view.row_count();
    std::size_t page = static_cast<std::size_t>(std::max(1, body_rows));
    if (n == 0) {
        ui.selected.reset();
        ui.sel_index = 0;
        ui.top = 0;
        return;
    }
    std::size_t idx = std::min(ui.sel_index, n - 1);
    std::optional<std::size_t> found;
    if (ui.selected) found = view.index_of(*ui.selected);
    if (found) {
        idx = *found;
    } else {
        auto r = view.rows(idx, 1);
        if (!r.empty()) ui.selected = r.front().proc->ref();
    }
    // Keep the selection on the same screen row when rows moved above it.
    if (idx != ui.sel_index && ui.sel_index >= ui.top && ui.sel_index < ui.top + page) {
        std::ptrdiff_t delta = static_cast<std::ptrdiff_t>(idx) - static_cast<std::ptrdiff_t>(ui.sel_index);
        std::ptrdiff_t top = static_cast<std::ptrdiff_t>(ui.top) + delta;
        ui.top = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, top));
    }
    ui.sel_index = idx;
    if (ui.top > idx) ui.top = idx;
    if (idx >= ui.top + page) ui.top = idx - page + 1;
    std::size_t max_top = n > page ? n - page : 0;
    if (ui.top > max_top) ui.top = max_top;
}

void render(const model::ProcessTree& tree, UiState& ui, const StatusInfo& status, const Theme& theme, Grid& g,
            const PaneSources& sources)
{
    g.clear(theme.normal);  // cheap: cells are plain data
    ui.too_small = g.width() < kMinWidth || g.height() < kMinHeight;
    if (ui.too_small) {
        ui.body_rows = 0;
        paint_too_small(g, theme);
        return;
    }
    int footer = footer_height(ui);
    ui.body_top = 1;
    ui.body_rows = g.height() - 1 - footer;
    ui.pane_rows = 0;
    int menu = std::min(menu_height(ui), ui.body_rows - 1);
    int pane_total =
        menu <= 0 && ui.pane != Pane::None && ui.mode != Mode::Help && ui.body_rows >= 6 ? ui.body_rows / 2 : 0;
    ui.body_rows -= pane_total + std::max(0, menu);
    paint_header(g, ui, theme);
    if (ui.mode == Mode::Help) {
        paint_help(g, ui.body_top, ui.body_rows, ui, theme);
    } else {
        ViewRows view(tree, ui.order, ui.rows, ui.usage);
        sync_selection(view, ui, ui.body_rows);
        auto rows = view.rows(ui.top, static_cast<std::size_t>(ui.body_rows));
        ui.shown.clear();
        for (std::size_t i = 0; i < rows.size(); ++i) {
            paint_row(tree, rows[i], ui.body_top + static_cast<int>(i), ui, theme, g);
            if (!rows[i].proc->exited) ui.shown.push_back(rows[i].proc->id);
        }
        if (rows.empty() && view.row_count() == 0) {
            const char* msg = tree.filter().empty() ? "(no processes yet)" : "(no process matches the filter)";
            g.put(2, ui.body_top, msg, theme.context);
        }
        // After the tree: the details follow the selection it settled.
        if (pane_total > 0) paint_pane(tree, ui, sources, theme, ui.body_top + ui.body_rows, pane_total, g);
        if (menu > 0) paint_menu(tree, ui, theme, ui.body_top + ui.body_rows, menu, g);
    }
    paint_footer(ui, status, tree.filter(), theme, g);
}

bool render_footer(const model::Filter& filter, UiState& ui, const StatusInfo& status, const Theme& theme, Grid& g)
{
    if (ui.too_small || ui.mode == Mode::Help) return false;
    int body = ui.body_rows + (ui.pane_rows > 0 ? ui.pane_rows + 1 : 0);
    if (footer_height(ui) != g.height() - 1 - body) return false;
    paint_footer(ui, status, filter, theme, g);
    return true;
}

}  // namespace proctree::viewer

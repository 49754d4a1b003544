#include "keys.hpp"

#include "layout.hpp"

#include "view_rows.hpp"

#include <proctree/model/view.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

namespace proctree::viewer {

ViewRows Controller::rows_view() { return ViewRows(tree_, ui_.order, ui_.rows, ui_.usage); }

void pop_utf8(std::string& s)
{
    while (!s.empty()) {
        char c = s.back();
        s.pop_back();
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) break;
    }
}

Request Controller::handle(const Event& e)
{
    if (e.key == Key::None) return Request::None;
    if (e.key == Key::Resize) return Request::Redraw;
    if (ui_.too_small)
        return (e.key == Key::Char && e.ch == 'q') || (e.key == Key::Function && e.ch == 10) ? Request::Quit
                                                                                             : Request::None;
    {
        ViewRows view = rows_view();
        sync_selection(view, ui_, ui_.body_rows);
    }
    switch (ui_.mode) {
    case Mode::Normal: return normal(e);
    case Mode::EditName: return edit_name(e);
    case Mode::EditPid: return edit_pid(e);
    case Mode::EditTime: return edit_time(e);
    case Mode::Search: return edit_search(e);
    case Mode::Signal: return signal_menu(e);
    case Mode::Sort: return sort_menu(e);
    case Mode::User: return user_menu(e);
    case Mode::Help: return help_key(e);
    }
    return Request::None;
}

// Up/Down scroll the help; any other key closes it (q and F10 too: on the
// help page they close the help, not the program).
Request Controller::help_key(const Event& e)
{
    if (e.key == Key::Redraw) return Request::Repaint;
    if (e.key == Key::Down || e.key == Key::WheelDown || e.key == Key::PageDown ||
        (e.key == Key::Char && e.ch == 'j')) {
        ui_.help_top += e.key == Key::PageDown ? static_cast<std::size_t>(page()) : 1;
        return Request::Redraw;  // the layout clamps it
    }
    if (e.key == Key::Up || e.key == Key::WheelUp || e.key == Key::PageUp || (e.key == Key::Char && e.ch == 'k')) {
        std::size_t d = e.key == Key::PageUp ? static_cast<std::size_t>(page()) : 1;
        ui_.help_top -= std::min(ui_.help_top, d);
        return Request::Redraw;
    }
    ui_.mode = Mode::Normal;
    ui_.help_top = 0;
    return Request::Redraw;
}

Request Controller::toggle_pane(Pane pane)
{
    bool open = ui_.pane != pane;
    ui_.pane = open ? pane : Pane::None;
    ui_.pane_focus = open && pane == Pane::Spawners;  // a list to choose from
    ui_.pane_scroll = 0;
    ui_.pane_sel = 0;
    return Request::Redraw;
}

// Keys for the open pane while it has the focus (Tab).
Request Controller::pane_key(const Event& e)
{
    std::size_t& pos = ui_.pane == Pane::Spawners ? ui_.pane_sel : ui_.pane_scroll;
    // The log counts back from the newest line: up is further back.
    bool backwards = ui_.pane == Pane::Log;
    auto step = [&](std::ptrdiff_t d) {
        if (backwards) d = -d;
        pos = d < 0 ? pos - std::min(pos, static_cast<std::size_t>(-d)) : pos + static_cast<std::size_t>(d);
        return Request::Redraw;  // the layout clamps pos to what there is
    };
    std::ptrdiff_t page = ui_.pane_rows > 1 ? ui_.pane_rows - 1 : 1;
    bool is_char = e.key == Key::Char;
    if (e.key == Key::Up || (is_char && e.ch == 'k')) return step(-1);
    if (e.key == Key::Down || (is_char && e.ch == 'j')) return step(1);
    if (e.key == Key::PageUp || e.key == Key::WheelUp) return step(-page);
    if (e.key == Key::PageDown || e.key == Key::WheelDown) return step(page);
    if (e.key == Key::Home) return step(backwards ? PTRDIFF_MAX : -PTRDIFF_MAX);
    if (e.key == Key::End) return step(backwards ? -PTRDIFF_MAX : PTRDIFF_MAX);
    if (e.key == Key::Enter && ui_.pane == Pane::Spawners) {
        if (ui_.pane_sel < ui_.pane_targets.size()) {
            ui_.selected = ui_.pane_targets[ui_.pane_sel];
            ui_.sel_index = 0;
            ui_.top = 0;
            ViewRows view = rows_view();
            if (auto idx = view.index_of(*ui_.selected)) move_to(static_cast<std::ptrdiff_t>(*idx));
        }
        ui_.pane_focus = false;
        return Request::Redraw;
    }
    return Request::None;
}

Request Controller::normal(const Event& e)
{
    if (e.key == Key::Tab) {
        if (ui_.pane == Pane::None) return Request::None;
        ui_.pane_focus = !ui_.pane_focus;
        return Request::Redraw;
    }
    if (ui_.pane != Pane::None && ui_.pane_focus) {
        if (Request r = pane_key(e); r != Request::None) return r;
    }
    switch (e.key) {
    case Key::Up: move_by(-1); return Request::Redraw;
    case Key::Down: move_by(1); return Request::Redraw;
    case Key::Left:
        if (ui_.hscroll == 0) return Request::None;
        ui_.hscroll -= std::min<std::size_t>(ui_.hscroll, kScrollStep);
        return Request::Redraw;
    case Key::Right:
        if (ui_.hscroll >= kMaxScroll) return Request::None;
        ui_.hscroll += kScrollStep;
        return Request::Redraw;
    case Key::PageUp: move_by(-page()); return Request::Redraw;
    case Key::PageDown: move_by(page()); return Request::Redraw;
    case Key::Home: move_to(0); return Request::Redraw;
    case Key::End: move_to(PTRDIFF_MAX); return Request::Redraw;
    case Key::WheelUp: scroll(-kWheelStep); return Request::Redraw;
    case Key::WheelDown: scroll(kWheelStep); return Request::Redraw;
    case Key::Enter: return toggle_pane(Pane::Details);
    case Key::Escape:
        if (ui_.pane != Pane::None) return toggle_pane(ui_.pane);
        return clear_filters();
    case Key::Function: return function_key(static_cast<int>(e.ch));
    case Key::Redraw: return Request::Repaint;
    case Key::Click: {
        if (e.y < ui_.body_top || e.y >= ui_.body_top + ui_.body_rows) return Request::None;
        std::size_t idx = ui_.top + static_cast<std::size_t>(e.y - ui_.body_top);
        ViewRows view = rows_view();
        if (idx >= view.row_count()) return Request::None;
        move_to(static_cast<std::ptrdiff_t>(idx));
        return Request::Redraw;
    }
    case Key::Char: return normal_char(e.ch);
    default: return Request::None;
    }
}

Request Controller::normal_char(char32_t c)
{
    switch (c) {
    case 'k': move_by(-1); return Request::Redraw;
    case 'j': move_by(1); return Request::Redraw;
    case ' ':
        if (ui_.selected) tree_.toggle_collapsed(ui_.selected->id);
        return Request::Redraw;
    case '+': return set_collapsed_selected(false);
    case '-': return set_collapsed_selected(true);
    case '*': return toggle_all_collapsed();
    case '/':
    case '\\': return open_name_filter();
    case 'p':
        ui_.mode = Mode::EditPid;
        ui_.saved_filter = tree_.filter();
        ui_.edit.clear();
        return Request::Redraw;
    case 't': return toggle_flat();
    case '<': return step_sort(-1);
    case '>': return step_sort(1);
    case 'I': ui_.order.inverted = !ui_.order.inverted; return Request::Redraw;
    case 'K': return toggle_kernel_threads();
    case 'u': return open_user_menu();
    case 'c': return toggle_cmdline();
    case 'n': return search_jump(true);
    case 'N': return search_jump(false);
    case 's': return Request::ExportText;
    case 'S': return Request::ExportJson;
    case 'P': ui_.paused = !ui_.paused; return Request::Redraw;
    case '[': return seek_by(-1);
    case ']': return seek_by(1);
    case '{': return seek_by(-10);
    case '}': return seek_by(10);
    case 'g':
        ui_.mode = Mode::EditTime;
        ui_.edit.clear();
        return Request::Redraw;
    case 'x': tree_.set_keep_exited(!tree_.keep_exited()); return Request::Redraw;
    case 'l': return toggle_pane(Pane::Log);
    case 'T': return toggle_pane(Pane::Spawners);
    case '?':
    case 'h': ui_.mode = Mode::Help; return Request::Redraw;
    case 'q': return Request::Quit;
    default: break;
    }
    std::string shown;
    append_utf8(shown, c);
    if (c < 0x20 || c == 0x7F) shown = fmt::format("Ctrl-{}", static_cast<char>(c ^ 0x40));
    return hint_once(c, fmt::format("{}: not a key here; ? lists the keys", shown));
}

// htop's function keys where they mean the same; the others say so once.
Request Controller::function_key(int n)
{
    switch (n) {
    case 1: ui_.mode = Mode::Help; return Request::Redraw;
    case 3:
        ui_.mode = Mode::Search;
        ui_.edit = ui_.search;
        ui_.search_from = ui_.selected;
        return Request::Redraw;
    case 4: return open_name_filter();
    case 5: return toggle_flat();
    case 6: return open_sort_menu();
    case 9: return open_signal_menu();
    case 10: return Request::Quit;
    case 2: return hint_once(0x100 + 2, "F2: no setup screen; see --help and ~/.config/proctree/config");
    case 7:
    case 8: return hint_once(0x100 + n, fmt::format("F{}: no nice here; use renice on the PID", n));
    default:
        return hint_once(0x100 + static_cast<std::uint32_t>(n),
                         fmt::format("F{}: not a key here; ? lists the keys", n));
    }
}

Request Controller::toggle_flat()
{
    ui_.order.flat = !ui_.order.flat;
    return Request::Redraw;
}

Request Controller::step_sort(int delta)
{
    auto cols = sort_columns();
    std::size_t i = 0;
    while (i < cols.size() && cols[i].key != ui_.order.key) ++i;
    i = (i + (delta < 0 ? cols.size() - 1 : 1)) % cols.size();
    ui_.order.key = cols[i].key;
    ui_.order.inverted = false;
    return Request::Redraw;
}

Request Controller::hint_once(std::uint32_t key, std::string text)
{
    if (!hinted_.insert(key).second) return Request::None;
    ui_.hint = std::move(text);
    return Request::Redraw;
}

Request Controller::open_name_filter()
{
    ui_.mode = Mode::EditName;
    ui_.saved_filter = tree_.filter();
    ui_.edit = tree_.filter().name;
    return Request::Redraw;
}

Request Controller::set_collapsed_selected(bool collapsed)
{
    if (!ui_.selected || tree_.is_collapsed(ui_.selected->id) == collapsed) return Request::None;
    tree_.set_collapsed(ui_.selected->id, collapsed);
    return Request::Redraw;
}

// `*`: expands everything when anything is collapsed, else collapses every
// process that has children.
Request Controller::toggle_all_collapsed()
{
    if (!tree_.collapsed_ids().empty()) {
        std::vector<model::Identity> ids(tree_.collapsed_ids().begin(), tree_.collapsed_ids().end());
        for (const model::Identity& id : ids) tree_.set_collapsed(id, false);
        return Request::Redraw;
    }
    std::vector<model::Identity> parents;
    const model::Process* n = tree_.first_root();
    while (n) {  // pre-order, iteratively
        if (n->first_child()) {
            parents.push_back(n->id);
            n = n->first_child();
            continue;
        }
        while (n && !n->next_sibling()) n = n->parent();
        if (n) n = n->next_sibling();
    }
    for (const model::Identity& id : parents) tree_.set_collapsed(id, true);
    return Request::Redraw;
}

void Controller::move_to(std::ptrdiff_t index)
{
    ViewRows view = rows_view();
    std::size_t n = view.row_count();
    if (n == 0) return;
    std::ptrdiff_t last = static_cast<std::ptrdiff_t>(n - 1);
    std::size_t idx = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(index, 0, last));
    auto rows = view.rows(idx, 1);
    if (rows.empty()) return;
    ui_.selected = rows.front().proc->ref();
    ui_.sel_index = idx;
    std::size_t body = static_cast<std::size_t>(std::max(1, ui_.body_rows));
    if (idx < ui_.top) ui_.top = idx;
    if (idx >= ui_.top + body) ui_.top = idx - body + 1;
}

void Controller::scroll(std::ptrdiff_t delta)
{
    ViewRows view = rows_view();
    std::size_t n = view.row_count();
    std::size_t body = static_cast<std::size_t>(std::max(1, ui_.body_rows));
    if (n == 0) return;
    std::ptrdiff_t max_top = n > body ? static_cast<std::ptrdiff_t>(n - body) : 0;
    std::ptrdiff_t top = std::clamp<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(ui_.top) + delta, 0, max_top);
    ui_.top = static_cast<std::size_t>(top);
    std::size_t idx = ui_.sel_index;
    if (idx < ui_.top) idx = ui_.top;
    if (idx >= ui_.top + body) idx = ui_.top + body - 1;
    if (idx != ui_.sel_index) {
        auto rows = view.rows(idx, 1);
        if (!rows.empty()) {
            ui_.selected = rows.front().proc->ref();
            ui_.sel_index = idx;
        }
    }
}

}  // namespace proctree::viewer

#include "keys.hpp"

#include "layout.hpp"

#include <proctree/model/view.hpp>

#include <algorithm>
#include <charconv>

namespace proctree::viewer {

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
    if (ui_.too_small) return e.key == Key::Char && e.ch == 'q' ? Request::Quit : Request::None;
    {
        model::TreeView view(tree_);
        sync_selection(view, ui_, ui_.body_rows);
    }
    switch (ui_.mode) {
    case Mode::Normal: return normal(e);
    case Mode::EditName: return edit_name(e);
    case Mode::EditPid: return edit_pid(e);
    case Mode::EditTime: return edit_time(e);
    case Mode::Help:
        if (e.key == Key::Char && e.ch == 'q') return Request::Quit;
        if (e.key == Key::Down || e.key == Key::WheelDown || e.key == Key::PageDown) {
            ui_.help_top += e.key == Key::PageDown ? static_cast<std::size_t>(page()) : 1;
            return Request::Redraw;  // the layout clamps it
        }
        if (e.key == Key::Up || e.key == Key::WheelUp || e.key == Key::PageUp) {
            std::size_t d = e.key == Key::PageUp ? static_cast<std::size_t>(page()) : 1;
            ui_.help_top -= std::min(ui_.help_top, d);
            return Request::Redraw;
        }
        ui_.mode = Mode::Normal;
        ui_.help_top = 0;
        return Request::Redraw;
    }
    return Request::None;
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
            model::TreeView view(tree_);
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
        if (tree_.filter().empty()) return Request::None;
        tree_.set_filter({});
        return Request::Redraw;
    case Key::Click: {
        if (e.y < ui_.body_top || e.y >= ui_.body_top + ui_.body_rows) return Request::None;
        std::size_t idx = ui_.top + static_cast<std::size_t>(e.y - ui_.body_top);
        model::TreeView view(tree_);
        if (idx >= view.row_count()) return Request::None;
        move_to(static_cast<std::ptrdiff_t>(idx));
        return Request::Redraw;
    }
    case Key::Char: break;
    default: return Request::None;
    }
    switch (e.ch) {
    case 'k': move_by(-1); return Request::Redraw;
    case 'j': move_by(1); return Request::Redraw;
    case ' ':
        if (ui_.selected) tree_.toggle_collapsed(*ui_.selected);
        return Request::Redraw;
    case '/':
        ui_.mode = Mode::EditName;
        ui_.saved_filter = tree_.filter();
        ui_.edit = tree_.filter().name;
        return Request::Redraw;
    case 'p':
        ui_.mode = Mode::EditPid;
        ui_.saved_filter = tree_.filter();
        ui_.edit.clear();
        return Request::Redraw;
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
    case '?': ui_.mode = Mode::Help; return Request::Redraw;
    case 'q': return Request::Quit;
    default: return Request::None;
    }
}

void Controller::set_name_filter(const std::string& name)
{
    model::Filter f = tree_.filter();
    f.name = name;
    tree_.set_filter(std::move(f));
}

Request Controller::edit_name(const Event& e)
{
    switch (e.key) {
    case Key::Enter: ui_.mode = Mode::Normal; return Request::Redraw;
    case Key::Escape:
        ui_.mode = Mode::Normal;
        tree_.set_filter(ui_.saved_filter);
        return Request::Redraw;
    case Key::Backspace:
        if (ui_.edit.empty()) return Request::None;
        pop_utf8(ui_.edit);
        set_name_filter(ui_.edit);
        return Request::Redraw;
    case Key::Char:
        if (e.ch < 0x20 || e.ch == 0x7F || (e.ch >= 0x80 && e.ch < 0xA0) || e.ch > 0x10FFFF)
            return Request::None;
        if (ui_.edit.size() >= 256) return Request::None;
        append_utf8(ui_.edit, e.ch);
        set_name_filter(ui_.edit);
        return Request::Redraw;
    default: return Request::None;
    }
}

Request Controller::edit_pid(const Event& e)
{
    switch (e.key) {
    case Key::Enter: {
        ui_.mode = Mode::Normal;
        model::Filter f = tree_.filter();
        if (ui_.edit.empty()) {
            f.pid.reset();
            tree_.set_filter(std::move(f));
            return Request::Redraw;
        }
        std::uint32_t pid = 0;
        auto [end, ec] = std::from_chars(ui_.edit.data(), ui_.edit.data() + ui_.edit.size(), pid);
        if (ec != std::errc() || end != ui_.edit.data() + ui_.edit.size()) return Request::Redraw;
        f.pid = pid;
        tree_.set_filter(std::move(f));
        if (const model::Process* p = tree_.find_pid(pid)) ui_.selected = p->id;
        return Request::Redraw;
    }
    case Key::Escape:
        ui_.mode = Mode::Normal;
        tree_.set_filter(ui_.saved_filter);
        return Request::Redraw;
    case Key::Backspace:
        if (ui_.edit.empty()) return Request::None;
        ui_.edit.pop_back();
        return Request::Redraw;
    case Key::Char:
        if (e.ch < '0' || e.ch > '9' || ui_.edit.size() >= 10) return Request::None;
        ui_.edit += static_cast<char>(e.ch);
        return Request::Redraw;
    default: return Request::None;
    }
}

Request Controller::seek_by(std::int64_t seconds)
{
    ui_.seek = SeekRequest{seconds * 1'000'000'000, {}};
    return Request::Seek;
}

// The g prompt: a time (HH:MM:SS[.mmm], +SECONDS, a date) to jump to.
Request Controller::edit_time(const Event& e)
{
    switch (e.key) {
    case Key::Enter:
        ui_.mode = Mode::Normal;
        if (ui_.edit.empty()) return Request::Redraw;
        ui_.seek = SeekRequest{0, ui_.edit};
        return Request::Seek;
    case Key::Escape: ui_.mode = Mode::Normal; return Request::Redraw;
    case Key::Backspace:
        if (ui_.edit.empty()) return Request::None;
        ui_.edit.pop_back();
        return Request::Redraw;
    case Key::Char:
        if (e.ch < 0x20 || e.ch > 0x7E || ui_.edit.size() >= 40) return Request::None;
        ui_.edit += static_cast<char>(e.ch);
        return Request::Redraw;
    default: return Request::None;
    }
}

void Controller::move_to(std::ptrdiff_t index)
{
    model::TreeView view(tree_);
    std::size_t n = view.row_count();
    if (n == 0) return;
    std::ptrdiff_t last = static_cast<std::ptrdiff_t>(n - 1);
    std::size_t idx = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(index, 0, last));
    auto rows = view.rows(idx, 1);
    if (rows.empty()) return;
    ui_.selected = rows.front().proc->id;
    ui_.sel_index = idx;
    std::size_t body = static_cast<std::size_t>(std::max(1, ui_.body_rows));
    if (idx < ui_.top) ui_.top = idx;
    if (idx >= ui_.top + body) ui_.top = idx - body + 1;
}

void Controller::scroll(std::ptrdiff_t delta)
{
    model::TreeView view(tree_);
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
            ui_.selected = rows.front().proc->id;
            ui_.sel_index = idx;
        }
    }
}

} // namespace proctree::viewer

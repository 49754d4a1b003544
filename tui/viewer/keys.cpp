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
        if (e.key == Key::WheelUp || e.key == Key::WheelDown) return Request::None;
        ui_.mode = Mode::Normal;
        return Request::Redraw;
    }
    return Request::None;
}

Request Controller::normal(const Event& e)
{
    switch (e.key) {
    case Key::Up: move_by(-1); return Request::Redraw;
    case Key::Down: move_by(1); return Request::Redraw;
    case Key::PageUp: move_by(-page()); return Request::Redraw;
    case Key::PageDown: move_by(page()); return Request::Redraw;
    case Key::Home: move_to(0); return Request::Redraw;
    case Key::End: move_to(PTRDIFF_MAX); return Request::Redraw;
    case Key::WheelUp: scroll(-kWheelStep); return Request::Redraw;
    case Key::WheelDown: scroll(kWheelStep); return Request::Redraw;
    case Key::Enter:
        if (ui_.selected) tree_.toggle_collapsed(*ui_.selected);
        return Request::Redraw;
    case Key::Escape:
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

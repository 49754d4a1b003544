// The key layer's prompts and menus: the name, PID and time prompts, the
// F3 search, the F9 signal menu.
#include "keys.hpp"

#include "signals.hpp"

#include "view_rows.hpp"

#include <proctree/model/view.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace proctree::viewer {

namespace {

bool icontains(std::string_view hay, std::string_view needle)
{
    auto eq = [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    };
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), eq) != hay.end();
}

// A printable character a text prompt takes.
bool printable(char32_t c) { return !(c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c > 0x10FFFF); }

// Up/Down (and k/j) move a menu's choice round its n entries.
bool menu_step(const Event& e, std::size_t& choice, std::size_t n)
{
    bool is_char = e.key == Key::Char;
    if (e.key == Key::Up || (is_char && e.ch == 'k')) choice = (choice + n - 1) % n;
    else if (e.key == Key::Down || (is_char && e.ch == 'j')) choice = (choice + 1) % n;
    else return false;
    return true;
}

}  // namespace

void Controller::set_name_filter(const std::string& name)
{
    model::Filter f = tree_.filter();
    f.name = name;
    tree_.set_filter(std::move(f));
}

Request Controller::cancel_filter_prompt()
{
    ui_.mode = Mode::Normal;
    tree_.set_filter(ui_.saved_filter);
    return Request::Redraw;
}

Request Controller::edit_name(const Event& e)
{
    switch (e.key) {
    case Key::Enter: ui_.mode = Mode::Normal; return Request::Redraw;
    case Key::Escape: return cancel_filter_prompt();
    case Key::Backspace:
        if (ui_.edit.empty()) return Request::None;
        pop_utf8(ui_.edit);
        set_name_filter(ui_.edit);
        return Request::Redraw;
    case Key::Char:
        if (!printable(e.ch) || ui_.edit.size() >= 256) return Request::None;
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
        f.pids.clear();
        // PID[,PID...]: empty parts (",," or a trailing comma) are skipped.
        for (std::size_t at = 0; at < ui_.edit.size();) {
            std::size_t comma = std::min(ui_.edit.find(',', at), ui_.edit.size());
            std::uint32_t pid = 0;
            auto [end, ec] = std::from_chars(ui_.edit.data() + at, ui_.edit.data() + comma, pid);
            if (ec == std::errc() && end == ui_.edit.data() + comma) f.pids.push_back(pid);
            at = comma + 1;
        }
        tree_.set_filter(std::move(f));
        if (!tree_.filter().pids.empty())
            if (const model::Process* p = tree_.find_pid(tree_.filter().pids.front())) ui_.selected = p->ref();
        return Request::Redraw;
    }
    case Key::Escape: return cancel_filter_prompt();
    case Key::Backspace:
        if (ui_.edit.empty()) return Request::None;
        ui_.edit.pop_back();
        return Request::Redraw;
    case Key::Char:
        if ((e.ch < '0' || e.ch > '9') && e.ch != ',') return Request::None;
        if (ui_.edit.size() >= 200) return Request::None;
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

// n / N (and the F3 prompt as it is typed): the next or previous row whose
// name (or command line, with the command-line filter on) holds the term;
// nothing is hidden.
Request Controller::search_jump(bool forward, bool include_current)
{
    if (ui_.search.empty()) {
        ui_.hint = "nothing to search for: F3 starts a search";
        return Request::Redraw;
    }
    ViewRows view = rows_view();
    std::vector<model::Row> rows = view.all_rows();
    if (rows.empty()) return Request::None;
    const std::size_t n = rows.size();
    const std::size_t start = std::min(ui_.sel_index, n - 1);
    bool cmdline = tree_.filter().match_cmdline;
    for (std::size_t k = include_current ? 0 : 1; k <= n; ++k) {
        std::size_t idx = forward ? (start + k) % n : (start + n - k % n) % n;
        const model::Process& p = *rows[idx].proc;
        if (icontains(p.name, ui_.search) || (cmdline && icontains(p.cmdline, ui_.search))) {
            move_to(static_cast<std::ptrdiff_t>(idx));
            return Request::Redraw;
        }
    }
    ui_.hint = fmt::format("no process matches \"{}\"", ui_.search);
    return Request::Redraw;
}

Request Controller::edit_search(const Event& e)
{
    switch (e.key) {
    case Key::Enter: ui_.mode = Mode::Normal; return Request::Redraw;
    case Key::Escape:
        ui_.mode = Mode::Normal;
        if (ui_.search_from) {
            ViewRows view = rows_view();
            if (auto idx = view.index_of(*ui_.search_from)) move_to(static_cast<std::ptrdiff_t>(*idx));
        }
        return Request::Redraw;
    case Key::Function:
        if (e.ch == 3) return search_jump(true);  // F3 again: the next match
        return Request::None;
    case Key::Backspace:
    case Key::Char: {
        if (e.key == Key::Backspace) {
            if (ui_.edit.empty()) return Request::None;
            pop_utf8(ui_.edit);
        } else {
            if (!printable(e.ch) || ui_.edit.size() >= 256) return Request::None;
            append_utf8(ui_.edit, e.ch);
        }
        ui_.search = ui_.edit;
        // Typed live: the first match from where the search started.
        ViewRows view = rows_view();
        if (ui_.search_from)
            if (auto idx = view.index_of(*ui_.search_from)) move_to(static_cast<std::ptrdiff_t>(*idx));
        if (ui_.search.empty()) return Request::Redraw;
        return search_jump(true, true);
    }
    default: return Request::None;
    }
}

Request Controller::open_signal_menu()
{
    if (!ui_.can_signal) {
        ui_.hint = ui_.cannot_signal.empty() ? "F9: these processes cannot be signalled from here" : ui_.cannot_signal;
        return Request::Redraw;
    }
    const model::Process* p = ui_.selected ? tree_.find(*ui_.selected) : nullptr;
    if (!p) {
        ui_.hint = "F9: no process selected";
        return Request::Redraw;
    }
    if (p->exited) {
        ui_.hint = fmt::format("F9: {} has already exited", p->id.pid);
        return Request::Redraw;
    }
    ui_.mode = Mode::Signal;
    ui_.signal_target = p->ref();
    ui_.signal_choice = 0;  // TERM
    return Request::Redraw;
}

Request Controller::signal_menu(const Event& e)
{
    bool is_char = e.key == Key::Char;
    if (menu_step(e, ui_.signal_choice, signal_choices().size())) return Request::Redraw;
    if (e.key == Key::Enter) {
        ui_.mode = Mode::Normal;
        return Request::Signal;
    }
    if (e.key == Key::Escape || (is_char && e.ch == 'q') || (e.key == Key::Function && e.ch == 10)) {
        ui_.mode = Mode::Normal;
        ui_.signal_target.reset();
        return Request::Redraw;
    }
    return Request::None;
}

Request Controller::open_sort_menu()
{
    ui_.mode = Mode::Sort;
    auto cols = sort_columns();
    ui_.sort_choice = 0;
    while (ui_.sort_choice < cols.size() && cols[ui_.sort_choice].key != ui_.order.key) ++ui_.sort_choice;
    return Request::Redraw;
}

Request Controller::sort_menu(const Event& e)
{
    const std::size_t n = sort_columns().size();
    bool is_char = e.key == Key::Char;
    if (menu_step(e, ui_.sort_choice, n)) return Request::Redraw;
    if (e.key == Key::Enter || (e.key == Key::Function && e.ch == 6)) {
        ui_.mode = Mode::Normal;
        ui_.order.key = sort_columns()[ui_.sort_choice % n].key;
        ui_.order.inverted = false;
        return Request::Redraw;
    }
    if (is_char && e.ch == 'I') {
        ui_.order.inverted = !ui_.order.inverted;
        return Request::Redraw;
    }
    if (e.key == Key::Escape || (is_char && e.ch == 'q') || (e.key == Key::Function && e.ch == 10)) {
        ui_.mode = Mode::Normal;
        return Request::Redraw;
    }
    return Request::None;
}

}  // namespace proctree::viewer

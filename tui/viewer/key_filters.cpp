// The key layer's filter settings: u (a user from those present), K
// (kernel threads shown or hidden), c (the name filter over command lines
// too), and Esc clearing the searches but not those view settings.
#include "keys.hpp"

#include <algorithm>
#include <set>

namespace proctree::viewer {

Request Controller::clear_filters()
{
    const model::Filter& now = tree_.filter();
    if (now.empty()) return Request::None;
    model::Filter f;
    f.hide_kernel_threads = now.hide_kernel_threads;  // view settings, not searches
    f.match_cmdline = now.match_cmdline;
    tree_.set_filter(std::move(f));
    return Request::Redraw;
}

Request Controller::toggle_kernel_threads()
{
    model::Filter f = tree_.filter();
    f.hide_kernel_threads = !f.hide_kernel_threads;
    tree_.set_filter(std::move(f));
    ui_.hint = tree_.filter().hide_kernel_threads ? "K: kernel threads hidden" : "K: kernel threads shown";
    return Request::Redraw;
}

Request Controller::toggle_cmdline()
{
    model::Filter f = tree_.filter();
    f.match_cmdline = !f.match_cmdline;
    tree_.set_filter(std::move(f));
    ui_.hint = tree_.filter().match_cmdline ? "c: the name filter and search match command lines too"
                                            : "c: the name filter and search match names only";
    return Request::Redraw;
}

// The users of the processes in the tree now (one walk, when the menu opens).
Request Controller::open_user_menu()
{
    std::set<std::string> users;
    const model::Process* n = tree_.first_root();
    while (n) {
        if (!n->user.empty()) users.insert(n->user);
        if (n->first_child()) {
            n = n->first_child();
            continue;
        }
        while (n && !n->next_sibling()) n = n->parent();
        if (n) n = n->next_sibling();
    }
    ui_.user_choices.assign(1, std::string());
    ui_.user_choices.insert(ui_.user_choices.end(), users.begin(), users.end());
    ui_.user_choice = 0;
    const auto& now = tree_.filter().users;
    if (now.size() == 1) {
        auto it = std::find(ui_.user_choices.begin(), ui_.user_choices.end(), now.front());
        if (it != ui_.user_choices.end()) ui_.user_choice = static_cast<std::size_t>(it - ui_.user_choices.begin());
    }
    ui_.mode = Mode::User;
    return Request::Redraw;
}

Request Controller::user_menu(const Event& e)
{
    std::size_t n = ui_.user_choices.size();
    bool is_char = e.key == Key::Char;
    if (n == 0) {
        ui_.mode = Mode::Normal;
        return Request::Redraw;
    }
    if (e.key == Key::Up || (is_char && e.ch == 'k')) {
        ui_.user_choice = (ui_.user_choice + n - 1) % n;
        return Request::Redraw;
    }
    if (e.key == Key::Down || (is_char && e.ch == 'j')) {
        ui_.user_choice = (ui_.user_choice + 1) % n;
        return Request::Redraw;
    }
    if (e.key == Key::Enter) {
        ui_.mode = Mode::Normal;
        model::Filter f = tree_.filter();
        const std::string& who = ui_.user_choices[ui_.user_choice % n];
        f.users = who.empty() ? std::vector<std::string>{} : std::vector<std::string>{who};
        tree_.set_filter(std::move(f));
        return Request::Redraw;
    }
    if (e.key == Key::Escape || (is_char && (e.ch == 'q' || e.ch == 'u')) || (e.key == Key::Function && e.ch == 10)) {
        ui_.mode = Mode::Normal;
        return Request::Redraw;
    }
    return Request::None;
}

}  // namespace proctree::viewer

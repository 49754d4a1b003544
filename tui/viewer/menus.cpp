#include "menus.hpp"

#include "signals.hpp"
#include "view_rows.hpp"

#include <proctree/model/escape.hpp>

#include <fmt/core.h>

#include <algorithm>

namespace proctree::viewer {

int menu_height(const UiState& ui)
{
    if (ui.mode == Mode::Signal) return static_cast<int>(signal_choices().size()) + 1;
    if (ui.mode == Mode::Sort) return static_cast<int>(sort_columns().size()) + 1;
    if (ui.mode == Mode::User) return static_cast<int>(std::min<std::size_t>(ui.user_choices.size(), 12)) + 1;
    return 0;
}

namespace {

void paint_sort_menu(const UiState& ui, const Theme& theme, int top, int rows, Grid& g)
{
    g.fill(0, top, -1, theme.header);
    g.put(1, top, "Sort by  (Up/Down choose, Enter sorts, I inverts, Esc cancels; t: tree or list)", theme.header);
    auto cols = sort_columns();
    for (int i = 0; i + 1 < rows; ++i) {
        int y = top + 1 + i;
        g.fill(0, y, -1, theme.normal);
        auto k = static_cast<std::size_t>(i);
        if (k >= cols.size()) continue;
        bool current = cols[k].key == ui.order.key;
        std::string what = cols[k].key == SortKey::Start ? "start order (the default)" : std::string(cols[k].label);
        g.put(2, y, fmt::format("{} {}", current ? "*" : " ", what), theme.normal);
        if (k == ui.sort_choice) g.add_reverse(0, y, -1);
    }
}

// Scrolled so that the choice stays in view.
void paint_user_menu(const UiState& ui, const Theme& theme, int top, int rows, Grid& g)
{
    g.fill(0, top, -1, theme.header);
    g.put(1, top, "Show the processes of  (Up/Down choose, Enter shows, Esc cancels)", theme.header);
    std::size_t shown = static_cast<std::size_t>(rows - 1);
    std::size_t first = ui.user_choice >= shown ? ui.user_choice - shown + 1 : 0;
    for (std::size_t i = 0; i < shown; ++i) {
        int y = top + 1 + static_cast<int>(i);
        g.fill(0, y, -1, theme.normal);
        std::size_t k = first + i;
        if (k >= ui.user_choices.size()) continue;
        g.put(2, y, k == 0 ? std::string("every user") : model::escape(ui.user_choices[k]), theme.normal);
        if (k == ui.user_choice) g.add_reverse(0, y, -1);
    }
}

}  // namespace

void paint_menu(const model::ProcessTree& tree, const UiState& ui, const Theme& theme, int top, int rows, Grid& g)
{
    if (ui.mode == Mode::Sort && rows > 0) paint_sort_menu(ui, theme, top, rows, g);
    if (ui.mode == Mode::User && rows > 1) paint_user_menu(ui, theme, top, rows, g);
    if (ui.mode != Mode::Signal || rows <= 0) return;
    const model::Process* p = ui.signal_target ? tree.find(*ui.signal_target) : nullptr;
    std::string who = p ? fmt::format("{} {}", p->id.pid, model::escape(p->name)) : std::string("(gone)");
    g.fill(0, top, -1, theme.header);
    g.put(1, top, fmt::format("Send a signal to {}  (Up/Down choose, Enter sends, Esc cancels)", who), theme.header);
    auto choices = signal_choices();
    // Scrolled so that the choice stays in view on a short screen.
    std::size_t shown = static_cast<std::size_t>(rows - 1);
    std::size_t first = ui.signal_choice >= shown ? ui.signal_choice - shown + 1 : 0;
    for (std::size_t i = 0; i < shown; ++i) {
        int y = top + 1 + static_cast<int>(i);
        g.fill(0, y, -1, theme.normal);
        std::size_t k = first + i;
        if (k >= choices.size()) continue;
        g.put(2, y, fmt::format("{:>2} {:<5} {}", choices[k].number, choices[k].name, choices[k].what), theme.normal);
        if (k == ui.signal_choice) g.add_reverse(0, y, -1);
    }
}

}  // namespace proctree::viewer

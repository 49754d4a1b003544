#include "theme.hpp"

#include <cstdlib>

namespace proctree::viewer {

Theme Theme::colored()
{
    Theme t;
    t.color = true;
    t.header = Style{Color::Black, Color::Cyan, false, false, false, false};
    t.normal = Style{};
    t.fresh = Style{Color::Green, Color::Default, true, false, false, false};
    t.exiting = Style{Color::Red, Color::Default, true, false, false, false};
    t.exited = Style{Color::Red, Color::Default, false, true, false, false};
    t.context = Style{Color::Default, Color::Default, false, true, false, false};
    t.cmdline = Style{};
    t.status = Style{Color::Black, Color::Cyan, false, false, false, false};
    t.status_alert = Style{Color::White, Color::Red, true, false, false, false};
    t.error = Style{Color::Red, Color::Default, true, false, false, false};
    t.prompt = Style{Color::Yellow, Color::Default, true, false, false, false};
    t.help_title = Style{Color::Cyan, Color::Default, true, false, false, false};
    return t;
}

Theme Theme::monochrome()
{
    Theme t;
    t.color = false;
    t.header = Style{Color::Default, Color::Default, true, false, true, false};
    t.normal = Style{};
    t.fresh = Style{Color::Default, Color::Default, true, false, false, false};
    t.exiting = Style{Color::Default, Color::Default, false, false, false, true};
    t.exited = Style{Color::Default, Color::Default, false, true, false, false};
    t.context = Style{Color::Default, Color::Default, false, true, false, false};
    t.cmdline = Style{};
    t.status = Style{Color::Default, Color::Default, false, false, true, false};
    t.status_alert = Style{Color::Default, Color::Default, true, false, true, false};
    t.error = Style{Color::Default, Color::Default, true, false, false, false};
    t.prompt = Style{Color::Default, Color::Default, true, false, false, false};
    t.help_title = Style{Color::Default, Color::Default, true, false, false, true};
    return t;
}

Style Theme::row_style(model::RowState state) const
{
    switch (state) {
    case model::RowState::New: return fresh;
    case model::RowState::Exiting: return exiting;
    case model::RowState::Exited: return exited;
    case model::RowState::Context: return context;
    case model::RowState::Normal: break;
    }
    return normal;
}

std::string_view Theme::marker(model::RowState state) const
{
    if (color) return {};
    switch (state) {
    case model::RowState::New: return "[+] ";
    case model::RowState::Exiting:
    case model::RowState::Exited: return "[x] ";
    default: return {};
    }
}

bool want_color(bool terminal_has_colors)
{
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    return terminal_has_colors;
}

}  // namespace proctree::viewer

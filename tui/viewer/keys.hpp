// tui/viewer/keys.hpp - the key/event layer: terminal-independent input
// events mapped to actions on the interaction state and the tree's view
// state (filter, collapse). The ncurses layer only translates its key codes
// into Events; tests drive the Controller with Events directly.
#pragma once

#include "grid.hpp"
#include "state.hpp"

#include <proctree/model/tree.hpp>

#include <cstdint>
#include <set>
#include <string>

namespace proctree::viewer {

enum class Key : std::uint8_t {
    None,
    Char,  // a character, in Event::ch
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Escape,
    Backspace,
    WheelUp,
    WheelDown,
    Tab,
    Click,  // a button-1 press at (x, y)
    Resize,
    Function,  // F1..F12, the number in Event::ch
    Redraw     // Ctrl-L
};

struct Event {
    Key key = Key::None;
    char32_t ch = 0;
    int x = 0;
    int y = 0;

    static Event of(Key k) { return Event{k, 0, 0, 0}; }
    static Event character(char32_t c) { return Event{Key::Char, c, 0, 0}; }
    static Event click(int x, int y) { return Event{Key::Click, 0, x, y}; }
    static Event function(int n) { return Event{Key::Function, static_cast<char32_t>(n), 0, 0}; }
};

// What the session has to do after an event (besides redrawing).
// Repaint: the terminal's contents may be garbled (Ctrl-L), paint it all.
// Signal: send ui.signal_choice to ui.signal_target.
enum class Request : std::uint8_t {
    None,
    Redraw,
    Repaint,
    Quit,
    ExportText,
    ExportJson,
    Seek,
    Signal
};

class Controller {
public:
    Controller(model::ProcessTree& tree, UiState& ui) : tree_(tree), ui_(ui) {}

    // Handles one event; returns Request::None when the event changed nothing.
    Request handle(const Event& e);

    static constexpr int kWheelStep = 3;
    static constexpr std::size_t kScrollStep = 8;         // columns per Left/Right
    static constexpr std::size_t kMaxScroll = 64 * 1024;  // command lines are cut before that

private:
    Request normal(const Event& e);
    Request normal_char(char32_t c);
    Request function_key(int n);
    Request help_key(const Event& e);
    Request open_name_filter();
    Request open_signal_menu();
    Request signal_menu(const Event& e);
    Request open_sort_menu();
    Request sort_menu(const Event& e);
    Request toggle_flat();
    Request open_user_menu();
    Request user_menu(const Event& e);
    Request toggle_kernel_threads();
    Request toggle_cmdline();
    Request clear_filters();
    Request step_sort(int delta);
    Request edit_search(const Event& e);
    Request search_jump(bool forward, bool include_current = false);
    Request set_collapsed_selected(bool collapsed);
    Request toggle_all_collapsed();
    Request hint_once(std::uint32_t key, std::string text);
    Request pane_key(const Event& e);
    Request toggle_pane(Pane pane);
    Request edit_name(const Event& e);
    Request cancel_filter_prompt();
    Request edit_pid(const Event& e);
    Request edit_time(const Event& e);
    Request seek_by(std::int64_t seconds);
    void move_to(std::ptrdiff_t index);
    void move_by(std::ptrdiff_t delta) { move_to(static_cast<std::ptrdiff_t>(ui_.sel_index) + delta); }
    void scroll(std::ptrdiff_t delta);
    void set_name_filter(const std::string& name);
    ViewRows rows_view();
    std::ptrdiff_t page() const { return ui_.body_rows > 1 ? ui_.body_rows - 1 : 1; }

    model::ProcessTree& tree_;
    UiState& ui_;
    std::set<std::uint32_t> hinted_;  // keys whose "does nothing" hint was shown
};

// Removes the last UTF-8 code point of the prompt buffer (append_utf8 is in
// grid.hpp).
void pop_utf8(std::string& s);

}  // namespace proctree::viewer

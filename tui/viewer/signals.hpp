// tui/viewer/signals.hpp - the signals F9 offers, TERM first (the default),
// and the seam through which the viewer sends one.
#pragma once

#include <span>
#include <string_view>

namespace proctree::viewer {

struct SignalChoice {
    int number;
    std::string_view name;  // "TERM"
    std::string_view what;  // "ask it to end"
};

std::span<const SignalChoice> signal_choices();

// kill(2), or a test's replacement. Returns 0 or an errno value.
using SendSignal = int (*)(int pid, int signal);
int send_signal_kill(int pid, int signal);

}  // namespace proctree::viewer

#include "signals.hpp"

#include <array>
#include <cerrno>
#include <csignal>

namespace proctree::viewer {

std::span<const SignalChoice> signal_choices()
{
    static constexpr std::array<SignalChoice, 9> kChoices{{
        {SIGTERM, "TERM", "ask it to end"},
        {SIGKILL, "KILL", "end it at once"},
        {SIGINT, "INT", "interrupt (Ctrl-C)"},
        {SIGHUP, "HUP", "hang up (many daemons reload)"},
        {SIGQUIT, "QUIT", "quit with a core dump"},
        {SIGSTOP, "STOP", "stop it"},
        {SIGCONT, "CONT", "continue a stopped process"},
        {SIGUSR1, "USR1", "user signal 1"},
        {SIGUSR2, "USR2", "user signal 2"},
    }};
    return kChoices;
}

int send_signal_kill(int pid, int signal) { return ::kill(pid, signal) == 0 ? 0 : errno; }

}  // namespace proctree::viewer

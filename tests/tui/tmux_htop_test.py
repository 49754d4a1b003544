#!/usr/bin/python3
"""htop's keys on the real binary in tmux, in a UTF-8 locale and under
LC_ALL=C: F1/h help (q and F10 close it), F3 and n/N search, F4 and \\
filter, + - *, Ctrl-L, F2's hint, F9 on a stream, F10 quits; and F9 on a
local child, which ends with the chosen signal and turns red with it."""
import os
import signal
import subprocess
import sys
import time

from tmux_lib import TestFailure, encode_stream, fg_at, row_for, sgr_at
from tmux_test import DEADLINE, LIVE, run, wait_pid_child


def recording(env):
    now = time.time_ns()
    path = os.path.join(env.tmp, "htop.ptr")
    with open(path, "wb") as f:
        f.write(encode_stream("htophost", [
            ("snap", now, True), ("create", now, 1, now - 10**9, 0, 0, "initx", "/sbin/initx"),
            ("create", now, 10, now - 10**9, 1, now - 10**9, "shellx", "shellx -i"),
            ("create", now, 11, now - 10**9, 10, now - 10**9, "workerA", "workerA --a"),
            ("create", now, 12, now - 10**9, 10, now - 10**9, "workerB", "workerB --b"),
            ("create", now, 13, now - 10**9, 1, now - 10**9, "daemonx", "daemonx -d", "daemonu"),
            ("create", now, 2, now - 10**9, 0, 0, "kthreadx", "", "root", 0x10),
            ("snap", now, False)]))
    return path


def selected(pane, pid, name):
    return 7 in sgr_at(row_for(pane.capture(colors=True), pid, name), name)


def _keys(env, pane, locale):
    path = recording(env)
    pane.start([env.binary, "--from", path, "--speed", "0"], width=120, height=30, env=locale)
    pane.wait_for(lambda t: "replay done" in t and "daemonx" in t, "the replayed tree")
    for opener in ("F1", "h"):
        pane.keys(opener)
        pane.wait_for(lambda t: "proctree - keys" in t, f"{opener}: the help")
        pane.keys("q")
        pane.wait_for(lambda t: "proctree - keys" not in t and "daemonx" in t, "q closing the help")
    if pane.exited():
        raise TestFailure("q on the help page quit the program")
    pane.keys("F1")
    pane.wait_for(lambda t: "proctree - keys" in t, "the help again")
    pane.keys("F10")
    pane.wait_for(lambda t: "proctree - keys" not in t, "F10 closing the help")
    # F3: typed live, jumps to the first match; nothing is hidden.
    pane.keys("F3")
    pane.wait_for(lambda t: "Search" in t, "the search prompt")
    pane.type("worker")
    pane.wait_for(lambda _: selected(pane, 11, "workerA"), "the first match selected")
    pane.keys("Enter")
    text = pane.wait_for(lambda t: "Search" not in t, "the search kept")
    if "daemonx" not in text or "filter" in text:
        raise TestFailure(f"the search hid rows or set a filter:\n{text}")
    pane.keys("n")
    pane.wait_for(lambda _: selected(pane, 12, "workerB"), "n: the next match")
    pane.keys("N")
    pane.wait_for(lambda _: selected(pane, 11, "workerA"), "N: the previous match")
    # F4 and \ filter as / does.
    for opener in ("F4", "\\"):
        pane.keys(opener)
        pane.wait_for(lambda t: "Filter by name:" in t, f"{opener}: the filter prompt")
        pane.type("daemon")
        pane.keys("Enter")
        pane.wait_for(lambda t: "filter name~daemon" in t and "workerA" not in t, f"{opener}: filtered")
        pane.keys("Escape")
        pane.wait_for(lambda t: "filter" not in t and "workerA" in t, "the filter cleared")
    # - collapses the selection (shellx), + expands it, * collapses and expands all.
    pane.keys("Home")
    pane.keys("Down")
    pane.wait_for(lambda _: selected(pane, 10, "shellx"), "shellx selected")
    pane.keys("-")
    pane.wait_for(lambda t: "workerA" not in t and "> shellx" in t.replace("\u25b6", ">"), "- collapsing")
    pane.keys("+")
    pane.wait_for(lambda t: "workerA" in t, "+ expanding")
    pane.keys("*")
    pane.wait_for(lambda t: "workerA" not in t and "daemonx" not in t and "initx" in t, "* collapsing all")
    pane.keys("*")
    pane.wait_for(lambda t: "workerA" in t and "daemonx" in t, "* expanding all")
    pane.keys("C-l")
    pane.wait_for(lambda t: "daemonx" in t and "? help" in t, "Ctrl-L repainting")
    pane.keys("F2")
    pane.wait_for(lambda t: "F2: no setup screen" in t, "F2's hint")
    pane.keys("F9")
    pane.wait_for(lambda t: "cannot be signalled" in t, "F9 on a stream saying why not")
    _filter_keys(pane)
    pane.keys("F10")
    pane.wait_for(lambda t: pane.exited(), "F10 quitting")


def _filter_keys(pane):
    """K shows and hides kernel threads (hidden at the start, the status line
    says so); u picks a user from a menu; c makes the filter match command
    lines."""
    # (F9's hint may take the status line's room for a while.)
    pane.wait_for(lambda t: "kthreadx" not in t and "kthreads hidden" in t,
                  "kernel threads hidden at the start, and the status line saying so")
    pane.keys("K")
    pane.wait_for(lambda t: "kthreadx" in t and "kthreads hidden" not in t, "K showing the kernel thread")
    pane.keys("K")
    pane.wait_for(lambda t: "kthreadx" not in t and "kthreads hidden" in t, "K hiding it again")
    pane.keys("u")
    pane.wait_for(lambda t: "Show the processes of" in t and "every user" in t and "daemonu" in t, "the user menu")
    pane.keys("Down")  # from "every user" to daemonu (then root)
    pane.keys("Enter")
    pane.wait_for(lambda t: "user=daemonu" in t and "workerA" not in t and "daemonx" in t, "only daemonu's process")
    pane.keys("Escape")
    pane.wait_for(lambda t: "user=" not in t and "workerA" in t, "every user again")
    pane.keys("/")
    pane.type("b --")  # only in workerB's command line
    pane.keys("Enter")
    pane.wait_for(lambda t: "filter name~b --" in t and "(no process matches" in t, "no name matches b --")
    pane.keys("c")
    pane.wait_for(lambda t: "filter cmdline~b --" in t and "workerB" in t and "workerA" not in t,
                  "c: the filter matches workerB's command line")
    pane.keys("c")
    pane.keys("Escape")
    pane.wait_for(lambda t: "filter " not in t and "workerA" in t, "the filter cleared")


def htop_keys_utf8(env, pane):
    _keys(env, pane, ())


def htop_keys_c_locale(env, pane):
    _keys(env, pane, ("LC_ALL=C", "LANG=C"))


def f9_signal(env, pane):
    """F9 on a local child: the menu names pid and name, USR1 chosen from
    the list ends it with that signal; its row turns red with it."""
    name = f"ptsig{env.tag}"
    child = env.spawn([env.tool("/bin/sleep", name), "1000"])
    pid = child.pid
    pane.start(env.viewer("--pid", str(pid)), width=200, height=40)
    pane.wait_for(lambda t: row_for(t, pid, name), f"{name} in the viewer")
    pane.keys("End")  # the child is the last row (the PID filter shows its ancestors above it)
    pane.wait_for(lambda _: selected(pane, pid, name), f"{name} selected")
    pane.keys("F9")
    text = pane.wait_for(lambda t: f"Send a signal to {pid} {name}" in t and "15 TERM" in t, "the signal menu")
    for _ in range(7):  # TERM KILL INT HUP QUIT STOP CONT USR1
        pane.keys("Down")
    pane.wait_for(lambda _: 7 in sgr_at(next((l for l in pane.capture(colors=True).splitlines() if "USR1" in l), ""),
                                        "USR1"), "USR1 chosen")
    pane.keys("Enter")
    deadline = time.monotonic() + DEADLINE
    while child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if child.returncode != -signal.SIGUSR1:
        raise TestFailure(f"the child ended with {child.returncode}, not -SIGUSR1")
    pane.wait_for(lambda _: fg_at(row_for(pane.capture(colors=True), pid, name) or "", name) == 31 and
                  f"signal {int(signal.SIGUSR1)} (USR1)" in (row_for(pane.capture(), pid, name) or ""),
                  "the row red with the signal")
    if f"sent USR1 to {pid}" not in pane.capture():
        raise TestFailure("the status line does not say the signal was sent")
    del text


def cpu_column(line):
    """The CPU% cell of a tree row (default columns), or None for '-'."""
    cell = line.split()[2]
    return None if cell == "-" else float(cell)


def cpu_sort(env, pane):
    """A child burning CPU shows CPU% >= 50 (of one core), RSS and state R
    from /proc; F6 -> CPU% sorts it before its idle elder sibling in the
    tree, and first in the flat list (t)."""
    idle = f"ptidle{env.tag}"
    busy = f"ptburn{env.tag}"
    par = f"ptcpar{env.tag}"
    sh = env.tool("/bin/sh", par)
    env.tool("/bin/sleep", idle)
    env.tool("/bin/sh", busy)
    # Their own parent, so that the PID filter leaves out this test's tmux
    # clients, in a session of its own: its autogroup is niced up below, so
    # that a loaded machine (other sessions' builds) still gives the burner
    # more than half a core.
    parent = env.spawn([sh, "-c", f"{idle} 1000 & read x; {busy} -c 'while :; do :; done' & wait"],
                       stdin=subprocess.PIPE, env={"PATH": env.tmp + ":/usr/bin:/bin"}, start_new_session=True)
    idle_pid = str(wait_pid_child(parent.pid, idle))
    env.pids.append(int(idle_pid))
    parent.stdin.write(b"go\n")  # the burner starts after its idle sibling
    parent.stdin.flush()
    burner_pid = wait_pid_child(parent.pid, busy)
    env.pids.append(burner_pid)
    try:
        with open(f"/proc/{burner_pid}/autogroup", "w") as f:
            f.write("-20")
    except OSError:
        os.setpriority(os.PRIO_PROCESS, burner_pid, -10)  # no autogroups: niced within the group

    class burner:
        pid = burner_pid
    pane.start(env.viewer("--pid", str(parent.pid)), width=200, height=50)

    def busy_row(t):
        line = row_for(t, burner.pid, busy)
        return line if line and cpu_column(line) is not None and cpu_column(line) >= 50 else None
    text = pane.wait_for(busy_row, f"{busy} at CPU% >= 50")
    line = busy_row(text)
    if line.split()[4] != "R" or line.split()[3] == "-":
        raise TestFailure(f"no state R or RSS for the burner: {line!r}")
    rows = [r.split()[0] for r in pane.tree_rows(text)]
    if idle_pid not in rows or rows.index(str(burner.pid)) < rows.index(idle_pid):
        raise TestFailure("the burner is before its elder sibling already in start order")
    pane.keys("F6")
    pane.wait_for(lambda t: "Sort by" in t, "the sort menu")
    for _ in range(3):  # START PID USER CPU%
        pane.keys("Down")
    pane.keys("Enter")

    def burner_first(t):
        if "by CPU% desc" not in t:
            return False
        pids = [r.split()[0] for r in pane.tree_rows(t)]
        return str(burner.pid) in pids and idle_pid in pids and pids.index(str(burner.pid)) < pids.index(idle_pid)
    pane.wait_for(burner_first, "the burner before its idle sibling, sorted by CPU%")
    pane.keys("t")
    pane.wait_for(lambda t: "[list, by CPU% desc]" in t and pane.tree_rows(t) and
                  pane.tree_rows(t)[0].split()[0] == str(burner.pid), "the burner first in the flat list")


SCENARIOS = {f.__name__: f for f in (htop_keys_utf8, htop_keys_c_locale, f9_signal, cpu_sort)}


if __name__ == "__main__":
    sys.exit(run(SCENARIOS, LIVE | {"f9_signal", "cpu_sort"}, "proctree-htop"))

#!/usr/bin/python3
"""The real proctree binary in tmux, one scenario per ctest.

Every wait polls the pane for its condition with a generous deadline; there
is no fixed sleep used as a wait. Each run uses its own tmux server (-L) and
its own temporary directory. Test processes get unique names (copies of
/bin/sleep and /bin/sh) so that they can be found on a busy machine.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from tmux_lib import SKIP, Pane, TestFailure, dim_rows, encode_stream, fg_at, row_for, sgr_at

DEADLINE = 20.0
HIGHLIGHT_MS = 2000


class Env:
    def __init__(self, binary, scenario):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix=f"proctree-tui-{scenario}-")
        self.tag = f"{os.getpid() % 100000:05d}"
        self.children = []
        self.pids = []  # grandchildren to end as well, by PID

    def tool(self, source, name):
        """A copy of `source` called `name` (its comm is then `name`)."""
        path = os.path.join(self.tmp, name)
        shutil.copy(source, path)
        return path

    def spawn(self, argv, **kw):
        p = subprocess.Popen(argv, stdin=kw.pop("stdin", subprocess.DEVNULL),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        self.children.append(p)
        return p

    def viewer(self, *args):
        return [self.binary, "--highlight-ms", str(HIGHLIGHT_MS), *args]

    def close(self):
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in self.children:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_pid_child(pid, name, deadline=DEADLINE):
    """Waits until a child of pid named `name` exists; returns its pid."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            if ppid == pid and comm == name:
                return int(entry)
        time.sleep(0.02)
    raise TestFailure(f"no child {name} of {pid} appeared")


def full_tree(pane, text):
    """The unfiltered tree: no filter in the status line, no prompt, tree
    rows on screen and none of them dimmed as the context of a match."""
    status = text.rstrip("\n").splitlines()[-1] if text.strip() else ""
    if "filter " in status or "Filter by" in text or not pane.tree_rows(text):
        return False
    return not dim_rows(pane.capture(colors=True))


def filter_pid(pane, pid):
    """Sets the PID filter with the p key and waits for the status line to show it."""
    pane.keys("p")
    pane.wait_for(lambda t: "Filter by PID:" in t, "the PID prompt")
    pane.type(str(pid))
    pane.keys("Enter")
    pane.wait_for(lambda t: f"filter pid={pid}" in t, "the PID filter")


# --- scenarios ---------------------------------------------------------------

def live_new_exit(env, pane):
    """A new process is green within a second, red with its signal when
    killed, and gone after the highlight time (under --pid of this test)."""
    name = f"ptsleep{env.tag}"
    sleeper = env.tool("/bin/sleep", name)
    # The PID filter on this test keeps the machine's other activity (fork
    # storms of other tests) from pushing the rows off the screen.
    pane.start(env.viewer("--pid", str(os.getpid())), width=250, height=200)
    pane.wait_for(lambda t: row_for(t, os.getpid(), "python3"), "the viewer with this test in it")
    started = time.monotonic()
    proc = env.spawn([sleeper, "1000"])
    pid = str(proc.pid)
    seen_at = None

    def green(_):
        nonlocal seen_at
        line = row_for(pane.capture(colors=True), pid, name)
        if line is not None and fg_at(line, name) == 32:
            seen_at = time.monotonic()
            return True
        return False
    pane.wait_for(green, f"{name} green")
    latency = seen_at - started
    print(f"new process shown green after {latency * 1000:.0f} ms")
    if latency > 1.0:
        raise TestFailure(f"the new process took {latency:.2f} s to appear (want < 1 s)")
    # After the highlight time it is a normal row.
    pane.wait_for(lambda _: fg_at(row_for(pane.capture(colors=True), pid, name) or "", name) in (None, 39),
                  f"{name} no longer green")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = time.monotonic()
    screen = pane.wait_for(lambda _: fg_at(row_for(pane.capture(colors=True), pid, name) or "", name) == 31,
                           f"{name} red")
    line = row_for(pane.capture(), pid, name)
    if "signal 9 (KILL)" not in line:
        raise TestFailure(f"the exit signal is not shown: {line!r}")
    pane.wait_for(lambda t: row_for(t, pid, name) is None, f"{name} gone")
    gone_after = time.monotonic() - killed
    print(f"exited process gone {gone_after * 1000:.0f} ms after the kill")
    if gone_after < HIGHLIGHT_MS / 1000 * 0.8:
        raise TestFailure(f"the exited process left after {gone_after:.2f} s, before the highlight time")
    del screen


def name_filter(env, pane):
    """`/` NAME shows the process with its ancestors (dimmed); Esc restores."""
    name = f"ptname{env.tag}"
    proc = env.spawn([env.tool("/bin/sleep", name), "1000"])
    pane.start(env.viewer(), width=250, height=200)
    pane.wait_for(lambda t: "procs" in t and full_tree(pane, t), "the full tree")
    pane.keys("/")
    pane.wait_for(lambda t: "Filter by name:" in t, "the name prompt")
    pane.type(name)
    # Live: matches before Enter.
    pane.wait_for(lambda t: "kthreadd" not in t and row_for(t, str(proc.pid), name),
                  "the filtered tree while typing")
    pane.keys("Enter")
    text = pane.wait_for(lambda t: f"filter name~{name}" in t and "Filter by name:" not in t,
                         "the filter kept after Enter")
    rows = pane.tree_rows(text)
    pids = [r.split()[0] for r in rows]
    # Its ancestors: this test process and PID 1 (or the root of its chain).
    if str(os.getpid()) not in pids:
        raise TestFailure(f"ancestor {os.getpid()} missing from the filtered rows:\n" + "\n".join(rows))
    if pids[-1] != str(proc.pid):
        raise TestFailure("the match is not the last row:\n" + "\n".join(rows))
    colored = pane.capture(colors=True)
    if str(os.getpid()) not in dim_rows(colored):
        raise TestFailure("the ancestors are not dimmed")
    anc = row_for(colored, str(os.getpid()), "python3")
    if anc is None or 2 not in sgr_at(anc, "python3"):
        raise TestFailure(f"the ancestor row is not dim: {anc!r}")
    pane.keys("Escape")
    pane.wait_for(lambda t: full_tree(pane, t), "the full tree after Esc")


def pid_filter(env, pane):
    """`p` PID shows the process, its ancestors and its subtree, including a
    child started after the filter was set; `p` PID,PID the union of two
    subtrees, their common ancestors once."""
    par = f"ptpar{env.tag}"
    kid1, kid2 = f"ptkidA{env.tag}", f"ptkidB{env.tag}"
    other, lone = f"ptother{env.tag}", f"ptlone{env.tag}"
    sh = env.tool("/bin/sh", par)
    env.tool("/bin/sleep", kid1)
    env.tool("/bin/sleep", kid2)
    other_proc = env.spawn([env.tool("/bin/sleep", other), "1000"])
    env.spawn([env.tool("/bin/sleep", lone), "1000"])
    parent = env.spawn([sh, "-c", f"{kid1} 1000 & read x; {kid2} 1000 & wait"], stdin=subprocess.PIPE,
                       env={"PATH": env.tmp + ":/usr/bin:/bin"})
    env.pids.append(wait_pid_child(parent.pid, kid1))
    pane.start(env.viewer(), width=250, height=200)
    pane.wait_for(lambda t: "procs" in t and full_tree(pane, t), "the full tree")
    pane.keys("p")
    pane.wait_for(lambda t: "Filter by PID:" in t, "the PID prompt")
    pane.type(str(parent.pid))
    pane.keys("Enter")
    text = pane.wait_for(lambda t: f"pid={parent.pid}" in t and "kthreadd" not in t and kid1 in t,
                         "the PID-filtered tree")
    if str(os.getpid()) not in [r.split()[0] for r in pane.tree_rows(text)]:
        raise TestFailure("the PID filter does not show the ancestors")
    parent.stdin.write(b"go\n")
    parent.stdin.flush()
    env.pids.append(wait_pid_child(parent.pid, kid2))
    pane.wait_for(lambda t: kid2 in t and "kthreadd" not in t, f"{kid2}, started after the filter")
    pane.keys("Escape")
    pane.wait_for(lambda t: full_tree(pane, t), "the full tree after Esc")
    filter_pid(pane, f"{parent.pid},{other_proc.pid}")
    text = pane.wait_for(lambda t: kid2 in t and other in t, "both PIDs' subtrees")
    pids = [r.split()[0] for r in pane.tree_rows(text)]
    if lone in text or "kthreadd" in text:
        raise TestFailure("a process outside both subtrees is shown:\n" + text)
    if pids.count(str(os.getpid())) != 1:
        raise TestFailure("the common ancestor is not shown exactly once:\n" + text)


def export(env, pane):
    """`s` writes a text file whose columns and tree are the screen's; `S` writes JSON."""
    name = f"ptexp{env.tag}"
    proc = env.spawn([env.tool("/bin/sleep", name), "1000"])
    out = os.path.join(env.tmp, "exports")
    os.mkdir(out)
    pane.start(env.viewer("--export-dir", out, "--filter", name), width=250, height=60)
    text = pane.wait_for(lambda t: row_for(t, str(proc.pid), name), f"{name} filtered")
    pane.keys("s")
    text = pane.wait_for(lambda t: "saved " in t, "the export path in the status line")
    path = re.search(r"saved (\S+\.txt)", text).group(1)
    if not path.startswith(out + "/proctree-") or not os.path.exists(path):
        raise TestFailure(f"unexpected export path {path}")
    screen = [(r.split()[0], pane.tree_part(r)) for r in pane.tree_rows(text)]
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    # The screen's columns, in its order, named in one header line before the tree.
    names = text.splitlines()[0].split()
    names = names[:names.index("PROCESS")]
    start = next((i for i, l in enumerate(lines) if l.split() == names + ["TREE"]), None)
    if start is None:
        raise TestFailure(f"no header line naming the screen's columns {names} in the export:\n" + "\n".join(lines))
    tree_x = lines[start].index("TREE")
    exported = []
    for l in lines[start + 1:]:
        cells = l[:tree_x - 5].split()
        if len(cells) != len(names) or l[tree_x - 5:tree_x - 2].strip() not in ("", "[+]", "[x]", "[.]", "[-]"):
            raise TestFailure(f"an export row without the screen's {len(names)} columns: {l!r}")
        exported.append((cells[names.index("PID")], l[tree_x:]))
    if [p for p, _ in screen] != [p for p, _ in exported]:
        raise TestFailure(f"exported PIDs differ from the screen:\n{screen}\n{exported}")
    for (pid, shown), (_, written) in zip(screen, exported):
        if not written.startswith(shown.split("  ")[0].split(" (")[0]):
            raise TestFailure(f"row {pid}: screen {shown!r} vs file {written!r}")
    pane.keys("S")
    text = pane.wait_for(lambda t: re.search(r"saved \S+\.json", t), "the JSON export")
    with open(re.search(r"saved (\S+\.json)", text).group(1), encoding="utf-8") as f:
        doc = json.load(f)
    if name not in json.dumps(doc):
        raise TestFailure("the JSON export lacks the process")


def footer_has(text, word):
    """The status footer takes the last one or two lines (it wraps a long notice)."""
    return any(word in line for line in text.splitlines()[-2:])


def resize(env, pane):
    """Resize re-lays the screen at once; too small says so; back again."""
    pane.start(env.viewer(), width=120, height=40)
    pane.wait_for(lambda t: "PID USER" in t and "procs" in t, "the viewer")
    pane.resize(80, 20)
    pane.wait_for(lambda t: len(t.splitlines()) == 20 and footer_has(t, "procs") and
                  "PID USER" in t.splitlines()[0], "the 80x20 layout")
    pane.resize(30, 4)
    pane.wait_for(lambda t: "too small" in t.replace("\n", " "), "the too-small message")
    pane.resize(100, 30)
    pane.wait_for(lambda t: len(t.splitlines()) == 30 and footer_has(t, "procs"), "the 100x30 layout")
    pane.keys("q")
    pane.wait_for(lambda t: pane.exited(), "the viewer to quit")


def escape(env, pane):
    """An argv with escape sequences is shown escaped, never interpreted."""
    name = f"ptesc{env.tag}"
    evil = "\x1b[2J\x1b]2;pwned\x07\x1b[31mRED"
    proc = env.spawn([env.tool("/bin/sh", name), "-c", "read x", evil], stdin=subprocess.PIPE)
    pane.start(env.viewer("--filter", name), width=250, height=40)
    text = pane.wait_for(lambda t: row_for(t, str(proc.pid), name), f"{name} shown")
    line = row_for(text, str(proc.pid), name)
    if "\\e[2J\\e]2;pwned\\a\\e[31mRED" not in line:
        raise TestFailure(f"not escaped: {line!r}")
    if "pwned" in pane.display("#{pane_title}"):
        raise TestFailure("the process set the pane title")
    if fg_at(row_for(pane.capture(colors=True), str(proc.pid), name), "RED") == 31 and \
            fg_at(row_for(pane.capture(colors=True), str(proc.pid), name), name) != 31:
        raise TestFailure("the process's colour sequence reached the terminal")


# Prints the terminal's line-discipline modes that curses changes, then a
# marker the command line itself does not contain ("STT""Y").
STTY = ("stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon\\|-\\?echo\\|-\\?icrnl\\|-\\?isig' "
        "| tr '\\n' ,; echo ' STT''Y-{}'")


def _shell_run(env, pane, how):
    pane.start(["bash", "--norc", "--noprofile"], width=160, height=40)
    pane.wait_for(lambda t: "$" in t or "#" in t, "a shell prompt")
    pane.send_line(STTY.format("BEFORE"))
    before = pane.wait_for(lambda t: re.search(r"\S+ STTY-BEFORE", t), "stty before")
    pane.send_line(" ".join(env.viewer()) + "; echo DONE-$?")
    pane.wait_for(lambda t: "PID USER" in t and "procs" in t, "the viewer")
    if pane.display("#{alternate_on}") != "1" or pane.display("#{mouse_any_flag}") != "1":
        raise TestFailure("the viewer did not take the terminal (alternate screen, mouse)")
    code = how()
    text = pane.wait_for(lambda t: f"DONE-{code}" in t, f"the shell back with status {code}")
    for flag, want in (("alternate_on", "0"), ("mouse_any_flag", "0"), ("cursor_flag", "1")):
        if pane.display("#{" + flag + "}") != want:
            raise TestFailure(f"terminal not restored: {flag} is not {want}")
    pane.send_line(STTY.format("AFTER"))
    after = pane.wait_for(lambda t: re.search(r"\S+ STTY-AFTER", t), "stty after")
    b = re.findall(r"(\S*) STTY-BEFORE", before)[-1]
    a = re.findall(r"(\S*) STTY-AFTER", after)[-1]
    print(f"terminal modes before {b!r}, after {a!r}")
    if a != b or "-icanon" in a:
        raise TestFailure(f"terminal modes differ after the viewer: before {b!r}, after {a!r}")
    del text


def quit_restores(env, pane):
    """`q` restores the terminal (modes, alternate screen, mouse, cursor)."""
    def how():
        pane.keys("q")
        return 0
    _shell_run(env, pane, how)


def signal_restores(env, pane):
    """SIGTERM and SIGINT (Ctrl-C) restore the terminal too."""
    def term():
        shell = int(pane.display("#{pane_pid}"))
        os.kill(wait_pid_child(shell, "proctree"), signal.SIGTERM)
        return 128 + signal.SIGTERM
    _shell_run(env, pane, term)
    pane.close()

    def intr():
        pane.keys("C-c")
        return 128 + signal.SIGINT
    _shell_run(env, pane, intr)


def replay_file(env, pane):
    """--from FILE --speed 0 shows the final state at once and stays open;
    --speed N paces the replay; --from - reads the stream from stdin."""
    now = time.time_ns()
    path = os.path.join(env.tmp, "rec.ptr")
    with open(path, "wb") as f:
        f.write(encode_stream("replayhost", [
            ("snap", now, True), ("create", now, 1, now - 10**9, 0, 0, "initx", "/sbin/initx"),
            ("snap", now, False),
            ("create", now + 10**8, 2, now + 10**8, 1, now - 10**9, "early", "early --a"),
            ("create", now + 20 * 10**9, 3, now + 20 * 10**9, 1, now - 10**9, "late", "late --b"),
            ("exit", now + 20 * 10**9 + 5 * 10**6, 2, now + 10**8, 0, 9, 1)]))
    pane.start(env.viewer("--from", path, "--speed", "0"), width=160, height=30)
    pane.wait_for(lambda t: "replay done" in t and "late --b" in t and "host replayhost" in t and
                  "early (signal 9 (KILL) after 19.9 s)" in t, "the final state at once")
    pane.close()
    pane.start(env.viewer("--from", path, "--speed", "4"), width=160, height=30)
    text = pane.wait_for(lambda t: "early --a" in t, "the first records")
    if "late --b" in text:
        raise TestFailure("--speed 4 did not pace the replay (20 s of records shown at once)")
    pane.wait_for(lambda t: "late --b" in t and "replay done" in t, "the paced replay to finish")
    pane.close()
    pane.start(["sh", "-c", f"cat {path} | {' '.join(env.viewer('--from', '-', '--speed', '0'))}"],
               width=160, height=30)
    pane.wait_for(lambda t: "stream ended" in t and "late --b" in t, "the stream from stdin")
    pane.keys("q")
    pane.wait_for(lambda t: pane.exited(), "q with the stream on stdin")


def pause(env, pane):
    """`P` pauses the screen while events are still applied; --pid filters
    from the command line."""
    par, kid = f"ptpause{env.tag}", f"ptpkid{env.tag}"
    sh = env.tool("/bin/sh", par)
    env.tool("/bin/sleep", kid)
    parent = env.spawn([sh, "-c", f"read x; {kid} 1000 & wait"], stdin=subprocess.PIPE,
                       env={"PATH": env.tmp + ":/usr/bin:/bin"})
    other, lone = f"ptpoth{env.tag}", f"ptplone{env.tag}"
    other_proc = env.spawn([env.tool("/bin/sleep", other), "1000"])
    env.spawn([env.tool("/bin/sleep", lone), "1000"])
    pane.start(env.viewer("--pid", f"{parent.pid},{other_proc.pid}", "-p", "999999999"), width=200, height=30)
    text = pane.wait_for(lambda t: row_for(t, str(parent.pid), par) and row_for(t, str(other_proc.pid), other)
                         and f"pid={parent.pid},{other_proc.pid},999999999" in t, "the filtered tree")
    if lone in text:
        raise TestFailure("a process outside the PIDs' subtrees is shown:\n" + text)
    pane.keys("P")
    pane.wait_for(lambda t: "PAUSED" in t, "PAUSED in the status line")
    parent.stdin.write(b"go\n")
    parent.stdin.flush()
    kid_pid = wait_pid_child(parent.pid, kid)
    env.pids.append(kid_pid)
    # A window, not a wait: the new child must stay off the paused screen
    # (unpaused, it shows within ~100 ms).
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        if row_for(pane.capture(), kid_pid, kid):
            raise TestFailure("a paused screen changed")
        time.sleep(0.05)
    pane.keys("P")
    pane.wait_for(lambda t: row_for(t, kid_pid, kid) and "PAUSED" not in t, "the child after unpausing")


def no_color(env, pane):
    """NO_COLOR: states in text ([+] new, [x] exited), no colours."""
    name = f"ptmono{env.tag}"
    tool = env.tool("/bin/sleep", name)
    pane.start(env.viewer("--filter", name), width=200, height=30, env=("NO_COLOR=1",))
    pane.wait_for(lambda t: f"filter name~{name}" in t, "the viewer")
    proc = env.spawn([tool, "1000"])  # after the start: a new process, not one from the snapshot
    pane.wait_for(lambda t: f"[+] {name}" in t, "the [+] marker")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    text = pane.wait_for(lambda t: f"[x] {name} (signal 9 (KILL)" in t, "the [x] marker")
    colored = pane.capture(colors=True)
    if re.search(r"\x1b\[[0-9;]*(3[0-7]|4[0-7])[;m]", colored):
        raise TestFailure("colours with NO_COLOR set")
    del text


def mouse(env, pane):
    """A click selects the row under it; the wheel scrolls."""
    par = f"ptmouse{env.tag}"
    kids = [f"ptmk{i}{env.tag}" for i in range(3)]
    sh = env.tool("/bin/sh", par)
    for k in kids:
        env.tool("/bin/sleep", k)
    parent = env.spawn([sh, "-c", " & ".join(f"{k} 1000" for k in kids) + " & wait"],
                       env={"PATH": env.tmp + ":/usr/bin:/bin"})
    for k in kids:
        env.pids.append(wait_pid_child(parent.pid, k))
    pane.start(env.viewer("--filter", f"ptmk"), width=200, height=40)
    last = [None]

    def settled(t):  # all three shown, and the same screen twice in a row
        same = t == last[0]
        last[0] = t
        return same and all(row_for(t, pid, k) for pid, k in zip(env.pids, kids))
    text = pane.wait_for(settled, "the three children")
    y = next(i for i, l in enumerate(text.splitlines()) if row_for(l, env.pids[1], kids[1]))
    pane.mouse(0, 40, y)
    pane.wait_for(lambda _: 7 in sgr_at(row_for(pane.capture(colors=True), env.pids[1], kids[1]), kids[1]),
                  "the clicked row selected (reverse video)")
    pane.keys("End")
    pane.wait_for(lambda _: 7 in sgr_at(row_for(pane.capture(colors=True), env.pids[2], kids[2]), kids[2]),
                  "End selecting the last row")
    pane.mouse(64, 40, y)  # wheel up: the list fits, nothing scrolls, nothing breaks
    pane.keys("q")
    pane.wait_for(lambda t: pane.exited(), "q after mouse events")


def corrupt_stream(env, pane):
    """A corrupt stream: the error (with its byte offset) is in the status
    line and the tree decoded before it stays."""
    now = time.time_ns()
    good = encode_stream("corrupthost", [
        ("create", now, 1, now - 10**9, 0, 0, "initx", "/sbin/initx"),
        ("create", now, 2, now, 1, now - 10**9, "survivor", "survivor --x")])
    path = os.path.join(env.tmp, "bad.ptr")
    with open(path, "wb") as f:
        f.write(good + bytes([1, 0, 0, 0, 13, 0, 0, 0]) + bytes(16))
    pane.start([env.binary, "--from", path, "--speed", "0", "--highlight-ms", "600000"], width=200, height=20)
    pane.wait_for(lambda t: "corrupt stream at byte " + str(len(good)) in t and "survivor --x" in t,
                  "the error in the status line with the tree kept")


def time_travel(env, pane):
    """In a recorded file: a seek back to before a process existed hides it,
    forward shows it again; the status line shows the stream's time; P stops
    the file's clock and starts it again; a time outside the recording says so."""
    t0 = (time.time_ns() // 10**9 - 3600) * 10**9 + 250 * 10**6  # xx:xx:xx.250, an hour ago
    path = os.path.join(env.tmp, "travel.ptr")
    with open(path, "wb") as f:
        f.write(encode_stream("travelhost", [
            ("snap", t0, True), ("create", t0, 1, t0 - 10**9, 0, 0, "initx", "/sbin/initx"),
            ("snap", t0, False),
            ("create", t0 + 10**8, 2, t0 + 10**8, 1, t0 - 10**9, "early", "early --a"),
            ("create", t0 + 20 * 10**9, 3, t0 + 20 * 10**9, 1, t0 - 10**9, "late", "late --b"),
            ("exit", t0 + 30 * 10**9, 2, t0 + 10**8, 0, 0, 0)]))

    def clock(ns):
        return time.strftime("%H:%M:%S", time.gmtime(ns // 10**9)) + f".{ns // 10**6 % 1000:03}"

    def tree(text):
        return "\n".join(pane.tree_rows(text))

    pane.start([env.binary, "--from", path, "--speed", "0", "--highlight-ms", "600000"], width=160, height=30)
    pane.wait_for(lambda t: "replay done" in t and "late --b" in t, "the whole recording at once")
    pane.keys("P")  # the clock stands still: every state below is exact
    pane.wait_for(lambda t: "PAUSED" in t, "pause")
    pane.keys("g")
    pane.type("+30")
    pane.keys("Enter")
    pane.wait_for(lambda t: f"at {clock(t0 + 30 * 10**9)} UTC" in t, "the seek to the end, +30 s")
    pane.type("{")  # 10 s back: +20 s, when late was just created
    pane.wait_for(lambda t: f"at {clock(t0 + 20 * 10**9)} UTC" in t and "late --b" in tree(t), "+20 s")
    pane.type("[")  # 1 s earlier: late did not exist yet
    text = pane.wait_for(lambda t: f"at {clock(t0 + 19 * 10**9)} UTC" in t, "the seek to +19 s")
    if "late --b" in tree(text) or "early --a" not in tree(text):
        raise TestFailure("at +19 s the tree should hold early but not late:\n" + text)
    pane.keys("g")
    pane.type("+0.05")
    pane.keys("Enter")
    text = pane.wait_for(lambda t: f"at {clock(t0 + 5 * 10**7)} UTC" in t, "the seek to +0.05 s")
    if "early --a" in tree(text) or "initx" not in tree(text):
        raise TestFailure("at +0.05 s only the snapshot's process exists:\n" + text)
    pane.type("]")
    pane.wait_for(lambda t: f"at {clock(t0 + 105 * 10**7)} UTC" in t and "early --a" in tree(t), "+1.05 s")
    pane.keys("g")
    pane.type(clock(t0 + 25 * 10**9))  # a time of day
    pane.keys("Enter")
    pane.wait_for(lambda t: f"at {clock(t0 + 25 * 10**9)} UTC" in t and "late --b" in tree(t), "the time of day")
    pane.keys("g")
    pane.type("+99")
    pane.keys("Enter")
    pane.wait_for(lambda t: "+99 is outside the recording" in t, "a time outside the recording refused")
    pane.keys("P")  # playing again from +25 s at 1x: the stream's clock moves
    text = pane.wait_for(lambda t: "PAUSED" not in t and "replay 1x at" in t, "playing again")
    pane.wait_for(lambda t: "replay 1x at" in t and t != text and f"at {clock(t0 + 25 * 10**9)}" not in t,
                  "the stream's clock running")
    pane.keys("q")
def _shell(pane):
    pane.start(["bash", "--norc", "--noprofile"], width=200, height=40)
    pane.wait_for(lambda t: "$" in t or "#" in t, "a shell prompt")


def stdin_closed(env, pane):
    """--from - with stdin closed: one clear line and status 2, never a read
    of a descriptor the viewer opened itself (its signalfd would be fd 0)."""
    _shell(pane)
    pane.send_line(f"{env.binary} --from - <&- ; echo DONE-$?")
    pane.wait_for(lambda t: "standard input is closed" in t and "DONE-2" in t, "one line and status 2")


def _serve_then_reset(stream):
    """A TCP peer that sends `stream`, then resets the connection (a source
    failing mid-way). Returns the port."""
    import socket
    import struct
    import threading
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        conn.sendall(stream)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        server.close()
    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def exit_statuses(env, pane):
    """After q the viewer exits 2 when the stream was garbage, empty or
    truncated, or the source failed; 0 after a good one."""
    now = time.time_ns()
    good = encode_stream("statushost", [("create", now, 1, now - 10**9, 0, 0, "initx", "/sbin/initx")])
    inputs = {"good": good, "garbage": b"this is not a proctree stream at all\n" * 4, "empty": b"",
              "truncated": good[:-5]}
    _shell(pane)
    for i, (name, data) in enumerate(inputs.items()):
        path = os.path.join(env.tmp, name + ".ptr")
        with open(path, "wb") as f:
            f.write(data)
        pane.send_line(f"clear; {env.binary} --from {path} --speed 0; echo DONE-{i}-$?")
        pane.wait_for(lambda t: "procs" in t and (name == "good" or "error" in t), f"the viewer on the {name} stream")
        pane.keys("q")
        want = 0 if name == "good" else 2
        pane.wait_for(lambda t: f"DONE-{i}-" in t, f"the shell back after the {name} stream")
        got = re.search(rf"DONE-{i}-(\d+)", pane.capture()).group(1)
        if got != str(want):
            raise TestFailure(f"the {name} stream: status {got}, expected {want}")
    port = _serve_then_reset(good)
    pane.send_line(f"clear; {env.binary} --from tcp:127.0.0.1:{port}; echo DONE-tcp-$?")
    pane.wait_for(lambda t: "error" in t and "initx" in t, "the viewer showing the source's failure")
    pane.keys("q")
    pane.wait_for(lambda t: "DONE-tcp-2" in t, "status 2 after a failed source")


def _spawn_as_pid(env, argv, pid, tries=200):
    """Spawns argv as process `pid` by setting ns_last_pid (root) before each
    fork, again while some other process takes the pid first; None if it
    never got it (a process still holds it: that one reuses it instead)."""
    for _ in range(tries):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        p = env.spawn(argv)
        if p.pid == pid:
            return p
        p.kill()
        p.wait()
    return None


def kept_exit_details(env, pane):
    """--keep-exited: a process that lived about a millisecond is still in the
    tree 10 s after its exit (with its exit code), beside a process that took
    its PID; the PID filter shows both, and Enter on the exited one shows its
    details, exit code and lifetime included."""
    name, reuser = f"ptblip{env.tag}", f"ptreuse{env.tag}"
    shell, sleeper = env.tool("/bin/sh", name), env.tool("/bin/sleep", reuser)
    pane.start(env.viewer("--keep-exited", "--pid", str(os.getpid())), width=200, height=60)
    pane.wait_for(lambda t: row_for(t, os.getpid(), "python3"), "the viewer with this test in it")
    blip = env.spawn([shell, "-c", "exit 7"])
    blip.wait()
    exited = time.monotonic()
    pid = str(blip.pid)
    reused = _spawn_as_pid(env, [sleeper, "1000"], blip.pid) is not None
    pane.wait_for(lambda t: "exit 7" in (row_for(t, pid, name) or "") and (not reused or row_for(t, pid, reuser)),
                  f"{name} with its exit code" + (f" and {reuser} with its PID" if reused else ""))
    # Well past the highlight time (2 s): 10 s after the exit it is still there.
    pane.wait_for(lambda t: time.monotonic() - exited >= 10 and "exit 7" in (row_for(t, pid, name) or ""),
                  f"{name} 10 s after its exit", deadline=DEADLINE + 10)
    filter_pid(pane, pid)
    text = pane.wait_for(lambda t: row_for(t, pid, name) and (not reused or row_for(t, pid, reuser)),
                         f"the PID filter showing {name}" + (f" and {reuser}" if reused else ""))
    # The filter selects the newest process with the PID; a click takes the exited one.
    y = next(i for i, l in enumerate(text.splitlines()) if row_for(l, pid, name))
    pane.mouse(0, 40, y)
    pane.wait_for(lambda _: 7 in sgr_at(row_for(pane.capture(colors=True), pid, name), name),
                  f"{name} selected by the click")
    pane.keys("Enter")
    text = pane.wait_for(lambda t: f"details: {name} ({pid})" in t and "exit: exit 7 after" in t,
                         "the details pane with the exit code")
    if "keeping exited" not in text:
        raise TestFailure("the status line should say exited processes are kept:\n" + text)
    # its image's facts, hashed by the source off the capture path: the same as sha256sum's
    sha = subprocess.run(["sha256sum", shell], stdout=subprocess.PIPE, check=True, text=True).stdout.split()[0]
    size = os.path.getsize(shell)
    pane.wait_for(lambda t: f"image facts: sha256 {sha}, {size} bytes" in t, "the details with sha256sum's hash")
    pane.keys("Escape")
    pane.wait_for(lambda t: "details:" not in t, "Esc closes the details")


def details_long_cmdline(env, pane):
    """The details pane wraps a command line as long as a record carries (4 KiB,
    what producers send at most, here cut from 100,000 bytes) over as many
    lines as it needs: scrolled to its end (Tab, End) it shows the last bytes
    and the marker with how many bytes were not sent, and says how long it is."""
    t0 = (time.time_ns() // 10**9 - 60) * 10**9
    tail = f"TAIL-{env.tag}-END"
    cmd = "longcmd " + "".join(f"arg{i:05d} " for i in range(1300))
    cmd = cmd[:4096 - len(tail)] + tail
    path = os.path.join(env.tmp, "long.ptr")
    with open(path, "wb") as f:
        f.write(encode_stream("longhost", [
            ("snap", t0, True), ("create", t0, 1, t0 - 10**9, 0, 0, "initx", "/sbin/initx"), ("snap", t0, False),
            ("create_cut", t0 + 10**8, 4242, t0 + 10**8, 1, t0 - 10**9, "longcmd", cmd, 100_000)]))
    pane.start([env.binary, "--from", path, "--speed", "0"], width=120, height=40)
    pane.wait_for(lambda t: "replay done" in t and row_for(t, "4242", "longcmd"), "the recording")
    filter_pid(pane, "4242")
    pane.keys("Enter")
    text = pane.wait_for(lambda t: "details: longcmd (4242)" in t, "the details pane")
    heading = f"command line: {len(cmd):,} bytes, cut by the producer: {100_000 - len(cmd):,} more not sent"
    if heading not in text:
        raise TestFailure(f"the details should say {heading!r}:\n" + text)
    if tail in text:
        raise TestFailure("the end of a 4 KiB command line should not fit before scrolling:\n" + text)
    pane.keys("Tab")
    pane.keys("End")
    marker = f"…(+{100_000 - len(cmd):,} bytes)"
    text = pane.wait_for(lambda t: tail in t and marker in t.replace("\n", ""),
                         "the end of the command line and the marker after End")
    if "arg00000" in text[text.index("details:"):]:
        raise TestFailure("scrolled to the end, the pane should no longer show the start of the command line:\n"
                          + text)


def details_whole_cmdline(env, pane):
    """A running process with a 100 KB command line: its record carries the
    first 4 KiB, and the live viewer's details pane reads the rest from the
    process, so scrolled to its end (Tab, End) it shows the last argument."""
    name = f"ptlong{env.tag}"
    shell = env.tool("/bin/sh", name)
    tail = f"TAIL-{env.tag}-END"
    args = [f"arg{i:06d}" for i in range(10_500)] + [tail]
    whole = " ".join([shell, "-c", "read x", name] + args)
    pane.start(env.viewer("--pid", str(os.getpid())), width=160, height=50)
    pane.wait_for(lambda t: row_for(t, os.getpid(), "python3"), "the viewer with this test in it")
    child = env.spawn([shell, "-c", "read x", name] + args, stdin=subprocess.PIPE)
    pid = str(child.pid)
    pane.wait_for(lambda t: row_for(t, pid, name), f"{name} in the tree")
    filter_pid(pane, pid)
    pane.keys("Enter")
    heading = f"command line: {len(whole):,} bytes, read from the running process (its record carried 4,096)"
    text = pane.wait_for(lambda t: heading in t, "the details with the whole command line's length")
    if len(whole) <= 100_000:
        raise TestFailure(f"the command line should be over 100 KB, not {len(whole):,} bytes")
    pane.keys("Tab")
    pane.keys("End")
    text = pane.wait_for(lambda t: tail in t, "the end of the command line after End")
    if "…(+" in text:
        raise TestFailure("the whole command line should show no cut marker:\n" + text)
    child.stdin.close()
    child.wait()


SCENARIOS = {f.__name__: f for f in (live_new_exit, name_filter, pid_filter, export, resize, escape,
                                     quit_restores, signal_restores, replay_file, pause, no_color, mouse,
                                     corrupt_stream, time_travel, stdin_closed, exit_statuses, kept_exit_details,
                                     details_long_cmdline, details_whole_cmdline)}


# Scenarios that watch this machine live (the others replay files).
LIVE = {"kept_exit_details", "details_whole_cmdline", "live_new_exit", "name_filter", "pid_filter", "export",
        "escape", "pause", "no_color", "mouse"}


def run(scenarios, live, prefix):
    """Runs the scenario named on the command line (--binary, --scenario)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--scenario", required=True, choices=sorted(scenarios))
    args = ap.parse_args()
    if args.scenario in live and os.geteuid() != 0:
        print("SKIP: live scenarios need root (an event source that sees exits and signals)")
        return 77
    env = Env(os.path.abspath(args.binary), args.scenario)
    pane = Pane(f"{prefix}-{args.scenario}-{os.getpid()}", env.tmp, DEADLINE)
    try:
        scenarios[args.scenario](env, pane)
    except SKIP as e:
        print(f"SKIP: {e}")
        return 0
    except TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        pane.close()
        env.close()
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(run(SCENARIOS, LIVE, "proctree-test"))

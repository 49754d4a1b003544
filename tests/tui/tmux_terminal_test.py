#!/usr/bin/python3
"""The viewer in every terminal, on the real binary in tmux: TERM=dumb and
unknown terminals, a non-UTF-8 locale (ASCII glyphs, escapes for what it
cannot print), --ascii, --no-mouse, Left/Right scrolling of the command
lines, an 80x24 status line, notices that fade. One ctest per scenario;
every wait polls with a deadline."""
import os
import re
import shutil
import sys
import time

from tmux_lib import TestFailure, encode_stream
from tmux_test import DEADLINE, run


def recording(env, long_cmd="x"):
    """A small recorded tree: init > shell > café, worker (long command line)."""
    now = time.time_ns()
    path = os.path.join(env.tmp, "tree.ptr")
    with open(path, "wb") as f:
        f.write(encode_stream("termhost", [
            ("snap", now, True), ("create", now, 1, now - 10**9, 0, 0, "initx", "/sbin/initx"),
            ("create", now, 10, now - 10**9, 1, now - 10**9, "shellx", "shellx -i"),
            ("create", now, 11, now - 10**9, 10, now - 10**9, "caf\u00e9", "caf\u00e9 --x"),
            ("create", now, 12, now - 10**9, 10, now - 10**9, "worker", "worker " + long_cmd),
            ("snap", now, False)]))
    return path


def _shell(pane, width=200, height=40):
    pane.start(["bash", "--norc", "--noprofile"], width=width, height=height)
    pane.wait_for(lambda t: "$" in t or "#" in t, "a shell prompt")


def dumb_terminal(env, pane):
    """TERM=dumb, an unknown TERM and no TERM: one line pointing to
    `proctree snapshot`, exit status 2, the terminal untouched."""
    path = recording(env)
    _shell(pane)
    for i, term in enumerate(("TERM=dumb", "TERM=no-such-terminal-xyz", "-u TERM")):
        pane.send_line(f"clear; env {term} {env.binary} --from {path}; echo DONE-{i}-$?")
        # The typed command line holds "DONE-{i}-$?": wait for the status itself.
        text = pane.wait_for(lambda t: re.search(rf"^DONE-{i}-\d", t, re.M), f"the viewer to refuse {term}")
        if f"DONE-{i}-2" not in text or "proctree snapshot" not in text:
            raise TestFailure(f"{term}: expected one line naming `proctree snapshot` and status 2:\n{text}")
        lines = [l for l in text.splitlines() if l.startswith("proctree:")]
        if len(lines) != 1:
            raise TestFailure(f"{term}: expected exactly one message line:\n{text}")
        if pane.display("#{alternate_on}") != "0":
            raise TestFailure(f"{term}: the viewer took the screen")


def ascii_locale(env, pane):
    """LC_ALL=C: the tree lines, the collapse marker and the separators in
    ASCII (never blanks); a name it cannot print shows as its escape. The
    same glyphs with --ascii in a UTF-8 locale."""
    path = recording(env)
    for extra, env_vars in (((), ("LC_ALL=C", "LANG=C")), (("--ascii",), ())):
        pane.start([env.binary, "--from", path, "--speed", "0", *extra], width=120, height=20, env=env_vars)
        text = pane.wait_for(lambda t: "replay done" in t and "worker" in t, "the replayed tree")
        for want in ("`- shellx  shellx -i", "   |- ", "`- worker", " | ", "? help"):
            if want not in text:
                raise TestFailure(f"{extra or env_vars}: {want!r} missing:\n{text}")
        if "\u2502" in text or "\u251c" in text or "\u2514" in text:
            raise TestFailure(f"{extra or env_vars}: Unicode line drawing in ASCII mode:\n{text}")
        if env_vars and "caf\\u{00E9}" not in text:
            raise TestFailure(f"the name with a non-ASCII letter is not shown as its escape:\n{text}")
        if not env_vars and "caf\u00e9" not in text:
            raise TestFailure(f"--ascii in UTF-8 must still show UTF-8 names:\n{text}")
        pane.close()


def status_80x24(env, pane):
    """At 80x24 with a filter the status is one line that fits."""
    path = recording(env)
    pane.start([env.binary, "--from", path, "--speed", "0", "--filter", "worker"], width=80, height=24)
    text = pane.wait_for(lambda t: "replay done" in t and "filter name~worker" in t, "the status line")
    lines = text.rstrip("\n").split("\n")
    status = lines[-1]
    if "? help" not in status or "procs" not in status or len(status) > 80:
        raise TestFailure(f"the status line does not fit one 80-column line:\n{text}")
    if "procs" in lines[-2] or "help" in lines[-2]:
        raise TestFailure(f"the status line wrapped:\n{text}")


def hscroll(env, pane):
    """Right scrolls the command lines to the left by 8 columns, Left back;
    the header says from which column they are shown."""
    path = recording(env, long_cmd="".join(f"<{i:03}>" for i in range(60)))
    pane.start([env.binary, "--from", path, "--speed", "0"], width=100, height=20)
    text = pane.wait_for(lambda t: "replay done" in t and "worker <000>" in t, "the long command line")
    pane.keys("Right")
    text = pane.wait_for(lambda t: "from column 9" in t, "the header after Right")
    row = next(l for l in text.splitlines() if "worker" in l)
    # The command line column "  worker <000>..." minus 8 columns is " <000>...",
    # after the name (which does not scroll).
    if "worker  worker" in row or "\u2500 worker <000><001>" not in row:
        raise TestFailure(f"the command line did not scroll by 8 columns:\n{row}")
    for _ in range(3):
        pane.keys("Right")
    text = pane.wait_for(lambda t: "from column 33" in t, "three more steps")
    row = next(l for l in text.splitlines() if "worker" in l)
    if "\u2500 worker4><005>" not in row:  # 32 columns: "  worker " and 23 of "<000><001>..."
        raise TestFailure(f"the command line did not scroll by 32 columns:\n{row}")
    pane.keys("Left")
    pane.keys("Left")
    pane.keys("Left")
    pane.keys("Left")
    pane.wait_for(lambda t: "from column" not in t and "worker <000>" in t, "back at the start")


def no_mouse(env, pane):
    """--no-mouse leaves the mouse to the terminal; without it the viewer takes it."""
    path = recording(env)
    pane.start([env.binary, "--from", path, "--speed", "0", "--no-mouse"], width=100, height=20)
    pane.wait_for(lambda t: "replay done" in t, "the viewer")
    if pane.display("#{mouse_any_flag}") != "0":
        raise TestFailure("--no-mouse: the viewer asked for mouse events")
    pane.close()
    pane.start([env.binary, "--from", path, "--speed", "0"], width=100, height=20)
    pane.wait_for(lambda t: "replay done" in t, "the viewer")
    if pane.display("#{mouse_any_flag}") != "1":
        raise TestFailure("without --no-mouse the viewer should take the mouse")


def notice_fades(env, pane):
    """`saved FILE` leaves the status line about 5 s after the export."""
    path = recording(env)
    out = os.path.join(env.tmp, "exports")
    os.mkdir(out)
    pane.start([env.binary, "--from", path, "--speed", "0", "--export-dir", out], width=200, height=20)
    pane.wait_for(lambda t: "replay done" in t, "the viewer")
    pane.keys("s")
    pane.wait_for(lambda t: "saved " in t, "the notice")
    shown = time.monotonic()
    pane.wait_for(lambda t: "saved " not in t, "the notice to fade", deadline=DEADLINE)
    after = time.monotonic() - shown
    print(f"the notice faded after {after:.1f} s")
    if after < 4.0:
        raise TestFailure(f"the notice left after {after:.1f} s, before 5 s")


def unprivileged_auto(env, pane):
    """As nobody, the live viewer's auto source cannot load eBPF: the status
    line says which source it took and why eBPF was refused."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        raise TestFailure("needs root and setpriv to run the viewer as nobody")
    home = os.path.join(env.tmp, "nobody")
    os.mkdir(home)
    os.chmod(env.tmp, 0o755)
    os.chmod(home, 0o777)
    binary = os.path.join(home, "proctree")
    shutil.copy2(env.binary, binary)  # the build tree may not be reachable for nobody
    os.chmod(binary, 0o755)
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    pane.start([*as_nobody, binary], width=250, height=20, env=(f"HOME={home}",))
    text = pane.wait_for(lambda t: "(refused: ebpf" in t, "the status line saying why eBPF was refused")
    status = text.rstrip("\n").split("\n")[-1]
    if not re.search(r"source: (netlink|poll) \(refused: ebpf", status):
        raise TestFailure(f"the status line should name the source taken and why eBPF was refused:\n{text}")


def config_file(env, pane):
    """$XDG_CONFIG_HOME/proctree/config sets the columns and the sort; a bad
    line is a passing notice naming the file and line, and the rest applies;
    an option given on the command line wins over the file."""
    path = recording(env)
    xdg = os.path.join(env.tmp, "xdg")
    os.makedirs(os.path.join(xdg, "proctree"))
    config = os.path.join(xdg, "proctree", "config")
    with open(config, "w") as f:
        f.write("# columns and sort\ncolumns = thr,pid\nbogus = 1\nsort = name\n")
    viewer = [env.binary, "--from", path, "--speed", "0"]
    pane.start(viewer, width=250, height=20, env=(f"XDG_CONFIG_HOME={xdg}",))
    text = pane.wait_for(lambda t: f"{config}:3: unknown key 'bogus'" in t, "the bad line's notice")
    header = text.splitlines()[0]
    if not re.match(r"^\s*THR\s+PID\s+PROCESS\s+\[tree, by NAME asc\]", header):
        raise TestFailure(f"the config's columns and sort are not the header's:\n{text}")
    pane.close()
    pane.start([*viewer, "--columns", "user"], width=250, height=20, env=(f"XDG_CONFIG_HOME={xdg}",))
    text = pane.wait_for(lambda t: "replay done" in t, "the viewer")
    if not re.match(r"^\s*USER\s+PROCESS\s+\[tree, by NAME asc\]", text.splitlines()[0]):
        raise TestFailure(f"--columns should win over the config file:\n{text}")


SCENARIOS = {f.__name__: f for f in (dumb_terminal, ascii_locale, status_80x24, hscroll, no_mouse, notice_fades,
                                     unprivileged_auto, config_file)}


if __name__ == "__main__":
    sys.exit(run(SCENARIOS, set(), "proctree-term"))

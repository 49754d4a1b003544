#!/usr/bin/python3
"""Regenerates screenshots/*.png and the captures they come from, from real
runs of proctree (live, this machine) in a private tmux server.

Scene: a small "make" (a copy of /bin/sh, in a second tmux window) starts
cc1, as, ld and pytest
(copies of /bin/sleep); cc1 is killed (SIGKILL) and as terminated (SIGTERM),
so the live tree has green (new) and red (exited) rows.

Shots: live.png (the tree around the scene), name-filter.png (`/pytest`
typed), pid-filter.png (`p` with make's PID), help.png (`?`). Each has
NAME.ansi.txt (tmux capture-pane -e) and NAME.txt (plain text) beside it.
Run by regenerate.sh.
"""
import argparse
import os
import shutil
import signal
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "tui"))
from tmux_lib import Pane, row_for, wait_for_child  # noqa: E402
from render_png import render  # noqa: E402

COLS, ROWS = 150, 32


def save(pane, name, outdir):
    colored = pane.capture(colors=True)
    with open(os.path.join(outdir, name + ".ansi.txt"), "w", encoding="utf-8") as f:
        f.write(colored)
    with open(os.path.join(outdir, name + ".txt"), "w", encoding="utf-8") as f:
        f.write(pane.capture())
    render(colored, os.path.join(outdir, name + ".png"), COLS, ROWS)
    print(f"wrote {name}.png")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="proctree-shots-")
    pane = Pane(f"proctree-shots-{os.getpid()}", tmp, 20.0)
    kids = {}
    try:
        for n in ("cc1", "as", "ld", "pytest"):
            shutil.copy("/bin/sleep", os.path.join(tmp, n))
        make = os.path.join(tmp, "make")
        shutil.copy("/bin/sh", make)
        viewer = [os.path.abspath(args.binary), "--highlight-ms", "15000", "--export-dir", tmp]
        pane.start(viewer, COLS, ROWS)
        pane.wait_for(lambda t: "procs" in t, "the viewer")
        # The scene runs in a second tmux window, away from this script's own
        # tmux clients (which would show as short-lived rows of their own).
        pane.tmux("new-window", "-d", "-t", "t:", f"exec env PATH={tmp}:/usr/bin:/bin {make} -c "
                  "'cc1 900 & as 900 & ld 900 & pytest 900 & wait'")
        make_pid = int(pane.tmux("display-message", "-p", "-t", "t:1", "#{pane_pid}").strip())
        kids = {n: wait_for_child(make_pid, n) for n in ("cc1", "as", "ld", "pytest")}
        os.kill(kids["cc1"], signal.SIGKILL)
        os.kill(kids["as"], signal.SIGTERM)
        pid = str(make_pid)
        # Bring make on screen: a PID filter selects it; Esc keeps the selection.
        pane.keys("p")
        pane.type(pid)
        pane.keys("Enter")
        pane.wait_for(lambda t: f"pid={pid}" in t and "signal 15" in t and "signal 9" in t, "the PID filter")
        save(pane, "pid-filter", args.out)
        pane.keys("Escape")
        pane.wait_for(lambda t: "pid=" not in t and row_for(t, pid, "make") and "pytest" in t, "the live tree")
        save(pane, "live", args.out)
        pane.keys("/")
        pane.type("pytest")
        pane.wait_for(lambda t: "Filter by name: pytest" in t and "kthreadd" not in t, "the name filter")
        save(pane, "name-filter", args.out)
        pane.keys("Escape", "?")
        pane.wait_for(lambda t: "proctree - keys" in t, "the help screen")
        save(pane, "help", args.out)
        pane.keys("q")
    finally:
        pane.close()
        for k in kids.values():  # the scene's children, by their own PIDs (the
            # tmux server took make with it)
            try:
                os.kill(k, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

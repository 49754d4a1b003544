#!/usr/bin/python3
"""Start-up and idle memory of the live viewer against htop and btop, in the
same run (not run by ctest).

Each viewer is started on its own pseudo-terminal (200x50). Its first frame
is the moment its output first holds the tree: the name of PID 1 (the root
of proctree's tree, the first row of htop sorted by PID), printed after the
start. Then it idles for --idle seconds and its RSS (VmRSS) is read, and it is
told to quit. Runs alternate between the viewers, --runs times; medians and
the ratios to htop are printed.

    /usr/bin/python3 tests/bench/first_frame.py --proctree build/tui/proctree \\
        [--sources auto,ebpf,netlink] [--runs 5] [--idle 3]
"""
import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import termios
import time

COLS, ROWS = 200, 50


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


EMPTY = b"(no processes yet)"  # proctree's screen before any process is known


def start_on_pty(argv):
    """(pid, pty master fd) of argv running on a fresh COLSxROWS terminal."""
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.pop("NO_COLOR", None)
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        os.execvpe(argv[0], argv, env)
    return pid, fd


def one_run(argv, marker, idle_s, timeout=30.0):
    """(seconds to the first frame holding marker, idle RSS in KiB, whether
    an empty frame came before it)"""
    started = time.monotonic()
    pid, fd = start_on_pty(argv)
    seen = b""
    first = None
    deadline = started + timeout
    quiet_until = None
    while time.monotonic() < deadline:
        if first is not None and time.monotonic() >= quiet_until:
            break
        ready, _, _ = select.select([fd], [], [], 0.05)
        if fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if first is None:
                seen += chunk
                if marker in seen:
                    first = time.monotonic() - started
                    quiet_until = time.monotonic() + idle_s
    rss = rss_kb(pid) if first is not None else 0
    empty_first = EMPTY in seen.split(marker)[0]
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + 10
    while time.monotonic() < end:  # keep draining so it can write its goodbye
        if os.waitpid(pid, os.WNOHANG)[0]:
            break
        if select.select([fd], [], [], 0.05)[0]:
            try:
                os.read(fd, 65536)
            except OSError:
                pass
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)
    return first, rss, empty_first


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proctree", default="build/tui/proctree")
    ap.add_argument("--sources", default="auto,ebpf,netlink")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=3.0, help="seconds idle before RSS is read")
    args = ap.parse_args()
    with open("/proc/1/comm") as f:
        marker = f.read().strip().encode()
    viewers = {f"proctree {s}": [args.proctree, "--source", s] for s in args.sources.split(",") if s}
    viewers["htop"] = ["htop", "--sort-key=PID"]
    if shutil.which("btop"):
        viewers["btop"] = ["btop"]
    results = {name: [] for name in viewers}
    for _ in range(args.runs):
        for name, argv in viewers.items():
            results[name].append(one_run(argv, marker, args.idle))
    print(f"first frame holding PID 1 ({marker.decode()}) and idle RSS after {args.idle:.0f} s, "
          f"median of {args.runs} runs, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"| {'viewer':<16} | {'first frame s':>13} | {'vs htop':>7} | {'RSS MB':>7} | {'vs htop':>7} | runs (s)")
    print(f"|{'-' * 18}|{'-' * 15}|{'-' * 9}|{'-' * 9}|{'-' * 9}|---------")
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    htop_t = med([t for t, _, _ in results["htop"] if t is not None])
    htop_rss = med([r for t, r, _ in results["htop"] if t is not None])
    for name, runs in results.items():
        ok = [(t, r) for t, r, _ in runs if t is not None]
        t, rss = med([t for t, _ in ok]), med([r for _, r in ok])
        empty = sum(1 for _, _, e in runs if e)
        print(f"| {name:<16} | {t:>13.3f} | {t / htop_t:>6.2f}x | {rss / 1024:>7.1f} | {rss / htop_rss:>6.2f}x | "
              + " ".join("-" if t is None else f"{t:.3f}" for t, _, _ in runs)
              + (f"; {empty} runs drew an empty frame first" if empty else ""))


if __name__ == "__main__":
    sys.exit(main())

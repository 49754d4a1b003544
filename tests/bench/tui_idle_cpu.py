#!/usr/bin/python3
"""Idle CPU of the live viewer against htop, in the same run.

Starts ~1,000 idle processes, then proctree (live, --source auto, every column) and Debian's
htop in two windows of one private tmux server, both 200x50, lets them settle,
and measures each one's CPU time (utime + stime from /proc/PID/stat, children
excluded) over the same window (60 s by default). Prints both and the ratio.
The target is proctree < 1/10 of htop.

Not run by ctest:
    /usr/bin/python3 tests/bench/tui_idle_cpu.py --binary build/tui/proctree [--seconds 60]
"""
import argparse
import os
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
ALL_COLUMNS = "pid,user,cpu,rss,s,start,age,thr"


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def ui_thread_ticks(pid):
    """CPU ticks of the viewer's UI thread (the main thread, TID == PID);
    the rest of the process is the event source's reader thread."""
    with open(f"/proc/{pid}/task/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def forks():
    """Processes created since boot (/proc/stat), to report the event rate."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("processes "):
                return int(line.split()[1])
    return 0


def process_count():
    return sum(1 for e in os.listdir("/proc") if e.isdigit())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--processes", type=int, default=1000)
    args = ap.parse_args()

    idle = []
    while process_count() < args.processes:
        idle.append(subprocess.Popen(["sleep", "3600"]))
    sock = f"proctree-idle-{os.getpid()}"
    tmux = ["tmux", "-L", sock, "-f", "/dev/null"]
    env = "exec env LANG=C.UTF-8 TERM=tmux-256color XDG_CONFIG_HOME=/nonexistent "  # no config file
    try:
        # Every column, the sampled CPU%, RSS and S among them, whatever a config file says.
        subprocess.run(tmux + ["new-session", "-d", "-s", "b", "-x", "200", "-y", "50",
                               env + os.path.abspath(args.binary) + " --columns " + ALL_COLUMNS], check=True)
        subprocess.run(tmux + ["set", "-g", "status", "off"], check=True)
        subprocess.run(tmux + ["new-window", "-d", "-t", "b:", env + "htop"], check=True)
        panes = subprocess.run(tmux + ["list-panes", "-s", "-t", "b", "-F", "#{pane_pid}"], check=True,
                               capture_output=True, text=True).stdout.split()
        viewer, htop = int(panes[0]), int(panes[1])
        # exec: the pane processes are proctree and htop themselves.
        time.sleep(5)  # settle: initial snapshot, first htop scan (not a wait for a condition)
        n = process_count()
        t0 = time.monotonic()
        v0, h0, f0, u0 = cpu_ticks(viewer), cpu_ticks(htop), forks(), ui_thread_ticks(viewer)
        time.sleep(args.seconds)
        v1, h1, f1, u1 = cpu_ticks(viewer), cpu_ticks(htop), forks(), ui_thread_ticks(viewer)
        dt = time.monotonic() - t0
        src = subprocess.run(tmux + ["capture-pane", "-p", "-t", "b:0"], capture_output=True,
                             text=True).stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
        for p in idle:
            p.kill()
        for p in idle:
            p.wait()
    vcpu = (v1 - v0) / TICK / dt * 100
    hcpu = (h1 - h0) / TICK / dt * 100
    print(f"processes: {n}, window: {dt:.1f} s, processes created meanwhile: {f1 - f0} "
          f"({(f1 - f0) / dt:.1f}/s, by anything on the machine)")
    print(f"proctree status: {src.strip()}")
    print(f"proctree CPU: {(v1 - v0) / TICK:.2f} s = {vcpu:.3f} % "
          f"(UI thread {(u1 - u0) / TICK:.2f} s, source thread {((v1 - v0) - (u1 - u0)) / TICK:.2f} s)")
    print(f"htop     CPU: {(h1 - h0) / TICK:.2f} s = {hcpu:.3f} %")
    if h1 > h0:
        print(f"ratio proctree/htop: {(v1 - v0) / (h1 - h0):.3f} (target < 0.1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Memory of the real live viewer (not run by ctest): idle RSS, bytes per
process held, and RSS after churns of short-lived processes once their
highlight has passed.

The viewer runs on its own pseudo-terminal (first_frame.py's helpers). Steps:
idle RSS; --hold sleeping processes started and shown (RSS per process held,
to compare with model_bench's BM_MemoryPerProcess100k), then stopped; then
--churns storms of --count /bin/true (storm_spawner), each followed by the
highlight time plus a margin, and the RSS after each. htop's idle RSS is
measured first on its own pseudo-terminal, in the same run, as the peer.

    /usr/bin/python3 tests/bench/viewer_memory.py --proctree build/tui/proctree \\
        [--source ebpf] [--count 100000] [--churns 3] [--hold 10000]
"""
import argparse
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from first_frame import rss_kb, start_on_pty  # noqa: E402


def rss_by_kind(pid):
    """Resident KiB per kind of mapping (/proc/PID/smaps): the main heap,
    malloc's per-thread arenas (anonymous 64 MiB-aligned reservations),
    the BPF ring, other anonymous memory, and files."""
    kinds = {}
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                path = head[5] if len(head) > 5 else ""
                if path == "[heap]":
                    name = "heap"
                elif path.startswith("anon_inode:bpf") or "bpf" in path:
                    name = "bpf"
                elif path.startswith("/"):
                    name = "files"
                elif path in ("[stack]", "[vvar]", "[vdso]", "[vsyscall]"):
                    name = "other"
                elif lo % (64 << 20) == 0 or (hi - lo) >= (60 << 20):
                    name = "arenas"
                else:
                    name = "anon"
            elif head[0] == "Rss:" and name:
                kinds[name] = kinds.get(name, 0) + int(head[1])
    return kinds


def heap_in_use(pid):
    """Bytes malloc has handed out and not had back (mallinfo2's uordblks +
    hblkhd, all arenas), read by gdb: what model_bench's mallinfo2 counts,
    without the free memory RSS also holds. None without gdb."""
    try:
        out = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "print mallinfo2()"],
                             capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    fields = dict(re.findall(r"(\w+) = (\d+)", out))
    if "uordblks" not in fields:
        return None
    return int(fields["uordblks"]) + int(fields["hblkhd"])


def breakdown(pid):
    return ", ".join(f"{k} {v / 1024:.1f}" for k, v in sorted(rss_by_kind(pid).items()) if v >= 64) + " MB"


def drain_for(fd, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if select.select([fd], [], [], 0.05)[0]:
            try:
                os.read(fd, 1 << 16)
            except OSError:
                return


def htop_idle_kb(seconds):
    """htop's RSS once it has drawn and settled, the peer for the idle RSS."""
    pid, fd = start_on_pty(["htop", "--sort-key=PID"])
    try:
        drain_for(fd, seconds)
        return rss_kb(pid)
    finally:
        os.kill(pid, signal.SIGTERM)
        drain_for(fd, 0.5)
        os.waitpid(pid, 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proctree", default="build/tui/proctree")
    ap.add_argument("--spawner", help="storm_spawner (default: tests/bench/ beside the proctree build)")
    ap.add_argument("--source", default="ebpf")
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--churns", type=int, default=3)
    ap.add_argument("--hold", type=int, default=10_000, help="sleeping processes held to size one process")
    ap.add_argument("--highlight-ms", type=int, default=3000)
    args = ap.parse_args()
    spawner = args.spawner or os.path.join(os.path.dirname(os.path.abspath(args.proctree)), "..", "tests",
                                           "bench", "storm_spawner")
    htop = htop_idle_kb(3.0)
    pid, fd = start_on_pty([args.proctree, "--source", args.source, "--highlight-ms", str(args.highlight_ms)])
    settle = args.highlight_ms / 1000 + 2.0
    try:
        drain_for(fd, 3.0)
        idle, idle_used = rss_kb(pid), heap_in_use(pid)
        print(f"viewer --source {args.source}: idle RSS {idle / 1024:.1f} MB ({breakdown(pid)}); "
              f"htop idle RSS {htop / 1024:.1f} MB; ratio {idle / htop:.2f}x")

        held = [subprocess.Popen(["sleep", "3600"]) for _ in range(args.hold)]
        drain_for(fd, settle)
        holding, holding_used = rss_kb(pid), heap_in_use(pid)
        in_use = ""
        if idle_used is not None and holding_used is not None:
            in_use = f"; malloc in use {(holding_used - idle_used) / max(args.hold, 1):.0f} bytes per process"
        print(f"holding {args.hold} more processes: RSS {holding / 1024:.1f} MB, "
              f"{(holding - idle) * 1024 / max(args.hold, 1):.0f} bytes per process{in_use}")
        for p in held:
            p.kill()
        for p in held:
            p.wait()
        drain_for(fd, settle)
        print(f"after they exited and their highlight passed: RSS {rss_kb(pid) / 1024:.1f} MB")

        for n in range(args.churns):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.monotonic()
                subprocess.run([spawner, "fork", str(args.count), str(os.cpu_count() or 2),
                                os.path.join(tmp, "pids")], check=True, stdout=subprocess.DEVNULL)
                storm_s = time.monotonic() - t0
            drain_for(fd, settle)
            rss = rss_kb(pid)
            print(f"churn {n + 1}: {args.count} processes in {storm_s:.1f} s; {settle:.0f} s later RSS "
                  f"{rss / 1024:.1f} MB ({100.0 * (rss / idle - 1):+.0f}% against idle; {breakdown(pid)})")
    finally:
        os.kill(pid, signal.SIGTERM)
        drain_for(fd, 1.0)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    sys.exit(main())

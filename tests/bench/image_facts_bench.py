#!/usr/bin/python3
"""Image facts benchmark (not run by ctest): one storm of N execs of
/bin/true (storm_spawner, fork+exec, one worker per core) recorded at the
same time by `proctree record` with image facts on and with
--no-image-facts, same source. Reports per recorder: storm processes
captured (creates, execs, exits of the spawner's children out of N), facts
records (hashed / skipped), distinct files read, and CPU seconds (user +
system of the recorder, all threads, from wait4), with the ratio on/off.
Run as root:

  tests/bench/image_facts_bench.py --proctree build/tui/proctree \\
      --spawner build/tests/bench/storm_spawner [--source ebpf] [--count 20000]
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time


def start(proctree, source, out, facts):
    argv = [proctree, "record", "--source", source, "-o", out]
    if not facts:
        argv.append("--no-image-facts")
    err = open(out + ".stderr", "w")
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)


def decode(proctree, path):
    out = subprocess.run([proctree, "decode", path], capture_output=True, text=True)
    return [json.loads(l) for l in out.stdout.splitlines()]


def wait_ready(proctree, path, deadline=60):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if os.path.exists(path) and any(r["type"] == "snapshot_end" for r in decode(proctree, path)):
            return
        time.sleep(0.2)
    sys.exit(f"recorder {path} not ready")


def stop(proc):
    proc.send_signal(signal.SIGINT)
    _, status, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime


def count(recs, children):
    creates = {r["pid"] for r in recs if r["type"] == "create" and r["pid"] in children}
    execs = {r["pid"] for r in recs if r["type"] == "exec" and r["pid"] in children}
    exits = {r["pid"] for r in recs if r["type"] == "exit" and r["pid"] in children}
    facts = [r for r in recs if r["type"] == "image_facts" and r["pid"] in children]
    hashed = sum(1 for f in facts if f["status"] == 0)
    skipped = sum(1 for f in facts if f["status"] == 2)
    return len(creates), len(execs), len(exits), hashed, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proctree", required=True)
    ap.add_argument("--spawner", required=True)
    ap.add_argument("--source", default="ebpf")
    ap.add_argument("--count", type=int, default=20000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="proctree-facts-bench-")
    on_path, off_path = os.path.join(tmp, "on.ptr"), os.path.join(tmp, "off.ptr")
    on = start(args.proctree, args.source, on_path, True)
    off = start(args.proctree, args.source, off_path, False)
    wait_ready(args.proctree, on_path)
    wait_ready(args.proctree, off_path)
    pidfile = os.path.join(tmp, "pids")
    workers = str(os.cpu_count() or 2)
    wall = subprocess.run([args.spawner, "fork", str(args.count), workers, pidfile], capture_output=True,
                          text=True, check=True).stdout.strip()
    children = {int(line.split()[1]) for line in open(pidfile)}
    # Let both drain: the last child's exit in both files (or 30 s).
    last = max(children)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if all(any(r["type"] == "exit" and r["pid"] == last for r in decode(args.proctree, p))
               for p in (on_path, off_path)):
            break
        time.sleep(0.5)
    cpu_on, cpu_off = stop(on), stop(off)
    summary = re.findall(r"image facts: .*", open(on_path + ".stderr").read())
    files_read = re.search(r"(\d+) files read", summary[-1]).group(1) if summary else "?"
    c_on = count(decode(args.proctree, on_path), children)
    c_off = count(decode(args.proctree, off_path), children)
    n = len(children)
    print(f"storm: {n} fork+exec of /bin/true in {wall} s, {workers} workers, source {args.source}")
    print(f"{'recorder':<14}{'creates':>9}{'execs':>9}{'exits':>9}{'facts ok':>10}{'skipped':>9}"
          f"{'files read':>12}{'CPU s':>8}")
    print(f"{'facts on':<14}{c_on[0]:>9}{c_on[1]:>9}{c_on[2]:>9}{c_on[3]:>10}{c_on[4]:>9}{files_read:>12}"
          f"{cpu_on:>8.2f}")
    print(f"{'facts off':<14}{c_off[0]:>9}{c_off[1]:>9}{c_off[2]:>9}{'-':>10}{'-':>9}{'-':>12}{cpu_off:>8.2f}")
    print(f"CPU ratio on/off: {cpu_on / cpu_off:.2f}x" if cpu_off else "CPU ratio: n/a")
    if summary:
        print("recorder said:", summary[-1])
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()

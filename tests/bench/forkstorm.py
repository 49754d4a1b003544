#!/usr/bin/python3
"""Fork storm benchmark for the Linux collectors (not run by ctest).

Starts every requested recorder, then a storm of N short-lived processes
(/bin/true from tight shell loops, one per core), waits for the recorders to
drain, stops them with SIGINT, and reports per recorder: creates and exits of
the storm's processes captured out of N, how many carry the exact name
("true"), events lost, and CPU seconds (getrusage of the recorder).

Each proctree source gets its own storm, recorded in the same run by
forkstat beside it (--together: one storm for every recorder). Run as root:

  tests/bench/forkstorm.py --proctree build-linux/tui/proctree \\
      --sources netlink,poll,forkstat [--count 20000] [--loops 2]

Sources: any proctree `record --source` kind (netlink, poll, ebpf, auto) and
`forkstat` (forkstat -e fork,exec,exit writing to a file, which is counted).
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

TRUE = "/bin/true"


def start_recorders(args, workdir):
    recorders = {}
    for source in args.sources:
        out = os.path.join(workdir, f"{source}.out")
        err = open(os.path.join(workdir, f"{source}.err"), "w")
        if source == "forkstat":
            cmd = ["forkstat", "-e", "fork,exec,exit"]
            stdout = open(out, "w")
        else:
            cmd = [args.proctree, "record", "--source", source, "-o", out]
            stdout = subprocess.DEVNULL
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=err)
        recorders[source] = {"proc": proc, "out": out, "err": err.name}
    return recorders


def wait_until_ready(recorders, timeout=30):
    """A proctree recorder is ready once its initial snapshot is on disk;
    forkstat once it printed its heading."""
    deadline = time.monotonic() + timeout
    for source, r in recorders.items():
        while time.monotonic() < deadline:
            if r["proc"].poll() is not None:
                sys.exit(f"{source} recorder exited early: {open(r['err']).read()}")
            if os.path.exists(r["out"]) and os.path.getsize(r["out"]) > 0:
                break
            time.sleep(0.05)
        else:
            sys.exit(f"{source} recorder never started writing")
    time.sleep(0.5)


def run_storm(count, loops):
    per_loop = [count // loops + (1 if i < count % loops else 0) for i in range(loops)]
    script = 'i=0; while [ "$i" -lt "$1" ]; do ' + TRUE + '; i=$((i+1)); done'
    started = time.monotonic()
    shells = [subprocess.Popen(["bash", "-c", script, "storm", str(n)]) for n in per_loop]
    for s in shells:
        s.wait()
    return {s.pid for s in shells}, time.monotonic() - started


def wait_for_quiet(recorders, quiet_s=2.0, timeout=60):
    """Waits until the event recorders have caught up: their output grew by
    less than a trickle (the rest of the machine keeps running) for quiet_s.
    The poll recorder writes on its own clock and is not waited for."""
    trickle = 8192
    watched = {s: r for s, r in recorders.items() if s != "poll"}
    sizes = {s: os.path.getsize(r["out"]) for s, r in watched.items()}
    quiet_since = time.monotonic()
    deadline = quiet_since + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = {s: os.path.getsize(r["out"]) for s, r in watched.items()}
        if any(now[s] - sizes[s] > trickle / 2 for s in now):
            quiet_since = time.monotonic()
        sizes = now
        if time.monotonic() - quiet_since >= quiet_s:
            break
    time.sleep(1.0)  # at least two poll intervals for the poll recorder


def stop_recorders(recorders):
    for r in recorders.values():
        r["proc"].send_signal(signal.SIGINT)
    for source, r in recorders.items():
        _, status, usage = os.wait4(r["proc"].pid, 0)
        r["proc"].returncode = status
        r["cpu"] = usage.ru_utime + usage.ru_stime


def count_proctree(proctree, path, storm_parents):
    """Storm processes are the children of the storm shells."""
    decoded = subprocess.run([proctree, "decode", path], capture_output=True, text=True)
    storm = {}   # (pid, start_ns) -> final name
    cmdlines = {}  # (pid, start_ns) -> final command line
    exited = set()
    lost = 0
    for line in decoded.stdout.splitlines():
        rec = json.loads(line)
        kind = rec.get("type")
        if kind == "create" and rec["ppid"] in storm_parents:
            storm[(rec["pid"], rec["start_ns"])] = rec["name"]
            cmdlines[(rec["pid"], rec["start_ns"])] = rec["cmdline"]
        elif kind in ("exec", "rename") and (rec["pid"], rec["start_ns"]) in storm:
            storm[(rec["pid"], rec["start_ns"])] = rec["name"]
            if kind == "exec":
                cmdlines[(rec["pid"], rec["start_ns"])] = rec["cmdline"]
        elif kind == "exit" and (rec["pid"], rec["start_ns"]) in storm:
            exited.add((rec["pid"], rec["start_ns"]))
        elif kind == "events_lost":
            lost += 1
    if decoded.returncode != 0:
        print(f"warning: decode of {path} said: {decoded.stderr.strip()}", file=sys.stderr)
    named = sum(1 for name in storm.values() if name == "true")
    exact_cmd = sum(1 for c in cmdlines.values() if c == TRUE)
    return len(storm), len(exited), named, exact_cmd, f"{lost} reports" if lost else "0"


FORKSTAT_LINE = re.compile(r"^\d\d:\d\d:\d\d (fork|exec|exit)\s+(\d+)\s*(.*)$")


def count_forkstat(path, storm_parents):
    """forkstat prints a fork as a 'parent' line then a 'child' line; an exec
    as the command line it read from /proc (or <unknown> when gone). Pids
    are reused within a storm (pid_max may be 32768), so processes are
    followed in order, not collected into sets."""
    created = exited = named = exact_cmd = 0
    live = set()
    last_parent = None
    lost = 0
    with open(path, errors="replace") as f:
        for line in f:
            if "ENOBUFS" in line or "overrun" in line.lower():
                lost += 1
            m = FORKSTAT_LINE.match(line)
            if not m:
                continue
            event, pid, rest = m.group(1), int(m.group(2)), m.group(3)
            if event == "fork":
                if rest.startswith("parent"):
                    last_parent = pid
                elif rest.startswith("child") and last_parent in storm_parents:
                    created += 1
                    live.add(pid)
            elif event == "exec" and pid in live:
                first = rest.split()[0] if rest.split() else ""
                if os.path.basename(first) == "true":
                    named += 1
                if rest.strip() == TRUE:
                    exact_cmd += 1
            elif event == "exit" and pid in live:
                exited += 1
                live.discard(pid)
    return created, exited, named, exact_cmd, str(lost)


def one_storm(args, sources, label):
    """One storm watched by `sources` together; prints their rows."""
    workdir = tempfile.mkdtemp(prefix="forkstorm-")
    run = argparse.Namespace(**vars(args))
    run.sources = sources
    recorders = start_recorders(run, workdir)
    wait_until_ready(recorders)
    storm_parents, storm_s = run_storm(args.count, args.loops)
    wait_for_quiet(recorders)
    stop_recorders(recorders)

    print(f"\n{label}: {args.count} x {TRUE} from {args.loops} loops in {storm_s:.1f} s; recordings in {workdir}")
    header = f"| {'source':<10} | {'creates':>15} | {'exits':>15} | {'exact name':>15} | {'exact cmdline':>15} | {'lost':>10} | {'CPU s':>6} |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for source, r in recorders.items():
        if source == "forkstat":
            creates, exits, named, exact_cmd, lost = count_forkstat(r["out"], storm_parents)
        else:
            creates, exits, named, exact_cmd, lost = count_proctree(args.proctree, r["out"], storm_parents)
        pct = lambda n: f"{n} ({100.0 * n / args.count:.1f}%)"
        print(f"| {source:<10} | {pct(creates):>15} | {pct(exits):>15} | {pct(named):>15} | {pct(exact_cmd):>15} | {lost:>10} | {r['cpu']:>6.2f} |")
    for source, r in recorders.items():
        notes = open(r["err"]).read().strip()
        if notes:
            print(f"{source} said: {notes}")
    if not args.keep:
        subprocess.run(["rm", "-rf", workdir])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proctree", default="build-linux/tui/proctree")
    ap.add_argument("--sources", default="netlink,poll,forkstat",
                    help="comma-separated: netlink, poll, ebpf, auto, forkstat")
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--loops", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--together", action="store_true",
                    help="one storm for all sources at once (default: one storm per proctree source, "
                         "with forkstat recording the same storm beside it; on 2 cores, recorders running "
                         "together inflate each other's CPU time)")
    ap.add_argument("--keep", action="store_true", help="keep the recordings (path printed)")
    args = ap.parse_args()
    sources = [s for s in args.sources.split(",") if s]
    if os.geteuid() != 0:
        sys.exit("run as root (the proc connector and forkstat need it)")
    if args.together:
        one_storm(args, sources, "storm")
        return
    ours = [s for s in sources if s != "forkstat"]
    beside = ["forkstat"] if "forkstat" in sources else []
    for source in ours or []:
        one_storm(args, [source] + beside, f"storm for {source}")
    if not ours and beside:
        one_storm(args, beside, "storm")


if __name__ == "__main__":
    main()

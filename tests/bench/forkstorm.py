#!/usr/bin/python3
"""Fork storm benchmark for the Linux collectors (not run by ctest).

Starts each recorder, waits until it is ready (start-up: wall time and CPU),
then runs a storm of N short-lived /bin/true processes from storm_spawner
(fork+exec or vfork+exec, one worker per core), waits for the recorders to
drain, stops them with SIGINT and reports per recorder, against the ground
truth (the spawner's own list of child PIDs): creates and exits captured out
of N, exact names ("true"), exact command lines, events lost, start-up apart
from steady state (user+system CPU per storm process), and the kernel-side
BPF run time per process (kernel.bpf_stats_enabled, for every BPF program the
recorder holds).

Every storm also runs a bpftrace count() on the same three tracepoints: the
floor for the BPF time, measured in the same storm. Run as root:

  tests/bench/forkstorm.py --proctree build/tui/proctree \\
      --sources ebpf,netlink,forkstat,snoop,bpftrace [--count 20000] [--mode vfork]

Sources: any proctree `record --source` kind (ebpf, netlink, poll, auto),
KIND@PATH for another proctree build (before/after in one run); peers:
forkstat (-e fork,exec,exit), snoop (libbpf-tools execsnoop and exitsnoop
together), bpftrace (a printf per fork/exec/exit), nlfloor (netlink_floor:
the cheapest proc connector tracer that names each exec from /proc, one
/proc/PID/stat read per exec and nothing else). By default each proctree source gets its own storm
with the peers beside it (--together: one storm for all). --baseline also
times the storm with no recorder, so the slowdown of the workload is printed.
Needs tracefs for the peers (mounted at /sys/kernel/tracing for the run when
missing).

The workload's slowdown per recorder, each alone (the netlink vfork+exec
table), with the machine's other work kept out by nice:

  tests/bench/forkstorm.py --alone --nice -20 --mode vfork --count 5000 \
      --repeat 8 --sources netlink,nlfloor,forkstat
"""
import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TRUE = "/bin/true"
PEERS = ("forkstat", "snoop", "bpftrace", "nlfloor")
TRACEFS = "/sys/kernel/tracing"
BPFTRACE_PRINT = """
tracepoint:sched:sched_process_fork { printf("fork %d %d\\n", args->parent_pid, args->child_pid); }
tracepoint:sched:sched_process_exec { printf("exec %d %s\\n", pid, comm); }
tracepoint:sched:sched_process_exit /pid == tid/ { printf("exit %d\\n", pid); }
"""
BPFTRACE_FLOOR = """
tracepoint:sched:sched_process_fork,tracepoint:sched:sched_process_exec,tracepoint:sched:sched_process_exit
{ @[probe] = count(); }
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- recorders
def commands(source, args, out):
    """[(argv, stdout path or None)] that together make one recorder."""
    # Peers write lines as they go (as to a terminal), so readiness and
    # progress show in their files.
    if source == "forkstat":
        return [(["stdbuf", "-oL", "forkstat", "-e", "fork,exec,exit"], out)]
    if source == "snoop":
        return [(["stdbuf", "-oL", "execsnoop"], out + ".exec"), (["stdbuf", "-oL", "exitsnoop"], out + ".exit")]
    if source == "bpftrace":
        return [(["bpftrace", "-B", "line", "-e", BPFTRACE_PRINT], out)]
    if source == "nlfloor":
        return [([os.path.join(os.path.dirname(args.spawner), "netlink_floor"), out], None)]
    if source == "floor":
        return [(["bpftrace", "-B", "line", "-e", BPFTRACE_FLOOR], out)]
    # "netlink@PATH": that proctree build instead (before/after in one run).
    kind, _, binary = source.partition("@")
    return [([binary or args.proctree, "record", "--source", kind, "-o", out], None)]


def start_recorder(source, args, workdir):
    name = source.replace("/", "_")
    out = os.path.join(workdir, f"{name}.out")
    err = os.path.join(workdir, f"{name}.err")
    procs = []
    started = time.monotonic()
    for argv, stdout in commands(source, args, out):
        so = open(stdout, "w") if stdout else subprocess.DEVNULL
        procs.append(subprocess.Popen(argv, stdout=so, stderr=open(err, "a")))
    return {"source": source, "procs": procs, "out": out, "err": err, "started": started}


def is_ready(r, proctree):
    """proctree: the initial snapshot is on disk; peers: their heading (or
    bpftrace's 'Attaching') is out, printed once their probes are attached."""
    if r["source"] in PEERS + ("floor",):
        paths = [p for p in (r["out"], r["out"] + ".exec", r["out"] + ".exit") if os.path.exists(p)]
        return len(paths) == len(r["procs"]) and all(os.path.getsize(p) > 0 for p in paths)
    if not os.path.exists(r["out"]) or os.path.getsize(r["out"]) == 0:
        return False
    out = subprocess.run([proctree, "decode", r["out"]], capture_output=True, text=True)
    return '"type":"snapshot_end"' in out.stdout


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_until_ready(recorders, proctree, timeout=60):
    for r in recorders:
        deadline = time.monotonic() + timeout
        while not is_ready(r, proctree):
            dead = [p for p in r["procs"] if p.poll() is not None]
            if dead:
                sys.exit(f"{r['source']} recorder exited early: {open(r['err']).read()}")
            if time.monotonic() > deadline:
                sys.exit(f"{r['source']} recorder never became ready")
            time.sleep(0.01)
        r["startup_s"] = time.monotonic() - r["started"]
        r["startup_cpu"] = sum(cpu_s(p.pid) for p in r["procs"])


def stop_recorders(recorders):
    for r in recorders:
        for p in r["procs"]:
            p.send_signal(signal.SIGINT)
    for r in recorders:
        r["cpu"] = 0.0
        for p in r["procs"]:
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = status
            r["cpu"] += usage.ru_utime + usage.ru_stime


def wait_for_quiet(recorders, quiet_s=2.0, timeout=60):
    """Until the event recorders' output grew by less than a trickle (the
    rest of the machine keeps running) for quiet_s."""
    trickle = 8192
    paths = [p for r in recorders if r["source"] not in ("poll", "floor")
             for p in (r["out"], r["out"] + ".exec", r["out"] + ".exit") if os.path.exists(p)]
    sizes = {p: os.path.getsize(p) for p in paths}
    quiet_since = time.monotonic()
    deadline = quiet_since + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = {p: os.path.getsize(p) for p in paths}
        if any(now[p] - sizes[p] > trickle / 2 for p in now):
            quiet_since = time.monotonic()
        sizes = now
        if time.monotonic() - quiet_since >= quiet_s:
            break
    time.sleep(1.0)  # at least two poll intervals for the poll recorder


# ---------------------------------------------------------------- BPF time
def bpf_prog_ids(pids):
    ids = set()
    for pid in pids:
        fd_dir = f"/proc/{pid}/fdinfo"
        for fd in os.listdir(fd_dir):
            try:
                with open(os.path.join(fd_dir, fd)) as f:
                    ids.update(int(l.split()[1]) for l in f if l.startswith("prog_id:"))
            except OSError:
                pass
    return ids


def bpf_stats(ids):
    """{prog id: (name, run_time_ns, run_cnt)}"""
    stats = {}
    for i in ids:
        r = subprocess.run(["bpftool", "-j", "prog", "show", "id", str(i)], capture_output=True, text=True)
        if r.returncode == 0:
            p = json.loads(r.stdout)
            stats[i] = (p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
    return stats


def bpf_run(before, after):
    """(run time of all the programs in the window, runs of the fork program)"""
    run_ns = sum(after[i][1] - before[i][1] for i in after if i in before)
    forks = sum(after[i][2] - before[i][2] for i in after if i in before and "process_f" in after[i][0])
    return run_ns, forks


# ---------------------------------------------------------------- counting
class Truth:
    def __init__(self, pidfile):
        self.workers, self.children = set(), collections.Counter()
        with open(pidfile) as f:
            for line in f:
                worker, child = map(int, line.split())
                self.workers.add(worker)
                self.children[child] += 1
        self.count = sum(self.children.values())

    def capped(self, seen):
        """Counter of PIDs seen -> how many of the storm's processes (a PID
        the storm reused counts as often as the spawner started it)."""
        return sum(min(n, self.children[pid]) for pid, n in seen.items())


def count_proctree(proctree, path, truth):
    decoded = subprocess.run([proctree, "decode", path], capture_output=True, text=True)
    names, cmdlines, exited, lost = {}, {}, set(), 0
    for line in decoded.stdout.splitlines():
        rec = json.loads(line)
        kind, ident = rec.get("type"), (rec.get("pid"), rec.get("start_ns"))
        if kind == "create" and rec["ppid"] in truth.workers and rec["pid"] in truth.children:
            names[ident], cmdlines[ident] = rec["name"], rec["cmdline"]
        elif kind in ("exec", "rename") and ident in names:
            names[ident] = rec["name"]
            if kind == "exec":
                cmdlines[ident] = rec["cmdline"]
        elif kind == "exit" and ident in names:
            exited.add(ident)
        elif kind == "events_lost":
            lost += 1
    if decoded.returncode != 0:
        print(f"warning: decode of {path} said: {decoded.stderr.strip()}", file=sys.stderr)
    pids = lambda idents: collections.Counter(i[0] for i in idents)
    return (truth.capped(pids(names)), truth.capped(pids(exited)),
            truth.capped(pids(i for i, n in names.items() if n == "true")),
            truth.capped(pids(i for i, c in cmdlines.items() if c == TRUE)), f"{lost} reports" if lost else "0")


FORKSTAT_LINE = re.compile(r"^\d\d:\d\d:\d\d (fork|exec|exit)\s+(\d+)\s*(.*)$")


def count_forkstat(path, truth):
    """A fork is a 'parent' line then a 'child' line; an exec shows the
    command line forkstat read from /proc (<unknown> when gone)."""
    created, exited, named, exact = (collections.Counter() for _ in range(4))
    last_parent, lost = None, 0
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
                elif rest.startswith("child") and last_parent in truth.workers:
                    created[pid] += 1
            elif event == "exec" and pid in truth.children:
                words = rest.split()
                named[pid] += bool(words) and os.path.basename(words[0]) == "true"
                exact[pid] += rest.strip() == TRUE
            elif event == "exit" and pid in truth.children:
                exited[pid] += 1
    return tuple(truth.capped(c) for c in (created, exited, named, exact)) + (str(lost),)


def count_snoop(path, truth):
    """execsnoop: PCOMM PID PPID RET ARGS; exitsnoop: PCOMM PID PPID TID AGE
    EXIT_CODE. Neither reports forks: creates are the storm's execs."""
    execs, named, exact, exited = (collections.Counter() for _ in range(4))
    with open(path + ".exec", errors="replace") as f:
        for line in f:
            parts = line.split(None, 4)
            if len(parts) >= 4 and parts[1].isdigit() and int(parts[2]) in truth.workers:
                pid = int(parts[1])
                execs[pid] += 1
                named[pid] += parts[0] == "true"
                exact[pid] += len(parts) == 5 and parts[4].strip() == TRUE
    with open(path + ".exit", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[1].isdigit() and int(parts[2]) in truth.workers:
                exited[int(parts[1])] += 1
    return tuple(truth.capped(c) for c in (execs, exited, named, exact)) + ("?",)


def count_bpftrace(path, truth):
    created, exited, named = (collections.Counter() for _ in range(3))
    lost = 0
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if "Lost" in line:
                lost += 1
            elif len(parts) == 3 and parts[0] == "fork" and int(parts[1]) in truth.workers:
                created[int(parts[2])] += 1
            elif len(parts) == 3 and parts[0] == "exec" and parts[1].isdigit():
                named[int(parts[1])] += parts[2] == "true"
            elif len(parts) == 2 and parts[0] == "exit" and parts[1].isdigit():
                exited[int(parts[1])] += 1
    return (truth.capped(created), truth.capped(exited), truth.capped(named), "-", f"{lost} reports" if lost else "0")


def count_nlfloor(path, truth):
    """netlink_floor: 'exec PID NAME' per exec it named; nothing else."""
    named = collections.Counter()
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "exec" and parts[2] == "true":
                named[int(parts[1])] += 1
    return ("-", "-", truth.capped(named), "-", "?")


def counts(r, args, truth):
    counters = {"forkstat": count_forkstat, "snoop": count_snoop, "bpftrace": count_bpftrace,
                "nlfloor": count_nlfloor}
    if r["source"] in counters:
        return counters[r["source"]](r["out"], truth)
    return count_proctree(args.proctree, r["out"], truth)


# ---------------------------------------------------------------- storms
def run_storm(args, workdir, usage=None):
    """(ground truth, storm wall s); usage (a dict) gets the storm's own CPU
    seconds: the spawner, its workers and every child they waited for."""
    pidfile = os.path.join(workdir, "children")
    p = subprocess.Popen([args.spawner, args.mode, str(args.count), str(args.loops), pidfile],
                         stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"storm_spawner failed (status {p.returncode})")
    if usage is not None:
        usage["cpu"] = ru.ru_utime + ru.ru_stime
    return Truth(pidfile), float(out)


def baseline(args):
    workdir = tempfile.mkdtemp(prefix="forkstorm-")
    _, seconds = run_storm(args, workdir)
    subprocess.run(["rm", "-rf", workdir])
    return seconds


def print_table(label, args, storm_s, recorders, truth, base_s):
    slowed = f", {100.0 * (storm_s / base_s - 1):+.0f}% against {base_s:.2f} s alone" if base_s else ""
    print(f"\n{label}: {truth.count} x {TRUE} ({args.mode}+exec) from {args.loops} workers in {storm_s:.2f} s"
          f" ({truth.count / storm_s:,.0f}/s{slowed})")
    cols = ["source", "creates", "exits", "exact name", "exact cmdline", "lost", "start s", "start CPU",
            "CPU us/proc", "BPF ns/proc", "vs floor"]
    widths = [10, 15, 15, 15, 15, 10, 7, 9, 11, 11, 8]
    line = lambda cells: "| " + " | ".join(f"{c:>{w}}" for c, w in zip(cells, widths)) + " |"
    print(line(cols))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    floor = next((r.get("bpf_ns") for r in recorders if r["source"] == "floor"), None)
    for r in recorders:
        pct = lambda n: f"{n} ({100.0 * n / truth.count:.1f}%)"
        cells = [r["source"]] + (["-"] * 5 if r["source"] == "floor" else
                                 [pct(n) if isinstance(n, int) else n for n in counts(r, args, truth)])
        steady_us = 1e6 * (r["cpu"] - r["startup_cpu"]) / truth.count
        ns = r.get("bpf_ns")
        cells += [f"{r['startup_s']:.3f}", f"{r['startup_cpu']:.3f}", f"{steady_us:.1f}",
                  f"{ns:.0f}" if ns else "-", f"{ns / floor:.2f}x" if ns and floor else "-"]
        print(line(cells))
    for r in recorders:
        notes = open(r["err"]).read().strip()
        if notes and r["source"] not in ("floor", "bpftrace"):
            print(f"{r['source']} said: {notes[:600]}")


def one_storm(args, sources, label, base_s):
    workdir = tempfile.mkdtemp(prefix="forkstorm-")
    recorders = []
    for source in sources + ["floor"]:  # one at a time: each start-up measured alone
        recorders.append(start_recorder(source, args, workdir))
        wait_until_ready(recorders[-1:], args.proctree)
    time.sleep(0.5)
    prog_ids = {id(r): bpf_prog_ids(p.pid for p in r["procs"]) for r in recorders}
    before = {k: bpf_stats(v) for k, v in prog_ids.items()}
    truth, storm_s = run_storm(args, workdir)
    wait_for_quiet(recorders)
    runs = {id(r): bpf_run(before[id(r)], bpf_stats(prog_ids[id(r)])) for r in recorders}
    # Per process created on the machine in the window (the storm's and any
    # other's), as the floor's fork tracepoint counted them: one denominator
    # for every recorder of the storm.
    forks = runs[id(recorders[-1])][1]
    for r in recorders:
        r["bpf_ns"] = runs[id(r)][0] / forks if forks and runs[id(r)][0] else None
    stop_recorders(recorders)
    print_table(f"{label} (recordings in {workdir})", args, storm_s, recorders, truth, base_s)
    if not args.keep:
        subprocess.run(["rm", "-rf", workdir])


def storm_alone(args, source):
    """One storm with at most one recorder (None: the baseline): the storm's
    wall and CPU seconds, and for a recorder its counts and steady CPU."""
    workdir = tempfile.mkdtemp(prefix="forkstorm-")
    recorder = None
    if source:
        recorder = start_recorder(source, args, workdir)
        wait_until_ready([recorder], args.proctree)
        time.sleep(0.5)
    usage = {}
    truth, storm_s = run_storm(args, workdir, usage)
    result = {"wall": storm_s, "cpu": usage["cpu"], "count": truth.count}
    if recorder:
        wait_for_quiet([recorder])
        stop_recorders([recorder])
        result["counts"] = counts(recorder, args, truth)
        result["us_proc"] = 1e6 * (recorder["cpu"] - recorder["startup_cpu"]) / truth.count
        notes = open(recorder["err"]).read().strip()
        if notes:
            result["notes"] = notes
    subprocess.run(["rm", "-rf", workdir])
    return result


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def alone(args, sources):
    """--alone: each recorder in a storm of its own, next to a storm with no
    recorder, in an order rotated every round; the slowdown of each round is
    against that round's own baseline (the machine's load drifts)."""
    runs = {s: [] for s in ["baseline"] + sources}
    load_before = open("/proc/loadavg").read().split()[:3]
    for n in range(args.repeat):
        order = ["baseline"] + sources
        order = order[n % len(order):] + order[:n % len(order)]
        for s in order:
            runs[s].append(storm_alone(args, None if s == "baseline" else s))
    load_after = open("/proc/loadavg").read().split()[:3]
    base = runs["baseline"]
    print(f"\n{args.mode}+exec storm, each recorder alone: {base[0]['count']} x {TRUE} from {args.loops} workers,"
          f" {args.repeat} round(s), medians; load average {' '.join(load_before)} before,"
          f" {' '.join(load_after)} after")
    cols = ["recorder", "storm s", "storm CPU s", "slowdown", "(range)", "CPU added", "exact name", "exact cmdline",
            "lost", "CPU us/proc", "vs storm CPU"]
    widths = [max(10, max(map(len, sources))), 8, 11, 8, 15, 9, 10, 13, 8, 11, 12]
    line = lambda cells: "| " + " | ".join(f"{c:>{w}}" for c, w in zip(cells, widths)) + " |"
    print(line(cols))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for s, rs in runs.items():
        slow = [100.0 * (r["wall"] / b["wall"] - 1) for r, b in zip(rs, base)]
        cpu_added = [100.0 * (r["cpu"] / b["cpu"] - 1) for r, b in zip(rs, base)]
        cells = [s, f"{median(r['wall'] for r in rs):.2f}", f"{median(r['cpu'] for r in rs):.2f}"]
        if s == "baseline":
            cells += ["-"] * 8
        else:
            pct = lambda i: (f"{100.0 * median(r['counts'][i] / r['count'] for r in rs):.1f}%"
                             if all(isinstance(r["counts"][i], int) for r in rs) else rs[0]["counts"][i])
            cells += [f"{median(slow):+.1f}%", f"{min(slow):+.0f}..{max(slow):+.0f}%", f"{median(cpu_added):+.1f}%",
                      pct(2), pct(3), rs[-1]["counts"][4], f"{median(r['us_proc'] for r in rs):.1f}",
                      # The recorder's CPU against the storm's own: the slowdown to expect from
                      # contention alone when the storm keeps every core busy.
                      f"{median(100.0 * r['us_proc'] * r['count'] / 1e6 / b['cpu'] for r, b in zip(rs, base)):.1f}%"]
        print(line(cells))
    for s, rs in runs.items():
        if s != "baseline" and rs[-1].get("notes"):
            print(f"{s} said: {rs[-1]['notes'][:600]}")


def ensure_tracefs():
    """The peers attach to tracepoints through tracefs; returns whether it was
    mounted here (and is to be unmounted at the end)."""
    if os.path.isdir(os.path.join(TRACEFS, "events")):
        return False
    subprocess.run(["mount", "-t", "tracefs", "tracefs", TRACEFS], check=True)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proctree", default="build/tui/proctree")
    ap.add_argument("--spawner", help="storm_spawner (default: tests/bench/ beside the proctree build)")
    ap.add_argument("--sources", default="ebpf,netlink,forkstat,snoop,bpftrace",
                    help="comma-separated: ebpf, netlink, poll, auto, forkstat, snoop, bpftrace")
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--loops", type=int, default=os.cpu_count() or 2, help="spawner workers")
    ap.add_argument("--mode", choices=("fork", "vfork"), default="fork")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--together", action="store_true", help="one storm for all sources at once")
    ap.add_argument("--baseline", action="store_true", help="also time each storm with no recorder")
    ap.add_argument("--alone", action="store_true",
                    help="each recorder in a storm of its own beside a storm with none, --repeat rounds: the"
                         " workload's slowdown per recorder (e.g. --mode vfork --sources netlink,forkstat)")
    ap.add_argument("--keep", action="store_true", help="keep the recordings (path printed)")
    ap.add_argument("--nice", type=int, default=0,
                    help="run storms and recorders at this nice value: -20 keeps a shared machine's other"
                         " work (builds) out of the ratios, so that the storm runs at the machine's top rate")
    args = ap.parse_args()
    if not args.spawner:
        args.spawner = os.path.join(os.path.dirname(os.path.abspath(args.proctree)), "..", "tests", "bench",
                                    "storm_spawner")
    sources = [s for s in args.sources.split(",") if s]
    if os.geteuid() != 0:
        sys.exit("run as root (the proc connector, BPF and the peers need it)")
    if args.nice:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # inherited by every storm and recorder
    stats_before = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    mounted = ensure_tracefs()
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        if args.alone:
            alone(args, sources)
        for n in range(0 if args.alone else args.repeat):
            ours = [s for s in sources if s not in PEERS]
            beside = [s for s in sources if s in PEERS]
            runs = [(sources, "storm")] if args.together or not ours else \
                   [([s] + beside, f"storm for {s}") for s in ours]
            for run_sources, label in runs:
                base_s = baseline(args) if args.baseline else None
                one_storm(args, run_sources, f"{label} #{n + 1}", base_s)
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(stats_before)
        if mounted:
            subprocess.run(["umount", TRACEFS])


if __name__ == "__main__":
    main()

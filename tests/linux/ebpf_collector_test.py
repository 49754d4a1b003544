#!/usr/bin/python3
"""Integration tests of the eBPF collector (issue 6), with real processes and
the real kernel: `proctree record --source ebpf -o FILE`, `proctree decode`.

  ebpf_collector_test.py --proctree PATH [--thread-helper PATH] CASE
  (CASE: storm, detach, start_time, loss, threads, verifier, usage)

Every wait polls for its condition with a generous deadline. In CI (root, a
kernel with BTF) the eBPF source must load: if it cannot, these tests FAIL
with the source's own one-line reason; they never skip.
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

DEADLINE_S = 120
# PT_EXIT_SIGNALED | PT_EXIT_CORE_DUMPED | PT_EXIT_CODE_UNKNOWN; the usage-known flags may be set beside them
STATUS_FLAGS = 0x7


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def poll(cond, what, timeout=DEADLINE_S, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(interval)
    raise Failure(f"timed out after {timeout}s waiting for {what}")


def decode(proctree, path):
    """Records of a (possibly still growing) stream; a cut last record is
    ignored (decode keeps what precedes it)."""
    out = subprocess.run([proctree, "decode", path], capture_output=True, text=True, errors="replace")
    records = []
    for line in out.stdout.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return records


class Recorder:
    def __init__(self, proctree, workdir, extra=()):
        self.proctree = proctree
        self.out = os.path.join(workdir, "stream.bin")
        self.err_path = os.path.join(workdir, "record.err")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen([proctree, "record", "--source", "ebpf", "-o", self.out, *extra],
                                     stdout=subprocess.DEVNULL, stderr=self.err)

    def stderr(self):
        with open(self.err_path) as f:
            return f.read().strip()

    def records(self):
        return decode(self.proctree, self.out) if os.path.exists(self.out) else []

    def wait_ready(self):
        """The initial snapshot is on disk: every later process is live."""
        def ready():
            if self.proc.poll() is not None:
                raise Failure(f"eBPF source did not start (exit {self.proc.returncode}): {self.stderr()}")
            return any(r["type"] == "snapshot_end" for r in self.records())
        poll(ready, "the initial snapshot")

    def stop(self, sig=signal.SIGINT):
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure(f"recorder ignored signal {sig}")
        check(rc == 0, f"recorder exited {rc} after signal {sig}: {self.stderr()}")
        return self.records()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def identity(r):
    return (r["pid"], r["start_ns"])


def bpf_objects_of(pid):
    """IDs of the BPF programs, maps and links held by pid's descriptors."""
    found = set()
    fd_dir = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fd_dir):
        try:
            with open(os.path.join(fd_dir, fd)) as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("prog_id", "map_id", "link_id"):
                        found.add((key[:-3], int(value)))
        except OSError:
            pass
    return found


def bpf_object_exists(kind, ident):
    r = subprocess.run(["bpftool", "-j", kind, "show", "id", str(ident)], capture_output=True, text=True)
    return r.returncode == 0


def proc_start_ns(pid):
    """The wire rule, computed independently: btime*1e9 + ticks*1e9/CLK_TCK."""
    with open("/proc/stat") as f:
        btime = next(int(l.split()[1]) for l in f if l.startswith("btime "))
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    ticks = int(stat[stat.rindex(")") + 2:].split()[19])
    return btime * 1_000_000_000 + ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------
def case_storm(args, workdir):
    """Every one of N processes is recorded with its exact name, executable
    and argv, created and exited with the same identity; exit codes, signals
    and threads decoded."""
    n = args.count
    bindir = os.path.join(workdir, "bin")
    os.mkdir(bindir)
    true_real = os.path.realpath("/bin/true")
    for i in range(n):
        os.symlink("/bin/true", os.path.join(bindir, f"ptst-{i:05d}"))
    os.symlink(shutil.which("bash"), os.path.join(bindir, "ptex-seven"))
    os.symlink(shutil.which("sleep"), os.path.join(bindir, "ptsig-kill"))
    os.symlink("/bin/true", os.path.join(bindir, "ptlong"))
    rec = Recorder(args.proctree, workdir)
    try:
        rec.wait_ready()
        # Two loops at once, one per core; each process exits at once.
        loop = 'i=$1; while [ "$i" -lt "$2" ]; do n=$(printf %05d "$i"); "$3/ptst-$n" "arg $i" "x$i"; i=$((i+2)); done'
        shells = [subprocess.Popen(["bash", "-c", loop, "storm", str(k), str(n), bindir]) for k in (0, 1)]
        for s in shells:
            check(s.wait() == 0, "storm loop failed")
        seven = subprocess.run([os.path.join(bindir, "ptex-seven"), "-c", "exit 7"])
        check(seven.returncode == 7, "exit 7 helper")
        victim = subprocess.Popen([os.path.join(bindir, "ptsig-kill"), "300"])
        victim.kill()
        victim.wait()
        # join() returns before the kernel thread is gone: wait for it, so that
        # it (not the leader, in exit_group) is the one thread exit.
        threaded = subprocess.Popen([sys.executable, "-c",
                                     "import ctypes, os, threading, time\n"
                                     "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
                                     "while len(os.listdir('/proc/self/task')) > 1: time.sleep(0.001)\n"
                                     "ctypes.CDLL(None).prctl(15, b'pt-renamed', 0, 0, 0)"])
        check(threaded.wait() == 0, "threaded helper")

        subprocess.run([os.path.join(bindir, "ptlong"), "a" * 6000], check=True)  # argv beyond 4 KiB
        names = {f"ptst-{i:05d}" for i in range(n)} | {"ptex-seven", "ptsig-kill", "ptlong"}

        def all_exited():
            recs = rec.records()
            execs = {identity(r): r["name"] for r in recs if r["type"] == "exec" and r["name"] in names}
            exits = {identity(r) for r in recs if r["type"] == "exit"}
            return len(set(execs.values())) == len(names) and all(i in exits for i in execs)
        poll(all_exited, f"exec and exit of all {n} storm processes")
        recs = rec.stop()
    finally:
        rec.kill()

    lost = [r for r in recs if r["type"] == "events_lost"]
    check(not lost, f"events lost in a {n}-process storm: {lost}")
    creates = {identity(r): r for r in recs if r["type"] == "create"}
    exits = {identity(r): r for r in recs if r["type"] == "exit"}
    execs = {}
    for r in recs:
        if r["type"] == "exec":
            execs.setdefault(r["name"], []).append(r)
    shell_pids = {s.pid for s in shells}
    bad = []
    for i in range(n):
        name = f"ptst-{i:05d}"
        got = execs.get(name, [])
        if len(got) != 1:
            bad.append(f"{name}: {len(got)} exec records")
            continue
        e = got[0]
        want_cmd = f"{bindir}/{name} arg {i} x{i}"
        if e["cmdline"] != want_cmd or e["image"] != true_real or e["flags"] != 0:
            bad.append(f"{name}: image {e['image']!r} cmdline {e['cmdline']!r} flags {e['flags']}")
        c = creates.get(identity(e))
        if not c or c["ppid"] not in shell_pids:
            bad.append(f"{name}: no create from a storm shell for {identity(e)}: {c}")
        x = exits.get(identity(e))
        if not x or x["exit_code"] != 0 or x["signal"] != 0:
            bad.append(f"{name}: exit {x}")
    check(not bad, f"{len(bad)} of {n} storm processes wrong, e.g.: " + "; ".join(bad[:5]))

    seven_exec = execs["ptex-seven"][0]
    x = exits[identity(seven_exec)]
    check(x["exit_code"] == 7 and x["signal"] == 0 and (x["exit_flags"] & STATUS_FLAGS) == 0, f"exit 7 decoded as {x}")
    check(seven_exec["cmdline"] == f"{bindir}/ptex-seven -c exit 7", f"cmdline {seven_exec['cmdline']!r}")
    long_exec = execs["ptlong"][0]
    want_long = (f"{bindir}/ptlong " + "a" * 6000)[:4096]
    check(long_exec["cmdline"] == want_long and long_exec["flags"] & 4,
          f"argv beyond 4 KiB: {len(long_exec['cmdline'])} bytes, flags {long_exec['flags']}")
    kill_exec = execs["ptsig-kill"][0]
    x = exits[identity(kill_exec)]
    check(x["signal"] == 9 and x["exit_flags"] & 1, f"SIGKILL decoded as {x}")
    threaded_ident = next((identity(r) for r in recs if r["type"] == "create" and r["pid"] == threaded.pid), None)
    check(threaded_ident is not None, "python helper's create")
    tcreate = [r for r in recs if r["type"] == "thread_create" and identity(r) == threaded_ident]
    texit = [r for r in recs if r["type"] == "thread_exit" and identity(r) == threaded_ident]
    check(tcreate and texit and tcreate[0]["tid"] == texit[0]["tid"] != threaded_ident[0],
          f"thread create/exit of the python helper: {tcreate} {texit}")
    check(threaded_ident in exits and exits[threaded_ident]["exit_code"] == 0, "python helper's process exit")
    renames = [r for r in recs if r["type"] == "rename"]
    check([r["name"] for r in renames if identity(r) == threaded_ident] == ["pt-renamed"],
          f"prctl(PR_SET_NAME) of the python helper: {[r for r in renames if identity(r) == threaded_ident]}")
    storm_idents = {identity(r) for r in recs if r["type"] == "exec" and r["name"].startswith("ptst-")}
    check(not [r for r in renames if identity(r) in storm_idents], "an exec reported as a rename too")
    print(f"storm: {n}/{n} processes with exact name, image and argv; exit 7, SIGKILL, a thread, a rename, argv cut at 4 KiB")


def case_detach(args, workdir):
    """Nothing stays loaded after SIGINT, SIGTERM or SIGKILL: every program,
    map and link the recorder held is gone once it has exited."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        sub = os.path.join(workdir, sig.name)
        os.mkdir(sub)
        rec = Recorder(args.proctree, sub)
        try:
            rec.wait_ready()
            held = bpf_objects_of(rec.proc.pid)
            kinds = {k for k, _ in held}
            check(kinds == {"prog", "map", "link"}, f"recorder holds {sorted(held)}: expected programs, maps, links")
            check(all(bpf_object_exists(k, i) for k, i in held), "bpftool does not see the recorder's objects")
            if sig == signal.SIGKILL:
                rec.proc.kill()
                rec.proc.wait()
            else:
                rec.stop(sig)
            poll(lambda: not any(bpf_object_exists(k, i) for k, i in held),
                 f"the BPF objects {sorted(held)} to go after {sig.name}", timeout=30)
        finally:
            rec.kill()
        print(f"detach: {len(held)} BPF objects gone after {sig.name}")


def case_start_time(args, workdir):
    """Identities agree with /proc: a process running before the recording
    (snapshot) and one started during it (live fork) carry the start_ns that
    /proc gives (btime + ticks); both exits use the same identity."""
    before = subprocess.Popen(["sleep", "300"])
    poll(lambda: os.path.exists(f"/proc/{before.pid}/stat"), "sleep to start")
    rec = Recorder(args.proctree, workdir)
    during = None
    try:
        rec.wait_ready()
        during = subprocess.Popen(["sleep", "301"])
        poll(lambda: any(r["type"] == "exec" and r["pid"] == during.pid for r in rec.records()),
             "the live exec of the second sleep")
        want = {before.pid: proc_start_ns(before.pid), during.pid: proc_start_ns(during.pid)}
        before.kill()
        during.kill()
        before.wait()
        during.wait()
        poll(lambda: {before.pid, during.pid} <= {r["pid"] for r in rec.records() if r["type"] == "exit"},
             "both exits")
        recs = rec.stop()
    finally:
        rec.kill()
        for p in (before, during):
            if p and p.poll() is None:
                p.kill()
    end = next(i for i, r in enumerate(recs) if r["type"] == "snapshot_end")
    snap = [r for r in recs[:end] if r["type"] == "create" and r["pid"] == before.pid]
    check(len(snap) == 1 and snap[0]["start_ns"] == want[before.pid],
          f"snapshot identity of pid {before.pid}: {snap}, /proc says {want[before.pid]}")
    live = [r for r in recs[end:] if r["type"] == "create" and r["pid"] == during.pid]
    check(len(live) == 1 and live[0]["start_ns"] == want[during.pid],
          f"live identity of pid {during.pid}: {live}, /proc says {want[during.pid]}")
    for pid in want:
        ex = [r for r in recs if r["type"] == "exit" and r["pid"] == pid]
        check(len(ex) == 1 and ex[0]["start_ns"] == want[pid] and ex[0]["signal"] == 9,
              f"exit of {pid}: {ex}, want start {want[pid]}")
    print(f"start_time: snapshot and live identities equal /proc's ({want})")


def case_loss(args, workdir):
    """A full ring buffer is reported (events_lost, count > 0) and followed
    by a complete resync snapshot that includes a process whose creation fell
    into the overflow."""
    rec = Recorder(args.proctree, workdir, extra=["--receive-buffer", "4096"])
    marker = None
    try:
        rec.wait_ready()
        os.kill(rec.proc.pid, signal.SIGSTOP)  # the reader stops; the 4 KiB ring must overflow
        try:
            subprocess.run(["bash", "-c", 'for i in $(seq 300); do /bin/true; done'], check=True)
            marker = subprocess.Popen(["sleep", "302"])
            poll(lambda: os.path.exists(f"/proc/{marker.pid}/stat"), "marker to start")
            marker_start = proc_start_ns(marker.pid)
        finally:
            os.kill(rec.proc.pid, signal.SIGCONT)

        poll(lambda: find_resync(rec.records(), marker.pid), "events_lost and a resync snapshot listing the marker")
        recs = rec.stop()
    finally:
        rec.kill()
        if marker:
            marker.kill()
            marker.wait()
    # Every loss is reported with a count and followed by a complete resync
    # (image facts, written off the capture path, may come in between).
    events = [r for r in recs if r["type"] != "image_facts"]
    for k, r in enumerate(events):
        if r["type"] == "events_lost":
            check(r["count"] > 0 and r["reason"] == 1, f"events_lost {r}")
            check(k + 1 < len(events) and events[k + 1]["type"] == "snapshot_begin" and events[k + 1]["reason"] == 2
                  and events[k + 1]["snapshot_flags"] & 1,
                  f"events_lost not followed by a complete resync: {events[k + 1:k + 2]}")
    found = find_resync(recs, marker.pid)
    check(found, f"no resync after a loss lists the marker {marker.pid}")
    _, begin, end = found
    inside = [r for r in recs[begin:end] if r["type"] == "create" and r["pid"] == marker.pid]
    check(len(inside) == 1 and inside[0]["start_ns"] == marker_start and inside[0]["name"] == "sleep",
          f"marker {marker.pid} in the resync: {inside}")
    total = sum(r["count"] for r in recs if r["type"] == "events_lost")
    print(f"loss: {total} events lost, reported, each time followed by a complete resync; the marker is in one")


def find_resync(recs, pid):
    """(events_lost, begin, end) indexes of a resync after a loss that lists pid."""
    lost = begin = None
    for k, r in enumerate(recs):
        if r["type"] == "events_lost":
            lost = k
        elif r["type"] == "snapshot_begin" and r["reason"] == 2:
            begin = k
        elif r["type"] == "snapshot_end" and begin is not None and lost is not None:
            if any(x["type"] == "create" and x["pid"] == pid for x in recs[begin:k]):
                return lost, begin, k
            begin = None
    return None


def case_threads(args, workdir):
    """Process exit versus thread exit: one process exit per process, from
    whichever thread ends last, with the process's status."""
    rec = Recorder(args.proctree, workdir)
    try:
        rec.wait_ready()
        group = subprocess.Popen([args.thread_helper, "group"])
        check(group.wait() == 3, "group helper's status")
        leader = subprocess.Popen([args.thread_helper, "leader"])
        check(leader.wait() == 0, "leader helper's status")
        pids = {group.pid, leader.pid}
        poll(lambda: pids <= {r["pid"] for r in rec.records() if r["type"] == "exit"}, "both process exits")
        recs = rec.stop()
    finally:
        rec.kill()

    def of(pid, kind):
        return [r for r in recs if r["type"] == kind and r["pid"] == pid]
    for pid in pids:
        execs = of(pid, "exec")
        check(len(execs) == 1, f"exec of {pid}: {execs}")
        ident = identity(execs[0])
        for kind in ("thread_create", "thread_exit", "exit"):
            check(all(identity(r) == ident for r in of(pid, kind)), f"{kind} identities of {pid}")
        check(len(of(pid, "thread_create")) == 1 and len(of(pid, "thread_exit")) == 1 and len(of(pid, "exit")) == 1,
              f"pid {pid}: {[(r['type'], r.get('tid')) for r in recs if r.get('pid') == pid]}")
    second = of(group.pid, "thread_create")[0]["tid"]
    te = of(group.pid, "thread_exit")[0]
    check(te["tid"] == second and te["exit_code"] == 3, f"group: the exiting thread {te}")
    x = of(group.pid, "exit")[0]
    check(x["exit_code"] == 3 and x["signal"] == 0, f"group: process exit {x}")
    te = of(leader.pid, "thread_exit")[0]
    check(te["tid"] == leader.pid, f"leader: the leader's end is a thread exit: {te}")
    x = of(leader.pid, "exit")[0]
    check(x["exit_code"] == 0 and x["signal"] == 0, f"leader: process exit {x}")
    print("threads: exit_group from a second thread and a leader leaving first, each one process exit")


def case_verifier(args, workdir):
    """Each program passes the verifier in under 100,000 instructions (the
    source reports bpf_prog_info.verified_insns at attach), and the path walk
    that keeps it small still gives the exact executable path: deep
    directories, and across a mount point (a tmpfs mounted for the test)."""
    mnt = os.path.join(workdir, "mnt")
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "proctree-test", mnt], check=True)
    try:
        deep = os.path.join(mnt, *[f"d{i}" for i in range(12)])
        os.makedirs(deep)
        exes = [os.path.join(deep, "ptdeep-true"), os.path.join(mnt, "ptmnt-true")]
        for exe in exes:
            shutil.copy("/bin/true", exe)
        rec = Recorder(args.proctree, workdir)
        try:
            rec.wait_ready()
            for exe in exes:
                subprocess.run([exe, "x"], check=True)
            names = {os.path.basename(e) for e in exes}
            poll(lambda: {r["name"] for r in rec.records() if r["type"] == "exec"} >= names, "the two execs")
            recs = rec.stop()
        finally:
            rec.kill()
    finally:
        subprocess.run(["umount", "-l", mnt])
    said = rec.stderr()
    counts = dict((name, int(n)) for name, n in re.findall(r"(pt_\w+) (\d+)", said.partition("verified instructions:")[2]))
    check({"pt_fork", "pt_exec", "pt_rename"} <= set(counts), f"no verified instruction counts in: {said!r}")
    check(all(0 < n < 100_000 for n in counts.values()), f"verified instructions: {counts}")
    for exe in exes:
        got = [r for r in recs if r["type"] == "exec" and r["name"] == os.path.basename(exe)]
        check(len(got) == 1 and got[0]["image"] == exe and got[0]["cmdline"] == f"{exe} x" and got[0]["flags"] == 0,
              f"exec of {exe}: {got}")
    print(f"verifier: {counts}; exact paths 13 directories deep and across a mount")

# The traced child: burns CPU in a second thread (joined, so reaped before
# the end) and then in the main thread, touches 50 MiB, and writes what
# getrusage says of itself just before it exits.
USAGE_CHILD = r"""
import json, resource, sys, threading, time
def burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
t = threading.Thread(target=burn, args=(0.15,))
t.start()
t.join()
burn(0.15)
block = b"x" * (50 << 20)
ru = resource.getrusage(resource.RUSAGE_SELF)
with open(sys.argv[1], "w") as f:
    json.dump({"cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kib": ru.ru_maxrss, "held": len(block)}, f)
"""


def case_usage(args, workdir):
    """An exit record carries the process's whole-life CPU time and peak RSS,
    read from the task in the kernel: a child that burns 0.3 s of CPU (half
    in a thread that ended before it) and touches 50 MiB shows at least
    0.2 s and 40 MiB, and agrees with what getrusage told the child itself."""
    said_path = os.path.join(workdir, "child.json")
    rec = Recorder(args.proctree, workdir)
    try:
        rec.wait_ready()
        child = subprocess.Popen(["/usr/bin/python3", "-c", USAGE_CHILD, said_path])
        check(child.wait(timeout=DEADLINE_S) == 0, "the usage child failed")
        exit_of = lambda: [r for r in rec.records() if r["type"] == "exit" and r["pid"] == child.pid]
        exits = poll(exit_of, f"the exit of {child.pid}")
        rec.stop()
    finally:
        rec.kill()
    with open(said_path) as f:
        said = json.load(f)
    x = exits[-1]
    check(x["exit_flags"] & 0x18 == 0x18, f"exit of {child.pid} does not say its usage is known: {x}")
    cpu_s, rss_mib = x["cpu_ns"] / 1e9, x["peak_rss_bytes"] / (1 << 20)
    check(x["size"] == 64, f"exit record of {x['size']} bytes")
    check(cpu_s >= 0.2, f"CPU time {cpu_s:.3f} s < 0.2 s: {x}")
    check(rss_mib >= 40, f"peak RSS {rss_mib:.1f} MiB < 40 MiB: {x}")
    # The kernel's figures at exit are at least what the child saw of itself
    # a moment before (getrusage rounds to ticks; allow 10% below), and the
    # peak is the one getrusage reports.
    check(cpu_s >= 0.9 * said["cpu_s"], f"CPU time {cpu_s:.3f} s < the child's own {said['cpu_s']:.3f} s")
    check(cpu_s <= said["cpu_s"] + 0.5, f"CPU time {cpu_s:.3f} s far above the child's own {said['cpu_s']:.3f} s")
    said_mib = said["maxrss_kib"] / 1024
    check(abs(rss_mib - said_mib) <= max(2.0, 0.05 * said_mib),
          f"peak RSS {rss_mib:.1f} MiB, getrusage said {said_mib:.1f} MiB")
    print(f"usage: exit of {child.pid}: cpu {cpu_s:.3f} s (child saw {said['cpu_s']:.3f} s), "
          f"peak RSS {rss_mib:.1f} MiB (child saw {said_mib:.1f} MiB)")


CASES = {"usage": case_usage, "verifier": case_verifier, "threads": case_threads, "storm": case_storm, "detach": case_detach, "start_time": case_start_time, "loss": case_loss}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proctree", required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--thread-helper", help="ebpf_thread_helper (the threads case)")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix=f"proctree-ebpf-{args.case}-")
    try:
        CASES[args.case](args, workdir)
    except Failure as e:
        print(f"FAIL ebpf {args.case}: {e}", file=sys.stderr)
        print(f"(artifacts kept in {workdir})", file=sys.stderr)
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

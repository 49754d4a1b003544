#!/usr/bin/python3
"""Integration tests of the Linux collectors with real processes and the real
kernel interfaces, through the real commands (`proctree record`, `decode`,
`snapshot --from`). Run as root; ctest runs one case per invocation:

  live_test.py --proctree PATH tree --source netlink|poll|ebpf
  live_test.py --proctree PATH unprivileged
  live_test.py --proctree PATH loss

Every wait polls a condition with a generous deadline; nothing sleeps as a
way of waiting for something to happen.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time

DEADLINE_S = 60
SKIP = 77  # ctest SKIP_RETURN_CODE


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def wait_for(what, condition, timeout=DEADLINE_S, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    fail(f"timed out after {timeout} s waiting for {what}")


def decode(proctree, path, allow_partial=False):
    """The stream's records as dicts (one JSON object per line)."""
    out = subprocess.run([proctree, "decode", path], capture_output=True, text=True)
    if out.returncode != 0 and not allow_partial:
        fail(f"decode {path} failed ({out.returncode}): {out.stderr.strip()}")
    recs = []
    for line in out.stdout.splitlines():
        try:
            recs.append(json.loads(line))
        except json.JSONDecodeError:
            if not allow_partial:
                fail(f"decode printed a line that is not JSON: {line[:200]}")
    return recs


def remove_unless_kept(tmp):
    """PROCTREE_TEST_KEEP=1 keeps the recordings for a look after a failure."""
    if os.environ.get("PROCTREE_TEST_KEEP"):
        print(f"kept {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def ident(rec):
    return (rec["pid"], rec["start_ns"])


class Recording:
    """`proctree record` running in the background into a file."""

    def __init__(self, proctree, path, args, user_prefix=()):
        self.proctree, self.path = proctree, path
        self.err_path = path + ".stderr"
        self.proc = subprocess.Popen([*user_prefix, proctree, "record", "-o", path, *args],
                                     stdout=subprocess.DEVNULL, stderr=open(self.err_path, "w"))

    def records(self):
        # The file grows while we read: the last record may be incomplete.
        return decode(self.proctree, self.path, allow_partial=True) if os.path.exists(self.path) else []

    def wait_snapshot(self):
        def ready():
            if self.proc.poll() is not None:
                fail(f"recorder exited early ({self.proc.returncode}): {self.stderr()}")
            return any(r.get("type") == "snapshot_end" for r in self.records())
        wait_for("the recording's initial snapshot", ready)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("recorder did not stop on SIGINT")
        check(rc == 0, f"recorder exit status {rc}: {self.stderr()}")
        return decode(self.proctree, self.path)

    def stderr(self):
        return open(self.err_path).read()


class Model:
    """Processes of a decoded stream by identity: the final name, command
    line, parent and exit of each."""

    def __init__(self, recs):
        self.procs = {}
        self.snapshot_ids = set()
        in_snapshot = False
        for r in recs:
            t = r.get("type")
            if t == "snapshot_begin":
                in_snapshot = True
            elif t == "snapshot_end":
                in_snapshot = False
            elif t == "create":
                self.procs[ident(r)] = {"name": r["name"], "cmdline": r["cmdline"], "image": r["image"],
                                        "parent": (r["ppid"], r["parent_start_ns"]), "exit": None}
                if in_snapshot:
                    self.snapshot_ids.add(ident(r))
            elif t in ("exec", "rename") and ident(r) in self.procs:
                p = self.procs[ident(r)]
                p["name"] = r["name"]
                if t == "exec":
                    p["cmdline"], p["image"] = r["cmdline"], r["image"]
            elif t == "exit" and ident(r) in self.procs:
                self.procs[ident(r)]["exit"] = r

    def named(self, name):
        return [(i, p) for i, p in self.procs.items() if p["name"] == name]

    def one(self, name, parent=None, pid=None):
        """The process called name (with that parent identity, or pid)."""
        found = [(i, p) for i, p in self.named(name)
                 if (parent is None or p["parent"] == parent) and (pid is None or i[0] == pid)]
        if len(found) != 1:
            near = [(i, p["name"], p["cmdline"][:60]) for i, p in self.procs.items()
                    if (parent is not None and p["parent"] == parent) or (pid is not None and i[0] == pid)]
            fail(f"expected one process named {name} (parent {parent}, pid {pid}), found {len(found)}: "
                 f"{found}; processes with that parent or pid: {near}")
        return found[0]


def make_tools(tmp):
    """Distinctive names: a process's name (comm) is the base name of the
    file it executed, so symlinks give the tree's processes their own."""
    for name, target in [("ptt_root", "/bin/bash"), ("ptt_mid_a", "/bin/bash"), ("ptt_mid_b", "/bin/bash"),
                         ("ptt_leaf", "/bin/bash"), ("ptt_victim", "/bin/bash"), ("ptt_quick", "/bin/bash"),
                         ("ptt_long", "/bin/sleep"), ("ptt_survivor", "/bin/sleep")]:
        os.symlink(target, os.path.join(tmp, name))


def gated(fifo):
    """How many processes wait at the gate (a cat of the fifo)."""
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if open(f"/proc/{pid}/cmdline", "rb").read() == b"cat\0" + fifo.encode() + b"\0":
                count += 1
        except OSError:
            continue
    return count


def release(fifo, until):
    """Opens the gate until `until()` holds: each open-and-close for writing
    gives every reader blocked in open() an end of file; a cat that reaches
    its open() later gets the next one."""
    def opened_once():
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # ENXIO: nobody is reading right now
        return until()
    wait_for("the gated processes to pass the gate", opened_once)


def test_tree(args):
    source = args.source
    sees_short_lived = source != "poll"
    tmp = tempfile.mkdtemp(prefix=f"proctree-live-{source}-")
    root = rec = long_lived = None
    try:
        make_tools(tmp)
        env = dict(os.environ, PATH=f"{tmp}:{os.environ.get('PATH', '/usr/bin:/bin')}")
        long_lived = subprocess.Popen(["ptt_long", "1000"], env=env)  # running before the recording starts
        long_pid = long_lived.pid
        rec = Recording(args.proctree, os.path.join(tmp, "rec.ptr"), ["--source", source, "--interval", "100"])
        rec.wait_snapshot()
        fifo = os.path.join(tmp, "gate")
        os.mkfifo(fifo)
        # Every process of the tree waits on the fifo (in a cat), so that
        # even the poll source sees it; the test releases them all at once.
        gate = f"cat {fifo} >/dev/null"
        quick = "ptt_quick -c 'exit 7';" if sees_short_lived else ""
        script = f"""
            {quick}
            ptt_mid_a -c "{gate}; exit 3" &
            ( exec -a ptt-argv-b ptt_mid_b -c "ptt_leaf -c '{gate}; exit 4'; exit 5" ) &
            ptt_victim -c "{gate}; kill -USR1 \\$\\$" &
            wait
            exit 6
        """
        root = subprocess.Popen(["ptt_root", "-c", script], env=env, start_new_session=True)
        root_pid = root.pid
        wait_for("three processes at the gate", lambda: gated(fifo) == 3)
        expected = {"ptt_root", "ptt_mid_a", "ptt_mid_b", "ptt_leaf", "ptt_victim"}
        # The cats too: a scan can see a shell before its cat exists, and
        # polling must see each one before the gate opens.
        wait_for("the recording to show the whole tree, the three cats included",
                 lambda: (lambda m: expected <= {p["name"] for p in m.procs.values()} and sum(p["cmdline"] == f"cat {fifo}" for _, p in m.named("cat")) >= 3)(
                     Model(rec.records())))
        release(fifo, lambda: root.poll() is not None)
        check(root.returncode == 6, f"the tree's root exits 6, not {root.returncode}")
        long_lived.kill()
        long_lived.wait()

        def tree_exits_recorded():
            m = Model(rec.records())
            names = expected | {"ptt_long"}
            return all(any(p["exit"] for _, p in m.named(n)) for n in names)
        wait_for("the recording to show the tree's exits", tree_exits_recorded)
        recs = rec.stop()
    finally:
        # On failure, leave nothing behind: the tree (its own session), the
        # sleeper, the recorder.
        if root is not None and root.poll() is None:
            os.killpg(root.pid, signal.SIGKILL)
        if long_lived is not None and long_lived.poll() is None:
            long_lived.kill()
        if rec is not None and rec.proc.poll() is None:
            rec.proc.kill()
        remove_unless_kept(tmp)

    check(recs[0]["type"] == "header" and recs[0]["source"] == source,
          f"header names the source {source}: {recs[0]}")
    m = Model(recs)
    root_id, root_p = m.one("ptt_root", pid=root_pid)
    check(root_p["parent"][0] == os.getpid(), f"ptt_root's parent is this test ({os.getpid()}): {root_p['parent']}")
    ids = {"ptt_root": root_id}
    for name in ("ptt_mid_a", "ptt_mid_b", "ptt_victim"):
        ids[name], _ = m.one(name, parent=root_id)
    b = m.procs[ids["ptt_mid_b"]]
    check(b["cmdline"].startswith("ptt-argv-b -c ptt_leaf"), f"exec -a shows in ptt_mid_b's command line: {b['cmdline']!r}")
    ids["ptt_leaf"], leaf = m.one("ptt_leaf", parent=ids["ptt_mid_b"])
    check(leaf["cmdline"].startswith("ptt_leaf -c cat "), f"ptt_leaf's command line: {leaf['cmdline']!r}")
    check(leaf["image"] in ("/usr/bin/bash", "/bin/bash"), f"ptt_leaf's image is bash: {leaf['image']!r}")
    for gated_shell in ("ptt_mid_a", "ptt_leaf", "ptt_victim"):
        _, cat = m.one("cat", parent=ids[gated_shell])
        check(cat["cmdline"] == f"cat {fifo}", f"{gated_shell}'s cat: {cat['cmdline']!r}")

    def exit_of(name):
        p = m.procs[ids[name]]
        check(p["exit"] is not None, f"{name} has an exit record")
        return p["exit"]
    # Polling learns how a process ended from its pidfd once the process was
    # reaped (Linux 6.15+); a zombie at the scan, or an older kernel: unknown.
    def unknown_to_poll(e):
        return source == "poll" and e["exit_flags"] & 4
    for name, code in (("ptt_root", 6), ("ptt_mid_a", 3), ("ptt_mid_b", 5), ("ptt_leaf", 4)):
        e = exit_of(name)
        check(unknown_to_poll(e) or (e["exit_code"] == code and e["signal"] == 0), f"{name} exits {code}: {e}")
    e = exit_of("ptt_victim")
    check(unknown_to_poll(e) or (e["signal"] == signal.SIGUSR1 and e["exit_flags"] & 1),
          f"ptt_victim killed by SIGUSR1: {e}")
    if sees_short_lived:
        # The millisecond child: seen with its exit code. Its name is read
        # from /proc after the exec event; when it is gone before that, the
        # proc connector source keeps the name it knew (its parent's), never
        # an empty or invented one.
        quick = [p for i, p in m.procs.items() if p["parent"] == root_id and p["exit"]
                 and p["exit"]["exit_code"] == 7]
        check(len(quick) == 1, f"the millisecond child is seen with exit 7: {quick}")
        check(quick[0]["name"] in ("ptt_quick", "ptt_root"), f"the millisecond child's name: {quick[0]['name']!r}")

    # The long-running process: one identity in the snapshot and in its exit.
    long_id, long_p = m.one("ptt_long", pid=long_pid)
    check(long_id in m.snapshot_ids, f"ptt_long is in the initial snapshot: {long_id}")
    check(long_p["exit"] is not None and ident(long_p["exit"]) == long_id, "ptt_long's exit uses its snapshot identity")
    check(unknown_to_poll(long_p["exit"]) or long_p["exit"]["signal"] == signal.SIGKILL,
          f"ptt_long killed by SIGKILL: {long_p['exit']}")
    print(f"tree via {source}: {len(recs)} records, all checks passed")


class ForeignSubscriber:
    """While open, subscribes to the proc connector and unsubscribes again
    every 20 ms (in pairs, so the kernel's count of listeners is left as it
    was): each request makes the kernel send an ack to every listener."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 11)  # NETLINK_CONNECTOR
        self.sock.bind((0, 1))  # CN_IDX_PROC
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def request(self, op):
        cn = struct.pack("=IIIIHHI", 1, 1, 0, 0, 4, 0, op)  # cn_msg{idx, val, seq, ack, len, flags}, op
        self.sock.send(struct.pack("=IHHII", 16 + len(cn), 3, 0, 0, 0) + cn)  # nlmsghdr, NLMSG_DONE

    def run(self):
        while not self.stop.wait(0.02):
            self.request(1)  # PROC_CN_MCAST_LISTEN
            self.request(2)  # PROC_CN_MCAST_IGNORE

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.sock.close()


def test_unprivileged(args):
    """As nobody: `record --source auto` says what it got and records a valid
    stream; `--source poll` says it polls; and where the proc connector does
    not answer (a user namespace), auto falls back to polling and says so."""
    if shutil.which("setpriv") is None:
        print("setpriv missing", file=sys.stderr)
        sys.exit(SKIP)
    tmp = tempfile.mkdtemp(prefix="proctree-nobody-")
    try:
        os.chmod(tmp, 0o777)
        binary = os.path.join(tmp, "proctree")
        shutil.copy2(args.proctree, binary)  # the build tree may not be reachable for nobody
        os.chmod(binary, 0o755)
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

        def record(name, extra, prefix=()):
            out = os.path.join(tmp, name)
            run = subprocess.run([*as_nobody, *prefix, binary, "record", "-o", out, "--duration", "2", *extra],
                                 capture_output=True, text=True, timeout=DEADLINE_S)
            check(run.returncode == 0, f"{name}: record as nobody exit {run.returncode}: {run.stderr}")
            recs = decode(binary, out)
            check(recs[0]["type"] == "header", f"{name}: starts with a header")
            types = [r["type"] for r in recs]
            check("snapshot_begin" in types and "snapshot_end" in types, f"{name}: has its snapshot")
            mine = [r for r in recs if r["type"] == "create" and r["pid"] == os.getpid()]
            check(mine, f"{name}: the snapshot shows this test's process")
            return run.stderr, recs

        said, recs = record("auto.ptr", ["--source", "auto"])
        chosen = recs[0]["source"]
        check(f"source: {chosen}" in said, f"auto says which source it got ({chosen}): {said!r}")
        check("ebpf" in said, f"auto says why eBPF was refused: {said!r}")
        if chosen == "poll":
            check("will be missed" in said, f"auto's poll says it misses short-lived processes: {said!r}")

        said, recs = record("poll.ptr", ["--source", "poll", "--interval", "100"])
        check(recs[0]["source"] == "poll", "poll source recorded")
        check("polling /proc every 100 ms" in said and "will be missed" in said, f"poll says it polls: {said!r}")

        # In a new user namespace the proc connector ignores the subscription.
        probe = subprocess.run([*as_nobody, "unshare", "--user", "true"], capture_output=True)
        if probe.returncode == 0:
            # Another program subscribing meanwhile (as root): its acks reach
            # every listener, ours too, and must not pass for an answer to us.
            with ForeignSubscriber():
                said, recs = record("userns.ptr", ["--source", "auto"], prefix=("unshare", "--user"))
            check(recs[0]["source"] == "poll", f"auto in a user namespace falls back to poll: {said!r}")
            check("netlink:" in said and "will be missed" in said, f"it says why and that it polls: {said!r}")
        else:
            print("note: unprivileged user namespaces unavailable; fallback case not run")
    finally:
        remove_unless_kept(tmp)
    print("unprivileged: all checks passed")


def proc_identities():
    """(pid, start_ns) of every process, computed as the collectors do."""
    btime = next(int(l.split()[1]) for l in open("/proc/stat") if l.startswith("btime "))
    hz = os.sysconf("SC_CLK_TCK")
    ids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            text = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if fields[0] in ("Z", "X"):
            continue  # exited, waiting to be reaped: not a living process
        ticks = int(fields[19])
        ids.add((int(pid), btime * 10**9 + (ticks // hz) * 10**9 + (ticks % hz) * 10**9 // hz))
    return ids


def identity_clock_ns():
    """Now on the clock of identity start times (btime + time since boot):
    btime is whole seconds, so this differs from the wall clock by up to 1 s."""
    btime = next(int(l.split()[1]) for l in open("/proc/stat") if l.startswith("btime "))
    return btime * 10**9 + time.clock_gettime_ns(time.CLOCK_BOOTTIME)


def living(snapshot_json):
    out = {}
    stack = list(snapshot_json["processes"])
    while stack:
        p = stack.pop()
        stack.extend(p.get("children", []))
        if "exit" not in p:
            out[(p["pid"], p["start_ns"])] = p
    return out


def test_loss(args):
    """A tiny receive buffer and a burst: the loss is reported and the model
    rebuilt from the recording converges to /proc."""
    tmp = tempfile.mkdtemp(prefix="proctree-loss-")
    survivors, doomed, burst = [], [], []
    rec = None
    try:
        make_tools(tmp)
        env = dict(os.environ, PATH=f"{tmp}:{os.environ.get('PATH', '/usr/bin:/bin')}")
        doomed = [subprocess.Popen(["ptt_long", "1000"], env=env) for _ in range(5)]
        path = os.path.join(tmp, "loss.ptr")
        rec = Recording(args.proctree, path, ["--source", "netlink", "--receive-buffer", "2048"])
        rec.wait_snapshot()
        # The burst: short-lived processes from two loops, and meanwhile
        # processes that stay and processes that go.
        burst = [subprocess.Popen(["bash", "-c", "for i in $(seq 3000); do /bin/true; done"]) for _ in range(2)]
        for i in range(10):
            survivors.append(subprocess.Popen(["ptt_survivor", "1000"], env=env))
        for p in doomed:
            p.kill()
            p.wait()
        for b in burst:
            check(b.wait(timeout=300) == 0, "burst loop ran")

        def lost_reported():
            return any(r["type"] == "events_lost" for r in rec.records())
        wait_for("an events_lost record", lost_reported)
        # Stop while the machine may still be overrunning the tiny buffer:
        # a stopped recording ends with a resync after its last loss.
        before = proc_identities()
        before_ns = identity_clock_ns()
        recs = rec.stop()
        after = proc_identities()
        last_lost = max(i for i, r in enumerate(recs) if r["type"] == "events_lost")
        check(any(r["type"] == "snapshot_end" and r.get("reason") == 2 for r in recs[last_lost:]),
              "the recording ends with a resync after its last loss")

        check(sum(r["type"] == "events_lost" for r in recs) >= 1, "events_lost recorded")
        snap = subprocess.run([args.proctree, "snapshot", "--from", path, "--format", "json",
                               "--highlight-ms", "0"], capture_output=True, text=True)
        check(snap.returncode == 0, f"snapshot --from: {snap.stderr}")
        model = living(json.loads(snap.stdout))
        stable = before & after
        missing = stable - set(model)
        check(not missing, f"processes alive throughout but missing from the model: {sorted(missing)[:10]}")
        # Anything else the model holds must have started after the first
        # scan (a process of the machine's own that came and went since).
        tick = 10**9 // os.sysconf("SC_CLK_TCK")
        stale = {i for i in set(model) - before - after if i[1] < before_ns - tick}
        check(not stale, f"processes in the model that /proc does not have: {sorted(stale)[:10]}")
        for s in survivors:
            ids = [i for i in model if i[0] == s.pid]
            check(len(ids) == 1 and model[ids[0]]["name"] == "ptt_survivor",
                  f"survivor {s.pid} in the model by name: {[model[i]['name'] for i in ids]}")
        for d in doomed:
            check(all(i[0] != d.pid or i in after for i in model), f"killed process {d.pid} gone from the model")
        print(f"loss: {sum(r['type'] == 'events_lost' for r in recs)} loss reports; model of "
              f"{len(model)} processes equals /proc ({len(stable)} stable)")
    finally:
        # On failure too, nothing is left running: the recorder, the burst,
        # the sleepers.
        if rec is not None and rec.proc.poll() is None:
            rec.proc.kill()
            rec.proc.wait()
        for p in survivors + doomed + burst:
            if p.poll() is None:
                p.kill()
            p.wait()
        remove_unless_kept(tmp)


def test_poll_exits(args):
    """Polling hears an exit from the process's pidfd, not at the next scan:
    with scans an hour apart, a process of the initial snapshot that is
    killed shows its exit, SIGKILL, at about the time it died."""
    tmp = tempfile.mkdtemp(prefix="proctree-poll-exits-")
    rec = None
    victim = subprocess.Popen(["sleep", "600"])
    try:
        rec = Recording(args.proctree, os.path.join(tmp, "rec.ptr"), ["--source", "poll", "--interval", "3600000"])
        rec.wait_snapshot()
        victim.kill()
        victim.wait()
        died = time.time_ns()

        def exit_seen():
            return next((r for r in rec.records() if r.get("type") == "exit" and r["pid"] == victim.pid), None)
        # Half the deadline: the next scan is an hour away.
        e = wait_for("the victim's exit, long before the next scan", exit_seen, timeout=DEADLINE_S / 2)
        check(e["signal"] == signal.SIGKILL, f"the exit says SIGKILL: {e}")
        check(abs(e["time_ns"] - died) < 5 * 10**9, f"the exit is timed at the death, not later: {e['time_ns'] - died} ns")
        rec.stop()
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
        if rec is not None and rec.proc.poll() is None:
            rec.proc.kill()
            rec.proc.wait()
        remove_unless_kept(tmp)
    print("poll exits from pidfds: all checks passed")


def test_foreign_proc(args):
    """Polling in a new pid namespace that still sees the old one's /proc
    (unshare without remounting it): pidfds would name other processes, so
    the source keeps to (pid, start), says so, and still sees every process."""
    tmp = tempfile.mkdtemp(prefix="proctree-foreign-proc-")
    rec = sleeper = None
    try:
        rec = Recording(args.proctree, os.path.join(tmp, "rec.ptr"), ["--source", "poll", "--interval", "100"],
                        user_prefix=["unshare", "--pid", "--fork", "--kill-child"])
        rec.wait_snapshot()
        snapshot = {r["pid"] for r in rec.records() if r.get("type") == "create"}
        check(os.getpid() in snapshot and 1 in snapshot,
              f"the snapshot lists this test ({os.getpid()}) and init: {len(snapshot)} processes")
        sleeper = subprocess.Popen(["sleep", "600"])
        wait_for("the create of a process started after the snapshot",
                 lambda: any(r.get("type") == "create" and r["pid"] == sleeper.pid for r in rec.records()))
        check("another pid namespace" in rec.stderr(), f"the source says why it has no pidfds: {rec.stderr()!r}")
    finally:
        if sleeper is not None:
            sleeper.kill()
            sleeper.wait()
        if rec is not None and rec.proc.poll() is None:
            rec.proc.kill()  # --kill-child: the recorder goes with it
            rec.proc.wait()
        remove_unless_kept(tmp)
    print("poll beside a foreign /proc: all checks passed")


def test_storm_names(args):
    """A vfork+exec storm of /bin/true through the proc connector, as fast
    as the machine goes: the source stops reading each new image at once
    (and says so), and still names at least 99% of the children exactly:
    those gone before /proc was read get their name from the kernel's exit
    accounting. Every child's create and exit are there."""
    tmp = tempfile.mkdtemp(prefix="proctree-storm-")
    rec = None
    try:
        path = os.path.join(tmp, "storm.ptr")
        rec = Recording(args.proctree, path, ["--source", "netlink"])
        rec.wait_snapshot()
        pidfile = os.path.join(tmp, "children")
        workers = os.cpu_count() or 1
        subprocess.run([args.spawner, "vfork", "20000", str(workers), pidfile], check=True,
                       stdout=subprocess.DEVNULL, timeout=DEADLINE_S)
        pairs = [tuple(map(int, line.split())) for line in open(pidfile)]
        children = {c for _, c in pairs}
        check(len(children) == 20000, f"the spawner started {len(children)} distinct children")

        def exits_recorded():
            return sum(r["type"] == "exit" and r["pid"] in children for r in rec.records()) >= len(children)
        wait_for("the exit of every child", exits_recorded, interval=0.5)
        recs = rec.stop()
        names, exited = {}, set()
        for r in recs:
            ident = (r.get("pid"), r.get("start_ns"))
            if r["type"] == "create" and r["pid"] in children:
                names[ident] = r["name"]
            elif r["type"] in ("exec", "rename") and ident in names:
                names[ident] = r["name"]
            elif r["type"] == "exit" and ident in names:
                exited.add(ident)
        exact = sum(n == "true" for n in names.values())
        check(len(names) == len(children), f"{len(names)} children created of {len(children)}")
        check(len(exited) == len(children), f"{len(exited)} children exited of {len(children)}")
        check(exact >= 0.99 * len(children), f"only {exact} of {len(children)} children named exactly")
        check("a storm of execs" in rec.stderr(), f"no storm said: {rec.stderr()}")
        print(f"storm: {len(children)} children, {exact} ({100.0 * exact / len(children):.2f}%) named exactly, "
              f"{sum(r['type'] == 'rename' and (r['pid'], r['start_ns']) in names for r in recs)} by their exit")
    finally:
        if rec is not None and rec.proc.poll() is None:
            rec.proc.kill()
            rec.proc.wait()
        remove_unless_kept(tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proctree", required=True)
    sub = ap.add_subparsers(dest="case", required=True)
    t = sub.add_parser("tree")
    t.add_argument("--source", required=True)
    sub.add_parser("unprivileged")
    sub.add_parser("loss")
    sub.add_parser("foreign-proc")
    sub.add_parser("poll-exits")
    sub.add_parser("storm-names").add_argument("--spawner", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("these tests need root (they watch every process and switch users)", file=sys.stderr)
        sys.exit(SKIP)
    {"tree": test_tree, "unprivileged": test_unprivileged, "loss": test_loss, "foreign-proc": test_foreign_proc,
     "poll-exits": test_poll_exits, "storm-names": test_storm_names}[args.case](args)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A pid reused within one clock tick, on the real kernel, through the real
commands: every create is a new process, every exit ends the right one, and
a viewer started afterwards (a /proc snapshot) agrees with the recording.

  pid_reuse_test.py --proctree PATH --helper PATH --source ebpf|netlink|poll

Start times are clock ticks, so a pid reused within one tick repeats the
identity (pid, start). The helper forces it 100 times with ns_last_pid.
netlink and eBPF report the pids of the initial PID namespace, so there the
helper sets the initial namespace's ns_last_pid (another process taking the
pid first is a miss; the helper retries). The poll source reads /proc, so it
runs with the helper in a new PID namespace (unshare --pid --fork
--mount-proc), where nothing else takes pids. Waits poll conditions with
generous deadlines.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import live_test  # beside this file: the live suite's shared helpers
from live_test import DEADLINE_S, fail, wait_for

HITS = 100
MAX_ROUNDS = 1000
SKIP = 77


def decode(proctree, path):
    # The file grows while it is read: the last line may be cut.
    return live_test.decode(proctree, path, allow_partial=True)


def subtree(proctree, args, pid):
    """Processes under `pid` in a `proctree snapshot` JSON, as a list of dicts."""
    out = subprocess.run([proctree, "snapshot", "--format", "json", "--pid", str(pid), *args],
                         capture_output=True, text=True)
    if out.returncode not in (0, 2):  # 2: a recording still being written ends mid-record
        fail(f"snapshot {args} failed ({out.returncode}): {out.stderr.strip()}")
    found = []

    def walk(nodes, inside):
        for n in nodes:
            if inside:
                found.append(n)
            walk(n["children"], inside or n["pid"] == pid)
    walk(json.loads(out.stdout)["processes"], False)
    return found


def run(args, tmp):
    quick, newproc = os.path.join(tmp, "ptq_quick"), os.path.join(tmp, "ptq_newproc")
    shutil.copy("/bin/true", quick)
    shutil.copy("/bin/sleep", newproc)
    path = os.path.join(tmp, "rec.ptr")
    rec = subprocess.Popen([args.proctree, "record", "-o", path, "--source", args.source, "--interval", "100"],
                           stdout=subprocess.DEVNULL, stderr=open(path + ".stderr", "w"))
    helper = None
    try:
        def snapshot_done():
            if rec.poll() is not None:
                fail(f"recorder exited ({rec.returncode}): {open(path + '.stderr').read()}")
            return any(r.get("type") == "snapshot_end" for r in decode(args.proctree, path))
        wait_for("the recording's initial snapshot", snapshot_done)

        helper = subprocess.Popen([args.helper, quick, newproc, str(HITS), str(MAX_ROUNDS)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        rounds = []
        for line in helper.stdout:
            words = line.split()
            if words[0] == "done":
                break
            rounds.append(tuple(int(w) for w in words[1:]))
        hits = [r for r in rounds if r[0] == r[2] and r[1] == r[3]]
        if len(hits) < HITS:
            fail(f"only {len(hits)} of {len(rounds)} rounds reused a pid within one tick")
        fresh = {r[2] for r in rounds}
        print(f"{len(hits)} same-tick reuses in {len(rounds)} rounds", file=sys.stderr)

        def all_created():  # a fork's create carries the parent's name; the exec follows
            created = {r["pid"] for r in decode(args.proctree, path)
                       if r.get("type") == "create" and r["ppid"] == helper.pid}
            return fresh <= created
        wait_for("the creates of every new process in the recording", all_created)
        if args.source != "poll":
            recs = decode(args.proctree, path)
            creates = {}
            for r in recs:
                if r.get("type") == "create" and r["ppid"] == helper.pid:
                    creates[(r["pid"], r["start_ns"])] = creates.get((r["pid"], r["start_ns"]), 0) + 1
            twice = [k for k, count in creates.items() if count == 2]
            if len(twice) < HITS:
                fail(f"the recording holds {len(twice)} identities created twice, expected {HITS}")

        # A viewer started now (a /proc snapshot) and the recording replayed
        # to now agree: the same living processes, with the same identities
        # (the replay keeps exited ones for the usual highlight time).
        live = {(p["pid"], p["start_ns"], p["name"]) for p in subtree(args.proctree, [], helper.pid)}
        shutil.copy(path, path + ".now")
        replayed = {(p["pid"], p["start_ns"], p["name"])
                    for p in subtree(args.proctree, ["--from", path + ".now"], helper.pid)
                    if p["state"] != "exited"}
        if live != replayed or len(live) != len(rounds):
            fail(f"{len(rounds)} new processes; a fresh viewer shows {len(live)}, the recording {len(replayed)}; "
                 f"only live: {sorted(live - replayed)[:5]}, only recorded: {sorted(replayed - live)[:5]}")

        helper.stdin.write("kill\n")
        helper.stdin.flush()
        if helper.stdout.readline().strip() != "killed":
            fail("the helper did not end its processes")

        # Polling may find them zombies, then gone without learning how they ended.
        def all_exited():
            return len([r for r in decode(args.proctree, path)
                        if r.get("type") == "exit" and r["pid"] in fresh and
                        (r["signal"] == 15 or (args.source == "poll" and r["exit_flags"] & 4))]) >= len(fresh)
        wait_for("every new process's exit (SIGTERM) in the recording", all_exited)
        rec.send_signal(signal.SIGINT)
        if rec.wait(timeout=DEADLINE_S) != 0:
            fail(f"recorder exit status {rec.returncode}: {open(path + '.stderr').read()}")
        ended = subtree(args.proctree, ["--from", path, "--highlight-ms", "1000000000"], helper.pid)
        if args.source == "poll":
            check_polled_ends(ended, rounds)
        else:
            check_event_ends(ended, rounds, check_names=args.source == "ebpf")
    finally:
        if helper and helper.poll() is None:
            helper.stdin.close()
            helper.wait(timeout=DEADLINE_S)
        if rec.poll() is None:
            rec.kill()
            rec.wait()


def check_polled_ends(ended, rounds):
    """Polling learns how a process ended from its pidfd once the process
    was reaped (Linux 6.15+); found a zombie, or on an older kernel, it says
    it does not know."""
    ends = {"ptq_quick": "exit 0", "ptq_newproc": "signal 15 (TERM)"}  # a scan rarely catches a quick one
    for p in ended:
        if p["name"] in ends and p.get("exit") not in ("exit ?", ends[p["name"]]):
            fail(f"{p['name']} pid {p['pid']} ended with {p.get('exit')!r}, expected 'exit ?' or {ends[p['name']]!r}")
    if len([p for p in ended if p["name"] == "ptq_newproc"]) != len(rounds):
        fail(f"the recording ends with {len(ended)} processes under the helper, expected {len(rounds)} new ones")


def check_event_ends(ended, rounds, check_names):
    """Each pid's processes, in creation order, ended as the helper made them end.

    Roles come from the helper's own list, not from names: the proc connector
    carries no names, and a name read from /proc for a process that is already
    gone can be its same-tick successor's (eBPF names come from the kernel)."""
    expected = {}
    for quick_pid, _, fresh_pid, _ in rounds:
        expected.setdefault(quick_pid, []).append(("ptq_quick", "exit 0"))
        expected.setdefault(fresh_pid, []).append(("ptq_newproc", "signal 15 (TERM)"))
    actual = {}
    for p in ended:
        actual.setdefault(p["pid"], []).append((p["name"], p.get("exit")))
    for pid, want in expected.items():
        got = actual.get(pid, [])
        if not check_names:
            want, got = [w[1] for w in want], [g[1] for g in got]
        if got != want:
            fail(f"pid {pid}: its processes ended {got!r}, expected {want!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proctree", required=True)
    ap.add_argument("--helper", required=True)
    ap.add_argument("--source", required=True, choices=["ebpf", "netlink", "poll"])
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (ns_last_pid, event sources)", file=sys.stderr)
        sys.exit(SKIP)
    if args.source == "poll" and not args.inside:
        cmd = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, os.path.abspath(__file__),
               "--proctree", args.proctree, "--helper", args.helper, "--source", "poll", "--inside"]
        sys.exit(subprocess.run(cmd).returncode)
    tmp = tempfile.mkdtemp(prefix=f"proctree-pidreuse-{args.source}-")
    try:
        run(args, tmp)
    finally:
        if os.environ.get("PROCTREE_TEST_KEEP"):
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"ok: {args.source}")


if __name__ == "__main__":
    main()

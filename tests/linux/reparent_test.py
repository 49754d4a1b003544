#!/usr/bin/python3
"""Re-parenting on the real kernel, through the real commands: a double fork
whose middle process exits leaves its child (the orphan) to the kernel, which
gives it a new parent. The recording must say so with a reparent record
naming the parent /proc names, and `snapshot --from` must place the orphan
under that parent while keeping who spawned it.

  reparent_test.py --proctree PATH --source netlink|poll|ebpf

Two cases:
  1. a plain double fork: the orphan goes to init, or to a subreaper above
     the test (whatever /proc/ORPHAN/stat names afterwards);
  2. a subreaper chain: the test sets itself PR_SET_CHILD_SUBREAPER and
     starts a helper that does the same; the helper's double fork leaves the
     orphan to the helper, then the helper exits and the orphan comes to
     the test process: two reparent records.
Every wait polls with a deadline.
"""
import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_test import SKIP, Recording, check, fail, remove_unless_kept, wait_for  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36
# The middle process: starts the orphan, says its pid, waits for a line.
MIDDLE = ["sh", "-c", "sleep 600 </dev/null >/dev/null 2>&1 & echo $!; read line"]
HELPER = r"""
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
middle = subprocess.Popen(%r, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
orphan = int(middle.stdout.readline())
print(middle.pid, orphan, flush=True)
sys.stdin.readline()
middle.stdin.write("\n"); middle.stdin.flush(); middle.wait()
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    if open(f"/proc/{orphan}/stat").read().rsplit(")", 1)[1].split()[1] == str(os.getpid()):
        break
    time.sleep(0.02)
print("moved", flush=True)
sys.stdin.readline()
""" % (MIDDLE,)


def stat_ppid(pid):
    try:
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def find(recs, type_, **fields):
    return [r for r in recs if r.get("type") == type_ and all(r.get(k) == v for k, v in fields.items())]


class Case:
    def __init__(self, rec):
        self.rec = rec

    def seen_under(self, orphan, middle):
        """The source announced the orphan as the middle's child."""
        wait_for(f"the orphan {orphan} under {middle} in the recording",
                 lambda: find(self.rec.records(), "create", pid=orphan, ppid=middle))

    def reparented(self, orphan, new_parent, previous):
        def seen():
            got = find(self.rec.records(), "reparent", pid=orphan)
            return [r for r in got if r["parent_pid"] == new_parent and r["previous_parent_pid"] == previous]
        found = wait_for(f"a reparent record of {orphan}: {previous} -> {new_parent}", seen)
        r = found[0]
        start = [c for c in find(self.rec.records(), "create", pid=orphan)][-1]["start_ns"]
        check(r["start_ns"] == start, f"reparent names start {r['start_ns']}, the create {start}")
        return r


def plain_double_fork(case):
    middle = subprocess.Popen(MIDDLE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    orphan = int(middle.stdout.readline())
    try:
        case.seen_under(orphan, middle.pid)
        middle.stdin.write("\n")
        middle.stdin.flush()
        middle.wait(timeout=60)
        truth = wait_for("the kernel to re-parent the orphan",
                         lambda: (lambda p: p if p not in (None, middle.pid) else None)(stat_ppid(orphan)))
        case.reparented(orphan, truth, middle.pid)
        print(f"double fork: orphan {orphan} went from {middle.pid} to {truth} (per /proc), recorded so")
    finally:
        try:
            os.kill(orphan, signal.SIGKILL)
        except ProcessLookupError:
            pass


def subreaper_chain(case):
    libc = ctypes.CDLL(None, use_errno=True)
    check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "prctl(PR_SET_CHILD_SUBREAPER) failed")
    helper = subprocess.Popen(["/usr/bin/python3", "-c", HELPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    middle_pid, orphan = map(int, helper.stdout.readline().split())
    try:
        case.seen_under(orphan, middle_pid)
        helper.stdin.write("\n")
        helper.stdin.flush()
        check(helper.stdout.readline().strip() == "moved", "the helper did not see its orphan come")
        case.reparented(orphan, helper.pid, middle_pid)
        helper.stdin.write("\n")
        helper.stdin.flush()
        helper.wait(timeout=60)
        wait_for("the orphan to come to the test process", lambda: stat_ppid(orphan) == os.getpid())
        case.reparented(orphan, os.getpid(), helper.pid)
        print(f"subreaper chain: orphan {orphan} went {middle_pid} -> {helper.pid} -> {os.getpid()}, recorded so")
        return orphan, middle_pid
    except BaseException:
        kill_child(orphan)
        raise
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def kill_child(pid):
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)  # ours now: the test was its subreaper
    except (ProcessLookupError, ChildProcessError):
        pass


def check_snapshot(proctree, path, orphan, middle_pid):
    """The tree as a fresh reader rebuilds it from the recording: under the
    test process now, spawned by the middle."""
    out = subprocess.run([proctree, "snapshot", "--from", path, "--format", "json", "--pid", str(orphan)],
                         capture_output=True, text=True)
    check(out.returncode == 0, f"snapshot failed: {out.stderr}")
    stack = list(json.loads(out.stdout)["processes"])
    while stack:
        p = stack.pop()
        if p["pid"] == orphan:
            check(p["ppid"] == os.getpid() and p["original_ppid"] == middle_pid,
                  f"snapshot shows ppid {p['ppid']}, original {p['original_ppid']}")
            check(p["reparented_ns"] is not None, "snapshot does not say it was re-parented")
            return
        stack.extend(p["children"])
    fail(f"snapshot --pid {orphan} does not show the orphan: {out.stdout[:400]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proctree", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: needs root")
        return SKIP
    tmp = tempfile.mkdtemp(prefix=f"proctree-reparent-{args.source}-")
    path = os.path.join(tmp, "rec.ptr")
    rec = Recording(args.proctree, path, ["--source", args.source, "--interval", "100"])
    try:
        rec.wait_snapshot()
        case = Case(rec)
        plain_double_fork(case)
        orphan, middle_pid = subreaper_chain(case)
        try:
            rec.stop()
            check_snapshot(args.proctree, path, orphan, middle_pid)
        finally:
            kill_child(orphan)
        print(f"reparent {args.source}: ok")
    finally:
        if rec.proc.poll() is None:
            rec.proc.kill()
        remove_unless_kept(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())

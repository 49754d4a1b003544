#!/usr/bin/python3
"""A 100 KB argument on the real kernel, through the real commands: the
recording carries the first PT_MAX_STRING (4096) bytes of the command line,
flagged as cut, with how many bytes are missing, and `snapshot` shows it in
JSON (cmdline_truncated, cmdline_missing_bytes) and in text (the marker).

  truncation_test.py --proctree PATH --source netlink|poll|ebpf

Two processes: one already running when the recording starts (its create
comes from the initial snapshot, read from /proc) and one started while it
records (the source's live path: an exec read by eBPF in the kernel, or
/proc read after the netlink event or by the next poll). Every wait polls
with a deadline.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_test import SKIP, Recording, check, fail, remove_unless_kept, wait_for  # noqa: E402

KEPT = 4096  # PT_MAX_STRING


def start(tag):
    """/bin/sh waiting on a line, with a 100,000-byte last argument."""
    argv = ["/bin/sh", "-c", "read x", f"trunc-{tag}", "A" * 99_990 + "-TAIL"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE)
    return proc, len(" ".join(argv))


def carried(rec, pid):
    """The last create or exec of pid whose command line is the shell's."""
    got = [r for r in rec.records()
           if r.get("type") in ("create", "exec") and r.get("pid") == pid and r["cmdline"].startswith("/bin/sh -c")]
    return got[-1] if got else None


def check_record(r, whole, what):
    check(len(r["cmdline"].encode()) == KEPT, f"{what}: {len(r['cmdline'])} bytes carried, expected {KEPT}")
    check(r.get("cmdline_truncated") is True, f"{what}: not flagged as cut: {dict(r, cmdline='...')}")
    check(r.get("cmdline_missing_bytes") == whole - KEPT,
          f"{what}: missing bytes {r.get('cmdline_missing_bytes')}, expected {whole - KEPT}")
    check("TAIL" not in r["cmdline"], f"{what}: carries the end of the argument")


def find(procs, pid):
    stack = list(procs)
    while stack:
        p = stack.pop()
        if p["pid"] == pid:
            return p
        stack.extend(p["children"])
    return None


def check_snapshot(proctree, path, pid, whole):
    out = subprocess.run([proctree, "snapshot", "--from", path, "--format", "json", "--pid", str(pid)],
                         capture_output=True, text=True)
    check(out.returncode == 0, f"snapshot --format json failed: {out.stderr}")
    p = find(json.loads(out.stdout)["processes"], pid)
    check(p is not None, f"snapshot --pid {pid} does not show it")
    check(p["cmdline_truncated"] is True and p["cmdline_missing_bytes"] == whole - KEPT,
          f"snapshot JSON: truncated {p['cmdline_truncated']}, missing {p['cmdline_missing_bytes']}")
    text = subprocess.run([proctree, "snapshot", "--from", path, "--pid", str(pid)], capture_output=True, text=True)
    marker = f"…(+{whole - KEPT:,} bytes)"
    line = [ln for ln in text.stdout.splitlines() if ln.lstrip().startswith(str(pid))]
    check(line and "A" * 20 + marker in line[0], f"snapshot text does not end the command line with {marker!r}: {line[0][-200:] if line else text.stdout[-300:]!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proctree", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skipped: needs root")
        return SKIP
    tmp = tempfile.mkdtemp(prefix=f"proctree-trunc-{args.source}-")
    path = os.path.join(tmp, "rec.ptr")
    before, whole_before = start("before")
    wait_for("the first shell's command line in /proc",
             lambda: os.path.getsize(f"/proc/{before.pid}/cmdline") > 0 or open(f"/proc/{before.pid}/cmdline").read())
    rec = Recording(args.proctree, path, ["--source", args.source, "--interval", "100"])
    after = None
    try:
        rec.wait_snapshot()
        after, whole_after = start("after")
        for proc, whole, what in ((before, whole_before, "snapshot"), (after, whole_after, "live")):
            r = wait_for(f"the {what} shell {proc.pid} in the recording", lambda: carried(rec, proc.pid))
            check_record(r, whole, f"{args.source} {what} record")
        rec.stop()
        check_snapshot(args.proctree, path, before.pid, whole_before)
        check_snapshot(args.proctree, path, after.pid, whole_after)
        print(f"truncation {args.source}: {KEPT} of {whole_after} bytes carried, "
              f"{whole_after - KEPT:,} missing, said so in the record, JSON and text")
    finally:
        for proc in (before, after):
            if proc:
                proc.kill()
                proc.wait()
        if rec.proc.poll() is None:
            rec.proc.kill()
        remove_unless_kept(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())

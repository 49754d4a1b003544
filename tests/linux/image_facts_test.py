#!/usr/bin/python3
"""Image facts from a live source, on the real kernel: 100 distinct binaries
run in a storm while `proctree record` captures; every one's exec is in the
stream, and its facts carry the size and the SHA-256 that `sha256sum` gives.

  image_facts_test.py --proctree PATH --source ebpf|netlink

Each binary is a copy of cat with its own trailing bytes (so each hash
differs); all 100 start at once and wait on a fifo, so that even the proc
connector, which reads the image from /proc, sees each one alive.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_test import Recording, check, fail, release, remove_unless_kept, wait_for, SKIP  # noqa: E402

COUNT = 100


def make_binaries(tmp):
    paths = []
    cat = shutil.which("cat") or "/bin/cat"
    for i in range(COUNT):
        path = os.path.join(tmp, f"ptf_bin_{i:03d}")
        shutil.copyfile(os.path.realpath(cat), path)
        with open(path, "ab") as f:  # the loader ignores bytes after the ELF's segments
            f.write(f"proctree image facts {i}\n".encode() * (i + 1))
        os.chmod(path, 0o755)
        paths.append(path)
    return paths


def sha256sums(paths):
    out = subprocess.run(["sha256sum", *paths], capture_output=True, text=True, check=True).stdout
    sums = {}
    for line in out.splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    return sums


def waiting_at(fifo):
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if open(f"/proc/{pid}/cmdline", "rb").read().endswith(b"\0" + fifo.encode() + b"\0"):
                count += 1
        except OSError:
            continue
    return count


def facts_for(recs, children):
    """exec record and its facts for each child pid that ran one of ours."""
    execs = {}
    for r in recs:
        if r.get("type") == "exec" and r["pid"] in children and r["image"] == children[r["pid"]]:
            execs[r["seq"]] = r
    facts = {}
    for r in recs:
        if r.get("type") == "image_facts" and r["event_seq"] in execs:
            facts[execs[r["event_seq"]]["pid"]] = r
    return {r["pid"]: r for r in execs.values()}, facts


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--proctree", required=True)
    p.add_argument("--source", required=True)
    args = p.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (live sources)", file=sys.stderr)
        sys.exit(SKIP)
    tmp = os.path.realpath(tempfile.mkdtemp(prefix=f"proctree-facts-{args.source}-"))
    rec, procs = None, []
    try:
        paths = make_binaries(tmp)
        expected = sha256sums(paths)
        fifo = os.path.join(tmp, "gate")
        os.mkfifo(fifo)
        rec = Recording(args.proctree, os.path.join(tmp, "rec.ptr"), ["--source", args.source])
        rec.wait_snapshot()
        procs = [subprocess.Popen([path, fifo], stdout=subprocess.DEVNULL) for path in paths]
        children = {proc.pid: path for proc, path in zip(procs, paths)}
        wait_for("all 100 binaries at the gate", lambda: waiting_at(fifo) >= COUNT)
        release(fifo, lambda: all(proc.poll() is not None for proc in procs))

        def all_facts():
            execs, facts = facts_for(rec.records(), children)
            return len(facts) == COUNT
        wait_for("facts for all 100 binaries in the recording", all_facts)
        recs = rec.stop()
        rec = None
        execs, facts = facts_for(recs, children)
        check(len(execs) == COUNT, f"{COUNT - len(execs)} of the {COUNT} execs missing from the stream")
        for pid, path in children.items():
            f = facts.get(pid)
            check(f is not None, f"no facts for {path} (pid {pid})")
            check(f["status"] == 0, f"{path}: facts status {f['status']} error {f['error']}")
            check(f["path"] == path, f"{path}: facts name {f['path']}")
            check((f["pid"], f["start_ns"]) == (execs[pid]["pid"], execs[pid]["start_ns"]),
                  f"{path}: facts for another identity")
            check(f["file_size"] == os.path.getsize(path), f"{path}: size {f['file_size']}")
            check(f["sha256"] == expected[path], f"{path}: sha256 {f['sha256']} != sha256sum {expected[path]}")
        print(f"ok: {COUNT} binaries, every exec captured, every SHA-256 equal to sha256sum ({args.source})")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if rec is not None:
            rec.proc.kill()
            rec.proc.wait()
        remove_unless_kept(tmp)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The flight recorder: `proctree record --rotate-mb N --keep K -o DIR/` over a
real process storm, next to one unrotated recording of the same storm. The
directory must stay within N x K MiB the whole time, every file must decode
on its own (header, then a snapshot), and `--from DIR/` must end in the same
tree of the storm as the unrotated recording. Needs root (a live source that
sees every process); exits 77 otherwise."""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ARGS = None
MIB = 1 << 20
KEEP = 3


def proctree(*argv, **kw):
    return subprocess.run([ARGS.proctree, *argv], capture_output=True, timeout=120, **kw)


def wait_for(what, condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def subtree(snapshot_json, root_pid):
    """The storm's processes in a `snapshot --format json` tree, flattened."""
    found = []

    def walk(node, inside):
        inside = inside or node["pid"] == root_pid
        if inside:
            found.append((node["pid"], node["start_ns"], node["ppid"], node["name"], node["cmdline"],
                          node["state"]))
        for child in node.get("children", []):
            walk(child, inside)

    for top in json.loads(snapshot_json)["processes"]:
        walk(top, False)
    return sorted(found)


def final_storm(source, root_pid):
    r = proctree("snapshot", "--from", source, "--highlight-ms", "0", "--format", "json")
    if r.returncode != 0:
        raise AssertionError(f"snapshot --from {source}: {r.stderr.decode()}")
    return subtree(r.stdout, root_pid)


class Recorder:
    def __init__(self, *argv):
        self.proc = subprocess.Popen([ARGS.proctree, "record", "--source", ARGS.source, *argv],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, err.decode()


def dir_files(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".ptr"))


class Rotation(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="proctree-rotation-")
        self.addCleanup(self.tmp.cleanup)
        self.children = []
        self.groups = []  # process groups to end with everything in them
        self.addCleanup(self.kill_children)

    def kill_children(self):
        for p in self.groups:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in self.children + self.groups:
            if p.poll() is None:
                p.kill()
            p.wait()
            if p.stdout:
                p.stdout.close()

    def snapshot_bytes(self):
        """How big one file's header and snapshot are on this machine now."""
        probe = os.path.join(self.tmp.name, "probe")
        rec = Recorder("--rotate-mb", "64", "-o", probe + "/")
        self.children.append(rec.proc)
        path = os.path.join(probe, "proctree-00000001.ptr")
        wait_for("the probe's snapshot", lambda: os.path.exists(path) and os.path.getsize(path) > 1000)
        time.sleep(0.2)  # let the snapshot finish flushing before measuring it
        rc, err = rec.stop()
        self.assertEqual(rc, 0, err)
        return os.path.getsize(path)

    def test_storm_rotates_within_bound_and_replays_to_the_same_tree(self):
        limit = max(3 * self.snapshot_bytes(), 64 * 1024)
        rotate_mb = limit / MIB
        bound = int(rotate_mb * MIB) * KEEP
        d = os.path.join(self.tmp.name, "flight")
        whole = os.path.join(self.tmp.name, "whole.ptr")

        rotated = Recorder("--rotate-mb", f"{rotate_mb:.6f}", "--keep", str(KEEP), "-o", d + "/")
        plain = Recorder("-o", whole)
        self.children += [rotated.proc, plain.proc]
        wait_for("both recorders' snapshots", lambda: os.path.isdir(d) and dir_files(d) and
                 os.path.exists(whole) and os.path.getsize(whole) > 1000)

        most = [0]
        stop_watch = threading.Event()

        def watch():  # the directory's size, as often as we can look
            while not stop_watch.is_set():
                try:
                    total = sum(os.path.getsize(os.path.join(d, f)) for f in dir_files(d))
                except FileNotFoundError:
                    continue  # a file removed while we looked
                most[0] = max(most[0], total)
                time.sleep(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        # The storm: a root with five sleepers that outlive it all, and
        # thousands of short-lived children between them.
        storm = subprocess.Popen(["/bin/sh", "-c",
                                  "for s in 1001 1002 1003; do sleep $s & done; "
                                  "while [ ! -e \"$1\" ]; do /bin/true; /bin/true; /bin/true; done; "
                                  "sleep 1004 & sleep 1005 & echo ready; wait", "storm",
                                  os.path.join(self.tmp.name, "enough")],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self.groups.append(storm)  # the sleepers go with it
        try:
            # Enough rotations that the oldest files were removed.
            wait_for("rotations past --keep",
                     lambda: max(int(f[9:17]) for f in dir_files(d)) > KEEP + 2, timeout=90)
        finally:
            open(os.path.join(self.tmp.name, "enough"), "w").close()
        self.assertEqual(storm.stdout.readline(), b"ready\n")
        want_sleepers = {f"sleep {s}" for s in range(1001, 1006)}

        def sleepers(source):
            return {p[4] for p in final_storm(source, storm.pid)} >= want_sleepers

        wait_for("the last sleepers in both recordings", lambda: sleepers(whole) and sleepers(d + "/"))
        for rec in (rotated, plain):
            rc, err = rec.stop()
            self.assertEqual(rc, 0, err)
        stop_watch.set()
        watcher.join()

        files = dir_files(d)
        print(f"\nrotation: {len(files)} files kept of {max(int(f[9:17]) for f in files)} written, "
              f"at most {most[0]} bytes seen, bound {bound} ({rotate_mb:.3f} MiB x {KEEP})", file=sys.stderr)
        self.assertLessEqual(len(files), KEEP)
        self.assertLessEqual(most[0], bound, "the directory grew past N x K MiB")
        for f in files:
            self.assertLessEqual(os.path.getsize(os.path.join(d, f)), int(rotate_mb * MIB), f)
            self.decodes_on_its_own(os.path.join(d, f))
        self.assertNotIn("proctree-00000001.ptr", files, "the oldest files were removed")

        from_dir = final_storm(d + "/", storm.pid)
        from_whole = final_storm(whole, storm.pid)
        self.assertEqual(from_dir, from_whole)
        names = [p[4] for p in from_dir]
        for s in want_sleepers:
            self.assertIn(s, names)

    def decodes_on_its_own(self, path):
        r = proctree("decode", path)
        self.assertEqual(r.returncode, 0, f"{path}: {r.stderr.decode()}")
        lines = [json.loads(l) for l in r.stdout.decode().splitlines()]
        self.assertEqual(lines[0]["type"], "header")
        self.assertEqual(lines[1]["type"], "snapshot_begin")
        self.assertIn("snapshot_end", [l["type"] for l in lines])
        self.assertEqual([l["seq"] for l in lines[1:]], list(range(len(lines) - 1)), "numbered from 0")

    def test_too_small_a_file_for_a_snapshot_is_one_line(self):
        d = os.path.join(self.tmp.name, "tiny")
        r = proctree("record", "--source", ARGS.source, "--rotate-mb", "0.001", "-o", d + "/",
                     "--duration", "5")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--rotate-mb 0.001 is too small", r.stderr.decode())
        for f in dir_files(d):
            self.assertLessEqual(os.path.getsize(os.path.join(d, f)), int(0.001 * MIB))

    def test_rotation_needs_a_directory(self):
        r = proctree("record", "--rotate-mb", "1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("add -o DIR/", r.stderr.decode())

    def test_restart_continues_the_numbering(self):
        d = os.path.join(self.tmp.name, "restart")
        for _ in range(2):
            r = proctree("record", "--source", ARGS.source, "--rotate-mb", "64", "-o", d + "/",
                         "--duration", "0.3")
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(dir_files(d), ["proctree-00000001.ptr", "proctree-00000002.ptr"])
        r = proctree("decode", d + "/")
        self.assertEqual(r.returncode, 0, r.stderr)
        kinds = [json.loads(l)["type"] for l in r.stdout.decode().splitlines()]
        self.assertEqual(kinds.count("header"), 1, "one stream")
        self.assertEqual(kinds.count("snapshot_begin"), 2, "each file's snapshot")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--proctree", required=True)
    p.add_argument("--source", default="auto")
    ARGS, rest = p.parse_known_args()
    if os.geteuid() != 0:
        print("rotation_test: needs root for a live source that sees every process; skipped")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()

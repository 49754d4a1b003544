#!/usr/bin/python3
"""proctree publish / follow through a real nats-server (Debian's): relay,
fleet of separate publisher processes, exactly once, gaps, spool limits,
an outage during a real process storm, TLS and per-user permissions."""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nats_lib  # noqa: E402
import wire_gen  # noqa: E402

ARGS = None


def proctree(*argv, stdin=None, timeout=120):
    return subprocess.run([ARGS.proctree, *argv], input=stdin, capture_output=True, timeout=timeout)


def lines(out):
    return [json.loads(l) for l in out.decode().splitlines()]


class NatsCase(unittest.TestCase):
    config_extra = ""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="proctree-nats-")
        self.dir = self.tmp.name
        self.server = nats_lib.NatsServer(self.dir, self.config_extra).start()

    def tearDown(self):
        self.server.stop()
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def publish(self, *argv, stdin=None, ok=True):
        r = proctree("publish", "--nats", self.server.url, *argv, stdin=stdin)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r

    def follow(self, cmd, host, *argv, ok=True):
        spec = f"nats://127.0.0.1:{self.server.port}/{host}"
        r = proctree(cmd, *(["--from", spec] if cmd == "snapshot" else [spec]), *argv)
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r

    def fleet(self, *argv):
        return json.loads(self.follow("snapshot", "*", "--format", "json", *argv).stdout)


class Relay(NatsCase):
    def test_relayed_file_gives_the_same_tree_and_records(self):
        sample = os.path.join(ARGS.data, "linux-build.ptr")
        self.publish("--from", sample, "--host", "web1")
        mine = json.loads(self.follow("snapshot", "web1", "--format", "json").stdout)
        local = json.loads(proctree("snapshot", "--from", sample, "--format", "json").stdout)
        self.assertEqual(mine["processes"], local["processes"])
        self.assertEqual(mine["host"], "web1")
        got = [(l["type"], l["seq"]) for l in lines(self.follow("decode", "web1").stdout)[1:]]
        want = [(l["type"], l["seq"]) for l in lines(proctree("decode", sample).stdout)[1:]]
        self.assertEqual(got, want)

    def test_stdin_relay_and_host_escaping(self):
        stream, _ = wire_gen.storm("ignored", 5)
        self.publish("--from", "-", "--host", "db.1 prod", stdin=stream)
        fleet = self.fleet()
        self.assertEqual([h["host"] for h in fleet["hosts"]], ["db.1 prod"])
        r = self.follow("snapshot", "db%2E1%20prod")
        self.assertIn(b"worker --n 4", r.stdout)

    def test_unknown_host_and_bad_address_say_what_to_do(self):
        self.publish("--from", os.path.join(ARGS.data, "linux-build.ptr"), "--host", "web1")
        r = self.follow("snapshot", "nosuchhost", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1)
        self.assertIn("nosuchhost", r.stderr.decode())
        r = proctree("snapshot", "--from", "nats://127.0.0.1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("nats://SERVER[:PORT]/HOST", r.stderr.decode())

    def test_corrupt_input_is_refused_in_one_line(self):
        r = self.publish("--from", os.path.join(ARGS.data, "corrupt-size.ptr"), "--host", "bad", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a valid proctree stream", r.stderr.decode())


class Fleet(NatsCase):
    def test_three_publisher_processes_one_fleet(self):
        stream = self.write("s.ptr", wire_gen.storm("any", 50)[0])
        procs = [subprocess.Popen([ARGS.proctree, "publish", "--nats", self.server.url, "--from", stream,
                                   "--host", h], stderr=subprocess.PIPE) for h in ("alpha", "beta", "gamma")]
        for p in procs:
            _, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err.decode())
        local = json.loads(proctree("snapshot", "--from", stream, "--format", "json").stdout)["processes"]
        fleet = self.fleet()
        self.assertEqual([h["host"] for h in fleet["hosts"]], ["alpha", "beta", "gamma"])
        for h in fleet["hosts"]:
            # equal PIDs on the three hosts: each host keeps its own tree
            self.assertEqual(h["tree"]["processes"], local)
            self.assertEqual(h["processes"], 51)
            self.assertEqual(h["lost"], 0)
            self.assertEqual(h["os"], "linux")
        narrowed = self.fleet("--host", "beta")
        self.assertEqual([h["host"] for h in narrowed["hosts"]], ["beta"])
        text = self.follow("snapshot", "*", "--filter", "init").stdout.decode()
        self.assertEqual(text.count("== host "), 3)
        self.assertNotIn("worker", text)
        self.assertEqual(text.count("/sbin/init"), 3)

    def test_overlapping_publishes_apply_each_record_once(self):
        stream, n = wire_gen.storm("x", 40)
        records = 1 + 2 * 40 + 2  # snapshot begin, init, end, then create+exit each
        self.assertEqual(n, records)
        cut = len(wire_gen.header("x")) + 500  # the header and some whole records, then a torn one
        prefix = self.publish("--from", "-", "--host", "x", stdin=stream[:cut] + b"")
        self.assertEqual(prefix.returncode, 0)
        self.publish("--from", "-", "--host", "x", stdin=stream)
        seqs = [l["seq"] for l in lines(self.follow("decode", "x").stdout) if l["type"] != "header"]
        self.assertEqual(seqs, list(range(n)))
        host = self.fleet()["hosts"][0]
        self.assertGreater(host["duplicates"], 0)
        self.assertEqual(host["records"], n)

    def test_gap_shows_as_lost_until_a_complete_snapshot(self):
        stream, n = wire_gen.storm("g", 20, skip={10, 11, 12})
        self.publish("--from", "-", "--host", "g", stdin=stream)
        host = self.fleet()["hosts"][0]
        self.assertEqual(host["lost"], 3)
        self.assertTrue(host["stale"])
        # the same producer resyncs: a complete snapshot later in the stream
        tail = wire_gen.header("g") + wire_gen.snapshot(n, wire_gen.T0 + 10**8, True, reason=2) + \
            wire_gen.create(n + 1, wire_gen.T0 + 10**8, 1, wire_gen.T0 - 10**9, 0, 0, "init", "/sbin/init") + \
            wire_gen.snapshot(n + 2, wire_gen.T0 + 10**8, False, reason=2)
        self.publish("--from", "-", "--host", "g", stdin=tail)
        host = self.fleet()["hosts"][0]
        self.assertEqual(host["lost"], 3)
        self.assertFalse(host["stale"])


def shape(processes, living_only=True):
    """What a tree shows, without the view's and the history's fields."""
    out = []
    for p in processes:
        if living_only and "exit" in p:
            continue
        out.append((p["pid"], p["start_ns"], p["name"], p["cmdline"], p["image"], shape(p["children"], living_only)))
    return out


def living(processes):
    """Every living process anywhere in a tree, with its names."""
    out, todo = set(), list(processes)
    while todo:
        p = todo.pop()
        todo.extend(p["children"])
        if "exit" not in p:
            out.add((p["pid"], p["start_ns"], p["name"], p["cmdline"]))
    return out


def utc(ns):
    import datetime
    t = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S") + f".{(ns % 10**9) // 10**6:03d}"


class Checkpoints(NatsCase):
    SECONDS = 120
    INTERVAL = 10

    def setUp(self):
        super().setUp()
        stream, self.times = wire_gen.history("h", self.SECONDS)
        self.file = self.write("history.ptr", stream)

    def publish_history(self, host="h"):
        self.publish("--from", self.file, "--host", host, "--checkpoint-interval", str(self.INTERVAL))

    def local_at(self, t):
        r = proctree("snapshot", "--from", self.file, "--at", utc(t), "--format", "json", "--highlight-ms", "0")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return json.loads(r.stdout)

    def test_checkpoints_every_interval_keep_the_sequence_contiguous(self):
        self.publish_history()
        recs = lines(self.follow("decode", "h").stdout)[1:]
        self.assertEqual([r["seq"] for r in recs], list(range(len(recs))))
        ckpts = [r for r in recs if r["type"] == "snapshot_begin" and r["reason"] == 3]
        self.assertGreaterEqual(len(ckpts), self.SECONDS // self.INTERVAL - 1)
        gaps = [(b["time_ns"] - a["time_ns"]) / 1e9 for a, b in zip(ckpts, ckpts[1:])]
        self.assertTrue(all(self.INTERVAL - 0.5 <= g <= self.INTERVAL + 0.5 for g in gaps), gaps)
        # everything but the checkpoints is the file, in order
        theirs = lines(proctree("decode", self.file).stdout)[1:]
        mine = []
        inside = False
        for r in recs:
            if r["type"] == "snapshot_begin" and r["reason"] == 3:
                inside = True
            elif inside and r["type"] == "snapshot_end":
                inside = False
            elif not inside:
                mine.append({k: v for k, v in r.items() if k not in ("seq", "offset")})
        self.assertEqual(mine, [{k: v for k, v in r.items() if k not in ("seq", "offset")} for r in theirs])

    def test_a_follower_starting_at_the_newest_checkpoint_builds_the_same_tree(self):
        self.publish_history()
        r = self.follow("snapshot", "h", "--format", "json", "--highlight-ms", "0")
        mine = json.loads(r.stdout)
        theirs = json.loads(proctree("snapshot", "--from", self.file, "--format", "json", "--highlight-ms", "0").stdout)
        self.assertEqual(shape(mine["processes"]), shape(theirs["processes"]))
        self.assertGreater(len(shape(theirs["processes"])[0][5]), 3)
        # it read from the newest checkpoint only, not the whole history
        self.assertLess(json.loads(self.follow("snapshot", "*", "--format", "json").stdout)["hosts"][0]["records"],
                        len(self.times) / 4)

    def test_at_any_time_equals_the_local_replay_to_that_time(self):
        self.publish_history()
        t0 = self.times[0][0]
        for offset in (0.3, 4.0, 9.9, 10.2, 37.5, 61.0, 119.0):
            t = t0 + int(offset * 1e9)
            r = self.follow("snapshot", "h", "--at", utc(t), "--format", "json", "--highlight-ms", "0")
            self.assertEqual(shape(json.loads(r.stdout)["processes"]), shape(self.local_at(t)["processes"]),
                             f"at +{offset} s")
        since = t0 + int(61.0 * 1e9)
        recs = lines(self.follow("decode", "h", "--since", utc(since)).stdout)[1:]
        self.assertEqual((recs[0]["type"], recs[0]["reason"]), ("snapshot_begin", 3))
        self.assertLessEqual(recs[0]["time_ns"], since)
        self.assertGreater(recs[0]["time_ns"], since - (self.INTERVAL + 1) * 10**9)
        self.assertEqual(recs[-1]["time_ns"], self.times[-1][0])
        until = lines(self.follow("decode", "h", "--at", utc(since)).stdout)[1:]
        self.assertEqual(until, [r for r in recs if r["time_ns"] <= since])

    def test_a_fleet_at_a_time_and_times_outside_the_stream(self):
        self.publish_history("a")
        self.publish_history("b")
        t = self.times[0][0] + int(45.2 * 1e9)
        fleet = self.fleet("--at", utc(t), "--highlight-ms", "0")
        self.assertEqual([h["host"] for h in fleet["hosts"]], ["a", "b"])
        want = shape(self.local_at(t)["processes"])
        for h in fleet["hosts"]:
            self.assertEqual(shape(h["tree"]["processes"]), want)
        for bad, why in ((utc(self.times[0][0] - 3600 * 10**9), "older than what"),
                         ("2200-01-01 00:00:00", "in the future"), ("yesterday", "")):
            r = self.follow("snapshot", "a", "--at", bad, ok=False)
            self.assertEqual(r.returncode, 2, r.stderr.decode())
            self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1, r.stderr.decode())
            self.assertIn(why, r.stderr.decode())
            self.assertEqual(r.stdout, b"")

    def test_a_live_publisher_checkpoints_the_machine(self):
        sleeper = subprocess.Popen(["sleep", "300"])
        pub = subprocess.Popen([ARGS.proctree, "publish", "--nats", self.server.url, "--source", "netlink",
                                "--host", "live", "--checkpoint-interval", "1"], stderr=subprocess.PIPE)
        try:
            def two_checkpoints():
                r = proctree("decode", f"nats://127.0.0.1:{self.server.port}/live")
                if r.returncode != 0:
                    return False
                recs = lines(r.stdout)
                return sum(1 for l in recs if l["type"] == "snapshot_begin" and l.get("reason") == 3) >= 2
            # a quiet machine writes few records: keep it busy enough to pass the interval
            ticker = subprocess.Popen(["/bin/sh", "-c", "while :; do /bin/true; sleep 0.2; done"])
            try:
                nats_lib.wait_for(two_checkpoints, 60, "two checkpoints from the live publisher")
            finally:
                ticker.kill()
                ticker.wait()
            recs = lines(self.follow("decode", "live", "--since", utc(time.time_ns())).stdout)[1:]
            self.assertEqual((recs[0]["type"], recs[0]["reason"]), ("snapshot_begin", 3))
            pids = {r["pid"] for r in recs[:next(i for i, r in enumerate(recs) if r["type"] == "snapshot_end")]
                    if r["type"] == "create"}
            self.assertIn(sleeper.pid, pids)
            self.assertIn(os.getpid(), pids)
        finally:
            pub.send_signal(signal.SIGTERM)
            _, err = pub.communicate(timeout=60)
            sleeper.kill()
            sleeper.wait()
        self.assertEqual(pub.returncode, 0, err.decode())


def sanitized(binary):
    """True for an ASan or TSan build: their shadow memory and quarantine make RSS no measure of ours."""
    with open(binary, "rb") as f:
        image = f.read()
    return b"__asan_init" in image or b"__tsan_init" in image


def rss_kib(pid, field="VmHWM"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


class Backpressure(NatsCase):
    """A server that stops answering (SIGSTOP by pid: connected, silent)."""

    def start_publisher(self, *argv):
        self.err_path = self.path("publish.err")
        err = open(self.err_path, "wb")
        pub = subprocess.Popen([ARGS.proctree, "publish", "--nats", self.server.url, "--from", "-", *argv],
                               stdin=subprocess.PIPE, stderr=err)
        err.close()
        return pub

    def said(self, text):
        with open(self.err_path) as f:
            return text in f.read()

    def stored(self, host, at_least):
        r = proctree("decode", f"nats://127.0.0.1:{self.server.port}/{host}")
        return r.returncode == 0 and len(r.stdout.splitlines()) - 1 >= at_least

    def stall(self):
        os.kill(self.server.proc.pid, signal.SIGSTOP)
        self.addCleanup(self.resume)

    def resume(self):
        if self.server.proc.poll() is None:
            os.kill(self.server.proc.pid, signal.SIGCONT)

    def feed(self, pub, data, chunk=1 << 16):
        for at in range(0, len(data), chunk):
            pub.stdin.write(data[at:at + chunk])
        pub.stdin.flush()

    def test_a_stalled_server_never_slows_or_grows_the_publisher_and_nothing_is_lost(self):
        stream, n = wire_gen.storm("bp", 100_000, name="y" * 60)
        self.assertGreater(len(stream), 20 << 20)
        spool = self.path("spool")
        pub = self.start_publisher("--host", "bp", "--spool", spool, "--spool-max", str(128 << 20))
        head, _ = wire_gen.storm("bp", 100, name="y" * 60)
        self.feed(pub, head)  # the first 203 records: same bytes as the stream's start
        nats_lib.wait_for(lambda: self.stored("bp", 203), 60, "the first records stored")
        self.stall()
        started = time.monotonic()
        self.feed(pub, stream[len(head):])
        fed_in = time.monotonic() - started
        nats_lib.wait_for(lambda: self.said("did not acknowledge"), 60, "the publisher saying it spools")
        nats_lib.wait_for(lambda: os.path.isdir(spool) and len(os.listdir(spool)) > 5, 60, "batches on disk")
        peak = rss_kib(pub.pid)
        self.assertIsNone(pub.poll())
        self.resume()
        pub.stdin.close()
        self.assertEqual(pub.wait(timeout=300), 0, open(self.err_path).read())
        # 20+ MB went through while the server was silent: memory stayed bounded
        # by the spool's in-memory part (8 MiB) plus the program itself
        if not sanitized(ARGS.proctree):
            self.assertLess(peak, 64 * 1024, f"peak RSS {peak} KiB")
        self.assertLess(fed_in, 60, "the producer was held up by the stalled server")
        seqs = [l["seq"] for l in lines(self.follow("decode", "bp").stdout)[1:]]
        self.assertEqual(seqs, list(range(n)))

    def test_a_full_spool_during_a_stall_drops_the_oldest_then_a_checkpoint_resyncs(self):
        stream, times = wire_gen.history("bq", 600, step_ms=50, pad=300)
        self.assertGreater(len(stream), 5 << 20)
        local = self.write("bq.ptr", stream)
        hs = len(wire_gen.header("bq"))
        # whole records: the first ~5% and the rest, and a tail sent after the loss
        offsets = wire_gen.record_offsets(stream)
        first, last = offsets[len(offsets) // 20], offsets[-10]
        pub = self.start_publisher("--host", "bq", "--spool-max", str(2 << 20), "--checkpoint-interval", "100000")
        self.feed(pub, stream[:first])
        nats_lib.wait_for(lambda: self.stored("bq", 10), 60, "the first records stored")
        self.stall()
        self.feed(pub, stream[first:last])
        nats_lib.wait_for(lambda: self.said("spool full"), 120, "the publisher saying its spool is full")
        self.feed(pub, stream[last:])
        self.resume()
        pub.stdin.close()
        self.assertEqual(pub.wait(timeout=300), 0, open(self.err_path).read())
        self.assertGreater(hs, 0)
        recs = lines(self.follow("decode", "bq").stdout)[1:]
        lost = [r for r in recs if r["type"] == "events_lost"]
        self.assertTrue(lost, "nothing was dropped: make the stream longer")
        ckpts = [r for r in recs if r["type"] == "snapshot_begin" and r["reason"] == 3]
        self.assertTrue(ckpts and ckpts[-1]["seq"] > lost[-1]["seq"], "no checkpoint after the loss")
        # a follower that read everything, gaps and all, converges to the truth
        host = json.loads(self.follow("snapshot", "*", "--since", "+0", "--format", "json",
                                      "--highlight-ms", "0").stdout)["hosts"][0]
        self.assertGreater(host["lost"], 0)
        self.assertFalse(host["stale"])
        theirs = json.loads(proctree("snapshot", "--from", local, "--format", "json", "--highlight-ms", "0").stdout)
        self.assertEqual(living(host["tree"]["processes"]), living(theirs["processes"]))
        self.assertGreater(len(living(theirs["processes"])), 1000)


class Spool(NatsCase):
    def test_full_spool_drops_the_oldest_and_says_so(self):
        stream, n = wire_gen.storm("s", 30000, name="x" * 40)
        self.assertGreater(len(stream), 6 << 20)
        path = self.write("big.ptr", stream)
        spool = self.path("spool")
        self.server.kill()
        r = self.publish("--from", path, "--spool", spool, "--spool-max", str(2 << 20), "--drain-timeout", "0")
        self.assertIn("stay in", r.stderr.decode())
        held = sum(os.path.getsize(os.path.join(spool, f)) for f in os.listdir(spool))
        self.assertLessEqual(held, (2 << 20) + 4096)
        self.server.start()
        self.publish("--from", "/dev/null", "--spool", spool)
        self.assertEqual([f for f in os.listdir(spool) if f.endswith(".ptbatch")], [])
        recs = [l for l in lines(self.follow("decode", "s").stdout) if l["type"] != "header"]
        self.assertEqual(recs[0]["type"], "events_lost")
        dropped = recs[0]["count"]
        self.assertGreater(dropped, 0)
        self.assertEqual(recs[0]["seq"], dropped - 1)
        # after the loss a checkpoint (the resync) follows; the numbering stays contiguous
        self.assertEqual([r["seq"] for r in recs], list(range(dropped - 1, recs[-1]["seq"] + 1)))
        self.assertGreaterEqual(recs[-1]["seq"], n - 1)
        ckpt = [r for r in recs if r["type"] == "snapshot_begin" and r["reason"] == 3]
        self.assertTrue(ckpt)
        host = json.loads(self.follow("snapshot", "*", "--since", "+0", "--format", "json").stdout)["hosts"][0]
        self.assertEqual(host["lost"], dropped)
        self.assertFalse(host["stale"])


class Outage(NatsCase):
    STORM = 5000

    def test_server_killed_during_a_storm_loses_nothing(self):
        local = self.path("local.ptr")
        spool = self.path("spool")
        record = subprocess.Popen([ARGS.proctree, "record", "-o", "-"], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        tee = subprocess.Popen(["tee", local], stdin=record.stdout, stdout=subprocess.PIPE)
        record.stdout.close()
        pub = subprocess.Popen([ARGS.proctree, "publish", "--nats", self.server.url, "--from", "-",
                                "--host", "storm", "--spool", spool, "--drain-timeout", "60"],
                               stdin=tee.stdout, stderr=subprocess.PIPE)
        tee.stdout.close()
        try:
            nats_lib.wait_for(lambda: os.path.exists(local) and os.path.getsize(local) > 0, 30, "the recording")
            storm = subprocess.Popen(["/bin/sh", "-c", f"i=0; while [ $i -lt {self.STORM} ]; do /bin/true; "
                                      "i=$((i+1)); done"])
            nats_lib.wait_for(lambda: os.path.getsize(local) > 100_000, 60, "the storm under way")
            self.server.kill()
            nats_lib.wait_for(lambda: os.path.isdir(spool) and
                              any(f.endswith(".ptbatch") for f in os.listdir(spool)), 60, "batches spooled")
            self.assertIsNone(storm.poll(), "the storm ended before the outage: make it longer")
            self.server.start()
            self.assertEqual(storm.wait(timeout=300), 0)
        finally:
            record.send_signal(signal.SIGTERM)
            record.wait(timeout=60)
            tee.wait(timeout=60)
        _, err = pub.communicate(timeout=120)
        err = err.decode()
        self.assertEqual(pub.returncode, 0, err)
        self.assertIn("spooling", err)
        want = lines(proctree("decode", local).stdout)
        got = lines(self.follow("decode", "storm").stdout)
        self.assertEqual([l["seq"] for l in got[1:]], list(range(len(want) - 1)))
        self.assertEqual([(l["type"], l.get("pid")) for l in got[1:]], [(l["type"], l.get("pid")) for l in want[1:]])
        trues = sum(1 for l in want if l["type"] == "exec" and l.get("name") == "true")
        self.assertGreaterEqual(trues, self.STORM * 0.9)
        mine = json.loads(self.follow("snapshot", "storm", "--format", "json").stdout)
        theirs = json.loads(proctree("snapshot", "--from", local, "--format", "json").stdout)
        self.assertEqual(mine["processes"], theirs["processes"])


class Permissions(NatsCase):
    config_extra = """
authorization {
  users = [
    {user: alpha, password: pa, permissions: {publish: {allow: ["proctree.v1.alpha", "$JS.API.>"]},
                                              subscribe: {allow: ["_INBOX.>"]}}}
    {user: reader, password: pr}
  ]
}
"""

    def url(self, user, password):
        return f"nats://{user}:{password}@127.0.0.1:{self.server.port}"

    def test_a_host_cannot_publish_on_another_hosts_subject(self):
        sample = os.path.join(ARGS.data, "linux-build.ptr")
        ok = proctree("publish", "--nats", self.url("alpha", "pa"), "--from", sample, "--host", "alpha")
        self.assertEqual(ok.returncode, 0, ok.stderr.decode())
        bad = proctree("publish", "--nats", self.url("alpha", "pa"), "--from", sample, "--host", "beta")
        self.assertEqual(bad.returncode, 1)
        err = [l for l in bad.stderr.decode().splitlines() if "refuses" in l]
        self.assertEqual(len(err), 1, bad.stderr.decode())
        self.assertIn("proctree.v1.beta", err[0])
        r = proctree("snapshot", "--from", f"nats://reader:pr@127.0.0.1:{self.server.port}/*", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual([h["host"] for h in json.loads(r.stdout)["hosts"]], ["alpha"])


class Creds(NatsCase):
    """A server in operator mode (JWT auth): the user connects with --creds."""

    def setUp(self):
        import nkeys_jwt
        self.trust_dir = tempfile.mkdtemp(prefix="proctree-trust-")
        self.trust = nkeys_jwt.Trust(self.trust_dir)
        self.config_extra = self.trust.server_config()
        super().setUp()

    def tearDown(self):
        super().tearDown()
        subprocess.run(["rm", "-rf", self.trust_dir])

    def test_a_credentials_file_lets_a_user_publish_and_follow(self):
        import nkeys_jwt
        sample = os.path.join(ARGS.data, "linux-build.ptr")
        creds = self.trust.user_creds("alice")
        self.publish("--from", sample, "--host", "jwt", "--creds", creds)
        spec = f"nats://127.0.0.1:{self.server.port}/jwt"
        r = proctree("snapshot", "--from", spec, "--creds", creds)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(b"make -j2 all", r.stdout)
        r = proctree("snapshot", "--from", spec)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1, r.stderr.decode())
        # a user signed by an account the operator never issued is refused
        stranger = self.trust.user_creds("mallory", signer=nkeys_jwt.NKey("account"))
        r = proctree("snapshot", "--from", spec, "--creds", stranger)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1, r.stderr.decode())


def make_certs(d):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl."""
    def ossl(*argv):
        subprocess.run(["openssl", *argv], check=True, capture_output=True, cwd=d)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=proctree test CA")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             "-subj", f"/CN={name}")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(ext + "\n")
        ossl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")


class Tls(NatsCase):
    def setUp(self):
        self.certs = tempfile.mkdtemp(prefix="proctree-certs-")
        make_certs(self.certs)
        c = lambda n: os.path.join(self.certs, n)  # noqa: E731
        self.config_extra = (f'tls {{ cert_file: "{c("server.pem")}", key_file: "{c("server.key")}", '
                             f'ca_file: "{c("ca.pem")}", verify: true }}\n')
        super().setUp()

    def tearDown(self):
        super().tearDown()
        subprocess.run(["rm", "-rf", self.certs])

    def tls_args(self, client=True):
        c = lambda n: os.path.join(self.certs, n)  # noqa: E731
        args = ["--tls-ca", c("ca.pem")]
        return args + (["--tls-cert", c("client.pem"), "--tls-key", c("client.key")] if client else [])

    def test_client_certificates_are_required_and_work(self):
        sample = os.path.join(ARGS.data, "linux-build.ptr")
        self.publish("--from", sample, "--host", "secure", *self.tls_args())
        spec = f"nats://127.0.0.1:{self.server.port}/secure"
        r = proctree("snapshot", "--from", spec, *self.tls_args())
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(b"make -j2 all", r.stdout)
        r = proctree("snapshot", "--from", spec, *self.tls_args(client=False))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1, r.stderr.decode())
        r = proctree("snapshot", "--from", spec, "--tls-cert", os.path.join(self.certs, "client.pem"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("go together", r.stderr.decode())


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--proctree", required=True)
    p.add_argument("--data", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()

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
        self.assertEqual([r["seq"] for r in recs], list(range(dropped - 1, n)))
        host = self.fleet()["hosts"][0]
        self.assertEqual(host["lost"], dropped)


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

#!/usr/bin/python3
"""The fleet view on the real binary in tmux: separate `proctree publish`
processes (live relays fed through their stdin) for hosts alpha and beta
with equal PIDs, one viewer on nats://SERVER/*: a node per host with its
tree, a process of alpha exiting without touching beta's same PID, the
name filter across hosts and --host narrowing."""
import argparse
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tui"))
import nats_lib  # noqa: E402
import tmux_lib  # noqa: E402
import wire_gen as w  # noqa: E402

ARGS = None
T0 = w.T0
BOOT = T0 - 10**9


def boot_records():
    """init 1 with sshd 412 and sleeper 2200 under it, the same on every host."""
    return [w.snapshot(0, T0, True),
            w.create(1, T0, 1, BOOT, 0, 0, "init", "/sbin/init"),
            w.create(2, T0, 412, BOOT + 10, 1, BOOT, "sshd", "sshd -D"),
            w.create(3, T0, 2200, BOOT + 20, 1, BOOT, "sleeper", "sleep 1000"),
            w.snapshot(4, T0, False)]


def host_line(text, host):
    return next((l for l in text.splitlines() if l.startswith(f"host {host} ")), None)


def block(text, host):
    """The rows under host's node, up to the next host node."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("host "):
            inside = line.startswith(f"host {host} ")
        elif inside and tmux_lib.ROW.match(line):
            out.append(line)
    return out


class FleetView(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="proctree-fleetview-")
        self.dir = self.tmp.name
        self.server = nats_lib.NatsServer(self.dir).start()
        self.addCleanup(self.server.stop)
        self.pubs = {}
        self.pane = tmux_lib.Pane(f"proctree-fleet-{os.getpid()}", self.dir, 60)
        self.addCleanup(self.pane.close)

    def tearDown(self):
        for p in self.pubs.values():
            if p.poll() is None:
                p.stdin.close()
                p.wait(timeout=60)
        self.tmp.cleanup()

    def publisher(self, host):
        err = open(os.path.join(self.dir, f"{host}.err"), "wb")
        p = subprocess.Popen([ARGS.proctree, "publish", "--nats", self.server.url, "--from", "-", "--host", host],
                             stdin=subprocess.PIPE, stderr=err)
        err.close()
        p.stdin.write(w.header(host) + b"".join(boot_records()))
        p.stdin.flush()
        self.pubs[host] = p
        return p

    def stored(self, host, records):
        r = subprocess.run([ARGS.proctree, "decode", f"nats://127.0.0.1:{self.server.port}/{host}"],
                           capture_output=True)
        return r.returncode == 0 and len(r.stdout.splitlines()) - 1 >= records

    def viewer(self, *argv):
        self.pane.close()
        self.pane.start([ARGS.proctree, "--from", f"nats://127.0.0.1:{self.server.port}/*", "--highlight-ms", "0",
                         *argv], 150, 30)

    def test_hosts_with_equal_pids_each_show_their_own_tree(self):
        for h in ("alpha", "beta"):
            self.publisher(h)
        for h in ("alpha", "beta"):
            nats_lib.wait_for(lambda h=h: self.stored(h, 5), 60, f"{h}'s first records stored")
        self.viewer()
        both = lambda t: all(len([l for l in block(t, h) if "sleeper" in l]) == 1 for h in ("alpha", "beta"))
        text = self.pane.wait_for(both, "both host nodes with their trees")
        for h in ("alpha", "beta"):
            line = host_line(text, h)
            self.assertIn("linux", line)
            self.assertIn("3 processes", line)
            self.assertIn("lost 0", line)
            rows = block(text, h)
            self.assertEqual([r.split()[0] for r in rows], ["1", "412", "2200"], text)
            self.assertIn("└─ init", rows[0])
            self.assertIn("├─ sshd", rows[1])  # the tree below the host: under init
            self.assertIn("└─ sleeper", rows[2])

        # alpha's sleeper exits; beta's process with the same PID and start stays
        self.pubs["alpha"].stdin.write(w.exit_(5, T0 + 10**9, 2200, BOOT + 20))
        self.pubs["alpha"].stdin.flush()
        gone = lambda t: not any("sleeper" in l for l in block(t, "alpha")) and host_line(t, "alpha") \
            and "2 processes" in host_line(t, "alpha")
        text = self.pane.wait_for(gone, "alpha's sleeper gone")
        self.assertEqual(len([l for l in block(text, "beta") if "sleeper" in l]), 1, text)
        self.assertIn("3 processes", host_line(text, "beta"))
        self.assertIn("5 procs", text.splitlines()[-1])

        # the name filter works across hosts
        self.viewer("--filter", "sshd")
        text = self.pane.wait_for(lambda t: host_line(t, "alpha") and host_line(t, "beta")
                                  and all(any("sshd" in l for l in block(t, h)) for h in ("alpha", "beta")),
                                  "sshd on both hosts")
        self.assertFalse(any("sleeper" in l for l in text.splitlines()), text)

        # --host narrows to the hosts named
        self.viewer("--host", "beta")
        text = self.pane.wait_for(lambda t: host_line(t, "beta") and any("sleeper" in l for l in block(t, "beta")),
                                  "beta alone")
        self.assertIsNone(host_line(text, "alpha"), text)
        self.assertIn("3 procs", text.splitlines()[-1])

    def test_host_without_a_fleet_says_what_to_do(self):
        self.publisher("alpha")
        nats_lib.wait_for(lambda: self.stored("alpha", 5), 60, "alpha's records stored")
        r = subprocess.run([ARGS.proctree, "--from", f"nats://127.0.0.1:{self.server.port}/alpha", "--host", "beta"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        err = r.stderr.decode().strip().splitlines()
        self.assertEqual(len(err), 1, err)
        self.assertIn("nats://SERVER[:PORT]/*", err[0])


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--proctree", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()

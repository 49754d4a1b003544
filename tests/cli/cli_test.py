#!/usr/bin/python3
"""End-to-end tests of `proctree decode` and `proctree snapshot --from` on the
sample streams of tests/data and on corrupted copies: what a user runs."""
import argparse
import base64
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ARGS = None


def run(*argv, stdin=None):
    return subprocess.run([ARGS.proctree, *argv], input=stdin, capture_output=True, timeout=60)


def data(name):
    return os.path.join(ARGS.data, name)


class Samples(unittest.TestCase):
    def test_committed_samples_are_the_generators_output(self):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([ARGS.make_samples, tmp], check=True, capture_output=True)
            names = sorted(n for n in os.listdir(tmp))
            self.assertEqual(names, sorted(n for n in os.listdir(ARGS.data) if n.endswith(".ptr")))
            _, mismatch, errors = filecmp.cmpfiles(tmp, ARGS.data, names, shallow=False)
            self.assertEqual(mismatch + errors, [], "regenerate with make_samples tests/data")


class Decode(unittest.TestCase):
    def test_every_record_is_one_json_line(self):
        r = run("decode", data("linux-build.ptr"))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual(lines[0]["type"], "header")
        self.assertEqual(lines[0]["host"], "buildbox")
        self.assertEqual(lines[0]["source"], "netlink")
        kinds = [l["type"] for l in lines[1:]]
        self.assertEqual([l["seq"] for l in lines[1:]], list(range(len(kinds))))
        for k in ("create", "exec", "exit", "thread_create", "thread_exit", "events_lost",
                  "snapshot_begin", "snapshot_end"):
            self.assertIn(k, kinds)
        killed = [l for l in lines if l["type"] == "exit" and l["pid"] == 2100][0]
        self.assertEqual(killed["signal"], 9)

    def test_reads_standard_input(self):
        with open(data("windows-triage.ptr"), "rb") as f:
            r = run("decode", "-", stdin=f.read())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"os":"windows"', r.stdout.decode())

    def test_unknown_record_types_are_skipped(self):
        r = run("decode", data("future-records.ptr"))
        self.assertEqual(r.returncode, 0, r.stderr)
        kinds = [json.loads(l)["type"] for l in r.stdout.decode().splitlines()]
        self.assertEqual(kinds, ["header", "create", "unknown", "create", "unknown", "exit"])

    def test_hostile_names_never_reach_the_output_raw(self):
        r = run("decode", data("hostile-names.ptr"))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        for raw in (b"\x1b", b"\x07", b"\xc2\x9b", b"\xe2\x80\xae", b"\xff", b"\x00"):
            self.assertNotIn(raw, out)
        recs = [json.loads(l) for l in out.decode().splitlines()]
        # JSON holds the exact text (standard escapes), and bytes that are
        # not UTF-8 exactly, in base64, beside it.
        self.assertIn("\x1b]2;owned\x07", [r.get("name") for r in recs])
        bad = [r for r in recs if r.get("name") == "rlo\u202etxt.exe"][0]
        self.assertEqual(bad["cmdline"], "bad utf8 \ufffd\ufffd")
        self.assertEqual(base64.b64decode(bad["cmdline_base64"]), b"bad utf8 \xff\xfe")

    def test_truncated_stream_keeps_valid_records_and_names_the_offset(self):
        good = run("decode", data("linux-build.ptr")).stdout.decode().splitlines()
        r = run("decode", data("corrupt-truncated.ptr"))
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout.decode().splitlines(), good[:-1])
        err = r.stderr.decode().strip().splitlines()
        self.assertEqual(len(err), 1, err)
        last = json.loads(good[-1])
        self.assertIn(f"byte {last['offset']}", err[0])
        self.assertIn("truncated", err[0])

    def test_image_facts_records(self):
        r = run("decode", data("image-facts.ptr"))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual(lines[0]["version"], "1.1")
        facts = [l for l in lines if l["type"] == "image_facts"]
        self.assertEqual([f["status"] for f in facts], [0, 0, 0, 1, 2])
        by_seq = {l["seq"]: l for l in lines[1:]}
        for f in facts:  # each names an earlier create/exec of the same process
            described = by_seq[f["event_seq"]]
            self.assertIn(described["type"], ("create", "exec"))
            self.assertEqual((described["pid"], described["start_ns"]), (f["pid"], f["start_ns"]))
            self.assertLess(f["event_seq"], f["seq"])
        self.assertEqual(facts[0]["type_id"], 12)
        self.assertEqual(facts[0]["file_size"], 1265648)
        self.assertEqual(facts[0]["sha256"], "".join(f"{0x10 + i:02x}" for i in range(32)))
        self.assertEqual(facts[0]["path"], "/usr/bin/bash")
        self.assertEqual((facts[3]["error"], facts[3]["sha256"]), (2, "0" * 64))
        tool_exit = [l for l in lines if l["type"] == "exit" and l["pid"] == 201][0]
        self.assertEqual((tool_exit["cpu_ns"], tool_exit["peak_rss_bytes"]), (3250000, 5427200))

    def test_reparent_records(self):
        r = run("decode", data("reparenting.ptr"))
        self.assertEqual(r.returncode, 0, r.stderr)
        moves = [json.loads(l) for l in r.stdout.decode().splitlines() if '"reparent"' in l]
        self.assertEqual(len(moves), 2)
        self.assertEqual(moves[0]["type_id"], 11)
        self.assertEqual((moves[0]["pid"], moves[0]["parent_pid"], moves[0]["previous_parent_pid"]), (302, 300, 301))
        self.assertEqual((moves[1]["parent_pid"], moves[1]["previous_parent_pid"]), (1, 300))
        self.assertEqual(moves[1]["previous_parent_start_ns"], moves[0]["parent_start_ns"])

    def test_cut_strings_say_how_much_is_missing(self):
        r = run("decode", data("truncated-strings.ptr"))
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = {(l["type"], l.get("pid")): l for l in map(json.loads, r.stdout.decode().splitlines()[1:])}
        java = recs[("create", 400)]
        self.assertEqual((len(java["cmdline"]), java["cmdline_truncated"]), (4096, True))
        self.assertEqual(java["cmdline_missing_bytes"], len("java -cp ") + 100_000 + len(" Main") - 4096)
        self.assertIsNone(recs[("create", 401)]["cmdline_missing_bytes"])  # cut, by how much unknown
        self.assertEqual(recs[("exec", 402)]["cmdline_missing_bytes"], 131_072 - 4096)
        self.assertEqual(recs[("create", 403)]["cmdline"], "wait… …(+5 bytes)")  # the exact text
        self.assertFalse(recs[("create", 403)]["cmdline_truncated"])
        text = run("snapshot", "--from", data("truncated-strings.ptr")).stdout.decode()
        self.assertIn("x Main"[:1] * 20 + f"…(+{java['cmdline_missing_bytes']:,} bytes)\n", text)
        self.assertIn("o" * 20 + "…\n", text)
        self.assertIn("wait\\u{2026}  wait\\u{2026} \\u{2026}(+5 bytes)\n", text)

    def test_minor_zero_stream_decodes_as_before(self):
        old = run("decode", data("minor0-build.ptr"))
        new = run("decode", data("linux-build.ptr"))
        self.assertEqual(old.returncode, 0, old.stderr)
        old_lines, new_lines = old.stdout.decode().splitlines(), new.stdout.decode().splitlines()
        self.assertEqual(json.loads(old_lines[0])["version"], "1.0")
        old_recs = [json.loads(l) for l in old_lines[1:]]
        new_recs = [json.loads(l) for l in new_lines[1:]]
        # Minor 0 wrote 48-byte exits (minor 1: 64, with usage fields), so
        # sizes and offsets differ; every field the records hold is the same,
        # and an old exit's usage is unknown.
        self.assertEqual([r["size"] for r in old_recs if r["type"] == "exit"],
                         [48] * sum(r["type"] == "exit" for r in old_recs))
        self.assertEqual({r["size"] for r in new_recs if r["type"] == "exit"}, {64})
        strip = lambda r: {k: v for k, v in r.items() if k not in ("size", "offset")}
        self.assertEqual([strip(r) for r in old_recs], [strip(r) for r in new_recs])
        self.assertTrue(all(r["cpu_ns"] is None and r["peak_rss_bytes"] is None
                            for r in old_recs if r["type"] == "exit"))

    def test_corrupt_size_stops_at_the_bad_record(self):
        r = run("decode", data("corrupt-size.ptr"))
        self.assertEqual(r.returncode, 2)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 1 + 7)  # header + the 7 records before the bad one
        self.assertRegex(r.stderr.decode(), r"^proctree decode: .*corrupt stream at byte 736: record size 77")

    def test_not_a_stream_and_missing_file(self):
        r = run("decode", "-", stdin=b"hello, this is not a proctree stream at all")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a proctree stream", r.stderr.decode())
        r = run("decode", "/nonexistent/x.ptr")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot open /nonexistent/x.ptr", r.stderr.decode())


class Record(unittest.TestCase):
    def test_an_output_that_cannot_be_written_fails_before_any_source_starts(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "without", "permission", "x.ptr")
            for source in ("auto", "netlink", "poll"):
                r = run("record", "-o", out, "--source", source, "--duration", "5")
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertEqual(r.stderr.decode().splitlines(),
                                 [f"proctree record: cannot write {out}: No such file or directory"], source)


class ViewerOptions(unittest.TestCase):
    """The viewer's options that are checked before it takes the terminal."""

    def test_an_unknown_column_is_one_line_and_status_2(self):
        r = run("--columns", "pid,mem,cpu")
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = r.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("unknown column 'mem'", lines[0])
        self.assertIn("pid, user, cpu, rss, s, start, age, thr", lines[0])


class ConfigFile(unittest.TestCase):
    """The viewer's config file in a real HOME or XDG_CONFIG_HOME, through
    --write-config: what the viewer would use, written back."""

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="proctree-config-")
        self.addCleanup(shutil.rmtree, self.home, ignore_errors=True)

    def run_with(self, env_extra, *argv):
        env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CONFIG_HOME")}
        env.update(env_extra)
        return subprocess.run([ARGS.proctree, *argv], capture_output=True, timeout=60, env=env)

    def settings(self, path):
        with open(path) as f:
            return dict(l.split(" = ", 1) for l in f.read().splitlines() if l and not l.startswith("#"))

    def test_a_bad_line_is_one_message_and_the_rest_applies_under_the_options(self):
        xdg = os.path.join(self.home, "xdg")
        config = os.path.join(xdg, "proctree", "config")
        os.makedirs(os.path.dirname(config))
        with open(config, "w") as f:
            f.write("# mine\ncolumns = pid,cpu\nhighlight-ms = soon\nsort = rss\nkeep-exited = true\n")
        r = self.run_with({"HOME": self.home, "XDG_CONFIG_HOME": xdg}, "--write-config", "--sort", "cpu")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(f"{config}:3: highlight-ms: 'soon'", lines[0])
        got = self.settings(config)
        self.assertEqual((got["columns"], got["sort"], got["keep-exited"], got["highlight-ms"]),
                         ("pid,cpu", "cpu", "true", "3000"))

    def test_write_config_round_trips_under_home(self):
        env = {"HOME": self.home}
        r = self.run_with(env, "--write-config", "--columns", "thr,age,pid", "--sort", "name", "--source", "poll",
                          "--highlight-ms", "250", "--kernel-threads", "--export-dir", "/tmp/exports")
        self.assertEqual(r.returncode, 0, r.stderr)
        config = os.path.join(self.home, ".config", "proctree", "config")
        self.assertIn(config, r.stdout.decode())
        first = self.settings(config)
        self.assertEqual(first, {"source": "poll", "highlight-ms": "250", "columns": "thr,age,pid", "sort": "name",
                                 "keep-exited": "false", "kernel-threads": "true", "export-dir": "/tmp/exports"})
        r = self.run_with(env, "--write-config")  # read back, written again: the same settings
        self.assertEqual((r.returncode, r.stderr), (0, b""))
        self.assertEqual(self.settings(config), first)


class Snapshot(unittest.TestCase):
    def test_final_tree_as_text(self):
        r = run("snapshot", "--from", data("linux-build.ptr"))
        self.assertEqual(r.returncode, 0, r.stderr)
        text = r.stdout.decode()
        self.assertIn("# host: buildbox", text)
        self.assertIn("│  └─ bash  -bash", text)
        self.assertIn("│  └─ cc1  cc1 -O2 src/file3.c  (exit 1 after 25 ms)", text)
        self.assertIn("└─ sleep  sleep 1000  (signal 9 (KILL) after 400 ms)", text)
        self.assertIn("└─ backup  backup --daily", text)

    def test_columns_from_a_stream_show_what_it_carries(self):
        r = run("snapshot", "--from", data("linux-build.ptr"), "--columns", "pid,user,cpu,thr")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        header = next(l for l in lines if not l.startswith("#"))
        self.assertEqual(header.split(), ["PID", "USER", "CPU%", "THR", "TREE"])
        bash = next(l for l in lines if "bash  -bash" in l)
        # A stream has no sampled CPU%: "-", never a made-up figure.
        self.assertEqual(bash.split()[:4], ["1200", "dev", "-", "1"])

    def test_an_unknown_snapshot_column_is_one_line_and_status_2(self):
        r = run("snapshot", "--from", data("linux-build.ptr"), "--columns", "pid,mem")
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = r.stderr.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--columns: unknown column 'mem'", lines[0])
        self.assertEqual(r.stdout, b"")

    def test_columns_of_this_machine_are_read_from_it(self):
        burner = subprocess.Popen(["/usr/bin/python3", "-c", "while True: pass"])
        self.addCleanup(burner.wait)
        self.addCleanup(burner.kill)
        r = run("snapshot", "--no-image-facts", "--pid", str(burner.pid), "--columns", "pid,cpu,rss,s,thr")
        self.assertEqual(r.returncode, 0, r.stderr)
        row = next(l for l in r.stdout.decode().splitlines() if l.split()[:1] == [str(burner.pid)])
        pid, cpu, rss, state, threads = row.split()[:5]
        self.assertGreater(float(cpu), 1.0, row)  # a second of a busy loop, whatever the load
        self.assertRegex(rss, r"^[0-9.]+[KMG]$", row)
        self.assertEqual((state, threads), ("R", "1"), row)

    def test_final_tree_as_json(self):
        r = run("snapshot", "--from", data("windows-triage.ptr"), "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        roots = {p["name"]: p for p in doc["processes"]}
        # The reused pid 6000 is not the parent of the older powershell.
        self.assertIn("powershell.exe", roots)
        services = roots["System"]["children"][0]
        self.assertEqual(services["name"], "services.exe")
        names = [c["name"] for c in services["children"]]
        self.assertEqual(names, ["explorer.exe", "svchost.exe"])

    def test_image_facts_in_both_exports(self):
        r = run("snapshot", "--from", data("image-facts.ptr"), "--highlight-ms", "100000")
        self.assertEqual(r.returncode, 0, r.stderr)
        text = r.stdout.decode()
        bash_hex = "".join(f"{0x10 + i:02x}" for i in range(32))
        self.assertIn(f"bash  -bash  [sha256 {bash_hex}, 1265648 bytes]", text)
        self.assertIn("tmp-tool  ./tmp-tool  [unreadable (error 2)]  (exit 0 after 1 ms)", text)
        self.assertIn("cc  cc -c x.c  [not hashed (hasher behind)]", text)
        r = run("snapshot", "--from", data("image-facts.ptr"), "--highlight-ms", "100000", "--format", "json")
        doc = json.loads(r.stdout)
        make = doc["processes"][0]["children"][0]
        self.assertEqual(make["name"], "make")
        self.assertEqual(make["image_facts"]["status"], "hashed")
        self.assertEqual(make["image_facts"]["sha256"], "".join(f"{0xE0 - i:02x}" for i in range(32)))
        self.assertEqual(make["execs"][0]["replaced_image"], "/usr/bin/bash")
        self.assertEqual(make["execs"][0]["replaced_image_facts"]["sha256"], bash_hex)

    def test_a_reparented_orphan_is_under_its_parent_now_and_remembers_its_spawner(self):
        r = run("snapshot", "--from", data("reparenting.ptr"), "--highlight-ms", "100000")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("└─ daemon  daemon --forever  [re-parented from 301 to 1]", r.stdout.decode())
        r = run("snapshot", "--from", data("reparenting.ptr"), "--format", "json")
        doc = json.loads(r.stdout)
        daemon = [c for c in doc["processes"][0]["children"] if c["name"] == "daemon"][0]
        self.assertEqual((daemon["name"], daemon["ppid"], daemon["original_ppid"]), ("daemon", 1, 301))
        self.assertIsNotNone(daemon["reparented_ns"])

    def test_filters(self):
        r = run("snapshot", "--from", data("linux-build.ptr"), "--filter", "CRON")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [l for l in r.stdout.decode().splitlines() if not l.startswith("#")][1:]
        # The match and its ancestor as context; cron's non-matching child is hidden.
        self.assertEqual(rows, ["      1  [.]  systemd  /sbin/init", "    530       └─ cron  /usr/sbin/cron -f"])
        r = run("snapshot", "--from", data("linux-build.ptr"), "--pid", "530", "--format", "json")
        doc = json.loads(r.stdout)
        self.assertEqual(doc["filter"], "pid=530")
        self.assertEqual(doc["processes"][0]["state"], "context")
        # A list, and a repeated --pid: the union of the subtrees, as one tree.
        r = run("snapshot", "--from", data("linux-build.ptr"), "--pid", "2003,2200", "--pid", "2005")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [l for l in r.stdout.decode().splitlines() if not l.startswith("#")][1:]
        self.assertEqual([l.split()[0] for l in rows], ["1", "412", "1200", "2001", "2003", "2005", "530", "2200"])
        self.assertIn("│        ├─ cc1  cc1 -O2 src/file1.c", rows[4])
        self.assertIn("└─ cron", rows[6])
        self.assertIn("# filter: pid=2003,2200,2005", r.stdout.decode())

    def test_corrupt_stream_prints_what_was_valid_then_fails(self):
        r = run("snapshot", "--from", data("corrupt-size.ptr"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("sshd", r.stdout.decode())
        self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1)
        self.assertIn("byte 736", r.stderr.decode())

    def rows_at(self, at, *extra, source=None, stdin=None):
        r = run("snapshot", "--from", source or data("linux-build.ptr"), "--at", at, *extra, stdin=stdin)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [l for l in r.stdout.decode().splitlines() if not l.startswith("#")][1:]

    def test_at_a_time_shows_the_tree_as_it_was_then(self):
        # The build starts at +0.100 (make), cc1 #0 runs .110-.135, #1 from .140.
        rows = self.rows_at("+0.15")
        self.assertIn("   2002  [x]  │        ├─ cc1  cc1 -O2 src/file0.c  (exit 0 after 25 ms)", rows)
        self.assertIn("   2003  [+]  │        └─ cc1  cc1 -O2 src/file1.c", rows)
        self.assertFalse(any(" 2004 " in l for l in rows), rows)  # created at .170: not yet
        self.assertFalse(any("sleep" in l for l in rows), rows)
        # Before the build, after the initial snapshot: only what was running.
        self.assertEqual([l.split()[0] for l in self.rows_at("11:06:40.050")], ["1", "412", "1200", "530"])
        # A time of day and +SECONDS name the same instant; stdin works too.
        with open(data("linux-build.ptr"), "rb") as f:
            piped = self.rows_at("+0.15", source="-", stdin=f.read())
        self.assertEqual(piped, rows)
        self.assertEqual(self.rows_at("11:06:40.150"), rows)

    def test_at_keeps_filters_and_json(self):
        r = run("snapshot", "--from", data("linux-build.ptr"), "--at", "+0.15", "--filter", "cc1", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["filter"], "name~cc1")
        self.assertIn("at 11:06:40.150", doc["source"])

    def test_at_a_time_outside_the_recording_says_so(self):
        for at in ("11:06:39", "11:06:41", "+5"):
            r = run("snapshot", "--from", data("linux-build.ptr"), "--at", at)
            self.assertEqual(r.returncode, 2, at)
            self.assertEqual(r.stdout, b"")
            self.assertEqual(r.stderr.decode(), f"proctree snapshot: --at {at} is outside the recording "
                             "(2026-11-18 11:06:40.000 to 2026-11-18 11:06:40.700 UTC)\n")
        r = run("snapshot", "--from", data("linux-build.ptr"), "--at", "lunchtime")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not a time: use HH:MM:SS[.mmm] (UTC), +SECONDS", r.stderr.decode())
        r = run("snapshot", "--at", "+1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--at needs --from FILE", r.stderr.decode())

    def test_at_in_a_corrupt_stream_shows_the_valid_part_then_fails(self):
        r = run("snapshot", "--from", data("corrupt-size.ptr"), "--at", "+0")
        self.assertEqual(r.returncode, 2)
        self.assertIn("sshd", r.stdout.decode())
        self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1)
        self.assertIn("byte 736", r.stderr.decode())

    def test_help_and_version(self):
        self.assertEqual(run("--help").returncode, 0)
        v = run("--version")
        self.assertEqual(v.returncode, 0)
        self.assertRegex(v.stdout.decode(), r"^proctree \d+\.\d+\.\d+")
        self.assertEqual(run("snapshot", "--format", "xml").returncode, 2)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--proctree", required=True)
    p.add_argument("--make-samples", required=True)
    p.add_argument("--data", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)

#!/usr/bin/python3
"""Checks the image facts proctree-agent.exe wrote under Wine, on Linux:

    check_agent_facts.py PROCTREE STREAM MANIFEST AGENT_ERR

MANIFEST has one line per expected create, written by wine.sh from
`sha256sum` and `stat` of the very files on the Linux side of the prefix:
    pid PID hashed SHA256 SIZE     (a create injected by wintest `images`)
    pid PID unreadable - -         (its image does not exist)
    name NAME hashed SHA256 SIZE   (a process of the agent's initial snapshot)
A pid may appear more than once (the same pid injected again after its file
changed): its creates are matched in stream order.

 - `proctree decode`: every facts record names an earlier create of this
   stream (event_seq, pid, start) and each expected create has exactly one,
   with the manifest's status, size and SHA-256;
 - `proctree snapshot --from --format json`: the exported tree carries the
   same hash for the last create of each pid;
 - the agent's --stats line shows the cache at work (a repeated file is not
   read again) and nothing skipped.
"""
import collections
import json
import re
import sys

from check_agent_stream import fail, run  # same directory: shared helpers


def read_manifest(path):
    by_pid, by_name = collections.defaultdict(list), {}
    with open(path) as f:
        for line in f:
            kind, key, status, sha, size = line.split()
            want = (status, sha if sha != "-" else None, int(size) if size != "-" else None)
            if kind == "pid":
                by_pid[int(key)].append(want)
            else:
                by_name[key] = want
    return by_pid, by_name


def check(label, facts, want):
    status, sha, size = want
    got = {0: "hashed", 1: "unreadable", 2: "skipped"}.get(facts["status"])
    if got != status:
        fail("%s: facts say %s (error %s), want %s: %s" % (label, got, facts.get("error"), status, facts))
    if status == "hashed" and (facts["sha256"] != sha or facts["file_size"] != size):
        fail("%s: sha256 %s size %d, want %s size %d (sha256sum)" % (label, facts["sha256"], facts["file_size"],
                                                                     sha, size))
    if status == "unreadable" and facts["error"] == 0:
        fail("%s: unreadable without an error code" % label)


def main():
    proctree, stream, manifest, agent_err = sys.argv[1:5]
    by_pid, by_name = read_manifest(manifest)
    recs = [json.loads(l) for l in run([proctree, "decode", stream]).splitlines() if l.strip()][1:]
    creates, facts_of = {}, {}
    for i, r in enumerate(recs):
        if r.get("seq") != i:
            fail("record %d has seq %s" % (i, r.get("seq")))
        if r["type"] == "create":
            creates[r["seq"]] = r
        elif r["type"] == "image_facts":
            c = creates.get(r["event_seq"])
            if c is None or (c["pid"], c["start_ns"]) != (r["pid"], r["start_ns"]):
                fail("facts %s name no earlier create of the same process" % r)
            if r["event_seq"] in facts_of:
                fail("two facts records for create seq %d" % r["event_seq"])
            facts_of[r["event_seq"]] = r
    seen = collections.defaultdict(int)
    checked = 0
    for seq, c in sorted(creates.items()):
        f = facts_of.get(seq)
        if c["pid"] in by_pid:
            wants = by_pid[c["pid"]]
            n = seen[c["pid"]]
            seen[c["pid"]] += 1
            if n >= len(wants):
                fail("more creates of pid %d than injected" % c["pid"])
            if f is None:
                fail("no facts for the create of %s (pid %d)" % (c["image"], c["pid"]))
            check("%s (pid %d, create %d)" % (c["image"], c["pid"], n + 1), f, wants[n])
            checked += 1
        elif c["name"] in by_name and f is not None:
            check("%s (snapshot)" % c["image"], f, by_name.pop(c["name"]))
            checked += 1
    missing = [p for p, w in by_pid.items() if seen[p] != len(w)]
    if missing or by_name:
        fail("expected creates not in the stream: pids %s, snapshot names %s" % (missing, sorted(by_name)))
    print("decode: %d creates' facts match sha256sum (%d facts records in all)" % (checked, len(facts_of)))

    tree = json.loads(run([proctree, "snapshot", "--from", stream, "--format", "json"]))
    last = {p: w[-1] for p, w in by_pid.items() if w[-1][0] == "hashed"}

    def walk(nodes):
        for n in nodes:
            if n["pid"] in last:
                got = (n.get("image_facts") or {}).get("sha256")
                if got != last.pop(n["pid"])[1]:
                    fail("export of pid %d: image_facts %s" % (n["pid"], n.get("image_facts")))
            walk(n["children"])
    walk(tree["processes"])
    if last:
        fail("pids %s missing from the exported tree" % sorted(last))
    print("snapshot --format json: each process carries its image's sha256")

    with open(agent_err, encoding="utf-8", errors="replace") as f:
        m = re.search(r"image facts: (\d+) images, (\d+) files read \((\d+) bytes\), (\d+) from cache, "
                      r"(\d+) unreadable, (\d+) skipped", f.read())
    if m is None:
        fail("no image facts line in the agent's --stats output")
    images, files, _, cached, unreadable, skipped = map(int, m.groups())
    if cached < 1 or skipped != 0 or images != files + cached + unreadable:
        fail("agent stats: %s" % m.group(0))
    print("agent: %s" % m.group(0))
    print("ok agent facts")


if __name__ == "__main__":
    main()

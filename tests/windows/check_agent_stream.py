#!/usr/bin/python3
"""Checks a stream written by proctree-agent.exe under Wine, on Linux, with
the viewer's own commands:  check_agent_stream.py PROCTREE STREAM BASE_PID

 - `proctree decode STREAM` (one JSON object per line): a Windows header,
   an initial complete snapshot, then exactly the five records the test
   client injected (wintest `tree BASE_PID`), in order, seq contiguous,
   each create followed by its image facts (unreadable: no such files);
 - `proctree snapshot --from STREAM --format json`: the final tree holds
   tree-root -> child-a -> grändchild and tree-root -> child-b (exited 7).
"""
import json
import subprocess
import sys


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(args), p.returncode, p.stderr.decode(errors="replace")))
    return p.stdout.decode("utf-8")


def main():
    proctree, stream, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lines = [json.loads(l) for l in run([proctree, "decode", stream]).splitlines() if l.strip()]
    if not lines or lines[0].get("type") != "header":
        fail("no stream header")
    h = lines[0]
    if h.get("os") != "windows" or h.get("source") != "windows-driver":
        fail("header says os=%s source=%s" % (h.get("os"), h.get("source")))
    recs = lines[1:]
    for i, r in enumerate(recs):
        if r.get("seq") != i:
            fail("record %d has seq %s" % (i, r.get("seq")))
    if recs[0]["type"] != "snapshot_begin" or recs[0].get("reason") != 1:
        fail("stream does not start with an initial snapshot: %s" % recs[0])
    end = next((i for i, r in enumerate(recs) if r["type"] == "snapshot_end"), None)
    if end is None:
        fail("no snapshot_end")
    snap = recs[1:end]
    if not snap or any(r["type"] != "create" for r in snap):
        fail("snapshot holds %d records, not all creates" % len(snap))
    if not any(r["name"] == "proctree-agent.exe" for r in snap):
        fail("the agent is not in its own snapshot")
    # (image facts follow their creates; the tree's images do not exist: unreadable)
    facts = {r["event_seq"]: r for r in recs if r["type"] == "image_facts"}
    live = [r for r in recs[end + 1:] if r["type"] != "image_facts"]
    want = [
        ("create", base, 4, "tree-root.exe", "tree-root.exe --serve"),
        ("create", base + 4, base, "child-a.exe", "child-a.exe"),
        ("create", base + 8, base, "child-b.exe", "child-b.exe -x"),
        ("create", base + 12, base + 4, "gr\u00e4ndchild.exe", "gr\u00e4ndchild.exe"),
    ]
    if len(live) != 5:
        fail("expected 5 live records after the snapshot, got %d: %s" % (len(live), live))
    for r, (t, pid, ppid, name, cmd) in zip(live, want):
        got = (r["type"], r["pid"], r["ppid"], r["name"], r["cmdline"])
        if got != (t, pid, ppid, name, cmd):
            fail("live record %s, want %s" % (got, (t, pid, ppid, name, cmd)))
        if not r["image"].endswith("\\Tools\\" + name):
            fail("image %r" % r["image"])
        f = facts.get(r["seq"])
        if f is None or f["pid"] != pid or f["status"] != 1 or f["error"] == 0:
            fail("facts of %s: %s, want unreadable with an error" % (name, f))
    x = live[4]
    if (x["type"], x["pid"], x["exit_code"]) != ("exit", base + 8, 7):
        fail("exit record %s" % x)
    print("decode: header, %d-process snapshot, 5 live records in order" % len(snap))

    tree = json.loads(run([proctree, "snapshot", "--from", stream, "--format", "json"]))

    def find(nodes, pid):
        for n in nodes:
            if n["pid"] == pid:
                return n
            f = find(n["children"], pid)
            if f:
                return f
        return None

    root = find(tree["processes"], base)
    if root is None or root["name"] != "tree-root.exe":
        fail("tree-root.exe not in the final tree")
    kids = {c["name"]: c for c in root["children"]}
    if set(kids) != {"child-a.exe", "child-b.exe"}:
        fail("tree-root children: %s" % sorted(kids))
    grand = [c["name"] for c in kids["child-a.exe"]["children"]]
    if grand != ["gr\u00e4ndchild.exe"]:
        fail("child-a children: %s" % grand)
    if kids["child-b.exe"]["state"] != "exited" or kids["child-a.exe"]["state"] == "exited":
        fail("states: a=%s b=%s" % (kids["child-a.exe"]["state"], kids["child-b.exe"]["state"]))
    print("snapshot: tree-root -> {child-a -> gr\u00e4ndchild, child-b (exited)}")
    print("ok agent stream")


if __name__ == "__main__":
    main()

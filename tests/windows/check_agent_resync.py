#!/usr/bin/python3
"""Checks the agent's stream after an overflow, on Linux, with the viewer's commands:

    check_agent_resync.py PROCTREE STREAM BASE_PID OFFERED

proctree-wintest `flood` injected OFFERED creates of flood.exe (pids BASE,
BASE+4, ...) in one burst, more than the driver's 64 KiB queue holds.
 - `proctree decode`: the delivered creates come in pid order; one or more
   events_lost records (reason queue full) whose counts add up to exactly
   OFFERED - delivered; after the loss, a complete resync snapshot (reason 2).
 - `proctree snapshot --from`: the final tree has converged to the truth:
   no flood.exe is alive (they never existed; the complete resync retires
   them as exited), while the Wine processes are there and running.
"""
import json
import sys

from check_agent_stream import fail, run  # same directory: shared helpers


def main():
    proctree, stream, base, offered = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    recs = [json.loads(l) for l in run([proctree, "decode", stream]).splitlines() if l.strip()][1:]
    in_snap = False
    delivered, lost, lost_at, resync_after_loss = [], 0, None, False
    for i, r in enumerate(recs):
        if r.get("seq") != i:
            fail("record %d has seq %s" % (i, r.get("seq")))
        t = r["type"]
        if t == "snapshot_begin":
            in_snap = True
            if r["reason"] == 2 and lost_at is not None:
                if r.get("snapshot_flags", 0) & 1 == 0:
                    fail("resync snapshot is not complete")
                resync_after_loss = True
        elif t == "snapshot_end":
            in_snap = False
        elif t == "events_lost":
            if r.get("reason") != 2:
                fail("events_lost reason %s, want 2 (queue full)" % r.get("reason"))
            lost += r["count"]
            lost_at = i if lost_at is None else lost_at
        elif t == "create" and not in_snap and r["name"] == "flood.exe":
            delivered.append(r["pid"])
    if lost == 0:
        fail("no events lost: the flood did not overflow the queue")
    if delivered != sorted(delivered) or len(set(delivered)) != len(delivered):
        fail("delivered creates out of order")
    if any((p - base) % 4 or not base <= p < base + 4 * offered for p in delivered):
        fail("a delivered pid was not injected")
    if len(delivered) + lost != offered:
        fail("delivered %d + lost %d != offered %d" % (len(delivered), lost, offered))
    if not resync_after_loss:
        fail("no complete resync snapshot after the events_lost record")
    print("decode: %d delivered + %d lost = %d offered; resync snapshot follows the loss"
          % (len(delivered), lost, offered))

    tree = json.loads(run([proctree, "snapshot", "--from", stream, "--format", "json"]))
    names, alive_flood = [], 0

    def walk(nodes):
        nonlocal alive_flood
        for n in nodes:
            names.append(n["name"])
            if n["name"] == "flood.exe" and n["state"] != "exited":
                alive_flood += 1
            walk(n["children"])
    walk(tree["processes"])
    if alive_flood:
        fail("%d flood.exe still alive in the final tree: the resync did not converge" % alive_flood)
    if "services.exe" not in names or "proctree-agent.exe" not in names:
        fail("the real (Wine) processes are missing from the final tree: %s" % sorted(set(names)))
    print("snapshot: converged (every flood.exe retired as exited, %d processes shown)" % len(names))
    print("ok agent resync")


if __name__ == "__main__":
    main()

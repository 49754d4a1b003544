#!/usr/bin/python3
"""Windows pipeline throughput under Wine: proctree-test.sys -> proctree-agent.exe -> proctree decode.

    tests/bench/windows_throughput.py BUILD_DIR [--seconds S] [--rates 10000,100000,1000000]
                                      [--cap BYTES]

For each offered rate, proctree-wintest.exe `rate` injects create records
through the test IOCTL (the same record-building and queueing path the
kernel callbacks take) for S seconds, paced against the clock, while the
agent streams to a file. Then `proctree decode` reads the file. Reported:
offered, delivered (live creates in the stream), dropped (offered -
delivered), the events-lost total in the stream (must equal dropped), agent
CPU (its own GetProcessTimes), and decode speed.

Not a ctest test (timing on a shared machine is not pass/fail); run by hand.
Needs the build's cross-built binaries and wine64, like the Wine tests.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WINE_SH = os.path.join(HERE, "..", "windows", "wine.sh")


def find_wine():
    for p in ("/usr/lib/wine/wine64", shutil.which("wine64") or ""):
        if p and os.access(p, os.X_OK):
            return p
    sys.exit("wine64 not found: install wine64")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rates", default="10000,100000,1000000")
    ap.add_argument("--cap", type=int, default=1024 * 1024, help="driver queue cap per handle (bytes)")
    ap.add_argument("--proctree", help="proctree executable (default BUILD_DIR/tui/proctree)")
    a = ap.parse_args()

    build = os.path.abspath(a.build)
    win_bin = os.path.join(build, "driver", "windows", "cross-build")
    proctree = a.proctree or os.path.join(build, "tui", "proctree")
    prefix = os.path.join(build, "bench-wine", "prefix")
    logs = prefix + ".logs"
    wine = find_wine()
    env = dict(os.environ, PT_WINE64=wine, PT_WINESERVER=shutil.which("wineserver") or "/usr/bin/wineserver",
               WINEPREFIX=prefix, WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=", WINEARCH="win64")
    env.pop("DISPLAY", None)
    os.makedirs(os.path.dirname(prefix), exist_ok=True)

    def wine_sh(*args):
        with open(os.path.join(os.path.dirname(prefix), "wine-sh.log"), "ab") as log:
            r = subprocess.run([WINE_SH, *args], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        if r.returncode != 0:
            sys.exit("wine.sh %s failed (see %s/wine-sh.log)" % (args[0], os.path.dirname(prefix)))

    print("setting up a Wine prefix with proctree-test.sys (queue cap %d bytes)..." % a.cap, file=sys.stderr)
    wine_sh("setup", prefix, win_bin, str(a.cap))
    rows = []
    try:
        for rate in [int(r) for r in a.rates.split(",")]:
            out = os.path.join(logs, "bench-%d.bin" % rate)
            if os.path.exists(out):
                os.remove(out)
            agent_err = open(os.path.join(logs, "bench-agent-%d.err" % rate), "wb")
            inj_out = open(os.path.join(logs, "bench-inject-%d.out" % rate), "wb")
            # the agent runs until S + 5 s: time to drain what is queued after the injector stops
            agent = subprocess.Popen([wine, "C:\\proctree-agent.exe", "-o", "Z:" + out.replace("/", "\\"),
                                      "--duration", str(a.seconds + 5), "--stats"],
                                     env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=agent_err)
            inj = subprocess.run([wine, "C:\\proctree-wintest.exe", "rate", str(rate), str(a.seconds)], env=env,
                                 stdin=subprocess.DEVNULL, stdout=inj_out, stderr=subprocess.STDOUT,
                                 timeout=a.seconds + 120)
            # the agent's CPU as Linux accounts it (wine64 execs the preloader in place,
            # so this pid is the agent); its own GetProcessTimes is printed too
            deadline = time.monotonic() + a.seconds + 120
            while True:
                pid, status, usage = os.wait4(agent.pid, os.WNOHANG)
                if pid == agent.pid:
                    break
                if time.monotonic() > deadline:
                    agent.kill()
                    sys.exit("agent did not stop")
                time.sleep(0.05)
            agent.returncode = os.waitstatus_to_exitcode(status)
            linux_cpu_ms = int((usage.ru_utime + usage.ru_stime) * 1000)
            agent_err.close()
            inj_out.close()
            inj_text = open(inj_out.name).read()
            m = re.search(r"offered (\d+) in ([\d.]+) s", inj_text)
            if inj.returncode != 0 or not m:
                sys.exit("injector failed: " + inj_text)
            offered, inj_secs = int(m.group(1)), float(m.group(2))
            stats = open(agent_err.name).read()
            ms = re.search(r"forwarded (\d+) records, events lost (\d+), resyncs (\d+), cpu user (\d+) ms "
                           r"kernel (\d+) ms, wall (\d+) ms", stats)
            if not ms:
                sys.exit("agent stats missing: " + stats)
            cpu_ms = int(ms.group(4)) + int(ms.group(5))
            wall_ms = int(ms.group(6))

            t0 = time.monotonic()
            dec = subprocess.run([proctree, "decode", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            dec_secs = time.monotonic() - t0
            if dec.returncode != 0:
                sys.exit("proctree decode failed: " + dec.stderr.decode())
            delivered = lost = records = 0
            in_snapshot = False
            for line in dec.stdout.splitlines():
                r = json.loads(line)
                records += 1
                t = r["type"]
                if t == "snapshot_begin":
                    in_snapshot = True
                elif t == "snapshot_end":
                    in_snapshot = False
                elif t == "events_lost":
                    lost += r["count"]
                elif t == "create" and not in_snapshot and r["name"] == "worker.exe":
                    delivered += 1
            rows.append(dict(rate=rate, offered=offered, secs=inj_secs, delivered=delivered,
                             dropped=offered - delivered, lost=lost, resyncs=int(ms.group(3)),
                             cpu_ms=cpu_ms, wall_ms=wall_ms, linux_cpu_ms=linux_cpu_ms, records=records,
                             decode_rps=records / dec_secs if dec_secs > 0 else 0.0,
                             size=os.path.getsize(out)))
            print("rate %d done" % rate, file=sys.stderr)
    finally:
        wine_sh("teardown", prefix)

    print("| offered rate/s | offered | achieved offer/s | delivered | delivered/s | dropped (offered-delivered) "
          "| events-lost total | equal | resyncs | agent CPU ms (% of its wall), Linux rusage | agent CPU ms, own GetProcessTimes "
          "| decode records/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    ok = True
    for r in rows:
        equal = r["dropped"] == r["lost"]
        ok &= equal
        print("| %d | %d | %.0f | %d | %.0f | %d | %d | %s | %d | %d (%.1f%%) | %d | %.0f |" % (
            r["rate"], r["offered"], r["offered"] / r["secs"], r["delivered"], r["delivered"] / r["secs"],
            r["dropped"], r["lost"], "yes" if equal else "NO", r["resyncs"], r["linux_cpu_ms"],
            100.0 * r["linux_cpu_ms"] / max(r["wall_ms"], 1), r["cpu_ms"], r["decode_rps"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

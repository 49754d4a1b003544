#!/usr/bin/python3
"""NATS fleet benchmark (run by hand; quoted in the issue notes).

A. Ten `proctree publish` processes, each fed 2,000 records/s (create/exit
   pairs stamped with the wall clock), into one nats-server; a follower
   (nats_latency_probe) measures end-to-end latency (record time -> received)
   and the real viewer follows one host, and another the whole fleet
   (nats://…/*), in tmux: CPU of each.
B. In one process storm, `proctree publish --source netlink` and
   `proctree record --source netlink -o FILE` side by side: CPU per record.
C. One host with an hour of retained history (checkpoints every 300 s):
   catch-up time of `snapshot` (from the newest checkpoint) against a replay
   of everything (--since +0).

usage: nats_fleet_bench.py --proctree BIN --probe BIN [--seconds 20] [--rate 2000] [--hosts 10]
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nats"))
import nats_lib  # noqa: E402
import wire_gen  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def feeder(pubs, rate, stop, sent):
    """Every 10 ms, rate/100 records to each publisher, stamped now."""
    per_tick = max(2, rate // 100) // 2
    pid = [1000] * len(pubs)
    seq = [3] * len(pubs)
    next_t = time.monotonic()
    while not stop.is_set():
        now = time.time_ns()
        for i, p in enumerate(pubs):
            out = []
            for _ in range(per_tick):
                pid[i] += 1
                out.append(wire_gen.create(seq[i], now, pid[i], now, 1, wire_gen.T0 - 10**9, "job", "job --bench"))
                out.append(wire_gen.exit_(seq[i] + 1, now, pid[i], now))
                seq[i] += 2
            try:
                p.stdin.write(b"".join(out))
                p.stdin.flush()
            except BrokenPipeError:
                return
            sent[i] += 2 * per_tick
        next_t += 0.01
        time.sleep(max(0.0, next_t - time.monotonic()))


def start_viewer(args, server, host):
    """The real viewer in a tmux session of its own: (socket, pid)."""
    sock = f"ptbench{os.getpid()}-{'fleet' if host == '*' else host}"
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", "160", "-y", "48",
                    f"exec {args.proctree} --from 'nats://127.0.0.1:{server.port}/{host}'"], check=True)
    pid = int(subprocess.run(["tmux", "-L", sock, "list-panes", "-F", "#{pane_pid}"], capture_output=True,
                             text=True, check=True).stdout.split()[0])
    return sock, pid


def phase_a(args, server, tmp):
    pubs = []
    for i in range(args.hosts):
        p = subprocess.Popen([args.proctree, "publish", "--nats", server.url, "--from", "-", "--host", f"h{i}"],
                             stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
        head = wire_gen.header(f"h{i}", clock_origin=time.time_ns()) + wire_gen.snapshot(0, time.time_ns(), True) + \
            wire_gen.create(1, time.time_ns(), 1, wire_gen.T0 - 10**9, 0, 0, "init", "/sbin/init") + \
            wire_gen.snapshot(2, time.time_ns(), False)
        p.stdin.write(head)
        p.stdin.flush()
        pubs.append(p)
    nats_lib.wait_for(lambda: subprocess.run([args.proctree, "snapshot", "--from",
                                              f"nats://127.0.0.1:{server.port}/h{args.hosts - 1}"],
                                             capture_output=True).returncode == 0, 60, "the last host published")
    viewer, fleet_viewer = (start_viewer(args, server, what) for what in ("h0", "*"))
    stop, sent = threading.Event(), [0] * args.hosts
    t = threading.Thread(target=feeder, args=(pubs, args.rate, stop, sent))
    t.start()
    time.sleep(2)  # warm up: connections, first batches
    cpu0 = [cpu_s(p.pid) for p in pubs]
    v0, f0 = cpu_s(viewer[1]), cpu_s(fleet_viewer[1])
    sent0 = list(sent)
    probe = subprocess.run([args.probe, server.url, str(args.seconds)], capture_output=True, text=True)
    cpu1 = [cpu_s(p.pid) for p in pubs]
    v1, f1 = cpu_s(viewer[1]), cpu_s(fleet_viewer[1])
    sent1 = list(sent)
    stop.set()
    t.join()
    for sock, _ in (viewer, fleet_viewer):
        subprocess.run(["tmux", "-L", sock, "kill-server"])
    for p in pubs:
        p.stdin.close()
        p.wait(timeout=60)
    records = sum(sent1) - sum(sent0)
    pub_cpu = sum(cpu1) - sum(cpu0)
    print(f"A. {args.hosts} publishers x {args.rate} records/s for {args.seconds} s: {records} records fed")
    print(f"   follower (probe): {probe.stdout.strip()}")
    print(f"   viewer following h0 ({args.rate} records/s): CPU {100 * (v1 - v0) / args.seconds:.1f}%")
    print(f"   fleet viewer following all {args.hosts} hosts ({args.hosts * args.rate} records/s): "
          f"CPU {100 * (f1 - f0) / args.seconds:.1f}%")
    print(f"   publishers: CPU {pub_cpu:.2f} s in all = {1e6 * pub_cpu / max(1, records):.2f} us/record")
    return 1e6 * pub_cpu / max(1, records)


def phase_b(args, server, tmp):
    out = os.path.join(tmp, "storm.ptr")
    rec = subprocess.Popen([args.proctree, "record", "--source", "netlink", "-o", out], stderr=subprocess.DEVNULL)
    pub = subprocess.Popen([args.proctree, "publish", "--nats", server.url, "--source", "netlink", "--host", "live"],
                           stderr=subprocess.DEVNULL)
    nats_lib.wait_for(lambda: os.path.exists(out) and os.path.getsize(out) > 0, 60, "the recording")
    time.sleep(1)
    c_rec, c_pub = cpu_s(rec.pid), cpu_s(pub.pid)
    subprocess.run(["/bin/sh", "-c", f"i=0; while [ $i -lt {args.storm} ]; do /bin/true; i=$((i+1)); done"])
    time.sleep(1)
    c_rec, c_pub = cpu_s(rec.pid) - c_rec, cpu_s(pub.pid) - c_pub
    for p in (rec, pub):
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
    n_rec = len(subprocess.run([args.proctree, "decode", out], capture_output=True).stdout.splitlines()) - 1
    n_pub = len(subprocess.run([args.proctree, "decode", f"nats://127.0.0.1:{server.port}/live"],
                               capture_output=True).stdout.splitlines()) - 1
    per_rec, per_pub = 1e6 * c_rec / max(1, n_rec), 1e6 * c_pub / max(1, n_pub)
    print(f"B. storm of {args.storm} processes, netlink source in both:")
    print(f"   record -o FILE: {n_rec} records, CPU {c_rec:.2f} s = {per_rec:.2f} us/record")
    print(f"   publish --nats: {n_pub} records, CPU {c_pub:.2f} s = {per_pub:.2f} us/record "
          f"(ratio {per_pub / max(1e-9, per_rec):.2f})")


def hour_stream(rate, seconds=3600):
    """One host, `seconds` of history at `rate` records/s: creates and exits,
    about 500 processes alive at any time."""
    out = [wire_gen.header("hist"), wire_gen.snapshot(0, wire_gen.T0, True),
           wire_gen.create(1, wire_gen.T0, 1, wire_gen.T0 - 10**9, 0, 0, "init", "/sbin/init"),
           wire_gen.snapshot(2, wire_gen.T0, False)]
    seq, step = 3, 2 * 10**9 // rate
    alive = []
    for i in range(seconds * rate // 2):
        t = wire_gen.T0 + i * step
        pid = 1000 + i
        out.append(wire_gen.create(seq, t, pid, t, 1, wire_gen.T0 - 10**9, "job", f"job --n {i}"))
        alive.append((pid, t))
        seq += 1
        if len(alive) > 500:
            opid, ot = alive.pop(0)
            out.append(wire_gen.exit_(seq, t, opid, ot))
            seq += 1
    return b"".join(out), seq


def phase_c(args, server, tmp):
    stream, n = hour_stream(args.history_rate)
    path = os.path.join(tmp, "hour.ptr")
    with open(path, "wb") as f:
        f.write(stream)
    t0 = time.monotonic()
    subprocess.run([args.proctree, "publish", "--nats", server.url, "--from", path, "--host", "hist",
                    "--drain-timeout", "600"], check=True, stderr=subprocess.DEVNULL)
    t_pub = time.monotonic() - t0
    spec = f"nats://127.0.0.1:{server.port}/hist"
    timings = {}
    for name, extra in (("newest checkpoint", []), ("everything (--since +0)", ["--since", "+0"])):
        best = None
        for _ in range(3):
            t0 = time.monotonic()
            r = subprocess.run([args.proctree, "snapshot", "--from", spec, "--format", "json", *extra],
                               capture_output=True)
            dt = time.monotonic() - t0
            assert r.returncode == 0, r.stderr
            best = dt if best is None else min(best, dt)
        timings[name] = best
    print(f"C. one host, 1 h of history at {args.history_rate} records/s ({n} records, {len(stream) >> 20} MiB; "
          f"published in {t_pub:.1f} s), catch-up, best of 3:")
    for name, dt in timings.items():
        print(f"   snapshot from {name}: {dt:.2f} s")
    print(f"   ratio {timings['everything (--since +0)'] / timings['newest checkpoint']:.1f}x")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--proctree", required=True)
    p.add_argument("--probe", required=True)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--rate", type=int, default=2000)
    p.add_argument("--hosts", type=int, default=10)
    p.add_argument("--storm", type=int, default=5000)
    p.add_argument("--history-rate", type=int, default=500)
    p.add_argument("--phases", default="abc")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="proctree-natsbench-") as tmp:
        server = nats_lib.NatsServer(tmp).start()
        try:
            print(f"load average at start: {os.getloadavg()[0]:.1f}")
            if "a" in args.phases:
                phase_a(args, server, tmp)
            if "b" in args.phases:
                phase_b(args, server, tmp)
            if "c" in args.phases:
                phase_c(args, server, tmp)
        finally:
            server.stop()


if __name__ == "__main__":
    main()

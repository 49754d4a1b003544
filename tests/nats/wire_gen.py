"""Writes proctree wire streams (driver/include/proctree/wire.h) for tests
that need shapes the samples lack: many records, gaps in the sequence."""
import struct

MAGIC = b"PROCTREE"
T0 = 1_795_000_000_000_000_000


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def header(host, clock_origin=T0, os_=1, source=5):
    h = host.encode()
    size = 40 + len(pad8(h))
    return struct.pack("<8sHHHBBQQIHH", MAGIC, 1, 0, size, os_, source, clock_origin, 0, 0, len(h), 0) + pad8(h)


def _rec(type_, seq, t, body):
    size = 24 + len(body)
    size += -size % 8
    return struct.pack("<HHIQQ", type_, 0, size, seq, t) + body + b"\0" * (size - 24 - len(body))


def create(seq, t, pid, start, ppid, pstart, name, cmdline=""):
    n, c = name.encode(), cmdline.encode()
    body = struct.pack("<IIQIIQIIIIIHHII", pid, 0, start, ppid, 0, pstart, ppid, 0, 0, 0, 1,
                       len(n), 0, 0, len(c)) + n + c
    return _rec(1, seq, t, body)


def exit_(seq, t, pid, start, code=0):
    return _rec(2, seq, t, struct.pack("<IIQiHH", pid, 0, start, code, 0, 0))


def snapshot(seq, t, begin, reason=1, complete=True):
    return _rec(8 if begin else 9, seq, t, struct.pack("<IHH", reason, 1 if complete else 0, 0))


def storm(host, processes, skip=(), name="worker", clock_origin=T0):
    """A snapshot of init, then `processes` children created and exited;
    sequence numbers in `skip` are left out (a gap)."""
    out = [header(host, clock_origin)]
    seq = 0

    def add(make):
        nonlocal seq
        if seq not in skip:
            out.append(make(seq))
        seq += 1

    add(lambda s: snapshot(s, T0, True))
    add(lambda s: create(s, T0, 1, T0 - 10**9, 0, 0, "init", "/sbin/init"))
    add(lambda s: snapshot(s, T0, False))
    for i in range(processes):
        pid = 1000 + i
        t = T0 + (i + 1) * 1000
        add(lambda s, pid=pid, t=t, i=i: create(s, t, pid, t, 1, T0 - 10**9, name, f"{name} --n {i}"))
        add(lambda s, pid=pid, t=t: exit_(s, t + 500, pid, t))
    return b"".join(out), seq


def exec_(seq, t, pid, start, name, cmdline=""):
    n, c = name.encode(), cmdline.encode()
    body = struct.pack("<IIQIIHHIII", pid, 0, start, 0xFFFFFFFF, 0, len(n), 0, 0, len(c), 0) + n + c
    return _rec(3, seq, t, body)


def record_offsets(stream):
    """Where each record of a stream starts."""
    at = struct.unpack_from("<H", stream, 12)[0]
    out = []
    while at < len(stream):
        out.append(at)
        at += struct.unpack_from("<I", stream, at + 4)[0]
    return out


def history(host, seconds, step_ms=250, seed=7, clock_origin=T0, pad=0):
    """`seconds` of stream time: a process created every step_ms under init
    or a living process, some exec'ing, most exiting within a few seconds,
    a few living to the end. Returns (stream, [(time_ns, seq)] of records)."""
    import random
    rnd = random.Random(seed)
    out = [header(host, clock_origin)]
    times = []
    seq = 0

    def add(t, make):
        nonlocal seq
        out.append(make(seq))
        times.append((t, seq))
        seq += 1

    init = (1, T0 - 10**9)
    add(T0, lambda s: snapshot(s, T0, True))
    add(T0, lambda s: create(s, T0, 1, init[1], 0, 0, "init", "/sbin/init"))
    add(T0, lambda s: snapshot(s, T0, False))
    living = [init]
    exits = []  # (time, pid, start)
    t = T0
    for i in range(int(seconds * 1000 / step_ms)):
        t += step_ms * 10**6
        while exits and exits[0][0] <= t:
            et, pid, start = exits.pop(0)
            living.remove((pid, start))
            add(et, lambda s, et=et, pid=pid, start=start: exit_(s, et, pid, start, code=pid % 3))
        parent = rnd.choice(living)
        pid = 2000 + i
        add(t, lambda s, pid=pid, parent=parent: create(s, t, pid, t, parent[0], parent[1], f"p{pid}",
                                                          f"p{pid} --from {parent[0]}" + " -v" * (pad // 3)))
        if rnd.random() < 0.3:
            add(t + 1000, lambda s, pid=pid: exec_(s, t + 1000, pid, t, f"x{pid}", f"x{pid} --exec"))
        living.append((pid, t))
        if rnd.random() < 0.85:
            exits.append((t + rnd.randint(1, 8000) * 10**6, pid, t))
            exits.sort()
    return b"".join(out), times

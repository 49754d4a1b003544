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

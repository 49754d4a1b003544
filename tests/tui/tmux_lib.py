"""Helpers for driving proctree in a private tmux server: a pane, its screen
as text (with colours when asked), SGR parsing, and a tiny wire-format
encoder for replay tests (driver/include/proctree/wire.h)."""
import os
import re
import shlex
import struct
import subprocess
import time


class TestFailure(Exception):
    pass


class SKIP(Exception):
    pass


SGR = re.compile(r"\x1b\[([0-9;]*)m")
# The default columns: PID USER CPU% RSS S START THR, then the tree.
ROW = re.compile(r"^ *(\d+) +\S+ +\S+ +\S+ +\S +\S+ +\d+  ")
TREE_X = 46  # PID(7) USER(8) CPU%(5) RSS(5) S(1) START(8) THR(4), their gaps and two spaces


class Pane:
    def __init__(self, socket, tmpdir, deadline):
        self.base = socket
        self.socket = socket
        self.starts = 0
        self.deadline = deadline
        self.conf = os.path.join(tmpdir, "tmux.conf")
        with open(self.conf, "w") as f:
            f.write("set -g remain-on-exit on\n"
                    "set -g default-terminal tmux-256color\n"
                    "set -g status off\n"
                    "set -g escape-time 0\n"
                    "set -g history-limit 100\n")
        self.running = False

    def tmux(self, *args, check=True):
        r = subprocess.run(["tmux", "-L", self.socket, "-f", self.conf, *args],
                           capture_output=True, text=True, errors="replace")
        if check and r.returncode != 0:
            raise TestFailure(f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def start(self, argv, width, height, env=()):
        # No config file of the user's: every run starts from the viewer's defaults.
        cmd = "exec env -u NO_COLOR LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_CONFIG_HOME=/nonexistent " + " ".join(
            shlex.quote(a) for a in (*env, *argv))
        # A fresh server (socket) per start: a killed server's socket may linger.
        self.starts += 1
        self.socket = f"{self.base}-{self.starts}"
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), cmd)
        self.running = True

    def close(self):
        if self.running:
            self.tmux("kill-server", check=False)
            self.running = False

    def capture(self, colors=False):
        args = ["capture-pane", "-p", "-t", "t"]
        if colors:
            args.insert(1, "-e")
        return self.tmux(*args)

    def display(self, fmt):
        return self.tmux("display-message", "-p", "-t", "t", fmt).strip()

    def exited(self):
        return self.display("#{pane_dead}") == "1"

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text):
        self.tmux("send-keys", "-t", "t", "-l", text)

    def send_line(self, text):
        self.type(text)
        self.keys("Enter")

    def mouse(self, button, x, y):
        """An X10 mouse press at column x, row y (0-based): button 0 is the
        left button, 64/65 the wheel up/down. A button's release goes in the
        same write, as a loaded machine or a slow link delivers them: the
        viewer must still see the press."""
        at = chr(33 + x) + chr(33 + y)
        press = "\x1b[M" + chr(32 + button) + at
        release = "\x1b[M" + chr(32 + 3) + at if button < 3 else ""
        self.type(press + release)

    def resize(self, width, height):
        self.tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))

    def wait_for(self, pred, what, deadline=None):
        end = time.monotonic() + (deadline or self.deadline)
        text = ""
        while True:
            text = self.capture()
            if pred(text):
                return text
            if time.monotonic() > end:
                raise TestFailure(f"timed out waiting for {what}; the screen:\n{text}")
            time.sleep(0.05)

    @staticmethod
    def tree_rows(text):
        return [l for l in text.splitlines() if ROW.match(l)]

    @staticmethod
    def tree_part(row):
        return row[TREE_X:]


def wait_for_child(ppid, name, deadline=20.0):
    """PID of ppid's child whose comm is `name`, polling /proc until deadline."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for e in os.listdir("/proc"):
            if not e.isdigit():
                continue
            try:
                with open(f"/proc/{e}/stat") as f:
                    s = f.read()
            except OSError:
                continue
            if s[s.index("(") + 1:s.rindex(")")] == name and int(s[s.rindex(")") + 2:].split()[1]) == ppid:
                return int(e)
        time.sleep(0.02)
    raise SystemExit(f"{name} did not start")


def plain(line):
    return SGR.sub("", line)


def _apply(attrs, group):
    """Applies one SGR sequence's parameters to the attribute dict."""
    codes = [int(c) if c else 0 for c in group.split(";")] if group else [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            attrs.clear()
        elif c in (1, 2, 4, 7):
            attrs[c] = True
        elif c == 22:
            attrs.pop(1, None)
            attrs.pop(2, None)
        elif c == 24:
            attrs.pop(4, None)
        elif c == 27:
            attrs.pop(7, None)
        elif 30 <= c <= 37 or c == 39:
            for k in [k for k in attrs if 30 <= k <= 39]:
                del attrs[k]
            if c != 39:
                attrs[c] = True
        elif 40 <= c <= 49:
            pass
        elif c in (38, 48):
            i += 2 if i + 1 < len(codes) and codes[i + 1] == 5 else 4
        i += 1


def row_for(text, pid, name):
    """The line showing process `pid` with `name`, or None. For a capture
    with colours (tmux only writes SGR where attributes change, so they carry
    over from line to line) the line starts with the SGR state in effect."""
    attrs = {}
    for line in text.splitlines():
        p = plain(line)
        m = ROW.match(p)
        if m and m.group(1) == str(pid) and name in p:
            prefix = "\x1b[0" + "".join(f";{k}" for k in sorted(attrs)) + "m" if attrs else ""
            return prefix + line
        for g in SGR.finditer(line):
            _apply(attrs, g.group(1))
    return None


def dim_rows(text):
    """PIDs of the tree rows drawn dim in a capture with colours."""
    attrs = {}
    out = []
    for line in text.splitlines():
        p = plain(line)
        m = ROW.match(p)
        if m:
            pos = 0
            visible = 0
            state = dict(attrs)
            target = m.start(1)
            for g in SGR.finditer(line):
                visible += g.start() - pos
                if visible > target:
                    break
                pos = g.end()
                _apply(state, g.group(1))
            if 2 in state:
                out.append(m.group(1))
        for g in SGR.finditer(line):
            _apply(attrs, g.group(1))
    return out


def sgr_at(line, needle):
    """The SGR attributes in effect where `needle` starts on a line returned
    by row_for: a set of ints (1 bold, 2 dim, 7 reverse, 30-37 foreground)."""
    if line is None:
        return set()
    target = plain(line).find(needle)
    if target < 0:
        return set()
    attrs = {}
    visible = 0
    pos = 0
    for m in SGR.finditer(line):
        visible += m.start() - pos
        if visible > target:
            break
        pos = m.end()
        _apply(attrs, m.group(1))
    return set(attrs)


def fg_at(line, needle):
    """The foreground colour (30-37) where `needle` starts; 39 for default;
    None when the needle is not on the line."""
    if line is None or plain(line).find(needle) < 0:
        return None
    fg = [a for a in sgr_at(line, needle) if 30 <= a <= 37]
    return fg[0] if fg else 39


def _pad(b):
    return b + b"\0" * (-len(b) % 8)


def encode_stream(host, events):
    """A wire stream: header, then records from tuples
    ("snap", t, begin) | ("create", t, pid, start, ppid, pstart, name, cmdline[, user[, flags]])
    | ("create_cut", t, pid, start, ppid, pstart, name, cmdline, whole)
    | ("exit", t, pid, start, code, signal, flags). A create's user is root
    unless given; flags are PT_PROC_* (0x10: a kernel thread)."""
    h = host.encode()
    size = 40 + len(_pad(h))
    out = struct.pack("<8sHHHBBQQIHH", b"PROCTREE", 1, 0, size, 1, 5, 0, 0, 0, len(h), 0) + _pad(h)
    for seq, ev in enumerate(events):
        kind, t = ev[0], ev[1]
        if kind == "snap":
            body = struct.pack("<IHH", 1, 1, 0)
            rtype = 8 if ev[2] else 9
        elif kind in ("create", "create_cut"):
            # create_cut: cmd is what the producer kept of `whole` bytes (the
            # cmdline flag and a pt_full_lengths trailer, minor 1).
            _, _, pid, start, ppid, pstart, name, cmd = ev[:8]
            cut = kind == "create_cut"
            user = (ev[8] if len(ev) > 8 and not cut else "root").encode()
            flags = 0x4 | 0x20 if cut else (ev[9] if len(ev) > 9 else 0)
            strs = name.encode() + user + b"" + cmd.encode()
            body = struct.pack("<IIQIIQIIIIIHHII", pid, 0, start, ppid, 0, pstart, ppid, 0, 0, flags, 1,
                               len(name.encode()), len(user), 0, len(cmd.encode())) + strs
            if cut:
                body = _pad(struct.pack("<HHIQQ", 0, 0, 0, 0, 0) + body)[24:] + struct.pack("<IIII", 0, 0, ev[8], 0)
            rtype = 1
        elif kind == "exit":
            _, _, pid, start, code, sig, flags = ev
            body = struct.pack("<IIQiHH", pid, 0, start, code, sig, flags)
            rtype = 2
        else:
            raise ValueError(kind)
        rec = _pad(struct.pack("<HHIQQ", rtype, 0, 0, seq, t) + body)
        rec = rec[:4] + struct.pack("<I", len(rec)) + rec[8:]
        out += rec
    return out

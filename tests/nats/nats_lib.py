"""A real nats-server (Debian's) for tests: 127.0.0.1, a free port, a
temporary store; stopped and restarted by its pid, never by name."""
import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class NatsServer:
    def __init__(self, workdir, config_extra="", scheme="nats"):
        self.workdir = workdir
        self.port = free_port()
        self.store = os.path.join(workdir, "store")
        self.scheme = scheme
        self.config = os.path.join(workdir, "server.conf")
        with open(self.config, "w") as f:
            f.write(f'listen: "127.0.0.1:{self.port}"\n')
            f.write(f'jetstream {{ store_dir: "{self.store}" }}\n')
            f.write(config_extra)
        self.proc = None
        self.log = os.path.join(workdir, "server.log")

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(["nats-server", "-c", self.config], stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        wait_for(self._listening, 30, f"nats-server on port {self.port}")
        return self

    def _listening(self):
        if self.proc.poll() is not None:
            with open(self.log) as f:
                raise AssertionError("nats-server exited: " + f.read()[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def kill(self):
        """Hard stop (SIGKILL) by pid: an outage, not a clean shutdown."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)

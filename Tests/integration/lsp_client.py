"""A minimal LSP client over a real `slipway serve` process, for the stdio tests and the benchmark."""
import json
import os
import select
import subprocess
import time


class StdioServer:
    def __init__(self, binary, *args, cwd=None, stderr=subprocess.PIPE):
        # A long run that logs much must pass stderr=DEVNULL (or a file): an unread pipe fills and blocks the server.
        self.proc = subprocess.Popen([binary, "serve", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr, cwd=cwd)
        self.buf = b""
        self.next_id = 1
        self.stashed = []

    def write(self, data: bytes):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, obj):
        body = json.dumps(obj).encode()
        self.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method, params=None):
        i = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": i, "method": method, "params": params or {}})
        return i

    def notify(self, method, params=None):
        self.send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    def _fill(self, timeout):
        fd = self.proc.stdout.fileno()
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return False
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise EOFError("server closed stdout")
        self.buf += chunk
        return True

    def read_message(self, timeout=10.0):
        """The next message; every byte on stdout must be part of a valid frame."""
        deadline = time.time() + timeout
        while True:
            if b"\r\n\r\n" in self.buf:
                header, rest = self.buf.split(b"\r\n\r\n", 1)
                fields = dict(line.split(b": ", 1) for line in header.split(b"\r\n"))
                assert set(fields) <= {b"Content-Length", b"Content-Type"}, f"bad header {header!r}"
                n = int(fields[b"Content-Length"])
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return json.loads(rest[:n])
            left = deadline - time.time()
            if left <= 0 or not self._fill(left):
                raise TimeoutError("no message from the server")

    def wait_for(self, pred, timeout=10.0):
        for i, m in enumerate(self.stashed):
            if pred(m):
                return self.stashed.pop(i)
        deadline = time.time() + timeout
        while True:
            m = self.read_message(max(0.01, deadline - time.time()))
            if pred(m):
                return m
            self.stashed.append(m)

    def response(self, i, timeout=10.0):
        return self.wait_for(lambda m: m.get("id") == i and "method" not in m, timeout)

    def initialize(self, capabilities=None, **extra):
        i = self.request("initialize", {"processId": None, "capabilities": capabilities or {}, **extra})
        r = self.response(i)
        self.notify("initialized", {})
        return r

    def close(self):
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()

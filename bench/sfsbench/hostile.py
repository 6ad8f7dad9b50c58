"""A hostile client for workload 5: from its own loopback address it keeps
64 idle connections and 64 progress (SSE) watchers open for as long as the
workload runs, opening each again as soon as the frontend closes or refuses
it. The frontend's per-client caps should turn most of them away with 429
and the users should not notice."""

import json
import socket
import subprocess
import sys
import threading

IDLE = 64
WATCHERS = 64
ADDRESS = "127.0.0.2"


class Hostile:
    def __init__(self, port):
        self.port = port
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.opened = 0    # connections the frontend accepted
        self.refused = 0   # answered 429 or 503 at once
        self.threads = []
        self.sockets = set()

    def __enter__(self):
        for i in range(IDLE):
            self._spawn(None)
        for i in range(WATCHERS):
            self._spawn(f"GET /sse/progress?id=hostile-{i} HTTP/1.1\r\n"
                        "Host: sfs\r\n\r\n".encode())
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        with self.lock:
            for s in list(self.sockets):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for t in self.threads:
            t.join()

    def _spawn(self, request):
        t = threading.Thread(target=self._hold, args=(request,), daemon=True)
        t.start()
        self.threads.append(t)

    def _hold(self, request):
        """Holds one connection open; opens it again whenever it ends."""
        while not self.stopping.is_set():
            s = socket.socket()
            try:
                s.bind((ADDRESS, 0))
                s.connect(("127.0.0.1", self.port))
                with self.lock:
                    self.sockets.add(s)
                if request:
                    s.sendall(request)
                first = s.recv(4096)
                status = first.split(b" ", 2)[1] if first.count(b" ") >= 2 else b""
                with self.lock:
                    if status in (b"429", b"503"):
                        self.refused += 1
                    else:
                        self.opened += 1
                while first and not self.stopping.is_set():
                    first = s.recv(4096)
            except OSError:
                pass
            finally:
                with self.lock:
                    self.sockets.discard(s)
                s.close()
            self.stopping.wait(0.2)


class HostileProcess:
    """Hostile in a process of its own, as a real attacker would be: its
    threads then do not compete with the users' for this interpreter's
    lock. Counts come back as JSON when the workload ends."""

    def __init__(self, port, enabled=True):
        self.port = port
        self.enabled = enabled  # off: a baseline without the attack
        self.process = None
        self.opened = 0
        self.refused = 0

    def __enter__(self):
        if self.enabled:
            self.process = subprocess.Popen(
                [sys.executable, __file__, str(self.port)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc):
        if self.process is None:
            return
        out, _ = self.process.communicate(input="", timeout=60)
        counts = json.loads(out)
        self.opened, self.refused = counts["opened"], counts["refused"]


if __name__ == "__main__":
    # Attacks 127.0.0.1:<port> until stdin closes; prints its counts.
    with Hostile(int(sys.argv[1])) as attack:
        sys.stdin.read()
    print(json.dumps({"opened": attack.opened, "refused": attack.refused}))

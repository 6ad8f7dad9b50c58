"""A fresh local SFS cluster for one bench run: `sfs up` in its own folder
and on its own ports, so it never meets `make up` or the test clusters."""

import json
import os
import signal
import subprocess
import time

from .errors import BenchError, Skipped
from .httpio import Endpoint
from .procs import (children_of, cmdline, port_is_free, run, sha256_of_file,
                    timed_run)

CHUNKSERVERS = 4
# The frontend's connection cap per client address.
PER_CLIENT = 96
NAMESPACE = "bench"


class Cluster:
    def __init__(self, bin_dir, data_dir, port_base, frontend_threads, tls=True,
                 encrypt_data=True):
        self.bin_dir = bin_dir
        self.tls = tls  # mutual TLS on the cluster plane (sfs up's default)
        # With tls: chunk bytes over it too (sfs-chunkserver --encrypt_data).
        self.encrypt_data = encrypt_data
        self.data_dir = data_dir
        self.master_port = port_base
        self.chunkserver_port = port_base + 101
        self.http_port = port_base + 80
        self.frontend_threads = frontend_threads
        self.process = None
        self.http = None  # an Endpoint once the frontend answered
        self.frontend_problem = None  # why HTTP workloads are skipped

    @property
    def master(self):
        return f"127.0.0.1:{self.master_port}"

    @property
    def admin_tls_dir(self):
        """The admin certificate `sfs up` made for this cluster ("" without
        TLS)."""
        return os.path.join(self.data_dir, "tls", "admin") if self.tls else ""

    def sfs(self, *args):
        # Named, not found under --data: until `sfs up` has made it, the
        # CLI then fails at once instead of trying plaintext.
        credential = (f"--tls_dir={self.admin_tls_dir}" if self.tls
                      else f"--data={self.data_dir}")
        return [os.path.join(self.bin_dir, "sfs"), *args, f"--master={self.master}",
                credential]

    def timed_get(self, remote, local, sha):
        """Seconds `sfs get` took to fetch `remote` into `local`, whose
        SHA-256 must be `sha`; `local` is removed either way."""
        try:
            _, seconds = timed_run(self.sfs("get", remote, local))
            got = sha256_of_file(local)
        finally:
            if os.path.exists(local):
                os.remove(local)
        if got != sha:
            raise BenchError(f"sfs get {remote}: sha256 {got}, expected {sha}")
        return seconds

    def start(self):
        ports = [self.master_port, self.http_port] + [
            self.chunkserver_port + i for i in range(CHUNKSERVERS)]
        taken = [p for p in ports if not port_is_free(p)]
        if taken:
            raise BenchError(f"ports {taken} are in use: pick --port-base")
        argv = [os.path.join(self.bin_dir, "sfs"), "up", f"--data={self.data_dir}",
                f"--master-port={self.master_port}",
                f"--chunkserver-port={self.chunkserver_port}",
                f"--http-port={self.http_port}",
                # No operations ports: they would sit outside --port-base.
                "--ops-port=0",
                f"--chunkservers={CHUNKSERVERS}", "--heartbeat=1s",
                f"--cluster-tls={'true' if self.tls else 'false'}",
                # Deleted workload files free their disk space soon.
                "--master-args=--gc_grace=5s",
                *([] if self.encrypt_data
                  else ["--chunkserver-args=--encrypt_data=false"]),
                # Workload 5's users come from 127.0.1.x, 32 per address,
                # its hostile client from 127.0.0.2; wrk opens up to 64.
                f"--frontend-args=--threads={self.frontend_threads}"
                f" --max_connections_per_client={PER_CLIENT}"]
        os.makedirs(self.data_dir, exist_ok=True)
        log = open(os.path.join(self.data_dir, "cluster.log"), "w")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self._wait_for_chunkservers()
        self._open_frontend()

    def _wait_for_chunkservers(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"sfs up exited; see {self.data_dir}/cluster.log")
            try:
                status = json.loads(run(self.sfs("status", "--json", "--timeout=5s"),
                                        timeout=10))
                alive = [s for s in status["chunkservers"] if s["alive"]]
                if len(alive) == CHUNKSERVERS and not status["safe_mode"]:
                    return
            except (BenchError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        raise BenchError(f"{CHUNKSERVERS} chunkservers not alive after {timeout}s")

    def _open_frontend(self, timeout=60):
        """Waits for /readyz, then creates the public bench namespace. Records
        why not (frontend_problem) instead of failing: the non-HTTP workloads
        still run."""
        if not os.access(os.path.join(self.bin_dir, "sfs-frontend"), os.X_OK):
            self.frontend_problem = "sfs-frontend is not built"
            return
        probe = Endpoint(self.http_port)
        deadline = time.monotonic() + timeout
        while probe.status_of("/readyz") != 200:
            if time.monotonic() > deadline:
                self.frontend_problem = f"/readyz not 200 after {timeout}s"
                return
            time.sleep(0.5)
        token = run([os.path.join(self.bin_dir, "sfs"), "token", "--user=bench",
                     f"--data={self.data_dir}"]).strip()
        endpoint = Endpoint(self.http_port, token)
        status, reply = endpoint.request_json(
            "POST", "/storage/namespaces", {"name": NAMESPACE, "visibility": 1})
        if status != 201:
            self.frontend_problem = f"creating a namespace: HTTP {status} {reply}"
            return
        self.http = endpoint

    def require_http(self):
        if self.http is None:
            raise Skipped(f"frontend unavailable ({self.frontend_problem})")
        return self.http

    def pids(self):
        """{"frontend": pid, "rp1": pid, ...} of the running servers."""
        roles = {}
        for pid in children_of(self.process.pid):
            argv = cmdline(pid)
            name = os.path.basename(argv[0])
            if name == "sfs-chunkserver":
                rack = next(a for a in argv if a.startswith("--id=")).split("=")[1]
                roles[rack] = pid
            elif name in ("sfs-frontend", "sfs-master"):
                roles[name.removeprefix("sfs-")] = pid
        return roles

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

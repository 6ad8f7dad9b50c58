"""Process and file chores: run a command, time it, watch memory, hash files."""

import hashlib
import os
import socket
import subprocess
import time

from .errors import BenchError

MIB = 1 << 20


def run(argv, timeout=3600, **kwargs):
    """Runs argv to completion; raises BenchError unless it exits 0."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          **kwargs)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv[:3])}... exited {done.returncode}: "
                         f"{done.stderr.strip()[-500:]}")
    return done.stdout


def timed_run(argv, timeout=3600):
    """Runs argv like run(); returns (stdout, wall seconds)."""
    start = time.monotonic()
    out = run(argv, timeout=timeout)
    return out, time.monotonic() - start


def port_is_free(port):
    """Nothing listens on 127.0.0.1:port. (A bind test would also reject
    ports that only have TIME_WAIT leftovers of an earlier run, which the
    servers, binding with SO_REUSEADDR, do not mind.)"""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


def children_of(pid):
    """Direct children of pid, read from /proc (no psutil on the system python)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return [a.decode() for a in f.read().split(b"\0") if a]


def reset_peak_rss(pid):
    """Restarts VmHWM from the current RSS (proc(5): clear_refs value 5)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def peak_rss_mib(pid):
    """VmHWM of a live process, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise BenchError(f"no VmHWM for pid {pid}")


def write_random_file(path, size, tail=b""):
    """Writes size random bytes (ending in `tail`) to path; returns SHA-256 hex."""
    digest = hashlib.sha256()
    body = size - len(tail)
    with open(path, "wb") as f:
        while body > 0:
            block = os.urandom(min(MIB, body))
            digest.update(block)
            f.write(block)
            body -= len(block)
        digest.update(tail)
        f.write(tail)
    return digest.hexdigest()


def sha256_of_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(4 * MIB):
            digest.update(block)
    return digest.hexdigest()

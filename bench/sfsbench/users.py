"""Workload 5, the seed's: N users each upload their own 25 MiB file at
once, then all download theirs at once (every byte checked), while a hostile
client (hostile.py) holds idle connections and progress watchers open. The
users come from loopback addresses 127.0.1.x, USERS_PER_ADDRESS each, so
the frontend's per-client caps apply to them as to real users. The same N
concurrent downloads from nginx are the download baseline; dd the upload's,
measured in the same round. At 400 users one round takes minutes, so this
workload runs --user-rounds rounds (default 1), not --rounds."""

import concurrent.futures
import hashlib
import os
import shutil
import threading
import time

from .context import figure
from .errors import BenchError
from .hostile import HostileProcess
from .procs import MIB, peak_rss_mib, reset_peak_rss
from .rounds import column, interleave
from .transfers import DD, NGINX

TAG_BYTES = 32
USERS_PER_ADDRESS = 32


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))]


def all_at_once(n, action):
    """Runs action(i) for i in 0..n-1 in n threads released together;
    returns (per-call seconds, wall seconds). Any failure fails the phase
    with how many failed and the first reason."""
    barrier = threading.Barrier(n + 1)

    def one(i):
        barrier.wait()
        return action(i)

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(one, i) for i in range(n)]
        barrier.wait()
        start = time.monotonic()
        concurrent.futures.wait(futures)
        wall = time.monotonic() - start
    errors = [f.exception() for f in futures if f.exception()]
    if errors:
        raise BenchError(f"{len(errors)}/{n} transfers failed, first: {errors[0]}")
    return [f.result() for f in futures], wall


def users(ctx):
    """A round (--user-rounds of them, default 1: a round takes minutes):
    the N users upload then download with the hostile client attacking,
    then N concurrent downloads from nginx, then one dd measurement."""
    http = ctx.cluster.require_http()
    n, size = ctx.options.users, ctx.options.user_mib * MIB
    rounds = ctx.options.user_rounds
    _check_room(ctx.cluster.data_dir, 3 * n * size)
    # User i's file: a shared random body then a 32-byte tag naming i, so
    # every user's bytes differ and the expected SHA-256 costs one copy().
    body = memoryview(os.urandom(size - TAG_BYTES))
    body_digest = hashlib.sha256(body)
    tags = [f"user {i:08d}".encode().ljust(TAG_BYTES, b".") for i in range(n)]
    digests = []
    for tag in tags:
        d = body_digest.copy()
        d.update(tag)
        digests.append(d.hexdigest())

    def chunks(i):
        return [body[o:o + MIB] for o in range(0, len(body), MIB)] + [tags[i]]

    pids = {role: pid for role, pid in ctx.cluster.pids().items()
            if role != "master"}
    user = [http.from_address(f"127.0.1.{1 + i // USERS_PER_ADDRESS}")
            for i in range(n)]

    def sfs(r):
        """One round of the users against the frontend, under attack."""
        if r > 0:  # the previous round's 3 x N x 25 MiB would fill the disk
            _delete_all(http, [_path(r - 1, i) for i in range(n)])
        for pid in pids.values():
            reset_peak_rss(pid)
        with HostileProcess(http.port, enabled=ctx.options.hostile) as hostile:
            up_times, up_wall = all_at_once(
                n, lambda i: user[i].upload(_path(r, i), chunks(i), size,
                                            digests[i]))
            down_times, down_wall = all_at_once(
                n, lambda i: user[i].download(_path(r, i), size, digests[i]))
        return {"up": n * size / 1e6 / up_wall, "down": n * size / 1e6 / down_wall,
                "up p50": percentile(up_times, 0.5),
                "up p99": percentile(up_times, 0.99),
                "down p50": percentile(down_times, 0.5),
                "down p99": percentile(down_times, 0.99),
                "opened": hostile.opened, "refused": hostile.refused,
                **{f"rss {role}": peak_rss_mib(pid) for role, pid in pids.items()}}

    nginx = _nginx_downloads(ctx, n, body, body_digest)
    s = interleave(rounds, {"SFS": sfs, "nginx": nginx, "dd": ctx.dd_mb_s})
    sfs_rounds = s["SFS"]
    figures = [
        figure(f"{n} users: successes", [2 * n] * rounds, "transfers"),
        figure("hostile client: connections held",
               column(sfs_rounds, "opened"), "connections"),
        figure("hostile client: connections refused (429/503)",
               column(sfs_rounds, "refused"), "connections"),
        figure(f"{n} users: aggregate upload", column(sfs_rounds, "up"),
               "MB/s", DD, s["dd"]),
        figure(f"{n} users: aggregate download", column(sfs_rounds, "down"),
               "MB/s", f"{NGINX}, {n} at once", s["nginx"]),
        figure("per-upload time p50", column(sfs_rounds, "up p50"), "s"),
        figure("per-upload time p99", column(sfs_rounds, "up p99"), "s"),
        figure("per-download time p50", column(sfs_rounds, "down p50"), "s"),
        figure("per-download time p99", column(sfs_rounds, "down p99"), "s"),
    ] + [figure(f"peak RSS {role}", column(sfs_rounds, f"rss {role}"), "MiB")
         for role in sorted(pids)]
    rss = {role: max(column(sfs_rounds, f"rss {role}")) for role in sorted(pids)}
    return {"figures": figures, "peak_rss_mib": rss}


def _check_room(data_dir, needed):
    """Fails before the round when the cluster's disk cannot hold a round's
    replicas (with a tenth to spare): every upload would fail with 507."""
    free = shutil.disk_usage(data_dir).free
    if free < needed * 1.1:
        raise BenchError(f"{data_dir} has {free / 2**30:.1f} GiB free; a round "
                         f"of workload 5 stores {needed / 2**30:.1f} GiB "
                         "(3 replicas of every user's file): use fewer "
                         "--users or --user-mib, or free the disk")


def _path(r, i):
    """User i's file in round r."""
    return f"/storage/bench/users/{r}/{i:06d}.bin"


def _delete_all(http, paths):
    """Deletes the files at `paths`, 8 at a time."""
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(http.delete, paths))


def _nginx_downloads(ctx, n, body, body_digest):
    """A measure: aggregate MB/s of n concurrent downloads of one same-size
    file from nginx (the file is written now, once)."""
    name = "users-baseline.bin"
    tag = b"nginx".ljust(TAG_BYTES, b".")
    with open(os.path.join(ctx.www, name), "wb") as f:
        f.write(body)
        f.write(tag)
    digest = body_digest.copy()
    digest.update(tag)
    size = len(body) + TAG_BYTES

    def measure(_round):
        _, wall = all_at_once(n, lambda i: ctx.nginx.download(
            f"/{name}", size, digest.hexdigest()))
        return n * size / 1e6 / wall

    return measure

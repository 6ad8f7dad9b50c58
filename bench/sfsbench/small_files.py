"""Workload 3: a 155 KB file fetched by wrk at several concurrencies against
nginx, and many 155 KB uploads against three fsynced local copies, each in
interleaved rounds (rounds.py)."""

import concurrent.futures
import hashlib
import os
import re
import time

from .baselines import synced_small_files_per_s
from .context import figure
from .errors import BenchError
from .procs import run
from .rounds import column, interleave
from .httpio import KeptAlive
from .transfers import NGINX, http_uploaded

SMALL_BYTES = 155_000
UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNIT_MS[unit]


def wrk(url, connections, seconds):
    """req/s, p50 ms, p99 ms of one wrk run; any non-2xx response or socket
    error fails it. The 30 s timeout (wrk's default is 2 s) lets a slow
    answer count in p99 rather than vanish as a timeout."""
    out = run(["wrk", f"-t{min(2, connections)}", f"-c{connections}",
               f"-d{seconds}s", "--timeout", "30s", "--latency", url])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise BenchError(f"wrk {url}: {bad.group(1)} non-2xx responses")
    errors = re.search(r"Socket errors: (.*)", out)
    if errors and any(int(n) for n in re.findall(r"\d+", errors.group(1))):
        raise BenchError(f"wrk {url}: socket errors {errors.group(1)}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    return rate, p50, p99


def small_reads(ctx):
    """A round: one wrk run against the frontend, then one against nginx,
    at each connection count."""
    http = ctx.cluster.require_http()
    name, _, sha = ctx.random_file(SMALL_BYTES)
    remote = http_uploaded(ctx, SMALL_BYTES)
    # wrk checks only status codes: check the bytes once on each server.
    http.download(remote, SMALL_BYTES, sha)
    ctx.nginx.download(f"/{name}", SMALL_BYTES, sha)
    seconds = ctx.options.wrk_seconds
    measures = {}
    for c in ctx.options.wrk_connections:
        measures[f"SFS c={c}"] = lambda _r, c=c: wrk(http.url(remote), c, seconds)
        measures[f"nginx c={c}"] = (
            lambda _r, c=c: wrk(ctx.nginx.url(f"/{name}"), c, seconds))
    s = interleave(ctx.options.rounds, measures, "wrk")
    figures, series = [], {"sfs": [], "nginx": []}
    for c in ctx.options.wrk_connections:
        sfs, nginx = s[f"SFS c={c}"], s[f"nginx c={c}"]
        rate = figure(f"155 KB GET c={c}", column(sfs, 0), "req/s", NGINX,
                      column(nginx, 0))
        figures += [
            rate,
            figure(f"155 KB GET c={c} p50", column(sfs, 1), "ms", NGINX,
                   column(nginx, 1), True),
            figure(f"155 KB GET c={c} p99", column(sfs, 2), "ms", NGINX,
                   column(nginx, 2), True)]
        series["sfs"].append((c, rate["value"]))
        series["nginx"].append((c, rate["baseline_value"]))
    return {"figures": figures, "series": {"small_get_req_s": series}}


def small_uploads(ctx):
    """files/s of --small-uploads distinct 155 KB uploads, each answered 201
    with the right ETag: from --upload-concurrency clients on fresh
    connections, and from one client on one kept-alive connection. A round:
    one batch of each (into a folder of its own), each followed by the same
    count of files written as three fsynced local copies at the same
    concurrency."""
    http = ctx.cluster.require_http()
    count = ctx.options.small_uploads
    concurrency = ctx.options.upload_concurrency
    # Each file is a shared random body plus its own 8-byte index, so every
    # upload has distinct content and a cheap expected SHA-256.
    body = os.urandom(SMALL_BYTES - 8)
    body_digest = hashlib.sha256(body)

    def upload(folder, i, session=None):
        tail = i.to_bytes(8, "big")
        digest = body_digest.copy()
        digest.update(tail)
        http.upload(f"/storage/bench/{folder}/{i:06d}.bin", [body, tail],
                    SMALL_BYTES, digest.hexdigest(), session)

    def batch(r):
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda i: upload(f"small/{r}", i), range(count)))
        return count / (time.monotonic() - start)

    def kept_alive(r):
        session = KeptAlive(http)
        start = time.monotonic()
        try:
            for i in range(count):
                upload(f"small-kept-alive/{r}", i, session)
        finally:
            session.close()
        # The frontend serves up to 1000 requests on a connection
        # (ConnectionLimits::keep_alive_requests); closing it sooner is a
        # regression.
        if session.opened > 1 + (count - 1) // 1000:
            raise BenchError(f"{count} uploads on a kept-alive connection "
                             f"needed {session.opened} connections")
        return count / (time.monotonic() - start)

    def local(concurrency):
        return lambda _round: synced_small_files_per_s(
            ctx.work_dir, count, SMALL_BYTES, concurrency)

    s = interleave(ctx.options.rounds,
                   {"SFS": batch, "local": local(concurrency),
                    "SFS kept alive": kept_alive, "local c=1": local(1)},
                   "uploads")
    return {"figures": [
        figure(f"{count} x 155 KB uploads, c={concurrency}", s["SFS"],
               "files/s", f"3 fsynced local copies, c={concurrency}",
               s["local"]),
        figure(f"{count} x 155 KB uploads, one kept-alive connection",
               s["SFS kept alive"], "files/s", "3 fsynced local copies, c=1",
               s["local c=1"])]}


def small_files(ctx):
    reads = small_reads(ctx)
    uploads = small_uploads(ctx)
    return {"figures": reads["figures"] + uploads["figures"],
            "series": reads["series"]}

"""Workload 7: what mutual TLS on the cluster plane costs. The same file goes
through `sfs put` and `sfs get` on the bench's cluster (TLS, as deployed)
and on a second local cluster started with --cluster-tls=false, alternating
between the two (A B A B), three times each."""

import os
import statistics

from .cluster import Cluster
from .context import figure, large_size, mb_s
from .errors import BenchError
from .procs import sha256_of_file, timed_run

ROUNDS = 3


def _spread(values):
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values)}


def cluster_tls(ctx):
    size = large_size(ctx.options)
    _, path, sha = ctx.random_file(size)
    plain = Cluster(ctx.bin_dir, os.path.join(ctx.work_dir, "cluster-plain"),
                    ctx.options.port_base + 300, frontend_threads=16, tls=False)
    speeds = {"tls": {"put": [], "get": []}, "plain": {"put": [], "get": []}}
    try:
        plain.start()
        for i in range(ROUNDS):
            for name, cluster in (("tls", ctx.cluster), ("plain", plain)):
                remote = f"/bench/tls-{i}"
                _, put = timed_run(cluster.sfs("put", path, remote))
                local = ctx.scratch(f"tls-{name}.bin")
                _, get = timed_run(cluster.sfs("get", remote, local))
                got = sha256_of_file(local)
                os.remove(local)
                if got != sha:
                    raise BenchError(f"{name} cluster: {remote} came back as {got}")
                timed_run(cluster.sfs("rm", remote))
                speeds[name]["put"].append(mb_s(size, put))
                speeds[name]["get"].append(mb_s(size, get))
    finally:
        plain.stop()
    figures = []
    for op, label in (("put", "sfs put"), ("get", "sfs get")):
        tls, base = _spread(speeds["tls"][op]), _spread(speeds["plain"][op])
        row = figure(f"{label}, TLS cluster plane (median of {ROUNDS})",
                     tls["median"], "MB/s",
                     f"plaintext cluster plane, same file (median of {ROUNDS})",
                     base["median"])
        row["spread"] = {"tls": tls, "plaintext": base}
        figures.append(row)
    return {"figures": figures}

"""Workload 7: what mutual TLS on the cluster plane costs. The same file goes
through `sfs put` and `sfs get` on the bench's cluster (TLS, as deployed),
on a second local cluster started with --cluster-tls=false, and on a third
whose cluster plane is on TLS but whose chunkservers serve chunk bytes in
plaintext (--encrypt_data=false: block tokens their only credential). A
round: put and get on the TLS cluster, then on the plaintext one, then on
the third (rounds.py); both of the others are ratios against plaintext."""

import os

from .cluster import Cluster
from .context import figure, large_size, mb_s
from .errors import BenchError
from .procs import timed_run
from .rounds import column, interleave


def put_get(ctx, cluster, name, size, path, sha, r):
    """(put MB/s, get MB/s) of the file through `cluster`, checked by hash;
    the cluster's copy is removed afterwards."""
    remote = f"/bench/tls-{r}"
    _, put = timed_run(cluster.sfs("put", path, remote))
    try:
        get = cluster.timed_get(remote, ctx.scratch(f"tls-{name}.bin"), sha)
    except BenchError as e:
        raise BenchError(f"{name} cluster: {e}") from e
    timed_run(cluster.sfs("rm", remote))
    return mb_s(size, put), mb_s(size, get)


def cluster_tls(ctx):
    size = large_size(ctx.options)
    _, path, sha = ctx.random_file(size)
    plain = Cluster(ctx.bin_dir, os.path.join(ctx.work_dir, "cluster-plain"),
                    ctx.options.port_base + 300, frontend_threads=16, tls=False)
    clear_data = Cluster(ctx.bin_dir, os.path.join(ctx.work_dir, "cluster-cleardata"),
                         ctx.options.port_base + 500, frontend_threads=16,
                         encrypt_data=False)
    try:
        plain.start()
        clear_data.start()
        s = interleave(ctx.options.rounds, {
            "TLS": lambda r: put_get(ctx, ctx.cluster, "tls", size, path, sha, r),
            "plaintext": lambda r: put_get(ctx, plain, "plaintext", size, path,
                                           sha, r),
            "clear data": lambda r: put_get(ctx, clear_data, "cleardata", size,
                                            path, sha, r)})
    finally:
        plain.stop()
        clear_data.stop()
    figures = []
    for i, label in enumerate(("sfs put", "sfs get")):
        figures.append(figure(f"{label}, TLS cluster plane",
                              column(s["TLS"], i), "MB/s",
                              "plaintext cluster plane, same file",
                              column(s["plaintext"], i)))
        figures.append(figure(f"{label}, TLS plane, chunk bytes plaintext",
                              column(s["clear data"], i), "MB/s",
                              "plaintext cluster plane, same file",
                              column(s["plaintext"], i)))
    return {"figures": figures}

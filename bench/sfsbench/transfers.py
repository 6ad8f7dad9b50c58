"""Workloads 1, 2 and the download half of 6: large uploads and downloads
over HTTP and with the sfs CLI, against dd and nginx."""

import json
import os

from .context import figure, large_size, mb_s, skipped_figure
from .errors import BenchError, Skipped
from .httpio import curl_download, curl_upload
from .procs import MIB, run, sha256_of_file, timed_run

DD = "dd x3 conv=fdatasync, per stream"
NGINX = "nginx, same file, same client"


def http_upload_once(ctx, size):
    """Uploads the random file of `size` with curl once per run; returns
    (remote path, seconds of that upload)."""
    http = ctx.cluster.require_http()
    name, path, sha = ctx.random_file(size)
    remote = f"/storage/bench/{name}"
    seconds = ctx.once(("http", size), lambda: curl_upload(
        http, path, remote, size, sha, ctx.scratch("reply.json")))
    return remote, seconds


def cli_put_once(ctx, size):
    """`sfs put` of the random file of `size`, once per run, checked with
    `sfs stat`; returns (cluster path, seconds)."""
    name, path, sha = ctx.random_file(size)
    remote = f"/bench/cli-{name}"

    def put():
        _, seconds = timed_run(ctx.cluster.sfs("put", path, remote))
        stat = json.loads(run(ctx.cluster.sfs("stat", remote, "--json")))
        if stat["size"] != size or stat["sha256"] != sha:
            raise BenchError(f"sfs put {remote}: stored {stat['size']} bytes "
                             f"{stat['sha256']}, expected {size} {sha}")
        return seconds

    return remote, ctx.once(("cli", size), put)


def with_http(name, measure):
    """A figure from measure(), or a skipped row when there is no frontend."""
    try:
        return measure()
    except Skipped as e:
        return skipped_figure(name, str(e))


def large_upload(ctx):
    size = large_size(ctx.options)
    ctx.random_file(size)
    dd = ctx.dd_mb_s()
    http = with_http("HTTP upload (curl -T)", lambda: figure(
        "HTTP upload (curl -T)", mb_s(size, http_upload_once(ctx, size)[1]),
        "MB/s", DD, dd))
    _, put_seconds = cli_put_once(ctx, size)
    return {"figures": [http, figure("sfs put", mb_s(size, put_seconds), "MB/s",
                                     DD, dd)]}


def _curl_to_scratch(endpoint, remote, ctx, size, sha):
    out = ctx.scratch("download")
    try:
        return curl_download(endpoint, remote, out, size, sha)
    finally:
        if os.path.exists(out):
            os.remove(out)


def large_download(ctx):
    size = large_size(ctx.options)
    name, _, sha = ctx.random_file(size)
    nginx = mb_s(size, _curl_to_scratch(ctx.nginx, f"/{name}", ctx, size, sha))

    def http_figure():
        remote, _ = http_upload_once(ctx, size)
        seconds = _curl_to_scratch(ctx.cluster.require_http(), remote, ctx,
                                   size, sha)
        return figure("HTTP download (curl)", mb_s(size, seconds), "MB/s",
                      NGINX, nginx)

    remote, _ = cli_put_once(ctx, size)
    out = ctx.scratch("cli-download")
    _, seconds = timed_run(ctx.cluster.sfs("get", remote, out))
    got = sha256_of_file(out)
    os.remove(out)
    if got != sha:
        raise BenchError(f"sfs get {remote}: sha256 {got}, expected {sha}")
    return {"figures": [with_http("HTTP download (curl)", http_figure),
                        figure("sfs get", mb_s(size, seconds), "MB/s", NGINX,
                               nginx)]}


def repeated_download_mb_s(endpoint, remote, size, sha):
    """MB/s over enough back-to-back downloads to move >= 256 MiB (2..50)."""
    repeats = max(2, min(50, (256 * MIB) // size))
    seconds = sum(endpoint.download(remote, size, sha) for _ in range(repeats))
    return mb_s(size * repeats, seconds)


def download_growth(ctx):
    """HTTP download MB/s as files grow, each size against nginx."""
    http = ctx.cluster.require_http()
    figures, sfs_series, nginx_series = [], [], []
    for mib in ctx.options.growth_mib:
        size = mib * MIB
        name, _, sha = ctx.random_file(size)
        remote, _ = http_upload_once(ctx, size)
        nginx = repeated_download_mb_s(ctx.nginx, f"/{name}", size, sha)
        sfs = repeated_download_mb_s(http, remote, size, sha)
        figures.append(figure(f"HTTP download {mib} MiB", sfs, "MB/s", NGINX,
                              nginx))
        sfs_series.append((mib, sfs))
        nginx_series.append((mib, nginx))
    return {"figures": figures,
            "series": {"download_mb_s": {"sfs": sfs_series, "nginx": nginx_series}}}

"""Workloads 1, 2 and the download half of 6: large uploads and downloads
over HTTP and with the sfs CLI, against dd and nginx, in interleaved rounds
(rounds.py)."""

import json
import os

from .context import figure, large_size, mb_s, skipped_figure
from .errors import BenchError, Skipped
from .httpio import curl_download, curl_upload
from .procs import MIB, run, timed_run
from .rounds import interleave

DD = "dd x3 conv=fdatasync, per stream"
NGINX = "nginx, same file, same client"


def http_upload(ctx, size, remote):
    """Uploads the random file of `size` to remote with curl -T; returns
    seconds (checked: 201, size and SHA-256 ETag)."""
    _, path, sha = ctx.random_file(size)
    return curl_upload(ctx.cluster.require_http(), path, remote, size, sha,
                       ctx.scratch("reply.json"))


def cli_put(ctx, size, remote):
    """`sfs put` of the random file of `size` to remote, checked with
    `sfs stat`; returns seconds."""
    _, path, sha = ctx.random_file(size)
    _, seconds = timed_run(ctx.cluster.sfs("put", path, remote))
    stat = json.loads(run(ctx.cluster.sfs("stat", remote, "--json")))
    if stat["size"] != size or stat["sha256"] != sha:
        raise BenchError(f"sfs put {remote}: stored {stat['size']} bytes "
                         f"{stat['sha256']}, expected {size} {sha}")
    return seconds


def http_uploaded(ctx, size):
    """The path of a verified HTTP upload of the random file of `size`, for
    the download workloads: the one workload 1 kept, else one made now."""
    remote = f"/storage/bench/{ctx.random_file(size)[0]}"

    def upload():
        http_upload(ctx, size, remote)
        return remote

    return ctx.once(("http", size), upload)


def cli_uploaded(ctx, size):
    """Like http_uploaded, through `sfs put`; a cluster path."""
    remote = f"/bench/cli-{ctx.random_file(size)[0]}"

    def put():
        cli_put(ctx, size, remote)
        return remote

    return ctx.once(("cli", size), put)


def keep_first(ctx, key, remote, delete):
    """Keeps the first round's upload for the download workloads (as
    http_uploaded or cli_uploaded under `key`) and deletes later rounds'
    copies, so rounds of 1 GiB uploads do not fill the disk."""
    if ctx.once(key, lambda: remote) != remote:
        delete(remote)


def http_problem(ctx):
    """Why the HTTP figures are skipped; None when the frontend is up."""
    try:
        ctx.cluster.require_http()
    except Skipped as e:
        return str(e)
    return None


def large_upload(ctx):
    """A round: one curl upload and one `sfs put` of the --large-mib file,
    each to a path of its own, then one dd ceiling measurement."""
    size = large_size(ctx.options)
    name = ctx.random_file(size)[0]
    no_http = http_problem(ctx)

    def curl(r):
        remote = f"/storage/bench/upload-{r}-{name}"
        seconds = http_upload(ctx, size, remote)
        keep_first(ctx, ("http", size), remote, ctx.cluster.http.delete)
        return mb_s(size, seconds)

    def put(r):
        remote = f"/bench/put-{r}-{name}"
        seconds = cli_put(ctx, size, remote)
        keep_first(ctx, ("cli", size), remote,
                   lambda path: run(ctx.cluster.sfs("rm", path)))
        return mb_s(size, seconds)

    measures = {} if no_http else {"curl -T": curl}
    measures.update({"sfs put": put, "dd": ctx.dd_mb_s})
    s = interleave(ctx.options.rounds, measures)
    http = (skipped_figure("HTTP upload (curl -T)", no_http) if no_http else
            figure("HTTP upload (curl -T)", s["curl -T"], "MB/s", DD, s["dd"]))
    return {"figures": [http, figure("sfs put", s["sfs put"], "MB/s", DD,
                                     s["dd"])]}


def _curl_to_scratch(endpoint, remote, ctx, size, sha):
    out = ctx.scratch("download")
    try:
        return curl_download(endpoint, remote, out, size, sha)
    finally:
        if os.path.exists(out):
            os.remove(out)


def large_download(ctx):
    """A round: the --large-mib file downloaded once with curl from the
    frontend, once with `sfs get`, then once with curl from nginx."""
    size = large_size(ctx.options)
    name, _, sha = ctx.random_file(size)
    no_http = http_problem(ctx)

    def curl(_round):
        seconds = _curl_to_scratch(ctx.cluster.http, http_uploaded(ctx, size),
                                   ctx, size, sha)
        return mb_s(size, seconds)

    def get(_round):
        remote = cli_uploaded(ctx, size)
        return mb_s(size, ctx.cluster.timed_get(remote, ctx.scratch("cli-download"),
                                                sha))

    def nginx(_round):
        return mb_s(size, _curl_to_scratch(ctx.nginx, f"/{name}", ctx, size, sha))

    if not no_http:
        http_uploaded(ctx, size)  # not inside the first round's timing
    cli_uploaded(ctx, size)
    measures = {} if no_http else {"curl": curl}
    measures.update({"sfs get": get, "nginx": nginx})
    s = interleave(ctx.options.rounds, measures)
    http = (skipped_figure("HTTP download (curl)", no_http) if no_http else
            figure("HTTP download (curl)", s["curl"], "MB/s", NGINX, s["nginx"]))
    return {"figures": [http, figure("sfs get", s["sfs get"], "MB/s", NGINX,
                                     s["nginx"])]}


def repeated_download_mb_s(endpoint, remote, size, sha):
    """MB/s over enough back-to-back downloads to move >= 256 MiB (2..50)."""
    repeats = max(2, min(50, (256 * MIB) // size))
    seconds = sum(endpoint.download(remote, size, sha) for _ in range(repeats))
    return mb_s(size * repeats, seconds)


def download_growth(ctx):
    """HTTP download MB/s as files grow, each size against nginx. A round:
    every size from the frontend then from nginx, smallest first."""
    http = ctx.cluster.require_http()
    sizes = [(mib, mib * MIB) for mib in ctx.options.growth_mib]
    measures = {}
    for mib, size in sizes:
        name, _, sha = ctx.random_file(size)
        remote = http_uploaded(ctx, size)
        measures[f"SFS {mib} MiB"] = (
            lambda _r, remote=remote, size=size, sha=sha:
            repeated_download_mb_s(http, remote, size, sha))
        measures[f"nginx {mib} MiB"] = (
            lambda _r, name=name, size=size, sha=sha:
            repeated_download_mb_s(ctx.nginx, f"/{name}", size, sha))
    s = interleave(ctx.options.rounds, measures)
    figures, sfs_series, nginx_series = [], [], []
    for mib, _ in sizes:
        row = figure(f"HTTP download {mib} MiB", s[f"SFS {mib} MiB"], "MB/s",
                     NGINX, s[f"nginx {mib} MiB"])
        figures.append(row)
        sfs_series.append((mib, row["value"]))
        nginx_series.append((mib, row["baseline_value"]))
    return {"figures": figures,
            "series": {"download_mb_s": {"sfs": sfs_series, "nginx": nginx_series}}}

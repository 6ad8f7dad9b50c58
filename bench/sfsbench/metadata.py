"""Workload 4 and the lookup half of 6: the master's metadata path through
bench/'s gRPC load generator, against RocksDB alone on the same disk, in
interleaved rounds (rounds.py)."""

from .baselines import load_program, rocksdb
from .context import figure
from .rounds import interleave

PUTS = "RocksDB synced puts"
# Concurrencies of the lookups through client-lib (a frontend's Stats).
CLIENT_LOOKUPS = (16, 64)


def _generator(ctx, *flags):
    return load_program([ctx.tool("sfs-bench-metadata"),
                         f"--master={ctx.cluster.master}",
                         f"--tls_dir={ctx.cluster.admin_tls_dir}", *flags])


def populate(ctx, files):
    """Grows the lookup folder to `files` 0-byte files (16 creators)."""
    if files > ctx.populated_files:
        _generator(ctx, "--op=populate", f"--files={files}",
                   f"--start={ctx.populated_files}", "--concurrency=16")
        ctx.populated_files = files


def sfs_lookups(ctx, files, concurrency, op="stat"):
    """Stat/s among the first `files` files, at `concurrency` (one run): one
    RPC each (`stat`), or through client-lib, whose concurrent lookups share
    StatMany calls as a frontend's do (`client-stat`)."""
    return _generator(ctx, f"--op={op}", f"--files={files}",
                      f"--concurrency={concurrency}",
                      f"--duration={ctx.options.load_seconds}s")["ops_per_sec"]


def rocksdb_gets(ctx, files, concurrency):
    """RocksDB get/s among `files` keys, at `concurrency` (one run)."""
    return rocksdb(ctx.bin_dir, ctx.work_dir, "get", concurrency,
                   ctx.options.load_seconds, files)["ops_per_sec"]


def sfs_creates(ctx, concurrency):
    return _generator(ctx, "--op=create", f"--concurrency={concurrency}",
                      f"--duration={ctx.options.load_seconds}s")["ops_per_sec"]


def rocksdb_puts(ctx, concurrency):
    return rocksdb(ctx.bin_dir, ctx.work_dir, "put", concurrency,
                   ctx.options.load_seconds)["ops_per_sec"]


def master_metadata(ctx):
    """A round: Stat lookups then RocksDB gets at c=1 and c=16, the same
    lookups through client-lib then RocksDB gets at c=16 and c=64, then
    synced creates then RocksDB synced puts at c=1 and c=16, one run each."""
    files = ctx.options.lookup_files[0]
    populate(ctx, files)
    measures = {}
    for c in (1, 16):
        measures[f"Stat c={c}"] = lambda _r, c=c: sfs_lookups(ctx, files, c)
        measures[f"get c={c}"] = lambda _r, c=c: rocksdb_gets(ctx, files, c)
    for c in CLIENT_LOOKUPS:
        measures[f"client Stat c={c}"] = (
            lambda _r, c=c: sfs_lookups(ctx, files, c, "client-stat"))
        measures[f"client get c={c}"] = (
            lambda _r, c=c: rocksdb_gets(ctx, files, c))
    for c in (1, 16):
        measures[f"create c={c}"] = lambda _r, c=c: sfs_creates(ctx, c)
        measures[f"put c={c}"] = lambda _r, c=c: rocksdb_puts(ctx, c)
    s = interleave(ctx.options.rounds, measures)
    figures = []
    for c in (1, 16):
        figures.append(figure(f"Stat lookups c={c} ({files} files)",
                              s[f"Stat c={c}"], "ops/s", f"RocksDB gets c={c}",
                              s[f"get c={c}"]))
    for c in CLIENT_LOOKUPS:
        figures.append(figure(
            f"Stat lookups through client-lib c={c} ({files} files)",
            s[f"client Stat c={c}"], "ops/s", f"RocksDB gets c={c}",
            s[f"client get c={c}"]))
    for c in (1, 16):
        figures.append(figure(f"synced creates c={c}", s[f"create c={c}"],
                              "ops/s", f"{PUTS} c={c}", s[f"put c={c}"]))
    return {"figures": figures}


def lookup_growth(ctx):
    """For each namespace size in turn (the namespace only grows): rounds
    of one Stat run then one RocksDB get run, both at c=16."""
    figures, sfs_series, base_series = [], [], []
    for files in ctx.options.lookup_files:
        populate(ctx, files)
        s = interleave(ctx.options.rounds, {
            "Stat": lambda _r: sfs_lookups(ctx, files, 16),
            "RocksDB get": lambda _r: rocksdb_gets(ctx, files, 16)},
            f"lookups among {files} files")
        row = figure(f"Stat lookups c=16, {files} files", s["Stat"], "ops/s",
                     "RocksDB gets c=16, same count", s["RocksDB get"])
        figures.append(row)
        sfs_series.append((files, row["value"]))
        base_series.append((files, row["baseline_value"]))
    return {"figures": figures,
            "series": {"lookups_per_s": {"sfs": sfs_series,
                                         "rocksdb": base_series}}}

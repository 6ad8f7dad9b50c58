"""Workload 4 and the lookup half of 6: the master's metadata path through
bench/'s gRPC load generator, against RocksDB alone on the same disk."""

from .baselines import load_program, rocksdb
from .context import figure

PUTS = "RocksDB synced puts"


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


def lookups(ctx, files, concurrency):
    """(SFS Stat/s, RocksDB get/s) with `files` records, same concurrency."""
    populate(ctx, files)
    seconds = ctx.options.load_seconds
    sfs = _generator(ctx, "--op=stat", f"--files={files}",
                     f"--concurrency={concurrency}", f"--duration={seconds}s")
    base = rocksdb(ctx.bin_dir, ctx.work_dir, "get", concurrency, seconds, files)
    return sfs["ops_per_sec"], base["ops_per_sec"]


def creates(ctx, concurrency):
    seconds = ctx.options.load_seconds
    sfs = _generator(ctx, "--op=create", f"--concurrency={concurrency}",
                     f"--duration={seconds}s")
    base = rocksdb(ctx.bin_dir, ctx.work_dir, "put", concurrency, seconds)
    return sfs["ops_per_sec"], base["ops_per_sec"]


def master_metadata(ctx):
    files = ctx.options.lookup_files[0]
    figures = []
    for c in (1, 16):
        sfs, base = lookups(ctx, files, c)
        figures.append(figure(f"Stat lookups c={c} ({files} files)", sfs,
                              "ops/s", f"RocksDB gets c={c}", base))
    for c in (1, 16):
        sfs, base = creates(ctx, c)
        figures.append(figure(f"synced creates c={c}", sfs, "ops/s",
                              f"{PUTS} c={c}", base))
    return {"figures": figures}


def lookup_growth(ctx):
    figures, sfs_series, base_series = [], [], []
    for files in ctx.options.lookup_files:
        sfs, base = lookups(ctx, files, 16)
        figures.append(figure(f"Stat lookups c=16, {files} files", sfs,
                              "ops/s", "RocksDB gets c=16, same count", base))
        sfs_series.append((files, sfs))
        base_series.append((files, base))
    return {"figures": figures,
            "series": {"lookups_per_s": {"sfs": sfs_series,
                                         "rocksdb": base_series}}}

#!/usr/bin/python3
"""Runs the SFS benchmarks of issue 5 against a fresh local cluster and
prints SFS / baseline ratios. Usually started by bench/run.sh (`make bench`);
see bench/README.md for what each figure means."""

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import time
import traceback

from sfsbench import charts, report
from sfsbench.baselines import Nginx
from sfsbench.cluster import PER_CLIENT, Cluster
from sfsbench.cluster_tls import cluster_tls
from sfsbench.context import Context
from sfsbench.errors import BenchError, Skipped
from sfsbench.metadata import lookup_growth, master_metadata
from sfsbench.small_files import small_files
from sfsbench.transfers import download_growth, large_download, large_upload
from sfsbench.users import users

# Name -> workload, in the order they run (issue 5's numbering).
WORKLOADS = {
    "1-large-upload": large_upload,
    "2-large-download": large_download,
    "3-small-files": small_files,
    "4-master-metadata": master_metadata,
    "5-users": users,
    "6a-download-growth": download_growth,
    "6b-lookup-growth": lookup_growth,
    "7-cluster-tls": cluster_tls,
}


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return value


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin-dir", default=os.path.join(here, "..", "build", "bin"))
    p.add_argument("--results-dir", default=os.path.join(here, "results"))
    p.add_argument("--work-dir", default="/tmp",
                   help="parent of the run's data (same disk as the baselines)")
    p.add_argument("--port-base", type=int, default=19000,
                   help="master port; chunkservers +101.., frontend +80, nginx +81")
    p.add_argument("--only", default="", help="comma-separated workload names")
    p.add_argument("--rounds", type=positive, default=3,
                   help="samples of every figure, each round alternating "
                        "SFS and its baseline (A B A B); not workload 5")
    p.add_argument("--user-rounds", type=positive, default=1,
                   help="rounds of workload 5 (minutes each at 400 users)")
    p.add_argument("--users", type=int, default=400, help="workload 5: users")
    p.add_argument("--user-mib", type=int, default=25, help="workload 5: file MiB")
    p.add_argument("--no-hostile", dest="hostile", action="store_false",
                   help="workload 5 without its hostile client")
    p.add_argument("--large-mib", type=int, default=1024,
                   help="workloads 1-2: file MiB (and each dd stream)")
    p.add_argument("--wrk-connections", type=int_list, default=[1, 10, 64])
    p.add_argument("--wrk-seconds", type=int, default=10)
    p.add_argument("--small-uploads", type=int, default=1000)
    p.add_argument("--upload-concurrency", type=int, default=8)
    p.add_argument("--load-seconds", type=int, default=10,
                   help="length of each metadata and RocksDB run")
    p.add_argument("--growth-mib", type=int_list, default=[1, 4, 16, 64, 256, 1024])
    p.add_argument("--lookup-files", type=int_list, default=[10_000, 100_000])
    p.add_argument("--full", action="store_true",
                   help="also 1M files in the lookup growth (minutes more)")
    p.add_argument("--keep", action="store_true", help="keep the run's data")
    args = p.parse_args()
    if args.full and 1_000_000 not in args.lookup_files:
        args.lookup_files.append(1_000_000)
    return args


def run_workload(name, workload, ctx):
    """One workload's outcome; a failure or skip is recorded, not fatal."""
    started = time.monotonic()
    print(f"== {name}", flush=True)
    try:
        outcome = {"status": "ok", **workload(ctx)}
    except Skipped as e:
        outcome = {"status": "skipped", "reason": str(e)}
    except BenchError as e:
        outcome = {"status": "failed", "reason": str(e)}
    except Exception as e:  # a bug in the harness: say where, keep going
        traceback.print_exc()
        outcome = {"status": "failed", "reason": f"{type(e).__name__}: {e}"}
    outcome["seconds"] = round(time.monotonic() - started, 1)
    print(f"   {outcome['status']} in {outcome['seconds']} s"
          + (f": {outcome['reason']}" if "reason" in outcome else ""), flush=True)
    return outcome


def main():
    args = parse_args()
    chosen = [w for w in args.only.split(",") if w] or list(WORKLOADS)
    unknown = set(chosen) - set(WORKLOADS)
    if unknown:
        sys.exit(f"unknown workloads {sorted(unknown)}; known: {list(WORKLOADS)}")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    work = tempfile.mkdtemp(prefix="sfs-bench-", dir=args.work_dir)
    shm = tempfile.mkdtemp(prefix="sfs-bench-", dir="/dev/shm")
    www = os.path.join(work, "www")
    os.makedirs(www)
    results = {"started": stamp, "machine": report.machine(),
               "commit": report.git_commit(os.path.dirname(__file__)),
               "options": vars(args), "workloads": {}}
    # Threads for every user, and for what workload 5's hostile client may
    # hold within its per-client cap.
    cluster = Cluster(args.bin_dir, os.path.join(work, "cluster"), args.port_base,
                      frontend_threads=max(64, args.users + 16) + PER_CLIENT)
    nginx = Nginx(work, www, args.port_base + 81)
    try:
        try:
            nginx.start()
            cluster.start()
        except BenchError as e:
            sys.exit(f"bench: cannot start: {e}")
        results["frontend"] = cluster.frontend_problem or "ok"
        ctx = Context(args, cluster, nginx, args.bin_dir, work, shm)
        for name in chosen:
            results["workloads"][name] = run_workload(name, WORKLOADS[name], ctx)
    finally:
        cluster.stop()
        nginx.stop()
        shutil.rmtree(shm, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    os.makedirs(args.results_dir, exist_ok=True)
    json_path = os.path.join(args.results_dir, f"{stamp}.json")
    report.write_json(results, json_path)
    pngs = charts.all_charts(results, args.results_dir, stamp)
    print("\n" + "\n".join(report.table_lines(results)))
    print(f"\nresults: {json_path}\ncharts: {' '.join(pngs)}")
    failed = [n for n, o in results["workloads"].items() if o["status"] == "failed"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

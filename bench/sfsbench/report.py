"""The run's outputs: a plain-text table, a JSON file and PNG charts."""

import json
import os
import platform
import subprocess


def machine():
    """What the numbers were measured on."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(),
            "memory_gib": round(mem_kib / 1048576, 1),
            "kernel": platform.release(),
            "load_average_at_start": os.getloadavg()}


def git_commit(repo):
    try:
        return subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def _number(value):
    if value is None:
        return ""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def rows(results):
    """(workload, figure, SFS, baseline, ratio) strings, one per figure; a
    skipped or failed workload is one row saying why."""
    for workload, outcome in results["workloads"].items():
        if outcome["status"] != "ok":
            reason = outcome["reason"][:160]  # the JSON keeps it whole
            yield workload, f"{outcome['status']}: {reason}", "", "", ""
            continue
        for f in outcome["figures"]:
            if "skipped" in f:
                yield workload, f"{f['name']}: {f['skipped']}", "", "", ""
                continue
            base = (f"{_number(f['baseline_value'])} ({f['baseline']})"
                    if f["baseline"] else "")
            ratio = f"{f['ratio']:.2f}x" if f["ratio"] is not None else ""
            if ratio and f["lower_is_better"]:
                ratio += " (lower is better)"
            yield (workload, f["name"], f"{_number(f['value'])} {f['unit']}",
                   base, ratio)


HEADER = ("workload", "figure", "SFS", "baseline", "ratio")


def table_lines(results):
    """The table for a terminal, columns padded."""
    table = [HEADER, *rows(results)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
            for row in table]


def markdown_table(results):
    """The same table for bench/README.md."""
    return ["| " + " | ".join(row) + " |"
            for row in [HEADER, ("---",) * len(HEADER), *rows(results)]]


def write_json(results, path):
    with open(path, "w") as f:
        json.dump(results, f, indent=2)

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


def _spread(median, low, high):
    """`median (min–max)`, or just the median when every sample agreed."""
    if low is None or _number(low) == _number(high):
        return _number(median)
    return f"{_number(median)} ({_number(low)}\u2013{_number(high)})"


def _times(ratio):
    """A ratio to two decimals, or two significant digits below 0.1."""
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.2g}"


def _ratio(f):
    """The median per-round ratio with its min–max, and how to read it."""
    low, high = f.get("ratio_min"), f.get("ratio_max")
    text = f"{_times(f['ratio'])}x"
    if low is not None and _times(low) != _times(high):
        text += f" ({_times(low)}\u2013{_times(high)})"
        if low < 1 < high:
            text += " spans 1"
    if f["lower_is_better"]:
        text += " (lower is better)"
    return text


def rows(results):
    """(workload, figure, n, SFS, baseline, ratio, baseline is) strings, one
    per figure; a skipped or failed workload is one row saying why."""
    for workload, outcome in results["workloads"].items():
        if outcome["status"] != "ok":
            reason = outcome["reason"][:160]  # the JSON keeps it whole
            yield workload, f"{outcome['status']}: {reason}", "", "", "", "", ""
            continue
        for f in outcome["figures"]:
            if "skipped" in f:
                yield workload, f"{f['name']}: {f['skipped']}", "", "", "", "", ""
                continue
            sfs = _spread(f["value"], f.get("value_min"), f.get("value_max"))
            base = (_spread(f["baseline_value"], f.get("baseline_min"),
                            f.get("baseline_max"))
                    if f["baseline_value"] is not None else "")
            ratio = _ratio(f) if f["ratio"] is not None else ""
            yield (workload, f["name"], str(f.get("rounds", 1)),
                   f"{sfs} {f['unit']}", base, ratio, f["baseline"] or "")


HEADER = ("workload", "figure", "n", "SFS", "baseline", "ratio", "baseline is")
NOTE = ("n: samples (rounds, A B A B). Figures: median (min\u2013max) of the "
        "n samples. Ratio: SFS / baseline of the same round, median "
        "(min\u2013max) over the rounds;\n\"spans 1\": the rounds disagree on "
        "which side is faster. See bench/README.md on reading the spread.")


def table_lines(results):
    """The table for a terminal, columns padded, then how to read it."""
    table = [HEADER, *rows(results)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    note = NOTE.splitlines()
    if results["workloads"].get("5-users", {}).get("status") == "ok":
        note.append("5-users runs --user-rounds rounds (default 1, minutes "
                    "each), not --rounds; at n = 1 its spread is unknown.")
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
            for row in table] + [""] + note


def markdown_table(results):
    """The same table for bench/README.md."""
    return ["| " + " | ".join(row) + " |"
            for row in [HEADER, ("---",) * len(HEADER), *rows(results)]]


def write_json(results, path):
    with open(path, "w") as f:
        json.dump(results, f, indent=2)

"""PNG charts with gnuplot: every ratio as a bar (the median of its rounds,
with their min–max), and the growth curves (medians)."""

import os
import subprocess

RATIO_PLOT = """\
set terminal pngcairo size 1400,{height} font ",10"
set output "{png}"
set title "SFS relative to its baseline: median of the per-round ratios, bars min-max (right of the red line: better; latency rows as baseline/SFS)"
set style fill solid 0.8
set yrange [-1:{count}]
set ytics ({tics}) font ",8"
set logscale x 10
set xrange [{xmin}:{xmax}]
set xlabel "SFS relative to baseline (log scale)"
set grid xtics
unset key
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb "red" lw 2
plot "{data}" using ({xmin}):0:({xmin}):2:($0-0.3):($0+0.3) with boxxyerror lc rgb "#3b6ea5", \
     "{data}" using 2:0:3:4 with xerrorbars pt 0 lc rgb "black"
"""

LINES_PLOT = """\
set terminal pngcairo size 900,600 font ",10"
set output "{png}"
set title "{title}"
set logscale x 2
set xlabel "{xlabel}"
set ylabel "{ylabel}"
set grid
set key top left
plot {plots}
"""


def _gnuplot(script, path):
    with open(path, "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", path], check=True, capture_output=True)


def _bar(f):
    """(median, min, max) of a figure's per-round ratios, turned so that
    bigger is better: latency ratios are inverted."""
    ratio = f["ratio"]
    low, high = f.get("ratio_min", ratio), f.get("ratio_max", ratio)
    if f["lower_is_better"]:
        return 1 / ratio, 1 / high, 1 / low
    return ratio, low, high


def ratio_chart(results, out_dir, stem):
    bars = [(f"{w}: {f['name']}", _bar(f))
            for w, o in results["workloads"].items() if o["status"] == "ok"
            for f in o["figures"] if f.get("ratio")]
    if not bars:
        return None
    data = os.path.join(out_dir, f"{stem}-ratios.dat")
    with open(data, "w") as f:
        for i, (_, (ratio, low, high)) in enumerate(bars):
            f.write(f"{i} {ratio} {low} {high}\n")
    tics = ", ".join(f'"{label}" {i}' for i, (label, _) in enumerate(bars))
    png = os.path.join(out_dir, f"{stem}-ratios.png")
    values = [v for _, bar in bars for v in bar]
    _gnuplot(RATIO_PLOT.format(png=png, data=data, count=len(bars), tics=tics,
                               height=max(400, 22 * len(bars) + 120),
                               xmin=min(values + [1]) / 2,
                               xmax=max(values + [1]) * 2),
             data.replace(".dat", ".gp"))
    return png


def series_chart(name, series, out_dir, stem, title, xlabel, ylabel):
    """One line per key of `series` ({"sfs": [(x, y)...], "nginx": ...})."""
    plots = []
    for label, points in series.items():
        data = os.path.join(out_dir, f"{stem}-{name}-{label}.dat")
        with open(data, "w") as f:
            f.writelines(f"{x} {y}\n" for x, y in points)
        plots.append(f'"{data}" using 1:2 with linespoints title "{label}"')
    png = os.path.join(out_dir, f"{stem}-{name}.png")
    _gnuplot(LINES_PLOT.format(png=png, title=title, xlabel=xlabel,
                               ylabel=ylabel, plots=", ".join(plots)),
             os.path.join(out_dir, f"{stem}-{name}.gp"))
    return png


SERIES_TITLES = {
    "download_mb_s": ("HTTP download throughput by file size", "file size (MiB)",
                      "MB/s"),
    "lookups_per_s": ("Master Stat lookups/s (c=16) by namespace size",
                      "files", "lookups/s"),
    "small_get_req_s": ("155 KB GET req/s by concurrency (wrk)", "connections",
                        "req/s"),
}


def all_charts(results, out_dir, stem):
    """Draws every chart the results have data for; returns the PNG paths."""
    pngs = [ratio_chart(results, out_dir, stem)]
    for outcome in results["workloads"].values():
        for name, series in outcome.get("series", {}).items():
            pngs.append(series_chart(name, series, out_dir, stem,
                                     *SERIES_TITLES[name]))
    return [p for p in pngs if p]

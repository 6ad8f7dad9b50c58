"""What every workload shares: the cluster, nginx, the local test files
(made once per run) and the rows of the table."""

import os

from .baselines import dd_per_stream_mb_s
from .httpio import Endpoint
from .procs import MIB, write_random_file
from .rounds import pair_ratios, spread


def _as_samples(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def figure(name, samples, unit, baseline=None, baseline_samples=None,
           lower_is_better=False):
    """One row of the table from the samples of its rounds (a list, or one
    number): SFS's median, min and max, the baseline's, and the ratio
    (sample / baseline sample of the same round; above 1 is better unless
    lower_is_better) as the median of the per-round ratios, with their min
    and max. Every sample stays in the row, in round order."""
    samples = _as_samples(samples)
    own = spread(samples)
    row = {"name": name, "unit": unit, "lower_is_better": lower_is_better,
           "rounds": len(samples), "samples": samples, "value": own["median"],
           "value_min": own["min"], "value_max": own["max"],
           "baseline": baseline, "baseline_samples": None,
           "baseline_value": None}
    if baseline_samples is not None:
        baseline_samples = _as_samples(baseline_samples)
        base = spread(baseline_samples)
        row.update(baseline_samples=baseline_samples,
                   baseline_value=base["median"], baseline_min=base["min"],
                   baseline_max=base["max"])
        ratios = pair_ratios(samples, baseline_samples)
    else:
        ratios = None
    row.update(ratios=ratios, ratio=None)
    if ratios:
        ratio = spread(ratios)
        row.update(ratio=ratio["median"], ratio_min=ratio["min"],
                   ratio_max=ratio["max"])
    return row


def skipped_figure(name, reason):
    return {"name": name, "skipped": reason}


class Context:
    def __init__(self, options, cluster, nginx, bin_dir, work_dir, shm_dir):
        self.options = options
        self.cluster = cluster
        self.nginx = Endpoint(nginx.port)
        self.bin_dir = bin_dir
        self.work_dir = work_dir
        self.www = nginx.root  # files here are served by nginx at /<name>
        self.shm_dir = shm_dir  # downloads land in RAM, off the measured disk
        self._cache = {}
        self.populated_files = 0  # 0-byte files created for master lookups

    def once(self, key, make):
        """make() the first time key is asked for, the same value after."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def random_file(self, size):
        """A random local file of `size` bytes in the nginx root, made once:
        (name, path, sha256). nginx serves it at /<name>; workloads upload it
        to /storage/bench/<name> (HTTP) or /bench/cli-<name> (sfs put)."""
        name = f"random-{size}.bin"
        path = os.path.join(self.www, name)
        return self.once(("file", size),
                         lambda: (name, path, write_random_file(path, size)))

    def dd_mb_s(self, _round=None):
        """One sample of the upload baseline: per-stream MB/s of three
        concurrent synced 1 GiB (--large-mib) writes. Measured afresh in
        every round of the workloads comparing against it (usable as a
        measure of rounds.interleave)."""
        return dd_per_stream_mb_s(self.work_dir, self.options.large_mib)

    def scratch(self, name):
        return os.path.join(self.shm_dir, name)

    def tool(self, name):
        return os.path.join(self.bin_dir, name)


def mb_s(size, seconds):
    return size / 1e6 / seconds


def large_size(options):
    return options.large_mib * MIB

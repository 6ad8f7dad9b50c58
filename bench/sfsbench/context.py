"""What every workload shares: the cluster, nginx, local test files and the
baselines, each measured once per run and reused by the workloads that
compare against it."""

import os

from .baselines import dd_per_stream_mb_s
from .httpio import Endpoint
from .procs import MIB, write_random_file


def figure(name, value, unit, baseline=None, baseline_value=None,
           lower_is_better=False):
    """One row of the table: SFS's value, the baseline's, and their ratio
    (value / baseline; above 1 is better unless lower_is_better)."""
    ratio = value / baseline_value if baseline_value else None
    return {"name": name, "value": value, "unit": unit, "baseline": baseline,
            "baseline_value": baseline_value, "ratio": ratio,
            "lower_is_better": lower_is_better}


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

    def dd_mb_s(self):
        """Baseline of every upload figure: per-stream MB/s of three
        concurrent synced 1 GiB (--large-mib) writes."""
        return self.once("dd", lambda: dd_per_stream_mb_s(
            self.work_dir, self.options.large_mib))

    def scratch(self, name):
        return os.path.join(self.shm_dir, name)

    def tool(self, name):
        return os.path.join(self.bin_dir, name)


def mb_s(size, seconds):
    return size / 1e6 / seconds


def large_size(options):
    return options.large_mib * MIB

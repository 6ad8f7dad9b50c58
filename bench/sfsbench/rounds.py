"""Interleaved rounds: how every figure is measured more than once.

A round runs each of a workload's measurements once, SFS first and then its
baseline (A B), and the workload runs --rounds rounds (A B A B ...), so a
machine that drifts during the run moves both sides rather than one. A
figure is then the median of its samples with their min and max, and its
ratio the median of the per-round ratios (SFS sample / baseline sample of the
same round), with their min and max.
"""

import statistics

from .errors import BenchError


def interleave(rounds, measures, what=""):
    """Runs every callable of `measures` ({name: measure(round)}, in order)
    once per round, for `rounds` rounds; returns {name: [sample of round 0,
    round 1, ...]}. A sample is whatever the measure returns: a number, or a
    tuple of numbers when one run gives several figures (wrk: rate, p50,
    p99). A failed sample fails them all, saying which round and measure.
    `what` names the rounds in the progress lines."""
    samples = {name: [] for name in measures}
    for r in range(rounds):
        if rounds > 1:
            print(f"   round {r + 1}/{rounds}{what and ' of ' + what}", flush=True)
        for name, measure in measures.items():
            try:
                samples[name].append(measure(r))
            except BenchError as e:
                raise BenchError(f"round {r + 1}/{rounds}, {name}: {e}") from e
    return samples


def column(samples, i):
    """The i-th number of every sample, for measures that return tuples."""
    return [sample[i] for sample in samples]


def spread(values):
    """{"median", "min", "max"} of a non-empty list of numbers."""
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values)}


def pair_ratios(samples, baseline_samples):
    """sample / baseline sample, round by round; None when a baseline sample
    is 0 (no ratio is then given at all)."""
    if len(samples) != len(baseline_samples):
        raise ValueError(f"{len(samples)} samples against "
                         f"{len(baseline_samples)} baseline samples")
    if not all(baseline_samples):
        return None
    return [a / b for a, b in zip(samples, baseline_samples)]

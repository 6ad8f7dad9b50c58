"""The two ways a workload can end without numbers."""


class BenchError(Exception):
    """A measurement could not be verified (bad status, wrong bytes, crash).

    Raised instead of returning a number, so a broken run prints no figure.
    """


class Skipped(Exception):
    """A workload could not run here (e.g. the frontend is not built yet)."""

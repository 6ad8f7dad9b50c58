"""SFS benchmark driver: workloads, baselines and reports (see bench/README.md)."""

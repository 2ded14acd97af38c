"""Benchmark runner for the schedule optimizer: suites, result rows, comparison, plots and RESULTS.md.

`python -m benchmarks.runner --help` lists the commands; `benchmarks/README.md` documents the suite
format, the row schema and every metric.
"""

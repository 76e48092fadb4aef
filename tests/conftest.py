"""Puts tests/ on sys.path (pytest's rootdir-based import), so test modules share tests/charts.py."""

# scripts that regenerate reference outputs run in the reference tool's own environment (torch, repsim, ...)
collect_ignore_glob = ["data/*.py"]

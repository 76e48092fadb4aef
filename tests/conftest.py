"""Puts tests/ on sys.path (pytest's rootdir-based import), so test modules share tests/charts.py."""

# scripts that regenerate reference outputs run in the reference tool's own environment (torch, repsim, ...)
collect_ignore_glob = ["data/*.py"]

# One BLAS thread for the whole test run: the tests do many small linear-algebra calls, which
# multi-threaded BLAS slows down many-fold on a busy machine (threads spin on shared cores).
from threadpoolctl import threadpool_limits  # noqa: E402  (installed with scikit-learn)

threadpool_limits(1)

"""Puts tests/ on sys.path (pytest's rootdir-based import), so test modules share tests/charts.py.

Also registers two hypothesis profiles.  ``repeatable`` is loaded by default: the same examples on
every run and machine (derandomised, no example database, no deadline), so a red CI is a defect that
reproduces, never a draw that happened to land there.  ``thorough`` (``--hypothesis-profile=thorough``)
explores: 10,000 fresh random examples per fuzzed function (tests/test_fuzz.py), no deadline; run it to
look for new defects, and keep each one found as an ``@example``.
"""

from hypothesis import HealthCheck, settings

# scripts that regenerate reference outputs run in the reference tool's own environment (torch, repsim, ...)
collect_ignore_glob = ["data/*.py"]

# One BLAS thread for the whole test run: the tests do many small linear-algebra calls, which
# multi-threaded BLAS slows down many-fold on a busy machine (threads spin on shared cores).
# threadpoolctl limits the libraries loaded so far: load NumPy's and SciPy's BLAS first (without
# these imports the limit reached nothing and BLAS kept two threads: 0.65 s per 1920 x 150 SVD
# instead of 0.04 s on a busy machine).
import numpy  # noqa: E402, F401
import scipy.linalg  # noqa: E402, F401
from threadpoolctl import threadpool_limits  # noqa: E402  (installed with scikit-learn)

threadpool_limits(1)

settings.register_profile("repeatable", derandomize=True, database=None, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def pytest_configure(config):
    if not config.getoption("hypothesis_profile", None):  # a profile named on the command line wins
        settings.load_profile("repeatable")

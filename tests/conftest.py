"""Puts tests/ on sys.path (pytest's rootdir-based import), so test modules share tests/charts.py.

Also registers the hypothesis profile ``thorough`` (``--hypothesis-profile=thorough``):
10,000 examples per fuzzed function (tests/test_fuzz.py), no deadline.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "thorough",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

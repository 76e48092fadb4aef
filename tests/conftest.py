"""Puts tests/ on sys.path (pytest's rootdir-based import), so test modules share tests/charts.py."""

# scripts that regenerate tests/data with reference packages repgeo does not depend on
collect_ignore_glob = ["data/make_*.py"]

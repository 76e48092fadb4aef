"""Puts tests/ on sys.path (pytest's rootdir-based import), so test modules share tests/charts.py."""

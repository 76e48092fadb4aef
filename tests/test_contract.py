"""The contract test: every claim of every registered measure, checked by ``repgeo.testing``.

One test per (measure, check) pair, so a broken claim names both.  The checks
themselves are :data:`repgeo.testing.CHECKS` (identity value, bounds,
symmetry, triangle inequality of metrics, declared invariances, ``call ==
compare(prepare, prepare)``, pickle and repr round trips, ``pairwise`` against
direct calls, bad input, torch against numpy, extreme scales, near
duplicates); users run the same checks on their own measures with
:func:`repgeo.testing.check_measure`.  A new measure gets all of it by being
registered.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pytest

import repgeo as rg
from repgeo._registry import registered
from repgeo.testing import CHECKS, check_measure

# wide inputs (n < p) are drawn on purpose; CCA warns that it collapses on them
pytestmark = pytest.mark.filterwarnings("ignore::repgeo.RepresentationWarning")

MEASURES = registered()

#: (measure, check) pairs that are known not to hold, with the reason.
KNOWN_LIMITS = {
    ("angular_cka", "near_duplicates"): "angular CKA compares Gram matrices, whose difference cannot be formed "
    "without cancellation in feature space; absolute precision ~1e-8",
}


def _applies(name: str, check: str) -> bool:
    """Checks that have nothing to test for a measure are not collected at all (no empty skips)."""
    info = MEASURES[name].info
    return {
        "triangle_inequality": info.metric,
        "too_few_samples": info.input == "matrix",
        "torch_matches_numpy": "torch" in info.backends,
        "near_duplicates": info.metric and info.input == "matrix",
        "undeclared_transform_matters": bool(rg._measure.INVARIANCES - info.invariances),
        "invariances": bool(info.invariances),
    }.get(check, True)


#: (measure, check) pairs over a few seconds: the stochastic metrics fit a multi-start alignment per
#: call, and these checks make dozens of calls.  CI runs them (``-m slow``).
SLOW = {(name, check) for name in ("gaussian_shape", "energy_shape") for check in ("identity_symmetry_bounds", "invariances")}
# DSA's Euclidean form shares the optimiser (and its invariance claims) with the angular one run by default
SLOW |= {("dsa_euclidean", "identity_symmetry_bounds"), ("dsa_euclidean", "invariances")}

CASES = [
    pytest.param(name, check, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LIMITS[(name, check)]))
    if (name, check) in KNOWN_LIMITS
    else pytest.param(name, check, marks=pytest.mark.slow)
    if (name, check) in SLOW
    else (name, check)
    for name in MEASURES
    for check in CHECKS
    if _applies(name, check)
]


def test_torch_is_checked_on_real_measures():
    """The numpy-vs-torch case has registered members (it is not an always-skipped empty set)."""
    members = [name for name, check in ((c.values if hasattr(c, "values") else c) for c in CASES) if check == "torch_matches_numpy"]
    assert {"msa", "msa_airm", "msa_bures", "msa_log_euclidean"} <= set(members), members
    ported = {"shape", "procrustes", "procrustes_euclidean", "cca", "linear_cka", "linear_cka_unbiased",
              "angular_cka", "kernel_cka", "kernel_cka_unbiased", "rsa", "rsa_euclidean", "rsa_kendall"}
    assert ported <= set(members), sorted(ported - set(members))


@pytest.mark.parametrize("name,check", CASES)
def test_contract(name, check):
    seed = zlib.crc32(f"{name}/{check}".encode())  # a fixed seed per case, different across cases
    check_measure(MEASURES[name], checks=[check], rng=seed)


def test_every_input_layout_can_be_drawn():
    """A measure of any of the five input kinds gets random inputs (no KeyError for a new kind)."""
    from repgeo._validation import LAYOUTS
    from repgeo.testing import random_input

    for kind, layout in LAYOUTS.items():

        @dataclass(frozen=True)
        class Probe(rg.Measure):
            info = rg.MeasureInfo(name="probe", kind="distance", metric=False, symmetric=True, input=kind)

            def compare(self, a, b):
                return 0.0

        X = random_input(Probe(), 0)
        Z = random_input(Probe(), 1, like=X)
        assert X.ndim in layout.ndim and Z.ndim == X.ndim
        if layout.matched_axis is not None:
            assert Z.shape[layout.matched_axis] == X.shape[layout.matched_axis]


def test_check_measure_reports_a_false_claim():
    """The checker can fail: a measure that claims a translation invariance it lacks is caught."""

    @dataclass(frozen=True)
    class MeanGap(rg.Measure):
        info = rg.MeasureInfo(
            name="mean_gap", kind="distance", metric=True, symmetric=True,
            invariances=frozenset({"translation", "orthogonal"}), references=("a test",),
        )

        def prepare(self, X, name="X"):
            from repgeo._validation import check_matrix

            return check_matrix(X, name).mean()

        def compare(self, a, b):
            return abs(a - b)

    with pytest.raises(AssertionError, match="invariances: declared orthogonal invariance|translation"):
        check_measure(MeanGap(), checks=["invariances"], n_trials=3)
    check_measure(MeanGap(), checks=["identity_symmetry_bounds", "triangle_inequality"], n_trials=3)


def test_the_torch_check_compares_backends():
    """The check itself, on a toy measure (the registered MSA family runs it for real in test_contract):
    a measure that converts tensors exactly passes; one whose torch path drifts is caught."""
    torch = pytest.importorskip("torch")
    from repgeo._validation import check_matrix

    @dataclass(frozen=True)
    class CentredNormGap(rg.Measure):
        drift: float = 0.0
        info = rg.MeasureInfo(name="norm_gap", kind="distance", metric=True, symmetric=True,
                              backends=("numpy", "torch"), references=("a test",))

        def prepare(self, X, name="X"):
            gain = 1.0 + (self.drift if isinstance(X, torch.Tensor) else 0.0)
            Xc = check_matrix(X, name)
            return float(((Xc - Xc.mean(0)) ** 2).sum() ** 0.5) * gain

        def compare(self, a, b):
            return abs(a - b)

    check_measure(CentredNormGap(), checks=["torch_matches_numpy"])
    with pytest.raises(AssertionError, match=r"torch \(cpu\) gives"):
        check_measure(CentredNormGap(drift=1e-3), checks=["torch_matches_numpy"])


def test_a_custom_draw_reaches_the_near_duplicate_check():
    """The near-duplicate check uses the caller's ``draw``: here a wide input that the check cannot pass
    for CCA-like reasons is replaced by a tall one, and the draw is seen to be called."""
    calls = []

    def draw(measure, rng, like=None):
        calls.append(like is None)
        return rng.standard_normal((30, 4))

    check_measure(rg.ShapeMetric(alpha=1.0), checks=["near_duplicates"], draw=draw)
    assert calls, "the draw was never called"

    def constant(measure, rng, like=None):
        return np.ones((30, 4))

    with pytest.raises(ValueError, match="constant"):
        check_measure(rg.ShapeMetric(alpha=1.0), checks=["near_duplicates"], draw=constant)

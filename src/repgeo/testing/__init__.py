"""Check that a measure keeps the promises of its :class:`~repgeo.MeasureInfo`.

:func:`check_measure` is to repgeo what ``check_estimator`` is to
scikit-learn: every registered measure passes it (the project's contract test
runs it over the registry), and a user who writes a measure of their own runs
it to verify the claims of that measure.  Each check is also available on its
own in :data:`CHECKS`, for a test that reports one line per check.

Random inputs come from :func:`random_input`, by the measure's input layout; a measure
whose inputs need structure (real dynamics, say) passes its own ``draw``.

Examples
--------
>>> import repgeo as rg
>>> from repgeo.testing import check_measure
>>> check_measure(rg.get_measure("procrustes"), n_trials=2)
"""

from __future__ import annotations

import pickle
import sys
from typing import Any, Callable

import numpy as np

from .._measure import INVARIANCES, Measure
from .._validation import LAYOUTS, check_rng
from ._inputs import Draw, random_input, transform

__all__ = ["CHECKS", "Draw", "check_measure", "random_input", "transform"]

def _triple(measure: Measure, rng: np.random.Generator, make: Draw) -> tuple:
    """X, a noisy copy of X, and an unrelated Z (of another width) comparable with X."""
    X = make(measure, rng)
    Y = X + 0.3 * rng.standard_normal(X.shape) * X.std()
    return X, Y, make(measure, rng, like=X)


def _close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= 1e-7 * max(1.0, abs(scale))


def _data_scale(m: Measure, X: np.ndarray) -> float:
    """Unbounded (Euclidean) distances carry rounding error relative to the data's norm:
    sqrt(|A|^2 + |B|^2 - 2<A, B>) loses half the digits near zero."""
    return float(np.linalg.norm(X)) if np.isinf(m.info.bounds[1]) else 1.0


# ----------------------------------------------------------------------------- the checks
# Each check takes (measure, rng, n_trials, make) and raises AssertionError on a broken claim.


def check_info(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """The claims are consistent and cite a source."""
    problems = m.info.problems()
    assert not problems, f"inconsistent MeasureInfo: {problems}"
    assert m.info.references, "info.references cites nothing"


def check_identity_symmetry_bounds(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """``m(X, X)`` is the identity value; values lie in the bounds; symmetric claims hold."""
    info = m.info
    lo, hi = info.bounds
    for _ in range(n_trials):
        X, Y, Z = _triple(m, rng, make)
        if info.identity_value is not None:
            same = m(X, X)
            assert _close(same, info.identity_value, _data_scale(m, X)), f"m(X, X) = {same}, not {info.identity_value}"
        for A, B in [(X, Y), (X, Z), (Y, Z)]:
            d = m(A, B)
            # exactly: a value one ulp past a bound breaks arccos and every caller that trusts the bounds
            assert lo <= d <= hi, f"value {d!r} outside the declared bounds {info.bounds}"
            if info.symmetric:
                back = m(B, A)
                assert _close(d, back, d), f"declared symmetric, but m(A, B) = {d!r} and m(B, A) = {back!r}"


def check_triangle_inequality(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """Declared metrics satisfy the triangle inequality on random triples."""
    if not m.info.metric:
        return
    for _ in range(n_trials):
        X, Y, Z = _triple(m, rng, make)
        dxy, dyz, dxz = m(X, Y), m(Y, Z), m(X, Z)
        tol = 1e-9 * max(1.0, dxy + dyz + dxz)
        for a, b, c in [(dxz, dxy, dyz), (dxy, dxz, dyz), (dyz, dxy, dxz)]:
            assert a <= b + c + tol, f"triangle inequality broken: {a!r} > {b!r} + {c!r}"


def check_invariances(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """Each declared invariance leaves the value unchanged under a random transform."""
    axis = LAYOUTS[m.info.input].feature_axis
    for invariance in sorted(m.info.invariances):
        for _ in range(n_trials):
            X, _, Z = _triple(m, rng, make)
            before = m(X, Z)
            after = m(transform(invariance, X, axis, rng), Z)
            assert _close(before, after, before), f"declared {invariance} invariance, but {before!r} became {after!r}"


def check_undeclared_transform_matters(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """Guards the invariance check: some undeclared transform must change the value, or the
    random inputs are too degenerate to test anything (skipped when every invariance is claimed)."""
    missing = sorted(INVARIANCES - m.info.invariances)
    if not missing:
        return
    axis = LAYOUTS[m.info.input].feature_axis
    X, _, Z = _triple(m, rng, make)
    before = m(X, Z)
    changed = [inv for inv in missing if not _close(before, m(transform(inv, X, axis, rng), Z), before)]
    assert changed, f"none of the undeclared transforms {missing} changed the value {before!r}"


def check_call_equals_compare(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """``m(X, Y) == m.compare(m.prepare(X), m.prepare(Y))`` exactly."""
    for _ in range(n_trials):
        X, _, Z = _triple(m, rng, make)
        assert m(X, Z) == m.compare(m.prepare(X), m.prepare(Z)), "calling differs from compare(prepare, prepare)"


def check_pickle_and_repr(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """The measure and its prepared inputs pickle; ``repr`` rebuilds it in its own module."""
    X, _, Z = _triple(m, rng, make)
    clone = pickle.loads(pickle.dumps(m))
    assert clone == m and hash(clone) == hash(m), "a pickled copy differs or hashes differently"
    assert clone(X, Z) == m(X, Z), "a pickled copy computes another value"
    namespace = vars(sys.modules[type(m).__module__])
    rebuilt = eval(repr(m), dict(namespace))  # noqa: S307 - the repr must rebuild the measure
    assert rebuilt == m, f"repr {m!r} rebuilds {rebuilt!r}"
    prepared = pickle.loads(pickle.dumps(m.prepare(X)))
    assert m.compare(prepared, m.prepare(Z)) == m(X, Z), "a pickled prepared input compares differently"


def check_pairwise(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """:func:`repgeo.pairwise` on three inputs equals the direct calls (to 1e-10 through a block path)."""
    from ..pairwise import pairwise

    X, Y, Z = _triple(m, rng, make)
    reps = [X, Y, Z]
    D = pairwise(reps, m)
    for i in range(3):
        for j in range(3):
            if i == j and m.info.identity_value is not None:
                want = m.info.identity_value
            elif i == j or i < j or not m.info.symmetric:
                want = m(reps[i], reps[j])
            else:  # symmetric measures compute the upper triangle and mirror it
                want = D[j, i]
            if hasattr(m, "compare_block"):  # a block path sums in another order: equal up to rounding
                close = abs(D[i, j] - want) <= 1e-10 * max(1.0, abs(want))
            else:
                close = D[i, j] == want
            assert close, f"pairwise[{i}, {j}] = {D[i, j]!r}, the direct call gives {want!r}"


def _raises(exc: type, fn: Callable[[], Any], what: str, *words: str) -> None:
    try:
        fn()
    except exc as err:
        if words and not any(w in str(err) for w in words):
            raise AssertionError(f"{what}: the {exc.__name__} does not say {' or '.join(words)!r}: {err}") from err
        return
    except Exception as err:  # noqa: BLE001 - any other exception is the failure being reported
        raise AssertionError(f"{what}: raised {type(err).__name__} ({err}), not {exc.__name__}") from err
    raise AssertionError(f"{what}: returned without raising {exc.__name__}")


def check_bad_input(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """NaN, inf, a missing axis, constant data, unmatched inputs and text raise clear errors."""
    X, _, Z = _triple(m, rng, make)
    bad = X.copy()
    bad.flat[5] = np.nan
    _raises(ValueError, lambda: m(bad, Z), "NaN in X", "finite")
    bad.flat[5] = np.inf
    _raises(ValueError, lambda: m(X, bad), "inf in Y", "finite")
    _raises(ValueError, lambda: m(X.reshape(-1), Z), "a 1-D X", "1-D")
    _raises(ValueError, lambda: m(np.ones_like(X), Z), "constant X", "constant", "singular")
    matched = LAYOUTS[m.info.input].matched_axis
    if matched is not None:
        fewer = np.delete(X, [0, 1], axis=matched)
        _raises(ValueError, lambda: m(fewer, Z), "unmatched X and Y", "matched", "same")
    _raises(TypeError, lambda: m(X.astype(str), Z), "text X")


def check_too_few_samples(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """Two samples are too few for any matrix measure: a ValueError says how many are needed."""
    if m.info.input != "matrix":
        return
    _raises(ValueError, lambda: m(rng.standard_normal((2, 3)), rng.standard_normal((2, 3))), "2 samples", "at least")


def check_torch_matches_numpy(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """Where ``"torch"`` is a declared backend, torch tensors give the numpy value to 1e-8
    (CPU tensors, and CUDA tensors too when a GPU is present)."""
    if "torch" not in m.info.backends:
        return
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for _ in range(max(1, n_trials // 4)):
        X, _, Z = _triple(m, rng, make)
        expected = m(X, Z)
        for device in devices:
            got = float(m(torch.from_numpy(X).to(device), torch.from_numpy(Z).to(device)))
            assert abs(got - expected) <= 1e-8 * max(1.0, abs(expected)), (
                f"torch ({device}) gives {got!r}, numpy {expected!r}"
            )


def check_extreme_scales(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """Both arguments scaled by 1e-150 or 1e150 give the unit-scale value times ``scale**d``, where
    ``d`` (0 for scale-free measures, 1 for Euclidean forms, 1/2 for square roots of lengths such as
    the energy shape metric) is read off a 10x rescaling, to the nearest half."""
    X, _, Z = _triple(m, rng, make)
    base = m(X, Z)
    degree = round(2 * float(np.log10(m(10 * X, 10 * Z) / base))) / 2 if base != 0 else 0
    for scale in (1e-150, 1e150):
        got = m(scale * X, scale * Z)
        assert np.isfinite(got), f"scale {scale:g}: {got!r}"
        ratio = got / scale**degree
        assert abs(ratio - base) <= 1e-7 * abs(base), f"scale {scale:g}: {ratio!r} after rescaling, {base!r} at unit scale"


def check_near_duplicates(m: Measure, rng: np.random.Generator, n_trials: int, make: Draw) -> None:
    """A metric on matrices keeps relative precision near 0: ``d(X, X + eps N)`` is first order in eps
    down to eps = 1e-8, and a collinear triangle satisfies the triangle inequality to relative 1e-6.
    ``X`` comes from a custom ``draw`` when one is given, else it is a full-rank 40 x 6 matrix."""
    if not (m.info.metric and m.info.input == "matrix"):
        return
    if make is random_input:
        X = rng.standard_normal((40, 6)) @ rng.standard_normal((6, 6))  # full rank, n > p
    else:
        X = np.asarray(make(m, rng), dtype=float)
    N = rng.standard_normal(X.shape) * X.std()
    d5, d8 = m(X, X + 1e-5 * N), m(X, X + 1e-8 * N)
    assert abs(d8 / 1e-8 - d5 / 1e-5) <= 1e-3 * abs(d5 / 1e-5), f"d at eps=1e-8 is {d8!r}; at 1e-5 {d5!r}"
    dbc, dac = m(X + 1e-8 * N, X + 2e-8 * N), m(X, X + 2e-8 * N)
    assert dac <= (d8 + dbc) * (1 + 1e-6), f"collinear triangle: {dac!r} > {d8!r} + {dbc!r}"


#: Every check, by name, in the order :func:`check_measure` runs them.
CHECKS: dict[str, Callable[[Measure, np.random.Generator, int, Draw], None]] = {
    "info": check_info,
    "identity_symmetry_bounds": check_identity_symmetry_bounds,
    "triangle_inequality": check_triangle_inequality,
    "invariances": check_invariances,
    "undeclared_transform_matters": check_undeclared_transform_matters,
    "call_equals_compare": check_call_equals_compare,
    "pickle_and_repr": check_pickle_and_repr,
    "pairwise": check_pairwise,
    "bad_input": check_bad_input,
    "too_few_samples": check_too_few_samples,
    "torch_matches_numpy": check_torch_matches_numpy,
    "extreme_scales": check_extreme_scales,
    "near_duplicates": check_near_duplicates,
}


def check_measure(
    measure: Measure,
    *,
    checks: Any = None,
    skip: Any = (),
    n_trials: int = 8,
    rng: Any = 0,
    draw: Draw | None = None,
) -> None:
    """Verify every claim of ``measure.info`` on random inputs.

    Parameters
    ----------
    measure : Measure
        An instance (a registered one or your own).
    checks : iterable of str, optional
        Names from :data:`CHECKS` to run (default: all).
    skip : iterable of str
        Names from :data:`CHECKS` not to run.
    n_trials : int, default 8
        Random inputs per statistical check.
    rng : int or Generator, default 0
    draw : callable, optional
        ``draw(measure, rng, like=None) -> input`` replacing :func:`random_input`, for
        measures whose inputs need more structure than random arrays.

    Raises
    ------
    AssertionError
        Listing every check that failed and why.

    Examples
    --------
    >>> import repgeo as rg
    >>> check_measure(rg.LinearCKA(), checks=["identity_symmetry_bounds", "invariances"], n_trials=2)
    """
    if not isinstance(measure, Measure):
        raise TypeError(f"measure must be a repgeo.Measure instance; got {type(measure).__name__}")
    names = list(CHECKS) if checks is None else list(checks)
    unknown = sorted(set(names) - set(CHECKS)) + sorted(set(skip) - set(CHECKS))
    if unknown:
        raise ValueError(f"checks and skip must name checks in repgeo.testing.CHECKS; got unknown {unknown}")
    gen = check_rng(rng)
    failures = []
    for name in names:
        if name in skip:
            continue
        try:
            CHECKS[name](measure, gen, n_trials, draw or random_input)
        except AssertionError as err:
            failures.append(f"{name}: {err}")
    if failures:
        raise AssertionError(f"{measure!r} breaks {len(failures)} claim(s):\n  " + "\n  ".join(failures))

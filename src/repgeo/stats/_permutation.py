"""Permutation tests: is X related to Y under a measure; do two distance matrices agree (Mantel)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import scipy.stats

from .._linalg import to_unit_scale
from .._measure import Measure
from .._registry import get_measure
from .._result import Result
from .._validation import check_choice, check_distance_matrix, check_positive_int, check_rng
from ..measures.linear_cka import AngularCKA, LinearCKA, _LinearPrepared
from ..measures.rsa import RSA, _Prepared as _RSAPrepared

__all__ = ["PermutationResult", "mantel", "permutation_test"]

_ALTERNATIVES = ("greater", "less", "two-sided")


@dataclass(frozen=True, eq=False, repr=False)
class PermutationResult(Result):
    """Outcome of a permutation test.

    Attributes
    ----------
    statistic : float
        The measure on the data as given.
    pvalue : float
        ``(1 + #{null at least as extreme}) / (1 + n_permutations)`` for a
        random test; the exact proportion when every permutation was enumerated.
    null_distribution : ndarray
        The statistic under each permutation.
    alternative : str
        ``"greater"``, ``"less"`` or ``"two-sided"``.
    """

    statistic: float
    pvalue: float
    null_distribution: np.ndarray
    alternative: str


def _scipy_rng(fn: Callable, rng: np.random.Generator) -> dict:
    """scipy >= 1.15 takes ``rng=``; older releases take the Generator as ``random_state=``."""
    return {"rng": rng} if "rng" in inspect.signature(fn).parameters else {"random_state": rng}


def _as_measure(measure: Any) -> Measure:
    if isinstance(measure, str):
        return get_measure(measure)
    if not isinstance(measure, Measure):
        raise TypeError(f"measure must be a repgeo.Measure or a registry name; got {type(measure).__name__}")
    return measure


def _permuted(measure: Measure, prepared: Any, idx: np.ndarray) -> Any:
    """``measure.prepare(Y[idx])`` from ``prepare(Y)`` where the prepared form permutes with the rows.

    Linear and angular CKA keep centred features and their row norms (a row
    permutation permutes both; the norm is unchanged); RSA keeps the RDM's
    upper triangle (a permutation of stimuli permutes its entries).  Other
    measures return None and are prepared again.
    """
    if isinstance(measure, (LinearCKA, AngularCKA)) and isinstance(prepared, _LinearPrepared):
        return _LinearPrepared(prepared.feats[idx], prepared.row_sq[idx], prepared.norm)
    if isinstance(measure, RSA) and isinstance(prepared, _RSAPrepared):
        i, j = np.triu_indices(len(idx), 1)
        return _RSAPrepared(prepared.vector[_condensed_index(len(idx), idx[i], idx[j])], prepared.ties)
    return None


def _condensed_index(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Positions of the stimulus pairs ``(i, j)``, ``i != j``, in a condensed RDM of ``n`` stimuli
    (scipy's ``squareform`` order)."""
    a, b = np.minimum(i, j), np.maximum(i, j)
    return n * a - a * (a + 1) // 2 + (b - a - 1)


def permutation_test(
    X: Any,
    Y: Any,
    measure: Any,
    n_permutations: int = 999,
    *,
    alternative: str | None = None,
    rng: Any = None,
) -> PermutationResult:
    r"""Is ``X`` related to ``Y`` under a measure?  A test that permutes the stimuli.

    Parameters
    ----------
    X, Y : arrays with matched first axes (stimuli)
        The first axis of ``Y`` is permuted (matrix, stochastic, convolutional
        and Jacobian layouts).  Measures of dynamics (input ``"trajectory"``,
        such as DSA) are refused: they fit each system on its own and never
        pair ``X``'s rows with ``Y``'s, so permuting trials leaves the value
        unchanged (a degenerate null, p = 1) and permuting time points
        destroys the dynamics being compared.
    measure : Measure or str
        An instance or a registry name (``"linear_cka"``, ``"procrustes"``, ...).
    n_permutations : int, default 999
        Random permutations of ``Y``'s stimuli; all ``n!`` are enumerated
        (an exact test) when there are no more than this.
    alternative : {"greater", "less", "two-sided"}, optional
        Default: ``"greater"`` for a similarity, ``"less"`` for a distance
        (related representations are close).
    rng : None, int or Generator

    Notes
    -----
    Under the null hypothesis that the pairing of ``X``'s rows with ``Y``'s
    is exchangeable, the statistic ``s = m(X, Y)`` is compared with
    ``s_k = m(X, Y[\pi_k])``; for random permutations
    ``p = (1 + \#\{s_k \succeq s\}) / (1 + B)`` (Phipson & Smyth 2010), an
    exact-level p-value.  ``X`` is prepared once; so is ``Y`` for linear
    CKA, angular CKA and RSA, whose prepared forms permute with the rows.

    References
    ----------
    Phipson & Smyth (2010). Permutation p-values should never be zero.
    Statistical Applications in Genetics and Molecular Biology 9(1).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 5)); Y = X @ rng.standard_normal((5, 3))
    >>> res = permutation_test(X, Y, "linear_cka", n_permutations=99, rng=0)
    >>> round(res.pvalue, 2), res.alternative
    (0.01, 'greater')
    """
    measure = _as_measure(measure)
    if measure.info.input == "trajectory":
        raise ValueError(
            f"measure {measure.info.name!r} compares dynamics fitted to each system alone (input 'trajectory'); "
            "permuting Y's trials leaves it unchanged and permuting time points destroys the dynamics, so a "
            "permutation test of stimuli does not apply: compare against surrogate systems instead"
        )
    n_permutations = check_positive_int(n_permutations, "n_permutations")
    if alternative is None:
        alternative = "greater" if measure.info.kind == "similarity" else "less"
    check_choice(alternative, "alternative", _ALTERNATIVES)
    a = measure.prepare(X, "X")
    b = measure.prepare(Y, "Y")
    measure.check_compatible([X, Y], ["X", "Y"])
    Y_arr = np.asarray(Y)

    def statistic(idx: np.ndarray) -> float:
        idx = np.asarray(idx, dtype=np.intp)
        moved = _permuted(measure, b, idx)
        return measure.compare(a, moved if moved is not None else measure.prepare(Y_arr[idx], "Y"))

    observed = measure.compare(a, b)
    res = scipy.stats.permutation_test(
        (np.arange(Y_arr.shape[0]),),
        statistic,
        permutation_type="pairings",
        n_resamples=n_permutations,
        alternative=alternative,
        vectorized=False,
        **_scipy_rng(scipy.stats.permutation_test, check_rng(rng)),
    )
    return PermutationResult(float(observed), float(res.pvalue), np.asarray(res.null_distribution, float), alternative)


def mantel(
    D1: Any,
    D2: Any,
    *,
    method: str = "pearson",
    n_permutations: int = 999,
    alternative: str = "greater",
    rng: Any = None,
) -> PermutationResult:
    r"""Mantel test: correlation of two distance matrices over the same objects.

    Parameters
    ----------
    D1, D2 : arrays of shape (n, n)
        Symmetric, non-negative, zero diagonal, ``n >= 3``.
    method : {"pearson", "spearman"}, default "pearson"
    n_permutations : int, default 999
        Random relabellings of ``D2``'s objects (all ``n!`` when no more).
    alternative : {"greater", "less", "two-sided"}, default "greater"
    rng : None, int or Generator

    Notes
    -----
    The statistic is the correlation ``r`` of the upper triangles
    ``{D1_ij}_{i<j}`` and ``{D2_ij}_{i<j}`` (ranked first for Spearman).  The
    null distribution permutes the objects of ``D2``, rows and columns
    together, ``D2_{\pi(i)\pi(j)}`` (Mantel 1967), which keeps the
    dependence among distances that share an object; a permutation only
    reorders the triangle's entries, so each null value is one inner product
    of standardised vectors.

    References
    ----------
    Mantel (1967). The detection of disease clustering and a generalized
    regression approach. Cancer Research 27(2).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial.distance import pdist, squareform
    >>> pts = np.random.default_rng(0).standard_normal((12, 3))
    >>> res = mantel(squareform(pdist(pts)), squareform(pdist(2 * pts + 1)), n_permutations=99, rng=0)
    >>> round(res.statistic, 6), round(res.pvalue, 2)
    (1.0, 0.01)
    """
    D1 = check_distance_matrix(D1, "D1")
    D2 = check_distance_matrix(D2, "D2", n=D1.shape[0])
    check_choice(method, "method", ("pearson", "spearman"))
    check_choice(alternative, "alternative", _ALTERNATIVES)
    n_permutations = check_positive_int(n_permutations, "n_permutations")
    n = D1.shape[0]
    if n < 3:
        raise ValueError(f"D1 must compare at least 3 objects (a correlation needs >= 3 distances); got {n}")
    i, j = np.triu_indices(n, 1)
    z = []
    for D, name in ((D1, "D1"), (D2, "D2")):
        v = to_unit_scale(D[i, j])[0]  # exact: sums of squares cannot overflow
        if method == "spearman":
            v = scipy.stats.rankdata(v)
        v = v - v.mean()
        size = np.linalg.norm(v)
        if not size > 1e-12:
            raise ValueError(f"{name} has all off-diagonal distances equal; its correlation is undefined")
        z.append(v / size)
    z1, Z2 = z[0], np.zeros((n, n))
    Z2[i, j] = z[1]
    flat = (Z2 + Z2.T).ravel()

    def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.intp)
        return flat[idx[..., i] * n + idx[..., j]] @ z1

    res = scipy.stats.permutation_test(
        (np.arange(n),),
        statistic,
        permutation_type="pairings",
        n_resamples=n_permutations,
        alternative=alternative,
        vectorized=True,
        **_scipy_rng(scipy.stats.permutation_test, check_rng(rng)),
    )
    r = float(np.clip(z1 @ z[1], -1.0, 1.0))
    return PermutationResult(r, float(res.pvalue), np.clip(np.asarray(res.null_distribution, float), -1, 1), alternative)

"""Representational similarity analysis: RDMs and their comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import NUMPY, namespace, same_backend
from .._measure import Measure, MeasureInfo
from .._registry import register
from .._linalg import centre_columns, to_unit_scale
from .._validation import as_float_array, check_choice, check_matrix, non_constant_columns

__all__ = ["RSA", "rdm", "RDM_METRICS", "RDM_COMPARISONS"]

RDM_METRICS = ("euclidean", "sqeuclidean", "correlation", "cosine")
RDM_COMPARISONS = ("pearson", "spearman", "kendall_tau_a", "cosine")
_KRIEGESKORTE = "Kriegeskorte, Mur & Bandettini (2008). Representational similarity analysis. Front. Syst. Neurosci."


def rdm(X: Any, metric: str = "euclidean", *, condensed: bool = False, name: str = "X") -> np.ndarray:
    """Representational dissimilarity matrix of the rows (stimuli) of ``X``.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    metric : {"euclidean", "sqeuclidean", "correlation", "cosine"}
        ``"correlation"`` is ``1 - Pearson r`` between rows; ``"cosine"`` is
        ``1 - cos`` between rows.  These need rows with non-zero spread (or
        norm); otherwise a ``ValueError`` names the offending row.
    condensed : bool, default False
        Return the upper triangle as a vector (``scipy.spatial.distance``
        order) instead of the square matrix.

    Returns
    -------
    ndarray
        A NumPy array (tensors are checked and computed on the host here; the
        :class:`RSA` measure keeps them on their device).

    Notes
    -----
    Euclidean distances come from the rows' differences (no cancellation);
    ``"cosine"`` and ``"correlation"`` are ``1 - <u, v>`` between rows
    scaled to unit norm (after centring each row for ``"correlation"``),
    clipped to ``[0, 2]``.

    Examples
    --------
    >>> rdm([[0, 0], [3, 4], [0, 1]])
    array([[0.        , 5.        , 1.        ],
           [5.        , 0.        , 4.24264069],
           [1.        , 4.24264069, 0.        ]])
    """
    check_choice(metric, "metric", RDM_METRICS)
    vec = _condensed_rdm(check_matrix(X, name), metric, name)
    if condensed:
        return vec
    from scipy.spatial.distance import squareform  # imported on use: scipy.spatial is slow to import

    return squareform(vec)


def _condensed_rdm(X: Any, metric: str, name: str, xp: Any = NUMPY) -> Any:
    """The upper triangle of the RDM of a validated ``X``, in ``xp``'s backend (rows in pdist order)."""
    n = X.shape[0]
    if metric == "correlation" and X.shape[1] < 3:
        raise ValueError(
            f"{name} has {X.shape[1]} features; the correlation RDM needs at least 3 "
            "(between two 2-vectors the correlation is always +1 or -1)"
        )
    upper = tuple(xp.index(i) for i in np.triu_indices(n, 1))
    if metric in ("euclidean", "sqeuclidean"):
        vec = xp.distance_matrix(X)[upper]
        return vec * vec if metric == "sqeuclidean" else vec
    rows = X - X.mean(axis=1)[:, None] if metric == "correlation" else X
    norms = xp.vector_norm(rows, axis=1)
    bad = np.flatnonzero(xp.to_numpy(norms) <= 1e-12 * float(xp.abs(X).max()))
    if bad.size:
        what = "constant (zero spread across features)" if metric == "correlation" else "all zero"
        raise ValueError(
            f"{name} row {int(bad[0])} is {what}, so the {metric} RDM is undefined "
            f"({bad.size} such rows)"
        )
    unit = rows / norms[:, None]
    return xp.clip(1.0 - (unit @ unit.T)[upper], 0.0, 2.0)


def _merge_near_ties(vec: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """Give values that differ only by rounding (``<= rtol * max|vec|`` apart) one common value.

    Distances that are tied in exact arithmetic (duplicated stimuli, integer
    data) come out of ``pdist`` a few ulps apart; ranking them as distinct
    would break ties arbitrarily and make rank comparisons depend on the
    data's scale.
    """
    order = np.argsort(vec, kind="stable")
    ranked = vec[order]
    starts = np.r_[True, np.diff(ranked) > rtol * np.abs(ranked).max()]
    group = np.cumsum(starts) - 1
    means = np.bincount(group, weights=ranked) / np.bincount(group)
    out = np.empty_like(vec)
    out[order] = means[group]
    return out


@dataclass(frozen=True)
class _Prepared:
    vector: Any  # transformed RDM upper triangle (a float64 tensor on the input's device for tensor input)
    ties: float  # number of tied pairs (kendall only)


@register("rsa_kendall", rdm="euclidean", compare="kendall_tau_a")
@register("rsa_euclidean", rdm="euclidean", compare="pearson")
@register("rsa")
@dataclass(frozen=True, init=False, repr=False)
class RSA(Measure):
    r"""Representational similarity analysis: correlation between two RDMs.

    Parameters
    ----------
    rdm : {"correlation", "euclidean", "sqeuclidean", "cosine"}, default "correlation"
        How dissimilarity between two stimuli (rows) is measured; see :func:`rdm`.
    compare : {"spearman", "pearson", "kendall_tau_a", "cosine"}, default "spearman"
        How the two RDMs' upper triangles are compared.

    Notes
    -----
    With ``d_X, d_Y`` the upper triangles (``N = n(n-1)/2`` entries):
    Pearson is the correlation of ``d_X`` and ``d_Y``; Spearman is the Pearson
    correlation of their ranks (average ranks for ties); cosine is
    ``<d_X, d_Y> / (|d_X| |d_Y|)``; Kendall's tau-a is
    ``(concordant - discordant) / (N(N-1)/2)``, obtained from SciPy's tau-b as
    ``tau_b sqrt((N_0 - T_X)(N_0 - T_Y)) / N_0`` with ``T`` the tied pairs.
    Tau-a is the recommended statistic when models predict tied
    dissimilarities (Nili et al. 2014).

    Torch tensors (CPU or CUDA) are checked and centred on the host; the
    RDM is computed on the tensor's device in float64.  The rank transform
    (average ranks, near-ties merged) runs on the host, because torch has no
    tie-averaging rank function; the prepared vector then returns to the
    device, where Pearson, Spearman and cosine comparisons (and the
    all-pairs GEMM) run.  Kendall's tau-a is computed on the host by SciPy.

    References
    ----------
    Kriegeskorte et al. (2008); Nili et al. (2014). A toolbox for
    representational similarity analysis. PLoS Comput. Biol.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> X = np.random.default_rng(0).standard_normal((20, 5))
    >>> round(rg.RSA(rdm="euclidean", compare="pearson")(X, 2 * X), 6)
    1.0
    """

    rdm: str
    comparison: str

    # ``compare`` is both the public keyword (how RDMs are compared) and the
    # protocol method, so the keyword is stored as ``comparison``.
    def __init__(self, rdm: str = "correlation", compare: str = "spearman") -> None:
        object.__setattr__(self, "rdm", check_choice(rdm, "rdm", RDM_METRICS))
        object.__setattr__(self, "comparison", check_choice(compare, "compare", RDM_COMPARISONS))

    def __repr__(self) -> str:
        return f"RSA(rdm={self.rdm!r}, compare={self.comparison!r})"

    @property
    def info(self) -> MeasureInfo:
        inv = {
            "euclidean": {"translation", "orthogonal", "permutation", "isotropic_scaling"},
            "sqeuclidean": {"translation", "orthogonal", "permutation", "isotropic_scaling"},
            "cosine": {"orthogonal", "permutation", "isotropic_scaling"},
            "correlation": {"permutation", "isotropic_scaling"},
        }[self.rdm]
        return MeasureInfo(
            name="rsa",
            kind="similarity",
            metric=False,
            symmetric=True,
            invariances=frozenset(inv),
            # tau-a of an RDM with ties against itself is 1 - ties / pairs, not 1
            identity_value=None if self.comparison == "kendall_tau_a" else 1.0,
            bounds=(-1.0, 1.0),
            references=(_KRIEGESKORTE,),
            backends=("numpy", "torch"),
        )

    def prepare(self, X: Any, name: str = "X") -> _Prepared:
        # a tensor is checked and centred on the host; its RDM is computed on its device, ranked and
        # tie-merged on the host (torch has no average-rank transform), and kept on the device
        return self.prepare_rdm(self._rdm_vector(X, name, namespace(X)), name)

    def rdm_vector(self, X: Any, name: str = "X") -> np.ndarray:
        """The condensed RDM of ``X`` that :meth:`prepare` compares, at a scale where it is exact.

        The data are brought near unit scale by a power of two first (centred
        per column where the RDM ignores offsets), so squared distances stay
        inside float64's range; every comparison ignores the RDM's scale.
        A NumPy array, also for tensor input.
        """
        return self._rdm_vector(X, name, NUMPY)

    def _rdm_vector(self, X: Any, name: str, xp: Any) -> Any:
        """:meth:`rdm_vector` computed in ``xp``'s backend (a tensor on its device for a torch ``xp``)."""
        X = check_matrix(X, name)
        if "translation" in self.info.invariances:  # as for every measure that ignores offsets
            non_constant_columns(X, name)
            unit, _, _ = centre_columns(X)  # per-column scaling: a huge constant column costs no digits
        else:
            unit, _ = to_unit_scale(X)
        return _condensed_rdm(xp.asarray(unit), self.rdm, name, xp)

    def prepare_rdm(self, vector: Any, name: str = "rdm") -> _Prepared:
        """The prepared form of a condensed RDM (``scipy.spatial.distance`` order, or any subset of pairs).

        Use it for dissimilarities computed elsewhere (a brain RDM, a
        cross-validated distance), or for the pairs that remain when some are
        excluded: :func:`repgeo.stats.bootstrap_ci` drops the pairs of a
        stimulus with its own copy this way.  A tensor is ranked on the host
        and its prepared vector returns to its device (Kendall's tau stays on
        the host, where SciPy computes it).
        """
        xp = namespace(vector)
        vec = as_float_array(vector, name, ndim=1)
        if vec.size < 2:
            raise ValueError(f"{name} must hold at least 2 dissimilarities to correlate; got {vec.size}")
        if np.ptp(vec) <= 1e-12 * max(float(np.abs(vec).max()), 1e-300):
            raise ValueError(f"the {self.rdm} RDM of {name} is constant; its correlation with another RDM is undefined")
        if self.comparison in ("spearman", "kendall_tau_a"):
            vec = _merge_near_ties(vec)
        if self.comparison == "kendall_tau_a":  # compared on the host (SciPy's tau-b)
            _, counts = np.unique(vec, return_counts=True)
            return _Prepared(vec, float(np.sum(counts * (counts - 1) / 2)))
        if self.comparison == "spearman":
            from scipy.stats import rankdata

            vec = rankdata(vec)
        if self.comparison in ("pearson", "spearman"):
            vec = vec - vec.mean()
        return _Prepared(xp.asarray(vec / np.linalg.norm(vec)), 0.0)

    @property
    def releases_gil(self) -> bool:
        """True except for Kendall's tau (computed pair by pair in Python/SciPy): the block path is one GEMM."""
        return self.comparison != "kendall_tau_a"

    def compare_block(self, lefts: list[_Prepared], rights: list[_Prepared]) -> np.ndarray:
        """Similarities of every pair ``(lefts[i], rights[j])`` as a ``(len(lefts), len(rights))`` array.

        Pearson, Spearman and cosine comparisons are inner products of the
        prepared (ranked, centred, unit) RDM vectors: one GEMM over the stacked
        vectors.  Kendall's tau goes pair by pair.
        """
        if self.comparison == "kendall_tau_a":
            return np.array([[self.compare(a, b) for b in rights] for a in lefts]).reshape(len(lefts), len(rights))
        xp = namespace(*(p.vector for p in (*lefts, *rights)))
        A = xp.stack([xp.asarray(a.vector) for a in lefts])
        B = xp.stack([xp.asarray(b.vector) for b in rights])
        return np.clip(xp.to_numpy(A @ B.T), -1.0, 1.0)

    def compare(self, a: _Prepared, b: _Prepared) -> float:
        if self.comparison != "kendall_tau_a":
            a, b = same_backend(a, b)
            return float(np.clip(float(a.vector @ b.vector), -1.0, 1.0))
        n0 = a.vector.size * (a.vector.size - 1) / 2
        from scipy.stats import kendalltau

        tau_b = kendalltau(a.vector, b.vector, variant="b").statistic
        # |tau_a| <= 1 in exact arithmetic: only rounding can leave the bounds, so clip
        return float(np.clip(tau_b * np.sqrt((n0 - a.ties) * (n0 - b.ties)) / n0, -1.0, 1.0))

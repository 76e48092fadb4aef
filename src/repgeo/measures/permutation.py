"""Shape metric with alignment restricted to permutations of units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._linalg import (
    NEAR_IDENTICAL,
    angular_from_cosine,
    distances_from_residual,
    euclidean_from_cosine,
    centre_columns,
    frobenius_norm,
)
from .._measure import Measure, MeasureInfo
from .._registry import register
from .._validation import check_choice, check_matrix, non_constant_columns, norm_in_data_units
from .._backend import namespace, to_host
from .shape import _WILLIAMS, _cross

__all__ = ["PermutationMetric"]


@dataclass(frozen=True)
class _Prepared:
    centred: Any  # (n, p), centred and divided by its Frobenius norm (a float64 tensor on the input's device)
    norm: float  # in the data's units; inf past float64's range (the angular score never uses it)


@register("permutation_euclidean", score="euclidean")
@register("permutation")
@dataclass(frozen=True)
class PermutationMetric(Measure):
    r"""Shape metric whose alignment may only permute units.

    Parameters
    ----------
    score : {"angular", "euclidean"}, default "angular"

    Notes
    -----
    Columns are centred (and, for the angular score, the matrix is scaled to
    unit Frobenius norm); the narrower matrix is zero-padded.  The best
    permutation ``P`` maximises ``tr(A^T B P)``, a linear assignment problem
    on ``C = A^T B`` solved exactly by :func:`scipy.optimize.linear_sum_assignment`:

    .. math::
        d_\angle = \arccos \max_P \operatorname{tr}(A^T B P), \qquad
        d_E = \sqrt{\|A\|^2 + \|B\|^2 - 2 \max_P \operatorname{tr}(A^T B P)}.

    Permutations form a group acting by isometries, so both are metrics.  The
    value is never below the Procrustes distance (permutations are orthogonal).

    Torch tensors (CPU or CUDA) are checked and centred on the host and kept
    on their device in float64, where each pair's cross-product runs; the
    assignment problem is solved on the host.

    References
    ----------
    Williams, Kunz, Kornblith & Linderman (2021). Generalized shape metrics on
    neural representations. NeurIPS.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> X = np.random.default_rng(0).standard_normal((50, 6))
    >>> round(rg.PermutationMetric()(X, 2 * X[:, ::-1] + 5), 6)
    0.0
    """

    score: str = "angular"

    def __post_init__(self) -> None:
        check_choice(self.score, "score", ("angular", "euclidean"))

    @property
    def info(self) -> MeasureInfo:
        angular = self.score == "angular"
        inv = {"translation", "permutation"} | ({"isotropic_scaling"} if angular else set())
        return MeasureInfo(
            name="permutation_metric",
            kind="distance",
            metric=True,
            symmetric=True,
            invariances=frozenset(inv),
            bounds=(0.0, np.pi) if angular else (0.0, np.inf),
            references=(_WILLIAMS,),
            backends=("numpy", "torch"),
        )

    def prepare(self, X: Any, name: str = "X") -> _Prepared:
        xp = namespace(X)  # a tensor: checked and centred on the host, kept on its device for the cross-products
        X = check_matrix(X, name)
        non_constant_columns(X, name)
        Xc, e, _ = centre_columns(X)  # at unit scale (exact): no over- or underflow at any data scale
        norm = frobenius_norm(Xc)
        return _Prepared(xp.asarray(Xc / norm), norm_in_data_units(norm, e, name, euclidean=self.score == "euclidean"))

    def compare(self, a: _Prepared, b: _Prepared) -> float:
        from scipy.optimize import linear_sum_assignment  # imported on use: scipy.optimize is slow to import

        # the (p x q) cross-product on the tensors' device; the assignment problem on the host (SciPy)
        cross = to_host(_cross(a.centred, b.centred))  # zero padding adds zero rows/columns: leave them out
        rows, cols = linear_sum_assignment(cross, maximize=True)
        cos = cross[rows, cols].sum()
        if cos > NEAR_IDENTICAL:  # recompute from the aligned residual (arccos loses digits here)
            A, B = to_host(a.centred), to_host(b.centred)
            p = max(A.shape[1], B.shape[1])
            A = np.pad(A, ((0, 0), (0, p - A.shape[1])))
            B = np.pad(B, ((0, 0), (0, p - B.shape[1])))
            _, perm = linear_sum_assignment(A.T @ B, maximize=True)
            if self.score == "angular":  # the norms are not needed (and may lie past float64's range)
                return distances_from_residual(A, B[:, perm], 1.0, 1.0)[0]
            return distances_from_residual(A, B[:, perm], a.norm, b.norm)[1]
        if self.score == "angular":
            return float(angular_from_cosine(cos))
        return float(euclidean_from_cosine(a.norm, b.norm, cos))

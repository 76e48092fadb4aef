"""Linear CKA and its angular form: CKA from feature cross-products, never forming Gram matrices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import moved, namespace, same_backend, to_host
from .._batched import cross_products
from .._linalg import angular_from_cosine, centre_columns
from .._measure import Measure, MeasureInfo
from .._registry import register
from .._validation import check_matrix, non_constant_columns
from .kernel import _KORNBLITH, _SONG, _check_hsic, _self_norm, _unbiased_rounding, hsic_unbiased

__all__ = ["AngularCKA", "LinearCKA"]

@dataclass(frozen=True)
class _LinearPrepared:
    feats: Any  # (n, k) centred features with the same Gram matrix as the data (ndarray, or a float64 tensor)
    row_sq: Any  # (n,) diagonal of the Gram matrix
    norm: float  # sqrt(HSIC(X, X)) in the chosen estimator (up to a constant)


@register("linear_cka_unbiased", hsic="unbiased")
@register("linear_cka")
@dataclass(frozen=True)
class LinearCKA(Measure):
    r"""Linear centered kernel alignment, a similarity in ``[0, 1]``.

    Parameters
    ----------
    hsic : {"biased", "unbiased"}, default "biased"
        ``"biased"`` is Gretton's estimator (Kornblith et al. 2019);
        ``"unbiased"`` is Song et al.'s U-statistic HSIC_1, which removes the
        positive bias of CKA between independent data at small ``n`` (values
        then lie in ``[-1, 1]``; needs ``n >= 4``).  The unbiased self-HSIC
        ``HSIC_1(X, X)`` is zero in exact arithmetic when the variation of
        ``X`` sits on one or two samples; when it is not reliably positive
        (within 1000 rounding errors of zero) ``prepare`` raises
        ``ValueError`` rather than normalise by rounding noise (or return a
        NaN that would travel silently through an all-pairs matrix).

    Notes
    -----
    With centred ``X`` and ``Y``,

    .. math:: \mathrm{CKA}(X, Y) = \frac{\|X^T Y\|_F^2}{\|X^T X\|_F\,\|Y^T Y\|_F}.

    The unbiased form replaces each HSIC by :func:`hsic_unbiased`, computed in
    feature space from ``||X^T Y||_F^2`` and the row norms (no ``n x n``
    matrix is formed).  It is the inner product of the U-centred Gram
    matrices (Szekely & Rizzo 2014), so both forms are cosines and lie in
    their bounds; values are clipped to the bounds against rounding.  When ``p > n`` the data are first reduced to ``n``
    columns with the same Gram matrix.

    References
    ----------
    Kornblith et al. (2019), ICML; Song et al. (2012), JMLR.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> X = np.random.default_rng(0).standard_normal((100, 8))
    >>> round(rg.LinearCKA()(X, 2 * X + 1), 6)
    1.0
    """

    hsic: str = "biased"

    def __post_init__(self) -> None:
        _check_hsic(self.hsic)

    @property
    def info(self) -> MeasureInfo:
        return MeasureInfo(
            name="linear_cka",
            kind="similarity",
            metric=False,
            symmetric=True,
            invariances=frozenset({"translation", "isotropic_scaling", "orthogonal", "permutation"}),
            identity_value=1.0,
            bounds=(0.0, 1.0) if self.hsic == "biased" else (-1.0, 1.0),
            references=(_KORNBLITH,) + ((_SONG,) if self.hsic == "unbiased" else ()),
            backends=("numpy", "torch"),
        )

    def prepare(self, X: Any, name: str = "X") -> _LinearPrepared:
        prepared = self._prepare_numpy(X, name)
        # a tensor's prepared form lives on its device: the pair work (X^T Y, a GEMM) runs there in float64;
        # the checks and the exact power-of-two centring run once per representation on the host
        return moved(prepared, namespace(X))

    def _prepare_numpy(self, X: Any, name: str) -> _LinearPrepared:
        X = check_matrix(X, name, min_samples=4 if self.hsic == "unbiased" else 3)
        non_constant_columns(X, name)
        # CKA ignores the scale: centred at unit scale (exact), which keeps (X^T X)^2 inside float64's range
        Xc, _, _ = centre_columns(X)
        n, p = Xc.shape
        if p > n:  # same Gram matrix, fewer columns
            U, s, _ = np.linalg.svd(Xc, full_matrices=False)
            Xc = U * s
        row_sq = np.einsum("ij,ij->i", Xc, Xc)
        self_cross = np.sum((Xc.T @ Xc) ** 2)
        prepared = _LinearPrepared(Xc, row_sq, 1.0)
        value = self._hsic(prepared, prepared, self_cross)
        error = 0.0  # the biased self-HSIC is a sum of squares: positive is reliable
        if self.hsic == "unbiased":
            diag = row_sq @ row_sq
            error = _unbiased_rounding(self_cross + diag, row_sq.sum(), row_sq.sum(), diag, n)
        return _LinearPrepared(Xc, row_sq, _self_norm(value, error, name, self.hsic))

    def _hsic(self, a: _LinearPrepared, b: _LinearPrepared, cross_sq: Any) -> Any:
        if self.hsic == "biased":
            return cross_sq
        n = a.feats.shape[0]
        diag = a.row_sq @ b.row_sq
        # tr(K~L~) = ||X^T Y||^2 - sum_i k_ii l_ii;  1^T K~ 1 = -sum_i k_ii (centred);
        # (K~ 1)^T (L~ 1) = sum_i k_ii l_ii (centred)
        return hsic_unbiased(cross_sq - diag, -a.row_sq.sum(), -b.row_sq.sum(), diag, n)

    @property
    def releases_gil(self) -> bool:
        """True: the time goes to GEMMs over prepared features (NumPy or torch), which release the GIL."""
        return True

    def compare(self, a: _LinearPrepared, b: _LinearPrepared) -> float:
        a, b = same_backend(a, b)
        cross_sq = ((a.feats.T @ b.feats) ** 2).sum()
        # a cosine (Cauchy-Schwarz): only rounding can leave the bounds, so clip
        return float(np.clip(float(self._hsic(a, b, cross_sq)) / (a.norm * b.norm), *self.info.bounds))

    def compare_block(self, lefts: list[_LinearPrepared], rights: list[_LinearPrepared]) -> np.ndarray:
        """CKA of every pair ``(lefts[i], rights[j])`` as a ``(len(lefts), len(rights))`` array.

        All ``X_i^T Y_j`` of a chunk come from one GEMM over the stacked
        features; their squared Frobenius norms are summed block by block.
        Equal to :meth:`compare` up to rounding.  Prepared tensors are
        multiplied and summed on their device; the ``(len(lefts), len(rights))``
        sums come to the host.
        """
        out = np.empty((len(lefts), len(rights)))
        for rows, cross, lw, rw in cross_products([a.feats for a in lefts], [b.feats for b in rights]):
            cross *= cross
            out[rows] = namespace(cross).block_sums(cross, lw, rw)
        if self.hsic == "unbiased":
            row_a = np.stack([to_host(a.row_sq) for a in lefts])
            row_b = np.stack([to_host(b.row_sq) for b in rights])
            diag = row_a @ row_b.T
            out = hsic_unbiased(out - diag, -row_a.sum(1)[:, None], -row_b.sum(1)[None, :], diag, row_a.shape[1])
        norms = np.outer([a.norm for a in lefts], [b.norm for b in rights])
        return np.clip(out / norms, *self.info.bounds)


@register("angular_cka")
@dataclass(frozen=True)
class AngularCKA(Measure):
    r"""Angular CKA distance ``arccos(CKA)`` (biased linear CKA), a metric in ``[0, pi/2]``.

    Notes
    -----
    Linear CKA is the cosine between the centred Gram matrices ``H X X^T H``
    and ``H Y Y^T H`` in the Frobenius inner product; its arccos is the great
    circle distance between them on the unit sphere, so it satisfies the
    triangle inequality (Williams et al. 2021; Lange et al. 2023).

    References
    ----------
    Williams et al. (2021), NeurIPS; Kornblith et al. (2019), ICML.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((100, 8)), rng.standard_normal((100, 4))
    >>> bool(np.isclose(rg.AngularCKA()(X, Y), np.arccos(rg.LinearCKA()(X, Y))))
    True
    """

    info = MeasureInfo(
        name="angular_cka",
        kind="distance",
        metric=True,
        symmetric=True,
        invariances=frozenset({"translation", "isotropic_scaling", "orthogonal", "permutation"}),
        bounds=(0.0, np.pi / 2),
        references=("Williams, Kunz, Kornblith & Linderman (2021). Generalized shape metrics on neural representations. NeurIPS.", _KORNBLITH),
        backends=("numpy", "torch"),  # through LinearCKA: the pair work runs on the tensors' device
    )

    def prepare(self, X: Any, name: str = "X") -> _LinearPrepared:
        return LinearCKA().prepare(X, name)

    def compare(self, a: _LinearPrepared, b: _LinearPrepared) -> float:
        return float(angular_from_cosine(LinearCKA().compare(a, b)))

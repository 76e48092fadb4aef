"""Centered kernel alignment: linear, kernel (RBF, polynomial) and angular CKA."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._linalg import angular_from_cosine
from .._measure import Measure, MeasureInfo
from .._registry import register
from .._validation import check_choice, check_in_range, check_matrix

__all__ = ["LinearCKA", "KernelCKA", "AngularCKA", "hsic_unbiased"]

_KORNBLITH = "Kornblith, Norouzi, Lee & Hinton (2019). Similarity of neural network representations revisited. ICML."
_SONG = "Song, Smola, Gretton, Bedo & Borgwardt (2012). Feature selection via dependence maximization. JMLR."


def hsic_unbiased(tr_kl: np.ndarray, sum_k: np.ndarray, sum_l: np.ndarray, rows_kl: np.ndarray, n: int) -> np.ndarray:
    r"""Song et al.'s unbiased HSIC_1 from its four ingredients.

    With ``K~``, ``L~`` the Gram matrices with zeroed diagonals,

    .. math::
        \mathrm{HSIC}_1 = \frac{1}{n(n-3)}\Big[\operatorname{tr}(\tilde K \tilde L)
        + \frac{\mathbf 1^T\tilde K\mathbf 1\,\mathbf 1^T\tilde L\mathbf 1}{(n-1)(n-2)}
        - \frac{2}{n-2}\,\mathbf 1^T\tilde K\tilde L\mathbf 1\Big].

    Parameters are ``tr(K~ L~)``, ``1^T K~ 1``, ``1^T L~ 1`` and
    ``(K~ 1)^T (L~ 1)``; arrays broadcast.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> K = (lambda A: A @ A.T)(rng.standard_normal((6, 2))); np.fill_diagonal(K, 0)
    >>> h = hsic_unbiased(np.sum(K * K), K.sum(), K.sum(), K.sum(1) @ K.sum(1), 6)
    >>> bool(h > 0)
    True
    """
    return (tr_kl + sum_k * sum_l / ((n - 1) * (n - 2)) - 2.0 * rows_kl / (n - 2)) / (n * (n - 3))


def _check_hsic(hsic: str) -> None:
    check_choice(hsic, "hsic", ("biased", "unbiased"))


def _self_norm(value: float, name: str) -> float:
    if not value > 0:
        raise ValueError(
            f"{name} has a non-positive HSIC with itself ({value:.3g}); CKA is undefined "
            "(constant or too few distinct samples)"
        )
    return float(np.sqrt(value))


# ----------------------------------------------------------------------------- linear


@dataclass(frozen=True)
class _LinearPrepared:
    feats: np.ndarray  # (n, k) centred features with the same Gram matrix as the data
    row_sq: np.ndarray  # (n,) diagonal of the Gram matrix
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
        then lie in ``[-1, 1]``; needs ``n >= 4``).

    Notes
    -----
    With centred ``X`` and ``Y``,

    .. math:: \mathrm{CKA}(X, Y) = \frac{\|X^T Y\|_F^2}{\|X^T X\|_F\,\|Y^T Y\|_F}.

    The unbiased form replaces each HSIC by :func:`hsic_unbiased`, computed in
    feature space from ``||X^T Y||_F^2`` and the row norms (no ``n x n``
    matrix is formed).  When ``p > n`` the data are first reduced to ``n``
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
        )

    def prepare(self, X: Any, name: str = "X") -> _LinearPrepared:
        X = check_matrix(X, name, min_samples=4 if self.hsic == "unbiased" else 3)
        Xc = X - X.mean(axis=0)
        top = float(np.abs(Xc).max())
        if top > 0:  # CKA ignores the scale; unit scale keeps (X^T X)^2 inside float64's range
            Xc = Xc / top
        n, p = Xc.shape
        if p > n:  # same Gram matrix, fewer columns
            U, s, _ = np.linalg.svd(Xc, full_matrices=False)
            Xc = U * s
        row_sq = np.einsum("ij,ij->i", Xc, Xc)
        self_cross = np.sum((Xc.T @ Xc) ** 2)
        prepared = _LinearPrepared(Xc, row_sq, 1.0)
        value = self._hsic(prepared, prepared, self_cross)
        return _LinearPrepared(Xc, row_sq, _self_norm(value, name))

    def _hsic(self, a: _LinearPrepared, b: _LinearPrepared, cross_sq: Any) -> Any:
        if self.hsic == "biased":
            return cross_sq
        n = a.feats.shape[0]
        diag = a.row_sq @ b.row_sq
        # tr(K~L~) = ||X^T Y||^2 - sum_i k_ii l_ii;  1^T K~ 1 = -sum_i k_ii (centred);
        # (K~ 1)^T (L~ 1) = sum_i k_ii l_ii (centred)
        return hsic_unbiased(cross_sq - diag, -a.row_sq.sum(), -b.row_sq.sum(), diag, n)

    def compare(self, a: _LinearPrepared, b: _LinearPrepared) -> float:
        cross_sq = np.sum((a.feats.T @ b.feats) ** 2)
        return float(self._hsic(a, b, cross_sq) / (a.norm * b.norm))


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
    )

    def prepare(self, X: Any, name: str = "X") -> _LinearPrepared:
        return LinearCKA().prepare(X, name)

    def compare(self, a: _LinearPrepared, b: _LinearPrepared) -> float:
        return float(angular_from_cosine(LinearCKA().compare(a, b)))


# ----------------------------------------------------------------------------- kernel


@dataclass(frozen=True)
class _GramPrepared:
    gram: np.ndarray  # (n, n): centred Gram (biased) or Gram with zero diagonal (unbiased)
    row_sums: np.ndarray
    total: float
    norm: float


@register("kernel_cka_unbiased", hsic="unbiased")
@register("kernel_cka")
@dataclass(frozen=True)
class KernelCKA(Measure):
    r"""Kernel CKA with an RBF or polynomial kernel, a similarity.

    Parameters
    ----------
    kernel : {"rbf", "polynomial"}, default "rbf"
    sigma : float, optional
        RBF bandwidth; by default ``sigma_scale`` times the median pairwise
        Euclidean distance of each representation (median heuristic), which
        makes the measure invariant to isotropic scaling.
    sigma_scale : float, default 1.0
        Multiplies the median-heuristic bandwidth.
    degree, coef0 : polynomial kernel ``(gamma <x, y> + coef0) ** degree``
        on centred features; ``gamma`` defaults to ``1 / n_features``.
    gamma : float, optional
    hsic : {"biased", "unbiased"}, default "biased"

    Notes
    -----
    .. math:: \mathrm{CKA} = \frac{\mathrm{HSIC}(K, L)}{\sqrt{\mathrm{HSIC}(K, K)\,\mathrm{HSIC}(L, L)}},
       \quad \mathrm{HSIC}_0(K, L) \propto \operatorname{tr}(K H L H),

    with ``K_ij = exp(-||x_i - x_j||^2 / (2 sigma^2))`` for the RBF kernel.
    Gram matrices are ``n x n``: memory grows as ``n^2`` per representation.

    References
    ----------
    Kornblith et al. (2019), ICML.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> X = np.random.default_rng(0).standard_normal((60, 5))
    >>> round(rg.KernelCKA()(X, 3 * X - 2), 6)
    1.0
    """

    kernel: str = "rbf"
    sigma: float | None = None
    sigma_scale: float = 1.0
    degree: int = 3
    gamma: float | None = None
    coef0: float = 1.0
    hsic: str = "biased"

    def __post_init__(self) -> None:
        check_choice(self.kernel, "kernel", ("rbf", "polynomial"))
        _check_hsic(self.hsic)
        if self.sigma is not None:
            check_in_range(self.sigma, "sigma", 0.0, np.inf, low_open=True, high_open=True)
        check_in_range(self.sigma_scale, "sigma_scale", 0.0, np.inf, low_open=True, high_open=True)

    @property
    def info(self) -> MeasureInfo:
        inv = {"translation", "orthogonal", "permutation"}
        if self.kernel == "rbf" and self.sigma is None:
            inv.add("isotropic_scaling")
        return MeasureInfo(
            name="kernel_cka",
            kind="similarity",
            metric=False,
            symmetric=True,
            invariances=frozenset(inv),
            identity_value=1.0,
            bounds=(0.0, 1.0) if self.hsic == "biased" else (-1.0, 1.0),
            references=(_KORNBLITH,) + ((_SONG,) if self.hsic == "unbiased" else ()),
        )

    def gram(self, X: np.ndarray, name: str = "X") -> np.ndarray:
        """The kernel matrix of a validated representation."""
        from sklearn.metrics.pairwise import polynomial_kernel, rbf_kernel  # sklearn.metrics is slow to import

        if self.kernel == "rbf":
            # a power-of-two rescaling (exact) keeps pdist finite at any data scale; a fixed
            # bandwidth is rescaled with the data
            Xc = X - X.mean(axis=0)
            _, e = np.frexp(np.abs(Xc).max())
            X = np.ldexp(Xc, -int(e))
            sigma = None if self.sigma is None else float(np.ldexp(self.sigma, -int(e)))
            if sigma is None:
                from scipy.spatial.distance import pdist  # imported on use: scipy.spatial is slow to import

                dists = pdist(X)
                dists = dists[dists > 0]
                if dists.size == 0:
                    raise ValueError(f"{name} is constant over samples (all rows identical); the median-heuristic bandwidth is 0")
                sigma = self.sigma_scale * float(np.median(dists))
            # exp(-|x - y|^2 / (2 sigma^2)) on X / sigma: no overflow of 1 / sigma^2 at tiny scales
            return rbf_kernel(X / sigma, gamma=0.5)
        Xc = X - X.mean(axis=0)
        K = polynomial_kernel(Xc, degree=self.degree, gamma=self.gamma, coef0=self.coef0)
        if not np.isfinite(K).all():
            raise ValueError(
                f"the polynomial kernel of {name} overflows (largest |entry| {np.abs(Xc).max():.3g}); "
                "this kernel depends on the data's scale: rescale the data or pass gamma"
            )
        return K

    def prepare(self, X: Any, name: str = "X") -> _GramPrepared:
        X = check_matrix(X, name, min_samples=4 if self.hsic == "unbiased" else 3)
        K = self.gram(X, name)
        if self.hsic == "biased":
            K = K - K.mean(axis=0)
            K = K - K.mean(axis=1, keepdims=True)
        else:
            np.fill_diagonal(K, 0.0)
        prepared = _GramPrepared(K, K.sum(axis=1), float(K.sum()), 1.0)
        return _GramPrepared(K, prepared.row_sums, prepared.total, _self_norm(self._hsic(prepared, prepared), name))

    def _hsic(self, a: _GramPrepared, b: _GramPrepared) -> float:
        tr_kl = float(np.sum(a.gram * b.gram))
        if self.hsic == "biased":
            return tr_kl
        return float(hsic_unbiased(tr_kl, a.total, b.total, a.row_sums @ b.row_sums, a.gram.shape[0]))

    def compare(self, a: _GramPrepared, b: _GramPrepared) -> float:
        return self._hsic(a, b) / (a.norm * b.norm)

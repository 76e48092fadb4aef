"""Centered kernel alignment with kernels (RBF, polynomial), and the HSIC estimators all CKA measures share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import NUMPY, namespace, same_backend
from .._linalg import centre_columns
from .._measure import Measure, MeasureInfo
from .._registry import register
from .._validation import check_choice, check_in_range, check_matrix, check_positive_int, non_constant_columns

__all__ = ["KernelCKA", "hsic_unbiased"]

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


_EPS = float(np.finfo(float).eps)


def _check_hsic(hsic: str) -> None:
    check_choice(hsic, "hsic", ("biased", "unbiased"))


def _unbiased_rounding(tr_abs: float, sum_k: float, sum_l: float, rows_abs: float, n: int) -> float:
    """A bound on the rounding error of :func:`hsic_unbiased`: ``n eps`` times the sum of its terms' sizes."""
    size = (tr_abs + abs(sum_k * sum_l) / ((n - 1) * (n - 2)) + 2.0 * rows_abs / (n - 2)) / (n * (n - 3))
    return n * _EPS * size


def _self_norm(value: float, error: float, name: str, hsic: str) -> float:
    """``sqrt(value)`` of a self-HSIC that is reliably positive: above 1000 times its rounding error.

    The CKA of two representations is a cosine (Cauchy-Schwarz keeps it in
    its bounds), but only when both self-HSICs are positive numbers rather
    than rounding noise around zero: the unbiased estimator of a
    representation whose variation sits on one or two samples is exactly zero
    in exact arithmetic, and a normalisation by noise of ``1e-17`` gave
    values like 2.0.  Such an input raises, as constant input does: a NaN would
    travel silently into an all-pairs matrix and everything computed from it.
    """
    if not value > 1000.0 * error:
        if hsic == "unbiased":
            why = (
                f"{name} has too few distinct samples, or its variation sits on one or two samples "
                "(the biased estimator, hsic='biased', is defined for such data)"
            )
        else:
            why = f"the kernel is constant over {name} to working precision at this data scale (choose sigma or gamma)"
        raise ValueError(
            f"the {hsic} HSIC of {name} with itself is {value:.3g}, which is not reliably positive "
            f"(within 1000 rounding errors, {1000.0 * error:.2g}, of zero), so CKA cannot be normalised: {why}"
        )
    return float(np.sqrt(value))


# ----------------------------------------------------------------------------- kernel


@dataclass(frozen=True)
class _GramPrepared:
    gram: Any  # (n, n): centred Gram (biased) or Gram with zero diagonal (unbiased); a float64 tensor for tensors
    row_sums: Any
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
        ``degree`` is an integer >= 1.  With ``coef0 >= 0`` the kernel is
        positive semi-definite and biased CKA lies in ``[0, 1]``; a negative
        ``coef0`` makes it indefinite and the bounds ``[-1, 1]``.
    gamma : float > 0, optional
    hsic : {"biased", "unbiased"}, default "biased"
        As for :class:`LinearCKA`.  A representation whose self-HSIC is not
        reliably positive (within 1000 rounding errors of zero) raises
        ``ValueError``.

    Notes
    -----
    .. math:: \mathrm{CKA} = \frac{\mathrm{HSIC}(K, L)}{\sqrt{\mathrm{HSIC}(K, K)\,\mathrm{HSIC}(L, L)}},
       \quad \mathrm{HSIC}_0(K, L) \propto \operatorname{tr}(K H L H),

    with ``K_ij = exp(-||x_i - x_j||^2 / (2 sigma^2))`` for the RBF kernel.
    Gram matrices are ``n x n``: memory grows as ``n^2`` per representation.
    Torch tensors (CPU or CUDA) are checked and centred on the host; their
    Gram matrices are built, centred and compared on the tensors' device in
    float64 (float32 input is promoted), agreeing with NumPy input to rounding.

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
        check_positive_int(self.degree, "degree")
        if self.gamma is not None:
            check_in_range(self.gamma, "gamma", 0.0, np.inf, low_open=True, high_open=True)
        check_in_range(self.coef0, "coef0", -np.inf, np.inf, low_open=True, high_open=True)

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
            # biased CKA of positive semi-definite kernels (RBF; polynomial with coef0 >= 0) is >= 0
            bounds=(0.0, 1.0) if self.hsic == "biased" and self._psd else (-1.0, 1.0),
            references=(_KORNBLITH,) + ((_SONG,) if self.hsic == "unbiased" else ()),
            backends=("numpy", "torch"),
        )

    @property
    def _psd(self) -> bool:
        return self.kernel == "rbf" or self.coef0 >= 0

    def gram(self, X: np.ndarray, name: str = "X", xp: Any = NUMPY) -> Any:
        """The kernel matrix of a validated representation (on ``xp``'s device in float64 for a torch ``xp``)."""
        # centred at unit scale (powers of two, exact) on the host: no overflow near the float maximum
        non_constant_columns(X, name)
        Xc, e, _ = centre_columns(X)
        if self.kernel == "rbf":
            # distances from differences stay finite at any data scale; a fixed bandwidth is rescaled with the data
            dists = xp.distance_matrix(xp.asarray(Xc))
            if self.sigma is None:
                positive = dists[dists > 0]  # each pair twice: the same median as over the pairs
                if positive.shape[0] == 0:
                    raise ValueError(f"{name} is constant over samples (all rows identical); the median-heuristic bandwidth is 0")
                sigma = self.sigma_scale * xp.median(positive)
            else:
                with np.errstate(under="ignore", over="ignore"):
                    sigma = float(np.ldexp(self.sigma, -(e)))
            if not sigma > 0:
                raise ValueError(
                    f"sigma={self.sigma!r} is too small for the spread of {name} (largest centred |entry| "
                    f"about 2**{e}): every kernel entry off the diagonal underflows"
                )
            # exp(-(|x - y| / sigma)^2 / 2) from distances of the unit-scale data: no cancellation
            # (as in |x|^2 + |y|^2 - 2 <x, y>), and a ratio past float64's range is exp(-inf) = 0
            with xp.errstate(over="ignore", under="ignore"):
                return xp.exp(-0.5 * (dists / sigma) ** 2)
        with np.errstate(over="ignore", invalid="ignore"):  # this kernel depends on the scale: back to data units
            Xc = xp.asarray(np.ldexp(Xc, e))
        gamma = 1.0 / Xc.shape[1] if self.gamma is None else self.gamma
        with xp.errstate(over="ignore", invalid="ignore"):
            K = (gamma * (Xc @ Xc.T) + self.coef0) ** self.degree
        if not bool(xp.isfinite(K).all()):
            raise ValueError(
                f"the polynomial kernel of {name} overflows (largest centred |entry| about "
                f"2**{e}); this kernel depends on the data's scale: rescale the data or pass gamma"
            )
        return K

    def prepare(self, X: Any, name: str = "X") -> _GramPrepared:
        # a tensor is checked and centred on the host; its Gram matrix is built and kept on its device
        xp = namespace(X)
        X = check_matrix(X, name, min_samples=4 if self.hsic == "unbiased" else 3)
        K = self.gram(X, name, xp)
        n = K.shape[0]
        if self.hsic == "biased":
            size = float(xp.matrix_norm(K))  # entries of the centred K carry errors of about n eps |K|
            K = K - K.mean(axis=0)
            K = K - K.mean(axis=1)[:, None]
        else:
            diagonal = xp.index(np.arange(n))
            K[diagonal, diagonal] = 0.0
        prepared = _GramPrepared(K, K.sum(axis=1), float(K.sum()), 1.0)
        value = self._hsic(prepared, prepared)
        if self.hsic == "biased":
            delta = n * _EPS * size  # ||K_c|| to within delta, so ||K_c||^2 to within 2 ||K_c|| delta + delta^2
            error = 2.0 * np.sqrt(max(value, 0.0)) * delta + delta**2
        else:
            rows = prepared.row_sums
            error = _unbiased_rounding(float((K * K).sum()), prepared.total, prepared.total, float(rows @ rows), n)
        return _GramPrepared(K, prepared.row_sums, prepared.total, _self_norm(value, error, name, self.hsic))

    def _hsic(self, a: _GramPrepared, b: _GramPrepared) -> float:
        a, b = same_backend(a, b)
        tr_kl = float((a.gram * b.gram).sum())
        if self.hsic == "biased":
            return tr_kl
        return float(hsic_unbiased(tr_kl, a.total, b.total, float(a.row_sums @ b.row_sums), a.gram.shape[0]))

    def compare(self, a: _GramPrepared, b: _GramPrepared) -> float:
        # a cosine between centred kernel matrices (Cauchy-Schwarz; non-negative for positive
        # semi-definite kernels): only rounding can leave the bounds, so clip
        return float(np.clip(self._hsic(a, b) / (a.norm * b.norm), *self.info.bounds))

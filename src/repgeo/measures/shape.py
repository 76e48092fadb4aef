"""Generalized shape metrics (Williams et al. 2021): the alpha family from CCA to Procrustes."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from .._backend import NUMPY, namespace, to_host
from .._batched import block_views, cross_products, nuclear_norms, stack_nuclear_norms
from .._linalg import (
    NEAR_IDENTICAL,
    angular_from_cosine,
    distances_from_residual,
    euclidean_from_cosine,
    frobenius_norm,
    centre_columns,
    procrustes_align,
)
from .._measure import Measure, MeasureInfo
from .._registry import register
from .._validation import check_choice, check_in_range, check_matrix, non_constant_columns, norm_in_data_units
from .._warnings import RepresentationWarning
from ._shape_alignment import ShapeAlignment

__all__ = ["ShapeMetric", "ShapeAlignment", "CONVENTIONS"]

#: Whose partial-whitening eigenvalues ``ShapeMetric(convention=...)`` uses.
CONVENTIONS = ("repgeo", "netrep", "repsim")
_WILLIAMS = "Williams, Kunz, Kornblith & Linderman (2021). Generalized shape metrics on neural representations. NeurIPS."


@dataclass(frozen=True)
class _Prepared:
    coords: Any  # (n, r): centred, partially whitened data in its own frame, unit norm (a float64 tensor
    # on the input's device for tensor input; everything else is on the host)
    mean: np.ndarray  # (p,): column means
    to_coords: np.ndarray | float  # (p, r): coords = (X - mean) @ to_coords; a float c means c * identity
    norm: float  # Frobenius norm of the whitened data before the scaling to unit norm (inf past float64's
    # range, which only the angular score allows: it never uses the norm)


def _input_eps(X: Any) -> float:
    """Machine epsilon of the input's own precision (float32 data carry float32 rounding)."""
    dtype = getattr(X, "dtype", None)
    if "bfloat16" in str(dtype):  # torch's bfloat16 (8 significant bits), unknown to NumPy
        return 2.0**-7
    try:
        dtype = np.dtype(str(dtype).replace("torch.", "")) if dtype is not None else np.dtype(float)
        return float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.floating) else float(np.finfo(float).eps)
    except TypeError:
        return float(np.finfo(float).eps)


def thin_frame(centred: np.ndarray, eps: float = float(np.finfo(float).eps), xp: Any = NUMPY) -> tuple:
    """``(U, s, V)`` of the thin SVD of column-centred data, rank-truncated.

    Singular values below ``max(n, p) * eps * s_max`` are dropped, with ``eps``
    the precision the data were stored in: directions the data do not occupy
    (rounding noise included) are removed rather than inverted.  ``centred`` is
    a NumPy array already checked and centred (by :meth:`ShapeMetric.prepare`);
    with a torch namespace ``xp`` the SVD runs on its device in float64 and
    ``U``, ``s``, ``V`` are tensors there.
    """
    U, s, Vt = xp.svd(xp.asarray(centred), full_matrices=False)
    keep = s > max(centred.shape) * max(eps, np.finfo(float).eps) * s[0]
    if bool(keep.all()):  # full rank: no copy of U
        return U, s, Vt.T
    return U[:, keep], s[keep], Vt[keep].T


@register("procrustes_euclidean", alpha=1.0, score="euclidean")
@register("cca", alpha=0.0)
@register("procrustes", alpha=1.0)
@register("shape")
@dataclass(frozen=True)
class ShapeMetric(Measure):
    r"""Generalized shape metric: optimal orthogonal alignment after partial whitening.

    Parameters
    ----------
    alpha : float in [0, 1], default 1.0
        Whitening strength: ``1`` is Procrustes (no whitening), ``0`` is CCA
        (full whitening); values between interpolate (a regularised CCA).
    score : {"angular", "euclidean"}, default "angular"
        ``"angular"`` is an angle in ``[0, pi/2]`` between unit-norm
        representations; ``"euclidean"`` is a Frobenius distance in the units
        of the data.
    ridge : float >= 0, default 0.0
        Added to the normalised covariance eigenvalues before whitening
        (shrinks CCA towards Procrustes when ``n`` is close to ``p``).
    convention : {"repgeo", "netrep", "repsim"}, default "repgeo"
        Which eigenvalues the partial whitening uses at ``0 < alpha < 1``:
        repgeo's normalised ones (scale free), netrep's raw ``X^T X``
        (clipped at 1e-7; its Euclidean score rescaled to preserve the total
        variance) or repsim's ``X^T X / n`` (clipped at 1e-9).  All three
        agree at ``alpha`` 0 and 1; ``ridge`` is added on the convention's
        own scale.  The last two reproduce those packages' values and depend
        on ``n`` and the data's units.

    Notes
    -----
    Each representation ``X`` (n x p) is centred, ``Xc = U S V^T`` (thin SVD,
    singular values below ``max(n, p) * eps * s_max`` dropped, with ``eps`` the
    machine precision of the input's dtype -- float32 activations carry float32
    rounding -- so rank-deficient and ``n < p`` data are handled by working in
    the occupied subspace).  With
    covariance eigenvalues ``l_i = s_i^2 / n`` normalised to mean one,
    ``h_i = l_i / mean(l)``, the partial whitening gains are

    .. math:: g_i = \alpha + (1 - \alpha)\,(h_i + \text{ridge})^{-1/2},

    and the representation becomes ``A = Xc V diag(g)`` (divided by its
    Frobenius norm for the angular score).  Normalising the eigenvalues makes
    the interpolation independent of the data's units (netrep uses the raw
    ``X^T X``, so its intermediate alphas depend on ``n`` and the scale).
    Unequal widths are handled as zero padding would: the maximal alignment
    ``max_Q tr(A^T B Q)`` over orthogonal ``Q`` is the nuclear norm
    ``||A^T B||_*``, so

    .. math::
        d_\angle = \arccos \|A^T B\|_*, \qquad
        d_E = \sqrt{\|A\|_F^2 + \|B\|_F^2 - 2\|A^T B\|_*}.

    Both are metrics (quotients of a sphere or a Euclidean space by the
    orthogonal group).  At ``alpha=1`` the angular form is
    ``arccos(||Xc^T Yc||_* / (||Xc|| ||Yc||))``; at ``alpha=0`` it is the
    arccos of the mean canonical correlation (equal widths and full rank).
    With ``alpha < 1`` and ``n <= p`` whitening fits noise: every pair of
    full-rank representations is at distance 0 (a :class:`RepresentationWarning`
    is raised); use ``ridge > 0``, ``alpha`` near 1, or cross-validate with
    :meth:`fit`.

    Torch tensors (CPU or CUDA, any float dtype) are accepted natively: they
    are checked and centred on the host by the same exact recipe as arrays,
    the thin SVD and the coordinates live on the tensor's device in float64
    (float32 and bfloat16 input is promoted; the rank cut-off still uses the
    input's own precision), and each pair's cross-product and singular values
    are computed there.  Values agree with NumPy input to rounding.

    References
    ----------
    Williams, Kunz, Kornblith & Linderman (2021). Generalized shape metrics on
    neural representations. NeurIPS.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 10))
    >>> Q = np.linalg.qr(rng.standard_normal((10, 10)))[0]
    >>> round(rg.ShapeMetric()(X, 3 * X @ Q + 1), 6)
    0.0
    >>> 0 < rg.ShapeMetric(alpha=0.5)(X, rng.standard_normal((100, 20))) <= np.pi / 2
    True
    """

    alpha: float = 1.0
    score: str = "angular"
    ridge: float = 0.0
    convention: str = "repgeo"

    def __post_init__(self) -> None:
        check_in_range(self.alpha, "alpha", 0.0, 1.0)
        check_choice(self.score, "score", ("angular", "euclidean"))
        check_in_range(self.ridge, "ridge", 0.0, np.inf, high_open=True)
        check_choice(self.convention, "convention", CONVENTIONS)

    @property
    def info(self) -> MeasureInfo:
        angular = self.score == "angular"
        inv = {"translation", "orthogonal", "permutation"}
        if angular and (self.convention == "repgeo" or self.alpha in (0.0, 1.0)):
            # netrep's and repsim's intermediate alphas whiten with unnormalised eigenvalues
            inv.add("isotropic_scaling")
            if self.alpha == 0.0 and self.ridge == 0.0:
                inv.add("invertible_linear")
        return MeasureInfo(
            name="shape_metric",
            kind="distance",
            metric=True,
            symmetric=True,
            invariances=frozenset(inv),
            identity_value=0.0,
            bounds=(0.0, np.pi / 2) if angular else (0.0, np.inf),
            references=(_WILLIAMS,),
            backends=("numpy", "torch"),
        )

    def prepare(self, X: Any, name: str = "X") -> _Prepared:
        eps = _input_eps(X)
        # a tensor is checked and centred on the host (the same exact recipe as an array); its SVD and
        # its coordinates live on its device in float64, where the pairs' cross-products and SVDs run
        xp = namespace(X)
        X = check_matrix(X, name)
        # the frame is computed on the centred data brought to unit scale by powers of two (exact),
        # so nothing over- or underflows at 1e-300 or near the float maximum; s is in those units
        non_constant_columns(X, name)
        centred, e, mean = centre_columns(X)
        if self.alpha == 1.0 and X.shape[1] <= X.shape[0]:
            # Procrustes needs no frame: ||A^T B||_* is the same for the centred data as for U S
            # (they differ by an orthogonal V), so the thin SVD is skipped; see the preparation rule
            norm = frobenius_norm(centred)
            data_norm = norm_in_data_units(norm, e, name, euclidean=self.score == "euclidean")
            with np.errstate(under="ignore", over="ignore"):
                scale = float(np.ldexp(1.0 / norm, -e))
            return _Prepared(xp.asarray(centred / norm), mean, scale, data_norm)
        U, s, V = thin_frame(centred, eps, xp)
        s = xp.to_numpy(s)  # r numbers: the gains are computed on the host, by one code path
        # the repgeo convention's gains are scale-free; netrep's and repsim's need the data's units
        gains, _ = self.whitening(s if self.convention == "repgeo" else _in_data_units(s, e, name), X.shape, name)
        spectrum = s * gains  # the whitened spectrum, in units of 2**e
        norm = frobenius_norm(spectrum)
        data_norm = norm_in_data_units(norm, e, name, euclidean=self.score == "euclidean")
        with np.errstate(under="ignore", over="ignore"):  # only fit() uses it, and checks it
            to_coords = np.ldexp(xp.to_numpy(V) * (gains / norm), -e)
        return _Prepared(U * xp.asarray(spectrum / norm), mean, to_coords, data_norm)

    def whitening(self, s: np.ndarray, shape: tuple, name: str) -> tuple[np.ndarray, float]:
        """Gains for the singular values ``s`` of a centred ``shape`` matrix, and the whitened norm.

        Warns (:class:`RepresentationWarning`) when whitening would fit every direction.
        """
        n = shape[0]
        gains = np.ones_like(s)
        if self.alpha < 1.0:
            gains = _gains(s, n, shape[1], self.alpha, self.ridge, self.convention, self.score)
            if self.ridge == 0.0 and s.size >= n - 1:
                warnings.warn(
                    f"{name} has {n} samples and rank {s.size}: with alpha={self.alpha} < 1 and "
                    "ridge=0 whitening fits every direction, so distances between full-rank "
                    "representations collapse to 0; use ridge > 0 or cross-validate with fit()",
                    RepresentationWarning,
                    stacklevel=4,
                )
        # s * gains is the whitened spectrum; its norm is the Frobenius norm of the whitened data.
        # Working at unit norm keeps data at any scale (1e-160 or 1e160) inside float64's range.
        return gains, frobenius_norm(s * gains)

    @property
    def releases_gil(self) -> bool:
        """True: preparation (SVD), the tile GEMMs and the batched SVDs run in LAPACK/BLAS without the GIL."""
        return True

    def compare(self, a: _Prepared, b: _Prepared) -> float:
        return float(self.compare_pairs([a], [b])[0])

    def compare_pairs(self, lefts: list[_Prepared], rights: list[_Prepared]) -> np.ndarray:
        """Distances for the pairs ``(lefts[k], rights[k])``, with one batched SVD per shape.

        Prepared tensors are compared on their device (an array paired with a tensor joins it there).
        """
        nuc = nuclear_norms([_cross(a.coords, b.coords) for a, b in zip(lefts, rights)])
        return self._distances(nuc, lefts, rights, np.arange(len(lefts)), np.arange(len(rights)))

    def compare_block(self, lefts: list[_Prepared], rights: list[_Prepared]) -> np.ndarray:
        """Distances for every pair ``(lefts[i], rights[j])`` as a ``(len(lefts), len(rights))`` array.

        The cross-products of a chunk of rows come from one GEMM over the
        stacked coordinates (:func:`repgeo._batched.cross_products`), and their
        singular values from one batched LAPACK call; each value equals
        :meth:`compare` up to rounding (the GEMM blocks the sums differently).
        Prepared tensors run both on their device (torch's GEMM and batched SVD).
        """
        nuc = np.empty((len(lefts), len(rights)))
        for rows, cross, lw, rw in cross_products([a.coords for a in lefts], [b.coords for b in rights]):
            if (lw == lw[0]).all() and (rw == rw[0]).all():  # one shape: a reshaped view, one batched SVD
                xp = namespace(cross)
                stack = xp.permute_dims(cross.reshape(len(lw), int(lw[0]), len(rw), int(rw[0])), (0, 2, 1, 3))
                nuc[rows] = stack_nuclear_norms(stack, xp)  # refuses inf/NaN, on which LAPACK's SVD can spin
            else:
                nuc[rows] = nuclear_norms(block_views(cross, lw, rw)).reshape(len(lw), len(rw))
        i, j = np.indices(nuc.shape)
        return self._distances(nuc.ravel(), lefts, rights, i.ravel(), j.ravel()).reshape(nuc.shape)

    def _distances(self, nuc: np.ndarray, lefts: list, rights: list, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
        """Distances from the nuclear norms ``nuc[k]`` of pairs ``(lefts[li[k]], rights[ri[k]])``."""
        if self.score == "angular":
            out = angular_from_cosine(nuc)
        else:
            norm_a = np.array([a.norm for a in lefts])[li]
            norm_b = np.array([b.norm for b in rights])[ri]
            out = euclidean_from_cosine(norm_a, norm_b, nuc)
        for k in np.flatnonzero(nuc > NEAR_IDENTICAL):  # rare: recompute from the aligned residual
            a, b = lefts[li[k]], rights[ri[k]]
            A, BQ = procrustes_align(to_host(a.coords), to_host(b.coords))
            if self.score == "angular":
                out[k] = distances_from_residual(A, BQ, 1.0, 1.0)[0]
            else:
                out[k] = distances_from_residual(A, BQ, a.norm, b.norm)[1]
        return out

    def fit(self, X: Any, Y: Any) -> "ShapeAlignment":
        """Fit the whitening and the optimal alignment on ``(X, Y)``.

        Returns a frozen :class:`ShapeAlignment` that maps held-out samples of
        either network into the shared aligned space and computes held-out
        (cross-validated) distances.

        Examples
        --------
        >>> import numpy as np, repgeo as rg
        >>> rng = np.random.default_rng(1)
        >>> X = rng.standard_normal((200, 5)); Q = np.linalg.qr(rng.standard_normal((5, 5)))[0]
        >>> fitted = rg.ShapeMetric().fit(X[:100], X[:100] @ Q)
        >>> round(fitted(X[100:], X[100:] @ Q), 6)
        0.0
        """
        a, b = self.prepare(X, "X"), self.prepare(Y, "Y")
        self.check_compatible([X, Y], ["X", "Y"])
        return self.fit_prepared(a, b)

    def fit_prepared(self, a: _Prepared, b: _Prepared) -> "ShapeAlignment":
        """:meth:`fit` from two prepared training sets (``prepare`` output, already checked compatible),
        so that all-pairs held-out runs prepare each network's training data once."""
        ra, rb = a.coords.shape[1], b.coords.shape[1]
        r = max(ra, rb)
        cross = np.zeros((r, r))
        cross[:ra, :rb] = to_host(a.coords).T @ to_host(b.coords)
        P, _, Rt = scipy.linalg.svd(cross)
        # angular: unit-norm maps (held-out scores are cosines); euclidean: the data's own units
        unit = self.score == "angular"
        map_x = np.zeros((a.mean.size, r))
        map_y = np.zeros((b.mean.size, r))
        with np.errstate(over="ignore", invalid="ignore"):
            map_x[:, :ra] = _to_coords(a) * (1.0 if unit else a.norm)
            map_y[:, :rb] = _to_coords(b) * (1.0 if unit else b.norm)
        for nm, m in (("X", map_x), ("Y", map_y)):
            if not np.isfinite(m).all():
                raise ValueError(
                    f"{nm} is too far from unit scale for fit(): its map to the aligned space does not "
                    f"fit in float64; rescale {nm} (held-out data by the same factor)"
                )
        return ShapeAlignment(
            score=self.score,
            mean_x=a.mean,
            mean_y=b.mean,
            map_x=map_x @ P,
            map_y=map_y @ Rt.T,
            distance=self.compare(a, b),
        )


def _cross(A: Any, B: Any) -> Any:
    """``A.T @ B`` in the pair's backend: on the device of whichever is a tensor (float64)."""
    xp = namespace(A, B)
    return xp.asarray(A).T @ xp.asarray(B)


def _to_coords(prep: _Prepared) -> np.ndarray:
    """The ``(p, r)`` map from centred data to coordinates (expanding a multiple of the identity)."""
    if isinstance(prep.to_coords, np.ndarray):
        return prep.to_coords
    return np.eye(prep.mean.size) * prep.to_coords


def _in_data_units(s: np.ndarray, exponent: int, name: str) -> np.ndarray:
    """Singular values ``s * 2**exponent`` for the scale-dependent conventions; ``ValueError`` past float64."""
    with np.errstate(over="ignore", under="ignore"):
        out = np.ldexp(s, exponent)
    if not (np.isfinite(out).all() and (out > 0).all()):
        raise ValueError(
            f"{name}'s covariance spectrum leaves float64's range in data units, which the netrep and "
            "repsim conventions whiten in; rescale the data or use convention='repgeo' (scale-free)"
        )
    return out


def _gains(s: np.ndarray, n: int, p: int, alpha: float, ridge: float, convention: str, score: str) -> np.ndarray:
    """Partial-whitening gains ``alpha + (1 - alpha) / sqrt(lambda + ridge)`` for singular values ``s``.

    ``lambda`` is the covariance spectrum on the convention's scale (see
    :class:`ShapeMetric`); ``p`` counts the input's columns, whose dropped
    (zero) directions enter netrep's variance-preserving rescaling.
    """
    if convention == "repgeo":
        h = (s / s[0]) ** 2  # covariance eigenvalues up to a factor, free of under/overflow
        return alpha + (1.0 - alpha) / np.sqrt(h / h.mean() + ridge)
    if convention == "repsim":  # eigh(Xc^T Xc / n), eigenvalues clipped at 1e-9
        root = np.maximum(s / np.sqrt(n), np.sqrt(1e-9))
        return alpha + (1.0 - alpha) / np.hypot(root, np.sqrt(ridge))
    # netrep: eigh(Xc^T Xc), eigenvalues clipped at 1e-7; no whitening above 1 - 1e-7
    if alpha > 1.0 - 1e-7:
        return np.ones_like(s)
    floor = np.sqrt(1e-7)
    root = np.maximum(s, floor)
    gains = alpha + (1.0 - alpha) / np.hypot(root, np.sqrt(ridge))
    if score == "euclidean":  # netrep's preserve_variance: the whitened data keep tr(Xc^T Xc)
        roots = np.concatenate([root, np.full(max(p - s.size, 0), floor)])
        gains = gains * (frobenius_norm(roots) / frobenius_norm(alpha * roots + (1.0 - alpha)))
    return gains

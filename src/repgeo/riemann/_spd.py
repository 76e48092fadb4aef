r"""Batched distances between symmetric positive-definite (SPD) matrices.

Every function takes two stacks ``(n_points, m, m)`` (or two single ``(m, m)``
matrices) and returns one distance per point.  The work is done on stacks
by batched LAPACK routines (``cholesky``, ``eigvalsh``, ``svd``, ``eigh``);
there is no Python loop over points.  The distances of the generalised
eigenvalues (spectral ratio, AIRM, Thompson, ``generalized_eigvalsh``,
``airm_split``) read each input stack once, in cache-sized blocks that are
checked, scaled and factored while in cache; their errors are those a
separate validation pass would raise, in the same order.  Eigen-work is in
float64: the spectral ratio is a ratio of extreme eigenvalues.

Torch tensors are computed on with torch, on their device (CPU or CUDA), by
the same algorithm (:mod:`repgeo._backend`), and the results are float64
tensors on that device (0-d for two single matrices); an array or list
paired with a tensor joins the tensor's device.  NumPy input gives NumPy
output (a float for two single matrices).  No gradients flow: inputs are
detached.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .._backend import namespace
from .._validation import as_metrics, check_choice, check_psd, metric_scan, metric_stack
from . import _kernels as K

__all__ = [
    "SPD_DISTANCES",
    "airm",
    "bures",
    "generalized_eigvalsh",
    "log_euclidean",
    "spd_distance",
    "spectral_ratio",
    "thompson",
]

#: Names accepted by :func:`spd_distance` and :class:`repgeo.MSA`.
SPD_DISTANCES = ("spectral_ratio", "airm", "log_euclidean", "bures", "thompson")


def _pair(G1: Any, G2: Any, scan: bool = True) -> tuple[Any, Any, bool]:
    """Validated stacks: ``((G1, amax1), (G2, amax2), single)``, each with its per-point largest entry.

    Both become tensors on one device if either is a tensor.  With
    ``scan=False`` only the conversion and shape checks run here and the
    stacks come back as ``(G1, G2, single)``: :func:`_pencil` screens them block
    by block in its one pass, and raises the same errors in the same order.
    """
    single = np.ndim(G1) == 2 and np.ndim(G2) == 2
    xp = namespace(G1, G2)
    if scan:
        # the kernels read the lower triangles only (Cholesky, eigvalsh, eigh): no symmetrised copy
        A = as_metrics(G1, "G1", with_scale=True, symmetrise=False, xp=xp)
        B = as_metrics(G2, "G2", with_scale=True, symmetrise=False, xp=xp)
        _same_shape(A[0], B[0])
        return A, B, single
    A = metric_stack(G1, "G1", xp=xp)
    try:
        B = metric_stack(G2, "G2", xp=xp)
    except (TypeError, ValueError):
        as_metrics(A, "G1", xp=xp)  # G1's own errors come first, as in a full pass
        raise
    if A.shape != B.shape:
        _validate(A, B)
        _same_shape(A, B)
    return A, B, single


def _same_shape(A: Any, B: Any) -> None:
    if A.shape != B.shape:
        raise ValueError(
            f"G1 has shape {tuple(A.shape)} but G2 has {tuple(B.shape)}; metric tensors must be paired point by point"
        )


def _validate(G1: Any, G2: Any) -> None:
    """The full checks of both stacks, G1 first (raises the first error a full pass would)."""
    xp = namespace(G1, G2)
    as_metrics(G1, "G1", symmetrise=False, xp=xp)
    as_metrics(G2, "G2", symmetrise=False, xp=xp)


def _out(values: Any, single: bool) -> Any:
    """Per-point values, or the one value of two single matrices (a float; a 0-d tensor for torch)."""
    if not single:
        return values
    return values[0] if namespace(values).is_torch else float(values[0])


def _factor(
    G: np.ndarray, amax: np.ndarray | None, name: str, offset: int = 0, normalised: tuple | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(log s, R)`` with ``G = s R^T R``; ``ValueError`` naming the point if not positive definite.

    ``offset`` is the index of ``G[0]`` in the caller's stack (errors name the caller's point);
    ``normalised``, the caller's ``(G / s, log s)``, replaces :func:`K.normalise` (and ``amax``).
    """
    xp = namespace(G)
    Gn, log_s = K.normalise(G, jacobian=False, amax=amax) if normalised is None else normalised
    try:
        R = K.chol_factor(Gn)
        # every off-diagonal entry of R enters a later pivot, so a NaN or inf anywhere in R
        # (and any failed pivot) leaves a diagonal entry that is not positive and finite
        d = xp.diagonal(R)
        good = (d > 0) & (d < math.inf)
        failed = xp.zeros((0,)) > 0 if bool(good.all()) else ~good.all(axis=-1)  # per point only if needed
    except np.linalg.LinAlgError:  # numpy raises for the whole stack: find the failing points one by one
        failed = np.array([not _cholesky_ok(g) for g in Gn])
    if failed.any():
        check_psd(G, name, definite=True, offset=offset)  # indefinite: a specific message
        failed = xp.to_numpy(failed)
        i = int(np.flatnonzero(failed)[0])
        w = np.linalg.eigvalsh(xp.to_numpy(Gn[i]))
        raise ValueError(
            f"{name} must be positive definite; at point {offset + i} it is singular to working precision "
            f"(eigenvalues {w[0]:.3g} to {w[-1]:.3g} after scaling to mean 1; rank-deficient "
            f"Jacobians?); {int(failed.sum())} such points among {offset}..{offset + len(G) - 1}; "
            "regularise with a ridge or drop those points"
        )
    return log_s, R


def _cholesky_ok(g: np.ndarray) -> bool:
    try:
        return bool(np.isfinite(np.linalg.cholesky(g)).all())
    except np.linalg.LinAlgError:
        return False


def _pencil(G1: Any, G2: Any, kind: str, logdet: bool = False) -> tuple[Any, Any, Any]:
    """Singular values of ``R1 R2^{-1}`` (accurate for ``kind``), ``log(s1 / s2)`` and ``log det(R1 / R2)``.

    ``G1`` and ``G2`` come from ``_pair(..., scan=False)``.  The last result is
    computed only with ``logdet`` (None otherwise).

    One pass through the stacks in cache-sized blocks (:func:`K.blocks`): each
    block is screened (:func:`metric_scan`), normalised, factored and solved
    while it is in cache.  A block the quick screen cannot certify, and every
    error, first runs the full checks of both stacks (:func:`as_metrics`), so
    the errors and their order are those of a separate validation pass; errors
    name the point in the whole stack.
    """
    xp = namespace(G1)
    n, m = G1.shape[:2]
    sv, dlog, dlogdet = xp.empty((n, m)), xp.empty((n,)), xp.empty((n,)) if logdet else None
    validated = False
    for sl in xp.blocks(n, m):
        g1, g2 = G1[sl], G2[sl]
        (s1, clean1), (s2, clean2) = metric_scan(g1, xp), metric_scan(g2, xp)
        clean = bool((clean1 & clean2).all())
        if not validated and not clean:
            _validate(G1, G2)  # raises, unless the quick screen was only unsure
            validated = True
        # a clean block has a certified scale (the mean eigenvalue); others get the general normalisation
        n1, n2 = (K.scale_by(g1, s1), K.scale_by(g2, s2)) if clean else (None, None)
        try:
            (ls1, R1), (ls2, R2) = _factor(g1, None, "G1", sl.start, n1), _factor(g2, None, "G2", sl.start, n2)
            R2_inv = K.tri_inv(R2)
            sv[sl] = K.pencil_sv(R1, R2_inv, kind)
            ok = K.resolvable_pencil(sv[sl], R2_inv)
            if not ok.all():
                i = int(np.flatnonzero(~xp.to_numpy(ok))[0])
                lo, hi = float(sv[sl.start + i, 0]) ** 2, float(sv[sl.start + i, -1]) ** 2
                raise ValueError(
                    f"G1 and G2 are too ill-conditioned at point {sl.start + i} (generalised eigenvalues "
                    f"{lo:.3g} to {hi:.3g} after scaling) to resolve in float64; regularise them"
                )
        except ValueError:
            if not validated:
                _validate(G1, G2)  # an invalid input anywhere is reported first, as by a separate pass
            raise
        dlog[sl] = ls1 - ls2
        if logdet:
            dlogdet[sl] = K.log_det_triangular(R1) - K.log_det_triangular(R2)
    return sv, dlog, dlogdet


# ----------------------------------------------------------------------------- public


def generalized_eigvalsh(G1: Any, G2: Any) -> np.ndarray:
    r"""Generalised eigenvalues of ``G1 v = lambda G2 v``, ascending, batched.

    Computed as the eigenvalues of ``L^{-1} G1 L^{-T}`` with ``G2 = L L^T``
    (``G2`` must be positive definite), evaluated as ``s1 / s2`` times the
    squared singular values of ``R1 R2^{-1}`` with ``Gk = sk Rk^T Rk``
    (``sk = tr(Gk) / m``, ``Rk`` a Cholesky factor), at any overall scale.
    The computation adds a relative error of about
    ``eps * sqrt(cond(G1) cond(G2))`` (no factor is squared), but float64
    metric tensors determine their generalised eigenvalues only to about
    ``m eps (cond(G1) + cond(G2))`` relative in the worst case: rounding
    each entry is a backward error ``|dG| <= eps |G|``, which moves an
    eigenvalue of the pencil by up to ``eps cond(G)`` relative.  For two
    metrics of condition ``1e9`` that is about ``1e-6``; two implementations
    (NumPy and torch) agree to that, not to ``eps sqrt(cond(G1) cond(G2))``.
    Where the metrics come from Jacobians, :class:`repgeo.MSA` with
    ``field="jacobian"`` never forms them and keeps the smaller error.

    Parameters
    ----------
    G1, G2 : array_like or tensor of shape (n_points, m, m) or (m, m)

    Returns
    -------
    ndarray of shape (n_points, m) or (m,)
        A float64 tensor on the input's device for torch input.

    Examples
    --------
    >>> import numpy as np
    >>> generalized_eigvalsh(np.diag([4.0, 1.0]), np.eye(2))
    array([1., 4.])
    """
    A, B, single = _pair(G1, G2, scan=False)
    sv, dlog, _ = _pencil(A, B, "eigenvalues")
    xp = namespace(sv)
    with xp.errstate(over="ignore"):
        lam = xp.exp(dlog)[:, None] * sv**2
    return lam[0] if single else lam


def _eigen_distance(kind: str) -> Callable[[Any, Any], Any]:
    def distance(G1: Any, G2: Any) -> Any:
        A, B, single = _pair(G1, G2, scan=False)
        sv, dlog, _ = _pencil(A, B, kind)
        return _out(K.from_pencil(sv, dlog, kind), single)

    return distance


_spectral_ratio = _eigen_distance("spectral_ratio")
_airm = _eigen_distance("airm")
_thompson = _eigen_distance("thompson")


def spectral_ratio(G1: Any, G2: Any) -> Any:
    r"""Spectral-ratio distance ``d_SR = 1 - sqrt(lambda_min / lambda_max)``.

    Parameters
    ----------
    G1, G2 : array_like or tensor of shape (n_points, m, m) or (m, m)
        Positive-definite metric tensors, paired point by point.

    Returns
    -------
    ndarray of shape (n_points,), or float for single matrices
        Values in ``[0, 1)``.  For torch input, a float64 tensor on the
        input's device (0-d for single matrices); the same holds for every
        function of this module.

    Notes
    -----
    With ``lambda_1 <= ... <= lambda_m`` the generalised eigenvalues of
    ``G1 v = lambda G2 v``,

    .. math:: d_{SR}(G_1, G_2) = 1 - \sqrt{\lambda_1 / \lambda_m}
              = 1 - e^{-h/2}, \qquad h = \log(\lambda_m / \lambda_1),

    where ``h`` is Hilbert's projective metric on the SPD cone.  ``d_SR`` is
    symmetric, blind to scale (``d(G, cG) = 0``), invariant under congruence
    ``G -> S^T G S`` applied to both (a change of chart) and under inversion,
    and satisfies the triangle inequality (``1 - e^{-t/2}`` is increasing and
    concave with value 0 at 0): a pseudometric on SPD matrices, a metric on
    rays ``{cG}``.  ``sqrt(lambda_m / lambda_1)`` is the dilatation of the
    local correspondence between the two representation manifolds, so
    ``d_SR = 0`` exactly where it is conformal.  For ``m = 1`` it is
    identically 0; use :func:`airm`, which then equals ``|log(g1 / g2)|``.

    References
    ----------
    Cayco Gajic & Pellegrino (2026). Geometry-aware similarity metrics for
    neural representations on Riemannian and statistical manifolds. arXiv:2603.28764.

    Examples
    --------
    >>> import numpy as np
    >>> float(spectral_ratio(np.diag([4.0, 1.0]), np.eye(2)))
    0.5
    >>> float(spectral_ratio(np.diag([4.0, 1.0]), 7 * np.diag([4.0, 1.0])))
    0.0
    """
    return _spectral_ratio(G1, G2)


def airm(G1: Any, G2: Any) -> Any:
    r"""Affine-invariant Riemannian distance ``||log(G2^{-1/2} G1 G2^{-1/2})||_F``.

    Notes
    -----
    .. math:: d_{AI}(G_1, G_2) = \Big(\sum_i \log^2 \lambda_i\Big)^{1/2}

    over the generalised eigenvalues of ``G1 v = lambda G2 v``.  Scale-aware
    (``d(G, cG) = sqrt(m) |log c|``) and unbounded; see :func:`airm_split`.

    References
    ----------
    Pennec, Fillard & Ayache (2006). A Riemannian framework for tensor computing. IJCV.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(airm(np.eye(2), np.e**2 * np.eye(2))), 6)
    2.828427
    """
    return _airm(G1, G2)


def thompson(G1: Any, G2: Any) -> Any:
    r"""Thompson's part metric ``max_i |log lambda_i|`` of the generalised eigenvalues.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(thompson(np.diag([np.e, 1 / np.e**2]), np.eye(2))), 6)
    2.0
    """
    return _thompson(G1, G2)


def log_euclidean(G1: Any, G2: Any) -> Any:
    r"""Log-Euclidean distance ``||log G1 - log G2||_F`` (matrix logarithms).

    References
    ----------
    Arsigny, Fillard, Pennec & Ayache (2007). Geometric means in a novel vector
    space structure on symmetric positive-definite matrices. SIAM J. Matrix Anal. Appl.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(log_euclidean(np.eye(3), np.e * np.eye(3))), 6)
    1.732051
    """
    A, B, single = _pair(G1, G2)
    xp = namespace(A[0])
    (ls1, R1), (ls2, R2) = _factor(*A, "G1"), _factor(*B, "G2")
    diff = K.log_and_root(R1)[0] - K.log_and_root(R2)[0] + (ls1 - ls2)[:, None, None] * xp.eye(R1.shape[-1])
    return _out(xp.matrix_norm(diff), single)


def bures(G1: Any, G2: Any) -> Any:
    r"""Bures-Wasserstein distance; accepts positive semi-definite matrices.

    Notes
    -----
    .. math:: d_B(G_1, G_2)^2 = \operatorname{tr} G_1 + \operatorname{tr} G_2
              - 2 \operatorname{tr}\big(G_1^{1/2} G_2 G_1^{1/2}\big)^{1/2}
              = \min_{U \in O(m)} \|G_1^{1/2} - G_2^{1/2} U\|_F^2,

    evaluated in the second (Procrustes) form, accurate near 0.

    References
    ----------
    Bhatia, Jain & Lim (2019). On the Bures-Wasserstein distance between
    positive definite matrices. Expositiones Mathematicae.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(bures(np.eye(2), 4 * np.eye(2))), 6)
    1.414214
    """
    (A, amax1), (B, amax2), single = _pair(G1, G2)
    check_psd(A, "G1"), check_psd(B, "G2")
    (A, ls1), (B, ls2) = K.normalise(A, jacobian=False, amax=amax1), K.normalise(B, jacobian=False, amax=amax2)
    d = K.bures_scaled(K.psd_root(A), ls1, K.psd_root(B), ls2)
    return _out(K.check_representable(d, "G1 and G2", "Bures distance"), single)


_DISPATCH = {
    "spectral_ratio": spectral_ratio,
    "airm": airm,
    "log_euclidean": log_euclidean,
    "bures": bures,
    "thompson": thompson,
}


def spd_distance(G1: Any, G2: Any, kind: str = "spectral_ratio") -> Any:
    """One of :data:`SPD_DISTANCES`, chosen by name, between paired metric tensors.

    Examples
    --------
    >>> import numpy as np
    >>> float(spd_distance(np.diag([9.0, 1.0]), np.eye(2), "spectral_ratio"))
    0.6666666666666667
    """
    check_choice(kind, "kind", SPD_DISTANCES)
    return _DISPATCH[kind](G1, G2)

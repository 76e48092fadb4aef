r"""Pullback metrics: Euclidean or ambient (noise-whitened), and Fisher metrics.

A representation is a map ``f: M -> R^n`` from an ``m``-dimensional input
manifold, seen through its Jacobians ``J(u) = df/du`` (``n x m``).  Its
intrinsic geometry is the pulled-back metric ``G(u) = J^T A J``, an ``m x m``
positive semi-definite matrix per point.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._linalg import to_unit_scale
from .._validation import as_float_array, as_jacobians, as_metrics, check_psd, check_same_points, check_shape

__all__ = ["pullback_metric", "fisher_softmax", "fisher_gaussian"]


def pullback_metric(J: Any, ambient: Any = None) -> np.ndarray:
    r"""The pulled-back metric ``G = J^T A J`` at every point, batched.

    Parameters
    ----------
    J : array_like of shape (n_points, n_features, m) or (n_features, m)
        Jacobians of the representation with respect to the chart coordinates.
    ambient : array_like, optional
        Metric ``A`` on state space: ``(n_features, n_features)`` for all
        points or ``(n_points, n_features, n_features)`` per point, symmetric
        positive (semi-)definite (``ValueError`` otherwise).  ``None`` is Euclidean (``A = I``).  For a
        noise-whitened (Mahalanobis) geometry pass the inverse noise
        covariance; for Gaussian noise this is the Fisher metric of the
        population code.

    Returns
    -------
    ndarray of shape (n_points, m, m) or (m, m)

    Notes
    -----
    ``G_ab(u) = <d_a f, d_b f>_A`` is the inner product of the tangent vectors
    of the representation manifold; lengths, angles and the volume element
    ``sqrt(det G)`` follow from it.  An ambient ``A = C^T C`` is the same as
    comparing the whitened maps ``C f``.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])   # f(u) = (u1, 2 u2, 0)
    >>> pullback_metric(J)
    array([[1., 0.],
           [0., 4.]])
    >>> pullback_metric(J, ambient=np.diag([4.0, 1.0, 1.0]))[0, 0]
    np.float64(4.0)
    """
    Js = as_float_array(J, "J", ndim=(2, 3))
    single = Js.ndim == 2
    Js = Js[None] if single else Js
    # products of the data brought to unit scale by powers of two (exact): no intermediate
    # overflow or underflow; the result is scaled back if float64 can hold it
    Js, exponent = to_unit_scale(Js)
    exponent *= 2
    if ambient is None:
        G = np.einsum("pia,pib->pab", Js, Js, optimize=True)
    else:
        A = as_metrics(ambient, "ambient")
        n = Js.shape[1]
        if A.shape[-1] != n or A.shape[0] not in (1, Js.shape[0]):
            raise ValueError(
                f"ambient must be ({n}, {n}) or ({Js.shape[0]}, {n}, {n}) to match J of shape "
                f"{Js.shape}; got shape {A.shape if A.shape[0] > 1 else A.shape[1:]}"
            )
        check_psd(A, "ambient")
        A, e_ambient = to_unit_scale(A)
        exponent += e_ambient
        G = np.einsum("pia,pij,pjb->pab", Js, np.broadcast_to(A, (Js.shape[0], n, n)), Js, optimize=True)
    G = 0.5 * (G + G.swapaxes(-1, -2))
    G = _scaled_back(G, exponent, "J" if ambient is None else "J and ambient")
    return G[0] if single else G


def _scaled_back(G: np.ndarray, exponent: int, names: str) -> np.ndarray:
    """``G * 2**exponent``, or a ``ValueError`` naming ``names`` when its largest entry leaves float64's normal range."""
    top = float(np.abs(G).max())
    if top == 0.0:
        return G
    e_top = int(np.frexp(top)[1]) + exponent  # the largest entry is in [2**(e_top - 1), 2**e_top)
    if e_top > np.finfo(float).maxexp or e_top - 1 < np.finfo(float).minexp:
        size = f"2**{e_top - 1}, about 1e{int(np.floor((e_top - 1) * np.log10(2.0)))}"
        raise ValueError(
            f"the metric pulled back from {names} does not fit in float64: its largest entry is at least "
            f"{size}; rescale {names} (the spectral ratio and the angles between tangent vectors are scale-free)"
        )
    with np.errstate(under="ignore"):  # entries far below the largest may become subnormal: negligible
        return np.ldexp(G, exponent)


def fisher_softmax(logits: Any, J_logits: Any) -> np.ndarray:
    r"""Fisher metric of a softmax (categorical) output pulled back to the input chart.

    Parameters
    ----------
    logits : array_like of shape (n_points, n_classes)
        Logits ``z(u)`` at each point.
    J_logits : array_like of shape (n_points, n_classes, m)
        Jacobians ``dz/du``.

    Returns
    -------
    ndarray of shape (n_points, m, m)

    Notes
    -----
    With ``p = softmax(z)``,

    .. math:: g(u) = J_z^T \big(\operatorname{diag} p - p p^T\big) J_z
              = \mathbb E_{y\sim p}\big[\nabla_u \log p_y\, \nabla_u \log p_y^T\big].

    ``g`` has rank at most ``n_classes - 1`` (logits are defined up to a constant).

    References
    ----------
    Amari (2016). Information Geometry and Its Applications. Springer.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.array([[[1.0], [-1.0]]])   # z = (u, -u): p1 = sigmoid(2u)
    >>> fisher_softmax(np.zeros((1, 2)), J)   # 4 p (1 - p) at u = 0
    array([[[1.]]])
    """
    Js = as_jacobians(J_logits, "J_logits")
    z = as_float_array(logits, "logits", ndim=2)
    if z.shape != Js.shape[:2]:
        raise ValueError(
            f"logits has shape {z.shape} but J_logits has {Js.shape}; logits must be "
            "(n_points, n_classes) matching J_logits (n_points, n_classes, m)"
        )
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    Js, exponent = to_unit_scale(Js)  # exact; the metric is scaled back at the end
    mean_grad = np.einsum("pc,pca->pa", p, Js)
    g = np.einsum("pc,pca,pcb->pab", p, Js, Js, optimize=True) - mean_grad[:, :, None] * mean_grad[:, None, :]
    return _scaled_back(0.5 * (g + g.swapaxes(-1, -2)), 2 * exponent, "J_logits")


def fisher_gaussian(J_mean: Any, sigma: Any, grad_sigma: Any = None) -> np.ndarray:
    r"""Fisher metric of an isotropic Gaussian output ``N(mu(u), sigma(u)^2 I_n)``.

    Parameters
    ----------
    J_mean : array_like of shape (n_points, n, m)
        Jacobians of the mean ``mu``.
    sigma : float or array_like of shape (n_points,)
        Standard deviation, positive.
    grad_sigma : array_like of shape (n_points, m), optional
        Gradient of ``sigma`` with respect to the chart; ``None`` for a
        constant noise level.

    Returns
    -------
    ndarray of shape (n_points, m, m)

    Notes
    -----
    .. math:: g(u) = \frac{J_\mu^T J_\mu}{\sigma^2}
              + \frac{2n}{\sigma^2}\,\nabla\sigma\,\nabla\sigma^T.

    With constant ``sigma`` it is the Euclidean pullback divided by
    ``sigma^2``: the spectral ratio ignores it, scale-aware distances do not.

    References
    ----------
    Amari (2016). Information Geometry and Its Applications. Springer.

    Examples
    --------
    >>> import numpy as np
    >>> fisher_gaussian(np.ones((1, 3, 1)), 0.5, np.ones((1, 1)))   # 3/0.25 + 6/0.25
    array([[[36.]]])
    """
    Js = as_jacobians(J_mean, "J_mean")
    n_points, n, m = Js.shape
    s = as_float_array(sigma, "sigma", ndim=(0, 1))
    s = np.broadcast_to(check_shape(s, "sigma", [(), (1,), (n_points,)], "a scalar or one value per point"), (n_points,))
    if s.min() <= 0:
        raise ValueError(f"sigma must be positive; its smallest value is {s.min():.3g}")
    # J / sigma and grad_sigma / sigma at unit scale (powers of two, exact); the two terms are put
    # on a common power of two and the sum is scaled back at the end
    s_unit, e_s = to_unit_scale(s)
    with np.errstate(under="ignore"):
        Ju, e_j = to_unit_scale(Js / s_unit[:, None, None])
    terms = [(np.einsum("pia,pib->pab", Ju, Ju, optimize=True), 2 * e_j)]
    if grad_sigma is not None:
        ds = as_float_array(grad_sigma, "grad_sigma", ndim=2)
        check_same_points(Js.shape, ds.shape, ("J_mean", "grad_sigma"), "the mean and the noise gradients")
        with np.errstate(under="ignore"):
            du, e_d = to_unit_scale(ds / s_unit[:, None])
        terms.append((2.0 * n * du[:, :, None] * du[:, None, :], 2 * e_d))
    top = max(e for _, e in terms)
    with np.errstate(under="ignore"):
        g = sum(np.ldexp(t, e - top) for t, e in terms)
    exponent = top - 2 * e_s
    return _scaled_back(g, exponent, "J_mean and sigma" if grad_sigma is None else "J_mean, sigma and grad_sigma")

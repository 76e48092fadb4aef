"""Random inputs for the contract checks: one draw per input layout, and the transformations a measure may claim to ignore."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._measure import INVARIANCES, Measure
from .._validation import LAYOUTS, check_rng

__all__ = ["Draw", "random_input", "transform"]

#: ``draw(measure, rng, like=None) -> input``: a random input for ``measure``; with
#: ``like``, one that can be compared with ``like`` (matched samples), of another width.
Draw = Callable[..., Any]

# ----------------------------------------------------------------------------- random inputs


def _matrix(rng: np.random.Generator) -> np.ndarray:
    """Full rank, rank-deficient (a repeated column), wide (n < p) or with repeated stimuli."""
    n, p = int(rng.integers(24, 48)), int(rng.integers(3, 9))
    X = rng.standard_normal((n, p)) @ rng.standard_normal((p, p))
    variant = rng.integers(4)
    if variant == 1:
        X = np.hstack([X, X[:, :1]])
    elif variant == 2:
        X = rng.standard_normal((n, n + 5))
    elif variant == 3:
        X[1::5] = X[::5][: len(X[1::5])]
    return X


def _trajectory(rng: np.random.Generator) -> np.ndarray:
    """A noisy stable linear system: one long run, or a few trials."""
    p = int(rng.integers(3, 7))
    Q = np.linalg.qr(rng.standard_normal((p, p)))[0]
    A = 0.95 * Q @ np.diag(rng.uniform(0.6, 1.0, p)) @ Q.T @ np.linalg.qr(rng.standard_normal((p, p)))[0]
    n_trials, n_time = (1, 300) if rng.integers(2) else (3, 120)
    X = np.empty((n_trials, n_time, p))
    X[:, 0] = rng.standard_normal((n_trials, p))
    for t in range(1, n_time):
        X[:, t] = X[:, t - 1] @ A.T + 0.1 * rng.standard_normal((n_trials, p))
    return X[0] if n_trials == 1 else X


def _stochastic(rng: np.random.Generator) -> np.ndarray:
    """Conditions with their own means and covariances, several repeats each."""
    n, r, p = int(rng.integers(8, 16)), int(rng.integers(6, 12)), int(rng.integers(3, 7))
    means = rng.standard_normal((n, 1, p)) * 2
    mix = rng.standard_normal((n, p, p)) * 0.5
    return means + np.einsum("nrp,npq->nrq", rng.standard_normal((n, r, p)), mix)


def _conv(rng: np.random.Generator) -> np.ndarray:
    n, h, w, c = int(rng.integers(6, 10)), 5, 4, int(rng.integers(3, 7))
    return rng.standard_normal((n, h, w, c))


def _jacobian(rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((30, int(rng.integers(3, 7)), 2))


_MAKERS = {"matrix": _matrix, "trajectory": _trajectory, "stochastic": _stochastic, "conv": _conv, "jacobian": _jacobian}


def random_input(measure: Measure, rng: Any, like: np.ndarray | None = None) -> np.ndarray:
    """A random input for ``measure``, by its input layout.

    With ``like``, an independent input comparable with ``like``: the same
    shape except the feature axis, whose width is drawn afresh, and the
    features mixed by a random matrix (so that they are correlated).
    """
    rng = check_rng(rng)
    layout = LAYOUTS[measure.info.input]
    X = _MAKERS[measure.info.input](rng)
    if like is None:
        return X
    if measure.info.input == "trajectory":  # keep it a dynamical system: a fresh one of the same duration
        return _resize_time(X, like)
    axis = layout.feature_axis
    shape = list(like.shape)
    shape[axis] = X.shape[axis]
    Z = rng.standard_normal(shape)
    mix = rng.standard_normal((shape[axis], shape[axis]))
    return np.moveaxis(np.moveaxis(Z, axis, -1) @ mix, -1, axis)


def _resize_time(X: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Trajectory ``X`` cut or tiled to the trial and time structure of ``like``."""
    X = X if X.ndim == 3 else X[None]
    want = like if like.ndim == 3 else like[None]
    reps = (-(-want.shape[0] // X.shape[0]), -(-want.shape[1] // X.shape[1]), 1)
    out = np.tile(X, reps)[: want.shape[0], : want.shape[1]]
    return out if like.ndim == 3 else out[0]


def transform(kind: str, X: np.ndarray, axis: int, rng: Any) -> np.ndarray:
    """Apply a random transform of the invariance vocabulary to axis ``axis`` of ``X``."""
    rng = check_rng(rng)
    Xf = np.moveaxis(X, axis, -1)
    p = Xf.shape[-1]
    if kind == "translation":
        out = Xf + rng.standard_normal(p) * 3.0
    elif kind == "isotropic_scaling":
        out = Xf * float(rng.uniform(0.2, 5.0))
    elif kind == "orthogonal":
        out = Xf @ np.linalg.qr(rng.standard_normal((p, p)))[0] if p > 1 else -Xf
    elif kind == "permutation":
        out = Xf[..., rng.permutation(p)]
    elif kind == "invertible_linear":
        out = Xf @ (rng.standard_normal((p, p)) + 2.0 * np.eye(p))
    else:
        raise ValueError(f"kind must be one of {sorted(INVARIANCES)}; got {kind!r}")
    return np.moveaxis(out, -1, axis)

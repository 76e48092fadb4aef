"""Dynamic mode decomposition: exact DMD, HAVOK-style DMD in delay coordinates, DMD with control."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._result import Result
from .._validation import check_in_range, check_inputs_match, check_positive_int, check_trajectory
from ._rank import delay_embed, select_rank

__all__ = ["DMDResult", "HAVOKResult", "DMDcResult", "dmd", "havok_dmd", "dmdc"]


@dataclass(frozen=True, eq=False, repr=False)
class DMDResult(Result):
    """Exact DMD of snapshot pairs ``x_t -> x_{t+1}``.

    Attributes
    ----------
    operator : ndarray of shape (r, r)
        ``A_tilde = U_r^T X_+ V_r S_r^{-1}``, the linear map in the POD basis.
    basis : ndarray of shape (n_features, r)
        ``U_r``, leading left singular vectors of the current-state snapshots.
    modes : ndarray of shape (n_features, r), complex
        Exact DMD modes ``X_+ V_r S_r^{-1} W`` (Tu et al. 2014), one per eigenvalue.
    eigenvalues : ndarray of shape (r,), complex
    singular_values : ndarray
        All singular values of the current-state snapshot matrix.
    rank : int
    """

    operator: np.ndarray
    basis: np.ndarray
    modes: np.ndarray
    eigenvalues: np.ndarray
    singular_values: np.ndarray
    rank: int

    @property
    def full_operator(self) -> np.ndarray:
        """``U_r A_tilde U_r^T``: the fitted map in the original coordinates (rank ``r``)."""
        return self.basis @ self.operator @ self.basis.T


@dataclass(frozen=True, eq=False, repr=False)
class HAVOKResult(Result):
    """DMD in the eigen-time-delay coordinates of a Hankel matrix (the model DSA compares).

    Attributes
    ----------
    operator : ndarray of shape (r, r)
        ``A_v`` with ``v_{t+1} ~ A_v v_t``, where ``v_t`` are the leading
        right singular vectors of the delay embedding (unit-norm time courses).
    spatial : ndarray of shape (n_features * n_delays, r)
        Leading singular vectors of the embedding in feature space.
    singular_values : ndarray
        All singular values of the (stacked) Hankel matrix (``inf`` where one exceeds
        float64's range: the fit itself is computed at unit scale).
    rank : int
    n_delays, delay_interval : int
    """

    operator: np.ndarray
    spatial: np.ndarray
    singular_values: np.ndarray
    rank: int
    n_delays: int
    delay_interval: int

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of ``operator`` (complex)."""
        return np.linalg.eigvals(self.operator)

    @property
    def full_operator(self) -> np.ndarray:
        """``U_r S_r A_v S_r^{-1} U_r^T``: the map between delay vectors ``h_t -> h_{t+1}``."""
        s = self.singular_values[: self.rank]
        return (self.spatial * s) @ self.operator @ (self.spatial / s).T


@dataclass(frozen=True, eq=False, repr=False)
class DMDcResult(Result):
    """DMD with control, ``h_{t+1} = A h_t + B u_t``, reduced to the leading output subspace.

    Attributes
    ----------
    state_operator : ndarray of shape (r, r)
        ``A_tilde = U_r^T A U_r``.
    input_operator : ndarray of shape (r, n_inputs)
        ``B_tilde = U_r^T B``.
    basis : ndarray of shape (n_features * n_delays, r)
        ``U_r``, leading left singular vectors of the next-state snapshots.
    singular_values : ndarray
        All singular values of the stacked ``[h_t; u_t]`` snapshots (``inf`` where one exceeds
        float64's range: the fit itself is computed at unit scale).
    rank, input_rank : int
        Output (state) rank ``r`` and the truncation of the stacked snapshots.
    """

    state_operator: np.ndarray
    input_operator: np.ndarray
    basis: np.ndarray
    singular_values: np.ndarray
    rank: int
    input_rank: int

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of ``state_operator`` (complex)."""
        return np.linalg.eigvals(self.state_operator)


def _exponent(*arrays: np.ndarray) -> int:
    """Exponent ``e`` with the largest entry below ``2**e``: dividing by it is exact and keeps SVDs
    free of under- and overflow at any data scale."""
    top = max(float(np.abs(a).max()) for a in arrays)
    return int(np.frexp(top)[1]) if top > 0 else 0


def _scaled(H: np.ndarray) -> tuple[np.ndarray, int]:
    """``H / 2**e`` and ``e`` (see :func:`_exponent`)."""
    e = _exponent(H)
    return np.ldexp(H, -e), e


def _fixed_signs(V: np.ndarray, Ut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Singular vectors with the largest-magnitude entry of each column of ``V`` positive.

    ``V`` (time courses) does not change under orthogonal maps of the
    features, so with its signs fixed by itself neither does the fitted
    operator (instead of changing by the arbitrary signs LAPACK returns).
    """
    signs = np.sign(V[np.argmax(np.abs(V), axis=0), np.arange(V.shape[1])])
    signs[signs == 0] = 1.0
    return V * signs, Ut * signs[:, None]


def _pairs(rows: np.ndarray, n_trials: int) -> tuple[np.ndarray, np.ndarray]:
    """Current and next rows of a trial-stacked array, never crossing trials."""
    per = rows.reshape(n_trials, -1, rows.shape[-1])
    return per[:, :-1].reshape(-1, rows.shape[-1]), per[:, 1:].reshape(-1, rows.shape[-1])


def _ridge_solve(Xm: np.ndarray, Xp: np.ndarray, ridge: float) -> np.ndarray:
    """``argmin_B ||Xm B - Xp||^2 + ridge ||B||^2`` by the normal equations (Xm is well conditioned here)."""
    gram = Xm.T @ Xm
    gram[np.diag_indices_from(gram)] += ridge
    return np.linalg.solve(gram, Xm.T @ Xp)


def _check_pairs(n_pairs: int, r: int, ridge: float, name: str) -> None:
    if ridge == 0.0 and n_pairs < r:
        raise ValueError(
            f"{name} gives {n_pairs} one-step pairs after delay embedding, fewer than the rank {r}; "
            "the regression is underdetermined (use a lower rank, fewer delays, more data or ridge > 0)"
        )


def havok_dmd(
    X: Any,
    n_delays: int = 1,
    delay_interval: int = 1,
    *,
    rank: int | str | None = None,
    explained_variance: float | None = None,
    threshold: float | None = None,
    ridge: float = 0.0,
    name: str = "X",
) -> HAVOKResult:
    r"""Fit a linear model in delay coordinates (HAVOK-style DMD, as DSA uses it).

    Parameters
    ----------
    X : array_like of shape (n_time, n_features) or (n_trials, n_time, n_features)
        Used as given (no centring).
    n_delays, delay_interval : int
        See :func:`delay_embed`.
    rank, explained_variance, threshold
        One rank rule (see :func:`select_rank`); ``rank="optimal"`` is the
        Gavish-Donoho threshold.  ``threshold`` applies to the singular values
        of the embedding as they are (so depends on the data's scale).
    ridge : float >= 0
        Tikhonov term of the regression.
    name : str, default "X"
        How errors name the data (a measure passes its argument's name).

    Returns
    -------
    HAVOKResult

    Notes
    -----
    With the trials' embeddings stacked, ``H = V S U^T`` (thin SVD). The
    rows ``v_t`` of ``V_r`` (the first ``r`` columns) are regressed one step
    ahead within each trial:

    .. math:: A_v = \big((V_-^T V_- + \lambda I)^{-1} V_-^T V_+\big)^T .

    ``V`` does not change under an orthogonal map or rescaling of the
    features (up to column signs, and rotations inside repeated singular
    values), and at full rank under any invertible linear map (``V`` then
    changes by an orthogonal ``R`` and ``A_v`` by ``R^T A_v R``).

    References
    ----------
    Brunton et al. (2017). Chaos as an intermittently forced linear system.
    Nat. Commun. 8, 19.  Ostrow et al. (2023). Beyond geometry: comparing
    the temporal structure of computation in neural circuits with dynamical
    similarity analysis. NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(400) * 0.1
    >>> X = np.stack([np.cos(t), np.sin(t)], axis=1)
    >>> fit = havok_dmd(X, n_delays=3, rank=2)
    >>> np.round(np.sort(np.angle(fit.eigenvalues)), 6)
    array([-0.1,  0.1])
    """
    ridge = check_in_range(ridge, "ridge", 0.0, np.inf, high_open=True)
    arr = check_trajectory(X, name)
    H = delay_embed(arr, n_delays, delay_interval)
    n_trials, n_rows, width = H.shape
    Hs, e = _scaled(H.reshape(n_trials * n_rows, width))
    V, s_unit, Ut = np.linalg.svd(Hs, full_matrices=False)
    with np.errstate(over="ignore"):  # inf where a singular value is past float64's range
        s = np.ldexp(s_unit, e)
    V, Ut = _fixed_signs(V, Ut)
    # only the threshold rule depends on the scale; the others see the unit-scale values
    r = select_rank(s if threshold is not None else s_unit, Hs.shape, rank=rank,
                    explained_variance=explained_variance, threshold=threshold)
    Vm, Vp = _pairs(V[:, :r], n_trials)
    _check_pairs(len(Vm), r, ridge, name)
    try:
        A = _ridge_solve(Vm, Vp, ridge).T
    except np.linalg.LinAlgError as exc:  # e.g. short trials whose one-step pairs repeat
        raise ValueError(
            f"{name}'s one-step pairs of delay coordinates are linearly dependent at rank {r}, so the "
            "linear model is not determined (use a lower rank, longer trials, or ridge > 0)"
        ) from exc
    return HAVOKResult(A, Ut[:r].T, s, r, int(n_delays), int(delay_interval))


def dmd(
    X: Any,
    *,
    rank: int | str | None = None,
    explained_variance: float | None = None,
    threshold: float | None = None,
    ridge: float = 0.0,
) -> DMDResult:
    r"""Exact dynamic mode decomposition (Tu et al. 2014) of one or more trajectories.

    Parameters
    ----------
    X : array_like of shape (n_time, n_features) or (n_trials, n_time, n_features)
        Snapshots as rows; pairs ``(x_t, x_{t+1})`` never cross trials.
    rank, explained_variance, threshold
        One rank rule for the current-state snapshots (see :func:`select_rank`).
    ridge : float >= 0
        Tikhonov term: ``S^{-1}`` becomes ``S / (S^2 + ridge)``.

    Returns
    -------
    DMDResult

    Notes
    -----
    With current states ``X_-`` and next states ``X_+`` as columns,
    ``X_- = U S V^T`` truncated to rank ``r``:

    .. math:: \tilde A = U_r^T X_+ V_r S_r^{-1}, \qquad
              \tilde A W = W \Lambda, \qquad \Phi = X_+ V_r S_r^{-1} W.

    References
    ----------
    Tu, Rowley, Luchtenburg, Brunton & Kutz (2014). On dynamic mode
    decomposition: theory and applications. J. Comput. Dyn. 1(2), 391-421.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0.9, -0.2], [0.2, 0.9]])
    >>> X = np.empty((20, 2)); X[0] = [1.0, 0.0]
    >>> for t in range(19): X[t + 1] = A @ X[t]
    >>> np.allclose(dmd(X).full_operator, A)
    True
    """
    ridge = check_in_range(ridge, "ridge", 0.0, np.inf, high_open=True)
    arr = check_trajectory(X, "X")
    if arr.shape[1] < 2:
        raise ValueError(f"X has {arr.shape[1]} time point per trial; DMD needs at least 2")
    n_trials, n_time, n_features = arr.shape
    Xm, Xp = _pairs(arr.reshape(-1, n_features), n_trials)
    Xm_s, e = _scaled(Xm)
    Vt_u, s, Wt = np.linalg.svd(Xm_s, full_matrices=False)  # Xm (rows) = Vt_u S Wt, so U = Wt^T
    r = select_rank(np.ldexp(s, e), Xm.shape, rank=rank, explained_variance=explained_variance, threshold=threshold)
    _check_pairs(len(Xm), r, ridge, "X")
    U, V, sr = Wt[:r].T, Vt_u[:, :r], s[:r]
    inv = sr / (sr**2 + np.ldexp(ridge, -2 * e)) if ridge else 1.0 / sr
    XpVS = np.ldexp(Xp.T, -e) @ V * inv  # X_+ V_r S_r^{-1}, all in the scaled units
    At = U.T @ XpVS
    lam, W = np.linalg.eig(At)
    return DMDResult(At, U, XpVS @ W, lam, np.ldexp(s, e), r)


def dmdc(
    X: Any,
    U: Any,
    n_delays: int = 1,
    delay_interval: int = 1,
    *,
    rank: int | str | None = None,
    input_rank: int | None = None,
    ridge: float = 0.0,
) -> DMDcResult:
    r"""DMD with control (Proctor, Brunton & Kutz 2016) in delay coordinates.

    Parameters
    ----------
    X : array_like of shape (n_time, n_features) or (n_trials, n_time, n_features)
        States.
    U : array_like of shape (n_time, n_inputs) or (n_trials, n_time, n_inputs)
        Inputs, sampled with the states (same trials and time points).
    n_delays, delay_interval : int
        Delay embedding of the states (see :func:`delay_embed`); the input
        paired with delay vector ``h_t`` is the one at its newest time point.
    rank : int, "optimal" or None
        Output rank ``r``: the size of ``state_operator`` (``None``: the
        numerical rank of the next-state snapshots).
    input_rank : int, optional
        Truncation of the stacked ``[h_t; u_t]`` snapshots (default: their
        numerical rank).
    ridge : float >= 0
        Tikhonov term on the stacked snapshots' inverse.
    Returns
    -------
    DMDcResult

    Notes
    -----
    With ``Omega = [H_-; U_-] = U_p S_p V_p^T`` (rank ``p``) and
    ``H_+ = U_r S_r V_r^T`` (rank ``r``), splitting ``U_p = [U_1; U_2]``:

    .. math:: \tilde A = U_r^T H_+ V_p S_p^{-1} U_1^T U_r, \qquad
              \tilde B = U_r^T H_+ V_p S_p^{-1} U_2^T .

    References
    ----------
    Proctor, Brunton & Kutz (2016). Dynamic mode decomposition with control.
    SIAM J. Appl. Dyn. Syst. 15(1), 142-161.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> A, B = np.array([[0.9, -0.3], [0.3, 0.9]]), np.array([[1.0], [0.5]])
    >>> u = rng.standard_normal((200, 1)); x = np.zeros((200, 2))
    >>> for t in range(199): x[t + 1] = A @ x[t] + B @ u[t]
    >>> fit = dmdc(x, u)
    >>> np.allclose(fit.basis @ fit.state_operator @ fit.basis.T, A), np.allclose(fit.basis @ fit.input_operator, B)
    (True, True)
    """
    ridge = check_in_range(ridge, "ridge", 0.0, np.inf, high_open=True)
    states = check_trajectory(X, "X")
    inputs = check_trajectory(U, "U")
    check_inputs_match(states, inputs, ("X", "U"))
    H = delay_embed(states, n_delays, delay_interval)
    n_trials, n_rows, width = H.shape
    u = inputs[:, inputs.shape[1] - n_rows:]  # the input at each delay vector's newest time point
    Hm, Hp = _pairs(H.reshape(-1, width), n_trials)
    Um, _ = _pairs(u.reshape(n_trials * n_rows, -1), n_trials)
    e = _exponent(Hm, Um, Hp)  # one scale for states and inputs keeps B in data units
    Hm_s, Hp_s, Um_s = np.ldexp(Hm, -e), np.ldexp(Hp, -e), np.ldexp(Um, -e)
    omega = np.hstack([Hm_s, Um_s])  # rows are snapshots; columns [state, input]
    Vo, so, Wo = np.linalg.svd(omega, full_matrices=False)
    what = "the stacked states and inputs"
    p = select_rank(so, omega.shape, rank=None if input_rank is None else check_positive_int(input_rank, "input_rank"),
                    name=what)
    Vr_, sr_, Wr = np.linalg.svd(Hp_s, full_matrices=False)
    _, Wr = _fixed_signs(Vr_, Wr)
    r = select_rank(sr_, Hp.shape, rank=rank)
    _check_pairs(len(Hm), p, ridge, "X")
    Ur = Wr[:r].T
    sp = so[:p]
    inv = sp / (sp**2 + np.ldexp(ridge, -2 * e)) if ridge else 1.0 / sp
    G = Hp_s.T @ Vo[:, :p] * inv  # H_+ V_p S_p^{-1} (the common scale cancels)
    U1, U2 = Wo[:p, :width].T, Wo[:p, width:].T
    A_t = Ur.T @ G @ U1.T @ Ur
    B_t = Ur.T @ G @ U2.T
    with np.errstate(over="ignore"):  # a report only: inf where a value is past float64's range
        singular_values = np.ldexp(so, e)
    return DMDcResult(A_t, B_t, Ur, singular_values, r, p)

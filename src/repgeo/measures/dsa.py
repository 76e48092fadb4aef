"""Dynamical similarity analysis: compare the linearised dynamics of two systems, not their states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .._linalg import centre_columns
from .._measure import Measure, MeasureInfo
from .._registry import register
from .._validation import (
    check_choice,
    check_delays,
    check_in_range,
    check_positive_int,
    check_rank_spec,
    check_trajectory,
    non_constant_columns,
)
from ..dynamics._align import align_vector_fields, spectral_wasserstein
from ..dynamics._dmd import dmdc, havok_dmd

__all__ = ["DSA", "InputDSA"]

_OSTROW = (
    "Ostrow, Eisen, Kozachkov & Fiete (2023). Beyond geometry: comparing the temporal structure of "
    "computation in neural circuits with dynamical similarity analysis. NeurIPS."
)
_REDMAN = "Redman et al. (2024). Identifying equivalent training dynamics. NeurIPS."
_PROCTOR = (
    "Proctor, Brunton & Kutz (2016). Dynamic mode decomposition with control. SIAM J. Appl. Dyn. Syst. 15(1)."
)


@dataclass(frozen=True)
class _System:
    """A prepared system: its fitted operator (and input matrix), and eigenvalues for the spectral score."""

    operator: np.ndarray
    eigenvalues: np.ndarray
    inputs: np.ndarray | None = None


def _fit(fit_fn: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """A DMD fit whose errors name the argument (the building blocks call their input X)."""
    try:
        return fit_fn(*args, **kwargs)
    except ValueError as exc:
        if str(exc).startswith(name):
            raise
        raise ValueError(f"{name}: {exc}") from exc


def _trajectory(X: Any, name: str, center: bool, n_delays: int, delay_interval: int) -> np.ndarray:
    arr = check_trajectory(X, name)
    non_constant_columns(arr.reshape(-1, arr.shape[-1]), name)
    check_delays(arr.shape[1], n_delays, delay_interval, name)
    return _centred(arr, name) if center else arr


def _centred(arr: np.ndarray, name: str) -> np.ndarray:
    """Features centred over trials and time, per column at its own power of two (no overflow in the mean)."""
    centred, e, _ = centre_columns(arr.reshape(-1, arr.shape[-1]))
    with np.errstate(over="ignore"):
        out = np.ldexp(centred, e).reshape(arr.shape)
    if not np.isfinite(out).all():
        raise ValueError(f"{name} centred exceeds float64's range (values near the float maximum); rescale it")
    return out


def _nonzero(op: np.ndarray, name: str) -> np.ndarray:
    if not np.any(op):
        raise ValueError(f"the dynamics fitted to {name} are zero (no step-to-step correlation); nothing to compare")
    return op


def _ordered(a: _System, b: _System) -> tuple[_System, _System]:
    """A fixed order for each pair, so that d(a, b) == d(b, a) bit for bit."""
    ka = (a.operator.shape[0], a.operator.tobytes(), b"" if a.inputs is None else a.inputs.tobytes())
    kb = (b.operator.shape[0], b.operator.tobytes(), b"" if b.inputs is None else b.inputs.tobytes())
    return (a, b) if ka <= kb else (b, a)


def _same(a: _System, b: _System) -> bool:
    same_inputs = (a.inputs is None and b.inputs is None) or (
        a.inputs is not None and b.inputs is not None and np.array_equal(a.inputs, b.inputs))
    return a.operator.shape == b.operator.shape and np.array_equal(a.operator, b.operator) and same_inputs


def _procrustes_distance(a: _System, b: _System, score: str, n_random_starts: int, joint: bool) -> float:
    if _same(a, b):  # identical fits: exactly zero, not the rounding of a residual
        return 0.0
    a, b = _ordered(a, b)
    if joint:
        res = align_vector_fields(a.operator, b.operator, input_a=a.inputs, input_b=b.inputs,
                                  n_random_starts=n_random_starts)
    else:
        res = align_vector_fields(a.operator, b.operator, n_random_starts=n_random_starts)
    return res.angular if score == "angular" else res.euclidean


def _padded_wasserstein(a: _System, b: _System) -> float:
    n = max(len(a.eigenvalues), len(b.eigenvalues))
    la = np.concatenate([a.eigenvalues, np.zeros(n - len(a.eigenvalues))])
    lb = np.concatenate([b.eigenvalues, np.zeros(n - len(b.eigenvalues))])
    return spectral_wasserstein(la, lb)



def _info(name: str, rank: Any, score: str, invariances: set[str], references: tuple[str, ...]) -> MeasureInfo:
    """The claims both DSA measures share: a metric only at a fixed integer rank (equal operator sizes)."""
    fixed_size = isinstance(rank, (int, np.integer)) and not isinstance(rank, bool)
    return MeasureInfo(
        name=name,
        kind="distance",
        metric=fixed_size,
        symmetric=True,
        invariances=frozenset(invariances),
        input="trajectory",
        identity_value=0.0,
        bounds=(0.0, np.pi) if score == "angular" else (0.0, np.inf),
        references=references,
    )

@register("dsa_wasserstein", score="wasserstein")
@register("dsa_euclidean", score="euclidean")
@register("dsa")
@dataclass(frozen=True)
class DSA(Measure):
    r"""Dynamical similarity analysis: Procrustes distance between fitted linear dynamics.

    Each system is delay-embedded and fitted with a linear model in its
    eigen-time-delay coordinates (:func:`repgeo.dynamics.havok_dmd`, once per
    system); two systems are compared by how far their operators are apart
    after the best orthogonal change of coordinates.

    Parameters
    ----------
    n_delays : int >= 1, default 1
        Delayed copies per row of the Hankel matrix.
    delay_interval : int >= 1, default 1
        Steps between delays.
    rank : int, "optimal" or None, default None
        Size ``r`` of the fitted operator: an integer, the Gavish-Donoho
        optimal hard threshold, or every numerically non-zero singular value.
    explained_variance : float in (0, 1], optional
        Alternative rule: the smallest rank carrying this fraction of the
        embedding's squared singular values.
    threshold : float, optional
        Alternative rule: keep singular values above it (depends on the
        data's scale).
    ridge : float >= 0, default 0
        Tikhonov term of the one-step regression (dsa-metric uses 1e-8).
    score : {"angular", "euclidean", "wasserstein"}, default "angular"
        See Notes.
    center : bool, default True
        Subtract each feature's mean (over trials and time) before embedding,
        so a constant offset changes nothing (dsa-metric does not centre:
        ``center=False`` matches it).  The linear model has no intercept, so
        data whose mean is not a fixed point (a transient towards a state far
        from the mean) are fitted less well once centred.
    n_random_starts : int >= 0, default 8
        Random orthogonal starting points added to the deterministic ones of
        :func:`repgeo.dynamics.align_vector_fields` (more: closer to the global
        minimum, slower).

    Notes
    -----
    With ``A_x`` and ``A_y`` the fitted ``r x r`` operators,

    .. math::
        d_\angle = \min_{C \in O(r)} \arccos
            \frac{\langle A_x, C A_y C^T\rangle}{\|A_x\|_F \|A_y\|_F}, \qquad
        d_E = \min_{C \in O(r)} \|A_x - C A_y C^T\|_F ,

    both minimised by the same ``C`` (over both components of O(r)).
    ``"wasserstein"`` is the 2-Wasserstein distance between the eigenvalue
    sets of ``A_x`` and ``A_y`` (uniform weights; dsa-metric 2.0.2 reports
    its square), which ignores eigenvectors.  Operators of different sizes
    are zero-padded to the larger size (eigenvalue lists with zeros).

    The value does not change under an orthogonal map of the features, a
    permutation of them or a common rescaling (unless ``threshold`` picks the
    rank); with ``center`` under a constant offset; and with the full
    numerical rank (``rank=None``) under any invertible linear map of the
    features.  The angular and Euclidean scores are metrics on operators of
    one size when the minimum is global; they are claimed as metrics
    (``info.metric``) only for an integer ``rank`` (one size for all
    systems; padding to the larger size breaks the triangle inequality), and
    the alignment's global optimality is not certified (see
    :func:`repgeo.dynamics.align_vector_fields`).

    References
    ----------
    Ostrow, Eisen, Kozachkov & Fiete (2023). Beyond geometry: comparing the
    temporal structure of computation in neural circuits with dynamical
    similarity analysis. NeurIPS.  Redman et al. (2024). Identifying
    equivalent training dynamics. NeurIPS.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> t = np.arange(500) * 0.1
    >>> fast = np.stack([np.cos(2 * t), np.sin(2 * t)], axis=1)
    >>> slow = np.stack([np.cos(t), np.sin(t)], axis=1)
    >>> round(rg.DSA()(slow, slow @ np.array([[0.0, 1.0], [1.0, 0.0]])), 6)
    0.0
    >>> round(rg.DSA()(slow, fast), 4)   # rotations by 0.1 and 0.2 rad per step
    0.1
    """

    n_delays: int = 1
    delay_interval: int = 1
    rank: int | str | None = None
    explained_variance: float | None = None
    threshold: float | None = None
    ridge: float = 0.0
    score: str = "angular"
    center: bool = True
    n_random_starts: int = 8

    def __post_init__(self) -> None:
        check_positive_int(self.n_delays, "n_delays")
        check_positive_int(self.delay_interval, "delay_interval")
        check_rank_spec(self.rank, self.explained_variance, self.threshold)
        check_in_range(self.ridge, "ridge", 0.0, np.inf, high_open=True)
        check_choice(self.score, "score", ("angular", "euclidean", "wasserstein"))
        check_choice(self.center, "center", (True, False))
        check_positive_int(self.n_random_starts, "n_random_starts", minimum=0)

    @property
    def info(self) -> MeasureInfo:  # type: ignore[override]
        inv = {"orthogonal", "permutation"}
        if self.threshold is None:
            inv.add("isotropic_scaling")
        if self.center:
            inv.add("translation")
        if self.rank is None and self.explained_variance is None and self.threshold is None:
            inv.add("invertible_linear")
        refs = (_OSTROW, _REDMAN) if self.score == "wasserstein" else (_OSTROW,)
        return _info("dsa", self.rank, self.score, inv, refs)

    def check_compatible(self, arrays: Sequence[Any], names: Sequence[str]) -> None:
        """Systems may differ in trials, length and features: nothing to match."""

    def prepare(self, X: Any, name: str = "X") -> _System:
        arr = _trajectory(X, name, self.center, self.n_delays, self.delay_interval)
        fit = havok_dmd(arr, self.n_delays, self.delay_interval, rank=self.rank,
                        explained_variance=self.explained_variance, threshold=self.threshold, ridge=self.ridge,
                        name=name)
        op = _nonzero(fit.operator, name)
        eig = np.linalg.eigvals(op) if self.score == "wasserstein" else np.empty(0, complex)
        return _System(op, eig)

    def compare(self, a: _System, b: _System) -> float:
        if self.score == "wasserstein":
            return _padded_wasserstein(a, b)
        return _procrustes_distance(a, b, self.score, self.n_random_starts, joint=False)


@register("input_dsa_joint", joint=True)
@register("input_dsa")
@dataclass(frozen=True)
class InputDSA(Measure):
    r"""DSA for input-driven systems: DMD with control separates the dynamics from the inputs.

    Each representation is one array whose last ``n_inputs`` features are
    the inputs ``u_t`` and whose other features are the states ``x_t``
    (concatenate them: ``np.concatenate([x, u], axis=-1)``).  Each system is
    fitted once with :func:`repgeo.dynamics.dmdc`,
    ``h_{t+1} = A h_t + B u_t`` in delay coordinates, reduced to its leading
    ``rank`` state directions; the state operators are compared as in
    :class:`DSA`.

    Parameters
    ----------
    n_inputs : int >= 1, default 1
        Trailing features that are inputs.
    n_delays, delay_interval, rank, ridge, center, n_random_starts
        As in :class:`DSA` (``rank`` is the output rank of DMDc; states and
        inputs are both centred).
    input_rank : int, optional
        Truncation of the stacked ``[h_t; u_t]`` snapshots.
    score : {"angular", "euclidean"}, default "angular"
    joint : bool, default False
        Also align the input matrices, which share the input coordinates:
        ``min_C ||A_x - C A_y C^T||^2 + ||B_x - C B_y||^2`` (angular: the angle
        between ``(A_x, B_x)`` and ``(C A_y C^T, C B_y)``).  ``B`` is in units
        of states per input, so this form depends on their relative scale.

    Notes
    -----
    Two systems with the same dynamics driven by different inputs give
    nearly the same state operators (DMDc removes the driven part), where
    :class:`DSA` on the states alone would see different trajectories.
    The value is invariant to a common rescaling of states and inputs and,
    with ``center``, to constant offsets; an orthogonal map of the states
    alone leaves it unchanged too, but the measure's invariance claims refer
    to transforms of the whole feature axis, which mixes states with inputs.
    dsa-metric's ``InputDSA`` defaults to subspace identification and
    compares controllability matrices; this class implements its ``DMDc``
    fit with the state comparison of ``compare="state"``.

    References
    ----------
    Ostrow et al. (2023), NeurIPS; Proctor, Brunton & Kutz (2016). Dynamic
    mode decomposition with control. SIAM J. Appl. Dyn. Syst. 15(1).

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> A = np.array([[0.9, -0.3], [0.3, 0.9]])
    >>> def run(u):
    ...     x = np.zeros((len(u), 2))
    ...     for t in range(len(u) - 1): x[t + 1] = A @ x[t] + np.array([1.0, 0.0]) * u[t, 0]
    ...     return np.concatenate([x, u], axis=1)
    >>> noise, steps = rng.standard_normal((300, 1)), np.repeat(rng.standard_normal((30, 1)), 10, axis=0)
    >>> round(rg.InputDSA(center=False)(run(noise), run(steps)), 6)  # same A, different inputs
    0.0
    >>> round(rg.DSA(center=False)(run(noise)[:, :2], run(steps)[:, :2]), 2)  # the states alone differ
    0.05
    """

    n_inputs: int = 1
    n_delays: int = 1
    delay_interval: int = 1
    rank: int | str | None = None
    input_rank: int | None = None
    ridge: float = 0.0
    score: str = "angular"
    joint: bool = False
    center: bool = True
    n_random_starts: int = 8

    def __post_init__(self) -> None:
        check_positive_int(self.n_inputs, "n_inputs")
        check_positive_int(self.n_delays, "n_delays")
        check_positive_int(self.delay_interval, "delay_interval")
        check_rank_spec(self.rank, None, None)
        if self.input_rank is not None:
            check_positive_int(self.input_rank, "input_rank")
        check_in_range(self.ridge, "ridge", 0.0, np.inf, high_open=True)
        check_choice(self.score, "score", ("angular", "euclidean"))
        check_choice(self.joint, "joint", (True, False))
        check_choice(self.center, "center", (True, False))
        check_positive_int(self.n_random_starts, "n_random_starts", minimum=0)

    @property
    def info(self) -> MeasureInfo:  # type: ignore[override]
        inv = {"isotropic_scaling", "translation"} if self.center else {"isotropic_scaling"}
        return _info("input_dsa", self.rank, self.score, inv, (_OSTROW, _PROCTOR))

    def check_compatible(self, arrays: Sequence[Any], names: Sequence[str]) -> None:
        """Input counts are fixed by ``n_inputs``; systems may differ in everything else."""

    def prepare(self, X: Any, name: str = "X") -> _System:
        arr = check_trajectory(X, name)
        k = self.n_inputs
        if arr.shape[-1] <= k:
            raise ValueError(
                f"{name} has {arr.shape[-1]} features but n_inputs={k}; the last n_inputs features are the "
                "inputs and at least one state feature must precede them"
            )
        states = _trajectory(arr[..., :-k], f"{name} (states)", self.center, self.n_delays, self.delay_interval)
        inputs = arr[..., -k:]
        if self.center:
            inputs = _centred(inputs, f"{name} (inputs)")
        fit = _fit(dmdc, name, states, inputs, self.n_delays, self.delay_interval, rank=self.rank,
                   input_rank=self.input_rank, ridge=self.ridge)
        op = _nonzero(fit.state_operator, name)
        return _System(op, np.empty(0, complex), fit.input_operator if self.joint else None)

    def compare(self, a: _System, b: _System) -> float:
        if self.joint:
            n = max(len(a.operator), len(b.operator))
            a = _System(a.operator, a.eigenvalues, np.pad(a.inputs, ((0, n - len(a.inputs)), (0, 0))))
            b = _System(b.operator, b.eigenvalues, np.pad(b.inputs, ((0, n - len(b.inputs)), (0, 0))))
        return _procrustes_distance(a, b, self.score, self.n_random_starts, joint=self.joint)

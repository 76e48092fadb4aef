"""Seeded dynamical systems for :class:`repgeo.DSA` and its tests, in NumPy (exported by :mod:`repgeo.datasets`).

Trajectories are arrays of shape ``(n_time, n_features)`` or
``(n_trials, n_time, n_features)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .._validation import check_choice, check_in_range, check_positive_int, check_rng

__all__ = [
    "ConjugatePair",
    "FlipFlop",
    "attractor_network",
    "conjugate_pair",
    "flip_flop_rnn",
    "lorenz",
    "simulate_linear",
    "stable_dynamics",
    "van_der_pol",
]


def stable_dynamics(n_features: int, *, radius: tuple = (0.8, 0.99), max_angle: float = 0.5,
                    rng: Any = None) -> np.ndarray:
    """A random stable, normal dynamics matrix ``A = Q blockdiag(r_k R(theta_k)) Q^T``.

    Parameters
    ----------
    n_features : int
    radius : (float, float)
        Range of the eigenvalue moduli ``r_k`` (below 1: stable).
    max_angle : float
        Rotation angles ``theta_k`` per step are drawn from ``(0.05, max_angle)``.
    rng : None, int or Generator

    Examples
    --------
    >>> A = stable_dynamics(4, rng=0)
    >>> bool(np.abs(np.linalg.eigvals(A)).max() < 1)
    True
    """
    n = check_positive_int(n_features, "n_features")
    gen = check_rng(rng)
    A = np.zeros((n, n))
    for k in range(0, n - 1, 2):
        r, th = gen.uniform(*radius), gen.uniform(0.05, max_angle)
        A[k:k + 2, k:k + 2] = r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    if n % 2:
        A[-1, -1] = gen.uniform(*radius)
    Q = np.linalg.qr(gen.standard_normal((n, n)))[0]
    return Q @ A @ Q.T


def simulate_linear(A: Any, n_time: int, *, n_trials: int | None = None, noise: float = 0.0,
                    B: Any = None, inputs: Any = None, x0: Any = None, rng: Any = None) -> np.ndarray:
    """Simulate ``x_{t+1} = A x_t + B u_t + noise * e_t`` (``e_t`` standard normal).

    Parameters
    ----------
    A : array_like of shape (n, n)
    n_time : int
    n_trials : int, optional
        Independent trials (returns a 3-D array); ``None`` returns one trial.
    noise : float >= 0
    B, inputs : array_like, optional
        Input matrix ``(n, k)`` and inputs ``(n_time, k)`` or ``(n_trials, n_time, k)``.
    x0 : array_like, optional
        Initial state(s); standard normal by default.
    rng : None, int or Generator

    Returns
    -------
    ndarray of shape (n_time, n) or (n_trials, n_time, n)

    Examples
    --------
    >>> simulate_linear(0.5 * np.eye(2), 3, x0=[1.0, 2.0])
    array([[1.  , 2.  ],
           [0.5 , 1.  ],
           [0.25, 0.5 ]])
    """
    A = np.asarray(A, dtype=float)
    n_time = check_positive_int(n_time, "n_time")
    check_in_range(noise, "noise", 0.0, np.inf, high_open=True)
    gen = check_rng(rng)
    K = 1 if n_trials is None else check_positive_int(n_trials, "n_trials")
    n = A.shape[0]
    X = np.empty((K, n_time, n))
    X[:, 0] = gen.standard_normal((K, n)) if x0 is None else np.broadcast_to(np.asarray(x0, float), (K, n))
    drive = np.zeros((K, n_time, n))
    if inputs is not None:
        drive = np.broadcast_to(np.asarray(inputs, float) @ np.asarray(B, float).T, (K, n_time, n))
    shocks = noise * gen.standard_normal((K, n_time, n)) if noise else np.zeros((K, n_time, n))
    for t in range(n_time - 1):
        X[:, t + 1] = X[:, t] @ A.T + drive[:, t] + shocks[:, t]
    return X[0] if n_trials is None else X


@dataclass(frozen=True, eq=False)
class ConjugatePair:
    """Two linear systems related by an orthogonal change of coordinates, ``A_y = Q A_x Q^T``."""

    X: np.ndarray
    Y: np.ndarray
    A_x: np.ndarray
    A_y: np.ndarray
    Q: np.ndarray


def conjugate_pair(n_features: int = 4, n_time: int = 500, *, n_trials: int | None = None,
                   noise: float = 0.1, rng: Any = None) -> ConjugatePair:
    """Trajectories of ``A`` and of ``Q A Q^T`` (independent noise and initial states).

    Examples
    --------
    >>> pair = conjugate_pair(3, 200, rng=0)
    >>> bool(np.allclose(pair.A_y, pair.Q @ pair.A_x @ pair.Q.T)), pair.Y.shape
    (True, (200, 3))
    """
    gen = check_rng(rng)
    A = stable_dynamics(n_features, rng=gen)
    Q = np.linalg.qr(gen.standard_normal((n_features, n_features)))[0]
    B = Q @ A @ Q.T
    X = simulate_linear(A, n_time, n_trials=n_trials, noise=noise, rng=gen)
    Y = simulate_linear(B, n_time, n_trials=n_trials, noise=noise, rng=gen)
    return ConjugatePair(X, Y, A, B, Q)


def _rk4(f: Callable, x: np.ndarray, dt: float, n_steps: int, record: int) -> np.ndarray:
    out = np.empty((record,) + x.shape)
    skip = n_steps - record
    for i in range(n_steps):
        k1 = f(x)
        k2 = f(x + 0.5 * dt * k1)
        k3 = f(x + 0.5 * dt * k2)
        k4 = f(x + dt * k3)
        x = x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        if i >= skip:
            out[i - skip] = x
    return np.moveaxis(out, 0, -2)


def lorenz(n_time: int = 1000, *, dt: float = 0.01, sigma: float = 10.0, rho: float = 28.0,
           beta: float = 8.0 / 3.0, n_trials: int | None = None, burn_in: int = 500, rng: Any = None) -> np.ndarray:
    """The Lorenz system (RK4), from random initial states after ``burn_in`` steps.

    ``rho = 28`` is chaotic; ``rho < 24.74`` (e.g. 20) spirals into a fixed point.

    Examples
    --------
    >>> lorenz(100, rng=0).shape, lorenz(50, n_trials=2, rng=0).shape
    ((100, 3), (2, 50, 3))
    """
    gen = check_rng(rng)
    K = 1 if n_trials is None else check_positive_int(n_trials, "n_trials")
    x0 = np.array([1.0, 1.0, 20.0]) + gen.standard_normal((K, 3))

    def f(x: np.ndarray) -> np.ndarray:
        return np.stack([sigma * (x[:, 1] - x[:, 0]), x[:, 0] * (rho - x[:, 2]) - x[:, 1],
                         x[:, 0] * x[:, 1] - beta * x[:, 2]], axis=1)

    X = _rk4(f, x0, dt, burn_in + check_positive_int(n_time, "n_time"), n_time)
    return X[0] if n_trials is None else X


def van_der_pol(n_time: int = 1000, *, dt: float = 0.05, mu: float = 1.0, n_trials: int | None = None,
                burn_in: int = 400, rng: Any = None) -> np.ndarray:
    """The Van der Pol oscillator ``x'' = mu (1 - x^2) x' - x`` (RK4), on its limit cycle after ``burn_in``.

    Examples
    --------
    >>> X = van_der_pol(400, rng=0)
    >>> X.shape, bool(1.9 < np.abs(X[:, 0]).max() < 2.1)
    ((400, 2), True)
    """
    gen = check_rng(rng)
    K = 1 if n_trials is None else check_positive_int(n_trials, "n_trials")
    x0 = gen.uniform(-2.0, 2.0, (K, 2))

    def f(x: np.ndarray) -> np.ndarray:
        return np.stack([x[:, 1], mu * (1 - x[:, 0] ** 2) * x[:, 1] - x[:, 0]], axis=1)

    X = _rk4(f, x0, dt, burn_in + check_positive_int(n_time, "n_time"), n_time)
    return X[0] if n_trials is None else X


def attractor_network(kind: str = "ring", *, n_neurons: int = 30, n_trials: int = 20, n_time: int = 100,
                      relax: float = 0.2, noise: float = 0.02, rng: Any = None) -> np.ndarray:
    """Noisy relaxation onto a ring or a line attractor, read out by a random tanh population.

    A 2-D latent state relaxes onto the unit circle (``"ring"``:
    ``z <- z + relax (1 - |z|^2) z``, neutral along the ring) or onto a line
    (``"line"``: ``z_2 <- (1 - relax) z_2``, neutral along ``z_1``), with
    isotropic noise; the neurons fire ``tanh(W z + b)``.

    Returns
    -------
    ndarray of shape (n_trials, n_time, n_neurons)

    Examples
    --------
    >>> attractor_network("line", n_trials=3, n_time=20, rng=0).shape
    (3, 20, 30)
    """
    check_choice(kind, "kind", ("ring", "line"))
    gen = check_rng(rng)
    K, T = check_positive_int(n_trials, "n_trials"), check_positive_int(n_time, "n_time")
    angle = gen.uniform(0, 2 * np.pi, K)
    z = np.stack([np.cos(angle), np.sin(angle)], axis=1) * gen.uniform(0.2, 1.8, (K, 1))
    Z = np.empty((K, T, 2))
    for t in range(T):
        Z[:, t] = z
        if kind == "ring":
            z = z + relax * (1 - np.sum(z**2, axis=1, keepdims=True)) * z
        else:
            z = z * np.array([1.0, 1.0 - relax])
        z = z + noise * gen.standard_normal((K, 2))
    W = gen.standard_normal((2, check_positive_int(n_neurons, "n_neurons")))
    return np.tanh(Z @ W + 0.1 * gen.standard_normal(W.shape[1]))


@dataclass(frozen=True, eq=False)
class FlipFlop:
    """A flip-flop RNN's activity: ``states`` (n_trials, n_time, n_neurons), ``inputs`` and target ``outputs``
    (n_trials, n_time, n_bits), and the linear ``readout`` (n_neurons, n_bits) of each bit's population."""

    states: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray
    readout: np.ndarray


def flip_flop_rnn(n_bits: int = 3, *, n_neurons: int = 24, n_trials: int = 10, n_time: int = 200,
                  pulse_prob: float = 0.05, gain: float = 2.0, noise: float = 0.02, rng: Any = None) -> FlipFlop:
    """A hand-built flip-flop network: each bit is held by a bistable population of a tanh RNN.

    The neurons form ``n_bits`` groups; inside a group every neuron excites
    every other (``W = gain / size`` per pair, none across groups), so with
    ``gain > 1`` a group's mean activity ``m`` follows ``m <- tanh(gain m + u)``
    and has two stable states, ``+-0.96`` at ``gain = 2``.  Input pulses
    ``u = +-3`` drive a whole group and set its bit:
    ``h_{t+1} = tanh(W h_t + G u_t) + noise``.  The recorded activity is
    ``h`` seen through a random rotation of the neurons (any population
    code), the target output of each bit the sign of its last pulse.

    Examples
    --------
    >>> ff = flip_flop_rnn(rng=0)
    >>> ff.states.shape, ff.inputs.shape
    ((10, 200, 24), (10, 200, 3))
    >>> held = np.sign(ff.states[:, 1:] @ ff.readout)   # the bits the network holds one step later
    >>> bool((held == ff.outputs[:, :-1]).mean() > 0.99)
    True
    """
    gen = check_rng(rng)
    n_bits = check_positive_int(n_bits, "n_bits")
    K, T = check_positive_int(n_trials, "n_trials"), check_positive_int(n_time, "n_time")
    n = check_positive_int(n_neurons, "n_neurons", minimum=n_bits)
    group = np.arange(n) * n_bits // n  # neuron -> bit
    G = (group[:, None] == np.arange(n_bits)[None, :]).astype(float)  # (n, n_bits) membership
    W = gain * (G / G.sum(axis=0)) @ G.T  # within-group excitation, rows summing to gain
    rotation = np.linalg.qr(gen.standard_normal((n, n)))[0]
    pulses = (gen.random((K, T, n_bits)) < pulse_prob) * gen.choice([-3.0, 3.0], (K, T, n_bits))
    bits = gen.choice([-1.0, 1.0], (K, n_bits))
    h = 0.96 * bits @ G.T
    H = np.empty((K, T, n))
    out = np.empty((K, T, n_bits))
    for t in range(T):
        H[:, t] = h
        bits = np.where(pulses[:, t] != 0, np.sign(pulses[:, t]), bits)
        out[:, t] = bits
        h = np.tanh(h @ W.T + pulses[:, t] @ G.T) + noise * gen.standard_normal(h.shape)
    readout = rotation.T @ (G / G.sum(axis=0))  # rotated activity -> group means
    return FlipFlop(H @ rotation, pulses, out, readout)

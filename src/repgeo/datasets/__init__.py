"""Data that ships with the installed packages: no downloads, ever.

:func:`digit_networks` trains a small family of multilayer perceptrons on the
scikit-learn digits data set (1,797 8x8 images bundled with scikit-learn) and
returns their hidden-layer activations on held-out images;
:func:`train_digit_mlp` trains one deep plain or residual MLP (NumPy, a few
seconds) and returns every layer, from the pixels to the class probabilities.

Seeded dynamical systems for :class:`repgeo.DSA` and its tests (NumPy only,
defined in ``repgeo.datasets._systems``): :func:`stable_dynamics`,
:func:`simulate_linear`, :func:`conjugate_pair`, :func:`lorenz`,
:func:`van_der_pol`, :func:`attractor_network` (ring or line attractor) and
:func:`flip_flop_rnn`.  Trajectories are arrays of shape
``(n_time, n_features)`` or ``(n_trials, n_time, n_features)``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .._validation import check_rng

from . import _systems
from ._systems import *  # noqa: F403 - the dynamical systems, re-exported (their __all__ is below)

__all__ = [
    "DigitNetwork",
    "DigitNetworks",
    "DigitMLP",
    "digit_networks",
    "train_digit_mlp",
    "DEFAULT_FAMILY",
    *_systems.__all__,
]

#: name -> (hidden layer widths, seed, shuffled labels)
DEFAULT_FAMILY: dict[str, tuple[tuple[int, ...], int, bool]] = {
    "w64-d2-s0": ((64, 64), 0, False),
    "w64-d2-s1": ((64, 64), 1, False),
    "w64-d2-s2": ((64, 64), 2, False),
    "w32-d2-s0": ((32, 32), 0, False),
    "w128-d2-s0": ((128, 128), 0, False),
    "w64-d1-s0": ((64,), 0, False),
    "w64-d3-s0": ((64, 64, 64), 0, False),
    "shuffled-s0": ((64, 64), 0, True),
    "shuffled-s1": ((64, 64), 1, True),
}


@dataclass(frozen=True, eq=False)
class DigitNetwork:
    """One trained network: its hidden activations on the test images, and its hidden-layer weights."""

    widths: tuple
    seed: int
    shuffled_labels: bool
    train_accuracy: float
    test_accuracy: float
    layers: tuple  # hidden-layer activations, each (n_test, width)
    weights: tuple = field(default=(), repr=False)  # ((W, b), ...) of the hidden layers

    def hidden(self, X: Any) -> list[np.ndarray]:
        """The hidden layers' activations (ReLU) for inputs ``X`` of shape ``(..., 64)``, pixels in [0, 1].

        Examples
        --------
        >>> nets = digit_networks({"tiny": ((16,), 0, False)}, max_iter=20, rng=0)
        >>> net = nets.networks["tiny"]
        >>> bool(np.array_equal(net.hidden(nets.inputs)[0], net.layers[0]))
        True
        """
        return _relu_layers(self.weights, np.asarray(X, dtype=float))


@dataclass(frozen=True, eq=False)
class DigitNetworks:
    """A trained family of digit classifiers and the held-out stimuli."""

    inputs: np.ndarray  # (n_test, 64) pixel intensities in [0, 1]
    labels: np.ndarray  # (n_test,) digit classes
    networks: dict = field(default_factory=dict)

    def layer_reps(self, include_input: bool = True) -> dict[str, np.ndarray]:
        """``{"<network>/h<k>": activations}`` for every hidden layer (and ``"input"``)."""
        reps = {"input": self.inputs} if include_input else {}
        for name, net in self.networks.items():
            for k, layer in enumerate(net.layers, start=1):
                reps[f"{name}/h{k}"] = layer
        return reps


def _relu_layers(weights: tuple, X: np.ndarray) -> list[np.ndarray]:
    out, h = [], X
    for W, b in weights:
        h = np.maximum(h @ W + b, 0.0)  # the family is trained with ReLU units
        out.append(h)
    return out


def digit_networks(
    family: dict[str, tuple[tuple[int, ...], int, bool]] | None = None,
    *,
    n_test: int = 500,
    max_iter: int = 300,
    rng: Any = 0,
    log: Callable[[str], None] | None = None,
) -> DigitNetworks:
    """Train MLPs on scikit-learn's bundled digits and collect hidden activations.

    Parameters
    ----------
    family : dict, optional
        ``name -> (hidden widths, seed, shuffled_labels)``; defaults to
        :data:`DEFAULT_FAMILY` (seeds, widths, depths, and two networks that
        memorise shuffled labels).
    n_test : int, default 500
        Held-out images whose activations are returned (stratified split).
    max_iter : int, default 300
        Adam epochs per network.
    rng : int or Generator, default 0
        Controls the train/test split and the label shuffling.
    log : callable, optional
        Receives one progress line per trained network.

    Examples
    --------
    >>> nets = digit_networks({"tiny": ((16,), 0, False)}, max_iter=50)
    >>> nets.networks["tiny"].layers[0].shape
    (500, 16)
    """
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    gen = check_rng(rng)
    family = DEFAULT_FAMILY if family is None else family
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=n_test, stratify=y, random_state=int(gen.integers(2**31))
    )
    shuffled = gen.permutation(y_tr)
    nets = {}
    for name, (widths, seed, shuffle) in family.items():
        targets = shuffled if shuffle else y_tr
        model = MLPClassifier(hidden_layer_sizes=widths, max_iter=max_iter, random_state=seed, alpha=1e-4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_tr, targets)
        weights = tuple(zip(model.coefs_[:-1], model.intercepts_[:-1]))
        nets[name] = DigitNetwork(
            widths=tuple(widths),
            seed=seed,
            shuffled_labels=shuffle,
            train_accuracy=float(model.score(X_tr, targets)),
            test_accuracy=float(model.score(X_te, y_te)),
            layers=tuple(_relu_layers(weights, X_te)),
            weights=weights,
        )
        if log is not None:
            net = nets[name]
            log(f"trained {name}: train accuracy {net.train_accuracy:.3f}, test accuracy {net.test_accuracy:.3f}")
    return DigitNetworks(inputs=X_te, labels=y_te, networks=nets)


@dataclass(frozen=True, eq=False)
class DigitMLP:
    """A deep MLP trained on digits, with every layer's activity on held-out images.

    Attributes
    ----------
    residual : bool
    width, depth, seed : int
    train_accuracy, test_accuracy : float
    layers : tuple of ndarray
        ``(pixels, h_1, ..., h_depth, class probabilities)``, each ``(n_test, .)``.
    labels : ndarray of shape (n_test,)
    """

    residual: bool
    width: int
    depth: int
    seed: int
    train_accuracy: float
    test_accuracy: float
    layers: tuple
    labels: np.ndarray


def _digit_split(n_test: int, rng: Any) -> tuple:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=n_test, stratify=y, random_state=int(check_rng(rng).integers(2**31)))


def _forward(params: list, X: np.ndarray, residual: bool) -> tuple[list, list]:
    """Hidden states and pre-activations; the first layer maps pixels to the width, then blocks."""
    states, pre = [X], []
    for k, (W, b) in enumerate(params[:-1]):
        z = states[-1] @ W + b
        pre.append(z)
        h = np.maximum(z, 0.0)
        states.append(states[-1] + h if residual and k > 0 else h)
    return states, pre


def _probabilities(params: list, h: np.ndarray) -> np.ndarray:
    logits = h @ params[-1][0] + params[-1][1]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _gradients(params: list, X: np.ndarray, onehot: np.ndarray, residual: bool) -> list:
    """Gradients of the mean cross-entropy with respect to every ``[W, b]`` (backpropagation)."""
    states, pre = _forward(params, X, residual)
    grad_out = (_probabilities(params, states[-1]) - onehot) / len(X)
    grads = [[states[-1].T @ grad_out, grad_out.sum(axis=0)]]
    g = grad_out @ params[-1][0].T
    for k in range(len(params) - 2, -1, -1):  # back through the hidden layers
        gz = g * (pre[k] > 0)
        grads.append([states[k].T @ gz, gz.sum(axis=0)])
        g = gz @ params[k][0].T + (g if residual and k > 0 else 0.0)
    return grads[::-1]


def train_digit_mlp(
    *,
    residual: bool,
    width: int = 32,
    depth: int = 8,
    seed: int = 0,
    epochs: int = 300,
    learning_rate: float = 3e-3,
    n_test: int = 300,
    rng: Any = 0,
) -> DigitMLP:
    r"""Train a deep plain or residual ReLU MLP on scikit-learn's bundled digits (NumPy only).

    The first layer maps the 64 pixels to ``width`` units, ``h_1 = relu(x W_1 +
    b_1)``; each further block is ``h_{l+1} = relu(h_l W + b)`` (plain) or
    ``h_{l+1} = h_l + relu(h_l W + b)`` (residual); a softmax reads out the
    class.  Full-batch Adam on the cross-entropy for ``epochs`` steps (a
    fixed budget, no early stopping); He initialisation, scaled by
    ``1 / sqrt(depth)`` in residual blocks.

    Parameters
    ----------
    residual : bool
    width, depth : int
        Units per hidden layer and number of hidden layers.
    seed : int
        Initialisation seed.
    epochs, learning_rate : training budget.
    n_test : int
        Held-out images whose layer activity is returned.
    rng : int or Generator
        Controls the train/test split (the same for every seed).

    Examples
    --------
    >>> net = train_digit_mlp(residual=True, depth=3, epochs=30)
    >>> [layer.shape[1] for layer in net.layers]
    [64, 32, 32, 32, 10]
    """
    X_tr, X_te, y_tr, y_te = _digit_split(n_test, rng)
    gen = np.random.default_rng(seed)
    sizes = [X_tr.shape[1]] + [width] * depth
    params = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        gain = 1.0 / np.sqrt(depth) if residual and k > 0 else 1.0
        params.append([gain * gen.standard_normal((a, b)) * np.sqrt(2.0 / a), np.zeros(b)])
    params.append([gen.standard_normal((width, 10)) * np.sqrt(1.0 / width), np.zeros(10)])
    onehot = np.eye(10)[y_tr]
    m = [[np.zeros_like(p) for p in layer] for layer in params]
    v = [[np.zeros_like(p) for p in layer] for layer in params]
    for step in range(1, epochs + 1):
        grads = _gradients(params, X_tr, onehot, residual)
        for layer, grad, mm, vv in zip(params, grads, m, v):
            for j in range(2):
                mm[j] = 0.9 * mm[j] + 0.1 * grad[j]
                vv[j] = 0.999 * vv[j] + 0.001 * grad[j] ** 2
                layer[j] -= learning_rate * (mm[j] / (1 - 0.9**step)) / (np.sqrt(vv[j] / (1 - 0.999**step)) + 1e-8)
        if not np.isfinite(params[-1][0]).all():
            raise FloatingPointError(f"training diverged at step {step}; lower learning_rate")

    def accuracy(X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(_probabilities(params, _forward(params, X, residual)[0][-1]).argmax(axis=1) == y))

    states, _ = _forward(params, X_te, residual)
    layers = tuple(states) + (_probabilities(params, states[-1]),)
    return DigitMLP(residual, width, depth, seed, accuracy(X_tr, y_tr), accuracy(X_te, y_te), layers, y_te)

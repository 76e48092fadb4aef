"""Data that ships with the installed packages: no downloads, ever.

:func:`digit_networks` trains a small family of multilayer perceptrons on the
scikit-learn digits data set (1,797 8x8 images bundled with scikit-learn) and
returns their hidden-layer activations on held-out images.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ._validation import check_rng

__all__ = ["DigitNetwork", "DigitNetworks", "digit_networks", "DEFAULT_FAMILY"]

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
    """One trained network: its hidden activations on the test images."""

    widths: tuple
    seed: int
    shuffled_labels: bool
    train_accuracy: float
    test_accuracy: float
    layers: tuple  # hidden-layer activations, each (n_test, width)


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


def _hidden_activations(model: Any, X: np.ndarray) -> list[np.ndarray]:
    out, h = [], X
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
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
        nets[name] = DigitNetwork(
            widths=tuple(widths),
            seed=seed,
            shuffled_labels=shuffle,
            train_accuracy=float(model.score(X_tr, targets)),
            test_accuracy=float(model.score(X_te, y_te)),
            layers=tuple(_hidden_activations(model, X_te)),
        )
        if log is not None:
            net = nets[name]
            log(f"trained {name}: train accuracy {net.train_accuracy:.3f}, test accuracy {net.test_accuracy:.3f}")
    return DigitNetworks(inputs=X_te, labels=y_te, networks=nets)

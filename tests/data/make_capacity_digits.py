"""Build the digits layers used by the capacity reference tests (writes capacity_digits_mlp.npz).

scikit-learn's bundled digits (no download), pixels / 16, an
``MLPClassifier((128, 128), random_state=0, max_iter=300)`` fitted on all 1797
images; the weights are stored as float32 so that every machine rebuilds the
same layers.  ``digits_layers()`` returns the ten class manifolds (the first 50
images of each class, in data-set order) of the input and both ReLU layers.

Run:  python tests/data/make_capacity_digits.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
WEIGHTS = HERE / "capacity_digits_mlp.npz"
N_PER_CLASS = 50


def digits_layers(weights: Path = WEIGHTS) -> dict[str, np.ndarray]:
    """``{"input": (10, 50, 64), "hidden1": (10, 50, 128), "hidden2": (10, 50, 128)}`` float64 arrays."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rows = np.concatenate([np.flatnonzero(y == c)[:N_PER_CLASS] for c in range(10)])
    w = np.load(weights)
    h0 = X[rows] / 16.0
    h1 = np.maximum(h0 @ w["W1"].astype(float) + w["b1"].astype(float), 0.0)
    h2 = np.maximum(h1 @ w["W2"].astype(float) + w["b2"].astype(float), 0.0)
    return {name: h.reshape(10, N_PER_CLASS, -1) for name, h in [("input", h0), ("hidden1", h1), ("hidden2", h2)]}


def main() -> None:
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    clf = MLPClassifier((128, 128), random_state=0, max_iter=300).fit(X / 16.0, y)
    np.savez_compressed(WEIGHTS, W1=clf.coefs_[0].astype(np.float32), b1=clf.intercepts_[0].astype(np.float32),
                        W2=clf.coefs_[1].astype(np.float32), b2=clf.intercepts_[1].astype(np.float32))
    print(f"wrote {WEIGHTS} (train accuracy {clf.score(X / 16.0, y):.3f})")


if __name__ == "__main__":
    main()

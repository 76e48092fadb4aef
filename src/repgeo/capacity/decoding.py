"""Linear decodability of random manifold dichotomies (geometry beside read-out)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._result import Result
from .._validation import check_in_range, check_positive_int, check_rng
from ._manifolds import as_manifolds, stack_manifolds

__all__ = ["DecodabilityResult", "decodability"]


@dataclass(frozen=True, repr=False)
class DecodabilityResult(Result):
    """Held-out accuracy of a linear decoder on random manifold dichotomies.

    ``accuracy`` uses ``train_fraction`` of each manifold's points for training;
    ``few_shot_accuracy[i]`` trains on ``shots[i]`` points per manifold.
    Standard errors are over dichotomies.
    """

    accuracy: float
    accuracy_se: float
    shots: np.ndarray
    few_shot_accuracy: np.ndarray
    few_shot_se: np.ndarray
    n_dichotomies: int

    _dims = dict.fromkeys(("shots", "few_shot_accuracy", "few_shot_se"), "shots")
    _table = "shots"


def _fit_score(X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, ridge: float) -> float:
    """Held-out accuracy of a ridge classifier fitted on the ``train`` rows."""
    from sklearn.linear_model import RidgeClassifier

    clf = RidgeClassifier(alpha=ridge).fit(X[train], y[train])
    return clf.score(X[test], y[test])


def decodability(manifolds: Any, n_dichotomies: int = 20, rng: Any = None, *, train_fraction: float = 0.5,
                 shots: Any = (1, 5), ridge: float = 1.0) -> DecodabilityResult:
    """Linear-decoder accuracy on random dichotomies of whole manifolds.

    Each dichotomy is a random balanced labelling of the manifolds (a random
    permutation of ``P // 2`` labels ``+1`` and ``P - P // 2`` labels ``-1``, so
    not i.i.d. signs), splits every manifold's points at random into train and
    test, fits :class:`sklearn.linear_model.RidgeClassifier` and scores the
    held-out points.  Few-shot accuracy fits the same ridge classifier on ``s``
    random points per manifold and scores all remaining points; it is a plain
    linear read-out, not the prototype learner of Sorscher et al. (2022), whose
    theory links few-shot accuracy to manifold geometry.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((6, 20, 30)) + 10 * np.eye(30)[:6, None, :]
    >>> decodability(X, n_dichotomies=5, rng=0).accuracy > 0.9
    True
    """
    mans = as_manifolds(manifolds)
    n_dichotomies = check_positive_int(n_dichotomies, "n_dichotomies")
    train_fraction = check_in_range(train_fraction, "train_fraction", 0.0, 1.0, low_open=True, high_open=True)
    shots = np.array([check_positive_int(s, "shots") for s in np.atleast_1d(shots)], dtype=int)
    min_points = min(len(m) for m in mans)
    if min_points < 2 or (shots.size and shots.max() >= min_points):
        raise ValueError(
            f"every manifold needs at least 2 points and more than max(shots)={shots.max() if shots.size else 0}; "
            f"the smallest has {min_points}")
    gen = check_rng(rng)
    stacked = stack_manifolds(mans, center=False)
    X, owner = stacked.points, stacked.owner
    starts = np.concatenate([[0], np.cumsum(stacked.sizes)])
    scores = np.empty((n_dichotomies, 1 + shots.size))
    for d in range(n_dichotomies):
        signs = gen.permutation(np.resize([-1, 1], len(mans)))
        y = signs[owner]
        perms = [starts[i] + gen.permutation(len(m)) for i, m in enumerate(mans)]
        n_tr = [max(1, int(round(train_fraction * len(m)))) for m in mans]
        n_tr = [min(n, len(m) - 1) for n, m in zip(n_tr, mans)]
        splits = [n_tr] + [[s] * len(mans) for s in shots]
        for col, counts in enumerate(splits):
            train = np.concatenate([p[:c] for p, c in zip(perms, counts)])
            test = np.concatenate([p[c:] for p, c in zip(perms, counts)])
            scores[d, col] = _fit_score(X, y, train, test, ridge)
    se = scores.std(axis=0, ddof=1) / np.sqrt(n_dichotomies) if n_dichotomies > 1 else np.zeros(scores.shape[1])
    return DecodabilityResult(float(scores[:, 0].mean()), float(se[0]), shots, scores[:, 1:].mean(axis=0),
                              se[1:], n_dichotomies)

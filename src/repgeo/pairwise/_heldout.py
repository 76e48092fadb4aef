"""Cross-validated all-pairs: fit each pair on training samples, measure it on held-out samples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .._measure import Measure, MeasureInfo
from .._validation import as_float_array, check_matched_rows, check_matrix
from ._inputs import Source

__all__ = ["HeldOut"]


def _load(part: Any) -> Any:
    return part.load() if isinstance(part, Source) else part


def _same_units(train: Any, test: Any, name: str, layout: str = "matrix") -> None:
    # the axes after the samples must agree (features; for images also the spatial grid), except
    # for stochastic inputs, whose held-out conditions may have another number of repeats
    if layout == "stochastic":  # samples, or a (means, covariances) pair: units on the last axis
        a, b = (np.shape(x[0] if isinstance(x, (tuple, list)) else x)[-1:] for x in (train, test))
    else:
        a, b = np.shape(train)[1:], np.shape(test)[1:]
    if a != b:
        what = lambda s: " x ".join(map(str, s)) or "no"  # noqa: E731
        raise ValueError(
            f"{name} has {what(a)} features in train but {what(b)} in test; held-out samples must come from the same units"
        )


def _checked(X: Any, name: str, layout: str, min_samples: int) -> Any:
    """``X`` validated in the measure's input layout (matrices: also at least ``min_samples`` rows)."""
    if layout == "matrix":
        return check_matrix(X, name, min_samples=min_samples)
    if isinstance(X, (tuple, list)):  # a (means, covariances) pair: the measure validates it
        return X
    return as_float_array(X, name, layout=layout)


@dataclass(frozen=True)
class HeldOut(Measure):
    """``measure.fit(X_train, Y_train)(X_test, Y_test)`` as a measure over ``(train, test)`` pairs.

    The engine runs it like any measure, so held-out matrices get the same
    tiles, store and workers.  Where the measure has ``fit_prepared``
    (:class:`~repgeo.ShapeMetric`, the Gaussian and energy stochastic shape
    metrics), ``prepare`` prepares each network's
    training data once and a pair costs only the alignment; otherwise
    ``prepare`` only validates and each pair costs one ``fit``.
    """

    measure: Measure

    @property
    def info(self) -> MeasureInfo:
        inner = self.measure.info
        return MeasureInfo(
            name=f"held_out_{inner.name}",
            kind=inner.kind,
            metric=False,  # held-out distances need not satisfy the triangle inequality
            symmetric=inner.symmetric,
            invariances=frozenset(),
            input=inner.input,
            identity_value=None,
            bounds=inner.bounds,
            references=inner.references,
        )

    @property
    def releases_gil(self) -> bool:
        """As the wrapped measure (its ``fit`` does the same kind of work as its ``compare``)."""
        return self.measure.releases_gil

    def prepare(self, X: Any, name: str = "X") -> tuple:
        train, test = (_load(p) for p in X)
        layout = self.measure.info.input
        train = _checked(train, f"{name} (train)", layout, 3)
        test = _checked(test, f"{name} (test)", layout, 1)
        _same_units(train, test, name, layout)
        if hasattr(self.measure, "fit_prepared"):
            return self.measure.prepare(train, f"{name} (train)"), test
        return train, test

    def check_compatible(self, arrays: Sequence[Any], names: Sequence[str]) -> None:
        for (train, test), name in zip(arrays, names):
            _same_units(train, test, name, self.measure.info.input)
        check_matched_rows([a[0] for a in arrays], [f"{n} (train)" for n in names])
        check_matched_rows([a[1] for a in arrays], [f"{n} (test)" for n in names])
        if hasattr(self.measure, "fit_prepared"):  # what fit() would check on each pair's training data
            self.measure.check_compatible([a[0] for a in arrays], [f"{n} (train)" for n in names])

    def compare(self, a: tuple, b: tuple) -> float:
        if hasattr(self.measure, "fit_prepared"):
            return float(self.measure.fit_prepared(a[0], b[0])(a[1], b[1]))
        return float(self.measure.fit(a[0], b[0])(a[1], b[1]))

"""Cross-validated all-pairs: fit each pair on training samples, measure it on held-out samples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .._measure import Measure, MeasureInfo
from .._validation import check_matched_rows, check_matrix
from ._inputs import Source

__all__ = ["HeldOut"]


def _load(part: Any) -> Any:
    return part.load() if isinstance(part, Source) else part


def _same_units(train: Any, test: Any, name: str) -> None:
    a, b = np.shape(train)[1:], np.shape(test)[1:]
    if a != b:
        what = lambda s: " x ".join(map(str, s)) or "no"  # noqa: E731
        raise ValueError(
            f"{name} has {what(a)} features in train but {what(b)} in test; held-out samples must come from the same units"
        )


@dataclass(frozen=True)
class HeldOut(Measure):
    """``measure.fit(X_train, Y_train)(X_test, Y_test)`` as a measure over ``(train, test)`` pairs.

    The engine runs it like any measure, so held-out matrices get the same
    tiles, store and workers.  Where the measure has ``fit_prepared``
    (:class:`~repgeo.ShapeMetric`), ``prepare`` prepares each network's
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

    def prepare(self, X: Any, name: str = "X") -> tuple:
        train, test = (_load(p) for p in X)
        train = check_matrix(train, f"{name} (train)")
        test = check_matrix(test, f"{name} (test)", min_samples=1)
        _same_units(train, test, name)
        if hasattr(self.measure, "fit_prepared"):
            return self.measure.prepare(train, f"{name} (train)"), test
        return train, test

    def check_compatible(self, arrays: Sequence[Any], names: Sequence[str]) -> None:
        for (train, test), name in zip(arrays, names):
            _same_units(train, test, name)
        check_matched_rows([a[0] for a in arrays], [f"{n} (train)" for n in names])
        check_matched_rows([a[1] for a in arrays], [f"{n} (test)" for n in names])
        if hasattr(self.measure, "fit_prepared"):  # what fit() would check on each pair's training data
            self.measure.check_compatible([a[0] for a in arrays], [f"{n} (train)" for n in names])

    def compare(self, a: tuple, b: tuple) -> float:
        if hasattr(self.measure, "fit_prepared"):
            return float(self.measure.fit_prepared(a[0], b[0])(a[1], b[1]))
        return float(self.measure.fit(a[0], b[0])(a[1], b[1]))

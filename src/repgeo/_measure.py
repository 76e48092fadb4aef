"""The measure protocol: a frozen dataclass with ``prepare`` and ``compare``.

A measure turns two representations into one number.  Its class (or, for
measures whose claims depend on a hyperparameter, its instance) carries a
:class:`MeasureInfo` that states what the number is;
:func:`repgeo.testing.check_measure` checks every claim.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ._validation import LAYOUTS, check_matched_rows, check_matrix

__all__ = ["Measure", "MeasureInfo", "INVARIANCES", "INPUTS", "KINDS"]

#: Invariance vocabulary: the transforms a measure may claim to ignore when
#: applied to one argument.
INVARIANCES = frozenset(
    {"translation", "isotropic_scaling", "orthogonal", "permutation", "invertible_linear"}
)
#: Input layouts (see DESIGN.md section 1 and :data:`repgeo._validation.LAYOUTS`).
INPUTS = frozenset(LAYOUTS)
KINDS = frozenset({"distance", "similarity"})


@dataclass(frozen=True)
class MeasureInfo:
    """What a measure's number is.

    Parameters
    ----------
    name : str
        Family name, e.g. ``"shape_metric"``.
    kind : {"distance", "similarity"}
        Whether larger means farther apart or more alike.
    metric : bool
        The triangle inequality holds (and the measure is a symmetric,
        non-negative distance).  Only distances can be metrics.
    symmetric : bool
        ``m(X, Y) == m(Y, X)``.
    invariances : frozenset of str
        Transforms of one argument that leave the value unchanged, from
        :data:`INVARIANCES`.
    input : str
        Input layout from :data:`INPUTS`.
    backends : tuple of str
        Array libraries accepted natively (``"numpy"``, ``"torch"``).
    identity_value : float or None
        ``m(X, X)``; ``None`` when it depends on ``X`` (then the all-pairs
        engine computes the diagonal instead of filling it in).
    bounds : (float, float)
        The range the value can take.
    references : tuple of str
        Citations.
    """

    name: str
    kind: str
    metric: bool
    symmetric: bool
    invariances: frozenset = field(default_factory=frozenset)
    input: str = "matrix"
    backends: tuple = ("numpy",)
    identity_value: float | None = 0.0
    bounds: tuple = (0.0, np.inf)
    references: tuple = ()

    def problems(self) -> list[str]:
        """List the ways this claim is inconsistent (empty when it is sound)."""
        out = []
        if self.kind not in KINDS:
            out.append(f"kind must be 'distance' or 'similarity', got {self.kind!r}")
        if self.metric and self.kind != "distance":
            out.append("a similarity cannot be a metric; only distances satisfy the metric axioms")
        if self.metric and not self.symmetric:
            out.append("a metric must be symmetric")
        if self.metric and self.bounds[0] < 0:
            out.append(f"a metric is non-negative, but bounds are {self.bounds}")
        unknown = set(self.invariances) - INVARIANCES
        if unknown:
            out.append(f"unknown invariances {sorted(unknown)}; allowed: {sorted(INVARIANCES)}")
        if self.input not in INPUTS:
            out.append(f"input must be one of {sorted(INPUTS)}, got {self.input!r}")
        lo, hi = self.bounds
        if self.identity_value is not None and not lo <= self.identity_value <= hi:
            out.append(f"identity_value {self.identity_value} lies outside bounds {self.bounds}")
        return out


class Measure(ABC):
    """Base class of all measures.

    Subclasses are frozen dataclasses whose fields are hyperparameters.  They
    state what their number is in ``info`` (a class attribute, or a property
    when the claims depend on the hyperparameters), implement ``compare`` and
    usually ``prepare``; ``__call__`` validates, prepares both inputs and
    compares.  A subclass may add ``compare_pairs(lefts, rights) -> ndarray``
    (one value per pair of prepared inputs) that the all-pairs engine uses
    when batching pays.  CONTRIBUTING.md has the recipe for a new measure.
    """

    @property
    @abstractmethod
    def info(self) -> MeasureInfo:
        """What the number is: kind, metric, symmetry, invariances, input, bounds."""

    @property
    def releases_gil(self) -> bool:
        """Whether ``prepare`` and the pair/block paths spend their time in calls that release the GIL.

        ``True`` is a promise about where the time goes (NumPy/LAPACK/BLAS
        kernels: matrix products, decompositions), not about correctness:
        the all-pairs engine then runs this measure's work on threads of the
        calling process (prepared forms shared, nothing pickled, no pool to
        start) instead of worker processes.  ``False`` (the default) keeps
        worker processes, which suits work done in Python.
        """
        return False

    def prepare(self, X: Any, name: str = "X") -> Any:
        """Validate one representation and do the work that depends on it alone."""
        return check_matrix(X, name)

    @abstractmethod
    def compare(self, a: Any, b: Any) -> float:
        """Compare two prepared representations."""

    def check_compatible(self, arrays: Sequence[Any], names: Sequence[str]) -> None:
        """Check that raw inputs can be compared with each other (matched rows by default)."""
        check_matched_rows(arrays, names)

    def __call__(self, X: Any, Y: Any) -> float:
        """Return ``compare(prepare(X), prepare(Y))`` after checking each input and the pair."""
        a, b = self.prepare(X, "X"), self.prepare(Y, "Y")
        self.check_compatible([X, Y], ["X", "Y"])
        return float(self.compare(a, b))

"""Linear CKA accumulated over batches of samples, from sufficient statistics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._linalg import power_of_two_exponent
from .._validation import as_float_array, check_matched_rows, non_constant_columns
from .kernel import _check_hsic, _self_norm, _unbiased_rounding, hsic_unbiased

__all__ = ["StreamingLinearCKA", "StreamingCKAMatrix"]


def _block_sums(v: np.ndarray, starts: np.ndarray, axis: int) -> np.ndarray:
    return np.add.reduceat(v, starts, axis=axis)


def _rescale(moments: tuple, widths: tuple, old: list, new: list) -> tuple:
    """Moments in working units ``2**old`` (per model) re-expressed in units ``2**new`` (exact)."""
    shift = [0 if o is None or e is None else o - e for o, e in zip(old, new)]
    s = np.concatenate([np.full(w, np.ldexp(1.0, k)) for w, k in zip(widths, shift)])
    b = np.array([np.ldexp(1.0, 2 * k) for k in shift])
    n, mean, C, V, S, t, lo, hi = moments
    return (n, mean * s, C * np.outer(s, s), V * np.outer(b, s), S * np.outer(b, b), t * b, lo * s, hi * s)


class StreamingCKAMatrix:
    r"""Linear CKA between several models, accumulated over batches of stimuli.

    Each call to :meth:`update` passes one batch of the same stimuli through
    every model (``M`` arrays with matched rows); :meth:`value` returns the
    ``M x M`` matrix of linear CKA over all samples seen so far, equal to
    :class:`repgeo.LinearCKA` on the concatenated data (up to rounding).

    Parameters
    ----------
    hsic : {"biased", "unbiased"}, default "biased"
        As for :class:`repgeo.LinearCKA`.

    Notes
    -----
    Write ``z_i`` for sample ``i`` of all models' features side by side
    (``P = sum_m p_m`` columns), ``mu`` for the running mean and, per model
    ``m``, ``a_{im} = ||x^{(m)}_i - mu^{(m)}||^2`` (the diagonal of its centred
    Gram matrix).  The accumulator keeps ``n``, ``mu`` and the centred moments

    .. math::
        C = \sum_i (z_i-\mu)(z_i-\mu)^T,\quad
        V = \sum_i a_i (z_i-\mu)^T,\quad
        S = \sum_i a_i a_i^T,\quad t = \sum_i a_i .

    Biased CKA is ``||C_{xy}||_F^2 / (||C_{xx}||_F ||C_{yy}||_F)``; the
    unbiased HSIC of a pair is :func:`repgeo.measures.kernel.hsic_unbiased`
    with ``tr(K~L~) = ||C_xy||_F^2 - S_xy``, ``1^T K~ 1 = -t_x`` and
    ``(K~1)^T(L~1) = S_xy``.  A batch's moments are taken about its own
    mean and merged with the running ones by moving both to the pooled mean
    (Chan, Golub & LeVeque's update, extended to the third- and fourth-order
    terms ``V`` and ``S``): moving a set by ``d`` gives
    ``C' = C + n d d^T``, ``t' = t + n q``,
    ``V' = V - t d^T - 2 B C - n q d^T`` and
    ``S' = S - 2 (V B^T + B V^T) + t q^T + q t^T + 4 B C B^T + n q q^T``,
    where ``B`` holds each model's block of ``d`` in its row and
    ``q_m = ||d^{(m)}||^2``.  No raw (uncentred) sum is ever formed, so a
    common offset of ``1e6`` costs no more digits than the data's own
    rounding.  Each model's data are divided by a power of two at least as
    large as its largest entry seen so far (exact; CKA ignores scale; the
    moments held are rescaled when a batch raises it), which keeps fourth
    powers in float64's range.  Memory is ``P^2`` floats.

    This is the sample statistic of the whole data, not the average of
    per-batch CKAs (which is a different, batch-size-dependent number).

    References
    ----------
    Kornblith et al. (2019), ICML; Chan, Golub & LeVeque (1983), Algorithms
    for computing the sample variance, The American Statistician.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((90, 5)), rng.standard_normal((90, 3))
    >>> acc = rg.StreamingCKAMatrix()
    >>> for i in range(0, 90, 30):
    ...     _ = acc.update({"a": A[i:i + 30], "b": B[i:i + 30], "a2": 2 * A[i:i + 30]})
    >>> acc.value().round(6)[0].tolist()
    [1.0, 0.052085, 1.0]
    >>> round(rg.LinearCKA()(A, B), 6)
    0.052085
    """

    def __init__(self, hsic: str = "biased") -> None:
        _check_hsic(hsic)
        self.hsic = hsic
        self.labels: list[Any] | None = None
        self.n_samples = 0
        self._widths: tuple[int, ...] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(hsic={self.hsic!r})  # {self.n_samples} samples"

    # ------------------------------------------------------------------ accumulation

    def _as_batches(self, batches: Any) -> list[np.ndarray]:
        if isinstance(batches, Mapping):
            labels, arrays = list(batches.keys()), list(batches.values())
        elif isinstance(batches, (list, tuple)):
            labels, arrays = list(range(len(batches))), list(batches)
        else:
            raise TypeError(f"batches must be a list, tuple or dict of arrays; got {type(batches).__name__}")
        if len(arrays) < 1:
            raise ValueError("batches must hold at least one array; got none")
        names = [f"batches[{label!r}]" for label in labels]
        arrays = [as_float_array(a, nm, ndim=2) for a, nm in zip(arrays, names)]
        check_matched_rows(arrays, names)
        return self._in_working_units(labels, names, arrays)

    def _in_working_units(self, labels: list, names: list, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """Checked arrays (finite, 2-D, rows matched) brought to each model's working unit."""
        widths = tuple(a.shape[1] for a in arrays)
        seen = [power_of_two_exponent(a) if np.any(a) else None for a in arrays]
        if self._widths is None:
            self.labels, self._widths = labels, widths
            self._names = names
            self._exponents = [None] * len(arrays)
        elif labels != self.labels or widths != self._widths:
            raise ValueError(
                f"batches must keep the models and widths of the first batch, {dict(zip(self.labels, self._widths))}; "
                f"got {dict(zip(labels, widths))}"
            )
        self._raise_unit(seen)
        return [np.ldexp(a, -(e or 0)) for a, e in zip(arrays, self._exponents)]

    def _raise_unit(self, seen: list) -> None:
        """Make each model's working unit (a power of two) at least its largest entry seen.

        The moments held so far are rescaled exactly (by powers of two, never
        up), so every entry in working units stays below 1 and no product
        overflows, whichever batch holds the largest values.
        """
        new = [e if s is None else s if e is None else max(e, s) for e, s in zip(self._exponents, seen)]
        if self.n_samples and new != self._exponents:
            self._moments = _rescale(self._moments, self._widths, self._exponents, new)
        self._exponents = new

    def update(self, batches: Any) -> StreamingCKAMatrix:
        """Add one batch: a list or dict of ``(n_batch, p_m)`` arrays, one per model, rows matched.

        Returns the accumulator itself.
        """
        arrays = self._as_batches(batches)
        Z = np.concatenate(arrays, axis=1)
        self._merge(self._batch_moments(Z))
        return self

    def _batch_moments(self, Z: np.ndarray) -> tuple:
        starts = np.cumsum((0,) + self._widths[:-1])
        mean = Z.mean(axis=0)
        Zc = Z - mean
        A = _block_sums(Zc * Zc, starts, axis=1)  # (b, M): a_im
        lo, hi = Z.min(axis=0), Z.max(axis=0)
        return (Z.shape[0], mean, Zc.T @ Zc, A.T @ Zc, A.T @ A, A.sum(axis=0), lo, hi)

    def _shift(self, moments: tuple, d: np.ndarray) -> tuple:
        """The moments of a set about ``mean + d`` from those about its mean (see Notes)."""
        n, mean, C, V, S, t = moments[:6]
        starts = np.cumsum((0,) + self._widths[:-1])
        q = _block_sums(d * d, starts, axis=0)
        BC = _block_sums(d[:, None] * C, starts, axis=0)  # (M, P)
        BCB = _block_sums(BC * d, starts, axis=1)  # (M, M)
        VB = _block_sums(V * d, starts, axis=1)  # (M, M): (V B^T)
        S2 = S - 2.0 * (VB + VB.T) + np.outer(t, q) + np.outer(q, t) + 4.0 * BCB + n * np.outer(q, q)
        V2 = V - np.outer(t, d) - 2.0 * BC - n * np.outer(q, d)
        return (n, mean + d, C + n * np.outer(d, d), V2, S2, t + n * q)

    def _merge(self, batch: tuple) -> None:
        if self.n_samples == 0:
            self._moments, self.n_samples = batch, batch[0]
            return
        mine = self._moments
        n_a, n_b = mine[0], batch[0]
        n = n_a + n_b
        delta = batch[1] - mine[1]
        a = self._shift(mine, (n_b / n) * delta)
        b = self._shift(batch, -(n_a / n) * delta)
        pooled_mean = mine[1] + (n_b / n) * delta
        merged = (n, pooled_mean, a[2] + b[2], a[3] + b[3], a[4] + b[4], a[5] + b[5])
        lo, hi = np.minimum(mine[6], batch[6]), np.maximum(mine[7], batch[7])
        if not all(np.isfinite(m).all() for m in merged[1:]):
            raise ValueError(
                f"batches overflowed float64 when merged (working units 2**{self._exponents} per model); "
                "this should not happen, please report it"
            )
        self._moments, self.n_samples = merged + (lo, hi), n

    def merge(self, other: StreamingCKAMatrix) -> StreamingCKAMatrix:
        """Add the samples accumulated by ``other`` (e.g. on another worker); returns ``self``."""
        if not isinstance(other, StreamingCKAMatrix) or other.hsic != self.hsic:
            raise TypeError(f"other must be a {type(self).__name__} with hsic={self.hsic!r}; got {other!r}")
        if other.n_samples == 0:
            return self
        if self.n_samples and (other.labels != self.labels or other._widths != self._widths):
            raise ValueError(
                f"other must accumulate the same models and widths, {dict(zip(self.labels, self._widths))}; "
                f"got {dict(zip(other.labels, other._widths))}"
            )
        if self.n_samples == 0:
            self.labels, self._widths, self._names = other.labels, other._widths, other._names
            self._exponents = list(other._exponents)
        self._raise_unit(other._exponents)
        moments = _rescale(other._moments, self._widths, other._exponents, self._exponents)
        self._merge(moments)
        return self

    # ------------------------------------------------------------------ result

    def value(self) -> np.ndarray:
        """The ``(M, M)`` matrix of linear CKA over all samples seen so far.

        Raises ``ValueError`` before enough samples (3 biased, 4 unbiased),
        and for a model that is constant over the samples.
        """
        need = 4 if self.hsic == "unbiased" else 3
        if self.n_samples < need:
            held = " and ".join(self._names) + " hold" if self._widths is not None else "the accumulator holds"
            raise ValueError(
                f"{held} {self.n_samples} samples (rows) so far; value needs at least {need} for the "
                f"{self.hsic} estimator"
            )
        n, _, C, _, S, t, lo, hi = self._moments
        starts = np.cumsum((0,) + self._widths[:-1])
        F = _block_sums(_block_sums(C * C, starts, axis=0), starts, axis=1)  # ||C_xy||_F^2
        ends = np.cumsum(self._widths)
        for k, (s, e) in enumerate(zip(starts, ends)):
            non_constant_columns(np.stack([lo[s:e], hi[s:e]]), self._names[k])
        if self.hsic == "biased":
            H = F
            norms = [_self_norm(F[k, k], 0.0, self._names[k], self.hsic) for k in range(len(starts))]
            bounds = (0.0, 1.0)
        else:
            H = hsic_unbiased(F - S, -t[:, None], -t[None, :], S, n)
            norms = [
                _self_norm(H[k, k], _unbiased_rounding(F[k, k], t[k], t[k], S[k, k], n), self._names[k], self.hsic)
                for k in range(len(starts))
            ]
            bounds = (-1.0, 1.0)
        out = np.clip(H / np.outer(norms, norms), *bounds)
        np.fill_diagonal(out, 1.0)
        return out


class StreamingLinearCKA:
    r"""Linear CKA between two representations, accumulated over batches of samples.

    ``update(X_batch, Y_batch)`` adds matched rows; ``value()`` is the linear
    CKA of all rows seen so far, equal to ``repgeo.LinearCKA(hsic)(X, Y)`` on
    the stacked batches (to about ``1e-12``), whatever the batch sizes.  It
    is not an average of per-batch CKAs.  See :class:`StreamingCKAMatrix`
    (the many-model form) for the formulas.

    Parameters
    ----------
    hsic : {"biased", "unbiased"}, default "biased"

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 6)); Y = X @ rng.standard_normal((6, 4)) + rng.standard_normal((100, 4))
    >>> acc = rg.StreamingLinearCKA()
    >>> for i in range(0, 100, 7):
    ...     _ = acc.update(X[i:i + 7], Y[i:i + 7])
    >>> bool(abs(acc.value() - rg.LinearCKA()(X, Y)) < 1e-12)
    True
    """

    def __init__(self, hsic: str = "biased") -> None:
        self._acc = StreamingCKAMatrix(hsic)
        self.hsic = hsic

    def __repr__(self) -> str:
        return f"StreamingLinearCKA(hsic={self.hsic!r})  # {self.n_samples} samples"

    @property
    def n_samples(self) -> int:
        """Number of samples (rows) accumulated so far."""
        return self._acc.n_samples

    def update(self, X_batch: Any, Y_batch: Any) -> StreamingLinearCKA:
        """Add a batch of matched rows of ``X`` and ``Y``; returns the accumulator itself."""
        X_batch = as_float_array(X_batch, "X_batch", ndim=2)
        Y_batch = as_float_array(Y_batch, "Y_batch", ndim=2)
        check_matched_rows([X_batch, Y_batch], ["X_batch", "Y_batch"])
        if self._acc._widths is not None and (X_batch.shape[1], Y_batch.shape[1]) != self._acc._widths:
            raise ValueError(
                f"X_batch and Y_batch must keep the widths of the first batch, {self._acc._widths}; "
                f"got {(X_batch.shape[1], Y_batch.shape[1])}"
            )
        arrays = self._acc._in_working_units(["X", "Y"], ["X", "Y"], [X_batch, Y_batch])
        self._acc._merge(self._acc._batch_moments(np.concatenate(arrays, axis=1)))
        return self

    def merge(self, other: StreamingLinearCKA) -> StreamingLinearCKA:
        """Add the samples accumulated by ``other``; returns ``self``."""
        if not isinstance(other, StreamingLinearCKA):
            raise TypeError(f"other must be a StreamingLinearCKA; got {type(other).__name__}")
        self._acc.merge(other._acc)
        return self

    def value(self) -> float:
        """Linear CKA of all samples seen so far (ValueError before 3, or 4 unbiased, samples)."""
        return float(self._acc.value()[0, 1])

"""Convolutional shape metric: shape distance minimised over circular spatial shifts (Williams et al. 2021)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .._backend import namespace, to_host
from .._batched import stack_nuclear_norms
from .._measure import Measure, MeasureInfo
from .._registry import register
from .._linalg import NEAR_IDENTICAL, angular_from_cosine, centre_columns, euclidean_from_cosine
from .._validation import (
    as_float_array,
    check_choice,
    check_in_range,
    check_matched_rows,
    non_constant_columns,
    norm_in_data_units,
)
from .shape import ShapeAlignment, ShapeMetric, _input_eps, _Prepared as _FlatPrepared

__all__ = ["ConvShapeMetric", "ConvShapeAlignment"]

#: For near-identical pairs, shifts whose FFT cross-product nuclear norm is this close to the
#: best one are recomputed exactly (FFT rounding is ~1e-15 on unit-norm data).
_TIE = 1e-9


@dataclass(frozen=True)
class _ConvPrepared:
    flat: _FlatPrepared  # ShapeMetric's preparation of the (n*h*w, c) matrix
    grid: tuple  # (n, h, w)
    spectrum: Any  # (h, w//2 + 1, n, r): rfft2 of the whitened coordinates over the spatial axes (for tensor
    # input, this and flat.coords are tensors on the input's device)

    @property
    def coords(self) -> np.ndarray:
        return self.flat.coords.reshape(*self.grid, -1)


def as_conv(X: Any, name: str) -> np.ndarray:
    """A finite ``(n_images, height, width, channels)`` float array with at least 3 positions in all."""
    X = as_float_array(X, name, layout="conv")
    if X.shape[0] * X.shape[1] * X.shape[2] < 3:
        raise ValueError(f"{name} has {X.shape[0] * X.shape[1] * X.shape[2]} positions (images x height x width); "
                         "at least 3 are required")
    return X


@register("conv_shape_euclidean", score="euclidean")
@register("conv_shape")
@dataclass(frozen=True)
class ConvShapeMetric(Measure):
    r"""Shape metric between convolutional layers, minimised over circular spatial shifts.

    Parameters
    ----------
    alpha : float in [0, 1], default 1.0
        Partial whitening of the channels, as in :class:`ShapeMetric`.
    score : {"angular", "euclidean"}, default "angular"
    ridge : float >= 0, default 0.0
        As in :class:`ShapeMetric`.
    zero_pad : bool, default True
        Compare layers with different channel counts (the narrower one is
        zero-padded).  If False, unequal channel counts raise ``ValueError``.

    Notes
    -----
    Activations ``X`` of shape ``(n, h, w, c)`` are read as ``n h w``
    samples of ``c`` channels, centred and partially whitened over channels
    exactly as :class:`ShapeMetric` does (both are unchanged by a spatial
    shift, which only reorders the samples).  With ``A``, ``B`` the whitened,
    unit-norm activations and ``S_s B`` the circular shift of ``B`` by ``s``
    over the two spatial axes,

    .. math::
        d_\angle(X, Y) = \min_{s} \min_{Q \in O(c)} \arccos \langle A, S_s B Q \rangle
                       = \arccos \max_s \|C_s\|_*, \qquad
        C_s = \sum_{i, p} A_{i p}^T B_{i, p + s}.

    Shifts and channel rotations act by isometries, so the minimum over their
    group is a metric.  All ``h w`` cross-products ``C_s`` come from one FFT
    correlation over the spatial axes (``h (w/2 + 1)`` products of
    ``c x n`` by ``n x c`` matrices, instead of ``h w`` products over all
    ``n h w`` samples); the nuclear norms of the ``C_s`` are taken in one
    batched SVD.  Near-identical pairs (cosine above ``1 - 1e-4``) are
    recomputed exactly by :class:`ShapeMetric` from the aligned residual at
    the best shift (and any within ``1e-9`` of it), keeping full relative
    precision.  Each layer's whitening is computed once, from the SVD of the
    R factor of its flattened activations.  Both layers must have the
    same spatial size: resize or pool one of them first (a shift group of
    different sizes has no common action).

    Torch tensors (CPU or CUDA) are checked and centred on the host; the QR
    and SVD of the channels, the coordinates, their spectra and each pair's
    FFT correlation and batched SVD run on the tensors' device in float64.

    References
    ----------
    Williams, Kunz, Kornblith & Linderman (2021). Generalized shape metrics on
    neural representations. NeurIPS.

    Examples
    --------
    >>> import numpy as np, repgeo as rg
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((20, 6, 6, 4))
    >>> Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    >>> Y = np.roll(X, (2, -1), axis=(1, 2)) @ Q
    >>> round(rg.ConvShapeMetric()(X, Y), 6)
    0.0
    >>> rg.ConvShapeMetric().fit(X, Y).shift
    (-2, 1)
    """

    alpha: float = 1.0
    score: str = "angular"
    ridge: float = 0.0
    zero_pad: bool = True

    def __post_init__(self) -> None:
        check_in_range(self.alpha, "alpha", 0.0, 1.0)
        check_choice(self.score, "score", ("angular", "euclidean"))
        check_in_range(self.ridge, "ridge", 0.0, np.inf, high_open=True)
        check_choice(self.zero_pad, "zero_pad", (True, False))

    @property
    def _shape(self) -> ShapeMetric:
        return ShapeMetric(alpha=self.alpha, score=self.score, ridge=self.ridge)

    @property
    def info(self) -> MeasureInfo:  # type: ignore[override]
        return dataclasses.replace(self._shape.info, name="conv_shape_metric", input="conv")

    def check_compatible(self, arrays: Sequence[Any], names: Sequence[str]) -> None:
        """Matched images, equal spatial sizes, and equal channel counts unless ``zero_pad``."""
        check_matched_rows(arrays, names)
        shapes = [tuple(int(d) for d in np.shape(a)) for a in arrays]  # plain tuples, also for torch.Size
        first, name0 = shapes[0], names[0]
        for shape, nm in zip(shapes[1:], names[1:]):
            if len(shape) != 4 or len(first) != 4:
                continue
            if shape[1:3] != first[1:3]:
                raise ValueError(
                    f"{name0} has spatial size {first[1:3]} but {nm} has {shape[1:3]}; circular shifts need "
                    "equal spatial sizes (resize or pool one layer first)"
                )
            if not self.zero_pad and shape[3] != first[3]:
                raise ValueError(
                    f"{name0} has {first[3]} channels but {nm} has {shape[3]}; channel counts must match "
                    "when zero_pad=False"
                )

    def prepare(self, X: Any, name: str = "X") -> _ConvPrepared:
        eps = max(_input_eps(X), np.finfo(float).eps)
        # a tensor is checked and centred on the host; the QR, the SVD, the coordinates and their spectrum
        # are computed and kept on its device in float64, where the pairs' FFT correlations and SVDs run
        xp = namespace(X)
        X = as_conv(X, name)
        n, h, w, c = X.shape
        flat = X.reshape(n * h * w, c)
        non_constant_columns(flat, name)
        Xc, e, mean = centre_columns(flat)  # centred at unit scale by powers of two: no overflow, any scale
        # The singular values and right vectors of Xc are those of its R factor (Householder QR is
        # backward stable), at half the cost of the SVD of the tall matrix ShapeMetric would take.
        Xc = xp.asarray(Xc)
        _, s, Vt = xp.svd(xp.qr_r(Xc) if Xc.shape[0] > c else Xc, full_matrices=False)
        s, Vt = xp.to_numpy(s), xp.to_numpy(Vt)  # c numbers and a c x c matrix: the gains on the host
        keep = s > max(Xc.shape) * eps * s[0]  # ShapeMetric's rank rule
        s, V = s[keep], Vt[keep].T
        gains, norm = self._shape.whitening(s, Xc.shape, name)
        to_coords = V * (gains / norm)
        coords = Xc @ xp.asarray(to_coords)
        with np.errstate(under="ignore"):
            to_coords = np.ldexp(to_coords, -int(e))
        prepared = _FlatPrepared(coords, mean, to_coords, norm_in_data_units(norm, int(e), name, euclidean=self.score == "euclidean"))
        # (h, w//2+1, n, r): one (n x r) matrix per spatial frequency, ready for batched products
        spectrum = xp.rfft2(coords.reshape(n, h, w, -1), axes=(1, 2))
        return _ConvPrepared(prepared, (n, h, w), xp.contiguous(xp.permute_dims(spectrum, (1, 2, 0, 3))))

    def shift_cosines(self, a: _ConvPrepared, b: _ConvPrepared) -> np.ndarray:
        """``max_Q <A, S_s B Q>`` for every shift, as an ``(h, w)`` array indexed by the roll applied to ``B``."""
        _, h, w = a.grid
        xp = namespace(a.spectrum, b.spectrum)  # an array's spectrum joins a tensor's device (complex kept)
        A, B = xp.asarray(a.spectrum), xp.asarray(b.spectrum)
        cross = xp.irfft2(A.conj().swapaxes(-1, -2) @ B, s=(h, w), axes=(0, 1))
        # cross[s] = sum_p A[p]^T B[p + s], i.e. the cross-product with B rolled by -s
        nuc = stack_nuclear_norms(cross.reshape(h * w, *cross.shape[2:]), xp)
        return np.roll(nuc.reshape(h, w)[::-1, ::-1], (1, 1), axis=(0, 1))

    def _best(self, a: _ConvPrepared, b: _ConvPrepared) -> tuple[float, tuple[int, int]]:
        cos = self.shift_cosines(a, b)
        i, j = np.unravel_index(int(np.argmax(cos)), cos.shape)
        best = float(cos[i, j])
        if best <= NEAR_IDENTICAL:  # FFT rounding (~1e-15) is far below what arccos resolves here
            if self.score == "angular":
                value = float(angular_from_cosine(best))
            else:
                value = float(euclidean_from_cosine(a.flat.norm, b.flat.norm, best))
            return value, _centred_shift(int(i), int(j), a.grid[1:])
        # near-identical: ShapeMetric recomputes from the aligned residual; settle near-ties exactly too
        out = (np.inf, (0, 0))
        for i, j in np.argwhere(cos >= best - _TIE):
            rolled = np.roll(to_host(b.coords), (int(i), int(j)), axis=(1, 2)).reshape(-1, b.coords.shape[-1])
            value = self._shape.compare(a.flat, dataclasses.replace(b.flat, coords=rolled))
            if value < out[0]:
                out = (value, _centred_shift(int(i), int(j), a.grid[1:]))
        return out

    def compare(self, a: _ConvPrepared, b: _ConvPrepared) -> float:
        return self._best(a, b)[0]

    def fit(self, X: Any, Y: Any) -> "ConvShapeAlignment":
        """Fit the best spatial shift and channel alignment on ``(X, Y)``.

        Returns a frozen :class:`ConvShapeAlignment`; calling it on held-out
        images of both layers gives a cross-validated distance.
        """
        a, b = self.prepare(X, "X"), self.prepare(Y, "Y")
        self.check_compatible([X, Y], ["X", "Y"])
        distance, shift = self._best(a, b)
        Xa, Ya = as_conv(X, "X"), np.roll(as_conv(Y, "Y"), shift, axis=(1, 2))
        flat = self._shape.fit(Xa.reshape(-1, Xa.shape[-1]), Ya.reshape(-1, Ya.shape[-1]))
        return ConvShapeAlignment(shift=shift, spatial=Xa.shape[1:3], alignment=flat, distance=distance)


def _centred_shift(i: int, j: int, spatial: tuple) -> tuple[int, int]:
    """A roll in ``[0, h) x [0, w)`` written in ``(-h/2, h/2] x (-w/2, w/2]``."""
    h, w = spatial
    return (i - h if i > h // 2 else i, j - w if j > w // 2 else j)


@dataclass(frozen=True, eq=False)
class ConvShapeAlignment:
    """A fitted convolutional alignment: roll ``Y`` by ``shift``, then the channel maps.

    Attributes
    ----------
    shift : (int, int)
        The roll ``np.roll(Y, shift, axis=(1, 2))`` that best matches ``X``.
    spatial : (int, int)
        The spatial size the fit saw.
    alignment : ShapeAlignment
        The channel maps fitted on the flattened, shifted activations.
    distance : float
        The training distance.
    """

    shift: tuple
    spatial: tuple
    alignment: ShapeAlignment
    distance: float

    def __call__(self, X: Any, Y: Any) -> float:
        """Distance between held-out images of both layers, with the fitted shift and maps."""
        X, Y = as_conv(X, "X"), as_conv(Y, "Y")
        for arr, nm in ((X, "X"), (Y, "Y")):
            if arr.shape[1:3] != tuple(self.spatial):
                raise ValueError(f"{nm} has spatial size {arr.shape[1:3]} but the fit saw {tuple(self.spatial)}")
        check_matched_rows([X, Y], ["X", "Y"])
        Y = np.roll(Y, self.shift, axis=(1, 2))
        return self.alignment(X.reshape(-1, X.shape[-1]), Y.reshape(-1, Y.shape[-1]))

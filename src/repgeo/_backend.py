"""The gap between NumPy and PyTorch: the few array operations they spell differently.

Numerical kernels written against a namespace ``xp = namespace(x, y)`` run
unchanged on NumPy arrays and on torch tensors (CPU or CUDA).  ``xp`` is
:data:`NUMPY`, whose operations are NumPy's own functions (the NumPy path
pays nothing for the indirection), or a :class:`TorchNamespace` bound to the
tensors' device, which creates every new tensor there in float64.
Arithmetic, comparison, indexing, slice assignment, ``@``, ``.sum(axis=)``,
``.all(axis=)``, ``.any()``, ``.reshape`` and ``.swapaxes`` are spelled alike
by both libraries and are used directly; everything else goes through the
namespace.

This module never imports torch: an object is a tensor only if torch has
already been imported by whoever made it.  No global state is switched; the
backend follows the arguments of each call.

Examples
--------
>>> import numpy as np
>>> xp = namespace(np.ones(3))
>>> xp.name, float(xp.vector_norm(xp.asarray([3.0, 4.0]), axis=-1))
('numpy', 5.0)
"""

from __future__ import annotations

import contextlib
import functools
import sys
from typing import Any

import numpy as np

from ._linalg import blocks as cache_blocks
from ._linalg import inv_upper_triangular

__all__ = ["NUMPY", "NumpyNamespace", "TorchNamespace", "is_tensor", "namespace"]

#: Functions that both libraries provide under the same name with the same meaning for the
#: arguments the kernels pass (``stack``/``concatenate`` take ``axis=`` in both).
_SHARED = (
    "abs", "sqrt", "log", "exp", "hypot", "where", "clip", "maximum", "minimum",
    "isfinite", "isnan", "isinf", "einsum", "broadcast_to", "stack", "concatenate", "zeros_like",
)

#: Bytes per block of points on a GPU (:meth:`TorchNamespace.blocks`): large, to keep kernel
#: launches few, and bounded, so that a block's temporaries never crowd the device memory.
GPU_BLOCK_BYTES = 1 << 28


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a torch tensor (False whenever torch has not been imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def namespace(*arrays: Any) -> "NumpyNamespace | TorchNamespace":
    """The namespace for computing on ``arrays``: torch if any is a tensor, else NumPy.

    Non-tensor arguments (arrays, lists) join the tensors' device.  Tensors
    on different devices raise ``ValueError``.
    """
    devices = {str(a.device) for a in arrays if is_tensor(a)}
    if not devices:
        return NUMPY
    if len(devices) > 1:
        raise ValueError(
            f"the tensors are on different devices ({', '.join(sorted(devices))}); move them to one device"
        )
    return _torch_namespace(devices.pop())


class _Shared:
    def __init__(self, lib: Any) -> None:
        for name in _SHARED:
            setattr(self, name, getattr(lib, name))


class NumpyNamespace(_Shared):
    """NumPy under the namespace's names (float64 throughout)."""

    name = "numpy"
    is_torch = False

    def __init__(self) -> None:
        super().__init__(np)
        self.eigvalsh, self.eigh, self.inv_upper = np.linalg.eigvalsh, np.linalg.eigh, inv_upper_triangular
        self.errstate = np.errstate

    # creation and conversion
    def asarray(self, x: Any) -> np.ndarray:
        """``x`` as an array (tensors come to the CPU); floating data becomes float64."""
        if is_tensor(x):
            x = x.detach().cpu().numpy()
        x = np.asarray(x)
        return x.astype(np.float64, copy=False) if np.issubdtype(x.dtype, np.floating) else x

    def as_float64(self, x: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
        return np.ascontiguousarray(x, dtype=dtype)

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def empty(self, shape: tuple) -> np.ndarray:
        return np.empty(shape)

    def zeros(self, shape: tuple) -> np.ndarray:
        return np.zeros(shape)

    def ones(self, shape: tuple) -> np.ndarray:
        return np.ones(shape)

    def eye(self, m: int) -> np.ndarray:
        return np.eye(m)

    def index(self, i: np.ndarray) -> np.ndarray:
        """An integer index array, where the data lives."""
        return i

    def blocks(self, n: int, m: int) -> list[slice]:
        """Cache-sized blocks of ``n`` points of ``m x m`` matrices (:func:`repgeo._linalg.blocks`)."""
        return cache_blocks(n, m)

    # reductions and elementwise forms
    def amax(self, x: np.ndarray, axis: Any) -> np.ndarray:
        return np.max(x, axis=axis)

    def amin(self, x: np.ndarray, axis: Any) -> np.ndarray:
        return np.min(x, axis=axis)

    def diagonal(self, x: np.ndarray) -> np.ndarray:
        """The diagonals of a stack of matrices (last two axes)."""
        return np.diagonal(x, axis1=-2, axis2=-1)

    def divide_or(self, num: np.ndarray, den: np.ndarray, fill: float) -> np.ndarray:
        """``num / den`` where ``den > 0``, ``fill`` elsewhere (no warning)."""
        return np.divide(num, den, out=np.full(np.shape(num), fill), where=den > 0)

    def vector_norm(self, x: np.ndarray, axis: int) -> np.ndarray:
        return np.linalg.norm(x, axis=axis)

    def matrix_norm(self, x: np.ndarray) -> np.ndarray:
        """Frobenius norms over the last two axes (one fused pass; squares, as ``numpy.linalg.norm`` does)."""
        return np.sqrt(np.einsum("...ij,...ij->...", x, x))

    # linear algebra on stacks
    def cholesky(self, G: np.ndarray) -> np.ndarray:
        """Lower Cholesky factors; ``numpy.linalg.LinAlgError`` if any matrix is not positive definite."""
        return np.linalg.cholesky(G)

    def qr_r(self, A: np.ndarray) -> np.ndarray:
        return np.linalg.qr(A, mode="r")

    def svd(self, A: np.ndarray) -> tuple:
        return np.linalg.svd(A)

    def svdvals_ascending(self, A: np.ndarray) -> np.ndarray:
        return np.linalg.svd(A, compute_uv=False)[..., ::-1]

    def matmul(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """``A @ B`` of stacks; ``(B^T A^T)^T`` (a transposed view) when both are transposed C-contiguous stacks.

        A transposed pair (Cholesky factors ``L.swapaxes(-1, -2)`` and their
        inverses) is 2x slower as it stands than as the product of the
        underlying contiguous stacks.
        """
        At, Bt = A.swapaxes(-1, -2), B.swapaxes(-1, -2)
        if At.flags.c_contiguous and Bt.flags.c_contiguous and not (A.flags.c_contiguous and B.flags.c_contiguous):
            return (Bt @ At).swapaxes(-1, -2)
        return A @ B

    def sv_square(self, M: np.ndarray) -> np.ndarray:
        """A symmetric stack whose eigenvalues are the squared singular values of square ``M``.

        ``M^T M``, or ``M M^T`` when ``M`` is a transposed view of a C-contiguous
        stack (see :meth:`matmul`), each as a general product of the contiguous
        stack with a copy of itself: NumPy sends ``X.T @ X`` on one buffer to
        ``syrk`` and then mirrors the triangle element by element, 2-4x slower
        for small matrices.
        """
        X = M.swapaxes(-1, -2) if (M.swapaxes(-1, -2).flags.c_contiguous and not M.flags.c_contiguous) else M
        return X.copy().swapaxes(-1, -2) @ X


class TorchNamespace(_Shared):
    """torch on one device, float64, under the namespace's names (torch imported on creation)."""

    name = "torch"
    is_torch = True

    def __init__(self, device: str) -> None:
        import torch

        super().__init__(torch)
        self.torch, self.device = torch, torch.device(device)
        self.eigvalsh, self.eigh = torch.linalg.eigvalsh, torch.linalg.eigh

    def errstate(self, **kwargs: Any) -> contextlib.nullcontext:
        """torch never warns on overflow or division by zero."""
        return contextlib.nullcontext()

    # creation and conversion
    def asarray(self, x: Any) -> Any:
        """``x`` as a tensor on the device; floating data becomes float64."""
        t = x.detach() if is_tensor(x) else self.torch.as_tensor(np.asarray(x))
        t = t.to(self.device)
        return t.to(self.torch.float64) if t.is_floating_point() else t

    def as_float64(self, x: Any, dtype: Any = None) -> Any:
        """A contiguous float64 tensor on the device (``dtype`` is ignored: torch work is float64)."""
        t = x if is_tensor(x) else self.torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
        return t.to(device=self.device, dtype=self.torch.float64).contiguous()

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy() if is_tensor(x) else np.asarray(x)

    def empty(self, shape: tuple) -> Any:
        return self.torch.empty(shape, dtype=self.torch.float64, device=self.device)

    def zeros(self, shape: tuple) -> Any:
        return self.torch.zeros(shape, dtype=self.torch.float64, device=self.device)

    def ones(self, shape: tuple) -> Any:
        return self.torch.ones(shape, dtype=self.torch.float64, device=self.device)

    def eye(self, m: int) -> Any:
        return self.torch.eye(m, dtype=self.torch.float64, device=self.device)

    def index(self, i: np.ndarray) -> Any:
        return self.torch.as_tensor(i, device=self.device)

    def blocks(self, n: int, m: int) -> list[slice]:
        """Cache-sized blocks on the CPU; on a GPU, blocks of :data:`GPU_BLOCK_BYTES` per stack."""
        if self.device.type == "cpu":
            return cache_blocks(n, m)
        step = max(64, GPU_BLOCK_BYTES // (8 * m * m))
        return [slice(i, min(i + step, n)) for i in range(0, n, step)]

    # reductions and elementwise forms
    def amax(self, x: Any, axis: Any) -> Any:
        return self.torch.amax(x, dim=axis)

    def amin(self, x: Any, axis: Any) -> Any:
        return self.torch.amin(x, dim=axis)

    def diagonal(self, x: Any) -> Any:
        return self.torch.diagonal(x, dim1=-2, dim2=-1)

    def divide_or(self, num: Any, den: Any, fill: float) -> Any:
        return self.torch.where(den > 0, num / den, fill)

    def vector_norm(self, x: Any, axis: int) -> Any:
        return self.torch.linalg.vector_norm(x, dim=axis)

    def matrix_norm(self, x: Any) -> Any:
        return self.torch.linalg.matrix_norm(x)

    # linear algebra on stacks
    def cholesky(self, G: Any) -> Any:
        """Lower Cholesky factors, NaN at the matrices that are not positive definite (never raises)."""
        L, info = self.torch.linalg.cholesky_ex(G)
        return self.torch.where((info > 0)[:, None, None], float("nan"), L)

    def qr_r(self, A: Any) -> Any:
        return self.torch.linalg.qr(A, mode="r")[1]

    def inv_upper(self, R: Any) -> Any:
        eye = self.eye(R.shape[-1]).expand_as(R)
        return self.torch.linalg.solve_triangular(R, eye, upper=True)

    def svd(self, A: Any) -> tuple:
        return self.torch.linalg.svd(A)

    def svdvals_ascending(self, A: Any) -> Any:
        return self.torch.linalg.svdvals(A).flip(-1)

    def matmul(self, A: Any, B: Any) -> Any:
        return A @ B

    def sv_square(self, M: Any) -> Any:
        return M.mT @ M


NUMPY = NumpyNamespace()


@functools.lru_cache(maxsize=None)
def _torch_namespace(device: str) -> TorchNamespace:
    return TorchNamespace(device)

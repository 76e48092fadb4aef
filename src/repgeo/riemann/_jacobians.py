"""Jacobians of torch callables by automatic differentiation (torch imported on first use)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._backend import is_tensor
from .._validation import as_float_array, check_choice, check_positive_int

__all__ = ["jacobians"]

#: Default bytes that one vectorised batch of :func:`jacobians` may hold in intermediates.
MEMORY_BUDGET = 1 << 26


def import_torch() -> Any:
    """Import torch, or raise an ``ImportError`` that names the extra to install."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(
            'repgeo.riemann.jacobians needs PyTorch; install it with pip install "repgeo[torch]"'
        ) from exc
    return torch


def _probe(torch: Any, f: Callable[[Any], Any], u0: Any) -> tuple[tuple, int]:
    """Output shape of ``f`` at one point, and the number of tensor elements its operations create."""

    class Count(torch.overrides.TorchFunctionMode):
        elements = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            out = func(*args, **(kwargs or {}))
            for t in out if isinstance(out, (tuple, list)) else (out,):
                if isinstance(t, torch.Tensor):
                    Count.elements += t.numel()
            return out

    with torch.no_grad(), Count():
        out = f(u0)
    return tuple(torch.as_tensor(out).shape), Count.elements


def plan_chunks(out_size: int, activations: int, m: int, mode: str, itemsize: int, budget: int) -> int:
    """Points per vectorised batch so that its estimated memory stays within ``budget`` bytes.

    One point costs about ``itemsize * (A (1 + k) + S m)`` bytes: its ``A``
    intermediate elements (the point and everything ``f`` creates from it),
    each carried with ``k`` derivative copies (``k = m`` tangents in forward
    mode, ``k = S`` cotangents in reverse mode), plus its Jacobian block
    (``S`` outputs times ``m`` inputs).

    Examples
    --------
    >>> plan_chunks(out_size=1, activations=259, m=2, mode="forward", itemsize=8, budget=1 << 26)  # 2-64-64-1 MLP
    10768
    """
    k = m if mode == "forward" else out_size
    per_point = itemsize * (max(activations, out_size + m) * (1 + k) + out_size * m)
    return max(1, budget // per_point)


def jacobians(
    f: Callable[[Any], Any],
    points: Any,
    *,
    mode: str = "auto",
    chunk_size: int | None = None,
    memory_budget: int = MEMORY_BUDGET,
    dtype: str = "float64",
) -> Any:
    r"""Jacobians ``df/du`` of a torch callable at many input-manifold points.

    Parameters
    ----------
    f : callable
        Maps one chart point ``u`` (a tensor of shape ``(m,)``) to a tensor of
        any shape ``S``: a layer's activations ``(n,)``, an RNN trajectory
        ``(n_time, n)``, logits.  It is vectorised with :func:`torch.func.vmap`,
        so it must be written per point (``torch.nn.Linear`` and friends accept
        1-D inputs).
    points : array_like or tensor of shape (n_points, m)
        Chart coordinates where the Jacobians are evaluated.  A tensor's device
        is where the work runs (the model's parameters must be there too);
        arrays run on the CPU.
    mode : {"auto", "forward", "reverse"}
        ``"forward"`` uses :func:`torch.func.jacfwd` (``m`` Jacobian-vector
        products per point: the right choice for a low-dimensional input
        manifold), ``"reverse"`` :func:`torch.func.jacrev`; ``"auto"`` picks
        forward when ``m`` is at most the output size.
    chunk_size : int, optional
        Points per vectorised batch.  ``None`` (default) sizes the batches by
        ``memory_budget`` (see Notes).
    memory_budget : int, default 2**26 (64 MiB)
        Bytes that one batch's intermediates may take, when ``chunk_size`` is
        None.
    dtype : {"float64", "float32"}
        Dtype of the points; the model's parameters must match (``model.double()``).

    Returns
    -------
    ndarray of shape ``(n_points, *S, m)``, float64
        A float64 tensor on the points' device when ``points`` is a tensor.

    Notes
    -----
    Forward mode costs ``m`` JVPs per point and reverse mode one VJP per
    output, so forward mode wins for ``m << n``; both give the same values to
    rounding.

    Memory: the points go through ``vmap`` in batches written into one
    preallocated result, so the peak is the result plus one batch.  The batch
    size comes from :func:`plan_chunks`: ``f`` runs once at the first point
    while every torch operation's output is counted (``A`` elements), and one
    point is estimated at ``itemsize * (A (1 + k) + S m)`` bytes with ``k =
    m`` (forward) or ``k = S`` (reverse).  The estimate ignores temporaries
    inside torch's derivative formulas; measured peaks stay within about
    twice the budget (``benchmarks/bench_jacobians.py``).

    Examples
    --------
    >>> import numpy as np
    >>> import torch  # doctest: +SKIP
    >>> J = jacobians(lambda u: torch.stack([u[0] * u[1], u[1] ** 2]), np.array([[1.0, 2.0]]))  # doctest: +SKIP
    >>> J[0]  # doctest: +SKIP
    array([[2., 1.],
           [0., 4.]])
    """
    torch = import_torch()
    check_choice(mode, "mode", ("auto", "forward", "reverse"))
    check_choice(dtype, "dtype", ("float64", "float32"))
    if chunk_size is not None:
        chunk_size = check_positive_int(chunk_size, "chunk_size")
    memory_budget = check_positive_int(memory_budget, "memory_budget")
    as_tensor = is_tensor(points)
    device = points.device if as_tensor else torch.device("cpu")
    U = as_float_array(points, "points", ndim=2)
    u = torch.as_tensor(U, dtype=getattr(torch, dtype), device=device)
    n, m = U.shape
    out_shape, activations = _probe(torch, f, u[0])
    out_size = int(np.prod(out_shape))
    if mode == "auto":
        mode = "forward" if m <= out_size else "reverse"
    if chunk_size is None:
        itemsize = torch.finfo(u.dtype).bits // 8
        chunk_size = plan_chunks(out_size, activations + m, m, mode, itemsize, memory_budget)
    jac = torch.func.vmap(torch.func.jacfwd(f) if mode == "forward" else torch.func.jacrev(f))
    shape = (n, *out_shape, m)
    J = torch.empty(shape, dtype=torch.float64, device=device) if as_tensor else np.empty(shape)
    with torch.no_grad():  # no graph towards the parameters: the transforms still differentiate f
        for start in range(0, n, chunk_size):
            block = jac(u[start : start + chunk_size]).to(torch.float64)
            J[start : start + chunk_size] = block if as_tensor else block.cpu().numpy()
    return J

"""Jacobians of torch callables by automatic differentiation (torch imported on first use)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._validation import as_float_array, check_choice, check_positive_int

__all__ = ["jacobians"]


def import_torch() -> Any:
    """Import torch, or raise an ``ImportError`` that names the extra to install."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise ImportError(
            'repgeo.riemann.jacobians needs PyTorch; install it with pip install "repgeo[torch]"'
        ) from exc
    return torch


def jacobians(
    f: Callable[[Any], Any],
    points: Any,
    *,
    mode: str = "auto",
    chunk_size: int | None = None,
    dtype: str = "float64",
) -> np.ndarray:
    r"""Jacobians ``df/du`` of a torch callable at many input-manifold points.

    Parameters
    ----------
    f : callable
        Maps one chart point ``u`` (a tensor of shape ``(m,)``) to a tensor of
        any shape ``S``: a layer's activations ``(n,)``, an RNN trajectory
        ``(n_time, n)``, logits.  It is vectorised with :func:`torch.func.vmap`,
        so it must be written per point (``torch.nn.Linear`` and friends accept
        1-D inputs).
    points : array_like of shape (n_points, m)
        Chart coordinates where the Jacobians are evaluated.
    mode : {"auto", "forward", "reverse"}
        ``"forward"`` uses :func:`torch.func.jacfwd` (``m`` Jacobian-vector
        products per point: the right choice for a low-dimensional input
        manifold), ``"reverse"`` :func:`torch.func.jacrev`; ``"auto"`` picks
        forward when ``m`` is at most the output size.
    chunk_size : int, optional
        Points per vectorised batch (bounds memory); ``None`` does all at once.
    dtype : {"float64", "float32"}
        Dtype of the points; the model's parameters must match (``model.double()``).

    Returns
    -------
    ndarray of shape (n_points, *S, m), float64

    Notes
    -----
    Forward mode costs ``m`` JVPs per point and reverse mode one VJP per
    output, so forward mode wins for ``m << n``; both give the same values to
    rounding.

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
    U = as_float_array(points, "points", ndim=2)
    check_choice(mode, "mode", ("auto", "forward", "reverse"))
    check_choice(dtype, "dtype", ("float64", "float32"))
    if chunk_size is not None:
        chunk_size = check_positive_int(chunk_size, "chunk_size")
    u = torch.as_tensor(U, dtype=getattr(torch, dtype))
    if mode == "auto":
        with torch.no_grad():
            size = int(torch.as_tensor(f(u[0])).numel())
        mode = "forward" if U.shape[1] <= size else "reverse"
    jac = torch.func.jacfwd(f) if mode == "forward" else torch.func.jacrev(f)
    J = torch.func.vmap(jac, chunk_size=chunk_size)(u)
    return J.detach().cpu().numpy().astype(np.float64)

"""Activations of PyTorch models, captured by forward hooks (torch is imported on first use).

:func:`activations` runs inputs through one model (or several, batch by batch
in step) in evaluation mode without gradients, and returns what the named
modules output: one ``(n_samples, n_features)`` array per layer, ready for
every matrix measure.  A layer is never silently missing: a name that is not a
module of the model raises with the valid names, and a module that never ran
raises too.  With ``out=DIR`` the activations stream into ``.npy`` files (read
back as memory maps), or into a zarr group with ``out="acts.zarr"``, for data
larger than memory; ``on_batch`` hands each
batch to a streaming accumulator (any object with ``update``), so two models
can be compared without holding their activations at all.

Examples
--------
>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
>>> acts = activations(net, torch.randn(10, 4), layers=["0", "2"], batch_size=4)
>>> {name: a.shape for name, a in acts.items()}
{'0': (10, 8), '2': (10, 2)}
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._validation import check_names, check_positive_int

__all__ = ["activations"]

#: Bytes reserved for the header of a streamed .npy file: its shape is written when the length is known.
_HEADER_BYTES = 128


class _NpyStream:
    """Append rows to an ``.npy`` file whose length is unknown until the end.

    The header (format 1.0) is padded to a fixed size and rewritten with the
    final shape by :meth:`close`, so no pass over the data is repeated.
    """

    def __init__(self, path: Path) -> None:
        self.path, self.fh, self.rows, self.row_shape, self.dtype = path, open(path, "wb"), 0, None, None
        self.fh.write(b"\0" * _HEADER_BYTES)

    def append(self, block: np.ndarray) -> None:
        if self.dtype is None:
            self.row_shape, self.dtype = block.shape[1:], block.dtype
        self.fh.write(np.ascontiguousarray(block, dtype=self.dtype).tobytes())
        self.rows += block.shape[0]

    def close(self) -> None:
        shape = (self.rows, *(self.row_shape or (0,)))
        descr = np.lib.format.dtype_to_descr(self.dtype or np.dtype(np.float32))
        text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
        pad = _HEADER_BYTES - 10 - len(text) - 1  # magic (6) + version (2) + length (2), newline (1)
        if pad < 0:  # pragma: no cover - a shape would need ~90 digits
            raise ValueError(f"the shape {shape} does not fit the .npy header")
        self.fh.seek(0)
        self.fh.write(b"\x93NUMPY\x01\x00" + (_HEADER_BYTES - 10).to_bytes(2, "little") + text + b" " * pad + b"\n")
        self.fh.close()


class _ZarrStream:
    """Append rows to one array of a zarr group, created at the first block (chunks of one batch)."""

    def __init__(self, group: Any, key: str) -> None:
        self.group, self.key, self.array = group, key, None

    def append(self, block: np.ndarray) -> None:
        if self.array is None:
            create = getattr(self.group, "create_array", None) or self.group.create_dataset  # zarr 3 / zarr 2
            self.array = create(self.key, shape=(0, *block.shape[1:]), chunks=block.shape, dtype=block.dtype)
        self.array.append(np.ascontiguousarray(block), axis=0)

    def close(self) -> None:
        """Nothing to finish: every block is complete on disk once appended."""


def _open_streams(out: str | os.PathLike, order: list[str]) -> tuple[dict[str, Any], Callable[[], dict[str, Any]]]:
    """One stream per layer under ``out``, and the function that reopens what they wrote read-only."""
    target = Path(out)
    if target.suffix == ".zarr":
        import zarr

        if target.exists() and any(target.iterdir()):
            raise ValueError(f"out must be a new or empty zarr store; {target} already holds files")
        group = zarr.open_group(str(target), mode="w")
        keys = {name: _file_name(name)[: -len(".npy")] for name in order}

        def reopen() -> dict[str, Any]:
            stored = zarr.open_group(str(target), mode="r")
            return {name: stored[key] for name, key in keys.items()}

        return {name: _ZarrStream(group, keys[name]) for name in order}, reopen
    if target.exists() and not target.is_dir():
        raise ValueError(f"out must be a directory; {target} is a file")
    target.mkdir(parents=True, exist_ok=True)
    npy = {name: _NpyStream(target / _file_name(name)) for name in order}
    return npy, lambda: {name: np.load(s.path, mmap_mode="r") for name, s in npy.items()}


def _batches(inputs: Any, batch_size: int | None, torch: Any, dtype: Any) -> tuple[Iterable, int | None]:
    """The input batches (tensors) and their number when known."""
    if isinstance(inputs, np.ndarray):
        inputs = _as_tensor(inputs, torch, "inputs", dtype if np.issubdtype(inputs.dtype, np.floating) else None)
    if isinstance(inputs, torch.Tensor):
        if inputs.ndim == 0:
            raise ValueError("inputs must have a batch axis (axis 0 = samples); got a 0-d tensor")
        if len(inputs) == 0:
            raise ValueError(f"inputs must hold at least one sample; got shape {tuple(inputs.shape)}")
        size = len(inputs) if batch_size is None else batch_size
        return inputs.split(size), -(-len(inputs) // size)
    if batch_size is not None:
        raise ValueError(
            "batch_size applies to a tensor or array input; an iterable of batches (a DataLoader) brings "
            f"its own batches, so leave batch_size=None; got batch_size={batch_size}"
        )
    if isinstance(inputs, (str, bytes, Mapping)) or not isinstance(inputs, Iterable):
        raise TypeError(
            f"inputs must be a tensor, an array or an iterable of batches (a DataLoader); got {type(inputs).__name__}"
        )
    try:
        n = len(inputs)
    except TypeError:
        n = None
    return inputs, n


def _as_tensor(a: np.ndarray, torch: Any, name: str, dtype: Any = None) -> Any:
    """An array as a tensor; an array torch cannot hold (text, objects) is a TypeError naming it."""
    try:
        return torch.as_tensor(a, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must hold numbers that torch can take; got an array of dtype {a.dtype} ({exc})") from exc


def _batch_tensor(batch: Any, torch: Any, index: int) -> Any:
    """The input tensor of one batch: the batch itself, or the first item of an ``(x, y)`` pair."""
    if isinstance(batch, (tuple, list)) and batch:
        batch = batch[0]
    if isinstance(batch, np.ndarray):
        batch = _as_tensor(batch, torch, f"batch {index} of inputs")
    if not isinstance(batch, torch.Tensor):
        raise TypeError(f"batch {index} of inputs must be a tensor or an (inputs, targets) pair; got {type(batch).__name__}")
    return batch


class _Recorder:
    """Forward hooks on the requested modules, recording each output once per batch."""

    def __init__(self, torch: Any, modules: dict[str, Any]) -> None:
        self.torch, self.outputs, self.calls = torch, {}, {name: 0 for name in modules}
        self.handles = [m.register_forward_hook(self._hook(name)) for name, m in modules.items()]

    def _hook(self, name: str) -> Callable:
        def hook(module: Any, args: Any, output: Any) -> None:
            self.calls[name] += 1
            self.outputs[name] = output

        return hook

    def take(self, n: int, flatten: bool) -> dict[str, np.ndarray]:
        """Each layer's output for the batch of ``n`` samples just run, as a NumPy array."""
        out = {}
        for name, count in self.calls.items():
            if count == 0:
                raise ValueError(
                    f"layers: the module {name!r} never ran in the forward pass (it is not used by forward); "
                    "pick a module that the forward pass calls"
                )
            if count > 1:
                raise ValueError(
                    f"layers: the module {name!r} ran {count} times in one forward pass (a shared module), so its "
                    "activation is ambiguous; pick a module that runs once"
                )
            t = self.outputs[name]
            if not isinstance(t, self.torch.Tensor):
                raise TypeError(
                    f"layers: the module {name!r} returned a {type(t).__name__}, not a tensor; pick the "
                    "submodule whose output you want"
                )
            if t.ndim == 0 or t.shape[0] != n:
                raise ValueError(
                    f"layers: the output of {name!r} has shape {tuple(t.shape)}, whose first axis is not the "
                    f"batch of {n} samples; activations must have samples on axis 0"
                )
            t = t.detach().to("cpu")
            if t.dtype == self.torch.bfloat16:
                t = t.float()
            a = t.numpy()
            out[name] = a.reshape(n, -1) if flatten else a
        self.calls = dict.fromkeys(self.calls, 0)
        self.outputs.clear()
        return out

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def _resolve(model: Any, layers: Any, torch: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[str]]:
    """Models by key, per model the hooked modules by output name, and the names in the requested order."""
    models = dict(model) if isinstance(model, Mapping) else {"": model}
    for key, m in models.items():
        if not isinstance(m, torch.nn.Module):
            what = "model" if key == "" else f"model[{key!r}]"
            raise TypeError(f"{what} must be a torch.nn.Module; got {type(m).__name__}")
    if isinstance(model, Mapping):
        available = [f"{key}:{name}" for key, m in models.items() for name, _ in m.named_modules()]
    else:
        available = [name for name, _ in model.named_modules()]
    what = "modules of the models (KEY:MODULE)" if isinstance(model, Mapping) else "modules of the model"
    names = check_names(layers, "layers", available, what)
    hooked: dict[str, dict[str, Any]] = {key: {} for key in models}
    for name in names:
        key, _, module = name.rpartition(":") if isinstance(model, Mapping) else ("", "", name)
        hooked[key][name] = models[key].get_submodule(module)
    return models, hooked, names


def _device_dtype(m: Any, torch: Any) -> tuple[Any, Any]:
    p = next(iter(m.parameters()), None)
    return (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.get_default_dtype())


def _file_name(name: str) -> str:
    safe = name.replace(os.sep, "_").replace(":", "__")
    return f"{safe or 'output'}.npy"


def activations(
    model: Any,
    inputs: Any,
    layers: Any,
    *,
    batch_size: int | None = None,
    out: str | os.PathLike | None = None,
    flatten: bool = True,
    progress: bool = False,
    on_batch: Any = None,
    keep: bool = True,
) -> dict[str, Any]:
    """What the named modules of a PyTorch model output for ``inputs``.

    Parameters
    ----------
    model : torch.nn.Module or dict of str to torch.nn.Module
        The network.  Several networks given as a dict run on the same
        batches in step; their layers are named ``KEY:MODULE``.
    inputs : tensor, ndarray or iterable of batches
        A tensor (or array) with samples on axis 0, cut into batches of
        ``batch_size``; or an iterable of batches such as a
        ``torch.utils.data.DataLoader``, each batch a tensor or an
        ``(inputs, targets, ...)`` tuple whose first item is fed to the model.
        Inputs are moved to the model's device; an array of floats takes the
        model's dtype.
    layers : list of str
        Module names as ``model.named_modules()`` spells them (``"features.3"``,
        ``"layer1.0.conv2"``).  The outputs keep this order.
    batch_size : int, optional
        Samples per forward pass for a tensor input (default: all at once).
    out : path, optional
        A directory: each layer streams into ``out/<layer>.npy`` (``:`` becomes
        ``__``), and the returned arrays are read-only memory maps of those files.
        A path ending in ``.zarr`` (new or empty) becomes a zarr group instead
        (the ``io`` extra), one array per layer chunked by batch, and the
        returned values are its read-only zarr arrays (``np.asarray`` loads
        one; :func:`repgeo.pairwise` takes the group's path directly).
    flatten : bool, default True
        Reshape each output to ``(n_samples, n_features)``; ``False`` keeps the
        module's shape (channels first for convolutions: move them last,
        ``a.transpose(0, 2, 3, 1)``, for :class:`repgeo.ConvShapeMetric`).
    progress : bool, default False
        A progress bar (tqdm) over the batches.
    on_batch : callable or object with ``update``, optional
        Called after every batch.  An object with an ``update`` method gets
        ``update(*arrays)``, the batch's arrays in the order of ``layers`` (so
        ``StreamingLinearCKA().update(X_batch, Y_batch)`` with two layers); any
        other callable gets the dict ``{layer: array}`` (so the many-model
        ``StreamingCKAMatrix`` plugs in as ``on_batch=matrix.update``).
    keep : bool, default True
        ``False`` keeps nothing (returns an empty dict): the batches only pass
        through ``on_batch`` and ``out``.

    Returns
    -------
    dict of str to ndarray
        One array per layer, ``(n_samples, n_features)`` when flattened, in
        the model's dtype (read-only memory maps or zarr arrays with ``out``).

    Raises
    ------
    ValueError
        A layer that is not a module of the model (the message lists the valid
        names), a module that never ran or ran more than once per forward pass,
        an output whose first axis is not the batch.
    TypeError
        A module whose output is not a tensor; inputs that are not tensors.

    Notes
    -----
    The model runs under ``torch.no_grad()`` with every module in evaluation
    mode (dropout off, batch-norm running statistics); each module's own
    ``training`` flag is restored afterwards, and the hooks removed, even when
    an error interrupts the run.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    >>> x = torch.randn(6, 3)
    >>> acts = activations(net, x, layers=["1", "2"], batch_size=4)
    >>> bool(torch.allclose(torch.from_numpy(acts["2"]), net(x), atol=1e-6))
    True
    """
    import torch

    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
    models, hooked, order = _resolve(model, layers, torch)
    device_dtype = {key: _device_dtype(m, torch) for key, m in models.items()}
    batches, n_batches = _batches(inputs, batch_size, torch, next(iter(device_dtype.values()))[1])
    update = getattr(on_batch, "update", None)
    if on_batch is not None and not callable(update) and not callable(on_batch):
        raise TypeError(f"on_batch must be a callable or have an update method; got {type(on_batch).__name__}")
    streams = reopen = None
    if out is not None:
        streams, reopen = _open_streams(out, order)
    kept: dict[str, list[np.ndarray]] = {name: [] for name in order}
    modes = {mod: mod.training for m in models.values() for mod in m.modules()}
    recorders = {key: _Recorder(torch, hooked[key]) for key in models}
    try:
        from tqdm.auto import tqdm

        for m in models.values():
            m.eval()
        n_seen = 0
        with torch.no_grad():
            for index, batch in enumerate(tqdm(batches, total=n_batches, disable=not progress, unit="batch")):
                x = _batch_tensor(batch, torch, index)
                got: dict[str, np.ndarray] = {}
                for key, m in models.items():
                    m(x.to(device_dtype[key][0]))
                    got.update(recorders[key].take(len(x), flatten))
                got = {name: got[name] for name in order}
                n_seen += 1
                for name, a in got.items():
                    if streams is not None:
                        streams[name].append(a)
                    elif keep:
                        kept[name].append(a.copy())  # the numpy view shares the output's memory
                if callable(update):
                    update(*got.values())
                elif on_batch is not None:
                    on_batch(got)
        if n_seen == 0:
            raise ValueError("inputs must hold at least one batch; the iterable was empty")
        if streams is not None:
            for s in streams.values():
                s.close()
        if not keep:
            return {}
        if reopen is not None:
            return reopen()
        return {name: np.concatenate(parts) for name, parts in kept.items()}
    finally:
        for rec in recorders.values():
            rec.remove()
        for mod, training in modes.items():  # each module's own flag (a frozen batch-norm stays frozen)
            mod.training = training
        if streams is not None:
            for s in streams.values():
                if isinstance(s, _NpyStream) and not s.fh.closed:
                    s.close()

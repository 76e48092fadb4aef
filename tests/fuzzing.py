"""Hostile inputs and a hang-proof caller, shared by the fuzz tests.

An input is described by a small frozen :class:`Spec` (shape, content, scale,
dtype, non-finite entries, seed) that hypothesis draws and shrinks; ``build``
turns it into the array.  A failing example therefore prints as a one-line
recipe that rebuilds the exact input.

Calls run in a worker process (:class:`Guard`): a call that does not return
within the time limit is a hang, the worker is killed and restarted, and the
test fails with the input that hung.  Inside the worker RuntimeWarnings
(overflow, invalid value, division by zero, SciPy's degenerate-data
warnings) are errors, so a silent overflow fails too.
"""

from __future__ import annotations

import multiprocessing
import warnings
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

# ----------------------------------------------------------------------------- input specifications

#: float64 is drawn most often: the other dtypes test conversion, float64 tests the numerics.
DTYPES = ("float64",) * 6 + ("float32", "float16", "int64", "int8", "uint8", "bool", "complex128", "object", "str")
#: Degenerate and hostile content next to plain random numbers.
CONTENTS = (
    "normal",
    "normal",
    "normal",
    "constant",
    "zero",
    "duplicated_rows",
    "rank1",
    "integer",
    "offset",  # a large common offset (X + 1e16 keeps only the rounding of the variation)
    "huge_column",  # one column at +-(near) the float maximum
    "tiny_column",  # one column near the smallest normal number
    "sparse",
    "one_hot",
)
NONFINITE = (None,) * 6 + ("nan", "inf", "-inf")
SCALES = (0.0, 0.0, -300.0, 300.0, -160.0, 160.0, 308.0, -307.0, 16.0)


@dataclass(frozen=True)
class Spec:
    """A recipe for one array: ``build(Spec(...))`` rebuilds it exactly."""

    shape: tuple
    content: str = "normal"
    log10_scale: float = 0.0
    dtype: str = "float64"
    nonfinite: str | None = None
    seed: int = 0


def build(spec: Spec) -> np.ndarray:
    """The array described by ``spec`` (values drawn from ``spec.seed``)."""
    rng = np.random.default_rng(spec.seed)
    shape = spec.shape
    X = rng.standard_normal(shape)
    if X.ndim >= 2 and X.size:
        n, p = X.shape[0], X.shape[-1]
        if spec.content == "constant":
            X = np.full(shape, rng.standard_normal())
        elif spec.content == "zero":
            X = np.zeros(shape)
        elif spec.content == "duplicated_rows":
            X[1::2] = X[0]
        elif spec.content == "rank1":
            X = np.multiply.outer(rng.standard_normal(n), rng.standard_normal(shape[1:]))
        elif spec.content == "integer":
            X = np.round(3 * X)
        elif spec.content == "offset":
            X = X + 1e16
        elif spec.content == "sparse":
            X = X * (rng.random(shape) < 0.2)
        elif spec.content == "one_hot":
            X = np.zeros(shape)
            X.reshape(n, -1)[np.arange(n), rng.integers(0, X[0].size, n)] = 1.0
        elif spec.content in ("huge_column", "tiny_column"):
            edge = np.finfo(float).max if spec.content == "huge_column" else np.finfo(float).tiny
            X[..., int(rng.integers(p))] = edge * np.sign(rng.standard_normal(shape[:-1]) + 1e-300)
    scale = 10.0 ** spec.log10_scale
    if spec.content not in ("huge_column", "tiny_column"):
        with np.errstate(over="ignore"):
            X = X * scale
    X = X.astype(float)
    if spec.nonfinite is not None and X.size:
        X.flat[int(rng.integers(X.size))] = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}[spec.nonfinite]
    return _as_dtype(X, spec.dtype, rng)


def _as_dtype(X: np.ndarray, dtype: str, rng: np.random.Generator) -> np.ndarray:
    if dtype == "float64":
        return X
    if dtype in ("float32", "float16"):
        with np.errstate(over="ignore"):
            return X.astype(dtype)  # out-of-range values become inf, as they would for a user
    if dtype in ("int64", "int8", "uint8"):
        info = np.iinfo(dtype)
        finite = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
        low, high = max(info.min, -(2**53)), min(info.max, 2**53)  # exactly representable as floats
        return np.clip(np.round(finite), low, high).astype(dtype)
    if dtype == "bool":
        return X > 0
    if dtype == "complex128":
        return X + 1j * rng.standard_normal(X.shape)
    if dtype == "object":
        return X.astype(object)
    return X.astype(str)


#: Numeric inputs: valid dtypes and finite entries, so that the numerics are reached (every hostile
#: scale and content still applies); about half of all draws.
NUMERIC_DTYPES = ("float64",) * 4 + ("float32", "int64")
NUMERIC_CONTENTS = tuple(c for c in CONTENTS if c not in ("constant", "zero")) + ("normal",) * 3


def specs(shapes: st.SearchStrategy, numeric: bool = False) -> st.SearchStrategy:
    """Specs with the given shape strategy: every kind of hostile input, or (``numeric``) inputs
    that pass validation as far as dtype, finiteness and variation go."""
    return st.builds(
        Spec,
        shape=shapes,
        content=st.sampled_from(NUMERIC_CONTENTS if numeric else CONTENTS),
        log10_scale=st.one_of(st.sampled_from(SCALES), st.floats(-300, 300)),
        dtype=st.sampled_from(NUMERIC_DTYPES if numeric else DTYPES),
        nonfinite=st.just(None) if numeric else st.sampled_from(NONFINITE),
        seed=st.integers(0, 2**32 - 1),
    )


def sizes(low: int, high: int, edge: int = 0) -> st.SearchStrategy:
    """An integer in ``[low, high]``, sometimes one of the edge values ``0, 1, 2``."""
    return st.one_of(st.integers(low, high), st.integers(low, high), st.integers(edge, 2))


#: Matrix inputs ``(n, p)``: mostly enough samples, sometimes too few, sometimes the wrong ndim.
matrix_shapes = st.one_of(
    st.tuples(sizes(3, 12), sizes(1, 6)),
    st.tuples(sizes(3, 12), sizes(1, 6)),
    st.tuples(sizes(3, 12), sizes(1, 6)),
    st.tuples(sizes(1, 6)),
    st.tuples(sizes(1, 4), sizes(1, 4), sizes(1, 3)),
)
#: Jacobian inputs ``(n_points, n_features, m)``.
jacobian_shapes = st.one_of(
    st.tuples(sizes(1, 8), sizes(1, 5), sizes(1, 3)),
    st.tuples(sizes(1, 8), sizes(1, 5), sizes(1, 3)),
    st.tuples(sizes(1, 6), sizes(1, 4)),
)
def layout_shapes(ndims: tuple, valid: bool = False) -> st.SearchStrategy:
    """Shapes for any input layout: mostly an allowed number of axes, sometimes one more or one
    fewer; ``valid``: allowed numbers of axes and no edge sizes."""
    wrong = sorted({d for n in ndims for d in (n - 1, n + 1) if d >= 1} - set(ndims))

    def of(ndim: int) -> st.SearchStrategy:
        if valid:
            return st.tuples(*[st.integers(3, 8) if axis == 0 else st.integers(1, 6) for axis in range(ndim)])
        return st.tuples(*[sizes(2, 8) if axis == 0 else sizes(1, 6) for axis in range(ndim)])

    allowed = [of(n) for n in ndims] * 3
    return st.one_of(*allowed) if valid else st.one_of(*allowed, *[of(n) for n in wrong])


#: Shapes that pass the shape checks, for the numeric half of the draws.
matrix_valid_shapes = st.tuples(st.integers(3, 12), st.integers(1, 6))
jacobian_valid_shapes = st.tuples(st.integers(1, 8), st.integers(1, 5), st.integers(1, 3))
spd_valid_shapes = st.integers(1, 6).flatmap(lambda m: st.tuples(st.integers(1, 6), st.just(m), st.just(m)))

#: Stacks of square matrices ``(n_points, m, m)``, sometimes non-square or one matrix.
spd_shapes = st.one_of(
    st.integers(1, 6).flatmap(lambda m: st.tuples(sizes(1, 6), st.just(m), st.just(m))),
    st.integers(1, 6).flatmap(lambda m: st.tuples(sizes(1, 6), st.just(m), st.just(m))),
    st.integers(1, 4).flatmap(lambda m: st.tuples(st.just(m), st.just(m))),
    st.tuples(sizes(1, 4), sizes(1, 4), sizes(1, 4)),
)


@st.composite
def related_pair(draw, shapes: st.SearchStrategy, feature_axis: int = -1, valid_shapes: st.SearchStrategy | None = None):
    """Two specs, both numeric (valid shapes and dtypes, finite) or both anything: independent, or the
    second derived from the first (the same, a rescaled copy, the same shape, another width)."""
    numeric = draw(st.booleans())
    if numeric and valid_shapes is not None:
        shapes = valid_shapes
    a = draw(specs(shapes, numeric))
    how = draw(st.sampled_from(["independent", "same", "same", "rescaled", "same_shape", "other_width"]))
    if how == "independent":
        return a, draw(specs(shapes, numeric))
    if how == "same":
        return a, a
    if how == "rescaled":
        return a, Spec(a.shape, a.content, draw(st.one_of(st.sampled_from(SCALES), st.floats(-300, 300))), a.dtype, None, a.seed)
    if how == "same_shape":
        return a, draw(specs(st.just(a.shape), numeric))
    shape = list(a.shape)
    if -len(shape) <= feature_axis < len(shape):
        shape[feature_axis] = draw(sizes(1, 6))
    return a, draw(specs(st.just(tuple(shape)), numeric))


def spd_stack(spec: Spec) -> np.ndarray:
    """An input for the SPD distances: ``A A^T`` (positive definite) for float contents, else as built."""
    A = build(spec)
    if A.dtype == np.float64 and A.ndim >= 2 and A.shape[-1] == A.shape[-2] and spec.content in ("normal", "rank1", "integer"):
        with np.errstate(over="ignore", invalid="ignore"):
            A = A @ np.swapaxes(A, -1, -2)
    return A


# ----------------------------------------------------------------------------- hang-proof calls


class Hang(AssertionError):
    """A call did not return within the time limit."""


@dataclass(frozen=True)
class Raised:
    """An exception raised in the worker: its class name, base class names and message."""

    name: str
    bases: tuple
    message: str

    def is_a(self, *names: str) -> bool:
        return any(n in self.bases for n in names)


def _serve(conn, strict: bool) -> None:  # pragma: no cover - runs in the worker process
    # strict: silent overflow/invalid values fail; otherwise a warning passes as it would for a user
    warnings.simplefilter("error" if strict else "ignore", RuntimeWarning)
    warnings.simplefilter("ignore", UserWarning)  # documented degeneracy warnings are allowed
    from threadpoolctl import threadpool_limits  # one BLAS thread, as in the test process

    threadpool_limits(1)
    while True:
        msg = conn.recv()
        if msg is None:
            return
        fn, args = msg
        try:
            conn.send(("ok", fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            conn.send(("raised", Raised(type(exc).__name__, tuple(c.__name__ for c in type(exc).__mro__), str(exc))))


class Guard:
    """Runs calls in a worker process with a time limit per call.

    ``strict`` turns RuntimeWarnings into errors in the worker (the fuzz tests);
    without it a call runs as in a user's session, where a warning does not stop it.
    """

    def __init__(self, timeout: float = 20.0, strict: bool = True) -> None:
        self.timeout = timeout
        self.strict = strict
        self._ctx = multiprocessing.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self._conn, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child, self.strict), daemon=True)
        self._proc.start()
        child.close()

    def call(self, fn, *args):
        """``fn(*args)`` in the worker: its value, or a :class:`Raised`; :class:`Hang` after the time limit."""
        self._conn.send((fn, args))
        if not self._conn.poll(self.timeout):
            self._proc.kill()
            self._proc.join()
            self._start()
            raise Hang(f"no answer within {self.timeout} s")
        try:
            kind, out = self._conn.recv()
        except EOFError:  # the worker died (a crash in compiled code)
            code = self._proc.exitcode
            self._proc.join()
            self._start()
            raise AssertionError(f"the worker process crashed (exit code {code})") from None
        return out

    def close(self) -> None:
        try:
            self._conn.send(None)
        except OSError:
            pass
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()


# ----------------------------------------------------------------------------- callers for the non-measure functions


def measure_on_tensors(name: str, X, Y) -> float:
    """The registered measure ``name`` on ``X`` and ``Y`` as CPU tensors (arrays torch cannot hold stay arrays)."""
    import torch

    from repgeo._registry import registered

    def tensor(A):
        if isinstance(A, np.ndarray) and A.dtype.kind in "fiub":
            return torch.from_numpy(np.ascontiguousarray(A))
        return A

    return registered()[name](tensor(X), tensor(Y))


def stream_cka(X, Y, hsic: str) -> float:
    """Streaming linear CKA over two batches (the rows split in half), then its value."""
    from repgeo import StreamingLinearCKA

    acc = StreamingLinearCKA(hsic)
    h = max(1, np.shape(X)[0] // 2) if np.ndim(X) else 1
    acc.update(X[:h], Y[:h])
    if np.shape(X)[0] > h or np.shape(Y)[0] > h:
        acc.update(X[h:], Y[h:])
    return acc.value()


def permutation_pvalue(X, Y, measure: str) -> tuple:
    from repgeo.stats import permutation_test

    res = permutation_test(X, Y, measure, n_permutations=9, rng=0)
    return res.statistic, res.pvalue


def bootstrap_interval(X, Y, measure: str) -> tuple:
    from repgeo.stats import bootstrap_ci

    res = bootstrap_ci(X, Y, measure, n_resamples=10, rng=0)
    return res.low, res.statistic, res.high


def ceiling(data, measure: str) -> tuple:
    from repgeo.stats import noise_ceiling

    res = noise_ceiling(data, measure, n_splits=3, rng=0)
    return res.split_half, res.ceiling


def mantel_test(D1, D2) -> tuple:
    from repgeo.stats import mantel

    res = mantel(D1, D2, n_permutations=9, rng=0)
    return res.statistic, res.pvalue


def distance_like(spec: Spec) -> np.ndarray:
    """A square ``|A|`` made symmetric with a zero diagonal for finite float contents, else as built."""
    A = build(spec)
    if A.dtype.kind == "f" and A.ndim == 2 and A.shape[0] == A.shape[1] and np.isfinite(A).all():
        A = np.abs(A.astype(np.float64))
        A = np.maximum(A, A.T)
        np.fill_diagonal(A, 0.0)
    return A


def landmark_block(spec: Spec) -> tuple:
    """``(D_landmarks, landmarks)``: ``|A|`` of shape (L, K) whose first L columns form a distance matrix."""
    A = build(spec)
    L = A.shape[0] if A.ndim else 1
    if A.dtype.kind == "f" and A.ndim == 2 and L <= A.shape[1] and np.isfinite(A).all():
        A = np.abs(A.astype(np.float64))
        A[:, :L] = np.maximum(A[:, :L], A[:, :L].T)
        np.fill_diagonal(A[:, :L], 0.0)
    return A, np.arange(L)


def landmark_coords(D_landmarks, landmarks) -> np.ndarray:
    from repgeo.embed import landmark_mds

    return landmark_mds(D_landmarks, landmarks, n_components=1).coords


def metric_coords(D) -> tuple:
    from repgeo.embed import metric_mds

    emb = metric_mds(D, n_components=1, max_iter=50)
    return emb.coords, emb.stress


def draw_plot(name: str, *args, **kwargs) -> float:
    """Draw ``repgeo.plot.<name>(*args, **kwargs)`` with Agg, render it, close it; 0.0 when it drew.

    (The Axes cannot travel back from the worker process, so success is a number.)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from repgeo import plot

    plt.close("all")
    try:
        ax = getattr(plot, name)(*args, **kwargs)
        ax.figure.canvas.draw()
    except Exception as exc:
        if plt.get_fignums():  # bad input must be refused before a figure is opened for it
            plt.close("all")
            raise AssertionError(f"opened a figure, then raised {type(exc).__name__}: {exc}") from exc
        raise
    plt.close("all")
    return 0.0


def symmetrized(M: np.ndarray) -> np.ndarray:
    """A numeric square ``M`` made symmetric with a zero diagonal (as a distance matrix is); others as they are."""
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.dtype.kind not in "fiub":
        return M
    with np.errstate(all="ignore"):
        S = np.abs(M.astype(float) + M.astype(float).T) / 2
    np.fill_diagonal(S, 0.0)
    return S


#: Square matrices ``(K, K)`` (all-pairs results), sometimes not square or not 2-D.
square_shapes = st.one_of(
    sizes(2, 10).map(lambda k: (k, k)),
    sizes(2, 10).map(lambda k: (k, k)),
    sizes(2, 10).map(lambda k: (k, k)),
    st.tuples(sizes(1, 6), sizes(1, 6)),
    st.tuples(sizes(1, 6)),
)

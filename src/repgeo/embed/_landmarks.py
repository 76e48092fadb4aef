"""Landmark MDS (de Silva & Tenenbaum): distances to a few landmarks, then a triangulation of the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from .._measure import Measure
from .._registry import get_measure
from .._result import Result
from .._validation import (
    as_float_array,
    as_labelled,
    check_distance_matrix,
    check_positive_int,
    check_rng,
)
from ._classical import Embedding, _distortion, _unit_exponent

__all__ = ["LandmarkDistances", "landmark_distances", "landmark_mds"]


def _check_landmarks(landmarks: Any, L: int, K: int) -> np.ndarray:
    idx = np.asarray(landmarks)
    if idx.ndim != 1 or idx.size != L or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(
            f"landmarks must be {L} integer indices (one per row of D_landmarks); got {idx.dtype} of shape {idx.shape}"
        )
    if idx.min() < 0 or idx.max() >= K or np.unique(idx).size != L:
        raise ValueError(f"landmarks must be distinct indices in [0, {K}); got {idx.tolist()}")
    return idx.astype(np.intp)


def landmark_mds(D_landmarks: Any, landmarks: Any, n_components: int = 2) -> Embedding:
    r"""Landmark MDS: embed K points from their distances to L landmarks only.

    Parameters
    ----------
    D_landmarks : array of shape (L, K)
        Distances from each landmark to every point (see
        :func:`landmark_distances`); ``D_landmarks[:, landmarks]`` is the
        landmarks' own ``L x L`` distance matrix.
    landmarks : array of L int
        The landmarks' indices among the ``K`` points.
    n_components : int, default 2
        At most ``L - 1``; choose ``L`` well above it (de Silva & Tenenbaum
        suggest a few times ``n_components``; more landmarks, less distortion).

    Returns
    -------
    Embedding
        ``coords`` for all ``K`` points; ``eigenvalues``, ``explained`` and
        ``negative_mass`` describe the landmarks' spectrum;
        ``rank_correlation`` is over the ``L x K`` distances given (each
        landmark pair once).

    Notes
    -----
    Classical MDS of the landmarks, ``B = -J \Delta J / 2 = V \Lambda V^T``
    with ``\Delta`` their squared distances, places them at
    ``V_k \Lambda_k^{1/2}``; a point with squared distances ``\delta_a`` to
    the landmarks is then triangulated as

    .. math:: x_a = -\tfrac12\, \Lambda_k^{-1/2} V_k^T (\delta_a - \bar\delta),

    with ``\bar\delta`` the mean of ``\Delta``'s columns.  The landmarks land
    exactly on their classical MDS coordinates, and for Euclidean distances
    every point is recovered up to a rigid motion whenever the landmarks span
    the ``n_components``-dimensional configuration.  Cost ``O(L K k)``
    instead of ``O(K^2)`` distances and an ``O(K^3)`` eigenproblem.

    References
    ----------
    de Silva & Tenenbaum (2004). Sparse multidimensional scaling using
    landmark points. Technical report, Stanford University.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial.distance import cdist, pdist
    >>> pts = np.random.default_rng(0).standard_normal((50, 2))
    >>> idx = np.arange(0, 50, 10)
    >>> emb = landmark_mds(cdist(pts[idx], pts), landmarks=idx)
    >>> bool(np.allclose(pdist(emb.coords), pdist(pts)))
    True
    """
    D = as_float_array(D_landmarks, "D_landmarks", ndim=2)
    L, K = D.shape
    D = check_distance_matrix(D, "D_landmarks", shape=(L, K))
    idx = _check_landmarks(landmarks, L, K)
    n_components = check_positive_int(n_components, "n_components")
    if n_components >= L:
        raise ValueError(f"n_components must be < the number of landmarks L={L}; got {n_components}")
    check_distance_matrix(D[:, idx], "D_landmarks[:, landmarks]")
    e = _unit_exponent(D, "D_landmarks")
    sq = np.ldexp(D, -e) ** 2
    delta = (sq[:, idx] + sq[:, idx].T) / 2
    J = np.eye(L) - 1.0 / L
    B = -0.5 * J @ delta @ J
    eigenvalues, vectors = scipy.linalg.eigh((B + B.T) / 2)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, vectors = eigenvalues[order], vectors[:, order]
    kept = eigenvalues[:n_components]
    usable = kept > 1e-12 * max(float(eigenvalues[0]), 0.0)  # directions the landmarks do not span stay at 0
    pinv = np.where(usable, vectors[:, :n_components] / np.sqrt(np.where(usable, kept, 1.0)), 0.0)
    unit = -0.5 * (sq - delta.mean(axis=1, keepdims=True)).T @ pinv
    positive = eigenvalues[eigenvalues > 0].sum()
    total = np.abs(eigenvalues).sum()
    # each landmark pair once: drop (l, landmarks[m]) for m <= l
    rows, cols = np.nonzero(np.ones((L, K), dtype=bool))
    pos = np.full(K, -1)
    pos[idx] = np.arange(L)
    once = (pos[cols] < 0) | (pos[cols] > rows)
    rows, cols = rows[once], cols[once]
    embedded = np.linalg.norm(unit[idx[rows]] - unit[cols], axis=1)  # at unit scale: no overflow
    return Embedding(
        coords=np.ldexp(unit, int(e)),
        eigenvalues=np.ldexp(eigenvalues, 2 * int(e)),
        explained=float(np.clip(kept, 0, None).sum() / positive) if positive > 0 else 0.0,
        negative_mass=float(-eigenvalues[eigenvalues < 0].sum() / total) if total > 0 else 0.0,
        rank_correlation=_distortion(D[rows, cols], embedded),
    )


@dataclass(frozen=True, eq=False, repr=False)
class LandmarkDistances(Result):
    """Distances from L landmarks to all K representations.

    Attributes
    ----------
    distances : ndarray of shape (L, K)
        The ``D_landmarks`` argument of :func:`landmark_mds`.
    landmarks : ndarray of L int
        Indices of the landmarks, in the order chosen.
    labels : list of str
        The K representations' labels (dict keys, or ``"0"``, ``"1"``, ...).
    """

    distances: np.ndarray
    landmarks: np.ndarray
    labels: list

    _dims = {"distances": ("landmark", "representation"), "landmarks": "landmark"}
    _coords = {"representation": "labels"}


def landmark_distances(
    reps: Any,
    measure: Any,
    n_landmarks: int | None = None,
    *,
    landmarks: Any = None,
    rng: Any = None,
    n_jobs: int | None = None,
    store: Any = None,
) -> LandmarkDistances:
    r"""Distances from L landmarks to all K representations, landmarks chosen by max-min.

    Only ``L x K`` distances are computed (not ``K^2``); each representation
    is prepared once.

    Parameters
    ----------
    reps : sequence or dict of arrays
    measure : Measure or str
        A symmetric distance (``"procrustes"``, ``"angular_cka"``, ...).
    n_landmarks : int, optional
        How many landmarks to choose by max-min (required unless ``landmarks``).
    landmarks : array of int, optional
        Use these indices instead of choosing: the ``L x K`` matrix is then one
        rectangular :func:`repgeo.pairwise` call (``other=``), with its tiles,
        workers and store.
    rng : None, int or Generator
        Picks the first max-min landmark.
    n_jobs : int, optional
        Workers for the rectangular call (``landmarks=`` only; see :func:`repgeo.pairwise`).
    store : path, optional
        A resumable tile store for the rectangular call (``landmarks=`` only).

    Notes
    -----
    Max-min (farthest-point) selection: the first landmark is random; each
    next one is the point whose distance to its nearest landmark is largest,
    ``l_{j+1} = \arg\max_a \min_{i \le j} d(a, l_i)``.  The row of each new
    landmark is exactly what the choice of the next one needs, so selection
    costs no distances beyond the ``L x K`` returned.  The choice is
    sequential, so it runs here, one landmark row at a time on prepared
    representations (one block product per row where the measure has a block
    path); with ``landmarks=`` the whole matrix goes through the engine.  A
    landmark's distance to itself is set to 0.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> reps = [rng.standard_normal((20, 3)) for _ in range(12)]
    >>> ld = landmark_distances(reps, "procrustes", n_landmarks=4, rng=0)
    >>> ld.distances.shape, len(set(ld.landmarks.tolist()))
    ((4, 12), 4)
    >>> again = landmark_distances(reps, "procrustes", landmarks=ld.landmarks, n_jobs=2)
    >>> bool(np.allclose(again.distances, ld.distances, atol=1e-12))
    True
    """
    from ..pairwise import pairwise  # the engine, one layer below

    measure = get_measure(measure) if isinstance(measure, str) else measure
    if not isinstance(measure, Measure):
        raise TypeError(f"measure must be a repgeo.Measure or a registry name; got {type(measure).__name__}")
    if measure.info.kind != "distance" or not measure.info.symmetric:
        raise ValueError(f"measure must be a symmetric distance to embed; got {measure.info.name!r}, a {measure.info.kind}")
    labels, arrays = as_labelled(reps, "reps", minimum=2)
    K = len(arrays)

    def checked(rows: np.ndarray, idx: Any) -> np.ndarray:
        rows[np.arange(len(idx)), idx] = 0.0
        bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
        if bad.size:
            raise ValueError(f"measure returned a non-finite distance from reps[{labels[idx[bad[0]]]!r}]")
        return rows

    if landmarks is not None:
        idx = _check_landmarks(landmarks, np.size(landmarks), K)
        rows = pairwise([arrays[i] for i in idx], measure, other=arrays, n_jobs=n_jobs, store=store)
        return LandmarkDistances(checked(rows, idx), idx, labels)
    if n_landmarks is None:
        raise ValueError("n_landmarks must be given when landmarks is not")
    L = check_positive_int(n_landmarks, "n_landmarks", minimum=2)
    if L > K:
        raise ValueError(f"n_landmarks must be <= the number of representations K={K}; got {L}")
    prepared = [measure.prepare(a, f"reps[{lab!r}]") for a, lab in zip(arrays, labels)]
    measure.check_compatible(arrays, [f"reps[{lab!r}]" for lab in labels])
    block = getattr(measure, "compare_block", None)

    def row(i: int) -> np.ndarray:
        if block is not None:
            out = np.asarray(block([prepared[i]], prepared), dtype=float)[0]
        else:
            out = np.array([0.0 if j == i else measure.compare(prepared[i], prepared[j]) for j in range(K)])
        return checked(out[None, :], [i])[0]

    chosen = [int(check_rng(rng).integers(K))]
    rows = [row(chosen[0])]
    nearest = rows[0].copy()
    while len(chosen) < L:
        nearest[chosen] = -np.inf
        chosen.append(int(np.argmax(nearest)))
        rows.append(row(chosen[-1]))
        nearest = np.minimum(nearest, rows[-1])
    return LandmarkDistances(np.array(rows), np.array(chosen, dtype=np.intp), labels)

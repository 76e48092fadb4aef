"""All-pairs matrices as heatmaps, and their 2-D embeddings as labelled scatters."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_float_array, check_choice, check_drawable, check_length

__all__ = ["heatmap", "embedding", "cluster_order"]

#: Above this many rows the tick labels would overlap; matplotlib picks ticks instead.
_MAX_TICK_LABELS = 60


def _matrix_and_labels(matrix_or_result: Any, labels: Any) -> tuple[np.ndarray, list | None, str | None]:
    """The array, row labels and a title from an array or a :class:`repgeo.PairwiseResult`."""
    title = None
    if hasattr(matrix_or_result, "values") and hasattr(matrix_or_result, "labels"):
        title = getattr(matrix_or_result, "measure", None)
        if labels is None:
            labels = list(matrix_or_result.labels)
        matrix_or_result = matrix_or_result.values
    M = check_drawable(as_float_array(matrix_or_result, "matrix_or_result", ndim=2, allow_nonfinite=True),
                       "matrix_or_result")
    if labels is not None:
        labels = [str(lab) for lab in check_length(labels, "labels", M.shape[0], "row of the matrix")]
    return M, labels, title


def _as_distances(M: np.ndarray) -> np.ndarray:
    """A dissimilarity matrix for clustering ``M``: itself, a similarity turned round, or row distances."""
    S = (M + M.T) / 2
    diag = np.diag(S)
    tol = 1e-9 * max(float(np.abs(S).max()), np.finfo(float).tiny)
    if np.all(np.abs(diag) <= tol) and np.all(S >= -tol):  # a distance: zero diagonal, non-negative
        D = S
    elif np.all(diag[:, None] >= S - tol) and np.all(diag[None, :] >= S - tol):  # a similarity
        D = (diag[:, None] + diag[None, :]) / 2 - S
    else:  # neither: cluster rows by the Euclidean distance between their profiles
        D = np.sqrt(np.maximum(((M[:, None, :] - M[None, :, :]) ** 2).sum(-1), 0.0))
    D = np.maximum(D, 0.0)
    np.fill_diagonal(D, 0.0)
    return D


def cluster_order(matrix: Any) -> np.ndarray:
    """Row order that puts similar rows next to each other (average linkage, optimal leaf order).

    A matrix with a zero diagonal and non-negative entries is read as
    distances; one whose diagonal is the largest entry of its row and column
    as similarities ``S`` (clustered on ``(S_ii + S_jj) / 2 - S_ij``); any
    other square matrix is clustered on the Euclidean distances between its
    rows.

    Parameters
    ----------
    matrix : array of shape (K, K)

    Returns
    -------
    ndarray of int, shape (K,)
        A permutation of ``range(K)``.

    Examples
    --------
    >>> D = np.array([[0, 5, 1, 5], [5, 0, 5, 1], [1, 5, 0, 5], [5, 1, 5, 0.0]])
    >>> order = cluster_order(D)
    >>> sorted(map(sorted, (order[:2].tolist(), order[2:].tolist())))
    [[0, 2], [1, 3]]
    """
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    M = as_float_array(matrix, "matrix", ndim=2)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"matrix must be square to be ordered by clustering; got shape {M.shape}")
    if len(M) < 3:
        return np.arange(len(M))
    M = M / (np.abs(M).max() or 1.0)  # the order is scale-free; row distances of 1e300 entries would overflow
    condensed = squareform(_as_distances(M), checks=False)
    Z = linkage(condensed, method="average")
    return leaves_list(optimal_leaf_ordering(Z, condensed)).astype(int)


def _new_axes(ax: Any, figsize: tuple) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def heatmap(
    matrix_or_result: Any,
    labels: Any = None,
    order: Any = None,
    ax: Any = None,
    *,
    cmap: str = "viridis",
    colorbar: bool = True,
    title: str | None = None,
) -> Any:
    """Draw an all-pairs matrix as a heatmap with labelled rows and columns.

    Parameters
    ----------
    matrix_or_result : array of shape (K, K') or PairwiseResult
        The values; a :class:`repgeo.PairwiseResult` also gives the labels and
        (as the title) the measure.
    labels : sequence of str, optional
        One per row (and per column of a square matrix).  Up to 60 are
        written on the axes.
    order : None, "cluster" or sequence of int
        ``None`` keeps the input order; ``"cluster"`` orders rows and columns
        by :func:`cluster_order`; a permutation orders them as given.
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.
    cmap : str, default "viridis"
    colorbar : bool, default True
    title : str, optional
        Defaults to the measure of a ``PairwiseResult``.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.images[0]`` holds the (reordered) matrix.  NaN entries are left
        blank.

    Examples
    --------
    >>> import numpy as np, matplotlib, repgeo as rg
    >>> matplotlib.use("Agg")
    >>> D = np.array([[0, 3, 1, 3], [3, 0, 3, 1], [1, 3, 0, 3], [3, 1, 3, 0.0]])
    >>> ax = rg.plot.heatmap(D, labels=["a", "b", "c", "d"], order="cluster")
    >>> shown = [t.get_text() for t in ax.get_xticklabels()]
    >>> abs(shown.index("a") - shown.index("c")), abs(shown.index("b") - shown.index("d"))
    (1, 1)
    """
    M, labels, default_title = _matrix_and_labels(matrix_or_result, labels)
    square = M.shape[0] == M.shape[1]
    if order is None:
        rows = cols = None
    elif isinstance(order, str):
        check_choice(order, "order", ["cluster"])
        if not square or not np.isfinite(M).all():
            raise ValueError(
                f"order='cluster' needs a square matrix of finite values; got shape {M.shape} with "
                f"{int((~np.isfinite(M)).sum())} non-finite entries"
            )
        rows = cols = cluster_order(M)
    else:
        rows = np.asarray(check_length(order, "order", M.shape[0], "row of the matrix"))
        if sorted(rows.tolist()) != list(range(M.shape[0])):
            raise ValueError(f"order must be a permutation of range({M.shape[0]}); got {rows.tolist()}")
        rows = rows.astype(int)
        cols = rows if square else None
    shown = M if rows is None else M[rows]
    shown = shown if cols is None else shown[:, cols]
    ax = _new_axes(ax, (5.5, 4.5))
    image = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, interpolation="nearest")
    if labels is not None and len(labels) <= _MAX_TICK_LABELS:
        row_labels = labels if rows is None else [labels[i] for i in rows]
        size = 8 if len(labels) <= 20 else 6
        ax.set_yticks(range(len(row_labels)), row_labels, fontsize=size)
        if square:
            ax.set_xticks(range(len(row_labels)), row_labels, rotation=90, fontsize=size)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.85)
    if title or default_title:
        ax.set_title(title or default_title, fontsize=9)
    return ax


def _coordinates(data: Any) -> tuple[np.ndarray, list | None, str]:
    """2-D coordinates, labels and an axis name from an Embedding, a distance matrix or coordinates."""
    from ..embed import classical_mds

    labels = None
    if hasattr(data, "coords") and hasattr(data, "eigenvalues"):  # an Embedding
        coords, axis = as_float_array(data.coords, "embedding_or_matrix.coords", ndim=2), "MDS"
    else:
        if hasattr(data, "values") and hasattr(data, "labels"):  # a PairwiseResult
            labels = [str(lab) for lab in data.labels]
            data = data.values
        A = as_float_array(data, "embedding_or_matrix", ndim=2)
        n, m = A.shape
        scale = max(float(np.abs(A).max()), np.finfo(float).tiny)
        is_distance = n == m and np.allclose(A, A.T, atol=1e-9 * scale) and np.allclose(np.diag(A), 0, atol=1e-9 * scale)
        if is_distance:
            if (A < -1e-9 * scale).any():
                raise ValueError("embedding_or_matrix looks like a distance matrix (symmetric, zero diagonal) "
                                 f"but has negative entries (min {A.min():.3g}); distances must be non-negative")
            if n < 2:
                raise ValueError(f"embedding_or_matrix must hold at least 2 points to embed; got {n}")
            unit = float(A.max()) or 1.0  # MDS of D / s is that of D shrunk by s: no overflow squaring D
            coords, axis = classical_mds(A / unit, n_components=min(2, n - 1)).coords * unit, "MDS"
        elif labels is not None:
            raise ValueError("embedding_or_matrix is a PairwiseResult whose values are not distances (symmetric, "
                             "zero diagonal); embed a distance, e.g. angular CKA instead of CKA")
        else:
            coords, axis = A, "dimension"
    check_drawable(coords, "embedding_or_matrix")
    if coords.shape[1] < 2:  # a 1-D embedding: draw it on a line
        coords = np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]))])
    return coords[:, :2], labels, axis


def embedding(
    embedding_or_matrix: Any,
    labels: Any = None,
    colors: Any = None,
    ax: Any = None,
    *,
    cmap: str = "viridis",
    title: str | None = None,
) -> Any:
    """Scatter a 2-D embedding of representations, with text labels and colours.

    Parameters
    ----------
    embedding_or_matrix : Embedding, PairwiseResult or array
        An :class:`repgeo.embed.Embedding` (its first two coordinates); a
        distance matrix -- symmetric with a zero diagonal, as an array or a
        :class:`repgeo.PairwiseResult` -- embedded by classical MDS
        (:func:`repgeo.embed.classical_mds`); or coordinates ``(K, d)``, of
        which the first two are drawn.
    labels : sequence of str, optional
        Written next to each point (a ``PairwiseResult``'s labels by default).
    colors : sequence, optional
        One entry per point: numbers are coloured on ``cmap`` with a colour
        bar; anything else is a group name, one colour and legend entry per
        group.
    ax : matplotlib Axes, optional
    cmap : str, default "viridis"
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        One scatter collection per group (one in all without groups).

    Examples
    --------
    >>> import numpy as np, matplotlib, repgeo as rg
    >>> matplotlib.use("Agg")
    >>> D = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0.0]])
    >>> ax = rg.plot.embedding(D, labels=["a", "b", "c"], colors=["x", "x", "y"])
    >>> len(ax.collections), [t.get_text() for t in ax.texts]
    (2, ['a', 'b', 'c'])
    """
    coords, default_labels, axis = _coordinates(embedding_or_matrix)
    n = len(coords)
    labels = default_labels if labels is None else [str(x) for x in check_length(labels, "labels", n, "point")]
    ax = _new_axes(ax, (5, 4.5))
    if colors is None:
        ax.scatter(coords[:, 0], coords[:, 1], s=30)
    else:
        colors = check_length(colors, "colors", n, "point")
        if all(isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool) for c in colors):
            values = as_float_array(colors, "colors", ndim=1)
            points = ax.scatter(coords[:, 0], coords[:, 1], c=values, cmap=cmap, s=30)
            ax.figure.colorbar(points, ax=ax, shrink=0.85)
        else:
            groups = list(dict.fromkeys(str(c) for c in colors))
            names = np.array([str(c) for c in colors])
            for group in groups:
                mask = names == group
                ax.scatter(coords[mask, 0], coords[mask, 1], s=30, label=group)
            ax.legend(fontsize=7, loc="best")
    if labels is not None:
        for (x, y), text in zip(coords, labels):
            ax.annotate(text, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7)
    ax.set_xlabel(f"{axis} 1")
    ax.set_ylabel(f"{axis} 2")
    if title:
        ax.set_title(title, fontsize=9)
    ax.set_aspect("equal", adjustable="datalim")
    return ax

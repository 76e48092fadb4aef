"""Tiles of the all-pairs matrix: which pairs a tile holds, how big it is, and how it is computed.

A tile ``(bi, bj)`` covers rows ``bi * block ...`` and columns
``bj * block ...`` of the matrix.  Its pairs are never listed as Python
tuples: :func:`tile_pairs` derives them as two index arrays, in row-major
order, from the tile's position and the matrix's *mode*:

- ``"symmetric"``: a square matrix of a symmetric measure; pairs ``i < j``
  (tiles on or above the diagonal only), mirrored by the engine;
- ``"square"``: a square matrix of an asymmetric measure; pairs ``i != j``;
- ``"rectangular"``: rows and columns are two different lists; every pair.

The diagonal ``i == j`` joins the first two when the measure's identity value
is not a constant.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from .._measure import Measure
from ._prepared import blas_limits, restore

__all__ = ["tile_keys", "tile_pairs", "auto_block", "run_tile", "available_cores", "blas_limits"]

def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def tile_keys(n_rows: int, n_cols: int, block: int, mode: str) -> list[tuple[int, int]]:
    """Positions of the tiles that hold at least one pair."""
    rows, cols = math.ceil(n_rows / block), math.ceil(n_cols / block)
    return [(bi, bj) for bi in range(rows) for bj in range(bi if mode == "symmetric" else 0, cols)]


def _span(b: int, block: int, n: int) -> range:
    return range(b * block, min(n, (b + 1) * block))


def tile_pairs(key: tuple[int, int], block: int, n_rows: int, n_cols: int, mode: str, diagonal: bool) -> tuple:
    """Row and column indices of the tile's pairs, row-major (the order of the stored values)."""
    rows, cols = _span(key[0], block, n_rows), _span(key[1], block, n_cols)
    i, j = np.meshgrid(np.arange(rows.start, rows.stop), np.arange(cols.start, cols.stop), indexing="ij")
    if mode == "symmetric":
        keep = (i <= j) if diagonal else (i < j)
    elif mode == "square":
        keep = np.ones(i.shape, bool) if diagonal else (i != j)
    else:
        keep = np.ones(i.shape, bool)
    return i[keep], j[keep]


def auto_block(n_rows: int, n_cols: int, n_workers: int, rep_bytes: int, tile_budget: int) -> int:
    """The tile side for ``block_size="auto"``.

    With several workers, enough tiles to keep every worker busy (at least
    16, and 8 per worker); serial runs aim at 4 tiles (tiles then only serve
    the store and the progress bar, and larger ones make larger GEMMs for the
    block paths and fewer diagonal tiles, whose halving makes small ones).
    Never more representations per tile than fit in ``tile_budget`` bytes
    (a tile holds the prepared forms of its rows and columns, about
    ``2 * block * rep_bytes``).
    """
    target_tiles = max(16, 8 * n_workers) if n_workers > 1 else 4
    by_count = math.ceil(math.sqrt(n_rows * n_cols / (2 * target_tiles)))
    by_memory = tile_budget // max(1, 2 * rep_bytes)
    return int(max(1, min(by_count, by_memory, max(n_rows, n_cols))))


def _upper_triangle(many: Any, reps: list, full: np.ndarray, lo: int, hi: int) -> None:
    """Fill ``full[i, j]`` for ``lo <= i < j < hi`` by halving: one block per off-diagonal square.

    A diagonal tile is never computed whole: its lower half is wasted work,
    and its diagonal pairs (a representation with itself) are where
    alignment-based measures take their slow, exact path.
    """
    if hi - lo < 2:
        return
    mid = (lo + hi) // 2
    full[lo:mid, mid:hi] = many(reps[lo:mid], reps[mid:hi])
    _upper_triangle(many, reps, full, lo, mid)
    _upper_triangle(many, reps, full, mid, hi)


def run_tile(
    measure: Measure,
    key: tuple[int, int],
    lefts: list,
    rights: list,
    geometry: tuple,
    threads: int | None = None,
) -> tuple[tuple[int, int], np.ndarray]:
    """Compute one tile: ``(key, values)`` with the values in :func:`tile_pairs` order.

    ``lefts``/``rights`` are the prepared forms (or skeletons) of the tile's
    rows and columns; ``geometry`` is ``(block, n_rows, n_cols, mode,
    diagonal)``.  ``threads`` caps the BLAS threads of this process while
    the tile runs (``None`` leaves them alone).
    """
    block, n_rows, n_cols, mode, diagonal = geometry
    i, j = tile_pairs(key, block, n_rows, n_cols, mode, diagonal)
    if i.size == 0:
        return key, np.empty(0)
    li, rj = i - key[0] * block, j - key[1] * block
    with blas_limits(threads):
        lefts, rights = [restore(p) for p in lefts], [restore(p) for p in rights]
        many = getattr(measure, "compare_block", None)
        if many is not None:
            full = np.full((len(lefts), len(rights)), np.nan)
            if mode == "symmetric" and key[0] == key[1]:  # the strict upper triangle only
                _upper_triangle(many, lefts, full, 0, len(lefts))
                if diagonal:  # identity values that depend on the input: computed pair by pair
                    full[np.diag_indices(len(lefts))] = [measure.compare(a, a) for a in lefts]
            else:
                full[:] = many(lefts, rights)
            values = full[li, rj]
        else:
            pairs_fn = getattr(measure, "compare_pairs", None)
            left, right = [lefts[k] for k in li], [rights[k] for k in rj]
            if pairs_fn is not None:
                values = np.asarray(pairs_fn(left, right), dtype=float)
            else:
                values = np.array([measure.compare(a, b) for a, b in zip(left, right)], dtype=float)
    return key, values

"""Starting points for the vector-field Procrustes problem: frames built from each matrix alone.

A frame ``Z`` of a matrix ``A`` is an orthogonal matrix computed from ``A``
only, such that the frame of ``Q A Q^T`` is ``Q Z`` (equivariance): real
Schur vectors with eigenvalues sorted by modulus and by angle, eigenvectors
of the symmetric and of the skew-symmetric part, with LAPACK's arbitrary
choices (signs, bases of 2-D invariant planes) fixed by ``A`` itself.
Starts ``Z_A D Z_B^T`` pair frames of the two matrices.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import schur
from scipy.linalg.lapack import dtrexc
from scipy.optimize import linear_sum_assignment

__all__ = ["padded_frames", "matched", "starts"]

def _blocks(T: np.ndarray) -> list[tuple[int, int]]:
    n, out, i = len(T), [], 0
    while i < n:
        size = 2 if i + 1 < n and T[i + 1, i] != 0.0 else 1
        out.append((i, size))
        i += size
    return out


def _block_eig(T: np.ndarray, i: int, size: int) -> complex:
    if size == 1:
        return complex(T[i, i])
    # a 2 x 2 block of a real Schur form has complex eigenvalues: (a + d)/2 +- i sqrt(-(a - d)^2/4 - b c)
    a, b, c, d = T[i, i], T[i, i + 1], T[i + 1, i], T[i + 1, i + 1]
    return complex(0.5 * (a + d), np.sqrt(max(-0.25 * (a - d) ** 2 - b * c, 0.0)))


_ORDERS = {
    "modulus": lambda lam: (-abs(lam), -abs(lam.imag), -lam.real),
    "angle": lambda lam: (-abs(np.angle(lam)), -abs(lam), -lam.real),
}


def _ordered_schur(A: np.ndarray, order: str) -> tuple[np.ndarray, np.ndarray]:
    """Real Schur form ``A = Z T Z^T`` with its diagonal blocks sorted by ``order`` (via LAPACK trexc)."""
    T, Z = schur(A, output="real")
    key = _ORDERS[order]
    pos = 0
    for _ in range(len(A)):
        rest = [b for b in _blocks(T) if b[0] >= pos]
        if not rest:
            break
        start, _size = min(rest, key=lambda b: key(_block_eig(T, *b)))
        if start != pos:
            T_new, Z_new, info = dtrexc(T, Z, start + 1, pos + 1)
            if info != 0:  # a swap too ill-conditioned to perform: keep the order reached so far
                break
            T, Z = T_new, Z_new
        pos += 2 if pos + 1 < len(A) and T[pos + 1, pos] != 0.0 else 1
    return T, Z


def _canonical(Z: np.ndarray, A: np.ndarray, pairs: list[int]) -> np.ndarray:
    """Remove a frame's arbitrary choices using ``A`` itself, so that the frame of ``Q A Q^T`` is ``Q Z``.

    Inside each 2-D invariant plane (columns ``k, k+1`` for ``k`` in ``pairs``)
    a normal block is unchanged by rotations, so LAPACK's choice of basis
    there is arbitrary: the plane is rotated to diagonalise the symmetric
    part of ``A`` (larger eigenvalue first).  Then each column's sign is
    fixed against the columns before it: the largest coupling of column
    ``k`` with them in ``T = Z^T A Z`` (row or column ``k``) is made positive.
    The first column's sign (a global sign, invisible to ``C B C^T``) is left
    to :func:`_signed_by` when inputs are aligned too.
    """
    Z = Z.copy()
    S = A + A.T
    for k in pairs:
        plane = Z[:, k:k + 2]
        _, R = np.linalg.eigh(plane.T @ S @ plane)
        Z[:, k:k + 2] = plane @ R[:, ::-1]
    T = Z.T @ A @ Z
    for k in range(1, len(T)):
        coupling = np.concatenate([T[:k, k], T[k, :k]])
        if coupling[int(np.argmax(np.abs(coupling)))] < 0:
            Z[:, k] *= -1
            T[:, k] *= -1
            T[k, :] *= -1
    return Z


def _frames(A: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Orthogonal frames built from ``A`` alone (equivariant: a frame of ``Q A Q^T`` is ``Q`` times one of ``A``).

    Real Schur vectors with eigenvalues sorted by modulus and by angle, and
    eigenvectors of the symmetric and of the skew-symmetric part; with the
    eigenvalue each column of the first frame carries (see
    :func:`_position_eigenvalues`).
    """
    out, lam = [], None
    for M, order in ((A, "modulus"), (A, "angle"), (A - A.T, "modulus")):
        T, Z = _ordered_schur(M, order)
        pairs = [k for k, size in _blocks(T) if size == 2]
        out.append(_canonical(Z, A, pairs))
        if lam is None:
            lam = _position_eigenvalues(out[0], A, pairs)
    out.insert(2, _canonical(np.linalg.eigh(A + A.T)[1][:, ::-1], A, []))
    return out, lam


def _position_eigenvalues(Z: np.ndarray, A: np.ndarray, pairs: list[int]) -> np.ndarray:
    """The eigenvalue each column of a canonical real Schur frame carries.

    A 2-D block (columns ``k, k+1`` for ``k`` in ``pairs``) carries
    ``lambda`` and its conjugate; which column gets the one with positive
    imaginary part follows the block's sense of rotation, so that swapping
    the two columns (a reflection of the plane) swaps them.
    """
    T = Z.T @ A @ Z
    lam = np.diag(T).astype(complex)
    for k in pairs:
        ev = np.linalg.eigvals(T[k:k + 2, k:k + 2])
        up = complex(ev[0].real, abs(ev[0].imag))
        lam[k], lam[k + 1] = (up, up.conjugate()) if T[k + 1, k] >= T[k, k + 1] else (up.conjugate(), up)
    return lam


def _greedy_signs(W: np.ndarray, lin: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Local search over signs ``d`` for ``max d^T W d + lin^T d`` (single flips)."""
    Ws = W + W.T
    diag = np.diag(Ws)
    for _ in range(4 * len(d) + 4):
        gains = -2.0 * d * (Ws @ d - diag * d) - 2.0 * lin * d
        i = int(np.argmax(gains))
        if gains[i] <= 1e-15 * (np.abs(W).sum() + np.abs(lin).sum()):
            break
        d[i] = -d[i]
    return d


def padded_frames(A: np.ndarray, n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames of the unpadded ``A``, extended by the identity on the zero-padded coordinates
    (the padded matrix has repeated zero eigenvalues, whose eigenvectors no frame could fix), and the
    eigenvalues carried by the columns of the first (Schur, by modulus) frame."""
    k = len(A)
    frames, lam = _frames(A)
    lam = np.concatenate([lam, np.zeros(n - k)])
    pad = [np.block([[Z, np.zeros((k, n - k))], [np.zeros((n - k, k)), np.eye(n - k)]]) for Z in frames]
    return pad, lam


def matched(frame_b: np.ndarray, lam_a: np.ndarray, lam_b: np.ndarray) -> np.ndarray:
    """B's Schur frame with its columns reordered so that column i carries the eigenvalue matched to A's
    column i (linear assignment on ``|lambda_i - mu_j|^2``): for normal matrices this is the optimum of
    Hoffman and Wielandt, in general a start near the eigenvalue-matching alignment."""
    cost = np.abs(lam_a[:, None] - lam_b[None, :]) ** 2
    _, cols = linear_sum_assignment(cost)
    return frame_b[:, cols]


def _signed_by(Z: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``Z`` or ``-Z``: the entry of ``Z^T P`` largest in magnitude made positive (``Z^T P`` does not change
    when the states rotate, so the choice moves with the coordinates)."""
    ZP = Z.T @ P
    return -Z if ZP.flat[int(np.argmax(np.abs(ZP)))] < 0 else Z


def starts(A0, B0, P, Q, n_random, rng, frames_a, frames_b) -> list[np.ndarray]:
    """Starts in both components of O(n): ``Z_A D Z_B^T`` over frame pairs with greedy signs ``D``,
    then ``n_random`` starts ``Z_A G Z_B^T`` with Haar-random ``G`` (in the first frames, so that they
    too move with the coordinates)."""
    out = []
    if P is not None:  # C and -C differ once inputs count: fix each frame's global sign by its inputs too
        frames_a = [_signed_by(Z, P) for Z in frames_a]
        frames_b = [_signed_by(Z, Q) for Z in frames_b]
    for ZA, ZB in zip(frames_a, frames_b):
        TA, TB = ZA.T @ A0 @ ZA, ZB.T @ B0 @ ZB
        W = TA * TB
        lin = np.einsum("ij,ij->i", ZA.T @ P, ZB.T @ Q) if P is not None else np.zeros(len(W))
        d = _greedy_signs(W, lin, np.ones(len(W)))
        Ws = W + W.T
        gains = -2.0 * d * (Ws @ d - np.diag(Ws) * d) - 2.0 * lin * d
        flipped = d.copy()
        flipped[int(np.argmax(gains))] *= -1  # the best start in the other component
        out += [(ZA * d) @ ZB.T, (ZA * flipped) @ ZB.T]
    for _ in range(n_random):
        G, R = np.linalg.qr(rng.standard_normal(A0.shape))
        out.append(frames_a[0] @ (G * np.sign(np.diag(R))) @ frames_b[0].T)
    unique: list[np.ndarray] = []
    for C in out:
        if not any(np.abs(C - U).max() < 1e-12 for U in unique):
            unique.append(C)
    return unique

"""Benchmark: the spectral-ratio distance over many points, up to seven ways, in one run.

Run ``PYTHONPATH=src python benchmarks/bench_msa.py [--n-points 100000] [--repeats 3]``.

Every path computes ``d_SR = 1 - sqrt(lambda_min / lambda_max)`` of the
generalised eigenvalues of the same metric tensors:

* ``loop``: a per-point ``scipy.linalg.eigh(G1, G2)`` loop (timed on
  ``--loop-points`` points and scaled to ``--n-points``: the loop is linear);
* ``svd tier``: repgeo's kernel with the fast tier switched off (every point
  by the SVD of ``R1 R2^{-1}``, the accurate path of earlier versions);
* ``two-tier``: repgeo's default (``eigvalsh`` of the whitened pencil where
  its error bound allows, SVD elsewhere);
* ``torch cpu``: a plain torch pipeline (Cholesky, triangular inverse,
  whitening, ``eigvalsh``), float64, when torch is installed;
* ``torch cuda``: the same on a GPU, when one is available;
* ``repgeo torch cpu`` / ``repgeo torch cuda``: repgeo's own functions on
  torch tensors (the same two-tier algorithm and checks as the NumPy path);
* ``eigvalsh only``: not a path but a floor, NumPy's batched ``eigvalsh`` alone
  on the already whitened matrices (LAPACK's per-matrix cost, which every
  NumPy path that needs the eigenvalues pays on every point).

* ``at REV`` (with ``--against REV``): ``spectral_ratio`` as of a git
  revision, e.g. ``--against 7532adf`` (the batched path when issue 15 was
  filed, before the two-tier kernel), extracted with ``git archive`` and
  imported as a separate package.

Every torch row includes moving the float64 arrays to the device and the
result back.

BLAS and torch use one thread; the paths are interleaved and the median of
``--repeats`` runs is reported, with each path's ratio to the two-tier path and
the largest difference from it, then one line per ``m`` with the ratios issue
15 sets targets for (two-tier against the SVD tier, the revision, torch CPU and
the loop).  ``--clock cpu`` times process CPU time instead of wall time: on a
shared machine it is less disturbed by other processes (the paths are
single-threaded, so the two agree on an idle machine).  Not part of the test run.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.linalg  # noqa: E402

from repgeo.riemann import _kernels as K  # noqa: E402
from repgeo.riemann import spectral_ratio  # noqa: E402


def per_point_loop(G1: np.ndarray, G2: np.ndarray) -> np.ndarray:
    out = np.empty(len(G1))
    for i in range(len(G1)):
        lam = scipy.linalg.eigh(G1[i], G2[i], eigvals_only=True)
        out[i] = 1.0 - np.sqrt(lam[0] / lam[-1])
    return out


def svd_tier(G1: np.ndarray, G2: np.ndarray) -> np.ndarray:
    saved, K.FAST_TOLERANCE = K.FAST_TOLERANCE, -1.0
    try:
        return spectral_ratio(G1, G2)
    finally:
        K.FAST_TOLERANCE = saved


def torch_path(device: str):
    import torch

    torch.set_num_threads(1)

    def run(G1: np.ndarray, G2: np.ndarray) -> np.ndarray:
        A = torch.from_numpy(G1).to(device)
        B = torch.from_numpy(G2).to(device)
        L = torch.linalg.cholesky(B)
        eye = torch.eye(B.shape[-1], dtype=B.dtype, device=device).expand_as(B)
        Li = torch.linalg.solve_triangular(L, eye, upper=False)
        w = torch.linalg.eigvalsh(Li @ A @ Li.mT)
        out = (1.0 - torch.sqrt(w[:, 0] / w[:, -1])).cpu().numpy()
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    return run


def repgeo_torch_path(device: str):
    import torch

    torch.set_num_threads(1)

    def run(G1: np.ndarray, G2: np.ndarray) -> np.ndarray:
        out = spectral_ratio(torch.from_numpy(G1).to(device), torch.from_numpy(G2).to(device)).cpu().numpy()
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    return run


def load_revision(rev: str, workdir: str):
    """``repgeo.riemann.spectral_ratio`` as of git revision ``rev``, imported as package ``repgeo_rev``."""
    root = Path(__file__).resolve().parents[1]
    blob = subprocess.run(["git", "-C", str(root), "archive", rev, "src/repgeo"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(workdir, filter="data")
    os.rename(os.path.join(workdir, "src", "repgeo"), os.path.join(workdir, "repgeo_rev"))
    sys.path.insert(0, workdir)
    return importlib.import_module("repgeo_rev.riemann").spectral_ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-points", type=int, default=100_000)
    parser.add_argument("--loop-points", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 8, 16])
    parser.add_argument("--against", metavar="REV", help="also time spectral_ratio as of this git revision")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="wall time or process CPU time")
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    rng = np.random.default_rng(0)
    paths = {"svd tier": svd_tier, "two-tier": spectral_ratio}
    if args.against:
        paths[f"at {args.against}"] = load_revision(args.against, tempfile.mkdtemp(prefix="bench_msa_"))
    try:
        import torch

        paths["torch cpu"] = torch_path("cpu")
        paths["repgeo torch cpu"] = repgeo_torch_path("cpu")
        if torch.cuda.is_available():
            paths["torch cuda"] = torch_path("cuda")
            paths["repgeo torch cuda"] = repgeo_torch_path("cuda")
    except ImportError:
        pass
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, {platform.processor() or platform.machine()}, "
          f"{args.n_points} points, one BLAS thread, median of {args.repeats} interleaved runs, {args.clock} clock")
    print(f"{'m':>3} {'path':<17} {'time [s]':>9} {'vs two-tier':>12} {'max |diff|':>11} {'fast share':>10}")
    for m in args.dims:
        J1 = rng.standard_normal((args.n_points, m + 4, m))
        J2 = rng.standard_normal((args.n_points, m + 4, m))
        G1 = np.einsum("pia,pib->pab", J1, J1)
        G2 = np.einsum("pia,pib->pab", J2, J2)
        k = min(args.loop_points, args.n_points)
        times: dict[str, list[float]] = {name: [] for name in ["loop", *paths, "eigvalsh only"]}
        results = {}
        Li = np.linalg.inv(np.linalg.cholesky(G2))
        whitened = Li @ G1 @ Li.swapaxes(-1, -2)
        for _ in range(args.repeats):
            start = clock()
            w = np.linalg.eigvalsh(whitened)
            times["eigvalsh only"].append(clock() - start)
            results["eigvalsh only"] = 1.0 - np.sqrt(w[:, 0] / w[:, -1])
            start = clock()
            results["loop"] = per_point_loop(G1[:k], G2[:k])
            times["loop"].append((clock() - start) * args.n_points / k)
            for name, fn in paths.items():
                start = clock()
                results[name] = fn(G1, G2)
                times[name].append(clock() - start)
        # the share of points the fast tier keeps, from the same bound the kernel uses
        R1 = K.chol_factor(K.normalise(G1, jacobian=False)[0])
        R2i = K.tri_inv(K.chol_factor(K.normalise(G2, jacobian=False)[0]))
        M = R1 @ R2i
        share = float(np.mean(K.fast_error(np.linalg.eigvalsh(M.swapaxes(-1, -2) @ M), "spectral_ratio")
                              <= K.FAST_TOLERANCE)) if m > 2 else 1.0
        ref = results["two-tier"]
        t_ref = float(np.median(times["two-tier"]))
        for name in times:
            t = float(np.median(times[name]))
            diff = float(np.abs(results[name] - ref[: len(results[name])]).max())
            extra = f"{share:>10.3f}" if name == "two-tier" else ""
            print(f"{m:>3} {name:<17} {t:>9.3f} {t / t_ref:>11.2f}x {diff:>11.1e} {extra}")
        speedups = [f"{name} / two-tier = {float(np.median(times[name])) / t_ref:.2f}x"
                    for name in ["svd tier", f"at {args.against}", "torch cpu", "loop"] if name in times]
        print(f"{m:>3} targets: " + "; ".join(speedups))


if __name__ == "__main__":
    main()

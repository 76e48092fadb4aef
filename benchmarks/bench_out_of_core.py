"""Inputs larger than memory: all pairs of a directory of .npy files, with wall time and peak memory.

Writes K representations of n x p float32 to a temporary directory, then
runs ``repgeo.pairwise(directory, "procrustes", n_jobs=2, block_size=B,
max_memory=M)`` in a fresh child process per setting and reports the wall
time and the peak resident memory (VmHWM) of the parent and of each worker,
next to the size of the inputs and of the result matrix.  Two sweeps show
what memory grows with:

- K grows at a fixed tile side: peak memory beyond the K x K result stays flat;
- the tile side grows at a fixed K: peak memory grows with it.

    python benchmarks/bench_out_of_core.py                      # K = 500, 1000, 2000; tiles 50, 100, 200
    python benchmarks/bench_out_of_core.py --k 2000 --blocks 100 --sweep-k ""   # one run

Time per pair is fitted from the runs (wall = a + b * pairs), extrapolated
to larger K.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(directory: str, k: int, block: int, max_memory: int) -> dict:
    import numpy as np
    import psutil

    import repgeo as rg

    files = sorted(Path(directory).glob("*.npy"))[:k]
    reps = {f.stem: str(f) for f in files}
    before = _peak_mib(os.getpid())
    t0 = time.perf_counter()
    D = rg.pairwise(reps, "procrustes", n_jobs=2, block_size=block, max_memory=max_memory)
    wall = time.perf_counter() - t0
    workers = [_peak_mib(c.pid) for c in psutil.Process().children(recursive=True)]
    assert np.isfinite(D).all()
    return {"wall": wall, "parent_before": before, "parent": _peak_mib(os.getpid()), "workers": workers, "result_mib": D.nbytes / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--p", type=int, default=50)
    parser.add_argument("--k", type=int, default=2000, help="K of the tile-size sweep")
    parser.add_argument("--block", type=int, default=100, help="tile side of the K sweep")
    parser.add_argument("--sweep-k", default="500,1000,2000")
    parser.add_argument("--blocks", default="50,100,200")
    parser.add_argument("--max-memory", type=int, default=64 << 20, help="bytes (default 64 MiB: prepared forms go to disk)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        d, k, b, m = args.child
        print(json.dumps(child(d, int(k), int(b), int(m))))
        return

    import numpy as np

    ks = [int(x) for x in args.sweep_k.split(",") if x]
    runs = [(k, args.block) for k in ks] + [(args.k, int(b)) for b in args.blocks.split(",") if b]
    kmax = max(k for k, _ in runs)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="repgeo-ooc-") as tmp:
        rng = np.random.default_rng(0)
        for i in range(kmax):
            np.save(Path(tmp) / f"net{i:05d}.npy", rng.standard_normal((args.n, args.p)).astype(np.float32))
        per_input = args.n * args.p * 4 / 2**20
        print(f"{kmax} files of {args.n} x {args.p} float32 ({per_input * 1024:.0f} KiB each) in {tmp}; "
              f"procrustes, n_jobs=2, max_memory={args.max_memory >> 20} MiB, {os.cpu_count()} cores")
        print(f"{'K':>6} {'tile':>5} {'pairs':>9} {'wall s':>8} {'us/pair':>8} {'inputs MiB':>10} {'result MiB':>10} "
              f"{'parent peak':>11} {'worker peaks (MiB)':>20}")
        fits = []
        for k, b in runs:
            out = subprocess.run([sys.executable, __file__, "--child", tmp, str(k), str(b), str(args.max_memory)],
                                 env=env, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            pairs = k * (k - 1) // 2
            fits.append((pairs, r["wall"]))
            print(f"{k:6d} {b:5d} {pairs:9d} {r['wall']:8.1f} {1e6 * r['wall'] / pairs:8.0f} {k * per_input:10.0f} "
                  f"{r['result_mib']:10.1f} {r['parent']:11.0f} {', '.join(f'{w:.0f}' for w in r['workers']):>20}")
        if len(fits) >= 2:
            x, y = np.array(fits, dtype=float).T
            slope, intercept = np.polyfit(x, y, 1)
            for k in (4000, 10000):
                pairs = k * (k - 1) // 2
                print(f"extrapolated K={k}: {intercept + slope * pairs:.0f} s ({1e6 * slope:.0f} us/pair marginal)")


if __name__ == "__main__":
    main()

"""Run the reference replicaMFT on the digits layers and store its values (capacity_replicamft_digits.json).

The reference is ``schung039/neural_manifolds_replicaMFT`` (commit d56eda1,
unmodified), run in its own virtual environment (numpy, scipy, cvxopt,
autograd and ``pymanopt==0.2.5``); it is imported from a checkout given on the
command line and is not part of this repository.  Each seed seeds NumPy's
global generator, which the reference uses both for its center-direction
restarts and for its Gaussian draws.

Run:  OMP_NUM_THREADS=1 /path/to/venv/bin/python tests/data/make_capacity_reference.py \\
          --mftma /path/to/neural_manifolds_replicaMFT --seeds 20
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from make_capacity_digits import digits_layers  # noqa: E402

OUT = HERE / "capacity_replicamft_digits.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mftma", required=True, help="checkout of schung039/neural_manifolds_replicaMFT")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--n-t", type=int, default=300)
    args = parser.parse_args()
    sys.path.insert(0, args.mftma)
    from mftma.manifold_analysis_correlation import manifold_analysis_corr

    import cvxopt
    import pymanopt

    layers = digits_layers()
    runs: dict[str, list[dict]] = {}
    for name, mans in layers.items():
        runs[name] = []
        for seed in range(args.seeds):
            np.random.seed(seed)
            t0 = time.perf_counter()
            a, r, d, rho, K = manifold_analysis_corr([m.T for m in mans], 0.0, args.n_t)
            runs[name].append(dict(seed=seed, capacity=float(1 / np.mean(1 / a)), radius=float(np.mean(r)),
                                   dimension=float(np.mean(d)), center_correlation=float(rho), n_centers=int(K),
                                   capacities=a.tolist(), radii=r.tolist(), dimensions=d.tolist(),
                                   seconds=time.perf_counter() - t0))
            print(name, runs[name][-1]["capacity"], runs[name][-1]["radius"], runs[name][-1]["dimension"], K,
                  f"{runs[name][-1]['seconds']:.1f}s", flush=True)
    meta = dict(tool="schung039/neural_manifolds_replicaMFT", commit="d56eda1", function="manifold_analysis_corr",
                kappa=0.0, n_t=args.n_t, n_reps=10, pymanopt=pymanopt.__version__, cvxopt=cvxopt.__version__,
                numpy=np.__version__, data="tests/data/make_capacity_digits.py digits_layers()")
    OUT.write_text(json.dumps(dict(meta=meta, runs=runs), indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

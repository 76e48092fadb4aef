"""Reference Mantel tests from scikit-bio, for tests/test_stats.py.

Run in a separate virtual environment with scikit-bio (not a repgeo dependency):

    python3 -m venv /work/venv-skbio && /work/venv-skbio/bin/pip install scikit-bio
    /work/venv-skbio/bin/python tests/data/make_mantel_skbio.py > tests/data/mantel_skbio.json

The inputs are rebuilt by ``inputs(case)`` (numpy only), so the test re-creates them.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from scipy.spatial.distance import pdist, squareform

CASES = {"related": (0, 25, 2.0), "weak": (1, 25, 6.0), "unrelated": (2, 25, None)}


def inputs(case: str) -> tuple[np.ndarray, np.ndarray]:
    """Two 25 x 25 distance matrices: points, and the same points plus noise (or fresh points)."""
    seed, n, noise = CASES[case]
    rng = np.random.default_rng(seed)
    P = rng.standard_normal((n, 3))
    Q = rng.standard_normal((n, 3)) if noise is None else P + noise * rng.standard_normal((n, 3))
    return squareform(pdist(P)), squareform(pdist(Q, "cityblock"))


def main() -> None:
    import skbio
    from skbio.stats.distance import mantel

    out = {"tool": f"scikit-bio {skbio.__version__}", "numpy": np.__version__, "permutations": 99999, "results": []}
    for case in CASES:
        D1, D2 = inputs(case)
        for method in ("pearson", "spearman"):
            for alternative in ("greater", "two-sided"):
                stat, p, n = mantel(D1, D2, method=method, permutations=99999, alternative=alternative, seed=0)
                out["results"].append(
                    {"case": case, "method": method, "alternative": alternative, "statistic": stat, "pvalue": p}
                )
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()

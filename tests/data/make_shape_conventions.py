"""Produce tests/data/shape_conventions.npz: shape-metric values computed by netrep and repsim themselves.

Not run by the test suite.  It needs the two reference packages, neither of which
repgeo depends on:

- netrep, github.com/ahwillia/netrep at commit 0186b8a (not on PyPI): a checkout on PYTHONPATH;
- repsim, github.com/wrongu/repsim at commit ecd0a54 (setup.cfg version 0.8.3; the PyPI
  package named ``repsim`` is an unrelated library with no shape metric): ``src/`` on PYTHONPATH,
  with torch 2.13.0 (CPU), numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1.

Run::

    PYTHONPATH=<netrep checkout>:<repsim checkout>/src python tests/data/make_shape_conventions.py

The inputs are stored in the file next to the values, so the test never regenerates them.
"""

from __future__ import annotations

from pathlib import Path

import netrep
import numpy as np
import repsim
import torch
from netrep.metrics import LinearMetric
from repsim.metrics import AngularShapeMetric, EuclideanShapeMetric

ALPHAS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
SCORES = ("angular", "euclidean")


def inputs():
    rng = np.random.default_rng(2026)
    X = 3.0 * rng.standard_normal((80, 6)) @ rng.standard_normal((6, 6))  # anisotropic, not unit scale
    Y = 0.5 * X @ rng.standard_normal((6, 6)) + 2.0 * rng.standard_normal((80, 6))
    Xw = rng.standard_normal((80, 5)) @ rng.standard_normal((5, 5))  # unequal widths: 5 and 9
    Yw = np.hstack([Xw, rng.standard_normal((80, 4))]) @ rng.standard_normal((9, 9)) + rng.standard_normal((80, 9))
    return X, Y, Xw, Yw


def netrep_value(X, Y, alpha, score):
    return float(LinearMetric(alpha=alpha, center_columns=True, zero_pad=True, score_method=score).fit_score(X, Y))


def repsim_value(X, Y, alpha, score):
    p = max(X.shape[1], Y.shape[1])
    cls = AngularShapeMetric if score == "angular" else EuclideanShapeMetric
    metric = cls(X.shape[0], p, alpha=alpha)
    a = metric.neural_data_to_point(torch.tensor(X, dtype=torch.float64))
    b = metric.neural_data_to_point(torch.tensor(Y, dtype=torch.float64))
    return float(metric.length(a, b))


def main() -> None:
    X, Y, Xw, Yw = inputs()
    out = {"X": X, "Y": Y, "Xw": Xw, "Yw": Yw, "alphas": ALPHAS}
    for tool, fn in (("netrep", netrep_value), ("repsim", repsim_value)):
        for score in SCORES:
            out[f"{tool}_{score}"] = np.array([fn(X, Y, a, score) for a in ALPHAS])
        # unequal widths: angular only (netrep pads before whitening, which changes its Euclidean scale)
        out[f"{tool}_angular_wide"] = np.array([fn(Xw, Yw, a, "angular") for a in ALPHAS])
    here = Path(__file__).resolve().parent
    np.savez(here / "shape_conventions.npz", **out)
    for key, val in out.items():
        if key.startswith(("netrep", "repsim")):
            print(key, np.array2string(val, precision=10))
    print("netrep", getattr(netrep, "__version__", "0.0.2 (setup.py)"), "repsim", getattr(repsim, "__version__", "?"),
          "torch", torch.__version__, "numpy", np.__version__)


if __name__ == "__main__":
    main()

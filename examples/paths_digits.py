"""Residual vs plain MLPs on digits, read as paths through a space of representations.

Trains four 8-layer ReLU MLPs (plain and residual, two seeds each; NumPy, a few
seconds each) on scikit-learn's bundled digits, then follows each network's
layers -- pixels, eight hidden layers, class probabilities -- on 300 held-out
images as a path (Lange et al. 2023) in the angular Procrustes and the angular
CKA spaces: total length, straightness (end-to-end distance / length), turning
angles, and the distance of every layer to the one-hot labels.  The tables are
those of the paths section of ``repgeo demo``.

    python examples/paths_digits.py                 # the tables
    python examples/paths_digits.py --plot out.png  # and a 2-D picture of the paths (matplotlib)
"""

from __future__ import annotations

import argparse

import numpy as np

import repgeo as rg
from repgeo.datasets import train_digit_mlp
from repgeo.demo.paths import path_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", help="write a picture of the paths (angular CKA) to this file")
    args = parser.parse_args()

    nets = {}
    for residual in (False, True):
        for seed in (0, 1):
            name = f"{'residual' if residual else 'plain'}-s{seed}"
            nets[name] = train_digit_mlp(residual=residual, depth=8, width=32, seed=seed)
            print(f"trained {name}: test accuracy {nets[name].test_accuracy:.3f}")
    target = np.eye(10)[nets["plain-s0"].labels]  # one-hot labels of the held-out images

    for space in ("angular", "cka"):
        lines, _ = path_table(nets, target, space)
        print("", *lines, sep="\n")

    # one path in detail: where does each layer sit relative to the end-to-end geodesic?
    s = rg.paths.summarize(nets["residual-s0"].layers, space="cka", target=target)
    print("\nresidual-s0 in the cka space, layer by layer (pixels .. output):")
    print("  step length          " + " ".join(f"{x:.2f}" for x in s.steps))
    print("  turning angle        " + " ".join(f"{x:.2f}" for x in s.turning_angles))
    print("  t on end-to-end path " + " ".join(f"{x:.2f}" for x in s.projection_t))
    print("  off that geodesic    " + " ".join(f"{x:.2f}" for x in s.distance_from_geodesic))

    # how far apart are two paths, layer by layer?
    plain, resid = nets["plain-s0"].layers, nets["residual-s0"].layers
    print("\ncka distance between corresponding layers (pixels .. output):")
    print("  plain-s0 vs residual-s0:    " + " ".join(f"{rg.paths.distance(a, b, space='cka'):.2f}" for a, b in zip(plain, resid)))
    print("  residual-s0 vs residual-s1: " + " ".join(
        f"{rg.paths.distance(a, b, space='cka'):.2f}" for a, b in zip(resid, nets["residual-s1"].layers)))

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = rg.plot.paths({k: v.layers for k, v in nets.items()}, measure="angular_cka", target=target)
        ax.figure.savefig(args.plot, dpi=150, bbox_inches="tight")
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()

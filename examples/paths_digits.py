"""Residual vs plain MLPs on digits, read as paths through a space of representations.

Trains four 8-layer ReLU MLPs (plain and residual, two seeds each; NumPy, a few
seconds each) on scikit-learn's bundled digits, then follows each network's
layers -- pixels, eight hidden layers, class probabilities -- on 300 held-out
images as a path (Lange et al. 2023) in the angular Procrustes and the angular
CKA spaces: total length, straightness (end-to-end distance / length), turning
angles, and the distance of every layer to the one-hot labels.

    python examples/paths_digits.py                 # the tables
    python examples/paths_digits.py --plot out.png  # and a 2-D picture of the paths (matplotlib)
"""

from __future__ import annotations

import argparse

import numpy as np

import repgeo as rg
from repgeo.datasets import train_digit_mlp


def summaries(nets: dict, target: np.ndarray, space: str) -> list[str]:
    lines = [
        f"{space} space",
        f"  {'network':<12} {'length':>7} {'end-to-end':>10} {'straightness':>12} {'mean turn':>9}   "
        "distance to labels: pixels, h1, h4, h8, output",
    ]
    for name, net in nets.items():
        s = rg.paths.summarize(net.layers, space=space, target=target)
        d = s.distance_to_target
        lines.append(
            f"  {name:<12} {s.length:7.3f} {s.endpoint_distance:10.3f} {s.straightness:12.3f} "
            f"{np.nanmean(s.turning_angles):9.3f}   {d[0]:.3f} {d[1]:.3f} {d[4]:.3f} {d[8]:.3f} {d[-1]:.3f}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", help="write a picture of the paths (CKA space) to this file")
    args = parser.parse_args()

    nets = {}
    for residual in (False, True):
        for seed in (0, 1):
            name = f"{'residual' if residual else 'plain'}-s{seed}"
            nets[name] = train_digit_mlp(residual=residual, depth=8, width=32, seed=seed)
            print(f"trained {name}: test accuracy {nets[name].test_accuracy:.3f}")
    labels = next(iter(nets.values())).labels
    target = np.eye(10)[labels]

    print()
    for space in ("angular", "cka"):
        print("\n".join(summaries(nets, target, space)), end="\n\n")

    # how far apart are the two architectures' paths, layer by layer?
    plain, resid = nets["plain-s0"].layers, nets["residual-s0"].layers
    across = [rg.paths.distance(a, b, space="cka") for a, b in zip(plain, resid)]
    seeds = [rg.paths.distance(a, b, space="cka") for a, b in zip(resid, nets["residual-s1"].layers)]
    print("cka distance, layer by layer (pixels .. output):")
    print("  plain-s0 vs residual-s0:    " + " ".join(f"{d:.2f}" for d in across))
    print("  residual-s0 vs residual-s1: " + " ".join(f"{d:.2f}" for d in seeds))

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = rg.plot.paths({k: v.layers for k, v in nets.items()}, space="cka", target=target)
        ax.figure.savefig(args.plot, dpi=150, bbox_inches="tight")
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()

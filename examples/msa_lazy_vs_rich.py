"""Lazy vs rich learning compared by metric similarity analysis (MSA) and linear CKA.

Trains a 2-64-64-1 tanh MLP on the continuous XOR task ``y = sign(u1 u2)``
from three initialisations, each in a lazy (alpha = 100) and a rich
(alpha = 0.1) regime (NumPy only, about a minute on 2 cores), then compares
the second hidden layer over a grid of the input square:

* each trained network against its own initialisation, by MSA and CKA;
* all six trained networks pairwise (MSA through ``repgeo.pairwise``), to see
  whether networks of one regime resemble each other more than the other regime;
* where on the input square the rich networks' geometry changed.

Run: ``PYTHONPATH=src python examples/msa_lazy_vs_rich.py [out_dir]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import repgeo as rg
from repgeo.demo.msa import grid, hidden_and_jacobians, init_mlp, train_xor

REGIMES = {"lazy": 100.0, "rich": 0.1}


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    U = grid(30)
    hidden, jac, own_init = {}, {}, {}
    with threadpool_limits(1, "blas"):
        for seed in range(3):
            init = init_mlp(64, seed)
            for regime, alpha in REGIMES.items():
                name = f"{regime}{seed}"
                hidden[name], jac[name] = hidden_and_jacobians(train_xor(init, alpha, rng=100 + seed), U)
                own_init[name] = hidden_and_jacobians(init, U)

    print("trained vs own initialisation")
    print(f"{'network':>8} {'MSA':>7} {'AIRM':>7} {'CKA':>7}")
    for name in hidden:
        h0, j0 = own_init[name]
        print(
            f"{name:>8} {rg.MSA()(jac[name], j0):7.3f} {rg.MSA(spd='airm')(jac[name], j0):7.3f} "
            f"{rg.LinearCKA()(hidden[name], h0):7.3f}"
        )

    names = list(hidden)
    D_msa = rg.pairwise([jac[n] for n in names], rg.MSA())
    S_cka = rg.pairwise([hidden[n] for n in names], rg.LinearCKA())
    regime = np.array([n.rstrip("0123456789") for n in names])
    same = regime[:, None] == regime[None, :]
    off = ~np.eye(len(names), dtype=bool)
    print("\npairwise after training (mean over pairs)")
    for label, mask in (("within lazy", same & (regime[:, None] == "lazy")),
                        ("within rich", same & (regime[:, None] == "rich")),
                        ("across", ~same)):
        mask = mask & off
        print(f"{label:>12}: MSA {D_msa[mask].mean():.3f}   CKA {S_cka[mask].mean():.3f}")

    rich = [n for n in names if n.startswith("rich")]
    d = np.mean([rg.MSA().evaluate(jac[n], own_init[n][1]).per_point for n in rich], axis=0)
    near = np.abs(U).min(axis=1) < 0.2
    print(f"\nrich vs init, pointwise d_SR: {d[near].mean():.3f} near the decision boundary, {d[~near].mean():.3f} elsewhere")
    np.savez(out_dir / "msa_lazy_vs_rich_example.npz", names=names, msa=D_msa, cka=S_cka, grid=U, rich_pointwise=d)
    print(f"written: {out_dir / 'msa_lazy_vs_rich_example.npz'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("msa_example_out"))

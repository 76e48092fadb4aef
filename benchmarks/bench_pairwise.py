"""All-pairs engine: the targets (a)-(e) of issue 14, side by side in one run.

Every section runs in a child process with its BLAS thread setting in the
environment (numpy reads it at import), interleaves the compared methods
(``--repeats`` rounds, medians reported) and checks that they agree.

(a) shape metrics (Procrustes, CCA) on K = 20 and 60 representations of
    2000 x 200: the engine at n_jobs=1 and 2 against a cached serial NumPy
    loop (each network centred/whitened once, then one SVD per pair), with
    BLAS threads unset and with OPENBLAS_NUM_THREADS=2; netrep's
    ``pairwise_distances(processes=2)`` too with ``--netrep CHECKOUT``.
(b) linear CKA on K = 200 of 5000 x 100: the engine against the GEMMs alone
    (every X_i^T X_j of the cached centred data, one per pair, and one
    stacked GEMM) and against a per-pair loop that recomputes each network's
    centring and self-similarity.
(c) RSA (correlation RDM, Spearman) on K = 50 of 300 x 100: the engine at
    n_jobs=1 and 2, and rsatoolbox's batched ``calc_rdm`` + ``compare`` at one
    and two BLAS threads (``--rsatoolbox-python`` names a Python that has
    rsatoolbox installed; it runs there in a child process).
(d) GFLOP/s of the Procrustes block path (its cross-product flops over its
    wall time, one thread) against numpy matmul of a tile-sized product.
(e) K = 1000 of 500 x 50, Procrustes, n_jobs=2: wall time and the peak
    resident memory of the parent and of each worker.

    python benchmarks/bench_pairwise.py --netrep /path/to/netrep --rsatoolbox-python /path/to/python
    python benchmarks/bench_pairwise.py --quick        # smaller sizes, one repeat: a smoke test

Prints wall times and the ratios each target names.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _env(threads: int | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
    if threads is not None:
        env.update({k: str(threads) for k in BLAS_VARS})
    return env


def child(section: str, threads: int | None, **kwargs) -> dict:
    """Run one section in a fresh process with the given BLAS threads; its JSON result."""
    cmd = [sys.executable, __file__, "--child", section, "--kwargs", json.dumps(kwargs)]
    out = subprocess.run(cmd, env=_env(threads), capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"section {section} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- children


def _cpu_seconds() -> float:
    """CPU seconds of this process and its reaped children (user + system)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _interleaved(methods: dict, repeats: int, warmup: dict | None = None, cpu: dict | None = None) -> tuple[dict, dict]:
    """Times of ``repeats`` rounds of every method, after one untimed round of ``warmup``
    (imports, first BLAS calls and worker pools happen there, not in the first timed method).
    With ``cpu`` (a dict), the CPU seconds of each run are collected there too."""
    for fn in (warmup or {}).values():
        fn()
    times = {name: [] for name in methods}
    results = {}
    for _ in range(repeats):
        for name, fn in methods.items():
            c0 = _cpu_seconds()
            t, results[name] = _timed(fn)
            if cpu is not None:
                cpu.setdefault(name, []).append(_cpu_seconds() - c0)
            times[name].append(t)
    return times, results


def _shape_data(k: int, n: int, p: int):
    import numpy as np

    rng = np.random.default_rng(0)
    return [rng.standard_normal((n, p)) @ rng.standard_normal((p, p)) for _ in range(k)]


def cached_loop(reps, alpha: float):
    """What a careful user writes: prepare each network once, one SVD per pair."""
    import numpy as np

    prepared = []
    for X in reps:
        Xc = X - X.mean(axis=0)
        if alpha == 0.0:  # CCA: an orthonormal basis of the column space, at unit norm
            U = np.linalg.svd(Xc, full_matrices=False)[0]
            prepared.append(U / np.sqrt(U.shape[1]))
        else:
            prepared.append(Xc / np.linalg.norm(Xc))
    K = len(reps)
    D = np.zeros((K, K))
    for i in range(K):
        for j in range(i + 1, K):
            nuc = np.linalg.svd(prepared[i].T @ prepared[j], compute_uv=False).sum()
            D[i, j] = D[j, i] = np.arccos(min(1.0, nuc))
    return D


def run_shape(k: int, n: int, p: int, alpha: float, repeats: int, netrep: str | None) -> dict:
    import numpy as np

    import repgeo as rg

    reps = _shape_data(k, n, p)
    measure = rg.ShapeMetric(alpha=alpha)
    methods = {
        "loop": lambda: cached_loop(reps, alpha),
        "engine_1": lambda: rg.pairwise(reps, measure, n_jobs=1),
        "engine_2": lambda: rg.pairwise(reps, measure, n_jobs=2),
    }
    if netrep:
        sys.path.insert(0, netrep)
        from netrep.metrics import LinearMetric

        metric = LinearMetric(alpha=alpha, score_method="angular")
        methods["netrep_2"] = lambda: metric.pairwise_distances(reps, processes=2, verbose=False)[0]
    small = reps[:4]
    warm = {
        "loop": lambda: cached_loop(small, alpha),
        "engine": lambda: rg.pairwise(small, measure, n_jobs=1),
    }
    cpu: dict = {}
    load = os.getloadavg()[0]
    times, res = _interleaved(methods, repeats, warm, cpu)
    ref = res["engine_1"]
    diff = {name: float(np.abs(np.asarray(D) - ref).max()) for name, D in res.items()}
    return {"times": times, "cpu": cpu, "max_diff": diff, "load": [load, os.getloadavg()[0]]}


def run_cka(k: int, n: int, p: int, repeats: int) -> dict:
    import numpy as np

    import repgeo as rg

    rng = np.random.default_rng(1)
    reps = [rng.standard_normal((n, p)) for _ in range(k)]
    centred = [X - X.mean(axis=0) for X in reps]
    stacked = np.concatenate(centred, axis=1)

    def gemms():
        for i in range(k):
            for j in range(i + 1, k):
                centred[i].T @ centred[j]

    def recompute_loop():
        D = np.eye(k)
        for i in range(k):
            for j in range(i + 1, k):
                X, Y = reps[i] - reps[i].mean(0), reps[j] - reps[j].mean(0)
                num = np.sum((X.T @ Y) ** 2)
                D[i, j] = D[j, i] = num / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))
        return D

    methods = {
        "gemms": gemms,
        "stacked_gemm": lambda: stacked.T @ stacked,
        "recompute_loop": recompute_loop,
        "engine_1": lambda: rg.pairwise(reps, "linear_cka", n_jobs=1),
        "engine_2": lambda: rg.pairwise(reps, "linear_cka", n_jobs=2),
    }
    times, res = _interleaved(methods, repeats, {"engine": lambda: rg.pairwise(reps[:3], "linear_cka", n_jobs=2)})
    diff = float(np.abs(res["engine_1"] - res["recompute_loop"]).max())
    return {"times": times, "max_diff_engine_loop": diff}


def run_rsa(k: int, n: int, p: int, repeats: int, rsatoolbox_python: str | None) -> dict:
    """The engine at n_jobs=1 and 2; with ``rsatoolbox_python``, rsatoolbox timed inside that interpreter."""
    import numpy as np

    import repgeo as rg

    rng = np.random.default_rng(2)
    reps = [rng.standard_normal((n, p)) for _ in range(k)]
    methods = {
        "engine_1": lambda: rg.pairwise(reps, "rsa", n_jobs=1),
        "engine_2": lambda: rg.pairwise(reps, "rsa", n_jobs=2),
    }
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "reps.npy", np.stack(reps))
        script = (
            "import json, time, numpy as np\n"
            "from rsatoolbox.data import Dataset\n"
            "from rsatoolbox.rdm import calc_rdm, compare\n"
            f"reps = np.load({str(Path(tmp) / 'reps.npy')!r})\n"
            "t0 = time.perf_counter()\n"
            "rdms = calc_rdm([Dataset(x) for x in reps], method='correlation')\n"
            "S = compare(rdms, rdms, method='spearman')\n"
            "print(json.dumps({'t': time.perf_counter() - t0, 'S': np.asarray(S).tolist()}))\n"
        )
        inner = []

        def rsatoolbox():  # timed inside its interpreter (start-up and imports excluded)
            run = subprocess.run([rsatoolbox_python, "-c", script], capture_output=True, text=True, check=True)
            result = json.loads(run.stdout)
            inner.append(result["t"])
            return result

        if rsatoolbox_python:
            methods["rsatoolbox"] = rsatoolbox
        times, res = _interleaved(methods, repeats, {"engine": lambda: rg.pairwise(reps[:3], "rsa", n_jobs=2)})
    if rsatoolbox_python:
        times["rsatoolbox"] = inner
        out["max_diff_rsatoolbox"] = float(np.abs(np.asarray(res["rsatoolbox"]["S"]) - res["engine_1"]).max())
    out["times"] = times
    return out


def run_flops(k: int, n: int, p: int, repeats: int) -> dict:
    import numpy as np

    import repgeo as rg

    reps = _shape_data(k, n, p)
    rng = np.random.default_rng(3)
    width = 8 * p  # a tile of 8 networks on a side
    A, B = rng.standard_normal((n, width)), rng.standard_normal((n, width))
    methods = {"matmul": lambda: A.T @ B, "engine_1": lambda: rg.pairwise(reps, "procrustes", n_jobs=1)}
    times, _ = _interleaved(methods, repeats, {"engine": lambda: rg.pairwise(reps[:3], "procrustes")})
    pairs = k * (k - 1) // 2
    return {
        "matmul_gflops": 2 * n * width * width / statistics.median(times["matmul"]) / 1e9,
        "engine_gflops": pairs * 2 * n * p * p / statistics.median(times["engine_1"]) / 1e9,
        "times": times,
    }


def _peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_small(k: int, n: int, p: int) -> dict:
    import numpy as np
    import psutil

    import repgeo as rg

    rng = np.random.default_rng(4)
    reps = [rng.standard_normal((n, p)).astype(np.float32) for _ in range(k)]
    rg.pairwise(reps[:3], "procrustes", n_jobs=2)  # imports
    before = _peak_rss_mib(os.getpid())
    t, D = _timed(lambda: rg.pairwise(reps, "procrustes", n_jobs=2))
    workers = [_peak_rss_mib(c.pid) for c in psutil.Process().children(recursive=True)]
    return {
        "time": t,
        "pairs": k * (k - 1) // 2,
        "inputs_mib": sum(r.nbytes for r in reps) / 2**20,
        "result_mib": D.nbytes / 2**20,
        "parent_peak_mib_before": before,
        "parent_peak_mib": _peak_rss_mib(os.getpid()),
        "worker_peak_mib": workers,
    }


CHILDREN = {"shape": run_shape, "cka": run_cka, "rsa": run_rsa, "flops": run_flops, "small": run_small}


# ----------------------------------------------------------------------------- report


def med(xs):
    return statistics.median(xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--netrep", help="a netrep source checkout (not on PyPI), to time it in (a)")
    parser.add_argument("--rsatoolbox-python", help="a Python with rsatoolbox installed, for (c)")
    parser.add_argument("--sections", default="a,b,c,d,e")
    parser.add_argument("--ks", default="20,60", help="K values of (a)")
    parser.add_argument("--repeats-b", type=int, help="repeats of (b) (default --repeats; its loop is long)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--kwargs", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](**json.loads(args.kwargs))))
        return
    reps = 1 if args.quick else args.repeats
    sections = set(args.sections.split(","))
    print(f"repgeo all-pairs benchmark; {os.cpu_count()} cores; medians of {reps} interleaved runs")

    if "a" in sections:
        print(
            "\n(a) shape metrics, 2000 x 200 (targets: loop / engine_1 >= 1; loop / engine_2 >= 1.6)\n"
            "    loop: cached serial NumPy loop (each network prepared once, one GEMM + one SVD per pair);\n"
            "    engine_N: repgeo.pairwise(n_jobs=N); wall seconds (median), [CPU seconds (median) of the\n"
            "    process and its children]; load: 1-minute load average before and after (2 cores: a load\n"
            "    above ~1 before the run means another program shares the cores and the walls are inflated)"
        )
        for k in (8, 12) if args.quick else [int(x) for x in args.ks.split(",")]:
            for name, alpha in (("procrustes", 1.0), ("cca", 0.0)):
                for threads in (None, 2):
                    n, p = (500, 50) if args.quick else (2000, 200)
                    netrep = args.netrep if threads is None else None  # netrep once per setting (it is slow)
                    r = child("shape", threads, k=k, n=n, p=p, alpha=alpha, repeats=reps, netrep=netrep)
                    t = {m: med(v) for m, v in r["times"].items()}
                    c = {m: med(v) for m, v in r["cpu"].items()}
                    line = f"  K={k:3d} {name:10s} BLAS={'unset' if threads is None else threads:5}  " + "  ".join(
                        f"{m} {v:6.2f}s [{c[m]:5.2f}]" for m, v in t.items()
                    )
                    r1, r2 = t["loop"] / t["engine_1"], t["loop"] / t["engine_2"]
                    ratios = (
                        f"loop/engine_1 {r1:.2f} ({'meets' if r1 >= 1 else 'MISSES'} >= 1)  "
                        f"loop/engine_2 {r2:.2f} ({'meets' if r2 >= 1.6 else 'MISSES'} >= 1.6)"
                    )
                    if "netrep_2" in t:
                        ratios += f"  netrep_2/engine_2 {t['netrep_2'] / t['engine_2']:.2f}"
                    worst = max(r["max_diff"].values())
                    load = "load {:.1f} -> {:.1f}".format(*r["load"])
                    print(line + "\n      " + ratios + f"  (max |difference| {worst:.1e}; {load})")
        if not args.netrep:
            print("  netrep: not timed (no --netrep checkout given)")

    if "b" in sections:
        k, n, p = (30, 1000, 50) if args.quick else (200, 5000, 100)
        print(f"\n(b) linear CKA, K={k} of {n} x {p} (target: engine <= 1.5 x gemms; recompute_loop / engine >= 2.5)")
        r = child("cka", 1, k=k, n=n, p=p, repeats=args.repeats_b or reps)
        t = {m: med(v) for m, v in r["times"].items()}
        print("  BLAS=1  " + "  ".join(f"{m} {v:.2f}s" for m, v in t.items()))
        for e in ("engine_1", "engine_2"):
            print(
                f"  {e}: {t[e] / t['gemms']:.2f} x the per-pair GEMMs, {t[e] / t['stacked_gemm']:.2f} x one stacked GEMM, "
                f"recompute_loop / {e} = {t['recompute_loop'] / t[e]:.2f}"
            )
        print(f"  max |engine - loop| {r['max_diff_engine_loop']:.1e}")

    if "c" in sections:
        k, n, p = (20, 100, 30) if args.quick else (50, 300, 100)
        print(f"\n(c) RSA (correlation RDM, Spearman), K={k} of {n} x {p} (target: engine_2 <= engine_1 < rsatoolbox)")
        for threads in (1, 2):
            r = child("rsa", threads, k=k, n=n, p=p, repeats=reps, rsatoolbox_python=args.rsatoolbox_python)
            t = {m: med(v) for m, v in r["times"].items()}
            line = f"  BLAS={threads}  engine_1 {t['engine_1']:.3f}s  engine_2 {t['engine_2']:.3f}s"
            line += f"  engine_2/engine_1 {t['engine_2'] / t['engine_1']:.2f}"
            if "rsatoolbox" in t:
                line += (
                    f"  rsatoolbox {t['rsatoolbox']:.3f}s (rsatoolbox / engine_1 {t['rsatoolbox'] / t['engine_1']:.2f}, "
                    f"/ engine_2 {t['rsatoolbox'] / t['engine_2']:.2f}; max |difference| {r['max_diff_rsatoolbox']:.1e})"
                )
            print(line)
        if not args.rsatoolbox_python:
            print("  rsatoolbox: not timed (no --rsatoolbox-python given)")

    if "d" in sections:
        k, n, p = (8, 500, 50) if args.quick else (20, 2000, 200)
        r = child("flops", 1, k=k, n=n, p=p, repeats=reps)
        print(f"\n(d) Procrustes block path, one thread, K={k} of {n} x {p} (target: within 2x of matmul)")
        print(
            f"  numpy matmul ({n} x {8 * p})^T ({n} x {8 * p}): {r['matmul_gflops']:.1f} GFLOP/s; engine cross-products: "
            f"{r['engine_gflops']:.1f} GFLOP/s; ratio {r['matmul_gflops'] / r['engine_gflops']:.2f}x"
        )

    if "e" in sections:
        k = 200 if args.quick else 1000
        r = child("small", None, k=k, n=500, p=50)
        print(f"\n(e) K={k} of 500 x 50 (float32), Procrustes, n_jobs=2")
        print(
            f"  {r['time']:.1f} s for {r['pairs']} pairs ({1e6 * r['time'] / r['pairs']:.0f} us/pair); inputs "
            f"{r['inputs_mib']:.0f} MiB, result {r['result_mib']:.1f} MiB; parent peak RSS {r['parent_peak_mib']:.0f} MiB "
            f"({r['parent_peak_mib_before']:.0f} before the call); worker peaks "
            + ", ".join(f"{w:.0f}" for w in r["worker_peak_mib"])
            + " MiB"
        )


if __name__ == "__main__":
    main()

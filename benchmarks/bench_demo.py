"""Wall time of ``repgeo demo`` with the BLAS threads it sets (1) against leaving them alone.

Runs alternate between the two settings in one process series (fresh
interpreter each, as a user runs the command), so machine load affects both
alike; prints each time, the medians and their ratio.

    python benchmarks/bench_demo.py [repeats]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

CODE = (
    "import sys, repgeo.demo as d; "
    "d.run_demo(sys.argv[1], blas_threads=None if sys.argv[2] == 'none' else int(sys.argv[2]))"
)


def main(repeats: int = 2) -> None:
    times: dict[str, list[float]] = {"none": [], "1": []}
    for _ in range(repeats):
        for setting in times:
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                subprocess.run([sys.executable, "-c", CODE, out, setting], check=True)
                times[setting].append(time.perf_counter() - start)
            print(f"blas_threads={setting}: {times[setting][-1]:.1f} s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"median: threads left alone {med['none']:.1f} s, one BLAS thread {med['1']:.1f} s; "
          f"ratio {med['none'] / med['1']:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)

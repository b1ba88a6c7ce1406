"""Speed and memory of the flagship model's `evaluate` (both strategies, calibration included).

Target: 10,000 parameter sets in ≤ 1 s on a 2-core machine.
Run: python benchmarks/ifn_gamma.py
"""

from __future__ import annotations

import os
import platform
import time
import tracemalloc

from hecon.model import Model

SIZES = (1, 1_000, 10_000)
REPEATS = 3


def measure(model: Model, n: int) -> tuple[float, float]:
    """Best wall time of ``evaluate`` on n PSA draws, and its peak traced memory (MB)."""
    options = model.options()
    draws = model.parameters.sample(n, seed=1)
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        model.evaluate(draws, options)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    model.evaluate(draws, options)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return best, peak


def main() -> None:
    model = Model("ifn_gamma")
    model.evaluate(model.parameters.base_case(), model.options())  # warm caches (life table)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'sets':>8} {'seconds':>9} {'sets/s':>10} {'peak MB':>9}")
    for n in SIZES:
        seconds, peak = measure(model, n)
        print(f"{n:>8} {seconds:>9.3f} {n / seconds:>10.0f} {peak:>9.1f}")


if __name__ == "__main__":
    main()

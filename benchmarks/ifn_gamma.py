"""Speed and memory of the flagship model's `evaluate` (both strategies, calibration included).

Target: 10,000 parameter sets in ≤ 1 s on a 2-core machine. The machine's load average is
printed before and after: on a shared machine a load above its cores slows every wall time
(the processor time of the process, ``cpu s``, much less). Then the wall time of each phase at
10,000 sets: the calibration (survivors' excess hazard, then the hospital hazards), the
long-term phase, and the rest of ``evaluate`` (the hospital phase and the outcomes).
Run: python benchmarks/ifn_gamma.py
"""

from __future__ import annotations

import os
import platform
import time
import tracemalloc
from collections.abc import Callable

from hecon.model import Model

SIZES = (1, 1_000, 10_000)
REPEATS = 3


def best_times(run: Callable[[], object]) -> tuple[float, float]:
    """The best wall time and the best processor time of ``run`` over :data:`REPEATS` calls."""
    wall = cpu = float("inf")
    for _ in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def measure(model: Model, n: int) -> tuple[float, float, float]:
    """Best wall and processor times of ``evaluate`` on n PSA draws, and its peak traced memory (MB)."""
    options = model.options()
    draws = model.parameters.sample(n, seed=1)
    seconds, cpu = best_times(lambda: model.evaluate(draws, options))
    tracemalloc.start()
    model.evaluate(draws, options)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, cpu, peak


def phases(model: Model, n: int) -> dict[str, float]:
    """Best wall time of each phase of ``evaluate`` on n PSA draws (the rest: total − the others)."""
    flagship, options = model.module, model.options()
    draws = model.parameters.sample(n, seed=1)
    excess = flagship.survivors_excess(draws, options)
    table = flagship.life_table(options)
    times = {
        "calibration": best_times(lambda: flagship.calibrate(draws, options, flagship.survivors_excess(draws, options)))[0],
        "long-term phase": best_times(lambda: flagship.long_term_per_survivor(draws, options, table, excess))[0],
    }
    total = best_times(lambda: model.evaluate(draws, options))[0]
    return {**times, "hospital phase and outcomes": total - sum(times.values()), "evaluate": total}


def main() -> None:
    model = Model("ifn_gamma")
    model.evaluate(model.parameters.base_case(), model.options())  # warm caches (life table)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'sets':>8} {'seconds':>9} {'cpu s':>7} {'sets/s':>10} {'peak MB':>9}")
    for n in SIZES:
        seconds, cpu, peak = measure(model, n)
        print(f"{n:>8} {seconds:>9.3f} {cpu:>7.3f} {n / seconds:>10.0f} {peak:>9.1f}")
    print(f"phases at {SIZES[-1]:,} sets (seconds):")
    for name, seconds in phases(model, SIZES[-1]).items():
        print(f"  {name:<28} {seconds:>6.3f}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

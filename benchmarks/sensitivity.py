"""Speed and memory of the sensitivity analyses of the flagship model.

Targets (2-core machine): one-way over every parameter < 1 s; two-way 50 × 50 < 2 s;
Sobol' with N = 1,024 over every uncertain parameter ≤ 20 s.
Run: python benchmarks/sensitivity.py
"""

from __future__ import annotations

import os
import platform
import time
import tracemalloc

from hecon.analysis import gsa
from hecon.analysis.sensitivity import Measure, one_way, two_way
from hecon.model import Model


def timed(label: str, task) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    result = task()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"  {label:<48} {seconds:7.2f} s   peak {peak:7.1f} MB")
    return result


def main() -> None:
    model = Model("ifn_gamma")
    table, options = model.parameters, model.options()
    measure = Measure(model)
    model.evaluate(table.base_case(), options)  # warm caches
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    result = timed(f"one-way, {len(table.names)} parameters", lambda: one_way(model, table, options, measure))
    print(f"    ({len(result.table)} parameters with a range, {2 * len(result.table) + 1} sets in one batch)")
    timed("two-way 50 x 50", lambda: two_way(model, table, "hr_infection_ifn", "price_ifn_vial", options, measure, 50))
    indices = timed(f"Sobol N = 1,024, {len(table.uncertain)} uncertain parameters",
                    lambda: gsa.global_sensitivity(model, table, measure, "sobol", 1024, options=options))
    print(f"    ({indices.meta['design_points']} model evaluations, {indices.meta['invalid_points']} not evaluable)")


if __name__ == "__main__":
    main()

"""Speed of the EVSI curve of the flagship: 6 trial sizes on 10,000 PSA draws, each method.

Target: the curve (either method) in ≤ 30 s on a 2-core machine, the PSA itself apart.
Run: python benchmarks/evsi.py
"""

from __future__ import annotations

import os
import platform
import time

from hecon.analysis import evsi
from hecon.analysis.psa import run_psa
from hecon.analysis.wtp import REPORT_WTP
from hecon.model import Model

DRAWS = 10_000
SIZES = (50, 100, 163, 250, 500, 1000)


def timed(task):
    start = time.perf_counter()
    value = task()
    return value, time.perf_counter() - start


def main() -> None:
    model = Model("ifn_gamma")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    psa, seconds = timed(lambda: run_psa(model, DRAWS, seed=1))
    print(f"PSA of {DRAWS:,} draws: {seconds:.1f} s")
    costs, effects = psa.costs_effects(model.effects[0])
    design = evsi.trial_design(model, psa.valid_outcomes())
    for method in evsi.EVSI_METHODS:
        table, seconds = timed(lambda m=method: evsi.evsi(costs, effects, design, SIZES, REPORT_WTP, method=m, seed=1))
        at_163 = table[table["n_per_arm"] == 163].set_index("wtp")["evsi"].round(1).to_dict()
        print(f"{method:>16}: {seconds:5.1f} s for {len(SIZES)} sizes; EVSI per patient at 163 per arm {at_163}")
    _, seconds = timed(lambda: evsi.trial_evppi(costs, effects, design, REPORT_WTP))
    print(f"{'limit (EVPPI)':>16}: {seconds:5.1f} s")


if __name__ == "__main__":
    main()

"""Speed of the EVPPI of the flagship's parameter groups: 10,000 PSA draws, the report thresholds
and the EVPI's peak, as `hecon psa` computes it (decision.partial_information).

Target: ≤ 0.5 s on a 2-core machine. Beside it, the bare numpy kernel of the same regressions:
for each group's incremental cost and effect, the n × m basis (m = 200 inducing points), its
gram matrix and the product giving the fitted values and 50 posterior draws — the arithmetic
that no implementation of the GP metamodel avoids, one BLAS thread, without the hyper-parameters.
Run: python benchmarks/evppi.py [repeats]
"""

from __future__ import annotations

import platform
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from hecon.analysis import voi
from hecon.analysis.decision import partial_information, wtp_grid
from hecon.analysis.metamodel import GP_INDUCING_POINTS
from hecon.analysis.psa import evppi_groups, run_psa
from hecon.analysis.threads import cores
from hecon.model import Model

DRAWS = 10_000
POSTERIOR_DRAWS = 50


def timed(task):
    wall, cpu = time.perf_counter(), time.process_time()
    value = task()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def bare_kernel(inputs: np.ndarray, responses: int, rng: np.random.Generator) -> None:
    """Basis exp(−½‖x − z‖²), gram ΦᵀΦ and Φ·[β, noise] of each response, nothing else."""
    inducing = inputs[rng.choice(inputs.shape[0], GP_INDUCING_POINTS, replace=False)]
    for _ in range(responses):
        exponent = inputs @ inducing.T
        exponent -= 0.5 * (inputs**2).sum(axis=1)[:, None]
        exponent -= 0.5 * (inducing**2).sum(axis=1)
        basis = np.exp(np.maximum(exponent, -345.0, out=exponent), out=exponent)
        _ = basis.T @ basis
        _ = rng.normal(size=(1 + POSTERIOR_DRAWS, GP_INDUCING_POINTS)) @ basis.T


def main(repeats: int) -> None:
    model = Model("ifn_gamma")
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {cores()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}")
    psa, wall, _ = timed(lambda: run_psa(model, DRAWS, seed=1))
    print(f"PSA of {DRAWS:,} draws: {wall:.1f} s")
    costs, effects = psa.costs_effects(model.effects[0])
    parameters, groups = psa.valid_parameters(), evppi_groups(psa)
    grid, report = wtp_grid(None)
    table = voi.evpi_table(costs, effects, grid)
    thresholds = np.union1d(report, [table["wtp"].to_numpy()[table["evpi"].to_numpy().argmax()]])
    print(f"{len(groups)} groups of {min(map(len, groups.values()))}–{max(map(len, groups.values()))} "
          f"parameters, thresholds {thresholds.tolist()}")
    for k in range(repeats):
        _, wall, cpu = timed(lambda: partial_information(costs, effects, parameters, thresholds,
                                                         groups=groups, singles=False, seed=1))
        print(f"partial_information, call {k + 1}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    rng = np.random.default_rng(1)
    standard = [(x - x.mean(axis=0)) / x.std(axis=0) for x in
                (parameters[columns].to_numpy() for columns in groups.values())]
    with threadpool_limits(limits=1, user_api="blas"):
        _, wall, cpu = timed(lambda: [bare_kernel(x, 2 * (costs.shape[1] - 1), rng) for x in standard])
    print(f"bare numpy kernel (basis, gram, fitted and posterior draws), one thread: "
          f"{wall:.3f} s wall, {cpu:.3f} s CPU")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)

"""Speed and memory of a Markov cohort model as a user pays for it, beside a bare NumPy kernel.

Two reference models, each written the way a user writes it — a parameter table with
distributions (CSV), the seeded sampler (``ParameterTable.sample``), the transitions declared
as edges (``hecon.model.transitions.Transitions``) and ``run_cohort`` with validation on — and
the same arithmetic written as a bare kernel (NumPy ``Generator`` draws, the matrices filled in
one buffer, ``m_{k+1} = m_k·P_k``, the weighted sums), both in chunks of ``CHUNK`` sets:

A. sick–sicker: 4 states (healthy, sick, sicker, dead), 20 yearly cycles, 2 strategies;
   Dirichlet rows, beta probability, gamma costs, beta utilities, a lognormal relative risk.
B. progressive: 10 states (9 stages, dead), 100 yearly cycles, 3 strategies; competing
   hazards of progression and of death, Gompertz background mortality rising with age and
   with the stage, two drugs whose relative risks wane over time.

Times are the minimum of ``--repeats`` runs, kernel and hecon interleaved; peak memory is
traced (``tracemalloc``) in a separate run; ``checks`` is the share of hecon's time spent
validating (a run without validation beside it). Run:
``.venv/bin/python benchmarks/markov.py [--draws 1000 10000 100000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hecon.model.markov import cycle_weights, run_cohort
from hecon.model.parameters import ParameterTable
from hecon.model.transitions import Transitions

CHUNK = 10_000
DISCOUNT = 0.03
CORRECTION = "half-cycle"

HEADER = "name,description,value,unit,distribution,se,ci_low,ci_high,alpha,beta,lower,upper,low,high,group,price_year,status,source,notes\n"


def row(name: str, value: float, distribution: str, **cells) -> str:
    """One row of a parameter table (an illustrative benchmark value, not evidence)."""
    columns = HEADER.strip().split(",")
    cells = {"name": name, "description": name, "value": value, "unit": "", "distribution": distribution,
             "status": "assumption", "source": "benchmark", **cells}
    return ",".join(str(cells.get(c, "")) for c in columns) + "\n"


# ---------------------------------------------------------------- A. sick–sicker

SICK_SICKER = ("healthy", "sick", "sicker", "dead")
TABLE_A = HEADER + "".join([
    row("p_hs", 0.15, "dirichlet", alpha=15, group="healthy_exits"),
    row("p_hd", 0.02, "dirichlet", alpha=2, group="healthy_exits"),
    row("p_hh", 0.83, "dirichlet", alpha=83, group="healthy_exits"),
    row("p_sh", 0.5, "dirichlet", alpha=50, group="sick_exits"),
    row("p_ss2", 0.15, "dirichlet", alpha=15, group="sick_exits"),
    row("p_sd", 0.05, "dirichlet", alpha=5, group="sick_exits"),
    row("p_ss", 0.3, "dirichlet", alpha=30, group="sick_exits"),
    row("p_s2d", 0.1, "beta", alpha=10, beta=90),
    row("rr_treatment", 0.75, "lognormal", ci_low=0.6, ci_high=0.95),
    row("cost_healthy", 2000, "gamma", se=200),
    row("cost_sick", 4000, "gamma", se=400),
    row("cost_sicker", 15000, "gamma", se=1500),
    row("cost_treatment", 12000, "fixed"),
    row("u_healthy", 0.95, "beta", se=0.01),
    row("u_sick", 0.75, "beta", se=0.03),
    row("u_sicker", 0.5, "beta", se=0.05),
])


def sick_sicker(params, check: bool = True) -> dict[str, np.ndarray]:
    """hecon: the edges (the treatment's RR on healthy → sick and sick → sicker), run_cohort."""
    rr = np.stack([np.ones_like(params["rr_treatment"]), params["rr_treatment"]], 1)   # [n, 2]
    edges = Transitions(SICK_SICKER, probabilities={
        ("healthy", "sick"): params["p_hs"][:, None] * rr, ("healthy", "dead"): params["p_hd"][:, None],
        ("sick", "healthy"): params["p_sh"][:, None], ("sick", "sicker"): params["p_ss2"][:, None] * rr,
        ("sick", "dead"): params["p_sd"][:, None], ("sicker", "dead"): params["p_s2d"][:, None]})
    zero = np.zeros(params.n)
    costs = np.stack([params["cost_healthy"], params["cost_sick"], params["cost_sicker"], zero], -1)[:, None]
    alive = np.array([1.0, 1.0, 1.0, 0.0])
    rewards = {"cost": costs + np.array([0.0, 1.0])[:, None] * params["cost_treatment"][:, None, None] * alive,
               "qalys": np.stack([params["u_healthy"], params["u_sick"], params["u_sicker"], zero], -1)[:, None]}
    initial = np.broadcast_to([1.0, 0.0, 0.0, 0.0], (params.n, 2, 4))
    return run_cohort(edges, initial, 20, state_rewards=rewards, discount=DISCOUNT, correction=CORRECTION,
                      keep_trace=False, check=check).discounted


def sick_sicker_kernel(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The same model, bare: Generator draws, the matrices filled by hand, the cycle loop."""
    healthy, sick = rng.dirichlet([15, 2, 83], n), rng.dirichlet([50, 15, 5, 30], n)
    p_s2d = rng.beta(10, 90, n)
    rr = np.exp(rng.normal(np.log(0.75), (np.log(0.95) - np.log(0.6)) / (2 * 1.959964), n))
    costs = [rng.gamma((m / s) ** 2, s ** 2 / m, n) for m, s in ((2000, 200), (4000, 400), (15000, 1500))]
    utilities = [rng.beta(*ab, n) for ab in ((450.25, 23.7), (155.5, 51.8), (49.5, 49.5))]
    arms = np.stack([np.ones(n), rr], 1)
    P = np.zeros((n, 2, 4, 4))
    P[..., 0, 1], P[..., 0, 3] = healthy[:, :1] * arms, healthy[:, 1:2]
    P[..., 0, 0] = 1 - P[..., 0, 1] - P[..., 0, 3]
    P[..., 1, 0], P[..., 1, 2], P[..., 1, 3] = sick[:, :1], sick[:, 1:2] * arms, sick[:, 2:3]
    P[..., 1, 1] = 1 - P[..., 1, 0] - P[..., 1, 2] - P[..., 1, 3]
    P[..., 2, 3] = p_s2d[:, None]
    P[..., 2, 2] = 1 - P[..., 2, 3]
    P[..., 3, 3] = 1.0
    cost = np.stack([*costs, np.zeros(n)], -1)[:, None] + np.array([0.0, 12000.0])[:, None] * [1, 1, 1, 0]
    qalys = np.stack([*utilities, np.zeros(n)], -1)[:, None]
    occupancy = _cohort(P, 20, lambda k: P)
    return {"cost": np.vecdot(occupancy, cost), "qalys": np.vecdot(occupancy, qalys)}


# ---------------------------------------------------------------- B. progressive, time-dependent

N_STAGES, HORIZON_B, AGE = 9, 100, 50
PROGRESSIVE = (*(f"stage_{s + 1}" for s in range(N_STAGES)), "dead")
GOMPERTZ = (2e-5, 0.09)  # background hazard a·e^{b·age}
TABLE_B = HEADER + "".join([
    row("p_progress", 0.1, "beta", alpha=20, beta=180),
    row("rr_drug_a", 0.8, "lognormal", ci_low=0.65, ci_high=0.98),
    row("rr_drug_b", 0.65, "lognormal", ci_low=0.53, ci_high=0.8),
    row("hr_stage", 0.25, "lognormal", ci_low=0.2, ci_high=0.31),
    row("waning", 0.05, "gamma", se=0.01),
    row("cost_stage", 2000, "gamma", se=400),
    row("cost_drug_a", 3000, "fixed"),
    row("cost_drug_b", 4500, "fixed"),
    row("u_stage_1", 0.9, "beta", se=0.03),
])


def progressive(params, check: bool = True) -> dict[str, np.ndarray]:
    """hecon: competing hazards per stage, time-dependent through callables, run_cohort."""
    n, stages = params.n, np.arange(N_STAGES)
    rr = np.stack([np.ones(n), params["rr_drug_a"], params["rr_drug_b"]], 1)           # [n, 3]
    progression = -np.log1p(-params["p_progress"])[:, None]                             # [n, 1]
    waning, hr = params["waning"][:, None], params["hr_stage"]

    def progress(cycle: int) -> np.ndarray:  # the relative risk wanes to 1
        return progression * (1 - (1 - rr) * np.exp(-waning * cycle))

    def death(stage: int) -> Callable[[int], np.ndarray]:
        return lambda cycle: (GOMPERTZ[0] * np.exp(GOMPERTZ[1] * (AGE + cycle)) * (1 + hr * stage))[:, None]

    hazards = {(PROGRESSIVE[s], "dead"): death(s) for s in stages}
    hazards |= {(PROGRESSIVE[s], PROGRESSIVE[s + 1]): progress for s in stages[:-1]}
    edges = Transitions(PROGRESSIVE, hazards=hazards)
    alive = (stages + 1.0) ** 1.2
    rewards = {"cost_care": np.append(alive, 0)[None] * params["cost_stage"][:, None, None],
               "cost_drug": np.array([0.0, 3000.0, 4500.0])[:, None] * np.append(np.ones(N_STAGES), 0),
               "qalys": np.append(params["u_stage_1"][:, None] - 0.06 * stages, np.zeros((n, 1)), 1)[:, None]}
    initial = np.zeros((n, 3, N_STAGES + 1))
    initial[..., 0] = 1.0
    return run_cohort(edges, initial, HORIZON_B, state_rewards=rewards, discount=DISCOUNT,
                      correction=CORRECTION, keep_trace=False, check=check).discounted


def progressive_kernel(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """The same model, bare: the competing-risk matrices of each cycle filled in one buffer."""
    p_progress = rng.beta(20, 180, n)
    rr = np.stack([np.ones(n), *(np.exp(rng.normal(np.log(m), (np.log(hi) - np.log(lo)) / 3.919928, n))
                                 for m, lo, hi in ((0.8, 0.65, 0.98), (0.65, 0.53, 0.8)))], 1)
    hr = np.exp(rng.normal(np.log(0.25), (np.log(0.31) - np.log(0.2)) / 3.919928, n))
    waning = rng.gamma(25, 0.002, n)
    cost_stage, u1 = rng.gamma(25, 80, n), rng.beta(89.1, 9.9, n)
    stages = np.arange(N_STAGES)
    progression = -np.log1p(-p_progress)[:, None]
    stage_hr = (1 + hr[:, None] * stages)[:, None, :]                                   # [n, 1, 9]
    P = np.zeros((n, 3, N_STAGES + 1, N_STAGES + 1))
    P[..., -1, -1] = 1.0

    def at(k: int) -> np.ndarray:
        progress = (progression * (1 - (1 - rr) * np.exp(-waning[:, None] * k)))[..., None]     # [n, 3, 1]
        die = GOMPERTZ[0] * np.exp(GOMPERTZ[1] * (AGE + k)) * stage_hr                          # [n, 1, 9]
        total = die + np.append(np.broadcast_to(progress, (n, 3, N_STAGES - 1)), np.zeros((n, 3, 1)), -1)
        stay = np.exp(-total)
        leave = -np.expm1(-total) / total
        P[..., stages, stages] = stay
        P[..., stages, N_STAGES] = die * leave
        P[..., stages[:-1], stages[:-1] + 1] = (progress * leave)[..., :-1]
        return P

    occupancy = _cohort(P, HORIZON_B, at)
    alive = np.append((stages + 1.0) ** 1.2, 0)
    costs = alive * cost_stage[:, None, None] + np.array([0.0, 3000.0, 4500.0])[:, None] * (alive > 0)
    qalys = np.append(u1[:, None] - 0.06 * stages, np.zeros((n, 1)), 1)[:, None]
    return {"cost": np.vecdot(occupancy, costs), "qalys": np.vecdot(occupancy, qalys)}


def _cohort(P0: np.ndarray, n_cycles: int, at: Callable[[int], np.ndarray]) -> np.ndarray:
    """Σ_k w_k·D(t_k)·m_k with m_{k+1} = m_k·P_k, from everyone in the first state."""
    weights = cycle_weights(n_cycles, CORRECTION) / (1 + DISCOUNT) ** np.arange(n_cycles + 1)
    membership = np.zeros(P0.shape[:-1])
    membership[..., 0] = 1.0
    occupancy = weights[0] * membership
    for k in range(n_cycles):
        membership = np.vecmat(membership, at(k))
        occupancy += weights[k + 1] * membership
    return occupancy


# ---------------------------------------------------------------- timing

def in_chunks(evaluate: Callable[[int, int], object], n: int) -> None:
    """Run ``evaluate(start, size)`` over chunks of at most CHUNK sets."""
    for start in range(0, n, CHUNK):
        evaluate(start, min(CHUNK, n - start))


def hecon_runner(table: ParameterTable, model, n: int, seed: int, check: bool = True) -> Callable[[], None]:
    def run() -> None:
        draws = table.sample(n, seed)
        in_chunks(lambda start, size: model(draws.take(np.arange(start, start + size)), check), n)
    return run


def kernel_runner(kernel, n: int, seed: int) -> Callable[[], None]:
    def run() -> None:
        rng = np.random.default_rng(seed)
        in_chunks(lambda start, size: kernel(rng, size), n)
    return run


def best_times(runs: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """The minimum time of each run over ``repeats`` rounds, the runs interleaved in each round."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def peak_mb(run: Callable[[], None]) -> float:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}; chunks of {CHUNK:,} sets, validation on")
    with tempfile.TemporaryDirectory() as folder:
        models = []
        for name, text, model, kernel in (("A sick–sicker 4×20×2", TABLE_A, sick_sicker, sick_sicker_kernel),
                                          ("B progressive 10×100×3", TABLE_B, progressive, progressive_kernel)):
            path = Path(folder) / f"{model.__name__}.csv"
            path.write_text(text)
            models.append((name, ParameterTable.load(path), model, kernel))
        print(f"{'model':<24}{'draws':>9}{'kernel s':>10}{'hecon s':>10}{'ratio':>7}{'checks':>8}"
              f"{'kernel MB':>11}{'hecon MB':>10}")
        for name, table, model, kernel in models:
            for n in args.draws:
                runs = {"kernel": kernel_runner(kernel, n, 1), "hecon": hecon_runner(table, model, n, 1),
                        "unchecked": hecon_runner(table, model, n, 1, check=False)}
                times = best_times(runs, args.repeats)
                memory = {key: peak_mb(runs[key]) for key in ("kernel", "hecon")}
                checks = 1 - times["unchecked"] / times["hecon"]
                print(f"{name:<24}{n:>9,}{times['kernel']:>10.3f}{times['hecon']:>10.3f}"
                      f"{times['hecon'] / times['kernel']:>7.2f}{checks:>8.0%}"
                      f"{memory['kernel']:>11.1f}{memory['hecon']:>10.1f}")


if __name__ == "__main__":
    main()

"""Speed and memory of ``hecon.model.markov.run_cohort`` against a bare NumPy kernel.

A 10-state progressive-disease model (nine stages and death), 100 yearly cycles,
time-dependent (background mortality rises with age), three strategies, three state rewards,
HAS discounting and the half-cycle correction. The bare kernel does the same arithmetic —
the same matrix products and reward sums — without validation or bookkeeping.

Run: ``.venv/bin/python benchmarks/markov.py [--sets 1000 10000] [--chunk-size 1000 250]``
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from hecon.model.markov import DiscountSchedule, cycle_weights, run_cohort

N_STAGES, N_CYCLES, STRATEGIES = 9, 100, ("usual_care", "drug_a", "drug_b")
N_STATES = N_STAGES + 1
DISCOUNT = DiscountSchedule((0.025, 0.015), (30,))
CORRECTION = "half-cycle"


def draw_parameters(n_sets: int, seed: int = 2024) -> dict[str, np.ndarray]:
    """Per-set parameters: progression probability, relative risks of the two drugs, mortality."""
    rng = np.random.default_rng(seed)
    return {
        "p_progress": rng.beta(20, 180, n_sets),
        "rr": np.stack([np.ones(n_sets), rng.lognormal(np.log(0.8), 0.1, n_sets),
                        rng.lognormal(np.log(0.65), 0.1, n_sets)], axis=1),
        "hr_stage": rng.lognormal(np.log(0.25), 0.1, n_sets),
        "cost_stage": rng.gamma(25, 80, (n_sets, 1, 1)) * np.arange(1, N_STATES) ** 1.2,
        "cost_drug": np.array([0.0, 3000.0, 4500.0])[None, :, None] * np.ones(N_STAGES),
        "utility_stage": rng.beta(90, 10, (n_sets, 1, 1)) - 0.06 * np.arange(N_STAGES),
    }


def transitions(params: dict[str, np.ndarray]) -> np.ndarray:
    """[sets, strategies, cycles, S, S]: Gompertz background mortality from age 50, × a hazard
    ratio rising with the stage; progression to the next stage among survivors."""
    age = 50 + np.arange(N_CYCLES)
    background = 2e-5 * np.exp(0.09 * age)                                       # [C] hazard
    stage_hr = 1 + params["hr_stage"][:, None] * np.arange(N_STAGES)             # [n, stages]
    death = 1 - np.exp(-background[None, :, None] * stage_hr[:, None, :])        # [n, C, stages]
    progress = (params["p_progress"][:, None] * params["rr"])[:, :, None, None]  # [n, k, 1, 1]
    progress = np.broadcast_to(progress, (*progress.shape[:2], N_CYCLES, N_STAGES)).copy()
    progress[..., -1] = 0.0
    alive = 1 - death[:, None]                                                   # [n, 1, C, stages]
    n = len(params["p_progress"])
    P = np.zeros((n, len(STRATEGIES), N_CYCLES, N_STATES, N_STATES))
    stage = np.arange(N_STAGES)
    P[..., stage, stage] = alive * (1 - progress)
    P[..., stage[:-1], stage[:-1] + 1] = (alive * progress)[..., :-1]
    P[..., stage, N_STAGES] = death[:, None]
    P[..., N_STAGES, N_STAGES] = 1.0
    return P


def state_rewards(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    dead = np.zeros(params["cost_stage"].shape[:-1] + (1,))
    return {
        "cost_care": np.concatenate([params["cost_stage"], dead], axis=-1),
        "cost_drug": np.concatenate([params["cost_drug"], np.zeros((1, 3, 1))], axis=-1),
        "qalys": np.concatenate([params["utility_stage"], dead], axis=-1),
    }


def initial_distribution(n_sets: int) -> np.ndarray:
    initial = np.zeros((n_sets, len(STRATEGIES), N_STATES))
    initial[..., 0] = 1.0
    return initial


def hecon_run(P, initial, rewards, check=True) -> dict[str, np.ndarray]:
    result = run_cohort(P, initial, N_CYCLES, state_rewards=rewards, discount=DISCOUNT,
                        correction=CORRECTION, check=check)
    return result.discounted


def bare_kernel(P, initial, rewards) -> dict[str, np.ndarray]:
    """The same arithmetic, written out: m_{k+1} = m_k P_k, then Σ_k w_k D(t_k) m_k · r."""
    trace = np.empty((N_CYCLES + 1, *initial.shape))
    trace[0] = initial
    for k in range(N_CYCLES):
        np.vecmat(trace[k], P[:, :, k], out=trace[k + 1])
    weights = cycle_weights(N_CYCLES, CORRECTION) * DISCOUNT.factor(np.arange(N_CYCLES + 1))
    occupancy = np.einsum("k...s,k->...s", trace, weights)
    return {name: np.vecdot(occupancy, r) for name, r in rewards.items()}


def best_time(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(run: Callable[[], object]) -> tuple[object, float]:
    """The result of ``run`` and the peak memory it allocated (MB)."""
    tracemalloc.start()
    try:
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak / 2**20


def evaluate(params: dict[str, np.ndarray], chunk_size: int | None) -> dict[str, np.ndarray]:
    """Build the model and run it, ``chunk_size`` sets at a time (all at once if None)."""
    n = len(params["p_progress"])
    size = chunk_size or n
    parts = []
    for start in range(0, n, size):
        chunk = {name: v[start:start + size] if len(v) == n else v for name, v in params.items()}
        parts.append(hecon_run(transitions(chunk), initial_distribution(len(chunk["p_progress"])),
                               state_rewards(chunk)))
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def compare(n_sets: int, repeats: int) -> None:
    params = draw_parameters(n_sets)
    P, initial, rewards = transitions(params), initial_distribution(n_sets), state_rewards(params)
    reference = bare_kernel(P, initial, rewards)
    for name, value in hecon_run(P, initial, rewards).items():
        np.testing.assert_allclose(value, reference[name], rtol=1e-12)
    bare = best_time(lambda: bare_kernel(P, initial, rewards), repeats)
    checked = best_time(lambda: hecon_run(P, initial, rewards), repeats)
    unchecked = best_time(lambda: hecon_run(P, initial, rewards, check=False), repeats)
    _, bare_mb = peak_memory(lambda: bare_kernel(P, initial, rewards))
    _, hecon_mb = peak_memory(lambda: hecon_run(P, initial, rewards))
    print(f"{n_sets:>6} sets × {len(STRATEGIES)} strategies, {N_STATES} states, {N_CYCLES} cycles "
          f"(transitions {P.nbytes / 2**20:.0f} MB)")
    print(f"  bare kernel          {bare * 1e3:8.1f} ms   peak {bare_mb:7.1f} MB")
    print(f"  run_cohort, check    {checked * 1e3:8.1f} ms   peak {hecon_mb:7.1f} MB   "
          f"ratio {checked / bare:.2f}")
    print(f"  run_cohort, no check {unchecked * 1e3:8.1f} ms                     "
          f"ratio {unchecked / bare:.2f}")


def chunking(n_sets: int, chunk_sizes: list[int]) -> None:
    params = draw_parameters(n_sets)
    whole, whole_mb = peak_memory(lambda: evaluate(params, None))
    print(f"{n_sets:>6} sets, model built and run in chunks (peak memory includes building):")
    print(f"  {'all at once':>14}  peak {whole_mb:8.1f} MB")
    for size in chunk_sizes:
        result, mb = peak_memory(lambda size=size: evaluate(params, size))
        for name in whole:
            np.testing.assert_array_equal(result[name], whole[name])
        print(f"  {f'chunks of {size}':>14}  peak {mb:8.1f} MB   results identical")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chunk-size", type=int, nargs="+", default=[2000, 500])
    args = parser.parse_args()
    for n_sets in args.sets:
        compare(n_sets, args.repeats)
    chunking(max(args.sets), args.chunk_size)


if __name__ == "__main__":
    main()

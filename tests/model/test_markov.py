"""Tests of the cohort engine against closed forms, exact integrals and a naive reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from hecon.errors import InputError, ModelError
from hecon.model.markov import (
    CORRECTIONS,
    DAY,
    DISCOUNT_TIMINGS,
    YEAR,
    DiscountSchedule,
    cycle_allocation,
    cycle_weights,
    expand_tunnel,
    run_cohort,
)

ALIVE_DEAD = ("alive", "dead")


def alive_dead(p_death: float) -> np.ndarray:
    return np.array([[1 - p_death, p_death], [0.0, 1.0]])


def life_expectancy(p_death, n_cycles, correction, *, cycle_length=YEAR, discount=None, **options):
    """Undiscounted and discounted life years of a cohort starting alive (reward Δ per cycle)."""
    result = run_cohort(alive_dead(p_death), [1.0, 0.0], n_cycles, state_names=ALIVE_DEAD,
                        state_rewards={"ly": [cycle_length, 0.0]}, cycle_length=cycle_length,
                        discount=discount, correction=correction, **options)
    return float(result.undiscounted["ly"]), float(result.discounted["ly"])


def geometric(x: float, first: int, last: int) -> float:
    """Σ_{k=first}^{last} x^k."""
    return (x ** first - x ** (last + 1)) / (1 - x) if last >= first else 0.0


def closed_form_sum(x: float, n: int, correction: str) -> float:
    """Σ_k w_k x^k for the correction's weights, from geometric series."""
    if correction == "none":
        return geometric(x, 0, n - 1)
    if correction == "end":
        return geometric(x, 1, n)
    if correction == "half-cycle":
        return 0.5 + geometric(x, 1, n)
    if correction == "trapezoid" or n == 1:
        return geometric(x, 0, n) - (1 + x ** n) / 2
    m = n if n % 2 == 0 else n - 3            # Simpson 1/3 on [0, m], 3/8 on [m, n]
    odd = x * geometric(x * x, 0, m // 2 - 1)
    even_inner = x * x * geometric(x * x, 0, m // 2 - 2)
    third = (1 + x ** m + 4 * odd + 2 * even_inner) / 3 if m else 0.0
    three_eighths = 3 / 8 * x ** m * (1 + 3 * x + 3 * x ** 2 + x ** 3) if m < n else 0.0
    return third + three_eighths


# ---------------------------------------------------------------- closed forms

@pytest.mark.parametrize("correction", CORRECTIONS)
@pytest.mark.parametrize("n_cycles", [1, 2, 3, 5, 10, 41])
@pytest.mark.parametrize("cycle_length", [YEAR, 1 / 12])
def test_life_expectancy_matches_geometric_series(correction, n_cycles, cycle_length):
    p, r = 0.08, 0.035
    undiscounted, discounted = life_expectancy(p, n_cycles, correction, cycle_length=cycle_length,
                                               discount=r)
    survival = 1 - p
    per_cycle_discount = (1 + r) ** -cycle_length
    assert undiscounted == pytest.approx(cycle_length * closed_form_sum(survival, n_cycles, correction),
                                         rel=1e-13)
    assert discounted == pytest.approx(
        cycle_length * closed_form_sum(survival * per_cycle_discount, n_cycles, correction), rel=1e-13)


def per_cycle_closed_form(x: float, d: float, n: int, correction: str, timing: str) -> float:
    """Σ_c D_c · (corrected value of cycle c) for m_k = x^k, D_c = d^c (cycle start) or d^(c+1)
    (cycle end): none counts x^c, end x^(c+1), trapezoid (x^c + x^(c+1))/2, half-cycle x^(c+1)
    plus ½ in the first cycle."""
    cycles = geometric(x * d, 0, n - 1)
    shift = 1.0 if timing == "cycle-start" else d
    return shift * {"none": cycles, "end": x * cycles, "trapezoid": (1 + x) / 2 * cycles,
                    "half-cycle": x * cycles + 0.5}[correction]


@pytest.mark.parametrize("timing", ["cycle-start", "cycle-end"])
@pytest.mark.parametrize("correction", ["none", "end", "half-cycle", "trapezoid"])
@pytest.mark.parametrize("n_cycles", [1, 2, 5, 41])
@pytest.mark.parametrize("cycle_length", [YEAR, 1 / 12])
def test_per_cycle_discounting_matches_geometric_series(timing, correction, n_cycles, cycle_length):
    p, r = 0.08, 0.035
    undiscounted, discounted = life_expectancy(p, n_cycles, correction, cycle_length=cycle_length,
                                               discount=r, discount_timing=timing)
    per_cycle_discount = (1 + r) ** -cycle_length
    assert undiscounted == pytest.approx(cycle_length * closed_form_sum(1 - p, n_cycles, correction),
                                         rel=1e-13)
    assert discounted == pytest.approx(cycle_length * per_cycle_closed_form(
        1 - p, per_cycle_discount, n_cycles, correction, timing), rel=1e-13)


def test_heemod_first_cycle_is_undiscounted_and_rdecision_discounts_at_its_end():
    """One cycle, everyone survives: cycle-start counts the whole cycle at D(0) = 1, cycle-end
    at D(Δ), trace time each half at its own time."""
    runs = {timing: life_expectancy(0.0, 1, "trapezoid", discount=0.05, discount_timing=timing)[1]
            for timing in DISCOUNT_TIMINGS}
    assert runs == pytest.approx({"cycle-start": 1.0, "cycle-end": 1 / 1.05,
                                  "trace-time": 0.5 + 0.5 / 1.05}, rel=1e-15)


def test_constant_cost_discounted_is_an_annuity():
    c, r, n = 1200.0, 0.04, 25
    result = run_cohort(np.eye(1), [1.0], n, state_rewards={"cost": [c]}, discount=r,
                        correction="none")
    annuity_due = c * (1 - (1 + r) ** -n) / (1 - 1 / (1 + r))
    assert float(result.discounted["cost"]) == pytest.approx(annuity_due, rel=1e-13)
    assert float(result.undiscounted["cost"]) == pytest.approx(n * c, rel=1e-15)


# ---------------------------------------------------------------- exponential survival

def exponential_error(rate, horizon, n_cycles, correction, discount_rate):
    """|cohort life years − ∫_0^T e^{−(λ+δ)t} dt| for S(t) = e^{−λt} sampled every Δ = T/n."""
    delta_t = horizon / n_cycles
    p_death = 1 - np.exp(-rate * delta_t)
    undiscounted, discounted = life_expectancy(p_death, n_cycles, correction, cycle_length=delta_t,
                                               discount=discount_rate)
    force = rate + np.log1p(discount_rate)
    exact = (1 - np.exp(-force * horizon)) / force
    return abs((discounted if discount_rate else undiscounted) - exact)


def convergence_order(rate, horizon, cycles, correction, discount_rate) -> float:
    """Slope of log error against log Δ."""
    errors = [exponential_error(rate, horizon, n, correction, discount_rate) for n in cycles]
    return np.polyfit(np.log(horizon / np.asarray(cycles)), np.log(errors), 1)[0]


@pytest.mark.parametrize("discount_rate", [0.0, 0.035])
@pytest.mark.parametrize(("correction", "order", "cycles"), [
    ("none", 1, (20, 40, 80, 160)),
    ("trapezoid", 2, (20, 40, 80, 160)),
    ("simpson", 4, (10, 20, 40, 80)),
    ("simpson", 4, (11, 21, 41, 81)),
])
def test_convergence_order_on_a_finite_horizon(correction, order, cycles, discount_rate):
    slope = convergence_order(0.3, 10.0, cycles, correction, discount_rate)
    assert slope == pytest.approx(order, abs=0.12)


@pytest.mark.parametrize("discount_rate", [0.0, 0.035])
def test_half_cycle_is_second_order_once_the_cohort_is_absorbed(discount_rate):
    slope = convergence_order(0.5, 80.0, (80, 160, 320, 640), "half-cycle", discount_rate)
    assert slope == pytest.approx(2, abs=0.1)


def test_half_cycle_is_first_order_when_survivors_remain_at_the_horizon():
    """Without the end correction the error is Δ·S(T)/2 + O(Δ²): first order."""
    slope = convergence_order(0.3, 10.0, (80, 160, 320, 640), "half-cycle", 0.0)
    assert slope == pytest.approx(1, abs=0.1)
    n = 640
    error = exponential_error(0.3, 10.0, n, "half-cycle", 0.0)
    assert error == pytest.approx(10.0 / n * np.exp(-3) / 2, rel=0.05)


@pytest.mark.parametrize("correction", ["trapezoid", "simpson", "half-cycle"])
def test_lifetime_life_expectancy_tends_to_the_exponential_means(correction):
    """1/λ undiscounted and 1/(λ + δ) discounted, δ = ln(1 + r), as Δ shrinks."""
    rate, r = 0.1, 0.03
    errors = []
    for delta_t in (1.0, 1 / 4, 1 / 12, DAY * 7):
        n = int(round(400 / delta_t))
        undiscounted, discounted = life_expectancy(1 - np.exp(-rate * delta_t), n, correction,
                                                   cycle_length=delta_t, discount=r)
        errors.append((abs(undiscounted - 1 / rate), abs(discounted - 1 / (rate + np.log1p(r)))))
    errors = np.array(errors)
    assert np.all(np.diff(errors, axis=0) < 0)
    assert errors[-1].max() < 1e-4


# ---------------------------------------------------------------- weights and discounting

@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), correction=st.sampled_from(CORRECTIONS))
def test_weights_integrate_constants(n, correction):
    expected = n + 0.5 if correction == "half-cycle" else n
    assert cycle_weights(n, correction).sum() == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(cycle_allocation(n, correction).sum(axis=0), cycle_weights(n, correction),
                               rtol=0, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 60), coefficients=st.lists(st.floats(-3, 3), min_size=4, max_size=4))
def test_simpson_integrates_cubics_exactly(n, coefficients):
    t = np.linspace(0, 1, n + 1)
    cubic = np.polynomial.Polynomial(coefficients)
    exact = cubic.integ()(1.0) - cubic.integ()(0.0)
    assert cycle_weights(n, "simpson") @ cubic(t) / n == pytest.approx(exact, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 40), coefficients=st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_simpson_cycle_shares_integrate_quadratics_over_each_cycle(n, coefficients):
    """Each cycle's Simpson share is the integral over that cycle of the panel's interpolant."""
    quadratic = np.polynomial.Polynomial(coefficients)
    t = np.arange(n + 1.0)
    exact = quadratic.integ()(t[1:]) - quadratic.integ()(t[:-1])
    np.testing.assert_allclose(cycle_allocation(n, "simpson") @ quadratic(t), exact, rtol=0, atol=1e-9)


def test_cycle_allocations_written_out():
    np.testing.assert_array_equal(cycle_allocation(2, "none"), [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(cycle_allocation(2, "end"), [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(cycle_allocation(2, "half-cycle"), [[0.5, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(cycle_allocation(2, "trapezoid"), [[0.5, 0.5, 0], [0, 0.5, 0.5]])
    np.testing.assert_allclose(cycle_allocation(2, "simpson"), [[5, 8, -1], [-1, 8, 5]] / np.array(12.0))
    np.testing.assert_allclose(cycle_allocation(3, "simpson"),
                               [[9, 19, -5, 1], [-1, 13, 13, -1], [1, -5, 19, 9]] / np.array(24.0))
    np.testing.assert_array_equal(cycle_weights(3, "end"), [0, 1, 1, 1])


def test_simpson_weights_written_out():
    np.testing.assert_allclose(cycle_weights(4, "simpson"), np.array([1, 4, 2, 4, 1]) / 3)
    np.testing.assert_allclose(cycle_weights(3, "simpson"), np.array([1, 3, 3, 1]) * 3 / 8)
    np.testing.assert_allclose(cycle_weights(5, "simpson"),
                               [1 / 3, 4 / 3, 1 / 3 + 3 / 8, 9 / 8, 9 / 8, 3 / 8])
    np.testing.assert_allclose(cycle_weights(1, "simpson"), [0.5, 0.5])


def test_piecewise_discount_factor():
    has = DiscountSchedule((0.025, 0.015), (30,))
    assert has.factor(40.0) == pytest.approx(1.025 ** -30 * 1.015 ** -10, rel=1e-14)
    assert has.factor(30.0) == pytest.approx(1.025 ** -30, rel=1e-14)
    years = np.arange(31)
    np.testing.assert_allclose(has.factor(years), 1.025 ** -years, rtol=1e-14)
    np.testing.assert_allclose(DiscountSchedule.constant(0.0).factor(years), 1.0)
    np.testing.assert_allclose(DiscountSchedule.constant(0.05).factor(0.5), 1.05 ** -0.5, rtol=1e-15)


def test_discount_factor_with_rates_per_parameter_set():
    rates = np.array([[0.0], [0.03], [0.05]])
    schedule = DiscountSchedule((rates, 0.015), (2,))
    years = np.arange(6.0)
    assert schedule.shape == (3, 1) and DiscountSchedule.constant(0.03).shape == ()
    factors = schedule.factor(years)
    assert factors.shape == (3, 1, 6)
    for i, rate in enumerate(rates[:, 0]):
        np.testing.assert_allclose(factors[i, 0], DiscountSchedule((rate, 0.015), (2,)).factor(years),
                                   rtol=1e-15)


@pytest.mark.parametrize(("rates", "breakpoints"), [
    ((0.03, 0.01), ()), ((0.03,), (10,)), ((0.03, 0.02, 0.01), (20, 10)), ((-1.0,), ()),
    ((np.nan,), ()), ((np.inf,), ()), (("0.03",), ()), ((True,), ()), ((np.array([0.03, -2.0]),), ()),
    ((np.array([]),), ()), ((None,), ()), ((0.03, 0.01), ("ten",)),
    ((np.ones((3, 1)), np.ones((1, 2, 2))), (5,)),
])
def test_discount_schedule_refuses_mistakes(rates, breakpoints):
    with pytest.raises(InputError):
        DiscountSchedule(rates, breakpoints)


# ---------------------------------------------------------------- random models

def random_model(seed: int, n_sets: int, n_strategies: int, n_states: int, n_cycles: int):
    """Time-dependent Dirichlet-row matrices, random initial vectors and rewards."""
    rng = np.random.default_rng(seed)
    batch = (n_sets, n_strategies)
    P = rng.dirichlet(np.full(n_states, 0.7), size=(*batch, n_cycles, n_states))
    initial = rng.dirichlet(np.ones(n_states), size=batch)
    rewards = {"cost": rng.gamma(2.0, 100.0, size=(n_sets, 1, n_states)),
               "utility": rng.uniform(0, 1, size=(*batch, n_cycles + 1, n_states))}
    flows = {"entries": rng.integers(0, 2, size=(n_states, n_states)).astype(float)}
    return P, initial, rewards, flows


def run_random(P, initial, rewards, flows, correction="half-cycle", **options):
    n_cycles = rewards["utility"].shape[-2] - 1
    return run_cohort(P, initial, n_cycles, state_rewards=rewards, transition_rewards=flows,
                      discount=DiscountSchedule((0.04, 0.015), (3,)), correction=correction,
                      cycle_length=0.5, **options)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_states=st.integers(2, 8), n_cycles=st.integers(1, 20),
       n_strategies=st.integers(1, 3))
def test_trace_is_a_distribution_at_every_cycle(seed, n_states, n_cycles, n_strategies):
    P, initial, rewards, flows = random_model(seed, 5, n_strategies, n_states, n_cycles)
    trace = run_random(P, initial, rewards, flows).trace
    assert trace.shape == (5, n_strategies, n_cycles + 1, n_states)
    np.testing.assert_allclose(trace.sum(-1), 1.0, atol=1e-12)
    assert trace.min() >= 0 and trace.max() <= 1 + 1e-12


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_states=st.integers(2, 7), n_cycles=st.integers(1, 12),
       correction=st.sampled_from(CORRECTIONS), start=st.integers(0, 9_990))
def test_results_do_not_depend_on_the_batch_size(seed, n_states, n_cycles, correction, start):
    P, initial, rewards, flows = random_model(seed, 10_000, 2, n_states, n_cycles)
    whole = run_random(P, initial, rewards, flows, correction)
    for size in (1, 7):
        part = slice(start, start + size)
        chunk = run_random(P[part], initial[part], {"cost": rewards["cost"][part],
                           "utility": rewards["utility"][part]}, flows, correction)
        np.testing.assert_array_equal(chunk.trace, whole.trace[part])
        for totals, chunk_totals in ((whole.undiscounted, chunk.undiscounted),
                                     (whole.discounted, chunk.discounted)):
            for name in totals:
                np.testing.assert_array_equal(chunk_totals[name], totals[name][part])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_states=st.integers(2, 8), n_cycles=st.integers(1, 15))
def test_equal_strategies_give_zero_increments(seed, n_states, n_cycles):
    P, initial, rewards, flows = random_model(seed, 20, 1, n_states, n_cycles)
    twins = {"cost": rewards["cost"], "utility": np.repeat(rewards["utility"], 3, axis=1)}
    result = run_random(np.repeat(P, 3, axis=1), np.repeat(initial, 3, axis=1), twins, flows)
    for totals in (result.undiscounted, result.discounted):
        for value in totals.values():
            assert np.all(np.diff(value, axis=1) == 0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), correction=st.sampled_from(CORRECTIONS))
def test_keep_trace_false_gives_the_same_totals(seed, correction):
    P, initial, rewards, flows = random_model(seed, 30, 2, 4, 9)
    kept = run_random(P, initial, rewards, flows, correction)
    bounded = run_random(P, initial, rewards, flows, correction, keep_trace=False)
    assert bounded.trace is None
    for name in kept.undiscounted:
        np.testing.assert_array_equal(bounded.undiscounted[name], kept.undiscounted[name])
        np.testing.assert_array_equal(bounded.discounted[name], kept.discounted[name])


def naive_cohort(P, initial, state_rewards, transition_reward, weights, discount_at):
    """Reference: Python loops over sets, strategies, cycles and states."""
    n_sets, n_strategies, n_cycles, n_states, _ = P.shape
    trace = np.zeros((n_sets, n_strategies, n_cycles + 1, n_states))
    totals = {name: np.zeros((2, n_sets, n_strategies)) for name in (*state_rewards, "flow")}
    for i in range(n_sets):
        for s in range(n_strategies):
            trace[i, s, 0] = initial[i, s]
            for k in range(n_cycles):
                for to in range(n_states):
                    trace[i, s, k + 1, to] = sum(trace[i, s, k, fr] * P[i, s, k, fr, to]
                                                 for fr in range(n_states))
                flow = sum(trace[i, s, k, fr] * P[i, s, k, fr, to] * transition_reward[fr, to]
                           for fr in range(n_states) for to in range(n_states))
                totals["flow"][:, i, s] += (flow, flow * discount_at[k + 1])
            for name, reward in state_rewards.items():
                per_cycle = np.broadcast_to(reward[min(i, len(reward) - 1)], (n_strategies, n_cycles + 1, n_states))
                for k in range(n_cycles + 1):
                    amount = sum(trace[i, s, k, st_] * per_cycle[s, k, st_] for st_ in range(n_states))
                    totals[name][:, i, s] += (weights[k] * amount, weights[k] * discount_at[k] * amount)
    return trace, totals


@pytest.mark.parametrize("correction", CORRECTIONS)
def test_engine_agrees_with_a_naive_reference(correction):
    P, initial, rewards, flows = random_model(7, 4, 3, 5, 9)
    result = run_random(P, initial, rewards, flows, correction)
    discount_at = DiscountSchedule((0.04, 0.015), (3,)).factor(0.5 * np.arange(10))
    cost = rewards["cost"][:, :, None, :]
    trace, totals = naive_cohort(P, initial, {"cost": cost, "utility": rewards["utility"]},
                                 flows["entries"], cycle_weights(9, correction), discount_at)
    np.testing.assert_allclose(result.trace, trace, rtol=1e-12, atol=1e-15)
    for name, engine in (("cost", "cost"), ("utility", "utility"), ("flow", "entries")):
        np.testing.assert_allclose(result.undiscounted[engine], totals[name][0], rtol=1e-12)
        np.testing.assert_allclose(result.discounted[engine], totals[name][1], rtol=1e-12)


# ---------------------------------------------------------------- time dependence and flows

def test_time_dependent_array_and_callable_agree():
    P, initial, rewards, flows = random_model(3, 50, 2, 6, 12)
    by_array = run_random(P, initial, rewards, flows)
    by_function = run_random(lambda k: P[:, :, k], initial, rewards, flows)
    np.testing.assert_array_equal(by_function.trace, by_array.trace)
    for name in by_array.discounted:
        np.testing.assert_array_equal(by_function.discounted[name], by_array.discounted[name])


def test_homogeneous_matrix_broadcasts_over_the_batch():
    P = np.array([[0.9, 0.1], [0.0, 1.0]])
    batch = run_cohort(P, np.tile([1.0, 0.0], (3, 2, 1)), 5)
    single = run_cohort(P, [1.0, 0.0], 5)
    np.testing.assert_array_equal(batch.trace, np.broadcast_to(single.trace, (3, 2, 6, 2)))
    np.testing.assert_allclose(single.trace[:, 0], 0.9 ** np.arange(6))


HSD = ("healthy", "sick", "dead")
P_HSD = np.array([[0.80, 0.15, 0.05], [0.30, 0.60, 0.10], [0.0, 0.0, 1.0]])


def test_transition_rewards_count_entries_by_hand():
    into_sick = np.zeros((3, 3))
    into_sick[0, 1] = 1.0
    into_dead = np.zeros((3, 3))
    into_dead[[0, 1], 2] = 1.0
    result = run_cohort(P_HSD, [1.0, 0.0, 0.0], 3, state_names=HSD, discount=0.03,
                        transition_rewards={"episodes": into_sick, "deaths": into_dead})
    # m0 = (1, 0, 0), m1 = (0.8, 0.15, 0.05), m2 = (0.685, 0.21, 0.105); entries = 0.15·m_k[healthy]
    flows = np.array([0.15, 0.8 * 0.15, 0.685 * 0.15])
    assert float(result.undiscounted["episodes"]) == pytest.approx(flows.sum(), rel=1e-14)
    assert float(result.discounted["episodes"]) == pytest.approx(
        flows @ 1.03 ** -np.arange(1, 4), rel=1e-14)
    assert float(result.undiscounted["deaths"]) == pytest.approx(result.trace[-1, 2], rel=1e-14)


def test_time_dependent_transition_rewards():
    costs = np.zeros((4, 3, 3))
    costs[:, 0, 1] = [100.0, 200.0, 300.0, 400.0]
    result = run_cohort(P_HSD, [1.0, 0.0, 0.0], 4, transition_rewards={"onset": costs})
    healthy = result.trace[:-1, 0]
    assert float(result.undiscounted["onset"]) == pytest.approx(
        0.15 * healthy @ costs[:, 0, 1], rel=1e-14)


# ---------------------------------------------------------------- conventions chosen per run

def run_model(P, initial, rewards, flows, **options):
    """The random model of :func:`random_model` with the HAS-like schedule unless told otherwise."""
    options = {"discount": DiscountSchedule((0.04, 0.015), (3,)), "cycle_length": 0.5, **options}
    return run_cohort(P, initial, rewards["utility"].shape[-2] - 1, state_rewards=rewards,
                      transition_rewards=flows, **options)


def assert_same_totals(result, expected, rtol=1e-13):
    assert result.undiscounted.keys() == expected.undiscounted.keys()
    for name in expected.undiscounted:
        np.testing.assert_allclose(result.undiscounted[name], expected.undiscounted[name], rtol=rtol)
        np.testing.assert_allclose(result.discounted[name], expected.discounted[name], rtol=rtol)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 25), correction=st.sampled_from(CORRECTIONS),
       rate=st.floats(0.0, 0.12), correct_transitions=st.booleans())
def test_custom_weights_equal_each_named_rule(seed, n, correction, rate, correct_transitions):
    """The rule's weight vector (trace time) or its cycle allocation (every timing) given as a
    custom correction reproduces the named rule."""
    P, initial, rewards, flows = random_model(seed, 3, 2, 4, n)
    options = {"discount": DiscountSchedule((rate, 0.015), (3,)), "correct_transitions": correct_transitions}
    named = run_model(P, initial, rewards, flows, correction=correction, **options)
    assert_same_totals(run_model(P, initial, rewards, flows, correction=cycle_weights(n, correction),
                                 **options), named)
    for timing in DISCOUNT_TIMINGS:
        named = run_model(P, initial, rewards, flows, correction=correction, discount_timing=timing, **options)
        shares = cycle_allocation(n, correction)
        assert_same_totals(run_model(P, initial, rewards, flows, correction=shares, discount_timing=timing,
                                     **options), named, rtol=1e-12)


@pytest.mark.parametrize("timing", DISCOUNT_TIMINGS)
def test_several_discount_schedules_equal_separate_runs(timing):
    """The Dutch guideline's 4 % on costs and 1.5 % on effects, and a piecewise schedule, in one run."""
    P, initial, rewards, flows = random_model(11, 6, 2, 5, 12)
    schedules = {"cost": 0.04, "utility": DiscountSchedule((0.015, 0.01), (2,)), "entries": None}
    together = run_model(P, initial, rewards, flows, discount=schedules, discount_timing=timing,
                         correction="simpson")
    for name, schedule in schedules.items():
        alone = run_model(P, initial, rewards, flows, discount=schedule, discount_timing=timing,
                          correction="simpson")
        np.testing.assert_allclose(together.discounted[name], alone.discounted[name], rtol=1e-14)
        np.testing.assert_array_equal(together.undiscounted[name], alone.undiscounted[name])
    np.testing.assert_array_equal(together.discounted["entries"], together.undiscounted["entries"])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), timing=st.sampled_from(DISCOUNT_TIMINGS),
       correction=st.sampled_from(CORRECTIONS), piecewise=st.booleans(), per_cycle=st.booleans())
def test_rate_varying_across_the_batch_equals_per_set_runs(seed, timing, correction, piecewise, per_cycle):
    """A one-way analysis on the discount rate: one rate per parameter set, in one batch."""
    P, initial, rewards, flows = random_model(seed, 5, 2, 4, 9)
    rates = np.array([0.0, 0.015, 0.035, 0.04, 0.1])[:, None]            # [sets, 1]
    def schedule(rate):  # noqa: E306
        return DiscountSchedule((rate, 0.01), (2,)) if piecewise else rate
    options = {"discount_timing": timing, "correction": correction, "per_cycle": per_cycle}
    batch = run_model(P, initial, rewards, flows, discount=schedule(rates), **options)
    for i, rate in enumerate(rates[:, 0]):
        part = slice(i, i + 1)
        one = run_model(P[part], initial[part], {"cost": rewards["cost"][part],
                        "utility": rewards["utility"][part]}, flows, discount=schedule(float(rate)), **options)
        for name in one.discounted:
            np.testing.assert_allclose(batch.discounted[name][part], one.discounted[name], rtol=1e-13)
            np.testing.assert_array_equal(batch.undiscounted[name][part], one.undiscounted[name])


def test_transition_rewards_weighted_by_the_correction_when_asked():
    """With correct_transitions, the flows of cycle k count like a state reward at t_{k+1}:
    weight w_{k+1} (½ at the horizon under the trapezoid) and discount D(t_{k+1}); unweighted
    under cycle-start discounting they are discounted at the cycle's start."""
    into_sick = np.zeros((3, 3))
    into_sick[0, 1] = 1.0
    flows = np.array([0.15, 0.8 * 0.15, 0.685 * 0.15])                    # entries in cycles 0, 1, 2
    def episodes(**options):  # noqa: E306
        result = run_cohort(P_HSD, [1.0, 0.0, 0.0], 3, discount=0.03, correction="trapezoid",
                            transition_rewards={"episodes": into_sick}, **options)
        return float(result.undiscounted["episodes"]), float(result.discounted["episodes"])
    weighted = episodes(correct_transitions=True)
    assert weighted == pytest.approx((flows @ [1, 1, 0.5], flows * [1, 1, 0.5] @ 1.03 ** -np.arange(1, 4)),
                                     rel=1e-14)
    assert episodes(discount_timing="cycle-start") == pytest.approx(
        (flows.sum(), flows @ 1.03 ** -np.arange(3)), rel=1e-14)
    assert episodes(discount_timing="cycle-end") == pytest.approx(episodes(), rel=1e-15)


def rdecision_cycles(P, initial, state_costs, utilities, rate_costs, rate_utilities, n_cycles, hcc):
    """rdecision's ``SemiMarkovModel$cycle()`` (ajsims1704/rdecision ``R/SemiMarkovModel.R``),
    yearly cycles, transcribed as a loop: each cycle's occupancy costs and QALYs come from the
    mid-cycle population (start + end)/2 with half-cycle correction (``hcc.pop = hcc.cost =
    TRUE``), from the end population without, discounted at the time elapsed at the cycle's end."""
    population, cost, qaly = np.asarray(initial, dtype=float), 0.0, 0.0
    for cycle in range(1, n_cycles + 1):
        end = population @ P
        counted = (population + end) / 2 if hcc else end
        cost += counted @ state_costs / (1 + rate_costs) ** cycle
        qaly += counted @ utilities / (1 + rate_utilities) ** cycle
        population = end
    return cost, qaly


@pytest.mark.parametrize(("hcc", "correction"), [(True, "trapezoid"), (False, "end")])
def test_cycle_end_discounting_is_rdecisions(hcc, correction):
    costs, utilities = np.array([100.0, 2000.0, 0.0]), np.array([0.95, 0.6, 0.0])
    result = run_cohort(P_HSD, [1.0, 0.0, 0.0], 15, correction=correction, discount_timing="cycle-end",
                        state_rewards={"cost": costs, "qalys": utilities},
                        discount={"cost": 0.06, "qalys": 0.015})
    expected = rdecision_cycles(P_HSD, [1.0, 0.0, 0.0], costs, utilities, 0.06, 0.015, 15, hcc)
    assert (float(result.discounted["cost"]), float(result.discounted["qalys"])) == pytest.approx(
        expected, rel=1e-14)


@pytest.mark.parametrize("timing", DISCOUNT_TIMINGS)
@pytest.mark.parametrize("correct_transitions", [False, True])
def test_per_cycle_rewards_sum_to_the_totals(timing, correct_transitions):
    P, initial, rewards, flows = random_model(5, 3, 2, 4, 7)
    options = {"discount_timing": timing, "correct_transitions": correct_transitions, "correction": "simpson"}
    totals = run_model(P, initial, rewards, flows, **options)
    detailed = run_model(P, initial, rewards, flows, per_cycle=True, **options)
    assert totals.per_cycle is None
    assert_same_totals(detailed, totals)
    for name in totals.undiscounted:
        for kind in ("undiscounted", "discounted"):
            per_point = getattr(detailed.per_cycle, kind)[name]
            assert per_point.shape == (3, 2, 8)
            np.testing.assert_allclose(per_point.sum(-1), getattr(totals, kind)[name], rtol=1e-12)
    np.testing.assert_array_equal(detailed.per_cycle.undiscounted["entries"][..., 0], 0.0)


def test_per_cycle_frame_is_tidy():
    P, initial, rewards, flows = random_model(8, 3, 2, 4, 5)
    result = run_model(P, initial, rewards, flows, per_cycle=True, strategy_names=("usual", "new"))
    frame = result.per_cycle_frame()
    assert list(frame.columns) == ["cycle", "time", "set", "strategy", "reward", "undiscounted", "discounted"]
    assert len(frame) == 3 * 3 * 2 * 6
    assert set(frame["strategy"]) == {"usual", "new"}
    np.testing.assert_allclose(frame["time"], frame["cycle"] * 0.5)
    sums = frame.groupby(["reward", "set", "strategy"])[["undiscounted", "discounted"]].sum()
    for (reward, set_, strategy), row in sums.iterrows():
        s = ("usual", "new").index(strategy)
        assert row["undiscounted"] == pytest.approx(result.undiscounted[reward][set_, s], rel=1e-12)
        assert row["discounted"] == pytest.approx(result.discounted[reward][set_, s], rel=1e-12)
    with pytest.raises(InputError, match="per_cycle=True"):
        run_model(P, initial, rewards, flows).per_cycle_frame()


def test_default_path_is_unchanged_by_the_new_options():
    """Trace time, one schedule, no per-cycle output: the totals of the engine before the
    conventions were added (weights × factors accumulated on the occupancy)."""
    P, initial, rewards, flows = random_model(21, 4, 2, 5, 10)
    result = run_model(P, initial, rewards, flows, correction="half-cycle")
    discount_at = DiscountSchedule((0.04, 0.015), (3,)).factor(0.5 * np.arange(11))
    occupancy = np.einsum("sgkx,k->sgx", result.trace, cycle_weights(10, "half-cycle") * discount_at)
    np.testing.assert_allclose(result.discounted["cost"], np.vecdot(occupancy, rewards["cost"]), rtol=1e-14)


# ---------------------------------------------------------------- validation

def batch_of(P: np.ndarray, n_sets=4, n_cycles=6) -> np.ndarray:
    return np.array(np.broadcast_to(P, (n_sets, 2, n_cycles, 3, 3)))


@pytest.mark.parametrize(("row", "problem"), [
    ([0.3, 0.6, 0.2], "sum to 1.1"),
    ([-0.1, 0.6, 0.5], "outside [0, 1]"),
    ([np.nan, 0.6, 0.1], "NaN"),
])
def test_invalid_rows_name_strategy_state_cycle_and_sets(row, problem):
    P = batch_of(P_HSD)
    P[2, 1, 5, 1] = row
    P[3, 1, 4, 1] = row
    initial = np.broadcast_to([1.0, 0.0, 0.0], (4, 2, 3))
    for transitions in (P, lambda k: P[:, :, k]):
        with pytest.raises(ModelError) as error:
            run_cohort(transitions, initial, 6, state_names=HSD,
                       strategy_names=("usual_care", "new_drug"))
        message = str(error.value)
        assert problem in message and "'sick'" in message and "'new_drug'" in message
        # an array is checked whole (every offending set), a callable cycle by cycle
        expected = [2, 3] if transitions is P else [3]
        shown = ", ".join(map(str, expected))
        assert f"at cycle 4: parameter set(s) {shown} ({len(expected)} in all)" in message
        np.testing.assert_array_equal(error.value.sets, expected)
    run_cohort(P, initial, 6, check=False)


@settings(max_examples=30, deadline=None)
@given(s=st.integers(0, 9), k=st.integers(0, 5), row=st.integers(0, 2),
       excess=st.floats(1e-8, 0.5), strategy=st.integers(0, 1))
def test_any_row_off_by_more_than_the_tolerance_is_caught(s, k, row, excess, strategy):
    P = batch_of(P_HSD, n_sets=10)
    P[s, strategy, k, row, 2] += excess
    with pytest.raises(ModelError) as error:
        run_cohort(P, np.broadcast_to([0.2, 0.8, 0.0], (10, 2, 3)), 6)
    np.testing.assert_array_equal(error.value.sets, [s])
    assert f"cycle {k}" in str(error.value)


def test_rounding_within_tolerance_is_accepted():
    P = batch_of(P_HSD)
    P[..., 0, 0] += 5e-10
    P[..., 2, 0] = -1e-13
    P[..., 2, 2] += 1e-13
    run_cohort(P, np.broadcast_to([1.0, 0, 0], (4, 2, 3)), 6)


def test_homogeneous_invalid_matrix_applies_to_every_cycle_and_set():
    P = P_HSD.copy()
    P[1, 1] = 0.7
    with pytest.raises(ModelError, match="every cycle") as error:
        run_cohort(P, np.broadcast_to([1.0, 0, 0], (3, 2, 3)), 4, state_names=HSD)
    np.testing.assert_array_equal(error.value.sets, [0, 1, 2])


def test_invalid_initial_distribution():
    initial = np.broadcast_to([1.0, 0.0, 0.0], (5, 2, 3)).copy()
    initial[4, 0] = [0.5, 0.4, 0.0]
    with pytest.raises(ModelError, match="initial state distribution sums to 0.9") as error:
        run_cohort(P_HSD, initial, 3, strategy_names=("a", "b"))
    np.testing.assert_array_equal(error.value.sets, [4])


@pytest.mark.parametrize("mistake", [
    {"transitions": np.eye(2)},
    {"state_rewards": {"cost": np.ones(2)}},
    {"state_rewards": {"cost": np.ones((1, 3, 3))}},
    {"transition_rewards": {"ae": np.ones((3, 2))}},
    {"state_names": ("a", "b")},
    {"correction": "half"},
    {"n_cycles": 0},
    {"state_rewards": {"x": np.ones(3)}, "transition_rewards": {"x": np.ones((3, 3))}},
    {"correction": np.ones(3)},
    {"correction": [1.0, np.nan, 1.0, 1.0]},
    {"correction": np.ones((3, 3))},
    {"correction": ["a", "b", "c", "d"]},
    {"correction": None},
    {"correction": np.ones(4), "discount_timing": "cycle-start"},
    {"discount_timing": "mid-cycle"},
    {"discount_timing": ["trace-time"]},
    {"state_rewards": {"cost": np.ones(3), "qaly": np.ones(3)}, "discount": {"cost": 0.03}},
    {"state_rewards": {"cost": np.ones(3)}, "discount": {"cost": 0.03, "typo": 0.015}},
    {"state_rewards": {"cost": np.ones(3)}, "discount": {"cost": "3 %"}},
    {"discount": np.array([0.03, 0.04, 0.05])},
    {"discount": np.full((2, 1), 0.03)},
    {"discount": float("nan")},
    {"discount": float("inf")},
    {"discount": "0.03"},
    {"discount": True},
    {"cycle_length": 0},
    {"cycle_length": -1.0},
    {"cycle_length": float("nan")},
    {"cycle_length": "1"},
    {"correct_transitions": "yes"},
    {"per_cycle": 1},
    {"strategy_names": ("a", "b")},
    {"n_cycles": 2.5},
    {"n_cycles": "3"},
    {"n_cycles": None},
    {"initial": [["a", "b", "c"]]},
    {"state_rewards": {"cost": ["x", "y", "z"]}},
])
def test_shape_and_option_mistakes_raise_input_errors(mistake):
    """Each mistake is refused with an InputError, before any cycle runs."""
    run = {"transitions": P_HSD, "initial": np.broadcast_to([1.0, 0, 0], (2, 3)), "n_cycles": 3}
    run.update(mistake)
    with pytest.raises(InputError):
        run_cohort(run.pop("transitions"), run.pop("initial"), run.pop("n_cycles"), **run)


@settings(max_examples=60, deadline=None)
@given(weights=arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=5)),
       timing=st.sampled_from(DISCOUNT_TIMINGS))
def test_any_array_of_weights_is_used_or_refused_clearly(weights, timing):
    """Four trace points (three cycles): n + 1 finite weights (trace time) or a finite [3, 4]
    matrix run; anything else is an InputError."""
    finite = bool(np.isfinite(weights).all())
    usable = finite and (weights.shape == (3, 4) or (weights.shape == (4,) and timing == "trace-time"))
    def run():  # noqa: E306
        return run_cohort(P_HSD, [1.0, 0, 0], 3, correction=weights, discount_timing=timing,
                          state_rewards={"cost": [1.0, 2.0, 0.0]}, discount=0.03)
    if usable:
        weight = weights if weights.ndim == 1 else weights.sum(axis=0)
        assert float(run().undiscounted["cost"]) == pytest.approx(
            weight @ (run().trace @ [1.0, 2.0, 0.0]), rel=1e-12, abs=1e-12)
    else:
        with pytest.raises(InputError):
            run()


@settings(max_examples=40, deadline=None)
@given(rates=arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=3)))
def test_any_array_of_rates_is_used_or_refused_clearly(rates):
    """Batch [2, 3]: finite rates above −1 shaped (), [2, 1], [1, 3], [2, 3] or [1, 1] run."""
    usable = (np.isfinite(rates).all() and (rates > -1).all() and rates.size > 0
              and (rates.ndim == 0 or (rates.ndim == 2 and rates.shape[0] in (1, 2) and rates.shape[1] in (1, 3))))
    def run():  # noqa: E306
        return run_cohort(P_HSD, np.broadcast_to([1.0, 0, 0], (2, 3, 3)), 3,
                          state_rewards={"cost": [1.0, 2.0, 0.0]}, discount=rates)
    if usable:
        assert run().discounted["cost"].shape == (2, 3)
    else:
        with pytest.raises(InputError):
            run()


# ---------------------------------------------------------------- tunnel states

def test_tunnel_expansion_matches_the_hand_built_matrix():
    """Sick for 1, 2, 3+ cycles: recovery falls, death rises with time spent sick."""
    by_duration = np.array([P_HSD] * 3)
    by_duration[:, 1] = [[0.30, 0.60, 0.10], [0.20, 0.65, 0.15], [0.10, 0.70, 0.20]]
    tunnel = expand_tunnel(by_duration, "sick", HSD)
    expected = np.array([
        #  healthy sick_1 sick_2 sick_3 dead
        [0.80, 0.15, 0.00, 0.00, 0.05],
        [0.30, 0.00, 0.60, 0.00, 0.10],
        [0.20, 0.00, 0.00, 0.65, 0.15],
        [0.10, 0.00, 0.00, 0.70, 0.20],
        [0.00, 0.00, 0.00, 0.00, 1.00],
    ])
    np.testing.assert_array_equal(tunnel.transitions, expected)
    assert tunnel.state_names == ("healthy", "sick_1", "sick_2", "sick_3", "dead")
    np.testing.assert_array_equal(tunnel.initial([0.5, 0.5, 0.0]), [0.5, 0.5, 0, 0, 0])
    np.testing.assert_array_equal(tunnel.repeat([1.0, 2.0, 0.0]), [1, 2, 2, 2, 0])
    np.testing.assert_array_equal(tunnel.collapse(np.arange(5.0)), [0.0, 6.0, 4.0])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_states=st.integers(2, 6), n_durations=st.integers(1, 5),
       data=st.data())
def test_tunnel_without_duration_effect_collapses_to_the_original_model(seed, n_states, n_durations, data):
    state = data.draw(st.integers(0, n_states - 1))
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(n_states), size=(3, n_states))
    initial = rng.dirichlet(np.ones(n_states), size=3)
    names = [f"s{i}" for i in range(n_states)]
    tunnel = expand_tunnel(np.repeat(P[:, None], n_durations, axis=1), state, names)
    expanded = run_cohort(tunnel.transitions, tunnel.initial(initial), 10)
    original = run_cohort(P, initial, 10)
    np.testing.assert_allclose(tunnel.collapse(expanded.trace), original.trace, atol=1e-13)
    assert len(tunnel.state_names) == n_states + n_durations - 1


def test_tunnel_tracks_time_since_entry():
    """With no exits from the tunnel, the cohort walks sick_1 → sick_2 → sick_3 and stays."""
    by_duration = np.array([np.eye(3)] * 3)
    tunnel = expand_tunnel(by_duration, 1, HSD)
    trace = run_cohort(tunnel.transitions, tunnel.initial([0.0, 1.0, 0.0]), 4).trace
    np.testing.assert_array_equal(trace[:, 1:4], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]])

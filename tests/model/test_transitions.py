"""Transitions declared as edges: equal to the explicit matrices, checked in one pass."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.errors import InputError, ModelError
from hecon.model.markov import run_cohort
from hecon.model.transitions import Transitions

STATES = ("healthy", "sick", "dead")


def explicit(relapse, die_healthy, recover, die_sick):
    """The healthy–sick–dead matrices written out, [sets, strategies, 3, 3]."""
    n, k = np.broadcast_shapes(np.shape(relapse), np.shape(recover))
    P = np.zeros((n, k, 3, 3))
    P[..., 0, 1], P[..., 0, 2] = relapse, die_healthy
    P[..., 0, 0] = 1 - relapse - die_healthy
    P[..., 1, 0], P[..., 1, 2] = recover, die_sick
    P[..., 1, 1] = 1 - recover - die_sick
    P[..., 2, 2] = 1.0
    return P


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_probability_edges_equal_the_explicit_matrices(n_sets, seed):
    rng = np.random.default_rng(seed)
    relapse = rng.uniform(0, 0.5, (n_sets, 2))
    die_healthy, recover, die_sick = (rng.uniform(0, 0.5, (n_sets, 1)) for _ in range(3))
    edges = Transitions(STATES, probabilities={("healthy", "sick"): relapse, ("healthy", "dead"): die_healthy,
                                               ("sick", "healthy"): recover, ("sick", "dead"): die_sick})
    P = edges.matrices((n_sets, 2))
    np.testing.assert_allclose(P, explicit(relapse, die_healthy, recover, die_sick), rtol=0, atol=1e-15)
    np.testing.assert_allclose(P.sum(-1), 1.0, rtol=0, atol=1e-15)


def test_competing_hazards_follow_the_closed_form():
    # death 0.1/yr and progression 0.3/yr from 'sick', half-year cycles: stay e^{-0.2}
    edges = Transitions(STATES, hazards={("sick", "dead"): 0.1, ("sick", "healthy"): 0.3,
                                         ("healthy", "sick"): 0.0}, cycle_length=0.5)
    P = edges.matrices((1,))[0]
    stay = np.exp(-0.4 * 0.5)
    np.testing.assert_allclose(P[1], [0.75 * (1 - stay), stay, 0.25 * (1 - stay)], rtol=1e-15)
    np.testing.assert_array_equal(P[0], [1.0, 0.0, 0.0])  # a zero hazard: nobody leaves
    np.testing.assert_array_equal(P[2], [0.0, 0.0, 1.0])  # no exits: absorbing


def test_a_single_hazard_gives_the_textbook_probability():
    # p = 1 − exp(−r·t) (Briggs, Claxton & Sculpher 2006, eq. 3.2)
    P = Transitions(("alive", "dead"), hazards={("alive", "dead"): 0.05}).matrices(())
    assert P[0, 1] == pytest.approx(1 - np.exp(-0.05), rel=1e-15)


def test_time_dependent_edges_run_like_the_explicit_array():
    n_sets, n_cycles = 4, 30
    rng = np.random.default_rng(3)
    recover = rng.uniform(0.1, 0.3, (n_sets, 1))
    rr = np.array([[1.0, 0.7]])
    age = 60 + np.arange(n_cycles)

    def background(cycle):  # Gompertz hazard of death, per year of age
        return 1e-4 * np.exp(0.08 * age[cycle])

    edges = Transitions(STATES, probabilities={("sick", "healthy"): recover, ("sick", "dead"): 0.1},
                        hazards={("healthy", "sick"): 0.2 * rr, ("healthy", "dead"): background})
    P = np.stack([edges.matrices((n_sets, 2), k) for k in range(n_cycles)], axis=2)
    initial = np.broadcast_to([1.0, 0.0, 0.0], (n_sets, 2, 3))
    rewards = {"qalys": np.array([1.0, 0.6, 0.0])}
    fast = run_cohort(edges, initial, n_cycles, state_rewards=rewards, discount=0.03)
    slow = run_cohort(P, initial, n_cycles, state_rewards=rewards, discount=0.03)
    np.testing.assert_array_equal(fast.trace, slow.trace)
    np.testing.assert_array_equal(fast.discounted["qalys"], slow.discounted["qalys"])
    assert fast.trace[..., -1, :].sum(-1) == pytest.approx(1.0, abs=1e-14)


@pytest.mark.parametrize("probabilities, hazards, message", [
    ({("healthy", "sick"): 1.2}, {}, "probability from state 'healthy' to 'sick' is 1.2, not in [0, 1]"),
    ({("healthy", "sick"): np.nan}, {}, "is nan, not in [0, 1]"),
    ({("healthy", "sick"): 0.7, ("healthy", "dead"): 0.4}, {}, "out of state 'healthy' sum to 1.1, above 1"),
    ({}, {("sick", "dead"): -0.1}, "hazard from state 'sick' to 'dead' is -0.1, not a finite number ≥ 0"),
    ({}, {("sick", "dead"): np.inf}, "is inf, not a finite number ≥ 0"),
])
def test_impossible_values_name_the_edge_the_strategy_and_the_sets(probabilities, hazards, message):
    def value(v):
        return np.array([[0.1, v], [0.1, 0.1]])  # set 0, second strategy

    edges = Transitions(STATES, probabilities={k: value(v) for k, v in probabilities.items()},
                        hazards={k: value(v) for k, v in hazards.items()})
    initial = np.broadcast_to([1.0, 0.0, 0.0], (2, 2, 3))
    with pytest.raises(ModelError, match="parameter set") as error:
        run_cohort(edges, initial, 5, strategy_names=("placebo", "drug"), state_names=STATES)
    assert message in str(error.value) and "strategy 'drug'" in str(error.value)
    assert list(error.value.sets) == [0]


def test_a_time_dependent_edge_is_checked_at_its_cycle():
    edges = Transitions(STATES, probabilities={("healthy", "dead"): lambda k: 0.1 * k})
    with pytest.raises(ModelError, match="is 1.1, not in \\[0, 1\\] at cycle 11"):
        run_cohort(edges, np.array([1.0, 0.0, 0.0]), 20)


@pytest.mark.parametrize("arguments, message", [
    ({"probabilities": {("healthy", "ill"): 0.1}}, "unknown state 'ill'"),
    ({"probabilities": {("sick", "sick"): 0.1}}, "stays in its state"),
    ({"probabilities": {("sick", "dead"): 0.1}, "hazards": {("sick", "healthy"): 0.2}}, "by probability and by hazard"),
    ({"cycle_length": 0.0}, "positive number of years"),
])
def test_malformed_edges_are_refused(arguments, message):
    with pytest.raises(InputError, match=message):
        Transitions(STATES, **arguments)


def test_an_edge_that_does_not_fit_the_batch_is_refused():
    edges = Transitions(STATES, probabilities={("healthy", "sick"): np.full((3, 1), 0.1)})
    with pytest.raises(InputError, match="does not broadcast to the batch"):
        run_cohort(edges, np.broadcast_to([1.0, 0.0, 0.0], (2, 2, 3)), 5)


def test_the_generator_method_lets_members_move_on_within_a_cycle():
    # healthy → sick at λ₁ = 1/yr, sick → dead at λ₂ = 2/yr, over one year: the two-step chain's
    # closed form P(healthy → sick) = λ₁/(λ₂ − λ₁)·(e^{−λ₁} − e^{−λ₂}), the rest dead
    edges = Transitions(STATES, hazards={("healthy", "sick"): 1.0, ("sick", "dead"): 2.0}, method="generator")
    P = edges.matrices(())
    np.testing.assert_allclose(P[0], [np.exp(-1), np.exp(-1) - np.exp(-2), 1 - 2 * np.exp(-1) + np.exp(-2)],
                               rtol=1e-13)
    competing = Transitions(STATES, hazards={("healthy", "sick"): 1.0, ("sick", "dead"): 2.0}).matrices(())
    assert competing[0, 2] == 0.0 and P[0, 2] > 0.1  # one move a cycle vs moving on
    np.testing.assert_allclose(P[1:], competing[1:], rtol=1e-13)  # a single exit: the same


def test_the_generator_method_equals_many_small_competing_risk_steps():
    rng = np.random.default_rng(5)
    hazards = {("healthy", "sick"): rng.uniform(0.5, 2, (3, 1)), ("healthy", "dead"): 0.1,
               ("sick", "healthy"): rng.uniform(0.5, 2, (3, 1)), ("sick", "dead"): 0.4}
    exact = Transitions(STATES, hazards=hazards, method="generator").matrices((3, 1))
    step = Transitions(STATES, hazards=hazards, cycle_length=1e-4).matrices((3, 1))
    np.testing.assert_allclose(np.linalg.matrix_power(step, 10_000), exact, atol=1e-4)


def test_the_generator_method_takes_hazards_only():
    with pytest.raises(InputError, match="hazards only"):
        Transitions(STATES, probabilities={("sick", "dead"): 0.1}, method="generator")
    with pytest.raises(InputError, match="unknown transition method 'expm'"):
        Transitions(STATES, method="expm")


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(2, 9), st.floats(0.01, 200.0), st.integers(0, 2**32 - 1))
def test_the_exponential_equals_scipy_s_and_its_integral_van_loan_s(n, states, t, seed):
    from scipy.linalg import expm

    from hecon.model.transitions import exponential

    rng = np.random.default_rng(seed)
    Q = rng.exponential(0.3, (n, states, states))
    Q[:, np.arange(states), np.arange(states)] = 0.0
    Q[:, np.arange(states), np.arange(states)] = -Q.sum(-1) - rng.uniform(0, 0.1, (n, states))
    E, J = exponential(Q, t)
    augmented = np.zeros((n, 2 * states, 2 * states))  # [[Q, I], [0, 0]]: its exponential holds ∫ e^{Qs} ds
    augmented[:, :states, :states], augmented[:, :states, states:] = Q, np.eye(states)
    reference = expm(augmented * t)
    np.testing.assert_allclose(E, reference[:, :states, :states], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(J, reference[:, :states, states:], rtol=1e-10, atol=1e-12 * t)


def test_time_in_each_state_times_the_hazard_counts_the_moves():
    from hecon.model.transitions import exponential

    # one state left at rate 0.2 to two exits: expected time (1 − e^{−0.2·5})/0.2, moves by hazard
    Q = np.array([[-0.2, 0.15, 0.05], [0, 0, 0], [0, 0, 0]])
    E, J = exponential(Q, 5.0)
    time = (1 - np.exp(-1.0)) / 0.2
    assert J[0, 0] == pytest.approx(time, rel=1e-13)
    assert J[0, 0] * 0.15 == pytest.approx(E[0, 1], rel=1e-13)  # all who moved to 1 are still there

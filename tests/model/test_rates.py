"""Rates, probabilities, odds and relative effects: identities, closed forms, refusals."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hecon.errors import ModelError
from hecon.model.rates import (
    apply_hr,
    apply_or,
    apply_rr,
    competing_risks,
    convert_prob,
    odds,
    prob_from_odds,
    prob_to_rate,
    rate_to_prob,
)

FAST = settings(max_examples=60, deadline=None)
probabilities = st.floats(0.0, 0.999)
rates = st.floats(0.0, 20.0)
times = st.floats(0.01, 50.0)
ratios = st.floats(0.0, 10.0)


@FAST
@given(rates, times)
def test_rate_and_probability_are_inverse(rate, time):
    prob = rate_to_prob(rate, time)
    assert prob == pytest.approx(1 - math.exp(-rate * time), abs=1e-15)
    assume(rate * time < 10)  # beyond, 1 − p underflows the precision of the inversion
    assert prob_to_rate(prob, time) == pytest.approx(rate, rel=1e-9, abs=1e-12)


@FAST
@given(probabilities, times, times)
def test_convert_prob_is_a_constant_rate_change_of_period(prob, from_time, to_time):
    converted = convert_prob(prob, from_time, to_time)
    assert converted == pytest.approx(rate_to_prob(prob_to_rate(prob, from_time), to_time),
                                      rel=1e-9, abs=1e-15)
    assume(converted < 0.999)  # otherwise 1 − p has lost the digits needed to go back
    assert convert_prob(converted, to_time, from_time) == pytest.approx(prob, rel=1e-6, abs=1e-12)


def test_convert_prob_five_year_to_annual():
    annual = convert_prob(0.4, 5, 1)                    # 1 − 0.6^(1/5)
    assert annual == pytest.approx(1 - 0.6**0.2)
    assert (1 - annual) ** 5 == pytest.approx(0.6)
    assert convert_prob(1.0, 5, 1) == 1.0 and convert_prob(0.0, 5, 1) == 0.0


@FAST
@given(probabilities)
def test_odds_round_trip(prob):
    assert prob_from_odds(odds(prob)) == pytest.approx(prob, rel=1e-12, abs=1e-15)


def test_odds_closed_forms():
    assert odds(0.5) == 1 and odds(0.2) == pytest.approx(0.25)
    assert odds(1.0) == math.inf and prob_from_odds(math.inf) == 1.0
    assert prob_from_odds(3.0) == 0.75


@FAST
@given(arrays(float, 5, elements=probabilities))
def test_hazard_ratio_one_returns_p(prob):
    np.testing.assert_allclose(apply_hr(prob, 1.0), prob, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(apply_or(prob, 1.0), prob, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(apply_rr(prob, 1.0), prob)


@FAST
@given(probabilities, ratios, st.floats(0.1, 5))
def test_hazard_ratio_scales_the_rate(prob, hr, time):
    expected = rate_to_prob(hr * prob_to_rate(prob), time)
    assert apply_hr(prob, hr, time) == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert apply_hr(prob, hr) == pytest.approx(1 - (1 - prob) ** hr, rel=1e-9, abs=1e-15)


def test_hazard_and_odds_ratios_at_the_bounds():
    assert apply_hr(1.0, 0.5) == 1.0 and apply_hr(1.0, 0.0) == 0.0 and apply_hr(0.0, 3.0) == 0.0
    assert apply_or(1.0, 2.0) == 1.0 and apply_or(0.0, 2.0) == 0.0
    assert apply_or(0.2, 2.0) == pytest.approx(0.5 / 1.5)   # odds 0.25 → 0.5 → p = 1/3


def test_relative_risk_leaving_the_unit_interval_is_a_model_error():
    np.testing.assert_allclose(apply_rr([0.2, 0.4], 2.0), [0.4, 0.8])
    with pytest.raises(ModelError, match="outside") as caught:
        apply_rr(np.array([0.2, 0.7, 0.3, 0.8]), 1.5)
    assert caught.value.sets.tolist() == [1, 3]


@FAST
@given(arrays(float, (4, 3), elements=rates), st.floats(0.1, 5))
def test_competing_risks_sum_with_stay_to_one(hazards, time):
    exits = competing_risks(hazards, time)
    total = hazards.sum(axis=-1)
    assert exits.shape == hazards.shape and np.all(exits >= 0)
    np.testing.assert_allclose(exits.sum(axis=-1), -np.expm1(-total * time), rtol=1e-12, atol=1e-15)
    stay = 1 - exits.sum(axis=-1)
    np.testing.assert_allclose(stay, np.exp(-total * time), rtol=1e-9, atol=1e-15)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total[:, None] > 0, hazards / total[:, None], 0)
    np.testing.assert_allclose(exits, share * (1 - np.exp(-total * time))[:, None], atol=1e-15)


def test_competing_risks_closed_form_and_zero_hazards():
    exits = competing_risks(np.array([[0.1, 0.3], [0.0, 0.0]]))
    np.testing.assert_allclose(exits[0], np.array([0.25, 0.75]) * (1 - np.exp(-0.4)))
    assert exits[1].tolist() == [0.0, 0.0]
    assert exits[0].sum() < rate_to_prob(0.1) + rate_to_prob(0.3)  # not converted one by one


def test_competing_risks_broadcasts_time_over_sets():
    hazards = np.array([[0.2, 0.1], [0.2, 0.1]])
    exits = competing_risks(hazards, np.array([1.0, 2.0]))
    np.testing.assert_allclose(exits.sum(axis=-1), 1 - np.exp(-0.3 * np.array([1.0, 2.0])))


@pytest.mark.parametrize("call, message", [
    (lambda: rate_to_prob(np.array([0.1, -0.2])), "negative or NaN rate"),
    (lambda: prob_to_rate(1.2), "probability outside"),
    (lambda: prob_to_rate(np.nan), "probability outside"),
    (lambda: prob_to_rate(0.2, 0.0), "time must be positive"),
    (lambda: odds(-0.1), "probability outside"),
    (lambda: prob_from_odds(-1.0), "negative or NaN odds"),
    (lambda: apply_hr(0.3, -1.0), "hazard ratio"),
    (lambda: apply_or(1.5, 1.0), "probability outside"),
    (lambda: apply_rr(0.5, -1.0), "relative risk"),
    (lambda: competing_risks(np.array([[0.1, -0.1]])), "negative or NaN hazard"),
    (lambda: convert_prob(0.3, 0.0, 1.0), "from_time"),
])
def test_invalid_arithmetic_is_a_model_error(call, message):
    with pytest.raises(ModelError, match=message):
        call()


def test_model_error_names_the_offending_sets():
    with pytest.raises(ModelError) as caught:
        rate_to_prob(np.array([[0.1, 0.2], [0.1, -1.0], [-3.0, 0.0]]))
    assert caught.value.sets.tolist() == [1, 2]
    assert "-1" in str(caught.value) and "2 value(s)" in str(caught.value)

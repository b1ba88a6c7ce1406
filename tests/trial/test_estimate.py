"""Estimates and their PSA distributions (hecon.trial.estimate)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.errors import InputError, ModelError
from hecon.model.distributions import Beta, Gamma, LogNormal, Normal
from hecon.trial.estimate import (
    cox_hazard_ratio,
    event_rates,
    positive,
    probability,
    proportion,
    ratio,
    sample_mean,
)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 500).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))))
def test_a_proportion_is_beta_of_events_and_non_events(counts):
    events, n = counts
    p = proportion(events, n)
    assert p.distribution == Beta(events, n - events)
    assert p.value == pytest.approx(events / n) and p.se == pytest.approx(np.sqrt(p.value * (1 - p.value) / n))
    assert p.ci_low < p.value < p.ci_high and p.n == n


def test_a_proportion_needs_an_event_and_a_non_event():
    with pytest.raises(InputError, match="at least one event"):
        proportion(0, 10)


def test_a_proportion_of_no_patient_is_a_model_error_not_a_division_by_zero():
    with pytest.raises(ModelError, match="restored / measured: no patient to estimate the proportion from"):
        proportion(0, 0, "restored / measured")


def test_mean_and_se_become_beta_gamma_normal_and_lognormal():
    b = probability(0.3, 0.05, 100, "survival curve")
    assert isinstance(b.distribution, Beta)
    assert b.distribution.mean() == pytest.approx(0.3) and b.distribution.scipy.std() == pytest.approx(0.05)
    g = positive(20.0, 2.0, 100, "restricted mean")
    assert isinstance(g.distribution, Gamma) and g.distribution.scipy.std() == pytest.approx(2.0)
    m = sample_mean([1.0, 2.0, 3.0, np.nan, 6.0])
    assert m.distribution == Normal(3.0, np.std([1, 2, 3, 6], ddof=1) / 2) and m.n == 4
    r = ratio(np.log(0.7), 0.1, 300, "Cox")
    assert isinstance(r.distribution, LogNormal)
    np.testing.assert_allclose(r.distribution.ppf([0.025, 0.975]), [r.ci_low, r.ci_high])
    assert r.ci_low == pytest.approx(0.7 * np.exp(-1.959964 * 0.1), rel=1e-6)


def test_poisson_rates_are_events_over_exposure():
    rng = np.random.default_rng(0)
    exposure = rng.uniform(5, 30, 2000)
    group = np.where(np.arange(2000) % 2, "treated", "control")
    counts = rng.poisson(exposure * np.where(group == "treated", 0.02, 0.03))
    fit = event_rates(counts, exposure, group, reference="control")
    assert fit.model == "Poisson" and fit.alpha == 0.0 and fit.overdispersion_p > 0.05
    for _, row in fit.rates.iterrows():
        members = group == row["group"]
        assert row["rate"] == pytest.approx(counts[members].sum() / exposure[members].sum(), rel=1e-6)
    rr = fit.ratios.iloc[0]
    d = fit.rates.set_index("group")["events"]
    assert rr["group"] == "treated" and rr["reference"] == "control"
    assert rr["log_se"] == pytest.approx(np.sqrt(1 / d["treated"] + 1 / d["control"]), rel=1e-4)
    assert rr["ci_low"] < 2 / 3 < rr["ci_high"]


def test_overdispersed_counts_choose_the_negative_binomial():
    rng = np.random.default_rng(1)
    exposure = np.full(1500, 20.0)
    group = np.where(np.arange(1500) % 2, "b", "a")
    frailty = rng.gamma(1 / 0.8, 0.8, 1500)  # Var = μ + 0.8 μ²
    counts = rng.poisson(exposure * 0.05 * frailty)
    fit = event_rates(counts, exposure, group)
    assert fit.model == "negative binomial" and fit.overdispersion_p < 1e-6
    assert fit.alpha == pytest.approx(0.8, rel=0.25)
    poisson_se = np.sqrt((1 / fit.rates["events"]).sum())  # each patient's variance μ(1 + αμ), μ = 1
    assert fit.ratios["log_se"].item() == pytest.approx(poisson_se * np.sqrt(1 + 0.8), rel=0.15)


def test_a_group_without_events_is_refused():
    with pytest.raises(ModelError, match="no events in group 'b'"):
        event_rates([1, 2, 0, 0], [1, 1, 1, 1], ["a", "a", "b", "b"])


def exponential_trial(n: int, hr: float, seed: int):
    rng = np.random.default_rng(seed)
    treated = rng.integers(0, 2, n)
    event_time = rng.exponential(1 / (0.05 * hr**treated))
    censor = rng.uniform(5, 40, n)
    return np.minimum(event_time, censor), (event_time <= censor).astype(int), treated


def test_cox_recovers_the_hazard_ratio():
    time, status, treated = exponential_trial(4000, 0.6, 2)
    hr = cox_hazard_ratio(time, status, treated)
    assert abs(np.log(hr.value) - np.log(0.6)) < 3 * hr.se / hr.value
    assert hr.ci_low < hr.value < hr.ci_high and hr.n == 4000
    assert f"{status.sum()} events" in hr.method


def test_splitting_follow_up_into_intervals_leaves_the_estimate_unchanged():
    time, status, treated = exponential_trial(600, 0.7, 3)
    whole = cox_hazard_ratio(time, status, treated)
    middle = np.round(time / 2, 6)
    keep = middle > 0
    stop = np.concatenate([middle[keep], time[keep]])
    start = np.concatenate([np.zeros(keep.sum()), middle[keep]])
    split = cox_hazard_ratio(stop, np.concatenate([np.zeros(keep.sum(), int), status[keep]]),
                             np.concatenate([treated[keep], treated[keep]]), entry=start, subjects=keep.sum())
    reference = cox_hazard_ratio(time[keep], status[keep], treated[keep])
    assert split.value == pytest.approx(reference.value, rel=1e-8)
    assert split.se == pytest.approx(reference.se, rel=1e-8)
    assert split.n == keep.sum() and whole.value == pytest.approx(reference.value, rel=0.05)


def test_strata_allow_different_baseline_hazards():
    rng = np.random.default_rng(4)
    n = 3000
    treated, stratum = rng.integers(0, 2, n), rng.integers(0, 2, n)
    event_time = rng.exponential(1 / (np.where(stratum, 0.2, 0.02) * 0.5**treated))
    censor = np.full(n, 30.0)
    hr = cox_hazard_ratio(np.minimum(event_time, censor), event_time <= censor, treated, strata=stratum)
    assert abs(np.log(hr.value) - np.log(0.5)) < 3 * hr.se / hr.value


def test_cox_refuses_degenerate_data():
    with pytest.raises(ModelError, match="no events"):
        cox_hazard_ratio([1, 2, 3], [0, 0, 0], [0, 1, 0])
    with pytest.raises(ModelError, match="does not vary"):
        cox_hazard_ratio([1, 2, 3], [1, 0, 1], [1, 1, 1])

"""Kaplan–Meier, Aalen–Johansen and parametric survival models (hecon.trial.survival)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hecon.errors import ModelError
from hecon.trial import (
    aalen_johansen,
    fit_parametric,
    fit_parametric_models,
    kaplan_meier,
    model_comparison,
)

# times on a coarse grid so that ties between events and censorings occur
samples = st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 15), min_size=n, max_size=n),
    st.lists(st.integers(0, 2), min_size=n, max_size=n)))


def test_kaplan_meier_by_hand():
    # t: 1 2 2+ 3 4+  →  S = 4/5, × 3/4, × 1/2 (two at risk at t = 3), then flat
    km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    assert km.time.tolist() == [1, 2, 3, 4] and km.at_risk.tolist() == [5, 4, 2, 1]
    np.testing.assert_allclose(km.survival, [0.8, 0.6, 0.3, 0.3])
    np.testing.assert_allclose(km.at([0.5, 1, 2.5, 99]), [1.0, 0.8, 0.6, 0.3])
    greenwood = 1 / (5 * 4) + 1 / (4 * 3) + 1 / (2 * 1)
    assert km.se_at(3.5) == pytest.approx(0.3 * np.sqrt(greenwood))
    lower, upper = km.confidence_interval()
    assert np.all((lower >= 0) & (lower <= km.survival) & (km.survival <= upper) & (upper <= 1))
    mean, se = km.restricted_mean(3.5)  # 1 + 0.8 + 0.6 + 0.3 × 0.5
    assert mean == pytest.approx(2.55)
    areas = np.array([1.55, 0.75, 0.15])  # ∫ S from each event time to 3.5
    assert se == pytest.approx(np.sqrt(np.sum(areas**2 * [1, 1, 1] / np.array([20, 12, 2]))))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=2, max_size=60), st.integers(1, 35))
def test_without_censoring_kaplan_meier_is_the_empirical_survival(times, tau):
    t = np.asarray(times, dtype=float)
    n = t.size
    km = kaplan_meier(t, np.ones(n))
    for x in (0.5, np.median(t), tau):
        s = np.mean(t > x)
        assert km.at(x) == pytest.approx(s, abs=1e-12)
        assert km.se_at(x) ** 2 == pytest.approx(s * (1 - s) / n, abs=1e-12)
    mean, se = km.restricted_mean(tau)
    capped = np.minimum(t, tau)
    assert mean == pytest.approx(capped.mean()) and se**2 == pytest.approx(capped.var() / n, abs=1e-12)


def test_aalen_johansen_by_hand():
    # causes 1, 2, 1, censored, 1 at t = 1 … 5
    aj = aalen_johansen([1, 2, 3, 4, 5], [1, 2, 1, 0, 1])
    assert aj.causes == (1, 2)
    np.testing.assert_allclose(aj.incidence[:, 0], [0.2, 0.2, 0.4, 0.4, 0.8])
    np.testing.assert_allclose(aj.incidence[:, 1], [0.0, 0.2, 0.2, 0.2, 0.2])
    np.testing.assert_allclose(aj.free, [0.8, 0.6, 0.4, 0.4, 0.0])
    assert aj.at(2.5, 1) == pytest.approx(0.2) and aj.at(0.5, 2) == 0
    # at t = 3, cause 1: first term (F(3) − F(t_j))² d_j/(n_j(n_j − d_j)) over t_j = 1, 2;
    # second S(t_{j−1})² d_1j (n_j − d_1j)/n_j³ over t_j = 1, 3; third over the same.
    first = 0.2**2 / 20 + 0.2**2 / 12
    second = 1 * 4 / 125 + 0.6**2 * 2 / 27
    third = 0.2 * 1 / 25
    assert aj.se_at(3, 1) ** 2 == pytest.approx(first + second - 2 * third)
    with pytest.raises(ModelError, match="no event of cause 3"):
        aj.at(1, 3)


@settings(max_examples=60, deadline=None)
@given(samples)
def test_incidences_and_the_event_free_curve_sum_to_one(sample):
    times, causes = (np.asarray(a) for a in sample)
    if not (causes > 0).any():
        return
    aj = aalen_johansen(times, causes)
    np.testing.assert_allclose(aj.incidence.sum(axis=1) + aj.free, 1.0, atol=1e-12)
    km = kaplan_meier(times, causes > 0)
    np.testing.assert_allclose(aj.free, km.survival, atol=1e-12)
    assert np.all(aj.variance >= 0) and np.all(np.diff(aj.incidence, axis=0) >= -1e-12)


@settings(max_examples=40, deadline=None)
@given(samples)
def test_one_cause_is_one_minus_kaplan_meier_with_greenwood_variance(sample):
    times, causes = np.asarray(sample[0]), np.asarray(sample[1]) > 0
    if not causes.any():
        return
    aj, km = aalen_johansen(times, causes.astype(int)), kaplan_meier(times, causes)
    np.testing.assert_allclose(aj.incidence[:, 0], 1 - km.survival, atol=1e-12)
    finite = np.isfinite(km.variance)
    np.testing.assert_allclose(aj.variance[finite, 0], km.variance[finite], atol=1e-12)


def test_without_censoring_the_incidence_is_a_binomial_proportion():
    rng = np.random.default_rng(0)
    t, cause = rng.exponential(10, 50).round(1), rng.integers(1, 3, 50)
    aj = aalen_johansen(t, cause)
    for x in (5, 10, 20):
        f = np.mean((t <= x) & (cause == 1))
        assert aj.at(x, 1) == pytest.approx(f) and aj.se_at(x, 1) ** 2 == pytest.approx(f * (1 - f) / 50)


def test_delta_method_variance_matches_the_monte_carlo_variance():
    rng = np.random.default_rng(42)
    replicates, n, t_eval = 1500, 150, 8.0
    estimates, variances = np.empty(replicates), np.empty(replicates)
    for r in range(replicates):  # competing hazards 0.05 and 0.08, censoring hazard 0.04
        event = rng.exponential(1 / 0.13, n)
        cause = np.where(rng.random(n) < 0.05 / 0.13, 1, 2)
        censor = rng.exponential(1 / 0.04, n)
        observed = np.minimum(event, censor)
        aj = aalen_johansen(observed, np.where(event <= censor, cause, 0))
        estimates[r], variances[r] = aj.at(t_eval, 1), aj.se_at(t_eval, 1) ** 2
    truth = 0.05 / 0.13 * (1 - np.exp(-0.13 * t_eval))
    assert estimates.mean() == pytest.approx(truth, abs=3 * estimates.std() / np.sqrt(replicates))
    assert variances.mean() == pytest.approx(estimates.var(), rel=0.1)


def test_parametric_fits_recover_their_parameters():
    rng = np.random.default_rng(3)
    t = stats.weibull_min(0.7, scale=60).rvs(20_000, random_state=rng)
    censor = np.minimum(rng.uniform(0, 300, t.size), 90)
    time, event = np.minimum(t, censor), t <= censor
    fits = {f.distribution: f for f in fit_parametric_models(time, event)}
    shape, scale = fits["weibull"].parameters
    assert shape == pytest.approx(0.7, rel=0.03) and scale == pytest.approx(60, rel=0.05)
    assert fits["exponential"].parameters[0] == pytest.approx(time.sum() / event.sum(), rel=1e-5)
    table = model_comparison(list(fits.values()))
    assert table.loc[table["delta_aic"] == 0, "distribution"].item() == "weibull"
    weibull = fits["weibull"]
    loglik = (stats.weibull_min.logpdf(time[event], shape, scale=scale).sum()
              + stats.weibull_min.logsf(time[~event], shape, scale=scale).sum())
    assert weibull.log_likelihood == pytest.approx(loglik)
    assert weibull.aic == pytest.approx(4 - 2 * loglik) and weibull.bic == pytest.approx(2 * np.log(t.size) - 2 * loglik)
    assert weibull.survival(60) == pytest.approx(np.exp(-((60 / scale) ** shape)))
    assert weibull.describe() == f"c={shape:.4g}, scale={scale:.4g}"


def test_parametric_fits_refuse_what_they_cannot_fit():
    with pytest.raises(ModelError, match="times > 0"):
        fit_parametric([0.0, 1.0], [1, 1], "weibull")
    with pytest.raises(ModelError, match="no events"):
        fit_parametric([1.0, 2.0], [0, 0], "weibull")
    with pytest.raises(ModelError, match="unknown distribution"):
        fit_parametric([1.0, 2.0], [1, 1], "gamma")


def test_bad_times_are_refused():
    with pytest.raises(ModelError, match="finite and ≥ 0"):
        kaplan_meier([-1, 2], [1, 1])
    with pytest.raises(ModelError, match="no subjects"):
        aalen_johansen([], [])

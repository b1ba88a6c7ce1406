"""Distributions and their fits: closed-form moments, quantiles, sampling, refusals."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hecon.errors import InputError
from hecon.model.distributions import (
    SAMPLERS,
    Beta,
    Dirichlet,
    DistributionError,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    TruncatedNormal,
    Uniform,
    beta_from_events,
    beta_from_mean_se,
    dirichlet_from_counts,
    gamma_from_mean_se,
    lognormal_from_ci,
    lognormal_from_mean_se,
    normal_from_ci,
    quantiles,
    unit_draws,
)

FAST = settings(max_examples=60, deadline=None)
means = st.floats(0.01, 0.99)
fractions = st.floats(0.01, 0.99)          # share of the largest possible beta SE
positives = st.floats(1e-3, 1e6)
relative_se = st.floats(0.01, 5.0)


# ---------------------------------------------------------------- fits round-trip mean and SE

@FAST
@given(means, fractions)
def test_beta_from_mean_se_round_trips(mean, fraction):
    se = fraction * math.sqrt(mean * (1 - mean))
    beta = beta_from_mean_se(mean, se)
    assert beta.mean() == pytest.approx(mean, rel=1e-9)
    assert beta.scipy.std() == pytest.approx(se, rel=1e-7)


@FAST
@given(positives, relative_se)
def test_gamma_from_mean_se_round_trips(mean, cv):
    gamma = gamma_from_mean_se(mean, cv * mean)
    assert gamma.mean() == pytest.approx(mean, rel=1e-9)
    assert gamma.scipy.std() == pytest.approx(cv * mean, rel=1e-9)
    assert gamma.shape == pytest.approx(1 / cv**2) and gamma.scale == pytest.approx(cv**2 * mean)


@FAST
@given(positives, relative_se)
def test_lognormal_from_mean_se_round_trips(mean, cv):
    lognormal = lognormal_from_mean_se(mean, cv * mean)
    assert lognormal.mean() == pytest.approx(mean, rel=1e-9)
    assert lognormal.scipy.std() == pytest.approx(cv * mean, rel=1e-7)


@FAST
@given(st.floats(0.05, 20), st.floats(1.01, 10), st.sampled_from([0.9, 0.95, 0.99]))
def test_lognormal_from_ci_returns_the_interval_as_quantiles(point, width, level):
    lower, upper = point / width, point * width          # symmetric on the log scale
    lognormal = lognormal_from_ci(point, lower, upper, level)
    tail = (1 - level) / 2
    np.testing.assert_allclose(lognormal.ppf([tail, 0.5, 1 - tail]), [lower, point, upper], rtol=1e-9)


def test_lognormal_from_published_hazard_ratio():
    hr = lognormal_from_ci(0.70, 0.50, 0.98)             # HR 0.70 (95 % CI 0.50–0.98)
    assert hr.meanlog == pytest.approx(math.log(0.70))
    assert hr.sdlog == pytest.approx((math.log(0.98) - math.log(0.50)) / (2 * 1.959964), rel=1e-6)
    np.testing.assert_allclose(hr.ppf([0.025, 0.975]), [0.50, 0.98], rtol=1e-9)


@FAST
@given(st.floats(-1e3, 1e3), st.floats(1e-3, 1e3))
def test_normal_from_ci_returns_the_interval_as_quantiles(mean, half_width):
    normal = normal_from_ci(mean, mean - half_width, mean + half_width)
    np.testing.assert_allclose(normal.ppf([0.025, 0.975]), [mean - half_width, mean + half_width],
                               rtol=1e-9, atol=1e-9)
    assert normal.mean() == pytest.approx(mean)


@FAST
@given(st.integers(1, 10_000), st.integers(1, 10_000))
def test_beta_from_events_is_events_and_non_events(events, non_events):
    beta = beta_from_events(events, events + non_events)
    assert (beta.alpha, beta.beta) == (events, non_events)
    assert beta.mean() == pytest.approx(events / (events + non_events))


def test_dirichlet_from_counts_keeps_the_counts():
    dirichlet = dirichlet_from_counts([70, 20, 10])
    assert dirichlet.alpha == (70.0, 20.0, 10.0)
    np.testing.assert_allclose(dirichlet.mean(), [0.7, 0.2, 0.1])


# ---------------------------------------------------------------- closed-form moments

@FAST
@given(st.floats(-100, 100), st.floats(0, 1), st.floats(0.1, 100))
def test_pert_and_triangular_means(lower, left, width):
    upper = lower + width
    mode = lower + width * left
    assert Pert(lower, mode, upper).mean() == pytest.approx((lower + 4 * mode + upper) / 6,
                                                           rel=1e-9, abs=1e-9)
    assert Triangular(lower, mode, upper).mean() == pytest.approx((lower + mode + upper) / 3,
                                                                 rel=1e-9, abs=1e-9)
    assert Pert(lower, mode, upper).support() == pytest.approx((lower, upper))


def test_pert_shape_parameters():
    pert = Pert(2, 3, 10)                                # α = 1 + 4·1/8, β = 1 + 4·7/8
    a, b = pert.scipy.args
    assert (a, b) == pytest.approx((1.5, 4.5))


def test_closed_form_means_and_supports():
    assert Beta(12, 30).mean() == pytest.approx(12 / 42)
    assert Gamma(4, 2.5).mean() == pytest.approx(10) and Gamma(4, 2.5).scipy.var() == pytest.approx(25)
    assert LogNormal(0.1, 0.4).mean() == pytest.approx(math.exp(0.1 + 0.08))
    assert Normal(3, 2).mean() == 3 and Normal(3, 2).support() == (-math.inf, math.inf)
    assert TruncatedNormal(0.5, 0.3, 0, 1).mean() == pytest.approx(0.5)  # symmetric bounds
    assert TruncatedNormal(0.2, 0.3, 0, 1).mean() > 0.2                 # truncation shifts it
    assert TruncatedNormal(0.2, 0.3, 0, 1).support() == (0, 1)
    assert Uniform(2, 6).mean() == 4 and Uniform(2, 6).support() == (2, 6)
    assert Beta(1, 1).support() == (0, 1) and Gamma(1, 1).support() == (0, math.inf)


CONTINUOUS = [Beta(2, 5), Beta(0.3, 0.02), Gamma(3, 100), Gamma(0.05, 2), LogNormal(0.2, 0.3), LogNormal(-3, 1.5),
              Normal(1, 2), TruncatedNormal(0.2, 0.3, 0, 1), Uniform(1, 3), Triangular(0, 1, 4),
              Triangular(2, 2, 5), Pert(0, 1, 4), Pert(-3, 9, 10)]


@pytest.mark.parametrize("distribution", CONTINUOUS, ids=str)
def test_closed_form_moments_and_supports_equal_scipy(distribution):
    mean, variance = distribution.scipy.stats(moments="mv")
    assert distribution.mean() == pytest.approx(float(mean), rel=1e-10)
    assert distribution.variance() == pytest.approx(float(variance), rel=1e-9)
    assert distribution.support() == pytest.approx(tuple(map(float, distribution.scipy.support())))


def test_moments_stay_finite_where_a_naive_formula_overflows():
    with pytest.raises(DistributionError, match="use distribution fixed"):  # beyond its quantiles' reach
        Beta(1e308, 1e308)
    assert Beta(6e14, 2e14).ppf([0.025, 0.975]) == pytest.approx([0.75, 0.75], abs=1e-7)
    assert LogNormal(-600, 30).variance() == pytest.approx(math.exp(-1200 + 1800), rel=1e-9)  # exp(900) overflows
    assert gamma_from_mean_se(1e150, 1e149).mean() == pytest.approx(1e150)


def test_batched_quantiles_equal_each_distributions_ppf():
    distributions = [*CONTINUOUS, Fixed(3.5), Beta(7, 1), Gamma(2, 0.5)]
    q = [0.025, 0.5, 0.975]
    expected = np.array([d.ppf(q) for d in distributions])
    np.testing.assert_allclose(quantiles(distributions, q), expected, rtol=1e-12)
    assert quantiles([], q).shape == (0, 3)


locations, spreads, shapes, shares = st.floats(-1e6, 1e6), st.floats(1e-6, 1e6), st.floats(1e-3, 1e7), st.floats(0, 1)
#: every continuous family over a wide range of valid arguments (a truncated normal by μ, σ,
#: its standardised lower bound and the width of its window in σ)
VALID = st.one_of(
    st.builds(Beta, shapes, shapes),
    st.builds(Gamma, shapes, spreads),
    st.builds(LogNormal, st.floats(-50, 50), st.floats(1e-3, 10)),
    st.builds(Normal, locations, spreads),
    st.builds(lambda mu, sigma, a, width: TruncatedNormal(mu, sigma, mu + a * sigma, mu + (a + width) * sigma),
              locations, spreads, st.floats(-30, 30), st.floats(1e-3, 60)),
    st.builds(lambda lower, width: Uniform(lower, lower + width), locations, spreads),
    *(st.builds(lambda lower, share, width, kind=kind: kind(lower, lower + share * width, lower + width),
                locations, shares, spreads) for kind in (Triangular, Pert)),
)


@settings(max_examples=400, deadline=None)
@given(VALID, st.lists(st.floats(2**-53, 1 - 2**-53), min_size=1, max_size=8))
def test_quantiles_and_truncated_normal_moments_equal_scipy_stats(distribution, q):
    """scipy.special's quantile functions, located and scaled as scipy.stats does, give scipy.stats'
    numbers over the probabilities of unit draws (2⁻⁵³ to 1 − 2⁻⁵³), the ends and outside [0, 1]."""
    q = [0.0, 0.025, 0.975, 1.0, -0.5, 1.5, *q]
    np.testing.assert_allclose(distribution.ppf(q), distribution.scipy.ppf(q), rtol=1e-12)
    np.testing.assert_allclose(quantiles([distribution], q)[0], distribution.scipy.ppf(q), rtol=1e-12)
    if isinstance(distribution, TruncatedNormal):
        mean, variance = distribution.scipy.stats(moments="mv")
        assert distribution.mean() == pytest.approx(float(mean), rel=1e-12)
        assert distribution.variance() == pytest.approx(float(variance), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(VALID, st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=8))
def test_cdf_equals_scipy_stats_and_inverts_the_quantiles(distribution, x):
    """P(X ≤ x) as scipy.stats gives it (the lognormal's by its closed form, bit for bit, and
    F(F⁻¹(q)) = q)."""
    x = [0.0, 1.0, -1.0, *x]
    np.testing.assert_allclose(distribution.cdf(x), distribution.scipy.cdf(x), rtol=1e-12, atol=1e-300)
    if isinstance(distribution, LogNormal):
        np.testing.assert_array_equal(distribution.cdf(x), distribution.scipy.cdf(x))
        q = [0.025, 0.5, 0.975]
        np.testing.assert_allclose(distribution.cdf(distribution.ppf(q)), q, rtol=1e-9)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_intervals_are_read_with_scipy_stats_normal_quantile(level):
    z = float(stats.norm.ppf(0.5 + level / 2))
    assert normal_from_ci(0, -1, 1, level).sigma == 1 / z
    assert lognormal_from_ci(1, math.exp(-1), math.exp(1), level).sdlog == pytest.approx(1 / z, rel=1e-15)


@FAST
@given(st.sampled_from([Beta, Gamma, LogNormal, Normal, Uniform]), st.floats(allow_nan=False, width=64),
       st.floats(allow_nan=False, width=64))
def test_any_two_arguments_give_a_distribution_with_finite_moments_or_a_clear_refusal(kind, a, b):
    try:
        distribution = kind(a, b)
    except DistributionError as error:
        assert error.argument and "\n" not in str(error)
    else:
        assert math.isfinite(distribution.mean()) and math.isfinite(distribution.variance())
        assert np.all(np.isfinite(distribution.ppf([0.025, 0.975])))


@FAST
@given(st.floats(min_value=1e-300, max_value=1e308), st.floats(min_value=1e-300, max_value=1e308))
def test_fits_from_mean_and_se_never_crash(mean, se):
    for fit in (gamma_from_mean_se, lognormal_from_mean_se, beta_from_mean_se):
        try:
            distribution = fit(mean, se)
        except DistributionError:
            continue
        assert math.isfinite(distribution.mean()) and math.isfinite(distribution.variance())


def test_describe():
    assert Beta(12, 30).describe() == "Beta(12, 30)"
    assert Gamma(2.25, 444.4444444).describe() == "Gamma(2.25, 444.444)"
    assert Fixed(0.035).describe() == "Fixed(0.035)"
    assert Dirichlet((70, 20, 10)).describe() == "Dirichlet(70, 20, 10)"
    assert str(Uniform(0, 1)) == "Uniform(0, 1)"


def test_fixed_is_constant():
    fixed = Fixed(5.0)
    assert fixed.ppf(np.array([[0.1, 0.9]])).tolist() == [[5.0, 5.0]]
    assert fixed.sample(np.random.default_rng(0), 3).tolist() == [5.0, 5.0, 5.0]
    assert fixed.mean() == 5.0 and fixed.support() == (5.0, 5.0)


# ---------------------------------------------------------------- Dirichlet

def test_dirichlet_ppf_of_uniforms_has_dirichlet_moments():
    alpha = np.array([8.0, 3.0, 1.5, 0.5])
    total = alpha.sum()
    draws = Dirichlet(tuple(alpha)).ppf(np.random.default_rng(11).random((200_000, alpha.size)))
    np.testing.assert_allclose(draws.sum(axis=1), 1.0)
    np.testing.assert_allclose(draws.mean(axis=0), alpha / total, atol=2e-3)
    variance = alpha * (total - alpha) / (total**2 * (total + 1))
    np.testing.assert_allclose(draws.var(axis=0), variance, rtol=0.03)
    covariance = -alpha[0] * alpha[1] / (total**2 * (total + 1))
    assert np.cov(draws[:, 0], draws[:, 1])[0, 1] == pytest.approx(covariance, rel=0.05)


@pytest.mark.parametrize("method", SAMPLERS)
def test_dirichlet_marginal_is_beta(method):
    dirichlet = Dirichlet((8, 3, 1))
    assert dirichlet.marginal(1) == Beta(3, 9)
    draws = dirichlet.sample(np.random.default_rng(2), 100_000, method)[:, 1]
    assert stats.kstest(draws, dirichlet.marginal(1).scipy.cdf).pvalue > 1e-3


def test_dirichlet_ppf_checks_the_shape():
    with pytest.raises(ValueError, match=r"\[n, 3\]"):
        Dirichlet((1, 2, 3)).ppf(np.full((4, 2), 0.5))


# ---------------------------------------------------------------- sampling

SAMPLED = [*CONTINUOUS, Fixed(2.5), Dirichlet((8, 3, 1)), Dirichlet((0.05, 0.02, 0.01))]
#: the moment test needs n ≫ the excess kurtosis for the sample variance to be near normal:
#: LogNormal(-3, 1.5) (kurtosis ≈ 10⁴) is replaced by LogNormal(-3, 0.8) (≈ 31)
MOMENTS = [LogNormal(-3, 0.8) if d == LogNormal(-3, 1.5) else d for d in CONTINUOUS]
DRAWS = 100_000


def marginals(distribution):
    """The distribution, or a Dirichlet's Beta marginals, one column each."""
    if isinstance(distribution, Dirichlet):
        return [distribution.marginal(i) for i in range(distribution.k)]
    return [distribution]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(SAMPLED), st.sampled_from(SAMPLERS), st.integers(0, 2**32), st.integers(1, 300),
       st.integers(1, 300))
def test_both_samplers_are_reproducible_and_prefix_stable(distribution, method, seed, n, m):
    m = min(m, n)
    draws = distribution.sample(np.random.default_rng(seed), n, method)
    np.testing.assert_array_equal(draws, distribution.sample(np.random.default_rng(seed), n, method))
    np.testing.assert_array_equal(draws[:m], distribution.sample(np.random.default_rng(seed), m, method))


@pytest.mark.parametrize("distribution", SAMPLED, ids=str)
def test_inversion_is_the_quantile_function_of_unit_draws(distribution):
    shape = (1000, distribution.k) if isinstance(distribution, Dirichlet) else 1000
    np.testing.assert_array_equal(distribution.sample(np.random.default_rng(42), 1000, "inversion"),
                                  distribution.ppf(unit_draws(np.random.default_rng(42), shape)))


@pytest.mark.parametrize("distribution", SAMPLED, ids=str)
def test_what_the_generator_sampler_shares_with_inversion(distribution):
    """The truncated normal is inverted under both samplers; numpy's uniform and triangular
    methods invert one uniform draw too (53 bits against ``unit_draws``' 52-bit midpoints), so
    they agree to rounding; every other family's draws differ."""
    generated = distribution.sample(np.random.default_rng(42), 100)
    inverted = distribution.sample(np.random.default_rng(42), 100, "inversion")
    if isinstance(distribution, TruncatedNormal | Fixed):
        np.testing.assert_array_equal(generated, inverted)
    elif isinstance(distribution, Uniform | Triangular):
        np.testing.assert_allclose(generated, inverted, rtol=1e-14)
    else:
        assert not np.allclose(generated, inverted, rtol=1e-3)


@pytest.mark.parametrize("method", SAMPLERS)
@pytest.mark.parametrize("distribution", MOMENTS, ids=str)
def test_sample_mean_and_variance_are_within_three_standard_errors(distribution, method):
    """Over 10⁵ draws: |x̄ − μ| ≤ 3·√(σ²/n) and |s² − σ²| ≤ 3·√((μ₄ − σ⁴)/n), the standard
    error of the sample variance, with μ₄ = σ⁴(γ₂ + 3) from the closed-form excess kurtosis γ₂."""
    draws = distribution.sample(np.random.default_rng(20_240), DRAWS, method)
    mean, variance = distribution.mean(), distribution.variance()
    excess_kurtosis = float(distribution.scipy.stats(moments="k"))
    assert abs(draws.mean() - mean) <= 3 * math.sqrt(variance / DRAWS)
    assert abs(draws.var(ddof=1) - variance) <= 3 * variance * math.sqrt((excess_kurtosis + 2) / DRAWS)


@pytest.mark.parametrize("method", SAMPLERS)
@pytest.mark.parametrize("alpha", [(8, 3, 1), (70, 20, 10), (0.5, 0.2, 2.0, 0.05), (0.05, 0.02, 0.01)])
def test_dirichlet_rows_sum_to_one_and_members_have_their_beta_moments(alpha, method):
    """The last two alphas exercise numpy's two constructions: normalised gammas with some
    αᵢ < 0.1, and stick-breaking when every αᵢ < 0.1."""
    dirichlet = Dirichlet(alpha)
    draws = dirichlet.sample(np.random.default_rng(7), DRAWS, method)
    assert draws.shape == (DRAWS, len(alpha)) and not np.isnan(draws).any()
    np.testing.assert_allclose(draws.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dirichlet.mean(), np.asarray(alpha) / sum(alpha), rtol=1e-15)
    se = np.sqrt(dirichlet.variance() / DRAWS)
    assert np.all(np.abs(draws.mean(axis=0) - dirichlet.mean()) <= 3 * se)
    for i, marginal in enumerate(marginals(dirichlet)):
        if float(marginal.scipy.stats(moments="k")) < 200:  # see MOMENTS
            kurtosis = float(marginal.scipy.stats(moments="k"))
            bound = 3 * marginal.variance() * math.sqrt((kurtosis + 2) / DRAWS)
            assert abs(draws[:, i].var(ddof=1) - marginal.variance()) <= bound


@pytest.mark.parametrize("method", SAMPLERS)
@pytest.mark.parametrize("distribution", SAMPLED, ids=str)
def test_draws_respect_the_support(distribution, method):
    draws = distribution.sample(np.random.default_rng(3), DRAWS, method)
    lo, hi = distribution.support()
    assert np.all((draws >= lo) & (draws <= hi))
    # open at 0 (and at 1 for a beta); Beta(0.3, 0.02) puts 45 % of its mass within 2⁻⁵³ of 1,
    # and those draws round to 1.0 under either sampler
    if isinstance(distribution, Beta | Gamma | LogNormal) and distribution != Beta(0.3, 0.02):
        assert np.all(draws > lo) and (hi == math.inf or np.all(draws < hi))


def test_an_unknown_sampler_is_refused():
    with pytest.raises(DistributionError, match="unknown sampler 'sobol'") as caught:
        Beta(2, 5).sample(np.random.default_rng(0), 10, "sobol")
    assert caught.value.argument == "method" and "generator" in caught.value.fix


def test_unit_draws_are_in_the_open_interval():
    u = unit_draws(np.random.default_rng(0), (1000, 3))
    assert u.shape == (1000, 3) and np.all((u > 0) & (u < 1))
    assert np.all(np.isfinite(Normal(0, 1).ppf(u)))


# ---------------------------------------------------------------- impossible requests

IMPOSSIBLE = [
    (lambda: Beta(0, 1), "alpha"),
    (lambda: Beta(1, -2), "beta"),
    (lambda: Gamma(1, 0), "scale"),
    (lambda: LogNormal(0, -0.1), "sdlog"),
    (lambda: Normal(math.nan, 1), "mu"),
    (lambda: Normal(0, 0), "sigma"),
    (lambda: TruncatedNormal(0, 1, 2, 1), "upper"),
    (lambda: Uniform(3, 3), "upper"),
    (lambda: Triangular(0, 5, 4), "mode"),
    (lambda: Pert(0, -1, 4), "mode"),
    (lambda: Fixed(math.inf), "value"),
    (lambda: Dirichlet((1.0,)), "alpha"),
    (lambda: Dirichlet((1.0, 0.0)), "alpha"),
    (lambda: beta_from_mean_se(1.2, 0.1), "mean"),
    (lambda: beta_from_mean_se(0.0, 0.1), "mean"),
    (lambda: beta_from_mean_se(0.3, 0.0), "se"),
    (lambda: beta_from_mean_se(0.3, -0.1), "se"),
    (lambda: beta_from_mean_se(0.5, 0.5), "se"),            # se² ≥ m(1 − m)
    (lambda: beta_from_events(12, 10), "events"),
    (lambda: beta_from_events(-1, 10), "events"),
    (lambda: beta_from_events(0, 10), "events"),
    (lambda: gamma_from_mean_se(-10, 1), "mean"),
    (lambda: gamma_from_mean_se(10, 0), "se"),
    (lambda: lognormal_from_ci(0.7, 0.8, 1.2), "point"),    # CI not containing its point
    (lambda: lognormal_from_ci(0.7, 1.0, 0.5), "upper"),    # lower > upper
    (lambda: lognormal_from_ci(0.7, -0.1, 1.0), "lower"),   # non-positive ratio
    (lambda: lognormal_from_ci(0.7, 0.5, 1.0, level=95), "level"),
    (lambda: lognormal_from_mean_se(0, 1), "mean"),
    (lambda: normal_from_ci(5, 6, 8), "mean"),
    (lambda: normal_from_ci(5, 6, 4), "upper"),
    (lambda: dirichlet_from_counts([3, -1, 2]), "counts"),
    (lambda: dirichlet_from_counts([3, 0, 2]), "counts"),
    # moments or fitted parameters beyond the floating-point range
    (lambda: gamma_from_mean_se(1e300, 1e299), "moments"),   # variance kθ² = 1e598
    (lambda: gamma_from_mean_se(1e300, 1e-10), "se"),        # shape (m/s)² overflows
    (lambda: Gamma(1, 1e200), "moments"),
    (lambda: beta_from_mean_se(0.5, 1e200), "se"),           # se² overflows: too large
    (lambda: beta_from_mean_se(0.5, 1e-200), "se"),          # α, β overflow: too small
    (lambda: lognormal_from_ci(1, 1e-300, 1e300), "moments"),  # σ ≈ 352: mean exp(σ²/2)
    (lambda: lognormal_from_mean_se(1e-300, 1e300), "se"),
    (lambda: LogNormal(800, 0.1), "moments"),
    (lambda: Normal(0, 1e200), "moments"),
    (lambda: normal_from_ci(0, -1e308, 1e308), "sigma"),
    (lambda: Uniform(-1e308, 1e308), "moments"),
    (lambda: Triangular(-1e308, 0, 1e308), "moments"),
    (lambda: Pert(-1e308, 0, 1e308), "moments"),
    (lambda: Dirichlet((1e308, 1e308)), "alpha"),
]


@pytest.mark.parametrize("request_, argument", IMPOSSIBLE)
def test_impossible_requests_raise_input_error(request_, argument):
    with pytest.raises(InputError) as caught:
        request_()
    assert isinstance(caught.value, DistributionError)
    assert caught.value.argument == argument
    assert caught.value.file is None and str(caught.value)


def test_dirichlet_error_points_at_the_category():
    with pytest.raises(DistributionError) as caught:
        dirichlet_from_counts([4, 5, 0, 1])
    assert caught.value.index == 2


@FAST
@given(means, st.floats(1.001, 10.0))
def test_beta_se_at_or_above_the_limit_is_refused(mean, excess):
    with pytest.raises(DistributionError, match="too large"):
        beta_from_mean_se(mean, math.sqrt(mean * (1 - mean)) * excess)

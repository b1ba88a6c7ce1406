"""Regression metamodels for EVPPI (hecon.analysis.metamodel)."""

from __future__ import annotations

import numpy as np
import pytest

from hecon.analysis import metamodel


def test_penalty_is_the_integrated_squared_second_derivative():
    # f(x) = x² lies in the cubic spline space; ∫₀¹ f''(x)² dx = 4.
    x = np.random.default_rng(0).uniform(0.0, 1.0, 2000)
    x[:2] = 0.0, 1.0
    basis, penalty = metamodel.spline_basis(x)
    coef = np.linalg.lstsq(basis, x**2, rcond=None)[0]
    np.testing.assert_allclose(basis @ coef, x**2, atol=1e-10)
    assert coef @ penalty @ coef == pytest.approx(4.0, rel=1e-8)


def test_basis_is_a_partition_of_unity_with_quantile_knots():
    x = np.random.default_rng(1).lognormal(size=5000)
    basis, _ = metamodel.spline_basis(x, n_basis=12)
    assert basis.shape == (5000, 12)
    np.testing.assert_allclose(basis.sum(axis=1), 1.0)


def test_spline_recovers_a_smooth_function_and_keeps_the_mean():
    rng = np.random.default_rng(2)
    x = rng.uniform(-3, 3, 4000)
    truth = np.column_stack([np.sin(x), 0.5 * x**2])
    y = truth + rng.normal(0, 0.3, truth.shape)
    fit = metamodel.fit_spline(x, y, n_posterior=40, rng=rng)
    assert fit.fitted.shape == (4000, 2) and fit.posterior.shape == (40, 4000, 2)
    assert np.sqrt(np.mean((fit.fitted - truth) ** 2)) < 0.05
    np.testing.assert_allclose(fit.fitted.mean(axis=0), y.mean(axis=0), atol=1e-9)
    assert (fit.effective_df > 2).all() and (fit.effective_df < 20).all()
    # Posterior draws scatter around the fit by about the fit's standard error.
    spread = fit.posterior.std(axis=0).mean(axis=0)
    assert (spread > 0.003).all() and (spread < 0.05).all()


def test_spline_of_an_irrelevant_input_is_nearly_flat():
    rng = np.random.default_rng(3)
    x = rng.normal(size=3000)
    y = rng.normal(size=(3000, 1))
    fit = metamodel.fit_spline(x, y, rng=rng)
    assert fit.effective_df[0] < 4  # the linear null space plus little
    assert np.std(fit.fitted) < 0.1


def test_spline_copes_with_discrete_and_constant_inputs():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, 1000).astype(float)
    y = np.column_stack([x**2 + rng.normal(0, 0.1, 1000)])
    fit = metamodel.fit_spline(x, y, rng=rng)
    for value in range(3):
        assert fit.fitted[x == value, 0].mean() == pytest.approx(value**2, abs=0.05)
    flat = metamodel.fit_spline(np.ones(100), y[:100], n_posterior=5)
    np.testing.assert_allclose(flat.fitted, y[:100].mean())
    assert flat.posterior.shape == (5, 100, 1)


def test_gaussian_process_recovers_an_interaction():
    rng = np.random.default_rng(5)
    inputs = rng.normal(size=(3000, 3))
    truth = np.sin(inputs[:, 0]) * inputs[:, 1]  # the third input is irrelevant
    y = truth[:, None] + rng.normal(0, 0.2, (3000, 1))
    fit = metamodel.fit_gaussian_process(inputs, y, n_posterior=20, rng=rng)
    assert fit.method == "gp"
    assert np.sqrt(np.mean((fit.fitted[:, 0] - truth) ** 2)) < 0.08
    assert fit.posterior.shape == (20, 3000, 1)


def test_gaussian_process_of_constant_inputs_or_response():
    y = np.arange(50.0)[:, None]
    fit = metamodel.fit_gaussian_process(np.ones((50, 2)), y, n_posterior=3)
    np.testing.assert_allclose(fit.fitted, y.mean())
    fit = metamodel.fit_gaussian_process(np.random.default_rng(0).normal(size=(50, 2)),
                                         np.full((50, 1), 7.0), n_posterior=3)
    np.testing.assert_allclose(fit.posterior, 7.0)


def test_kernel_is_the_squared_exponential_floored_at_e_minus_345():
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(500, 4)) / 0.05, rng.normal(size=(40, 4)) / 0.05  # the shortest length-scale
    exact = np.exp(-0.5 * ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    kernel = metamodel._squared_exponential(a, b)
    above = exact > np.exp(-345.0)
    assert 0 < above.mean() < 1  # both sides of the floor are exercised
    np.testing.assert_allclose(kernel[above], exact[above], rtol=1e-11)
    assert (kernel[~above] == np.exp(-345.0)).all()  # no subnormal number, whose arithmetic is slow
    out = np.empty_like(kernel)
    assert metamodel._squared_exponential(a, b, out=out) is out and np.array_equal(out, kernel)


def test_likelihood_and_its_gradient():
    rng = np.random.default_rng(7)
    inputs, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    theta = np.log([0.7, 1.5, 3.0, 0.2])

    def dense(theta):  # −log marginal likelihood with σ² profiled out, from the full matrices
        scaled = inputs / np.exp(theta[:-1])
        squared = ((scaled[:, None] - scaled[None]) ** 2).sum(axis=2)
        covariance = np.exp(-0.5 * squared) + np.exp(theta[-1]) * np.eye(60)
        sigma2 = y @ np.linalg.solve(covariance, y) / 60
        return 30 * np.log(sigma2) + 0.5 * np.linalg.slogdet(covariance)[1]

    pairs, work = metamodel._Pairs.of(inputs), np.empty((60, 60))
    metamodel._negative_log_likelihood(theta + 0.5, pairs, y, work)  # leaves K⁻¹ in the work array
    value, gradient = metamodel._negative_log_likelihood(theta, pairs, y, work)
    assert value == pytest.approx(dense(theta), rel=1e-12)
    steps = 1e-6 * np.eye(4)
    numeric = [(dense(theta + step) - dense(theta - step)) / 2e-6 for step in steps]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6)


def test_effective_degrees_of_freedom_is_the_trace_of_the_hat_matrix():
    rng = np.random.default_rng(8)
    basis = rng.normal(size=(300, 12))
    gram, penalty = basis.T @ basis, np.diag(rng.uniform(0, 50, 12))
    expected = np.trace(np.linalg.solve(gram + penalty, gram))  # tr[(ΦᵀΦ + S)⁻¹ΦᵀΦ]
    inverse = np.tril(np.linalg.inv(gram + penalty))
    assert metamodel._trace_of_product(inverse, gram) == pytest.approx(expected, rel=1e-12)
    draws = np.empty((4, 300))
    effective_df = metamodel._penalised_fit(basis, gram, penalty, rng.normal(size=300), rng, draws)
    assert effective_df == pytest.approx(expected, rel=1e-8)  # with the fit's jitter of 1e-10


def test_each_response_s_draws_are_contiguous_and_scatter_around_the_fit():
    rng = np.random.default_rng(9)
    inputs = rng.normal(size=(2000, 2))
    y = np.column_stack([inputs[:, 0], np.sin(inputs[:, 1])]) + rng.normal(0, 0.1, (2000, 2))
    fit = metamodel.fit_gaussian_process(inputs, y, n_posterior=30, rng=rng)
    assert fit.posterior.shape == (30, 2000, 2) and fit.fitted.shape == (2000, 2)
    assert all(fit.posterior[..., r].flags.c_contiguous for r in range(2))
    spread = fit.posterior.std(axis=0).mean(axis=0)
    assert (spread > 1e-3).all() and (spread < 0.05).all()
    np.testing.assert_allclose(fit.posterior.mean(axis=0), fit.fitted, atol=0.05)

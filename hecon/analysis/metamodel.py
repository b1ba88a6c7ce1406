"""Metamodels: nonparametric regression of model outputs on input parameters, for EVPPI.

Both regressions here are penalised least-squares (equivalently, Bayesian linear) smoothers:
with a basis matrix Φ ``[n, p]`` and a penalty matrix S ``[p, p]``,

    β̂ = (ΦᵀΦ + S)⁻¹ Φᵀy,    ŷ = Φβ̂,    β | y ~ N(β̂, σ² (ΦᵀΦ + S)⁻¹),

with σ² = RSS / (n − edf) and edf = tr[(ΦᵀΦ + S)⁻¹ ΦᵀΦ] the effective degrees of freedom
(Wood, *Generalized Additive Models*, 2nd ed., 2017, §6.10). The posterior of β gives
draws of the fitted values, from which Strong, Oakley & Brennan (Med Decis Making
2014;34:311–326) estimate the standard error of an EVPPI.

- :func:`fit_spline` (one parameter): a cubic regression spline with knots at quantiles of
  the parameter, penalised by its integrated squared second derivative, the smoothing
  parameter chosen by generalised cross-validation (GCV).
- :func:`fit_gaussian_process` (a group of parameters): a Gaussian process with a
  squared-exponential kernel and one length-scale per parameter, hyper-parameters by maximum
  likelihood on a subsample (as Strong et al. 2014), fitted to all draws by the
  subset-of-regressors approximation with the subsample as inducing points
  (Quiñonero-Candela & Rasmussen, JMLR 2005;6:1939–1959).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import linalg  # scipy.optimize and .interpolate: imported where used (≈ 0.5 s)

SPLINE_BASIS_SIZE = 20
GP_INDUCING_POINTS = 200
GP_HYPER_SAMPLE = 150

_LOG10_SMOOTHING_GRID = np.linspace(-8.0, 8.0, 81)
_LOG_LENGTH_SCALE_BOUNDS = (np.log(0.05), np.log(100.0))
_LOG_NOISE_RATIO_BOUNDS = (np.log(1e-6), np.log(10.0))
_LOG_KERNEL_FLOOR = -345.0  # see _floored_exp


@dataclass(frozen=True)
class Metamodel:
    """Fitted values of a regression of several responses on the same inputs.

    Attributes
    ----------
    fitted:
        Fitted values ``[draws, responses]``.
    posterior:
        Draws of the fitted values from their posterior ``[samples, draws, responses]``.
    effective_df:
        Effective degrees of freedom of each response's fit ``[responses]``.
    method:
        ``"spline"`` or ``"gp"``.
    """

    fitted: np.ndarray
    posterior: np.ndarray
    effective_df: np.ndarray
    method: str


def fit_bytes(n: int, responses: int, n_posterior: int = 50) -> int:
    """Peak working memory (bytes) of a fit of ``responses`` responses on ``n`` draws, for a
    memory budget: the spline's GCV holds the fitted values and the residuals at each smoothing
    value (2 · 81 · n · responses doubles), the Gaussian process its n × m basis and smaller
    temporaries (2 · n · m), and either the posterior draws (n_posterior · n · responses; the
    fitted values, n · responses, fit in the former shares)."""
    spline = 2 * _LOG10_SMOOTHING_GRID.size * responses
    gaussian_process = 2 * GP_INDUCING_POINTS
    return 8 * n * (max(spline, gaussian_process) + n_posterior * responses)


def _fit_each(responses: np.ndarray, n_posterior: int, method: str,
              fit: Callable[[int, np.ndarray, np.ndarray], float] | None) -> Metamodel:
    """Each response's fitted values and posterior draws, written into one array.

    ``fit(r, y, out)`` fits response r, ``y``: it writes the fitted values and then the
    ``n_posterior`` draws into ``out`` ``[1 + n_posterior, n]`` and returns the fit's effective
    degrees of freedom. A constant response, or every response when ``fit`` is None (inputs
    that carry no information), is fitted by its mean (1 degree of freedom). The Metamodel's
    arrays are views of that array, each response's values contiguous.
    """
    draws = np.empty((responses.shape[1], 1 + n_posterior, responses.shape[0]))
    effective_df = np.ones(responses.shape[1])
    for r, y in enumerate(responses.T):
        if fit is None or np.ptp(y) == 0:
            draws[r] = y.mean()
        else:
            effective_df[r] = fit(r, y, draws[r])
    return Metamodel(fitted=draws[:, 0].T, posterior=np.moveaxis(draws[:, 1:], 0, -1),
                     effective_df=effective_df, method=method)


def _trace_of_product(lower: np.ndarray, symmetric: np.ndarray) -> float:
    """``tr(AB)`` of symmetric A and B, from A's lower triangle: ``Σ_ij A_ij B_ij``, the pairs
    i > j counted twice."""
    return float(2.0 * np.vdot(lower, symmetric) - np.diag(lower) @ np.diag(symmetric))


def _penalised_fit(basis: np.ndarray, gram: np.ndarray, penalty: np.ndarray, y: np.ndarray,
                   rng: np.random.Generator, out: np.ndarray) -> float:
    """Penalised least squares ``min ‖y − Φβ‖² + βᵀSβ``: writes the fitted values Φβ̂ and
    then posterior draws of Φβ into ``out`` ``[1 + samples, n]``; returns the effective df.

    The fitted values and the draws' deviations from them come from one pass over Φ, the
    product ``[β̂, L⁻ᵀZ]ᵀΦᵀ``.
    """
    system = gram + penalty
    system[np.diag_indices_from(system)] += 1e-10 * np.trace(system) / system.shape[0]
    lower = linalg.cholesky(system, lower=True)
    coef = linalg.cho_solve((lower, True), basis.T @ y)
    effective_df = _trace_of_product(np.tril(linalg.lapack.dpotri(lower, lower=True)[0]), gram)
    # If A = LLᵀ then L⁻ᵀz ~ N(0, A⁻¹) for z ~ N(0, I).
    noise = linalg.solve_triangular(lower.T, rng.standard_normal((coef.size, out.shape[0] - 1)))
    np.matmul(np.column_stack([coef, noise]).T, basis.T, out=out)
    fitted, posterior = out[0], out[1:]
    sigma2 = np.sum((y - fitted) ** 2) / max(y.size - effective_df, 1.0)
    posterior *= np.sqrt(sigma2)
    posterior += fitted
    return effective_df


# --------------------------------------------------------------------------- spline


def spline_basis(x: np.ndarray, n_basis: int = SPLINE_BASIS_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Cubic B-spline basis with interior knots at quantiles of ``x``, and its penalty.

    Returns ``(B, P)``: ``B[i, k] = B_k(x_i)`` ``[n, K]`` and ``P[j, k] = ∫ B_j''(t) B_k''(t) dt``
    over the range of ``x``. ``P`` is computed exactly by two-point Gauss–Legendre quadrature
    on each knot interval (B'' is linear there, so the integrand is quadratic).
    """
    from scipy.interpolate import BSpline

    low, high = float(x.min()), float(x.max())
    probabilities = np.linspace(0.0, 1.0, n_basis - 2)[1:-1]
    interior = np.unique(np.quantile(x, probabilities))
    interior = interior[(interior > low) & (interior < high)]
    knots = np.concatenate([[low] * 4, interior, [high] * 4])
    basis = BSpline.design_matrix(x, knots, 3).toarray()

    breaks = np.unique(knots)
    half, middle = np.diff(breaks) / 2, (breaks[:-1] + breaks[1:]) / 2
    nodes = np.concatenate([middle - half / np.sqrt(3), middle + half / np.sqrt(3)])
    weights = np.concatenate([half, half])
    curvature = BSpline(knots, np.eye(basis.shape[1]), 3).derivative(2)(nodes)
    penalty = curvature.T @ (weights[:, None] * curvature)
    return basis, penalty


def _gcv_smoothing(basis: np.ndarray, gram: np.ndarray, penalty: np.ndarray,
                   responses: np.ndarray) -> np.ndarray:
    """Smoothing parameter of each response minimising GCV = n·RSS / (n − edf)², chosen on a
    grid of 10^-8 … 10^8 (times the scale of ΦᵀΦ relative to P), in steps of 0.2 decade."""
    n = responses.shape[0]
    alphas = 10.0 ** _LOG10_SMOOTHING_GRID * np.trace(gram) / np.trace(penalty)
    systems = gram + alphas[:, None, None] * penalty
    projections = basis.T @ responses
    coefs = np.linalg.solve(systems, np.broadcast_to(projections, (alphas.size, *projections.shape)))
    rss = ((responses[None] - basis @ coefs) ** 2).sum(axis=1)  # [grid, responses]
    effective_df = np.trace(np.linalg.solve(systems, gram), axis1=1, axis2=2)
    gcv = n * rss / (n - effective_df[:, None]) ** 2
    return alphas[gcv.argmin(axis=0)]


def fit_spline(x, responses, *, n_basis: int = SPLINE_BASIS_SIZE, n_posterior: int = 50,
               rng: np.random.Generator | None = None) -> Metamodel:
    """Penalised cubic regression spline of each response on one parameter.

    Parameters
    ----------
    x:
        The parameter's draws ``[n]``.
    responses:
        Outputs to regress ``[n, responses]`` (each with its own smoothing parameter).
    n_basis:
        Number of B-spline basis functions (fewer when ``x`` has few distinct values). The
        penalty, not the basis size, sets the smoothness, so the basis only needs to be
        larger than the function's effective degrees of freedom (Wood 2017, §5.9): 20 is
        twice the default of mgcv, used by Strong et al. 2014.
    n_posterior:
        Number of posterior draws of the fitted values.
    rng:
        Random generator for the posterior draws.

    Notes
    -----
    Minimises ``‖y − Bβ‖² + α βᵀPβ`` (a cubic smoothing spline on a reduced knot set). The
    unpenalised null space holds the linear functions, so the mean of the fitted values
    equals the mean of the response.
    """
    x = np.asarray(x, dtype=float)
    responses = np.asarray(responses, dtype=float).reshape(x.size, -1)
    rng = rng if rng is not None else np.random.default_rng(0)
    if np.unique(x).size < 2:
        return _fit_each(responses, n_posterior, "spline", None)
    basis, penalty = spline_basis(x, n_basis)
    return _smoothed(basis, penalty, responses, n_posterior, rng, "spline")


def _smoothed(basis: np.ndarray, penalty: np.ndarray, responses: np.ndarray, n_posterior: int,
              rng: np.random.Generator, method: str) -> Metamodel:
    """Each response's penalised fit on ``basis``, its smoothing parameter chosen by GCV."""
    gram = basis.T @ basis
    alphas = _gcv_smoothing(basis, gram, penalty, responses)
    return _fit_each(responses, n_posterior, method, lambda r, y, out: _penalised_fit(
        basis, gram, alphas[r] * penalty, y, rng, out))


# --------------------------------------------------------------------------- Gaussian process


def _squared_exponential(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Kernel matrix ``exp(−½‖a_i − b_j‖²)`` of inputs already divided by their length-scales
    (floored: :func:`_floored_exp`), written to ``out`` if given.

    The exponent ``a_i·b_j − ½‖a_i‖² − ½‖b_j‖²`` is one matrix product of the inputs augmented
    by a column of −½‖·‖² and one of 1s, so no pass over the ``[n, m]`` result is needed but the
    floor and the exponential. Its rounding error, about ε(‖a_i‖² + ‖b_j‖²), is the kernel
    value's relative error: about 1e−10 at most for 12 standardised inputs within 5 SD of their
    mean at the shortest length-scale (0.05), far less at the usual ones.
    """
    left = np.column_stack([a, -0.5 * np.einsum("ij,ij->i", a, a), np.ones(a.shape[0])])
    right = np.column_stack([b, np.ones(b.shape[0]), -0.5 * np.einsum("ij,ij->i", b, b)])
    exponent = np.matmul(left, right.T, out=out)
    return _floored_exp(exponent, out=exponent)


def _floored_exp(exponent: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``exp(max(x, −345))`` elementwise, written to ``out``: a kernel value from its exponent
    x = −½ d², floored at e^−345 ≈ 1.5e−150.

    The floor keeps the product of two kernel values, as in ΦᵀΦ, a normal double (≥ 1e−300).
    Without it, short length-scales fill the basis with subnormal numbers, whose arithmetic is
    10–100 times slower on x86 (the EVPPI of the flagship's groups took 2.5–3 times longer);
    the change is 134 orders of magnitude below the precision of the kernel's largest values (1).
    """
    np.maximum(exponent, _LOG_KERNEL_FLOOR, out=out)
    return np.exp(out, out=out)


@dataclass(frozen=True)
class _Pairs:
    """The pairs i > j of the m draws on which a GP's hyper-parameters are estimated."""

    rows: np.ndarray  # i
    columns: np.ndarray  # j
    flat: np.ndarray  # i·m + j: the pair's element of a flattened m × m matrix (its lower triangle)
    differences: np.ndarray  # (x_id − x_jd)², [d, pairs]

    @classmethod
    def of(cls, inputs: np.ndarray) -> _Pairs:
        rows, columns = np.tril_indices(inputs.shape[0], -1)
        return cls(rows, columns, rows * inputs.shape[0] + columns,
                   ((inputs[rows] - inputs[columns]) ** 2).T)


def _negative_log_likelihood(theta: np.ndarray, pairs: _Pairs, y: np.ndarray,
                             work: np.ndarray) -> tuple[float, np.ndarray]:
    """Profiled negative log marginal likelihood of a GP and its gradient.

    ``θ = (log ℓ_1 … log ℓ_d, log η)``, covariance ``σ²(C + ηI)`` with
    ``C_ij = exp(−½ Σ_d (x_id − x_jd)²/ℓ_d²)``; σ² is profiled out (σ̂² = yᵀK⁻¹y/m with
    K = C + ηI), leaving ``m/2·log σ̂² + ½ log|K|`` (Rasmussen & Williams 2006, §5.4.1). With
    α = K⁻¹y and W = K⁻¹ − ααᵀ/σ̂², the gradient is ``½ Σ_ij W_ij C_ij (x_id − x_jd)²/ℓ_d²``
    and ``½ η tr W``. K is symmetric and C's diagonal carries no ℓ, so only the pairs i > j
    are formed, in the lower triangle of ``work`` (an m × m array, overwritten): LAPACK factors
    and inverts it in place, seeing it (Fortran-ordered) as an upper triangle.
    """
    m = y.size
    inverse_squares, eta = np.exp(-2.0 * theta[:-1]), np.exp(theta[-1])
    correlation = (-0.5 * inverse_squares) @ pairs.differences  # −½ Σ_d (x_id − x_jd)²/ℓ_d²
    _floored_exp(correlation, out=correlation)
    flat = work.ravel()
    flat[pairs.flat] = correlation
    flat[:: m + 1] = 1.0 + eta
    upper, info = linalg.lapack.dpotrf(work.T, lower=False, clean=False, overwrite_a=True)
    if info:
        return np.inf, np.zeros_like(theta)
    alpha = linalg.lapack.dpotrs(upper, y, lower=False)[0]
    sigma2 = y @ alpha / m
    value = 0.5 * m * np.log(sigma2) + np.log(np.diag(upper)).sum()
    inverse = linalg.lapack.dpotri(upper, lower=False, overwrite_c=True)[0].T  # K⁻¹, lower triangle
    weight = (inverse.ravel().take(pairs.flat)
              - alpha.take(pairs.rows) * (alpha / sigma2).take(pairs.columns))
    gradient = np.empty_like(theta)
    gradient[:-1] = inverse_squares * (pairs.differences @ (weight * correlation))  # ½·2: i > j, j > i
    gradient[-1] = 0.5 * eta * (np.trace(inverse) - alpha @ alpha / sigma2)
    return float(value), gradient


def _gp_hyperparameters(pairs: _Pairs, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Length-scales and noise-to-signal ratio η maximising the marginal likelihood of ``y``
    (:func:`_negative_log_likelihood`)."""
    from scipy import optimize

    dimensions = pairs.differences.shape[0]
    start = np.append(np.zeros(dimensions), np.log(0.1))
    bounds = [_LOG_LENGTH_SCALE_BOUNDS] * dimensions + [_LOG_NOISE_RATIO_BOUNDS]
    work = np.empty((y.size, y.size))
    result = optimize.minimize(_negative_log_likelihood, start, args=(pairs, y, work),
                               jac=True, method="L-BFGS-B", bounds=bounds)
    return np.exp(result.x[:-1]), float(np.exp(result.x[-1]))


def fit_gaussian_process(inputs, responses, *, n_inducing: int = GP_INDUCING_POINTS,
                         n_hyper: int = GP_HYPER_SAMPLE, n_posterior: int = 50,
                         rng: np.random.Generator | None = None) -> Metamodel:
    """Gaussian-process regression of each response on a group of parameters.

    Parameters
    ----------
    inputs:
        The parameters' draws ``[n, d]``; each is standardised (a constant one is dropped).
    responses:
        Outputs to regress ``[n, responses]``, each with its own hyper-parameters.
    n_inducing:
        Number of draws, chosen at random, used as inducing points.
    n_hyper:
        Number of those draws on which the hyper-parameters are estimated.
    n_posterior:
        Number of posterior draws of the fitted values.
    rng:
        Random generator for the subsample and the posterior draws.

    Notes
    -----
    Prior ``f ~ GP(m, σ²k)`` with ``k(x, x') = exp(−½ Σ_d (x_d − x'_d)²/ℓ_d²)`` and noise
    variance ``ησ²``; the mean m is the response's mean. The ℓ_d and η maximise the
    marginal likelihood on ``n_hyper`` draws (L-BFGS-B with the analytic gradient). With
    inducing inputs Z, the subset-of-regressors fit is the penalised least squares with
    basis ``Φ = k(X, Z)`` and penalty ``η k(Z, Z)``, so all n draws inform the fit at a
    cost of O(n·m²).
    """
    inputs = np.asarray(inputs, dtype=float)
    inputs = inputs.reshape(inputs.shape[0], -1)
    responses = np.asarray(responses, dtype=float).reshape(inputs.shape[0], -1)
    rng = rng if rng is not None else np.random.default_rng(0)
    spread = inputs.std(axis=0)
    standard = (inputs[:, spread > 0] - inputs[:, spread > 0].mean(axis=0)) / spread[spread > 0]
    if standard.shape[1] == 0:
        return _fit_each(responses, n_posterior, "gp", None)
    inducing = rng.choice(standard.shape[0], size=min(n_inducing, standard.shape[0]),
                          replace=False)
    hyper = inducing[:n_hyper]
    pairs = _Pairs.of(standard[hyper])
    basis = np.empty((standard.shape[0], inducing.size))  # each response's in turn

    def fit(_: int, y: np.ndarray, out: np.ndarray) -> float:
        centre = y.mean()
        length_scales, eta = _gp_hyperparameters(pairs, (y[hyper] - centre) / y.std())
        scaled = standard / length_scales
        _squared_exponential(scaled, scaled[inducing], out=basis)
        penalty = eta * _squared_exponential(scaled[inducing], scaled[inducing])
        effective_df = _penalised_fit(basis, basis.T @ basis, penalty, y - centre, rng, out)
        out += centre
        return effective_df

    return _fit_each(responses, n_posterior, "gp", fit)


# --------------------------------------------------------------------------- additive spline


def fit_additive_spline(inputs, responses, *, n_basis: int = SPLINE_BASIS_SIZE, n_posterior: int = 50,
                        rng: np.random.Generator | None = None) -> Metamodel:
    """Additive penalised spline ``y = Σ_d f_d(x_d)`` of each response on several inputs (the
    GAM ``s(x1) + … + s(xD)`` of Strong et al. 2015's EVSI, fitted here by penalised least squares).

    Each input gets the cubic B-spline basis and curvature penalty of :func:`spline_basis`, the
    penalty scaled to unit trace so that one smoothing parameter, chosen by GCV, fits them all.
    Inputs with one value are dropped. The B-spline blocks each sum to one, so each is
    constrained to sum to zero over the draws (:func:`_centred`) and one unpenalised intercept
    is added: without it the basis is collinear and ΦᵀΦ + αS singular.
    """
    inputs = np.asarray(inputs, dtype=float)
    inputs = inputs.reshape(inputs.shape[0], -1)
    responses = np.asarray(responses, dtype=float).reshape(inputs.shape[0], -1)
    rng = rng if rng is not None else np.random.default_rng(0)
    varying = [x for x in inputs.T if np.unique(x).size > 1]
    if not varying:
        return _fit_each(responses, n_posterior, "additive", None)
    blocks = [_centred(*spline_basis(x, n_basis)) for x in varying]
    basis = np.hstack([np.ones((inputs.shape[0], 1)), *(b for b, _ in blocks)])
    penalty = linalg.block_diag(np.zeros((1, 1)), *(p / np.trace(p) for _, p in blocks))
    return _smoothed(basis, penalty, responses, n_posterior, rng, "additive")


def _centred(basis: np.ndarray, penalty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A smooth constrained to sum to zero over the draws (Wood 2017, §5.4.1): with Z the null
    space of the basis's column means (from their QR decomposition), the basis Φ·Z and the
    penalty Zᵀ·S·Z, one column fewer."""
    q, _ = np.linalg.qr(basis.mean(axis=0)[:, None], mode="complete")
    null = q[:, 1:]
    return basis @ null, null.T @ penalty @ null

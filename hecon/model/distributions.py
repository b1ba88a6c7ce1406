"""Probability distributions for parameter uncertainty, and how to fit them to published evidence.

Every distribution is a small frozen dataclass with the same methods: ``mean()`` and
``variance()`` (closed forms), ``ppf(q)`` (the quantile function, vectorised),
``sample(rng, size, method)``, ``support()`` and ``describe()``. Continuous distributions compute
their quantiles as the equivalent ``scipy.stats`` family does, with the same ``scipy.special``
functions (``betaincinv``, ``gammaincinv``, ``ndtri``, ``ndtri_exp``): the same numbers, without
importing ``scipy.stats`` (≈ 0.7 s), which only the frozen distribution of the ``scipy``
attribute needs; :func:`quantiles` computes those of many distributions at once. A
distribution whose mean or variance is not a finite float is refused when it is built.

Two samplers (:data:`SAMPLERS`) draw from the same distributions:

- ``"generator"`` (the default, :meth:`Distribution.generate`): numpy's ``Generator`` method
  of the family (``rng.beta``, ``rng.gamma``, ``rng.lognormal``, ``rng.normal``,
  ``rng.uniform``, ``rng.triangular``, ``rng.dirichlet``): per value, 2 (normal, lognormal)
  to 35 (gamma) times faster than the ``scipy`` quantile functions from 10,000 draws
  (``benchmarks/parameters.py``). The truncated normal, which numpy lacks, is drawn by
  inversion under both samplers; numpy's uniform and triangular methods invert one uniform
  draw themselves, so for those two the samplers agree to rounding.
- ``"inversion"`` (:meth:`Distribution.invert`): ``ppf(unit_draws(rng, size))``, the quantile
  function of uniform draws; the draws of hecon before the generator sampler existed. The same
  quantile functions map Latin hypercube designs and SALib's unit samples onto a parameter.

The two give different, equally valid, draws of the same distribution. Under both, every draw
is generated after the one before from the same stream, so the first ``m`` draws of
``sample(rng, n)`` equal ``sample(rng, m)`` for the same generator state.

Fitting helpers follow Briggs, Claxton & Sculpher (2006), *Decision Modelling for Health
Economic Evaluation*, Oxford University Press, chapter 4: beta for probabilities and
utilities, gamma for costs, lognormal for relative effects, Dirichlet for multinomial
transitions. Impossible requests raise :class:`DistributionError`, an
:class:`~hecon.errors.InputError` naming the offending argument.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache, cached_property
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike

from hecon.errors import InputError

__all__ = [
    "SAMPLERS",
    "Beta",
    "Dirichlet",
    "Distribution",
    "DistributionError",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "Pert",
    "TruncatedNormal",
    "Triangular",
    "Uniform",
    "beta_from_events",
    "beta_from_mean_se",
    "dirichlet_from_counts",
    "gamma_from_mean_se",
    "lognormal_from_ci",
    "lognormal_from_mean_se",
    "normal_from_ci",
    "quantiles",
    "require_sampler",
    "unit_draws",
]

_CELLS = 2**52
#: the ways to draw a sample: numpy's ``Generator`` methods, or quantile functions of uniforms
SAMPLERS = ("generator", "inversion")
#: the largest α + β of a Beta: beyond about 2⁵⁴ scipy's quantile function returns NaN (its
#: standard deviation is then below 1e-8 anyway)
BETA_LARGEST_CONCENTRATION = 1e15
#: the smallest α or β of a Beta: scipy's quantile function overflows on subnormal arguments
BETA_SMALLEST_ARGUMENT = 1e-300


class DistributionError(InputError):
    """An impossible distribution or fitting request.

    ``argument`` names the offending argument (``"se"``, ``"lower"``, ``"alpha"`` …) and,
    for a vector argument such as a Dirichlet's ``alpha``, ``index`` its position, so that
    the parameter loader can point at the matching cell of its table.
    """

    def __init__(self, message: str, *, argument: str, index: int | None = None,
                 fix: str | None = None) -> None:
        self.argument = argument
        self.index = index
        super().__init__(message, fix=fix)


def _require(condition: bool, argument: str, message: str, fix: str | None = None) -> None:
    if not condition:
        raise DistributionError(message, argument=argument, fix=fix)


def _require_finite(**arguments: float) -> None:
    for argument, number in arguments.items():
        real = type(number) is float or isinstance(number, numbers.Real)  # float first: the common, fast case
        _require(real and math.isfinite(number), argument, f"{argument} must be a finite number, got {number!r}")


def _require_positive(**arguments: float) -> None:
    _require_finite(**arguments)
    for argument, number in arguments.items():
        _require(number > 0, argument, f"{argument} must be positive, got {number:g}")


def _require_interval(lower: float, upper: float) -> None:
    _require_finite(lower=lower, upper=upper)
    _require(lower < upper, "upper", f"lower ({lower:g}) must be below upper ({upper:g})")


def _require_mode(lower: float, mode: float, upper: float) -> None:
    _require_interval(lower, upper)
    _require_finite(mode=mode)
    _require(lower <= mode <= upper, "mode",
             f"mode {mode:g} must lie between lower ({lower:g}) and upper ({upper:g})")


def _z(level: float) -> float:
    """Two-sided standard normal critical value: Φ⁻¹(1 − (1 − level)/2)."""
    _require(isinstance(level, numbers.Real) and 0 < level < 1, "level",
             f"confidence level must lie strictly between 0 and 1, got {level!r}")
    return _critical_value(float(level))


@cache
def _critical_value(level: float) -> float:
    return float(_special().ndtri(0.5 + level / 2))


def _special():
    """``scipy.special``, imported on first use: ≈ 0.15 s that a command loading no
    distribution (``hecon --help``) need not pay."""
    from scipy import special

    return special


def require_sampler(method: str) -> None:
    """Refuse a sampler that is not one of :data:`SAMPLERS`."""
    _require(method in SAMPLERS, "method", f"unknown sampler {method!r}",
             fix=f"use one of {', '.join(SAMPLERS)}")


def unit_draws(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Uniform draws on the open interval (0, 1), reproducible from ``rng``.

    Each draw is the midpoint of one of 2⁵² equal cells, ``(k + ½) / 2⁵²`` with ``k`` a
    uniform integer, so that no draw is exactly 0 or 1 (where the quantile function of an
    unbounded distribution is infinite). Draws are generated in C order, one after another:
    the first ``m`` of ``unit_draws(rng, n)`` equal ``unit_draws(rng, m)``.
    """
    return (rng.integers(0, _CELLS, size=size) + 0.5) / _CELLS


class Distribution(ABC):
    """A univariate distribution of one parameter.

    ``kind`` is the name used in the ``distribution`` column of a parameter table.
    """

    kind: ClassVar[str]

    @abstractmethod
    def mean(self) -> float:
        """Expected value."""

    @abstractmethod
    def variance(self) -> float:
        """Variance (closed form)."""

    @abstractmethod
    def ppf(self, q: ArrayLike) -> np.ndarray:
        """Quantile function (inverse CDF), applied elementwise to probabilities ``q``."""

    @abstractmethod
    def support(self) -> tuple[float, float]:
        """Smallest and largest possible values (possibly infinite)."""

    @abstractmethod
    def describe(self) -> str:
        """Short readable form, e.g. ``"Beta(12, 30)"``."""

    def sample(self, rng: np.random.Generator, size: int, method: str = "generator") -> np.ndarray:
        """``size`` independent draws with the sampler ``method`` (see :data:`SAMPLERS`)."""
        require_sampler(method)
        return self.generate(rng, size) if method == "generator" else self.invert(rng, size)

    @abstractmethod
    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws with numpy's ``Generator`` method of the family."""

    def invert(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws by inversion: ``ppf(unit_draws(rng, size))``."""
        return self.ppf(unit_draws(rng, size))

    def __str__(self) -> str:
        return self.describe()


def quantiles(distributions: Sequence[Distribution], q: ArrayLike) -> np.ndarray:
    """Every distribution's quantiles at ``q``, shaped ``[len(distributions), len(q)]``.

    The same numbers as ``[d.ppf(q) for d in distributions]``, computed with one vectorised
    call per family rather than one call per distribution (a parameter table of 100,000 rows
    asks for 100,000 default one-way ranges).
    """
    q = np.atleast_1d(np.asarray(q, dtype=float))
    out = np.empty((len(distributions), q.size))
    families: dict[type, list[int]] = {}
    for i, distribution in enumerate(distributions):
        families.setdefault(type(distribution), []).append(i)
    for kind, rows in families.items():
        members = [distributions[i] for i in rows]
        if issubclass(kind, _ScipyDistribution):
            arguments = np.array([d.scipy_arguments() for d in members], dtype=float)
            out[rows] = kind.located_ppf(q, *arguments.T[:, :, None])
        else:
            out[rows] = [d.ppf(q) for d in members]
    return out


def _exp(x: float) -> float:
    """exp(x), infinite instead of an OverflowError beyond the floating-point range."""
    return math.exp(x) if x < 709.78 else math.inf


#: ln √(2π), the log of the standard normal density's normalising constant
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _log_gauss_mass(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """ln Z = ln(Φ(b) − Φ(a)), the standard normal mass of [a, b], accurate in either tail:
    for b ≤ 0 as ln(Φ(b) − Φ(a)) from ``log_ndtr`` of both, for a > 0 the same on the mirror
    image [−b, −a], across 0 as ln(1 − Φ(a) − Φ(−b)) (the construction and arithmetic of
    ``scipy.stats.truncnorm``, hence its numbers)."""
    special = _special()
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    out = np.empty(a.shape)
    across = (a <= 0) & (b > 0)
    out[across] = special.log1p(-special.ndtr(a[across]) - special.ndtr(-b[across]))
    a, b = a[~across], b[~across]
    mirrored = a > 0
    out[~across] = _log_diff(special.log_ndtr(np.where(mirrored, -a, b)), special.log_ndtr(np.where(mirrored, -b, a)))
    return out


def _log_sum(log_p: ArrayLike, log_q: ArrayLike) -> np.ndarray:
    """ln(eᵖ + e^q), elementwise, by ``logsumexp`` (as ``scipy.stats.truncnorm``)."""
    return _special().logsumexp([log_p, log_q], axis=0)


def _log_diff(log_p: ArrayLike, log_q: ArrayLike) -> np.ndarray:
    """ln(eᵖ − e^q) for p ≥ q: the real part of ln(eᵖ + e^(q + iπ)) (as ``scipy.stats.truncnorm``)."""
    return np.real(_log_sum(log_p, np.asarray(log_q) + np.pi * 1j))


class _ScipyDistribution(Distribution):
    """A distribution of the ``scipy.stats`` family named ``family``, with the positional
    arguments :meth:`scipy_arguments` (shapes, then location and scale).

    Its quantile function is that of its standard form (location 0, scale 1),
    :meth:`standard_ppf`, located and scaled as ``scipy.stats`` does (:meth:`located_ppf`).
    After its own argument checks, every such distribution is refused when its mean or
    variance is not a finite number: a PSA summing its draws would sum infinities.
    """

    family: ClassVar[str]

    def __post_init__(self) -> None:
        self._check_arguments()
        mean, variance = self.mean(), self.variance()
        if not (math.isfinite(mean) and math.isfinite(variance)):
            raise DistributionError(f"{self.describe()} has a mean of {mean:g} and a variance of {variance:g}: "
                                    "beyond the floating-point range (about 1.8e308)", argument="moments",
                                    fix="check the magnitude of the value and of its arguments, and their unit")

    @abstractmethod
    def _check_arguments(self) -> None:
        """Raise a DistributionError naming the first impossible argument."""

    @abstractmethod
    def scipy_arguments(self) -> tuple[float, ...]:
        """The positional arguments of ``family``: its shape parameters, then loc and scale."""

    @staticmethod
    @abstractmethod
    def standard_ppf(q: np.ndarray, *shapes: np.ndarray) -> np.ndarray:
        """Quantile function of the standard form, for 0 < q < 1 (scipy's ``_ppf``)."""

    @staticmethod
    def standard_support(*shapes: np.ndarray) -> tuple[ArrayLike, ArrayLike]:
        """Ends of the standard form's support, its quantiles at 0 and 1."""
        return 0.0, 1.0

    @classmethod
    def located_ppf(cls, q: ArrayLike, *arguments: ArrayLike) -> np.ndarray:
        """Quantiles at ``q`` of the family with ``arguments`` (shapes, loc, scale; broadcast
        against ``q``), as ``scipy.stats`` computes them: loc + scale·F⁻¹(q) with F⁻¹ the
        :meth:`standard_ppf` for 0 < q < 1, the ends of the support at q = 0 and q = 1, NaN
        for any other q."""
        q, *shapes, loc, scale = np.broadcast_arrays(np.asarray(q, dtype=float), *arguments)
        low, high = cls.standard_support(*shapes)
        out = np.where(q == 0, low * scale + loc, np.where(q == 1, high * scale + loc, np.nan))
        inside = (q > 0) & (q < 1)
        out[inside] = cls.standard_ppf(q[inside], *(s[inside] for s in shapes)) * scale[inside] + loc[inside]
        return out

    @cached_property
    def scipy(self):
        """The equivalent frozen ``scipy.stats`` distribution (shapes in ``args``, loc and scale
        in ``kwds``)."""
        from scipy import stats  # ≈ 0.7 s: only for this frozen distribution, not for quantiles

        *shapes, loc, scale = self.scipy_arguments()
        return getattr(stats, self.family)(*shapes, loc=loc, scale=scale)

    def ppf(self, q: ArrayLike) -> np.ndarray:
        return self.located_ppf(q, *self.scipy_arguments())

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """P(X ≤ x), elementwise (scipy.stats' cdf, or the family's closed form)."""
        return np.asarray(self.scipy.cdf(x), dtype=float)

    def describe(self) -> str:
        arguments = ", ".join(f"{getattr(self, f.name):.6g}" for f in fields(self))
        return f"{type(self).__name__}({arguments})"


@dataclass(frozen=True)
class Beta(_ScipyDistribution):
    """Beta(α, β) on (0, 1), mean m = α / (α + β), variance m(1 − m)/(α + β + 1):
    probabilities and utilities."""

    alpha: float
    beta: float
    kind: ClassVar[str] = "beta"
    family: ClassVar[str] = "beta"

    def _check_arguments(self) -> None:
        _require_positive(alpha=self.alpha, beta=self.beta)
        _require(min(self.alpha, self.beta) >= BETA_SMALLEST_ARGUMENT, "alpha" if self.alpha < self.beta else "beta",
                 f"Beta({self.alpha:g}, {self.beta:g}) has an argument below {BETA_SMALLEST_ARGUMENT:g}, "
                 "too small for its quantiles to be computed", fix="check the counts or the mean and SE")
        _require(self.alpha + self.beta <= BETA_LARGEST_CONCENTRATION, "alpha",
                 f"Beta({self.alpha:g}, {self.beta:g}) is concentrated beyond what its quantiles can be "
                 f"computed for (α + β above {BETA_LARGEST_CONCENTRATION:g})",
                 fix="a probability known this precisely is a fixed value: use distribution fixed")

    def mean(self) -> float:
        return 1 / (1 + self.beta / self.alpha)  # α/(α + β), without overflowing α + β

    def variance(self) -> float:
        mean = self.mean()
        return mean * (1 - mean) / (self.alpha + self.beta + 1)

    def support(self) -> tuple[float, float]:
        return 0.0, 1.0

    def scipy_arguments(self) -> tuple[float, ...]:
        return self.alpha, self.beta, 0.0, 1.0

    @staticmethod
    def standard_ppf(q: np.ndarray, *shapes: np.ndarray) -> np.ndarray:
        """The inverse of the regularised incomplete beta function I_x(α, β)."""
        alpha, beta = shapes
        return _special().betaincinv(alpha, beta, q)

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.beta(self.alpha, self.beta, size)


@dataclass(frozen=True)
class Gamma(_ScipyDistribution):
    """Gamma with ``shape`` k and ``scale`` θ on (0, ∞), mean kθ, variance kθ²: costs, rates."""

    shape: float
    scale: float
    kind: ClassVar[str] = "gamma"
    family: ClassVar[str] = "gamma"

    def _check_arguments(self) -> None:
        _require_positive(shape=self.shape, scale=self.scale)

    def mean(self) -> float:
        return self.shape * self.scale

    def variance(self) -> float:
        return self.shape * self.scale * self.scale

    def support(self) -> tuple[float, float]:
        return 0.0, math.inf

    def scipy_arguments(self) -> tuple[float, ...]:
        return self.shape, 0.0, self.scale

    @staticmethod
    def standard_ppf(q: np.ndarray, *shapes: np.ndarray) -> np.ndarray:
        """The inverse of the regularised lower incomplete gamma function P(k, x)."""
        return _special().gammaincinv(shapes[0], q)

    @staticmethod
    def standard_support(*shapes: np.ndarray) -> tuple[ArrayLike, ArrayLike]:
        return 0.0, math.inf

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)


@dataclass(frozen=True)
class LogNormal(_ScipyDistribution):
    """exp(N(μ, σ²)) with μ = ``meanlog``, σ = ``sdlog``: ratios, costs.

    Mean exp(μ + σ²/2), variance (exp(σ²) − 1)·exp(2μ + σ²), computed on the log scale as
    exp(2μ + 2σ² + ln(1 − exp(−σ²))) so that it stays finite whenever it is.
    """

    meanlog: float
    sdlog: float
    kind: ClassVar[str] = "lognormal"
    family: ClassVar[str] = "lognorm"

    def _check_arguments(self) -> None:
        _require_finite(meanlog=self.meanlog)
        _require_positive(sdlog=self.sdlog)
        _require(_exp(self.meanlog) > 0, "meanlog", f"the median exp({self.meanlog:g}) is below the "
                 "smallest floating-point number", fix="check the value and its unit")

    def mean(self) -> float:
        return _exp(self.meanlog + self.sdlog * self.sdlog / 2)

    def variance(self) -> float:
        s2 = self.sdlog * self.sdlog
        return _exp(2 * self.meanlog + 2 * s2 + math.log(-math.expm1(-s2))) if s2 > 0 else 0.0

    def support(self) -> tuple[float, float]:
        return 0.0, math.inf

    def scipy_arguments(self) -> tuple[float, ...]:
        return self.sdlog, 0.0, _exp(self.meanlog)

    @staticmethod
    def standard_ppf(q: np.ndarray, *shapes: np.ndarray) -> np.ndarray:
        """exp(σ·Φ⁻¹(q)): the median is the scale, exp(μ)."""
        return np.exp(shapes[0] * _special().ndtri(q))

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """Φ(ln(x / e^μ)/σ) for x > 0, 0 otherwise (as scipy.stats computes it, bit for bit)."""
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.maximum(np.asarray(x, dtype=float), 0.0) / _exp(self.meanlog))
        return _special().ndtr(log_ratio / self.sdlog)

    @staticmethod
    def standard_support(*shapes: np.ndarray) -> tuple[ArrayLike, ArrayLike]:
        return 0.0, math.inf

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self.meanlog, self.sdlog, size)


@dataclass(frozen=True)
class Normal(_ScipyDistribution):
    """Normal N(μ, σ²): ``mu`` is the mean, ``sigma`` the standard deviation."""

    mu: float
    sigma: float
    kind: ClassVar[str] = "normal"
    family: ClassVar[str] = "norm"

    def _check_arguments(self) -> None:
        _require_finite(mu=self.mu)
        _require_positive(sigma=self.sigma)

    def mean(self) -> float:
        return float(self.mu)

    def variance(self) -> float:
        return self.sigma * self.sigma

    def support(self) -> tuple[float, float]:
        return -math.inf, math.inf

    def scipy_arguments(self) -> tuple[float, ...]:
        return self.mu, self.sigma

    @staticmethod
    def standard_ppf(q: np.ndarray, *shapes: np.ndarray) -> np.ndarray:
        """Φ⁻¹(q)."""
        return _special().ndtri(q)

    @staticmethod
    def standard_support(*shapes: np.ndarray) -> tuple[ArrayLike, ArrayLike]:
        return -math.inf, math.inf

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.normal(self.mu, self.sigma, size)


@dataclass(frozen=True)
class TruncatedNormal(_ScipyDistribution):
    """N(μ, σ²) restricted to [lower, upper]; μ and σ are those of the untruncated normal,
    so the mean of the truncated distribution differs from μ unless the bounds are symmetric."""

    mu: float
    sigma: float
    lower: float
    upper: float
    kind: ClassVar[str] = "truncnormal"
    family: ClassVar[str] = "truncnorm"

    def _check_arguments(self) -> None:
        _require_finite(mu=self.mu)
        _require_positive(sigma=self.sigma)
        _require_interval(self.lower, self.upper)

    def _standard_moments(self) -> tuple[float, float]:
        """Mean m = φ(a)/Z − φ(b)/Z and variance 1 + (a − m)·φ(a)/Z − (b − m)·φ(b)/Z of the
        standard normal truncated to [a, b], Z = Φ(b) − Φ(a) (Johnson, Kotz & Balakrishnan
        1994, *Continuous Univariate Distributions* 1, 2nd ed., Wiley, §13.10.1); the densities
        at the bounds are computed as exp(ln φ(x) − ln Z), as by ``scipy.stats.truncnorm``."""
        a, b = self.scipy_arguments()[:2]
        log_mass = _log_gauss_mass(a, b)
        at_a, at_b = np.exp(-np.array([a, b]) ** 2 / 2 - _LOG_SQRT_2PI - log_mass)
        mean = at_a - at_b
        return float(mean), float(1 + ((a - mean) * at_a - (b - mean) * at_b))  # scipy's order of sums

    def mean(self) -> float:
        return self._standard_moments()[0] * self.sigma + self.mu

    def variance(self) -> float:
        return self._standard_moments()[1] * self.sigma * self.sigma

    def support(self) -> tuple[float, float]:
        return float(self.lower), float(self.upper)

    def scipy_arguments(self) -> tuple[float, ...]:
        return (self.lower - self.mu) / self.sigma, (self.upper - self.mu) / self.sigma, self.mu, self.sigma

    @staticmethod
    def standard_ppf(q: np.ndarray, *shapes: np.ndarray) -> np.ndarray:
        """x = Φ⁻¹(Φ(a) + q·Z), Z = Φ(b) − Φ(a), on the log scale to keep the tails:
        ln Φ(x) = ln(Φ(a) + q·Z) by ``logsumexp`` and x by ``ndtri_exp``; when a ≥ 0 the same on
        the mirror image, −x = Φ⁻¹(Φ(−b) + (1 − q)·Z) (the construction of
        ``scipy.stats.truncnorm``)."""
        a, b = shapes
        special, mirrored = _special(), a >= 0
        share = np.where(mirrored, np.log1p(-q), np.log(q))
        x = special.ndtri_exp(_log_sum(special.log_ndtr(np.where(mirrored, -b, a)), share + _log_gauss_mass(a, b)))
        return np.where(mirrored, -x, x)

    @staticmethod
    def standard_support(*shapes: np.ndarray) -> tuple[ArrayLike, ArrayLike]:
        return shapes[0], shapes[1]

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """By inversion, as :meth:`invert`: numpy has no truncated normal, and rejecting the
        N(μ, σ²) draws outside [lower, upper] keeps only a share Φ(b) − Φ(a) of them (b, a the
        standardised bounds), arbitrarily small when the interval lies in a tail. Inversion is
        exact and costs the same at any bounds."""
        return self.invert(rng, size)


@dataclass(frozen=True)
class Uniform(_ScipyDistribution):
    """Uniform on [a, b] = [lower, upper], mean (a + b)/2, variance (b − a)²/12."""

    lower: float
    upper: float
    kind: ClassVar[str] = "uniform"
    family: ClassVar[str] = "uniform"

    def _check_arguments(self) -> None:
        _require_interval(self.lower, self.upper)

    def mean(self) -> float:
        return self.lower / 2 + self.upper / 2

    def variance(self) -> float:
        width = self.upper - self.lower
        return width * width / 12

    def support(self) -> tuple[float, float]:
        return float(self.lower), float(self.upper)

    def scipy_arguments(self) -> tuple[float, ...]:
        return self.lower, self.upper - self.lower

    @staticmethod
    def standard_ppf(q: np.ndarray, *shapes: np.ndarray) -> np.ndarray:
        """q itself on [0, 1]."""
        return q

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.lower, self.upper, size)


@dataclass(frozen=True)
class Triangular(_ScipyDistribution):
    """Triangular on [a, b] with its peak at the mode m: mean (a + m + b)/3, variance
    w²(1 − c + c²)/18 with w = b − a and c = (m − a)/w."""

    lower: float
    mode: float
    upper: float
    kind: ClassVar[str] = "triangular"
    family: ClassVar[str] = "triang"

    def _check_arguments(self) -> None:
        _require_mode(self.lower, self.mode, self.upper)

    def mean(self) -> float:
        return self.lower / 3 + self.mode / 3 + self.upper / 3

    def variance(self) -> float:
        width = self.upper - self.lower
        c = (self.mode - self.lower) / width
        return width * width * (1 - c + c * c) / 18

    def support(self) -> tuple[float, float]:
        return float(self.lower), float(self.upper)

    def scipy_arguments(self) -> tuple[float, ...]:
        width = self.upper - self.lower
        return (self.mode - self.lower) / width, self.lower, width

    @staticmethod
    def standard_ppf(q: np.ndarray, *shapes: np.ndarray) -> np.ndarray:
        """√(c·q) below the mode's share c = F(mode), 1 − √((1 − c)(1 − q)) above it."""
        c = shapes[0]
        return np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q)))

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.lower, self.mode, self.upper, size)


@dataclass(frozen=True)
class Pert(_ScipyDistribution):
    """Beta-PERT on [a, b] with mode m and λ = 4: a + (b − a)·Beta(α, β), mean (a + 4m + b)/6,
    variance (b − a)²·p(1 − p)/7 with p = (mean − a)/(b − a).

    α = 1 + 4(m − a)/(b − a), β = 1 + 4(b − m)/(b − a) (Vose 2008, *Risk Analysis*, 3rd ed.,
    Wiley, §9.1.4).
    """

    lower: float
    mode: float
    upper: float
    kind: ClassVar[str] = "pert"
    family: ClassVar[str] = "beta"
    standard_ppf = staticmethod(Beta.standard_ppf)

    def _check_arguments(self) -> None:
        _require_mode(self.lower, self.mode, self.upper)

    def mean(self) -> float:
        return self.lower / 6 + 4 * (self.mode / 6) + self.upper / 6

    def variance(self) -> float:
        width = self.upper - self.lower
        alpha, beta = self.scipy_arguments()[:2]
        share = alpha / (alpha + beta)
        return width * width * share * (1 - share) / (alpha + beta + 1)

    def support(self) -> tuple[float, float]:
        return float(self.lower), float(self.upper)

    def scipy_arguments(self) -> tuple[float, ...]:
        width = self.upper - self.lower
        alpha = 1 + 4 * (self.mode - self.lower) / width
        beta = 1 + 4 * (self.upper - self.mode) / width
        return alpha, beta, self.lower, width

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """a + (b − a)·Beta(α, β) with ``rng.beta``."""
        alpha, beta, lower, width = self.scipy_arguments()
        return lower + width * rng.beta(alpha, beta, size)


@dataclass(frozen=True)
class Fixed(Distribution):
    """A parameter without uncertainty: every quantile and every draw is ``value``."""

    value: float
    kind: ClassVar[str] = "fixed"

    def __post_init__(self) -> None:
        _require_finite(value=self.value)

    def mean(self) -> float:
        return float(self.value)

    def variance(self) -> float:
        return 0.0

    def ppf(self, q: ArrayLike) -> np.ndarray:
        return np.full(np.shape(q), float(self.value))

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``value`` repeated ``size`` times (``rng`` is not used)."""
        return np.full(size, float(self.value))

    def support(self) -> tuple[float, float]:
        return float(self.value), float(self.value)

    def describe(self) -> str:
        return f"Fixed({self.value:.6g})"


@dataclass(frozen=True)
class Dirichlet(Distribution):
    """Dirichlet(α₁, …, α_k) on the simplex: k probabilities that sum to one, mean
    mᵢ = αᵢ / α₀ with α₀ = Σα, variance mᵢ(1 − mᵢ)/(α₀ + 1).

    Its quantile "function" takes unit samples ``u`` shaped ``[n, k]``, maps column ``i``
    through the Gamma(αᵢ, 1) quantile function and divides each row by its sum. Normalised
    independent Gamma(αᵢ, 1) variables are Dirichlet(α) distributed (Devroye 1986,
    *Non-Uniform Random Variate Generation*, Springer, §XI.4; Briggs et al. 2006, §4.4), so
    Monte Carlo, Latin hypercube or SALib unit samples all drive a Dirichlet the same way.
    Each component's marginal is Beta(αᵢ, α₀ − αᵢ).
    """

    alpha: tuple[float, ...]
    kind: ClassVar[str] = "dirichlet"

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", tuple(self.alpha))
        _require(len(self.alpha) >= 2, "alpha",
                 f"a Dirichlet needs at least two categories, got {len(self.alpha)}")
        for index, count in enumerate(self.alpha):
            if not (isinstance(count, numbers.Real) and math.isfinite(count) and count > 0):
                raise DistributionError(
                    f"Dirichlet alpha[{index}] must be a positive finite number, got {count!r}",
                    argument="alpha", index=index)
        _require(math.isfinite(sum(self.alpha)), "alpha",
                 "the Dirichlet counts sum beyond the floating-point range (about 1.8e308)",
                 fix="check the magnitude of the counts")

    @property
    def k(self) -> int:
        """Number of categories."""
        return len(self.alpha)

    def mean(self) -> np.ndarray:
        alpha = np.asarray(self.alpha, dtype=float)
        return alpha / alpha.sum()

    def variance(self) -> np.ndarray:
        mean = self.mean()
        return mean * (1 - mean) / (sum(self.alpha) + 1)

    def ppf(self, q: ArrayLike) -> np.ndarray:
        """Map unit samples ``[n, k]`` to Dirichlet draws ``[n, k]`` (see the class docstring)."""
        q = np.asarray(q, dtype=float)
        if q.ndim != 2 or q.shape[1] != self.k:
            raise ValueError(f"Dirichlet.ppf expects unit samples shaped [n, {self.k}], got {q.shape}")
        gammas = Gamma.located_ppf(q, np.asarray(self.alpha), 0.0, 1.0)
        with np.errstate(invalid="ignore"):  # a row of zeros (u = 0 throughout) is undefined: NaN
            return gammas / gammas.sum(axis=1, keepdims=True)

    def generate(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws shaped ``[size, k]`` with ``rng.dirichlet``.

        numpy draws each row as independent ``standard_gamma(αᵢ)`` divided by their sum, the
        construction of :meth:`ppf`; when every αᵢ < 0.1, where all k gammas of a row may
        underflow to zero (0/0), it breaks the stick instead: pᵢ = Vᵢ·Π_{j<i}(1 − Vⱼ) with
        Vᵢ ~ Beta(αᵢ, αᵢ₊₁ + … + α_k), the last share taking what remains (Connor & Mosimann
        1969, *J Am Stat Assoc* 64:194). Both are exact; rows sum to one up to rounding.
        """
        return rng.dirichlet(self.alpha, size)

    def invert(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws shaped ``[size, k]``: ``ppf(unit_draws(rng, (size, k)))``."""
        return self.ppf(unit_draws(rng, (size, self.k)))

    def support(self) -> tuple[float, float]:
        return 0.0, 1.0

    def marginal(self, index: int) -> Beta:
        """The marginal distribution of component ``index``: Beta(αᵢ, Σα − αᵢ)."""
        return Beta(self.alpha[index], sum(self.alpha) - self.alpha[index])

    def describe(self) -> str:
        return f"Dirichlet({', '.join(f'{a:.6g}' for a in self.alpha)})"


# --- fitting helpers ---------------------------------------------------------------------------


def beta_from_mean_se(mean: float, se: float) -> Beta:
    """Beta with the given mean and standard error, by the method of moments.

    α = m·(m(1 − m)/s² − 1), β = (1 − m)·(m(1 − m)/s² − 1), which needs 0 < m < 1 and
    s² < m(1 − m) (Briggs, Claxton & Sculpher 2006, §4.3.1).
    """
    _require_finite(mean=mean)
    _require(0 < mean < 1, "mean", f"a beta mean must lie strictly between 0 and 1, got {mean:g}")
    _require_positive(se=se)
    spread = mean * (1 - mean)
    _require(se * se < spread, "se",
             f"standard error {se:g} is too large for a beta with mean {mean:g} "
             f"(it needs se² < mean·(1 − mean), i.e. se < {math.sqrt(spread):.4g})",
             fix="check the standard error, or use another distribution")
    common = spread / se / se - 1
    _require(math.isfinite(common), "se", f"standard error {se:g} is too small: α and β overflow",
             fix="check the standard error and its unit")
    return Beta(mean * common, (1 - mean) * common)


def beta_from_events(events: float, n: float) -> Beta:
    """Beta(events, n − events): the posterior of a proportion observed as events out of n
    under an improper Beta(0, 0) prior (Briggs, Claxton & Sculpher 2006, §4.3.1)."""
    _require_finite(events=events, n=n)
    _require(events >= 0, "events", f"the number of events must not be negative, got {events:g}")
    _require(events <= n, "events", f"events ({events:g}) exceed the number of patients n ({n:g})")
    _require(0 < events < n, "events",
             f"Beta(events, n − events) needs at least one event and one non-event, "
             f"got {events:g} of {n:g}",
             fix="add a prior, e.g. Beta(events + 1, n − events + 1)")
    return Beta(events, n - events)


def gamma_from_mean_se(mean: float, se: float) -> Gamma:
    """Gamma with the given mean and standard error: shape = m²/s², scale = s²/m
    (Briggs, Claxton & Sculpher 2006, §4.3.2)."""
    _require_positive(mean=mean, se=se)
    ratio = mean / se
    _require(math.isfinite(ratio * ratio) and ratio * ratio > 0, "se",
             f"mean {mean:g} and standard error {se:g} are too far apart: the shape (mean/se)² "
             "is beyond the floating-point range", fix="check the mean, the standard error and their unit")
    return Gamma(ratio * ratio, se / ratio)


def lognormal_from_ci(point: float, lower: float, upper: float, level: float = 0.95) -> LogNormal:
    """Lognormal of a ratio reported as a point estimate and a confidence interval.

    μ = ln(point), σ = (ln upper − ln lower) / (2z) with z = Φ⁻¹(1 − (1 − level)/2): the
    interval is taken as symmetric on the log scale, as for a relative risk, odds or
    hazard ratio estimated on that scale (Briggs, Claxton & Sculpher 2006, §4.3.3).
    """
    z = _z(level)
    _require_positive(point=point, lower=lower, upper=upper)
    _require(lower < upper, "upper", f"lower ({lower:g}) must be below upper ({upper:g})")
    _require(lower <= point <= upper, "point",
             f"the interval [{lower:g}, {upper:g}] does not contain its point estimate {point:g}")
    return LogNormal(math.log(point), (math.log(upper) - math.log(lower)) / (2 * z))


def lognormal_from_mean_se(mean: float, se: float) -> LogNormal:
    """Lognormal with the given mean and standard error, by moment matching:
    σ² = ln(1 + s²/m²), μ = ln m − σ²/2 (Briggs, Claxton & Sculpher 2006, §4.3.2)."""
    _require_positive(mean=mean, se=se)
    ratio = se / mean
    variance_log = math.log1p(ratio * ratio)
    _require(math.isfinite(variance_log) and variance_log > 0, "se",
             f"mean {mean:g} and standard error {se:g} are too far apart for a lognormal",
             fix="check the mean, the standard error and their unit")
    return LogNormal(math.log(mean) - variance_log / 2, math.sqrt(variance_log))


def normal_from_ci(mean: float, lower: float, upper: float, level: float = 0.95) -> Normal:
    """Normal with the given mean whose ``level`` interval has the given width:
    sd = (upper − lower) / (2z), z = Φ⁻¹(1 − (1 − level)/2)."""
    z = _z(level)
    _require_finite(mean=mean, lower=lower, upper=upper)
    _require(lower < upper, "upper", f"lower ({lower:g}) must be below upper ({upper:g})")
    _require(lower <= mean <= upper, "mean",
             f"the interval [{lower:g}, {upper:g}] does not contain its point estimate {mean:g}")
    return Normal(mean, (upper - lower) / (2 * z))


def dirichlet_from_counts(counts: ArrayLike) -> Dirichlet:
    """Dirichlet(n₁, …, n_k) from the observed counts of k outcomes: the posterior under an
    improper Dirichlet(0, …, 0) prior (Briggs, Claxton & Sculpher 2006, §4.4)."""
    values = np.asarray(counts, dtype=float).ravel()
    negative = np.flatnonzero(~(values >= 0))
    if negative.size:
        raise DistributionError(f"counts must not be negative, got {values[negative[0]]:g}",
                                argument="counts", index=int(negative[0]))
    zero = np.flatnonzero(values == 0)
    if zero.size:
        raise DistributionError(
            f"count {zero[0]} is zero: a Dirichlet needs every count positive",
            argument="counts", index=int(zero[0]),
            fix="add a prior, e.g. one to every count")
    return Dirichlet(tuple(float(v) for v in values))

"""Time-to-event estimators for right-censored data: Kaplan–Meier, Aalen–Johansen cumulative
incidence with competing risks, restricted mean time, and parametric survival models.

Conventions: ``time`` ≥ 0 is the time of the event or of censoring; the curves are right-
continuous step functions evaluated on the distinct observed times (ties between an event and
a censoring at the same time count the censored subject at risk, as usual).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from hecon.errors import ModelError


def _risk_table(time: ArrayLike, cause: ArrayLike, censored) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct times t_j, the number at risk n_j just before each, and the events d_kj of
    each cause (columns, in the order of the returned causes)."""
    time = np.asarray(time, dtype=float)
    cause = np.asarray(cause)
    if time.ndim != 1 or time.shape != cause.shape:
        raise ModelError("time and cause must be 1-D arrays of the same length")
    if time.size == 0:
        raise ModelError("no subjects: a survival curve needs at least one")
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise ModelError("times must be finite and ≥ 0")
    distinct, at = np.unique(time, return_inverse=True)
    causes = np.unique(cause[cause != censored])
    leaving = np.bincount(at, minlength=distinct.size)
    at_risk = time.size - np.concatenate([[0], np.cumsum(leaving)[:-1]])
    events = np.stack([np.bincount(at[cause == c], minlength=distinct.size) for c in causes],
                      axis=-1) if causes.size else np.zeros((distinct.size, 0), dtype=int)
    return distinct, at_risk, events, causes


def _step(times: np.ndarray, values: np.ndarray, t: ArrayLike, start) -> np.ndarray:
    """Right-continuous step function through (times, values), equal to ``start`` before the
    first time."""
    index = np.searchsorted(times, np.asarray(t, dtype=float), side="right") - 1
    padded = np.concatenate([np.broadcast_to(start, (1,) + values.shape[1:]), values])
    return padded[index + 1]


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (terms that vanish)."""
    out = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape))
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan–Meier estimate of a survival function.

    Ŝ(t) = Π_{t_j ≤ t} (1 − d_j / n_j) with Greenwood's variance
    Var Ŝ(t) = Ŝ(t)² Σ_{t_j ≤ t} d_j / (n_j (n_j − d_j))
    (Kaplan & Meier 1958; Klein & Moeschberger 2003, §4.2). Arrays are over the distinct
    observed times ``time``.
    """

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    survival: np.ndarray
    greenwood: np.ndarray  # Σ d_j / (n_j (n_j − d_j)) up to each time

    @property
    def variance(self) -> np.ndarray:
        return self.survival**2 * self.greenwood

    def at(self, t: ArrayLike) -> np.ndarray:
        """Ŝ(t) (1 before the first time)."""
        return _step(self.time, self.survival, t, 1.0)

    def se_at(self, t: ArrayLike) -> np.ndarray:
        """Greenwood standard error of Ŝ(t)."""
        return np.sqrt(_step(self.time, self.variance, t, 0.0))

    def confidence_interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise interval on the log(−log) scale (Kalbfleisch & Prentice 2002, §1.3):
        Ŝ^exp(±z·σ/ln Ŝ), σ² = the Greenwood sum; it stays within [0, 1]."""
        z = stats.norm.ppf(0.5 + level / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = z * np.sqrt(self.greenwood) / np.log(self.survival)
            lower, upper = self.survival ** np.exp(-spread), self.survival ** np.exp(spread)
        inside = (self.survival > 0) & (self.survival < 1)
        return np.where(inside, lower, self.survival), np.where(inside, upper, self.survival)

    def restricted_mean(self, tau: float) -> tuple[float, float]:
        """Restricted mean survival time μ_τ = ∫₀^τ Ŝ(u) du and its standard error,
        Var μ̂_τ = Σ_{t_j ≤ τ} A_j² d_j / (n_j (n_j − d_j)) with A_j = ∫_{t_j}^τ Ŝ(u) du
        (Klein & Moeschberger 2003, §4.5)."""
        grid = np.concatenate([[0.0], self.time[self.time < tau], [tau]])
        level = self.at(grid[:-1])
        pieces = level * np.diff(grid)
        mean = float(pieces.sum())
        inside = self.time <= tau
        area_after = mean - np.cumsum(pieces)[: inside.sum()]
        terms = _ratio(area_after**2 * self.events[inside],
                       self.at_risk[inside] * (self.at_risk[inside] - self.events[inside]))
        return mean, float(np.sqrt(terms.sum()))

    def frame(self) -> pd.DataFrame:
        """Tidy curve: ``time, at_risk, events, survival, se, lower, upper`` (with time 0)."""
        lower, upper = self.confidence_interval()
        return pd.DataFrame({
            "time": np.concatenate([[0.0], self.time]),
            "at_risk": np.concatenate([[self.at_risk[0]], self.at_risk]),
            "events": np.concatenate([[0], self.events]),
            "survival": np.concatenate([[1.0], self.survival]),
            "se": np.concatenate([[0.0], np.sqrt(self.variance)]),
            "lower": np.concatenate([[1.0], lower]),
            "upper": np.concatenate([[1.0], upper]),
        })


def kaplan_meier(time: ArrayLike, event: ArrayLike) -> KaplanMeier:
    """Kaplan–Meier estimate from times and event indicators (1 event, 0 censored)."""
    distinct, at_risk, events, _ = _risk_table(time, np.asarray(event, dtype=int), 0)
    d = events.sum(axis=1)
    survival = np.cumprod(1.0 - d / at_risk)
    greenwood = np.cumsum(_ratio(d.astype(float), at_risk * (at_risk - d)))
    return KaplanMeier(distinct, at_risk, d, survival, greenwood)


@dataclass(frozen=True)
class CumulativeIncidence:
    """Aalen–Johansen estimate of the cumulative incidence of competing causes.

    With Ŝ the Kaplan–Meier estimate of being free of every cause,
    F̂_k(t) = Σ_{t_j ≤ t} Ŝ(t_{j−1}) d_kj / n_j (Aalen & Johansen 1978; Putter, Fiocco &
    Geskus 2007). Its delta-method variance (Marubini & Valsecchi 1995, §10.2) is

    Var F̂_k(t) = Σ_{t_j ≤ t} [F̂_k(t) − F̂_k(t_j)]² d_j / (n_j (n_j − d_j))
                + Σ_{t_j ≤ t} Ŝ(t_{j−1})² d_kj (n_j − d_kj) / n_j³
                − 2 Σ_{t_j ≤ t} [F̂_k(t) − F̂_k(t_j)] Ŝ(t_{j−1}) d_kj / n_j²,

    with d_j the events of all causes. ``incidence`` and ``variance`` are [times, causes].
    """

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    causes: tuple
    incidence: np.ndarray
    variance: np.ndarray
    free: np.ndarray  # Ŝ: free of every cause

    def index(self, cause) -> int:
        if cause not in self.causes:
            raise ModelError(f"no event of cause {cause!r}; causes observed: {list(self.causes)}")
        return self.causes.index(cause)

    def at(self, t: ArrayLike, cause) -> np.ndarray:
        """F̂_k(t) of one cause (0 before the first time)."""
        return _step(self.time, self.incidence[:, self.index(cause)], t, 0.0)

    def se_at(self, t: ArrayLike, cause) -> np.ndarray:
        return np.sqrt(_step(self.time, self.variance[:, self.index(cause)], t, 0.0))

    def frame(self) -> pd.DataFrame:
        """Tidy curves: ``time, cause, incidence, se`` (with time 0)."""
        times = np.concatenate([[0.0], self.time])
        return pd.concat([pd.DataFrame({
            "time": times, "cause": cause,
            "incidence": np.concatenate([[0.0], self.incidence[:, k]]),
            "se": np.concatenate([[0.0], np.sqrt(self.variance[:, k])]),
        }) for k, cause in enumerate(self.causes)], ignore_index=True)


def aalen_johansen(time: ArrayLike, cause: ArrayLike, censored=0) -> CumulativeIncidence:
    """Cumulative incidence of each competing cause from times and causes.

    Parameters
    ----------
    time:
        Time of the first event or of censoring.
    cause:
        The cause of each subject's event, or ``censored``.
    censored:
        The value of ``cause`` marking a censored subject.
    """
    distinct, n, d_k, causes = _risk_table(time, cause, censored)
    d = d_k.sum(axis=1)
    free = np.cumprod(1.0 - d / n)
    free_before = np.concatenate([[1.0], free[:-1]])[:, None]
    hazard = d_k / n[:, None]
    F = np.cumsum(free_before * hazard, axis=0)
    # Each sum over j ≤ i of (F_i − F_j)^m · w_j expands into cumulative sums of w_j F_j^p.
    a = _ratio(d.astype(float), n * (n - d))[:, None]
    b = free_before * d_k / (n**2)[:, None]
    first = F**2 * np.cumsum(a, 0) - 2 * F * np.cumsum(a * F, 0) + np.cumsum(a * F**2, 0)
    second = np.cumsum(free_before**2 * d_k * (n[:, None] - d_k) / (n**3)[:, None], axis=0)
    third = F * np.cumsum(b, 0) - np.cumsum(b * F, 0)
    variance = np.maximum(first + second - 2 * third, 0.0)
    return CumulativeIncidence(distinct, n, d_k, tuple(causes.tolist()), F, variance, free)


# ---------------------------------------------------------------- parametric models

#: Name → scipy.stats distribution, each fitted with its location fixed at 0.
PARAMETRIC = {
    "exponential": stats.expon,
    "weibull": stats.weibull_min,
    "gompertz": stats.gompertz,
    "log-logistic": stats.fisk,
    "lognormal": stats.lognorm,
}


@dataclass(frozen=True)
class ParametricFit:
    """A parametric survival model fitted by maximum likelihood to right-censored times.

    log L = Σ_events log f(t_i) + Σ_censored log S(t_i); AIC = 2k − 2 log L and
    BIC = k ln n − 2 log L with k free parameters and n subjects (Collett 2015, §6.3;
    NICE DSU TSD 14, Latimer 2011).
    """

    distribution: str
    parameters: tuple[float, ...]  # scipy's shape(s), then scale (location fixed at 0)
    log_likelihood: float
    n: int
    events: int

    @property
    def k(self) -> int:
        return len(self.parameters)

    @property
    def aic(self) -> float:
        return 2 * self.k - 2 * self.log_likelihood

    @property
    def bic(self) -> float:
        return self.k * np.log(self.n) - 2 * self.log_likelihood

    @cached_property
    def frozen(self):
        """The fitted scipy.stats distribution."""
        *shapes, scale = self.parameters
        return PARAMETRIC[self.distribution](*shapes, loc=0.0, scale=scale)

    def survival(self, t: ArrayLike) -> np.ndarray:
        return self.frozen.sf(t)

    def describe(self) -> str:
        shapes = [s.strip() for s in (PARAMETRIC[self.distribution].shapes or "").split(",")]
        names = [*filter(None, shapes), "scale"]
        return ", ".join(f"{n}={v:.4g}" for n, v in zip(names, self.parameters, strict=True))


def fit_parametric(time: ArrayLike, event: ArrayLike, distribution: str) -> ParametricFit:
    """Maximum-likelihood fit of one of :data:`PARAMETRIC` to right-censored times, with
    ``scipy.stats.CensoredData`` (times must be > 0)."""
    if distribution not in PARAMETRIC:
        raise ModelError(f"unknown distribution '{distribution}'; known: {', '.join(PARAMETRIC)}")
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    if np.any(time <= 0):
        raise ModelError("parametric survival models need times > 0")
    if not event.any():
        raise ModelError("no events: a parametric survival model cannot be fitted")
    dist = PARAMETRIC[distribution]
    data = stats.CensoredData.right_censored(time, ~event)
    fitted = dist.fit(data, floc=0)
    *shapes, _, scale = fitted
    parameters = tuple(float(v) for v in (*shapes, scale))
    loglik = dist.logpdf(time[event], *fitted).sum() + dist.logsf(time[~event], *fitted).sum()
    return ParametricFit(distribution, parameters, float(loglik), time.size, int(event.sum()))


def fit_parametric_models(time: ArrayLike, event: ArrayLike,
                          distributions: Sequence[str] = tuple(PARAMETRIC)) -> list[ParametricFit]:
    """Fit each distribution to the same data."""
    return [fit_parametric(time, event, name) for name in distributions]


def model_comparison(fits: Sequence[ParametricFit]) -> pd.DataFrame:
    """``distribution, parameters, k, log_likelihood, aic, bic, delta_aic, delta_bic``, the
    deltas from the best (smallest) criterion."""
    frame = pd.DataFrame({
        "distribution": [f.distribution for f in fits],
        "parameters": [f.describe() for f in fits],
        "k": [f.k for f in fits],
        "log_likelihood": [f.log_likelihood for f in fits],
        "aic": [f.aic for f in fits],
        "bic": [f.bic for f in fits],
    })
    frame["delta_aic"] = frame["aic"] - frame["aic"].min()
    frame["delta_bic"] = frame["bic"] - frame["bic"].min()
    return frame

"""From trial estimates to the distributions of a PSA: proportions, means, event rates
(Poisson or negative binomial) and hazard ratios (Cox), each as an :class:`Estimate`.

The distribution attached to each estimate follows Briggs, Claxton & Sculpher (2006, ch. 4):
beta for probabilities, gamma for positive quantities (stays, counts), normal for means that
may take any sign, lognormal for ratios estimated on the log scale.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from hecon.errors import ModelError
from hecon.model.distributions import (
    Distribution,
    Normal,
    beta_from_events,
    beta_from_mean_se,
    gamma_from_mean_se,
    lognormal_from_ci,
)

LEVEL = 0.95
Z = float(stats.norm.ppf(0.5 + LEVEL / 2))


@dataclass(frozen=True)
class Estimate:
    """A point estimate, its standard error and 95 % interval, the number of subjects it
    rests on, how it was obtained, and the distribution a PSA samples it from."""

    value: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    method: str
    distribution: Distribution

    def row(self) -> dict[str, object]:
        """The estimate as a table row (for reports)."""
        return {"estimate": self.value, "se": self.se, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "n": self.n, "distribution": self.distribution.describe(),
                "method": self.method}


def _with_quantiles(value: float, se: float, n: int, method: str, distribution: Distribution) -> Estimate:
    low, high = distribution.ppf([(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return Estimate(float(value), float(se), float(low), float(high), int(n), method, distribution)


def proportion(events: int, n: int, method: str = "events / patients") -> Estimate:
    """A proportion observed as ``events`` out of ``n``: Beta(events, n − events); the
    interval is that beta's 2.5 % and 97.5 % quantiles."""
    if n < 1:
        raise ModelError(f"{method}: no patient to estimate the proportion from")
    p = events / n
    return _with_quantiles(p, np.sqrt(p * (1 - p) / n), n, method, beta_from_events(events, n))


def probability(value: float, se: float, n: int, method: str) -> Estimate:
    """A probability estimated with a standard error (e.g. from a survival curve): the beta
    of that mean and standard error (method of moments)."""
    return _with_quantiles(value, se, n, method, beta_from_mean_se(value, se))


def positive(value: float, se: float, n: int, method: str) -> Estimate:
    """A positive quantity (a stay, a count per patient) with its standard error: the gamma
    of that mean and standard error."""
    return _with_quantiles(value, se, n, method, gamma_from_mean_se(value, se))


def sample_mean(values: ArrayLike, method: str = "sample mean") -> Estimate:
    """The mean of observed values (missing values dropped): Normal(x̄, s/√n)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        raise ModelError("a sample mean needs at least two observed values")
    se = x.std(ddof=1) / np.sqrt(x.size)
    return _with_quantiles(x.mean(), se, x.size, method, Normal(float(x.mean()), float(se)))


def ratio(log_ratio: float, log_se: float, n: int, method: str) -> Estimate:
    """A ratio estimated on the log scale (hazard or rate ratio): the lognormal whose 95 %
    interval is exp(b ± 1.96·se); ``se`` of the ratio itself by the delta method, e^b·se."""
    point, low, high = np.exp([log_ratio, log_ratio - Z * log_se, log_ratio + Z * log_se])
    distribution = lognormal_from_ci(float(point), float(low), float(high), LEVEL)
    return Estimate(float(point), float(point * log_se), float(low), float(high), int(n), method,
                    distribution)


# ---------------------------------------------------------------- event rates

@dataclass(frozen=True)
class RateModel:
    """Event rates per unit of exposure by group, and their ratios to a reference group.

    ``model`` is ``Poisson`` or ``negative binomial`` (NB2, Var = μ + αμ²), chosen by the
    likelihood-ratio test of α = 0 against α > 0 (half χ²₁ on the boundary; Cameron &
    Trivedi 2013, §3.4): negative binomial when p < 0.05.
    """

    model: str
    rates: pd.DataFrame    # group, events, exposure, rate, ci_low, ci_high, log_se
    ratios: pd.DataFrame   # group, reference, rate_ratio, ci_low, ci_high, log_se
    alpha: float           # negative binomial overdispersion (0 for Poisson)
    overdispersion_p: float


def event_rates(counts: ArrayLike, exposure: ArrayLike, groups: ArrayLike,
                reference=None) -> RateModel:
    """Rates of ``counts`` per unit of ``exposure`` (e.g. infection episodes per ICU day at
    risk) in each group, from a log-linear count model with one coefficient per group and
    offset log(exposure). Subjects with no exposure carry no information and are left out.

    Parameters
    ----------
    counts, exposure, groups:
        Per subject: events, exposure (> 0 to count) and group label.
    reference:
        The group the rate ratios compare with (default: the first group, sorted).
    """
    from statsmodels.discrete.discrete_model import NegativeBinomial, Poisson

    counts, exposure, groups = (np.asarray(a) for a in (counts, exposure, groups))
    keep = np.asarray(exposure, dtype=float) > 0
    counts, exposure, groups = counts[keep].astype(float), exposure[keep].astype(float), groups[keep]
    labels = np.unique(groups)
    reference = labels[0] if reference is None else reference
    design = (groups[:, None] == labels[None, :]).astype(float)
    events = design.T @ counts
    if np.any(events == 0):
        raise ModelError(f"no events in group '{labels[np.argmin(events)]}': a rate needs at least one")
    poisson = Poisson(counts, design, exposure=exposure).fit(disp=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        negbin = NegativeBinomial(counts, design, exposure=exposure).fit(
            start_params=np.append(poisson.params, 0.1), disp=0, maxiter=200)
    statistic = 2 * (negbin.llf - poisson.llf)
    p_value = float(0.5 * stats.chi2.sf(max(statistic, 0.0), 1))
    use_negbin = bool(negbin.mle_retvals.get("converged", False)) and p_value < 0.05
    chosen = negbin if use_negbin else poisson
    k = len(labels)
    b, cov = np.asarray(chosen.params)[:k], np.asarray(chosen.cov_params())[:k, :k]
    se = np.sqrt(np.diag(cov))
    rates = pd.DataFrame({"group": labels, "events": events, "exposure": design.T @ exposure,
                          "rate": np.exp(b), "ci_low": np.exp(b - Z * se), "ci_high": np.exp(b + Z * se),
                          "log_se": se})
    r = int(np.flatnonzero(labels == reference)[0])
    others = [j for j in range(k) if j != r]
    log_rr = b[others] - b[r]
    log_se = np.sqrt(cov[others, others] + cov[r, r] - 2 * cov[others, r])
    ratios = pd.DataFrame({"group": labels[others], "reference": reference,
                           "rate_ratio": np.exp(log_rr), "ci_low": np.exp(log_rr - Z * log_se),
                           "ci_high": np.exp(log_rr + Z * log_se), "log_se": log_se})
    alpha = float(np.asarray(negbin.params)[-1]) if use_negbin else 0.0
    return RateModel("negative binomial" if use_negbin else "Poisson", rates, ratios, alpha, p_value)


# ---------------------------------------------------------------- hazard ratios

def cox_hazard_ratio(stop: ArrayLike, status: ArrayLike, covariate: ArrayLike, *,
                     entry: ArrayLike | None = None, strata: ArrayLike | None = None,
                     subjects: int | None = None,
                     method: str = "Cox proportional hazards") -> Estimate:
    """Hazard ratio of a binary (or continuous) covariate from a Cox model.

    statsmodels' ``PHReg`` with Efron's handling of ties; ``entry`` gives the start of each
    at-risk interval (counting-process data: time-varying covariates, recurrent events),
    ``strata`` separate baseline hazards; ``subjects`` is the number of patients the rows
    come from (default: one per row). The ratio's distribution is the lognormal of its
    95 % interval (:func:`ratio`).
    """
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    stop = np.asarray(stop, dtype=float)
    status = np.asarray(status, dtype=int)
    x = np.asarray(covariate, dtype=float)
    if status.sum() == 0:
        raise ModelError(f"{method}: no events")
    if np.ptp(x) == 0:
        raise ModelError(f"{method}: the covariate does not vary")
    entry = None if entry is None else np.asarray(entry, dtype=float)
    strata = None if strata is None else np.asarray(strata)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        fitted = PHReg(stop, x[:, None], status=status, entry=entry, strata=strata, ties="efron").fit()
    b, se = float(fitted.params[0]), float(fitted.bse[0])
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    if not (converged and np.isfinite(b) and np.isfinite(se) and se > 0):
        raise ModelError(f"{method}: the estimate does not converge (no events in a group?)")
    n = stop.size if subjects is None else subjects
    return ratio(b, se, n, f"{method}, {int(status.sum())} events")

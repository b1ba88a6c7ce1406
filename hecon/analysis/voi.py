"""Value of information: EVPI, population EVPI and regression-based EVPPI.

The expected value of perfect information per patient at willingness to pay λ is

    EVPI(λ) = E_θ[max_s NMB_s(θ)] − max_s E_θ[NMB_s(θ)],

what a decision maker would pay to remove all parameter uncertainty (Claxton, J Health Econ
1999;18:341–364). The EVPPI of a subset φ of the parameters replaces NMB_s(θ) by its
conditional expectation g_s(φ) = E[NMB_s | φ], estimated by nonparametric regression of the
PSA outputs on φ (Strong, Oakley & Brennan, Med Decis Making 2014;34:311–326):

    EVPPI(λ) = mean_i max_s ĝ_s(φ_i) − max_s mean_i ĝ_s(φ_i).
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.analysis.cea import outcome_matrices, summarise_net_benefit, wtp_values
from hecon.analysis.metamodel import (
    SPLINE_BASIS_SIZE,
    Metamodel,
    fit_bytes,
    fit_gaussian_process,
    fit_spline,
)
from hecon.analysis.threads import single_threaded_map
from hecon.errors import InputError

EVPPI_METHODS = ("auto", "spline", "gp")
#: The regression needs more draws than it has coefficients: the spline of one parameter has
#: ``SPLINE_BASIS_SIZE`` (20), and with no more draws than that it can pass through every draw,
#: making the EVPPI the EVPI. (The Gaussian process of a group is penalised and fits on any
#: number of draws.) Estimates from few draws are imprecise, which their standard error shows.
MIN_EVPPI_DRAWS = SPLINE_BASIS_SIZE + 1
# An EVPPI estimate above the EVPI by more than twice its SE and this share of the EVPI is
# reported when it is clipped.
_CLIP_REPORTED = 0.01


#: Bounds of a population (sanity, not policy): more patients a year than people on Earth, or a
#: decision standing for more than a thousand years, is a mistake in the input.
MAX_ANNUAL_INCIDENCE = 1e10
MAX_HORIZON_YEARS = 1_000


class EVPPIClippedWarning(UserWarning):
    """An EVPPI estimate exceeded the EVPI and was set to it (the regression overfits)."""


def evpi(costs, effects, wtp) -> np.ndarray:
    """Per-patient EVPI ``E[max_s NMB_s] − max_s E[NMB_s]`` at each willingness to pay.

    Returns an array shaped like ``wtp`` (a 0-d array for a scalar). Exactly 0 when one
    strategy has the highest NMB in every draw.
    """
    return summarise_net_benefit(costs, effects, wtp, probability=False).evpi.reshape(
        np.shape(wtp))


@dataclass(frozen=True)
class Population:
    """The population that benefits from a decision, for the population EVPI.

    Attributes
    ----------
    annual_incidence:
        Patients concerned each year (at most :data:`MAX_ANNUAL_INCIDENCE`).
    horizon_years:
        Decision horizon T in years (the time the decision is expected to stand), > 0 and at
        most :data:`MAX_HORIZON_YEARS`.
    discount_rate:
        Annual discount rate r (0.025 for 2.5 %).
    """

    annual_incidence: float
    horizon_years: float
    discount_rate: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.annual_incidence <= MAX_ANNUAL_INCIDENCE:
            raise InputError(f"the annual incidence must be a number from 0 to {MAX_ANNUAL_INCIDENCE:g} "
                             f"(about the world's population), not {self.annual_incidence:g}",
                             fix="give the number of patients concerned each year")
        if not 0 < self.horizon_years <= MAX_HORIZON_YEARS:
            raise InputError(f"the decision horizon must be a positive number of years, at most "
                             f"{MAX_HORIZON_YEARS:,}, not {self.horizon_years:g}", fix="give e.g. --horizon 10")
        if not (math.isfinite(self.discount_rate) and self.discount_rate >= 0):
            raise InputError("the discount rate must be a number ≥ 0",
                             fix="give e.g. --discount 0.025 for 2.5 % a year")

    def size(self) -> float:
        """Effective (discounted) population over the horizon.

        ``Σ_{t=0}^{⌊T⌋−1} I/(1+r)^t + (T − ⌊T⌋)·I/(1+r)^⌊T⌋``: each whole year's incidence
        is discounted to the start of that year (the first year undiscounted), and a
        fractional last year counts in proportion to its length.
        """
        whole = math.floor(self.horizon_years)
        factors = (1.0 + self.discount_rate) ** -np.arange(whole + 1.0)
        weights = np.append(np.ones(whole), self.horizon_years - whole)
        return float(self.annual_incidence * weights @ factors)


def evpi_table(costs, effects, wtp, population: Population | None = None) -> pd.DataFrame:
    """EVPI per patient at each willingness to pay (``wtp, evpi``), plus
    ``population_evpi = evpi × population.size()`` when a population is given."""
    lam = wtp_values(wtp)
    table = pd.DataFrame({"wtp": lam, "evpi": evpi(costs, effects, lam)})
    if population is not None:
        table["population_evpi"] = table["evpi"] * population.size()
    return table


# --------------------------------------------------------------------------- EVPPI


def parameter_frame(parameters, n_draws: int) -> pd.DataFrame:
    """The PSA's parameter draws as a numeric DataFrame with one row per draw.

    An array gets columns ``parameter_1, parameter_2, …``. Raises InputError for a wrong
    number of rows, a non-numeric column, or a missing or infinite value.
    """
    if isinstance(parameters, pd.DataFrame):
        frame = parameters.reset_index(drop=True)
    else:
        values = np.asarray(parameters)
        values = values.reshape(values.shape[0], -1) if values.ndim else values.reshape(1, 1)
        frame = pd.DataFrame(values, columns=[f"parameter_{k + 1}" for k in range(values.shape[1])])
    if len(frame) != n_draws:
        raise InputError(f"{len(frame)} rows of parameters for {n_draws} draws of the outputs",
                         fix="give the parameter values of every PSA draw, in the same order")
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            raise InputError(f"parameter draw {int(bad.argmax()) + 1} is not a finite number",
                             column=str(column), fix="give numeric parameter values")
    return frame.astype(float)


def _parameter_subsets(frame: pd.DataFrame,
                       groups: Mapping[str, Sequence[str]] | None) -> dict[str, list[str]]:
    """Name → columns of each parameter subset: every column alone, or the given groups."""
    if groups is None:
        return {str(column): [column] for column in frame.columns}
    subsets = {}
    for name, columns in groups.items():
        columns = list(columns)
        unknown = [c for c in columns if c not in frame.columns]
        if not columns or unknown:
            raise InputError(f"group '{name}' names unknown parameters: {', '.join(unknown)}"
                             if unknown else f"group '{name}' is empty",
                             column=unknown[0] if unknown else None,
                             fix=f"choose among: {', '.join(map(str, frame.columns))}")
        subsets[str(name)] = columns
    return subsets


def _fit_metamodel(inputs: np.ndarray, responses: np.ndarray, method: str, n_samples: int,
                   rng: np.random.Generator) -> Metamodel:
    if method == "spline" and inputs.shape[1] > 1:
        raise InputError("the spline method fits one parameter at a time",
                         fix="use method='gp' (or 'auto') for groups of parameters")
    if method == "spline" or (method == "auto" and inputs.shape[1] == 1):
        return fit_spline(inputs[:, 0], responses, n_posterior=n_samples, rng=rng)
    return fit_gaussian_process(inputs, responses, n_posterior=n_samples, rng=rng)


def evppi_bytes(n_draws: int, n_strategies: int, n_se_samples: int = 50) -> int:
    """Peak working memory (bytes) of the EVPPI of one parameter or group: one regression of
    the 2(S − 1) incremental costs and effects on ``n_draws`` draws (:func:`~hecon.analysis.metamodel.fit_bytes`)."""
    return fit_bytes(n_draws, 2 * (n_strategies - 1), n_se_samples)


def _evppi_of_fit(fitted: np.ndarray, n_strategies: int, wtp: np.ndarray) -> np.ndarray:
    """EVPPI ``[wtp]`` from one fit of the incremental costs and effects ``[draws, 2(S−1)]``."""
    return _evppi_of_fits(fitted[None], n_strategies, wtp)[0]


def evppi_of_metamodel(model: Metamodel, n_strategies: int, wtp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The EVPPI (or EVSI) ``[wtp]`` of a regression of the incremental costs and effects, and
    its standard error over the regression's posterior draws (Strong et al. 2014; NaN with
    fewer than two draws)."""
    se = (np.std(_evppi_of_fits(model.posterior, n_strategies, wtp), axis=0, ddof=1)
          if model.posterior.shape[0] > 1 else np.full(wtp.size, np.nan))
    return _evppi_of_fit(model.fitted, n_strategies, wtp), se


def _evppi_of_fits(fits: np.ndarray, n_strategies: int, wtp: np.ndarray) -> np.ndarray:
    """EVPPI ``[fits, wtp]`` from fitted incremental costs and effects ``[fits, draws, 2(S−1)]``
    (the reference strategy's increments are 0): the EVPI formula applied to each fit's net benefits.

    For each λ the incremental NMB ``λ·ΔÊ_s − ΔĈ_s`` of each strategy is formed once for all
    fits (``[fits, draws]``), as :func:`~hecon.analysis.cea.summarise_net_benefit` forms it for one;
    so are their maximum over the strategies (the reference's 0 included) and the means over
    the draws, so an EVPPI here is that of ``summarise_net_benefit`` bit for bit. Working memory:
    two ``[fits, draws]`` arrays.
    """
    costs = np.moveaxis(fits[..., : n_strategies - 1], -1, 0)  # [S−1, fits, draws]
    effects = np.moveaxis(fits[..., n_strategies - 1:], -1, 0)
    result = np.empty((fits.shape[0], wtp.size))
    nmb, highest = np.empty((2, *fits.shape[:2]))
    best_expected = np.empty(fits.shape[0])
    for k, lam in enumerate(wtp):
        highest.fill(0.0)  # the reference strategy's incremental NMB
        best_expected.fill(0.0)
        for cost, effect in zip(costs, effects, strict=True):
            np.multiply(effect, lam, out=nmb)
            nmb -= cost
            np.maximum(highest, nmb, out=highest)
            np.maximum(best_expected, nmb.mean(axis=1), out=best_expected)
        result[:, k] = highest.mean(axis=1) - best_expected
    return result


def evppi(costs, effects, parameters: pd.DataFrame | np.ndarray, wtp, *,
          groups: Mapping[str, Sequence[str]] | None = None, method: str = "auto",
          n_se_samples: int = 50, seed: int = 0, workers: int | None = None) -> pd.DataFrame:
    """Per-patient EVPPI of single parameters or groups, by nonparametric regression.

    Parameters
    ----------
    costs, effects:
        PSA outputs ``[draws, strategies]``.
    parameters:
        The PSA's parameter draws, one row per draw (DataFrame with named columns, or array).
    wtp:
        Willingness-to-pay values (scalar or 1-D grid).
    groups:
        Name → parameter names. Without it, each parameter is evaluated alone.
    method:
        ``"spline"`` (one parameter: penalised cubic regression spline, smoothing by GCV),
        ``"gp"`` (Gaussian process, any number of parameters) or ``"auto"`` (spline for one
        parameter, GP for a group).
    n_se_samples:
        Posterior draws of the fitted regression used for the standard error (0: no SE).
    seed:
        Seed of the GP subsample and the posterior draws; the result for a subset does not
        depend on which other subsets are asked for.
    workers:
        Subsets fitted at once, each in one BLAS thread (:mod:`hecon.analysis.threads`;
        default: one per core); the result does not depend on it.

    Returns
    -------
    DataFrame ``parameter_or_group, wtp, evppi, se``.

    Notes
    -----
    For each strategy s > 0 the incremental cost ΔC_s = C_s − C_0 and effect ΔE_s = E_s − E_0
    are regressed on the parameters once; the fitted incremental net benefit at any λ is
    ``λ·ΔÊ_s − ΔĈ_s``, so the whole WTP grid costs one fit per subset. The EVPPI is then the
    EVPI formula applied to the fitted values, which is ≥ 0 by Jensen's inequality. The
    standard error is Strong et al.'s (2014): the standard deviation of the EVPPI over draws
    of the fitted values from the regression's posterior. An estimate above the EVPI is set
    to the EVPI; when the excess is more than twice its standard error and 1 % of the EVPI
    (the regression overfits) an :class:`EVPPIClippedWarning` reports it. Rounding noise below 0 is set to 0.
    """
    cost, effect = outcome_matrices(costs, effects)
    lam = wtp_values(wtp)
    if method not in EVPPI_METHODS:
        raise InputError(f"unknown EVPPI method '{method}'", fix=f"use one of {EVPPI_METHODS}")
    if cost.shape[0] < MIN_EVPPI_DRAWS:
        raise InputError(f"EVPPI by regression needs at least {MIN_EVPPI_DRAWS} PSA draws (more "
                         f"than the {SPLINE_BASIS_SIZE} coefficients of its spline), not {cost.shape[0]}",
                         fix=f"run a PSA of {MIN_EVPPI_DRAWS} draws or more")
    frame = parameter_frame(parameters, cost.shape[0])
    subsets = _parameter_subsets(frame, groups)
    n_strategies = cost.shape[1]
    responses = np.hstack([cost[:, 1:] - cost[:, :1], effect[:, 1:] - effect[:, :1]])
    perfect = summarise_net_benefit(cost, effect, lam, probability=False).evpi

    def estimate_of(columns: list) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([seed, zlib.crc32(",".join(map(str, columns)).encode())])
        model = _fit_metamodel(frame[columns].to_numpy(), responses, method, n_se_samples, rng)
        return evppi_of_metamodel(model, n_strategies, lam)

    # The largest subsets first: their regressions take longest, and if they started last
    # the other workers would wait for them at the end.
    largest_first = sorted(subsets, key=lambda name: len(subsets[name]), reverse=True)
    estimates = dict(zip(largest_first, single_threaded_map(
        estimate_of, [subsets[name] for name in largest_first], workers), strict=True))
    tables = []
    for name in subsets:
        estimate, se = estimates[name]
        excess = estimate - perfect
        if (excess > np.fmax(2 * se, _CLIP_REPORTED * perfect)).any():
            warnings.warn(f"EVPPI of '{name}' exceeded the EVPI by up to {excess.max():.4g} "
                          "and was set to the EVPI", EVPPIClippedWarning, stacklevel=2)
        tables.append(pd.DataFrame({
            "parameter_or_group": name,
            "wtp": lam,
            "evppi": np.clip(estimate, 0.0, perfect),
            "se": se,
        }))
    return pd.concat(tables, ignore_index=True)

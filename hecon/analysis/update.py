"""The update when a trial reports: the PSA's prior turned into a posterior by the trial's data.

The trial observes, per arm a and binary endpoint e, x_ae events among n_ae patients (complete
cases at the horizon). Under the model's data-generating model (:class:`hecon.analysis.evsi.
BinomialTrial`, the likelihood the EVSI used), draw i of the PSA has likelihood

    L_i = Π_{a,e} p_iae^x_ae (1 − p_iae)^(n_ae − x_ae),

and the posterior is the PSA reweighted, w_i ∝ L_i (importance sampling with the prior as the
proposal; Smith & Gelfand, Am Stat 1992;46:84–88). The parameters' prior and posterior means
and 95 % intervals are reported; the effective sample size ESS = 1 / Σ w_i² says how many
draws the posterior rests on (Kish). A posterior on too few is refused: the prior was too far
from the data for its draws to describe the posterior (run more draws). The decision analyses
then run on a resample of the draws with these weights (systematic resampling, Kitagawa 1996),
which needs no new model evaluation.

No conjugate shortcut applies to the model's parameters: the arm probabilities are nonlinear
functions (through the calibration) of many parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hecon.analysis.evsi import BinomialTrial, importance_weights
from hecon.analysis.result import Result
from hecon.errors import InputError

#: Fewest effective draws a posterior may rest on (``--min-ess``)
MIN_ESS = 200


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size 1 / Σ w² of normalised weights."""
    return float(1.0 / np.sum(weights**2))


def observed_counts(design: BinomialTrial, counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Events and patients in the order of ``design.statistics``, from a table ``arm, endpoint,
    events, patients``."""
    table = counts.set_index(["arm", "endpoint"])
    keys = [(a, e) for a in design.arms for e in design.endpoints]
    missing = [k for k in keys if k not in table.index]
    if missing:
        raise InputError(f"the trial reports no '{missing[0][1]}' in arm '{missing[0][0]}'",
                         fix="every arm needs patients with a known status at the horizon")
    events = table.loc[keys, "events"].to_numpy(dtype=float)
    patients = table.loc[keys, "patients"].to_numpy(dtype=float)
    if ((events < 0) | (events > patients)).any():
        raise InputError("events must lie between 0 and the number of patients")
    return events, patients


def posterior_weights(design: BinomialTrial, counts: pd.DataFrame, *, min_ess: float = MIN_ESS) -> np.ndarray:
    """Normalised importance weights of the PSA draws given the trial's counts; an ESS below
    ``min_ess`` is an InputError naming it."""
    events, patients = observed_counts(design, counts)
    weights = importance_weights(design.log_likelihood(events[None, :], patients))[0]
    ess = effective_sample_size(weights)
    if ess < min_ess:
        raise InputError(f"the posterior rests on {ess:.0f} effective draws of {design.n_draws:,}, fewer than "
                         f"{min_ess:g}: the trial's data lie far in the tail of the prior",
                         fix="run more draws (--n), or lower --min-ess knowingly")
    return weights


def systematic_resample(weights: np.ndarray, seed: int) -> np.ndarray:
    """Indices of ``len(weights)`` draws resampled in proportion to the weights (systematic:
    one uniform offset, then evenly spaced points on the cumulative weights)."""
    n = weights.size
    points = (np.random.default_rng(seed).random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(weights), points), n - 1)


def _weighted_summary(values: np.ndarray, weights: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean and 2.5 % and 97.5 % quantiles (of the weighted empirical distribution)."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    low, high = values[order][np.minimum(np.searchsorted(cumulative, [0.025, 0.975]), values.size - 1)]
    return float(weights @ values), float(low), float(high)


def update_tables(parameters: pd.DataFrame, design: BinomialTrial, counts: pd.DataFrame,
                  weights: np.ndarray) -> dict[str, pd.DataFrame]:
    """``posterior_parameters`` (each uncertain parameter's prior and posterior mean and 95 %
    interval) and ``trial_endpoints`` (observed share, prior and posterior mean probability by
    arm and endpoint)."""
    prior = np.full(weights.size, 1.0 / weights.size)
    rows = []
    for name in parameters.columns:
        values = parameters[name].to_numpy(dtype=float)
        before, after = _weighted_summary(values, prior), _weighted_summary(values, weights)
        rows.append({"parameter": name, "prior_mean": before[0], "prior_low": before[1], "prior_high": before[2],
                     "posterior_mean": after[0], "posterior_low": after[1], "posterior_high": after[2]})
    events, patients = observed_counts(design, counts)
    flat = design.probabilities.reshape(design.n_draws, -1)
    endpoints = pd.DataFrame({
        "arm": np.repeat(design.arms, len(design.endpoints)), "endpoint": np.tile(design.endpoints, len(design.arms)),
        "events": events, "patients": patients, "observed": events / patients,
        "prior_mean": prior @ flat, "posterior_mean": weights @ flat})
    return {"posterior_parameters": pd.DataFrame(rows), "trial_endpoints": endpoints}


def update_result(parameters: pd.DataFrame, design: BinomialTrial, counts: pd.DataFrame, weights: np.ndarray,
                  **meta) -> Result:
    """The update as a Result (see :func:`update_tables`), the ESS in the meta."""
    return Result("trial_update", update_tables(parameters, design, counts, weights),
                  {"effective_sample_size": effective_sample_size(weights), "draws": int(weights.size), **meta},
                  "posterior_parameters")

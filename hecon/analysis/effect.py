"""The treatment effect: the decision under each named prior of the effect, and the value of
the effect at which the decision changes (what a trial must show).

**Decision under each prior** (:func:`prior_decisions`). Each prior of the model
(:mod:`hecon.model.priors`) replaces the effect's distribution; its PSA keeps the run's draws
of every other parameter and re-draws only the prior's parameters from the same seeded
streams (common random numbers: the k-th draw of a LogNormal prior is exp(μ + σ·zₖ) with the
same zₖ under every LogNormal prior; a prior of another family draws other numbers), so only n
parameter sets per prior are evaluated and the priors differ by the effect alone. A prior whose draws equal the run's (the run's own prior) reuses
its outcomes.

**Threshold of the effect** (:func:`effect_threshold`). For a parameter θ (e.g. the hazard
ratio of infection), the value θ*(λ) where the incremental net monetary benefit
INMB(θ; λ) = λ·ΔE(θ) − ΔC(θ) is zero: in the base case (a bracketing grid and false position,
:func:`hecon.analysis.sensitivity.threshold_values`) and in every PSA draw, holding the draw's
other parameters. Per draw, INMB is evaluated on a grid over the plausible range [a, b]
(log-spaced for a positive range), the first sign change is located, the root interpolated
linearly in ln θ, the model evaluated there, and the root interpolated again in the sub-bracket
that keeps the sign change (one regula falsi step). A draw whose INMB is negative over the
whole range has no θ in [a, b] that makes the strategy cost-effective (θ* < a, shown as −∞);
positive over the whole range, θ* > b (+∞). Quantiles over the draws are taken without
interpolation (``inverted_cdf``), so they are defined with these censored draws. The thresholds
are computed on the first :data:`THRESHOLD_DRAWS` valid draws of the PSA (a random sample of
them: 1,000 draws put the 2.5 % quantile within about ±1 percentile point), which bounds the
cost at grid × 1,000 evaluations whatever the PSA's size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hecon.analysis import memory
from hecon.analysis.batch import Sets, evaluate_batch
from hecon.analysis.cea import increment_rows
from hecon.analysis.psa import PSA
from hecon.analysis.result import Result, model_meta
from hecon.analysis.sensitivity import SETS_PER_CHUNK, Measure, threshold_values, willingness_to_pay
from hecon.analysis.wtp import REPORT_WTP
from hecon.errors import ModelError
from hecon.model import Model
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterSets, ParameterTable
from hecon.model.priors import Prior

#: points of the per-draw grid of the effect threshold
THRESHOLD_GRID = 9
#: PSA draws whose threshold of the effect is computed (the first valid ones)
THRESHOLD_DRAWS = 1_000


# ---------------------------------------------------------------- the decision under each prior

def effect_parameter(priors: Mapping[str, Prior]) -> str | None:
    """The one parameter the priors are about, or None when they name none or several."""
    names = {name for prior in priors.values() for name in prior.rows}
    return names.pop() if len(names) == 1 else None


def prior_draws(psa: PSA, table: ParameterTable, prior: Prior, sampler: str) -> ParameterSets:
    """The PSA's draws with the prior's parameters re-drawn from ``prior.apply(table)`` (same
    seed, so each parameter keeps its stream: common random numbers across priors)."""
    under = prior.apply(table)
    fresh = under.sample(psa.parameters.n, psa.seed, sampler)
    return under.override(psa.parameters, {name: fresh[name] for name in prior.rows})


def _effect_summary(table: ParameterTable, parameter: str | None) -> dict[str, float]:
    """Median, 95 % interval and P(θ < 1) of the effect's distribution in ``table``."""
    if parameter is None:
        return {}
    distribution = table.distribution_of(parameter)
    low, median, high = distribution.ppf([0.025, 0.5, 0.975])
    cdf = getattr(distribution, "cdf", None)  # Fixed has none: its value is certain
    below = float(cdf(1.0)) if cdf is not None else float(table[parameter].value < 1)
    return {"effect_median": float(median), "effect_p2_5": float(low), "effect_p97_5": float(high),
            "p_effect_below_1": below}


def _decision_rows(model: Model, prior: Prior, outcomes: Outcomes, wtp: np.ndarray,
                   effect: dict[str, float]) -> list[dict]:
    """The prior, its effect's summary and, per strategy against the comparator, the
    increments over the valid draws (:func:`hecon.analysis.cea.increment_rows`)."""
    valid = outcomes.take(outcomes.valid)
    rows = increment_rows(valid.total_cost, model.effects[0].of(valid), model.strategies, model.comparator, wtp)
    return [{"prior": prior.name, "description": prior.description, **effect, **row} for row in rows]


def prior_decisions(model: Model, table: ParameterTable, psa: PSA, priors: Mapping[str, Prior], *,
                    options=None, wtp: Sequence[float] = REPORT_WTP, sampler: str = "generator",
                    chunk_size: int | None = SETS_PER_CHUNK, engine=None) -> Result:
    """The decision under each prior (table ``prior_decisions``, module docstring) and the
    evidence syntheses behind the priors (table ``evidence_synthesis``). ``table`` is the
    parameter table without any prior (the ``table`` priors use it as it is)."""
    options = model.options() if options is None else options
    wtp = willingness_to_pay(wtp)
    parameter = effect_parameter(priors)
    rows, syntheses = [], []
    for prior in priors.values():
        draws = prior_draws(psa, table, prior, sampler)
        same = all(np.array_equal(draws[name], psa.parameters[name]) for name in prior.rows)
        outcomes = psa.outcomes if same else evaluate_batch(model, options, Sets(draws), chunk_size=chunk_size,
                                                            engine=engine)
        rows += _decision_rows(model, prior, outcomes, wtp, _effect_summary(prior.apply(table), parameter))
        syntheses += [s.table().assign(prior=prior.name, parameter=name) for name, s in prior.syntheses.items()]
    tables = {"prior_decisions": pd.DataFrame(rows)}
    if syntheses:
        tables["evidence_synthesis"] = pd.concat(syntheses, ignore_index=True)
    meta = {**model_meta(model, table, [parameter] if parameter else []), "priors": list(priors),
            "effect_parameter": parameter, "report_wtp": wtp.tolist(), "seed": psa.seed, "sampler": sampler}
    return Result("priors", tables, meta, "prior_decisions")


def plausible_range(table: ParameterTable, priors: Mapping[str, Prior], parameter: str) -> tuple[float, float]:
    """The values of ``parameter`` that at least one prior finds plausible: the union of the
    priors' 95 % intervals (the table's own distribution when there is no prior)."""
    tables = [prior.apply(table) for prior in priors.values()] or [table]
    ends = np.array([t.distribution_of(parameter).ppf([0.025, 0.975]) for t in tables])
    return float(ends[:, 0].min()), float(ends[:, 1].max())


# ---------------------------------------------------------------- the threshold of the effect

def _increments(model: Model, measure: Measure, sets: ParameterSets, options, chunk_size: int, engine=None):
    """ΔC and ΔE of every set (NaN where the model could not evaluate it), in process or on
    ``engine`` (:func:`hecon.analysis.batch.evaluate_batch`)."""
    outcomes = evaluate_batch(model, options, Sets(sets), chunk_size=chunk_size, engine=engine)
    d_cost, d_effect = measure.increments(outcomes)
    bad = ~outcomes.valid
    return np.where(bad, np.nan, d_cost), np.where(bad, np.nan, d_effect)


def _interpolate(t0, f0, t1, f1):
    """The root of the line through (t0, f0) and (t1, f1)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(f0 == f1, (t0 + t1) / 2, t0 + (t1 - t0) * f0 / (f0 - f1))


def draw_thresholds(model: Model, table: ParameterTable, draws: ParameterSets, parameter: str,
                    wtp: np.ndarray, bounds: tuple[float, float], *, options=None, grid: int = THRESHOLD_GRID,
                    memory_gb: float = memory.DEFAULT_BUDGET_GB, engine=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """θ*(λ) of every draw [draws, wtp] (−∞: INMB < 0 over the whole range, +∞: > 0; NaN:
    the model could not evaluate the draw), the grid [grid] and INMB on it [draws, grid, wtp]
    (module docstring)."""
    options = model.options() if options is None else options
    measure = Measure(model, "inmb")
    low, high = bounds
    logged = low > 0
    values = np.geomspace(low, high, grid) if logged else np.linspace(low, high, grid)
    scale = np.log if logged else (lambda x: x)
    base = model.evaluate(table.base_case(), options)
    per_set = memory.batch_bytes(1, len(table.names), len(base.strategies), len(base.names))
    chunk = min(SETS_PER_CHUNK, memory.chunk_size(per_set, memory.as_bytes(memory_gb)))
    m = draws.n
    sets = table.override(draws.take(np.repeat(np.arange(m), grid)), {parameter: np.tile(values, m)})
    d_cost, d_effect = (a.reshape(m, grid) for a in _increments(model, measure, sets, options, chunk, engine))
    inmb = wtp[None, None, :] * d_effect[:, :, None] - d_cost[:, :, None]       # [draws, grid, wtp]
    invalid = np.isnan(inmb).any(axis=(1, 2))
    change = np.sign(inmb[:, :-1]) != np.sign(inmb[:, 1:])                       # [draws, grid-1, wtp]
    crossed = change.any(1) & ~invalid[:, None]
    k = change.argmax(1)                                                          # first sign change
    t, rows, cols = scale(values), np.arange(m)[:, None], np.arange(wtp.size)[None, :]
    t0, t1, f0, f1 = t[k], t[k + 1], inmb[rows, k, cols], inmb[rows, k + 1, cols]
    first = _interpolate(t0, f0, t1, f1)
    which, lam = np.nonzero(crossed)
    if which.size:  # one regula falsi step at the interpolated roots
        at = np.exp(first[which, lam]) if logged else first[which, lam]
        dc, de = _increments(model, measure, table.override(draws.take(which), {parameter: at}), options, chunk,
                             engine)
        f = wtp[lam] * de - dc
        left = np.sign(f) != np.sign(f0[which, lam])
        a, fa = np.where(left, t0[which, lam], first[which, lam]), np.where(left, f0[which, lam], f)
        b, fb = np.where(left, first[which, lam], t1[which, lam]), np.where(left, f, f1[which, lam])
        first[which, lam] = np.where(f == 0, first[which, lam], _interpolate(a, fa, b, fb))
    root = np.exp(first) if logged else first
    result = np.where(crossed, root, np.where(inmb[:, 0, :] > 0, np.inf, -np.inf))
    result[invalid] = np.nan
    return result, values, inmb


def effect_threshold(model: Model, table: ParameterTable, psa: PSA, parameter: str, bounds: tuple[float, float],
                     wtp: Sequence[float] = REPORT_WTP, *, options=None, grid: int = THRESHOLD_GRID,
                     memory_gb: float = memory.DEFAULT_BUDGET_GB, engine=None) -> Result:
    """The threshold of ``parameter`` at each ``wtp`` (table ``effect_threshold``: ``wtp,
    parameter, base_case, median, p2_5, p97_5, share_never, share_always, low, high, draws``;
    ``share_never``: the share of draws in which no value in [low, high] makes the strategy
    cost-effective) and the probability cost-effective at each value of the grid (table
    ``effect_threshold_curve``: ``parameter, value, wtp, probability_cost_effective``)."""
    options = model.options() if options is None else options
    lam = willingness_to_pay(wtp)
    draws = psa.parameters.take(np.flatnonzero(psa.outcomes.valid)[:THRESHOLD_DRAWS])
    found, values, inmb = draw_thresholds(model, table, draws, parameter, lam, bounds, options=options,
                                          grid=grid, memory_gb=memory_gb, engine=engine)
    base = threshold_values(model, table, parameter, lam, options, bounds=bounds, memory_gb=memory_gb, engine=engine)
    kept = ~np.isnan(found).any(1)
    if not kept.any():
        raise ModelError(f"none of the {len(found):,} PSA draws can be evaluated over {parameter}'s plausible "
                         f"range {bounds[0]:.4g}–{bounds[1]:.4g}: no threshold of the effect")
    quantiles = np.quantile(found[kept], [0.5, 0.025, 0.975], axis=0, method="inverted_cdf")
    summary = pd.DataFrame({
        "wtp": lam, "parameter": parameter, "base_case": base.threshold.to_numpy(),
        "median": quantiles[0], "p2_5": quantiles[1], "p97_5": quantiles[2],
        "share_never": (found[kept] == -np.inf).mean(0), "share_always": (found[kept] == np.inf).mean(0),
        "low": bounds[0], "high": bounds[1], "draws": int(kept.sum())})
    curve = pd.DataFrame({"parameter": parameter, "value": np.repeat(values, lam.size), "wtp": np.tile(lam, values.size),
                          "probability_cost_effective": (inmb[kept] > 0).mean(0).ravel()})
    meta = {**model_meta(model, table, [parameter]), "parameter": parameter, "report_wtp": lam.tolist(),
            "bounds": list(bounds), "grid": grid, "strategy": Measure(model).compared, "seed": psa.seed}
    return Result("effect_threshold", {"effect_threshold": summary, "effect_threshold_curve": curve}, meta,
                  "effect_threshold")

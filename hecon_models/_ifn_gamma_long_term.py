"""The flagship model's long-term phase: from day 90 to a lifetime horizon, in yearly cycles.

Day-90 survivors die at the life table's rate × an SMR that falls with years since discharge;
utility is the age/sex norm reduced by a post-ICU decrement; post-ICU care costs by year. The
model (:mod:`hecon_models.ifn_gamma`) multiplies these per-survivor totals by the share alive at
day 90. ``options`` is the model's :class:`~hecon_models.ifn_gamma.Options`.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from hecon.model.lifetable import SEXES, LifeTable
from hecon.model.parameters import ParameterSets

YEAR_DAYS = 365.25


def _age_nodes(params: ParameterSets, n_nodes: int):
    """Ages at randomisation [sets, nodes] and weights [nodes] of a normal age distribution
    (Gauss–Hermite quadrature, probabilists' version; ages clipped to 18–99)."""
    z, w = hermegauss(n_nodes) if n_nodes > 1 else (np.zeros(1), np.ones(1))
    ages = params["age_mean"][:, None] + params["age_sd"][:, None] * z[None, :]
    return np.clip(ages, 18.0, 99.0), w / w.sum()


def _smr(params: ParameterSets, n_cycles: int) -> np.ndarray:
    """SMR of each yearly cycle after day 90 [sets, cycles]: year 1, then a linear path from
    ``smr_year2`` (year 2) to ``smr_late`` (year ``smr_late_year``), constant after."""
    k = np.arange(n_cycles)[None, :]
    span = np.maximum(params["smr_late_year"][:, None] - 1, 1)
    path = params["smr_year2"][:, None] + (params["smr_late"] - params["smr_year2"])[:, None] * np.clip((k - 1) / span, 0, 1)
    return np.where(k == 0, params["smr_year1"][:, None], path)


def _survival(params: ParameterSets, table: LifeTable, ages: np.ndarray, sex: int,
              n_cycles: int) -> np.ndarray:
    """S_k, k = 0 … K, of sub-cohorts aged ``ages`` [sets, nodes] at day 90.

    Yearly cycle k spans ages a + k to a + k + 1; with the table's piecewise-constant force
    of mortality, its cumulative hazard is (1 − f)·μ_{⌊a⌋+k} + f·μ_{⌊a⌋+k+1}, f = a − ⌊a⌋,
    multiplied by the cycle's SMR.
    """
    whole = np.floor(ages).astype(int)
    fraction = (ages - whole)[..., None]
    hazard = table.hazard[sex]
    padded = np.concatenate([hazard, np.full(n_cycles + 2, hazard[-1])])
    windows = np.lib.stride_tricks.sliding_window_view(padded, n_cycles + 1)[whole]
    step = windows[..., :-1] + fraction * np.diff(windows, axis=-1)
    step *= _smr(params, n_cycles)[:, None, :]
    survival = np.empty(step.shape[:-1] + (n_cycles + 1,))
    survival[..., 0] = 1.0
    np.exp(-np.cumsum(step, axis=-1), out=survival[..., 1:])
    return survival


def long_term_per_survivor(params: ParameterSets, options, table: LifeTable) -> dict[str, np.ndarray]:
    """Life years, QALYs and care costs per day-90 survivor [sets], undiscounted and discounted.

    Survival of each sex and age node from :func:`_survival`. Yearly cycle k counts the
    life-table membership M_k = (S_k + S_{k+1})/2 (``none``: S_k), discounted at its middle,
    t = day 90 + k + ½. Utility at the cycle's mid-age x: norm(x) × (1 − decrement / norm(a₀))
    with the Ara & Brazier norm b0 + b1·male + b2·x + b3·x² and a₀ the age at day 90 (the
    post-ICU decrement applied multiplicatively); the polynomial lets Σ_k M_k d_k u_k be summed
    from Σ M d, Σ M d x and Σ M d x². Costs: the first-year rate in cycle 0, then later years.
    ``survival`` is the cohort's S_k (sexes and age nodes weighted).
    """
    start = options.hospital_days / YEAR_DAYS
    lifetime = table.closing_age + 1 - 18
    n_cycles = lifetime if options.horizon_years is None else min(lifetime, round(options.horizon_years))
    keys = [f"{k}{s}" for k in ("life_years", "qalys", "care_cost") for s in ("", "_disc")]
    if n_cycles == 0:
        return {**dict.fromkeys(keys, np.zeros(params.n)), "survival": np.ones((params.n, 1))}
    ages, node_weight = _age_nodes(params, options.age_nodes)
    ages = ages + start
    mid = np.arange(n_cycles) + 0.5
    d_costs = options.discount(options.discount_rate_costs).factor(start + mid)
    d_effects = options.discount(options.discount_rate_effects).factor(start + mid)
    ones = np.ones(n_cycles)
    first = (mid < 1).astype(float)
    # columns: Σ M, Σ M d_e, Σ M d_e x, Σ M d_e x², Σ M x, Σ M x², first-year M, first-year M d_c, Σ M d_c
    weights = np.stack([ones, d_effects, d_effects * mid, d_effects * mid**2, mid, mid**2,
                        first, first * d_costs, d_costs], axis=1)
    totals = dict.fromkeys(keys, 0.0)
    totals["survival"] = 0.0
    b0, b1, b2, b3 = (params[f"utility_norm_{c}"][:, None] for c in ("intercept", "male", "age", "age2"))
    decrement = params["utility_decrement_post_icu"][:, None]
    y1, later = params["cost_post_discharge_year1"], params["cost_post_discharge_later_years"]
    if options.perspective == "hospital":
        y1, later = 0.0 * y1, 0.0 * later
    for sex, name in enumerate(SEXES):
        male = float(name == "male")
        weight = (params["p_male"] if male else 1 - params["p_male"])[:, None] * node_weight[None, :]
        survival = _survival(params, table, ages, sex, n_cycles)
        member = survival[..., :-1] if options.correction == "none" else 0.5 * (survival[..., :-1] + survival[..., 1:])
        s = np.einsum("snk,kw->wsn", member, weights)  # [9, sets, nodes]; BLAS-free: batch-invariant
        a0 = ages
        norm0 = b0 + b1 * male + b2 * a0 + b3 * a0**2
        scale = 1 - decrement / norm0
        # Σ M u with x = a0 + mid: norm = (b0 + b1 m + b2 a0 + b3 a0²) + (b2 + 2 b3 a0)·mid + b3·mid²
        qalys_und = scale * (norm0 * s[0] + (b2 + 2 * b3 * a0) * s[4] + b3 * s[5])
        qalys_disc = scale * (norm0 * s[1] + (b2 + 2 * b3 * a0) * s[2] + b3 * s[3])
        per_node = {
            "life_years": s[0], "life_years_disc": s[1], "qalys": qalys_und, "qalys_disc": qalys_disc,
            "care_cost": y1[:, None] * s[6] + later[:, None] * (s[0] - s[6]),
            "care_cost_disc": y1[:, None] * s[7] + later[:, None] * (s[8] - s[7]),
        }
        for key, value in per_node.items():
            totals[key] = totals[key] + (value * weight).sum(-1)
        totals["survival"] = totals["survival"] + (survival * weight[..., None]).sum(1)
    return totals

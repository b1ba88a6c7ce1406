"""The flagship model's long-term phase: from day 90 to a lifetime horizon, in yearly cycles.

Day-90 survivors (ward and home alike) form a cohort of two sexes × Gauss–Hermite age nodes;
t counts years since day 90. The model (:mod:`hecon_models.ifn_gamma`) multiplies the
per-survivor totals of :func:`long_term_per_survivor` by the share alive at day 90.
``options`` is the model's :class:`~hecon_models.ifn_gamma.Options`.

**Mortality** (option ``post_icu_mortality``):

- ``excess_hazard`` (base case), the relative-survival form: until year 5 the life table's
  force of mortality plus an excess hazard that decays with time since discharge,
  μ(x, t) = μ_LT(x + t) + λ(t), λ(t) = a·e^(−k·t) + c; from year 5 a hazard ratio on the life
  table, μ = HR·μ_LT(x + t) (Inghammar 2024: 1.6 after 5 years). (a, k, c) are calibrated for
  every parameter set to its cumulative-mortality targets at 1, 3 and 5 years (Hill 2016,
  ICU stay 14–60 days): :func:`calibrate_excess_hazard`.
- ``smr``: μ = SMR(year)·μ_LT(x + t) (Williams 2008): :func:`_smr`.

**Utility** (option ``utility_norms``): the population EQ-5D norm at the cycle's mid-age, times
the post-ICU multiplier 1 − decrement / norm(age at day 90) (Karlsson 2009's absolute decrement
of 0.12 applied multiplicatively, as Ara & Brazier 2011 advise, so no utility turns negative):
French EQ-5D-5L norms (``france_eq5d5l``, Gautier 2023, with an assumed linear age slope) or
the English EQ-5D-3L equation (``england_ara_brazier``, Ara & Brazier 2010). Norms are capped
at 1 (full health).

**Costs** (option ``post_icu_costs``): health-care costs per survivor by year since day 90,
:func:`care_cost_by_year`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.polynomial.hermite_e import hermegauss

from hecon.model.calibration import solve
from hecon.model.lifetable import SEXES, LifeTable
from hecon.model.parameters import ParameterSets

YEAR_DAYS = 365.25
POST_ICU_MORTALITY = ("excess_hazard", "smr")
POST_ICU_COSTS = ("related", "all_cause")
UTILITY_NORMS = ("france_eq5d5l", "england_ara_brazier")
#: years after day 90 of the cumulative-mortality targets; the excess hazard holds until the
#: last one, the hazard ratio on the life table after it
TARGET_YEARS = (1, 3, 5)
LATE_YEAR = TARGET_YEARS[-1]
#: the shape equation R(k) runs from 10/3 (k → 0) to 2 (k → ∞); Newton's tolerance on it
SHAPE_BOUNDS = (2.0, 10.0 / 3.0)
SHAPE_TOLERANCE = 1e-13
#: the cumulative hazard above which survival, e^(−H), is below the smallest normal double (≈ 708.4)
NEGLIGIBLE_HAZARD = -np.log(np.finfo(float).tiny)


# ---------------------------------------------------------------- the cohort

def _age_nodes(params: ParameterSets, n_nodes: int, prefix: str = ""):
    """Ages at randomisation [sets, nodes] and weights [nodes] of a normal age distribution
    (Gauss–Hermite quadrature, probabilists' version; ages clipped to 18–99)."""
    z, w = hermegauss(n_nodes) if n_nodes > 1 else (np.zeros(1), np.ones(1))
    ages = params[f"{prefix}age_mean"][:, None] + params[f"{prefix}age_sd"][:, None] * z[None, :]
    return np.clip(ages, 18.0, 99.0), w / w.sum()


def _cohort(params: ParameterSets, options, prefix: str = ""):
    """The sub-cohorts of day-90 survivors: (sex index, male 0/1, ages at day 90 [sets, nodes],
    weights [sets, nodes]) for each sex; the weights of both sexes sum to one. ``prefix``
    ``"mortality_targets_"``: the age and sex mix the mortality targets describe instead."""
    ages, node_weight = _age_nodes(params, options.age_nodes, prefix)
    ages = ages + options.hospital_days / YEAR_DAYS
    male_share = params[f"{prefix}p_male"]
    for sex, name in enumerate(SEXES):
        share = male_share if name == "male" else 1 - male_share
        yield sex, float(name == "male"), ages, share[:, None] * node_weight[None, :]


def population_survival(params: ParameterSets, options, table: LifeTable, years, prefix: str = "") -> np.ndarray:
    """The cohort's survival t years after day 90 at the life table's rates alone [sets, len(years)]:
    S̄(t) = Σ_sex Σ_node w · exp(−[Λ(x + t) − Λ(x)]), Λ the table's cumulative hazard
    (``prefix``: of the population the mortality targets describe, see :func:`_cohort`)."""
    years = np.asarray(years, dtype=float)
    total = 0.0
    for sex, _, ages, weight in _cohort(params, options, prefix):
        x = ages[..., None]
        survival = np.exp(table.cumulative_hazard(x, sex) - table.cumulative_hazard(x + years, sex))
        total = total + np.einsum("snt,sn->st", survival, weight)
    return total


# ---------------------------------------------------------------- mortality after day 90

def mortality_targets(params: ParameterSets) -> np.ndarray:
    """Cumulative mortality 1, 3 and 5 years after day 90 [sets, 3] from the table's
    parameterisation, which keeps every PSA draw a decreasing survival curve of stable shape:
    m₁ = ``target_mortality_1y_after_icu``; m₅ = m₁ + (1 − m₁)·q, q the probability of death in
    years 1–5 of 1-year survivors (``target_mortality_1y_to_5y_after_icu``); m₃ = m₁ + s·(m₅ − m₁),
    s the share of those deaths that occur by year 3 (``target_mortality_share_1y_to_3y``)."""
    m1 = params["target_mortality_1y_after_icu"]
    m5 = m1 + (1 - m1) * params["target_mortality_1y_to_5y_after_icu"]
    m3 = m1 + params["target_mortality_share_1y_to_3y"] * (m5 - m1)
    return np.stack([m1, m3, m5], axis=-1)


@dataclass(frozen=True)
class ExcessHazard:
    """The excess hazard of death λ(t) = a·e^(−k·t) + c a year, t years since day 90 (t < 5),
    arrays [sets]; NaN where no decaying excess hazard reproduces the targets, with the reason
    (``""`` where calibrated)."""

    a: np.ndarray
    k: np.ndarray
    c: np.ndarray
    reasons: np.ndarray

    def _columns(self, t):
        t = np.asarray(t, dtype=float)
        a, k, c = (np.reshape(v, np.shape(v) + (1,) * t.ndim) for v in (self.a, self.k, self.c))
        return a, k, c, t

    def rate(self, t) -> np.ndarray:
        """λ(t) a year [sets, *t.shape], e.g. ``rate(0.0) / YEAR_DAYS`` for a daily hazard at day 90."""
        a, k, c, t = self._columns(t)
        return a * np.exp(-k * t) + c

    def cumulative(self, t) -> np.ndarray:
        """E(t) = ∫₀ᵗ λ = a·(1 − e^(−k·t))/k + c·t [sets, *t.shape]."""
        a, k, c, t = self._columns(t)
        return a * _decay_integral(k, t) + c * t


def _decay_integral(k, t):
    """g_k(t) = ∫₀ᵗ e^(−k·s) ds = (1 − e^(−k·t))/k, accurate for small k·t."""
    return -np.expm1(-k * t) / k


def _shape(k) -> np.ndarray:
    """R(k) = (g(5) − 5·g(1)) / (g(3) − 3·g(1)), which falls from 10/3 (k → 0) to 2 (k → ∞)."""
    g1, g3, g5 = (_decay_integral(k, t) for t in TARGET_YEARS)
    return (g5 - 5 * g1) / (g3 - 3 * g1)


def calibrate_excess_hazard(params: ParameterSets, options, table: LifeTable) -> ExcessHazard:
    """(a, k, c) of every set such that survivors reproduce its mortality targets at 1, 3, 5 years.

    The targets describe ICU survivors of a given age and sex mix (``mortality_targets_age_mean``,
    ``…_age_sd``, ``…_p_male``; in the base case the cohort's own): what carries over to a
    cohort of another age is the excess hazard, added to that cohort's own life-table rates
    (relative survival). The excess is common to every age and sex, so that population's
    survival is S(t) = S̄(t)·e^(−E(t)) (:func:`population_survival`) and the targets m_i fix the
    cumulative excess hazards E_i = ln(S̄(t_i) / (1 − m_i)) at t = 1, 3, 5. With g(t) = (1 − e^(−kt))/k,
    E(t) = a·g(t) + c·t is linear in a and c; eliminating them leaves one equation in k,

        R(k) = (g(5) − 5·g(1)) / (g(3) − 3·g(1)) = (E₅ − 5E₁) / (E₃ − 3E₁),

    solved for ln k by Newton's method for all sets at once
    (:func:`hecon.model.calibration.solve`); then a = (E₃ − 3E₁)/(g(3) − 3g(1)) and
    c = E₁ − a·g(1). R falls from 10/3 to 2 as k grows, so a decaying excess (a > 0, k > 0)
    exists exactly when E₃ < 3E₁ and 2 < R < 10/3 — the mean excess hazard falls from year 1
    to years 1–3 and again, less steeply, to years 3–5 — and it stays an excess when c ≥ 0.
    Targets outside these bounds are reported with the reason, never clipped.
    """
    targets = mortality_targets(params)
    with np.errstate(divide="ignore", invalid="ignore"):
        background = population_survival(params, options, table, TARGET_YEARS, "mortality_targets_")
        excess = np.log(background / (1 - targets))
        e1, e3, e5 = excess.T
        ratio = (e5 - 5 * e1) / (e3 - 3 * e1)
    reasons = np.full(params.n, "", dtype=object)
    checks = [
        (~((targets[:, 0] > 0) & (np.diff(targets, axis=-1) > 0).all(-1) & (targets[:, -1] < 1)),
         "mortality targets after day 90 must rise: 0 < 1-year < 3-year < 5-year < 1"),
        (~(e3 < 3 * e1) | ~(ratio < SHAPE_BOUNDS[1]),
         "the mortality targets after day 90 need an excess hazard falling too slowly after year 1 "
         "for an exponential decay"),
        (~(ratio > SHAPE_BOUNDS[0]),
         "the mortality targets after day 90 need an excess hazard that does not fall from years 1–3 "
         "to years 3–5"),
    ]
    for failed, message in reversed(checks):
        reasons[failed] = message
    log_k = np.full(params.n, np.nan)
    feasible = np.flatnonzero(reasons == "")
    if feasible.size:
        def residual(x, rows):
            return _shape(np.exp(np.clip(x, -20, 5))) - ratio[feasible[rows], None]  # ln k kept in [-20, 5]

        solution = solve(residual, np.zeros((feasible.size, 1)), tol=SHAPE_TOLERANCE)
        log_k[feasible] = np.where(solution.converged, solution.x[:, 0], np.nan)
        reasons[feasible[~solution.converged]] = "no decaying excess hazard reproduces the mortality targets"
    k = np.exp(log_k)
    g1, g3 = _decay_integral(k, 1.0), _decay_integral(k, 3.0)
    a = (e3 - 3 * e1) / (g3 - 3 * g1)
    c = e1 - a * g1
    negative = (reasons == "") & (c < 0)
    reasons[negative] = [f"the mortality targets after day 90 leave a negative excess hazard by year 5 "
                         f"(c = {v:.3g} a year): population mortality alone nearly reaches them" for v in c[negative]]
    bad = reasons != ""
    reasons[bad] = [f"{reason} (targets {m[0]:.3g} / {m[1]:.3g} / {m[2]:.3g} at 1 / 3 / 5 years)"
                    for reason, m in zip(reasons[bad], targets[bad], strict=True)]
    return ExcessHazard(*(np.where(bad, np.nan, v) for v in (a, k, c)), reasons)


def _smr(params: ParameterSets, n_cycles: int) -> np.ndarray:
    """SMR of each yearly cycle after day 90 [sets, cycles]: year 1, then a linear path from
    ``smr_year2`` (year 2) to ``smr_late`` (year ``smr_late_year``), constant after."""
    k = np.arange(n_cycles)[None, :]
    span = np.maximum(params["smr_late_year"][:, None] - 1, 1)
    path = params["smr_year2"][:, None] + (params["smr_late"] - params["smr_year2"])[:, None] * np.clip((k - 1) / span, 0, 1)
    return np.where(k == 0, params["smr_year1"][:, None], path)


def mortality_ratio(params: ParameterSets, options, year: int) -> np.ndarray:
    """The survivors' force of mortality over the life table's in the ``year``-th year after day
    90, once the excess hazard has given way (year > 5) [sets]: ``hr_mortality_after_5y``
    (excess hazard form) or that year's SMR (SMR form)."""
    if options.post_icu_mortality == "smr":
        return _smr(params, year)[:, year - 1]
    return params["hr_mortality_after_5y"]


def _life_table_by_age(table: LifeTable, sex: int, n_cycles: int) -> tuple[np.ndarray, np.ndarray]:
    """The life table's C_{x+k} − C_x and μ_{x+k} − μ_x for whole ages x = 0 … closing age and
    k = 0 … K [ages, K + 1] (μ the table's piecewise-constant force, C_x = Σ_{y<x} μ_y; ages
    past the table keep its closing force): what :func:`_life_table_cumulative` reads."""
    hazard = np.concatenate([table.hazard[sex], np.full(n_cycles, table.hazard[sex][-1])])
    knots = np.concatenate([[0.0], np.cumsum(hazard)])
    ages = table.closing_age + 1
    return tuple(window[:ages] - window[:ages, :1]
                 for window in (sliding_window_view(v, n_cycles + 1) for v in (knots, hazard)))


def _life_table_cumulative(by_age: tuple[np.ndarray, np.ndarray], ages: np.ndarray) -> np.ndarray:
    """The life table's cumulative hazard from day 90, L_k = Λ(a + k) − Λ(a), k = 0 … K
    [sets, nodes, K + 1], of sub-cohorts aged a = ⌊a⌋ + f at day 90:
    L_k = C_{⌊a⌋+k} − C_{⌊a⌋} + f·(μ_{⌊a⌋+k} − μ_{⌊a⌋}), both read from ``by_age``
    (:func:`_life_table_by_age`)."""
    whole = np.floor(ages).astype(int)
    cumulative = by_age[1][whole]
    cumulative *= (ages - whole)[..., None]
    cumulative += by_age[0][whole]
    return cumulative


def _mortality_after_table(params: ParameterSets, excess: ExcessHazard | None, n_cycles: int):
    """What the survivors' hazard adds to the life table's, per set (the arguments of
    :func:`_survival` after the table's hazard): the excess E(1) … E(e) [sets, e], e = min(K, 5),
    and the hazard ratio from year 5 [sets] (excess-hazard form); or None and the SMR of each
    cycle [sets, K] (SMR form, ``excess`` None)."""
    if excess is None:
        return None, _smr(params, n_cycles)
    return excess.cumulative(np.arange(1.0, min(n_cycles, LATE_YEAR) + 1)), params["hr_mortality_after_5y"]


def _survival(cumulative: np.ndarray, excess: np.ndarray | None, ratio: np.ndarray) -> np.ndarray:
    """S_k = e^(−H_k), k = 0 … K [sets, nodes, K + 1], from the life table's cumulative hazard
    L_k (``cumulative``, changed in place into S) and :func:`_mortality_after_table`.

    Excess hazard: H_k = L_k + E(k) until year e = 5, then H_e + HR·(L_k − L_e) (the hazard ratio
    ``hr_mortality_after_5y`` on the table's rates). SMR form (``excess`` None):
    H_k = Σ_{i<k} SMR_i·(L_{i+1} − L_i). A survival below the smallest normal double (H above
    :data:`NEGLIGIBLE_HAZARD`) is 0: it weighs nothing, and subnormal numbers make every operation
    on them tens of times slower.
    """
    if excess is None:
        steps = np.diff(cumulative, axis=-1)
        steps *= ratio[:, None, :]
        np.cumsum(steps, axis=-1, out=cumulative[..., 1:])
    else:
        early = excess.shape[-1]
        late = cumulative[..., early + 1:]
        late *= ratio[:, None, None]
        late += (cumulative[..., early] * (1 - ratio[:, None]) + excess[:, -1:])[..., None]
        cumulative[..., 1: early + 1] += excess[:, None, :]
    negligible = cumulative > NEGLIGIBLE_HAZARD  # False for NaN, which stays NaN
    np.negative(cumulative, out=cumulative)
    np.exp(cumulative, out=cumulative, where=~negligible)
    np.copyto(cumulative, 0.0, where=negligible)
    return cumulative


# ---------------------------------------------------------------- utility and costs

def norm_polynomial(params: ParameterSets, options, ages: np.ndarray, male: float):
    """The population EQ-5D norm of one sex aged x₀ + t, ``ages`` = x₀ [sets, nodes], as a
    polynomial in t: (c₀, c₁, c₂) with norm = c₀ + c₁·t + c₂·t², each [sets, nodes].

    ``france_eq5d5l``: u_sex − slope·(x − x̄), u_sex the French means by sex (Gautier 2023: men
    0.915, women 0.895) at the survey's mean age x̄, the slope an assumption (the age × sex
    table was not retrieved). ``england_ara_brazier``: b0 + b1·male + b2·x + b3·x² (Ara &
    Brazier 2010, EQ-5D-3L, England). Both fall with age over adult ages.
    """
    p = {name: params[name][:, None] for name in params}
    if options.utility_norms == "france_eq5d5l":
        at_mean = male * p["utility_norm_fr_male"] + (1 - male) * p["utility_norm_fr_female"]
        slope = p["utility_norm_fr_age_slope"]
        c0, c1, c2 = at_mean - slope * (ages - p["utility_norm_fr_mean_age"]), -slope, 0.0
    else:
        b2, b3 = p["utility_norm_age"], p["utility_norm_age2"]
        c0 = p["utility_norm_intercept"] + p["utility_norm_male"] * male + b2 * ages + b3 * ages**2
        c1, c2 = b2 + 2 * b3 * ages, b3
    return tuple(np.broadcast_to(c, np.shape(ages)) for c in (c0, c1, c2))


def utility_norm(params: ParameterSets, options, ages: np.ndarray, male: float, years=0.0) -> np.ndarray:
    """The norm [sets, nodes, *years.shape] ``years`` after day 90, capped at 1 (full health)."""
    years = np.asarray(years, dtype=float)
    c0, c1, c2 = (np.reshape(c, np.shape(c) + (1,) * years.ndim) for c in norm_polynomial(params, options, ages, male))
    return np.minimum(c0 + c1 * years + c2 * years**2, 1.0)


def care_cost_by_year(params: ParameterSets, options, n_cycles: int) -> np.ndarray:
    """Health-care cost per survivor in each year after day 90 [sets, cycles].

    ``related`` (base case): the excess over a survivor's pre-morbid costs, falling with time —
    year 1, year 2, years 3–5, then ``cost_post_discharge_after_year5``. ``all_cause``: every
    cost (Schmidt 2022) in years 1 and 2, then ``cost_post_discharge_all_cause_later``. Zero
    from the hospital perspective.
    """
    k = np.arange(n_cycles)
    if options.post_icu_costs == "related":
        names = ["cost_post_discharge_year1", "cost_post_discharge_year2", "cost_post_discharge_years3_5",
                 "cost_post_discharge_after_year5"]
        period = np.select([k == 0, k == 1, k < LATE_YEAR], [0, 1, 2], default=3)
    else:
        names = ["cost_post_discharge_all_cause_year1", "cost_post_discharge_all_cause_year2",
                 "cost_post_discharge_all_cause_later"]
        period = np.minimum(k, 2)
    rates = np.stack([params[name] for name in names], axis=-1) * float(options.perspective == "health_system")
    return np.ascontiguousarray(rates[:, period])  # C order whatever the batch: einsum sums in one order


def first_year_care_cost(params: ParameterSets, options) -> np.ndarray:
    """The first-year cost rate per survivor-year [sets] of the option ``post_icu_costs`` (also the
    daily rate, /365.25, of days at home before day 90); zero from the hospital perspective."""
    return care_cost_by_year(params, options, 1)[:, 0]


# ---------------------------------------------------------------- the phase

def _on_survival(weights: np.ndarray, correction: str) -> np.ndarray:
    """Weights of the survival points S_0 … S_K [..., K + 1] that give Σ_k M_k·w_k for cycle
    weights w [..., K]: M_k = (S_k + S_{k+1})/2, so S_j carries (w_{j−1} + w_j)/2 (``none``:
    M_k = S_k, so S_j carries w_j and S_K nothing)."""
    pad = np.zeros(weights.shape[:-1] + (1,))
    if correction == "none":
        return np.concatenate([weights, pad], axis=-1)
    return 0.5 * (np.concatenate([pad, weights], axis=-1) + np.concatenate([weights, pad], axis=-1))


def _quality_sums(survival, life, effects, moment_weights, coefficients, times, correction) -> list[np.ndarray]:
    """Σ_k M_k·w_k·min(1, norm_k) [sets, nodes] for each cycle weight w of ``effects``,
    norm_k = c₀ + c₁·t_k + c₂·t_k² (``life``: the sums Σ_k M_k·w_k already made;
    ``moment_weights``: the survival points' weights of w·t and w·t², :func:`_on_survival`).

    The polynomial gives c₀·Σ M w + c₁·Σ M w t + c₂·Σ M w t², each one pass over the survival
    points; then the part above full health is taken off, for the few sub-cohorts whose norm
    exceeds 1 (young ages; the norms fall with age, so at the first or last cycle).
    """
    c0, c1, c2 = coefficients
    sums = []
    for total, powers in zip(life, moment_weights, strict=True):
        moments = [total, *(np.einsum("snj,j->sn", survival, w) for w in powers)]
        sums.append(c0 * moments[0] + c1 * moments[1] + c2 * moments[2])
    ends = times[[0, -1]]
    above = np.nonzero((c0[..., None] + c1[..., None] * ends + c2[..., None] * ends**2 > 1).any(-1))
    if above[0].size:
        norm = c0[above][:, None] + c1[above][:, None] * times + c2[above][:, None] * times**2
        for total, w in zip(sums, effects, strict=True):
            total[above] -= np.einsum("mj,mj->m", survival[above], _on_survival(w * np.maximum(norm - 1, 0), correction))
    return sums


#: sets whose survival curves are built and summed together, so that a block's [sets, nodes,
#: cycles] arrays stay in the processor's cache (each set's sums read its own rows only)
BLOCK_SETS = 512


def long_term_per_survivor(params: ParameterSets, options, table: LifeTable,
                           excess: ExcessHazard | None = None) -> dict[str, np.ndarray]:
    """Life years, QALYs and care costs per day-90 survivor [sets], undiscounted and discounted.

    Yearly cycle k counts the life-table membership M_k = (S_k + S_{k+1})/2 (``none``: S_k),
    discounted at its middle, t_k = k + ½ years after day 90; its utility is the norm at the
    mid-age x₀ + t_k (capped at 1) × (1 − decrement / norm(x₀)), x₀ the age at day 90; its cost
    the year's (:func:`care_cost_by_year`). ``excess``: the excess hazard, calibrated here when
    not given (``post_icu_mortality = "excess_hazard"``). Returns also ``survival`` (the
    cohort's S_k, sexes and age nodes weighted) and ``reasons`` (why a set's mortality targets
    cannot be reproduced, ``""`` where they are; its outcomes are NaN). The survival curves are
    built :data:`BLOCK_SETS` sets at a time and every sum is an einsum over one axis, never
    BLAS, so a set's results do not depend on the batch.
    """
    if options.post_icu_mortality == "smr":
        excess, reasons = None, np.full(params.n, "", dtype=object)
    else:
        excess = calibrate_excess_hazard(params, options, table) if excess is None else excess
        reasons = excess.reasons
    start = options.hospital_days / YEAR_DAYS
    lifetime = table.closing_age + 1 - 18
    n_cycles = lifetime if options.horizon_years is None else min(lifetime, round(options.horizon_years))
    keys = [f"{k}{s}" for k in ("life_years", "qalys", "care_cost") for s in ("", "_disc")]
    if n_cycles == 0:
        return {**dict.fromkeys(keys, np.zeros(params.n)), "survival": np.ones((params.n, 1)), "reasons": reasons}
    mid = np.arange(n_cycles) + 0.5
    effects = [np.ones(n_cycles), options.discount(options.discount_rate_effects).factor(start + mid)]
    life_weights = [_on_survival(w, options.correction) for w in effects]
    moment_weights = [[_on_survival(w * mid**power, options.correction) for power in (1, 2)] for w in effects]
    cost = care_cost_by_year(params, options, n_cycles)
    costs = [_on_survival(c, options.correction)
             for c in (cost, cost * options.discount(options.discount_rate_costs).factor(start + mid))]
    excess_by_year, ratio = _mortality_after_table(params, excess, n_cycles)
    decrement = params["utility_decrement_post_icu"][:, None]
    cohort = [(_life_table_by_age(table, sex, n_cycles), ages, weight, norm_polynomial(params, options, ages, male),
               1 - decrement / utility_norm(params, options, ages, male))
              for sex, male, ages, weight in _cohort(params, options)]
    totals = {**{key: np.zeros(params.n) for key in keys}, "survival": np.zeros((params.n, n_cycles + 1))}
    for first in range(0, params.n, BLOCK_SETS):
        rows = slice(first, first + BLOCK_SETS)
        for by_age, ages, weight, norm, scale in cohort:
            survival = _survival(_life_table_cumulative(by_age, ages[rows]),
                                 None if excess_by_year is None else excess_by_year[rows], ratio[rows])
            life = [np.einsum("snj,j->sn", survival, w) for w in life_weights]
            quality = _quality_sums(survival, life, effects, moment_weights, [c[rows] for c in norm], mid,
                                    options.correction)
            for key, value in zip(keys, [*life, *(scale[rows] * q for q in quality),
                                         *(np.einsum("snj,sj->sn", survival, c[rows]) for c in costs)], strict=True):
                totals[key][rows] += (value * weight[rows]).sum(-1)
            totals["survival"][rows] += np.einsum("snk,sn->sk", survival, weight[rows])
    return {**totals, "reasons": reasons}

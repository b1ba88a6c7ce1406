"""Interferon-gamma 1b versus placebo for ICU patients with sustained acquired immunosuppression.

Model concept: ``docs/ifn_gamma.md``. Three phases, every one vectorised over parameter sets:

1. **Days 0–10** (:data:`TREE`): each strategy's serious adverse events (a relative risk on
   the placebo rate); the whole cohort enters the ICU Markov model in ``icu_never_infected``
   (the trial excludes uncontrolled infection at screening). Immune restoration at day 10 is
   reported, not a driver (:func:`immune_restoration_d10`).
2. **Hospital phase, daily cycles to day 90**: eight states (:data:`STATES`) with competing
   daily hazards turned into probabilities by the competing-risks formula. The placebo-arm
   hazards are *calibrated* for every parameter set to its placebo targets (first-infection
   incidence, recurrences, ICU and day-90 mortality, ICU and hospital stay), see
   :func:`calibrate`; IFN-γ multiplies the infection hazard by a hazard ratio within an
   effect window.
3. **Long-term phase, yearly cycles from day 90 to a lifetime horizon**
   (:mod:`hecon_models._ifn_gamma_long_term`): day-90 survivors die at the French life table's
   rate plus an excess hazard decaying with time since discharge, calibrated to ICU-survivor
   cohorts (then a hazard ratio from year 5); utility is the age/sex norm reduced by a post-ICU
   decrement; post-ICU care costs fall with years since discharge.

Every number a reviewer might change is in the inputs folder ``hecon_models/inputs/ifn_gamma/`` (or
the one given with ``--inputs DIR``): ``parameters.csv``, the life tables, the price index and
``validation_targets.csv`` (the external evidence :func:`validation` checks the model against).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.model import Effect
from hecon.model.lifetable import LifeTable
from hecon.model.markov import DiscountSchedule
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterSets, ParameterTable
from hecon.model.prices import PriceIndex
from hecon.model.tree import Decision, Terminal, rollback
from hecon.model.validation import TARGETS_FILE, read_validation_targets
from hecon_models import _ifn_gamma_hospital as hospital
from hecon_models._ifn_gamma_long_term import (
    POST_ICU_COSTS,
    POST_ICU_MORTALITY,
    UTILITY_NORMS,
    YEAR_DAYS,
    ExcessHazard,
    calibrate_excess_hazard,
    first_year_care_cost,
    long_term_per_survivor,
    mortality_ratio,
)

TITLE = "IFN-γ 1b vs placebo in ICU patients with sustained acquired immunosuppression"
STRATEGIES = ("placebo", "ifn_gamma")
COMPARATOR = "placebo"
EFFECTS = (
    Effect("qalys_disc", "QALY gained", "QALY"),
    Effect("life_years_disc", "life year gained", "life year"),
    Effect("infection_episodes", "infection episode avoided", "infection episode", higher_is_better=False),
    Effect("patients_infected", "patient kept free of infection at day 90", "patient kept free of infection",
           higher_is_better=False),
    Effect("day90_deaths", "day-90 death averted", "day-90 death", higher_is_better=False),
)
STRATEGY_LABELS = {"placebo": "Standard care (placebo)", "ifn_gamma": "IFN-γ 1b"}
#: the trial's binary endpoints by day 90 (NCT06774235: secondary infection, the primary endpoint, and
#: day-90 death): per strategy, the probability of ≥ 1 episode and of death (``hecon evsi``)
TRIAL_ENDPOINTS = {"infection": "patients_infected", "mortality": "day90_deaths"}
#: the model's own inputs folder (the loader's rule: inputs/<name>/ beside the file); a run
#: given another (--inputs DIR) reads every file from that one: load_parameters and input_files
#: are passed it, evaluate and validation read it in ``Options.input_dir``
INPUT_DIR = Path(__file__).parent / "inputs" / "ifn_gamma"
PRICE_PARAMETER = "price_ifn_vial"  # for the threshold (value-based) price
DECISION_PROBLEM = (
    "Adults in ICU for at least a week after multiple organ failure (SOFA ≥ 6), expected to stay more "
    "than 10 more days, with sustained acquired immunosuppression (monocyte HLA-DR < 8000 antibodies per "
    "cell and lymphocytes < 1000/mm³; trial NCT06774235, France). Should standard care plus interferon-γ 1b "
    "(100 µg subcutaneously every 48 h, at most 5 doses, days 1–9, after mHLA-DR screening) replace standard "
    "care (placebo)? French health-system perspective (hospital costs and post-discharge care), euros of "
    "2024, HAS reference case: discounting 2.5 % a year (1.5 % beyond 30 years), lifetime horizon, QALYs "
    "with an EQ-5D population norm. Secondary outcomes: infection episodes and infected patients by day 90, "
    "ICU and day-90 deaths, ICU and hospital days, immune restoration at day 10. No trial results exist "
    "yet: the treatment effect is the trial's design hypothesis (an assumption).")

#: the states of the trace and of the diagram (an episode's phases shown as one state)
STATES = hospital.REPORTED
#: the hospital chain's states and the dead by place: what a simulated patient moves through
CHAIN_STATES = (*hospital.CHAIN, *STATES[-3:])
#: allowed transitions and a layout, for the state diagram of the report
EDGES = [(STATES[a], STATES[b]) for a, b in ((0, 1), (0, 5), (0, 3), (1, 2), (1, 5), (1, 3), (2, 1),
                                             (2, 5), (2, 3), (3, 6), (3, 4), (4, 7))]
POSITIONS = {"icu_never_infected": (0, 2), "icu_infected": (1, 3), "icu_after_infection": (2, 2),
             "ward": (1, 1), "home": (2, 0), "dead_icu": (1, 4), "dead_ward": (0, 0), "dead_home": (3, 0)}

#: the within-cycle corrections of the long-term phase's yearly life-table counting (the
#: hospital phase integrates time in each state exactly, in continuous time)
CLOSED_FORM_CORRECTIONS = ("none", "half-cycle", "trapezoid", "simpson")


@dataclass(frozen=True)
class Arm:
    """What distinguishes a strategy: IFN-γ given or not, screening and monitoring or not, the
    relative risk of a serious adverse event it carries (``None``: the placebo rate) and its
    day-10 immune-restoration parameter (a reported outcome that drives nothing, see
    :func:`immune_restoration_d10`). A third strategy is one more entry in ARMS."""

    treated: bool
    screened: bool
    rr_sae: str | None
    p_restoration: str


ARMS = {
    "placebo": Arm(treated=False, screened=False, rr_sae=None, p_restoration="p_restoration_d10_placebo"),
    "ifn_gamma": Arm(treated=True, screened=True, rr_sae="rr_sae_ifn", p_restoration="p_restoration_d10_ifn"),
}


def serious_adverse_events(params, arm: Arm) -> np.ndarray:
    """Serious adverse events per patient in ``arm``, all causes: the placebo rate r₀ times the
    arm's relative risk, r = r₀·RR (PREV-HAP, Roquilly 2023: 17/54 placebo, 24/55 IFN-γ).

    One RR draw moves the arm with the placebo rate, so the events the drug causes,
    r₀·(RR − 1), are drawn coherently (never two independent arm rates). A rate, not a
    probability: r₀·RR may exceed 1 in a draw, and r₀·(RR − 1) is negative when RR < 1."""
    rate = params["p_sae_placebo"]
    return rate * params[arm.rr_sae] if arm.rr_sae else rate


def immune_restoration_d10(params) -> np.ndarray:
    """Share of patients with mHLA-DR above 8000 AB/C at day 10 [sets, strategies]: the arm's
    probability, reported as the trial's secondary outcome. It drives no hazard, cost or QALY:
    the infection hazard ratio is IFN-γ's whole effect, and no evidence makes restoration a
    surrogate of fewer infections (``docs/ifn_gamma.md``, "Immune restoration at day 10")."""
    return np.stack([params[ARMS[s].p_restoration] for s in STRATEGIES], axis=-1)


#: Days 0–10: every strategy hands its whole cohort to the ICU model in ``icu_never_infected``
#: (the trial excludes uncontrolled infection at screening) with its serious adverse events as
#: expected events per patient: ``sae`` (all causes) and ``sae_background`` (the placebo rate,
#: which the ``drug_related`` costing subtracts). Expected counts rather than a chance node,
#: because r₀·RR is a rate (see :func:`serious_adverse_events`).
TREE = Decision("strategy", {
    name: Terminal(f"{name}_enters_icu", {"sae": partial(serious_adverse_events, arm=arm),
                                          "sae_background": "p_sae_placebo"}, state="icu_never_infected")
    for name, arm in ARMS.items()
})
#: Which serious adverse events are costed (and carry ``qaly_loss_sae``): ``drug_related`` (the
#: excess over the placebo rate, r₀·(RR − 1), in the treated arms only) or ``all_cause`` (every
#: event, in every arm: model v1)
ADVERSE_EVENTS = ("drug_related", "all_cause")
#: How an ICU day is valued: ``average`` (Lefrant's average day × the late-day factor) or
#: ``marginal`` (its variable cost: Lefrant's average × the marginal share, Kahn 2008)
ICU_DAY_COSTS = ("average", "marginal")


def icu_day_cost(p, options: Options):
    """Cost of one modelled ICU day, the same in every ICU state and arm.

    ``average``: c = c_Lefrant × f_late, Lefrant 2015's average ICU day (€1,425 in 2009 euros,
    in euros of the price year) times the late-day factor (every modelled day is at or after
    ICU day 7: no early-day premium, Dasta 2005; fewer organ failures than the average day,
    whose cost rises with SOFA, Lefrant 2015). ``marginal``: c = c_Lefrant × s, the variable
    cost of an extra day as a share s of the average day (Kahn 2008: 20–45 %); s already
    describes a late day, so it replaces f_late."""
    factor = p["icu_late_day_factor"] if options.icu_day_cost == "average" else p["icu_marginal_cost_share"]
    return p["cost_icu_day"] * factor

LIFE_TABLES = {"insee_2020_2022": "france_life_table.csv",
               "eurostat_2023": "france_life_table_eurostat2023.csv"}
PERSPECTIVES = ("health_system", "hospital")
INFECTION_EFFECTS = ("hazard_ratios", "attributable")


@dataclass(frozen=True)
class Options:
    """Options of the analysis (HAS reference case by default).

    Discounting: ``discount_rate_costs`` / ``discount_rate_effects`` a year until
    ``discount_switch_years``, then ``discount_rate_after_switch`` (HAS 2020: 2.5 %, 1.5 %
    beyond 30 years). ``horizon_years``: ``None`` = lifetime; 0 = day 90 (within-trial).
    ``perspective``: ``health_system`` (HAS) or ``hospital`` (no post-discharge care).
    ``age_nodes``: Gauss–Hermite nodes of the normal age distribution (1 = everyone at the
    mean age). ``infection_effects``: the hazard ratios of ICU death and discharge from an
    infection's onset to ICU exit — ``attributable`` (the base case: calibrated, draw by draw,
    so that each episode adds ``target_extra_icu_days_per_episode`` ICU days and infection
    kills ``target_attributable_icu_mortality`` of the infected, against the same patients
    never infected) or ``hazard_ratios`` (Melsen 2013's, from the table). ``correction``: the
    long-term phase's counting of its yearly cycles (the hospital phase integrates time in
    each state exactly, in continuous time).
    ``price_year`` and ``price_series``: euros of that year, converted with the INSEE consumer
    price index. ``adverse_events``: which serious adverse events are costed
    (:data:`ADVERSE_EVENTS`). ``icu_day_cost``: how an ICU day is valued (:data:`ICU_DAY_COSTS`,
    :func:`icu_day_cost`). ``input_dir``: the inputs folder the life tables and validation
    targets are read from, set by the loader to the run's (``--inputs DIR``), never by a scenario.
    """

    discount_rate_costs: float = 0.025
    discount_rate_effects: float = 0.025
    discount_rate_after_switch: float = 0.015
    discount_switch_years: float = 30.0
    horizon_years: float | None = None
    correction: str = "half-cycle"
    perspective: str = "health_system"
    life_table: str = "insee_2020_2022"
    age_nodes: int = 5
    price_year: int = 2024
    price_series: str = "all_items"
    hospital_days: int = 90
    dose_days: tuple[int, ...] = (1, 3, 5, 7, 9)
    infection_effects: str = "attributable"
    #: mortality after day 90: life table + a decaying excess hazard calibrated to ICU-survivor
    #: cohorts (``excess_hazard``) or life table × SMR (``smr``); see _ifn_gamma_long_term
    post_icu_mortality: str = "excess_hazard"
    #: care costs after discharge: ``related`` (excess, falling to 0 after year 5) or ``all_cause``
    post_icu_costs: str = "related"
    #: population EQ-5D norms: ``france_eq5d5l`` (Gautier 2023) or ``england_ara_brazier``
    utility_norms: str = "france_eq5d5l"
    adverse_events: str = "drug_related"
    icu_day_cost: str = "average"
    input_dir: str = str(INPUT_DIR)

    def __post_init__(self) -> None:
        rates = (self.discount_rate_costs, self.discount_rate_effects, self.discount_rate_after_switch)
        if any(not (0 <= r < 1) for r in rates):
            raise ValueError("discount rates must be in [0, 1) (e.g. 0.025 for 2.5 %)")
        if self.correction not in CLOSED_FORM_CORRECTIONS:
            raise ValueError(f"correction must be one of {', '.join(CLOSED_FORM_CORRECTIONS)}")
        if self.perspective not in PERSPECTIVES:
            raise ValueError(f"perspective must be one of {', '.join(PERSPECTIVES)}")
        if self.life_table not in LIFE_TABLES:
            raise ValueError(f"life_table must be one of {', '.join(LIFE_TABLES)}")
        if self.horizon_years is not None and self.horizon_years < 0:
            raise ValueError("horizon_years must be ≥ 0 (0 = day 90) or empty for lifetime")
        if not 1 <= self.age_nodes <= 20:
            raise ValueError("age_nodes must be between 1 and 20")
        if not 30 <= self.hospital_days <= 365:
            raise ValueError("hospital_days must be between 30 and 365")
        if any(not 0 <= d < self.hospital_days for d in self.dose_days):
            raise ValueError("dose_days must be days within the hospital phase")
        if self.infection_effects not in INFECTION_EFFECTS:
            raise ValueError(f"infection_effects must be one of {', '.join(INFECTION_EFFECTS)}")
        if self.adverse_events not in ADVERSE_EVENTS:
            raise ValueError(f"adverse_events must be one of {', '.join(ADVERSE_EVENTS)}")
        if self.icu_day_cost not in ICU_DAY_COSTS:
            raise ValueError(f"icu_day_cost must be one of {', '.join(ICU_DAY_COSTS)}")
        for name, allowed in (("post_icu_mortality", POST_ICU_MORTALITY), ("post_icu_costs", POST_ICU_COSTS),
                              ("utility_norms", UTILITY_NORMS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")

    def discount(self, rate: float) -> DiscountSchedule:
        return DiscountSchedule((rate, self.discount_rate_after_switch), (self.discount_switch_years,))


# ---------------------------------------------------------------- inputs

def input_files(options: Options, input_dir: Path = INPUT_DIR) -> dict[str, Path]:
    """The files read, all from ``input_dir``: the parameter table, the price index, the life
    table of the options and the validation targets."""
    return {"parameters": input_dir / "parameters.csv",
            "price_index": input_dir / "france_cpi.csv",
            "life_table": input_dir / LIFE_TABLES[options.life_table],
            "validation_targets": input_dir / TARGETS_FILE}


def load_parameters(options: Options, input_dir: Path = INPUT_DIR, table_file: Path | None = None) -> ParameterTable:
    """The parameter table (``table_file``, default ``input_dir/parameters.csv``) with every cost
    converted to euros of ``options.price_year``."""
    index = PriceIndex.load(input_dir / "france_cpi.csv", series=options.price_series)
    table = ParameterTable.load(table_file or input_dir / "parameters.csv")
    return table.in_price_year(options.price_year, index)


def life_table(options: Options) -> LifeTable:
    """The life table ``options.life_table`` of the inputs folder ``options.input_dir``."""
    path = Path(options.input_dir) / LIFE_TABLES[options.life_table]
    return _read_life_table(path, path.stat().st_mtime_ns if path.is_file() else None)


@lru_cache(maxsize=4)
def _read_life_table(path: Path, modified: int | None) -> LifeTable:
    """A life table read once per file and modification (an edited file is read again)."""
    return LifeTable.load(path)


# ---------------------------------------------------------------- hospital phase (hecon_models._ifn_gamma_hospital)

def survivors_excess(params: ParameterSets, options: Options) -> ExcessHazard | None:
    """The excess hazard of ICU survivors, calibrated once per batch for the hospital phase's
    home deaths and the long-term phase (:func:`~hecon_models._ifn_gamma_long_term.calibrate_excess_hazard`);
    None with ``post_icu_mortality = "smr"``."""
    if options.post_icu_mortality == "smr":
        return None
    return calibrate_excess_hazard(params, options, life_table(options))


def home_death_hazard(params: ParameterSets, options: Options, table: LifeTable,
                      excess: ExcessHazard | None) -> np.ndarray:
    """Daily hazard of death at home before day 90: the life table's force of mortality at the
    mean age (sexes weighted) plus the survivors' ``excess`` hazard at discharge, λ(0), or ×
    the first-year SMR (``post_icu_mortality = "smr"``). A set whose excess hazard cannot be
    calibrated is reported by the long-term phase; here it takes the population rate."""
    age = params["age_mean"]
    yearly = sum(
        weight * (table.cumulative_hazard(age + 1, sex) - table.cumulative_hazard(age, sex))
        for sex, weight in enumerate((params["p_male"], 1 - params["p_male"]))
    )
    if options.post_icu_mortality == "smr":
        return yearly * params["smr_year1"] / YEAR_DAYS
    at_discharge = excess.rate(0.0)
    return (yearly + np.where(np.isfinite(at_discharge), at_discharge, 0.0)) / YEAR_DAYS


#: the placebo targets of the calibration, in order: the ICU's, then the ward's two
TARGETS = (*hospital.ICU_TARGETS, "post_icu_hospital_days", "ward_death_after_icu")


def placebo_targets(params: ParameterSets) -> np.ndarray:
    """The placebo-arm targets [sets, 8] in the order of :data:`TARGETS`: the ward's are the
    hospital days after the ICU per randomised patient and the deaths on the ward per patient
    leaving the ICU alive, both to day 90 (day-90 mortality, which adds the deaths at home, is a
    validation check)."""
    return np.stack([
        params["target_p_first_infection_d90"], params["target_recurrences_per_infected"],
        params["target_p_icu_death"], params["target_icu_los"], params["target_extra_icu_days_per_episode"],
        params["target_attributable_icu_mortality"], params["target_post_icu_hospital_days"],
        params["target_p_ward_death_after_icu"],
    ], axis=-1)


def calibrate(params: ParameterSets, options: Options, excess: ExcessHazard | None = None) -> hospital.Calibration:
    """The placebo hazards of every set (:func:`hecon_models._ifn_gamma_hospital.calibrate`):
    with ``infection_effects="attributable"`` the infected-state hazard ratios are solved from
    the extra ICU days and the attributable ICU mortality of an episode; with
    ``"hazard_ratios"`` they are Melsen 2013's, from the table. ``excess``: the survivors'
    excess hazard when already calibrated (:func:`survivors_excess`)."""
    excess = survivors_excess(params, options) if excess is None else excess
    home_death = home_death_hazard(params, options, life_table(options), excess)
    return hospital.calibrate(params, placebo_targets(params), home_death,
                              attributable=options.infection_effects == "attributable",
                              horizon_days=options.hospital_days)


def treatment_effect(params: ParameterSets) -> hospital.TreatmentEffect:
    """IFN-γ's hazard ratios on the infection hazards and (a direct effect, a scenario) on the
    ICU death hazards within its effect window, by strategy."""
    return hospital.TreatmentEffect(params["hr_infection_ifn"], params["effect_window_days"],
                                    _strategy_flags("treated"), params["hr_death_ifn_direct"])


def hospital_transitions(params: ParameterSets, hz: hospital.Hazards):
    """``day -> P`` [sets, strategies, S, S]: the daily transition matrices over
    :data:`CHAIN_STATES` (the chain and the dead by place), e^Q of each day (for simulating
    patients: ``hecon_models._ifn_gamma_trial``)."""
    return hospital.DayMatrices(hz.column(), treatment_effect(params), len(CHAIN_STATES)).transitions


# ---------------------------------------------------------------- the model

LABELS = {
    "drug": "IFN-γ doses", "administration": "Administration", "monitoring": "mHLA-DR and lymphocyte monitoring",
    "adverse_events": "Serious adverse events (costed)", "icu_not_infected": "ICU days, not infected",
    "icu_infected": "ICU days, infected", "infection_treatment": "Infection episode treatment",
    "ward": "Ward days", "readmission": "ICU readmissions (ICU days above the ward's cost)",
    "post_discharge_d90": "Post-discharge care to day 90",
    "long_term_care": "Long-term care after day 90", "total_cost": "Total cost",
    "infection_episodes": "Infection episodes per patient (day 90)",
    "patients_infected": "Patients with ≥ 1 episode (day 90)",
    "ward_infection_episodes": "Ward-acquired infection episodes per patient (day 90)",
    "icu_readmissions": "ICU readmissions per patient (day 90)", "icu_deaths": "ICU deaths",
    "day90_deaths": "Day-90 deaths", "icu_days": "ICU days (first stay; readmissions apart)", "hospital_days": "Hospital days",
    "immune_restored_d10": "Immune restoration at day 10 (reported only)",
    "serious_adverse_events": "Serious adverse events per patient (all causes)",
    "ifn_doses": "IFN-γ doses given", "life_years": "Life years", "life_years_disc": "Life years (discounted)",
    "qalys": "QALYs", "qalys_disc": "QALYs (discounted)",
}
#: the chain's states by what they cost and how they are valued
ICU, WARD, HOME = hospital.ICU, hospital.WARD, [hospital.H]
ICU_NOT_INFECTED, ICU_INFECTED = [hospital.N, hospital.A], hospital.INFECTED
ALIVE = list(range(len(hospital.CHAIN)))


def _strategy_flags(attribute: str) -> np.ndarray:
    return np.array([float(getattr(ARMS[s], attribute)) for s in STRATEGIES])


def _doses(params: ParameterSets, trace: np.ndarray, treated: np.ndarray, discount: np.ndarray,
           dose_days: tuple[int, ...]):
    """Doses given [sets, strategies], undiscounted and discounted: a scheduled dose is given
    if the patient is alive in ICU that day, up to ``ifn_doses_max`` doses (fractional maxima
    give the last dose partially, keeping the parameter continuous for sensitivity analyses)."""
    days = np.asarray(dose_days)
    allowed = np.clip(params["ifn_doses_max"][:, None] - np.arange(len(days))[None, :], 0, 1)
    in_icu = trace[:, :, days][..., ICU].sum(-1) * allowed[:, None, :] * treated[None, :, None]
    return in_icu.sum(-1), (in_icu * discount[days]).sum(-1)


def evaluate(params: ParameterSets, options: Options) -> Outcomes:
    """Costs and consequences of every strategy for a batch of parameter sets.

    The placebo hazards are calibrated set by set (:func:`calibrate`); sets whose calibration
    fails get NaN outcomes and a row in ``Outcomes.problems``.
    """
    excess = survivors_excess(params, options)
    return evaluate_with_hazards(params, options, calibrate(params, options, excess), excess)


def _ward_infections_bounded(calibration: hospital.Calibration, params: ParameterSets) -> hospital.Calibration:
    """The sets whose ward infections, at IFN-γ's hazard ratio when it exceeds 1 (a harmful
    effect), would add a ward day per ward day (HR·h_w·x_w ≥ 1: a negative discharge hazard,
    :func:`hecon_models._ifn_gamma_hospital.ward_hazards`), reported as not evaluable."""
    hz = calibration.hazards
    factor = np.maximum(params["hr_infection_ifn"], 1.0)
    unbounded = calibration.converged & (factor * hz.ward_infection * hz.ward_extra_days >= 1)
    if not unbounded.any():
        return calibration
    reason = ("IFN-gamma's hazard ratio above 1 makes ward infections add more ward days than a ward day "
              "(hazard ratio x ward infection hazard x extra days >= 1)")
    return dataclasses.replace(calibration, converged=calibration.converged & ~unbounded,
                               reasons=np.where(unbounded, reason, calibration.reasons))


def evaluate_with_hazards(params: ParameterSets, options: Options, calibration: hospital.Calibration,
                          excess: ExcessHazard | None = None) -> Outcomes:
    """The model for given placebo hazards (calibrated, or chosen by a verification test);
    ``excess``: the survivors' excess hazard when already calibrated (else calibrated here)."""
    T = options.hospital_days
    calibration = _ward_infections_bounded(calibration, params)
    ok = calibration.converged
    treated, screened = _strategy_flags("treated"), _strategy_flags("screened")
    tree = rollback(TREE, params, states=STATES, n_sets=params.n)
    cost_discount = options.discount(options.discount_rate_costs)
    mid_day = (np.arange(T) + 0.5) / YEAR_DAYS
    run = hospital.hospital_phase(calibration.hazards.where(ok), treatment_effect(params), T, {
        "costs": cost_discount.factor(mid_day),
        "effects": options.discount(options.discount_rate_effects).factor(mid_day)}, daily=params.n == 1)
    occ, occ_c, occ_e = (run.time[w] for w in ("undiscounted", "costs", "effects"))
    events = run.events
    trace = run.trace
    alive_end = trace[:, :, T, ALIVE].sum(-1)
    doses, doses_disc = _doses(params, trace, treated, cost_discount.factor(np.arange(T + 1) / YEAR_DAYS),
                               options.dose_days)
    long_term = long_term_per_survivor(params, options, life_table(options), excess)
    unreachable = ok & (long_term["reasons"] != "")  # mortality targets after day 90 no excess hazard fits
    ok = ok & ~unreachable
    calibration = dataclasses.replace(
        calibration, reasons=np.where(unreachable, long_term["reasons"], calibration.reasons))
    p = {name: params[name][:, None] for name in params}
    tests = (1 / p["p_eligible_among_screened"] + p["n_mhladr_tests_ifn"]) * (p["cost_mhladr_test"] + p["cost_lymphocyte_count"])

    def days(occupancy, states):
        return occupancy[..., states].sum(-1)

    sae_costed = tree.payoffs["sae"] - (options.adverse_events == "drug_related") * tree.payoffs["sae_background"]
    icu_day = icu_day_cost(p, options)
    costs = {
        "drug": doses_disc * p["price_ifn_vial"],
        "administration": doses_disc * p["cost_administration_per_dose"],
        "monitoring": screened[None, :] * tests,
        "adverse_events": sae_costed * p["cost_sae"],
        "icu_not_infected": icu_day * days(occ_c, ICU_NOT_INFECTED),
        "icu_infected": icu_day * days(occ_c, ICU_INFECTED),
        "infection_treatment": p["cost_infection_episode"] * events["episodes"]["costs"],
        "ward": p["cost_ward_day"] * days(occ_c, WARD),
        "readmission": (icu_day - p["cost_ward_day"]) * p["readmission_icu_days"] * events["readmissions"]["costs"],
        "post_discharge_d90": first_year_care_cost(params, options)[:, None] / YEAR_DAYS * days(occ_c, HOME),
        "long_term_care": alive_end * long_term["care_cost_disc"][:, None],
    }

    def qalys(occupancy, readmissions):
        """Hospital-phase QALYs: days × utility by place, readmission days at the ICU's utility."""
        readmitted_days = p["readmission_icu_days"] * readmissions
        return (p["utility_icu_day"] * (days(occupancy, ICU) + readmitted_days)
                + p["utility_ward_day"] * (days(occupancy, WARD) - readmitted_days)
                + p["utility_home_to_d90"] * days(occupancy, HOME)) / YEAR_DAYS - sae_costed * p["qaly_loss_sae"]

    consequences = {
        "infection_episodes": events["episodes"]["undiscounted"],
        "patients_infected": events["first_episodes"]["undiscounted"],
        "ward_infection_episodes": events["ward_episodes"]["undiscounted"],
        "icu_readmissions": events["readmissions"]["undiscounted"],
        "icu_deaths": run.deaths[..., 0],
        "day90_deaths": run.deaths.sum(-1),
        "icu_days": days(occ, ICU),
        "hospital_days": days(occ, ICU + WARD),
        "immune_restored_d10": immune_restoration_d10(params),
        "serious_adverse_events": tree.payoffs["sae"],
        "ifn_doses": doses,
        "life_years": days(occ, ALIVE) / YEAR_DAYS + alive_end * long_term["life_years"][:, None],
        "life_years_disc": days(occ_e, ALIVE) / YEAR_DAYS + alive_end * long_term["life_years_disc"][:, None],
        "qalys": qalys(occ, events["readmissions"]["undiscounted"]) + alive_end * long_term["qalys"][:, None],
        "qalys_disc": qalys(occ_e, events["readmissions"]["effects"]) + alive_end * long_term["qalys_disc"][:, None],
    }
    invalid = ~ok[:, None]
    costs = {k: np.where(invalid, np.nan, v) for k, v in costs.items()}
    consequences = {k: np.where(invalid, np.nan, v) for k, v in consequences.items()}
    problems = pd.DataFrame({"set": np.flatnonzero(~ok), "reason": calibration.reasons[~ok]})
    details = {"trace": _trace_frame(run, alive_end, long_term)} if params.n == 1 else {}
    return Outcomes(STRATEGIES, costs, consequences, LABELS, details, problems)


def _trace_frame(run: hospital.HospitalPhase, alive_end: np.ndarray, long_term: dict) -> pd.DataFrame:
    """The daily trace (an episode's phases summed; the dead by place, cumulated from each
    day's deaths) and the yearly survival of one parameter set, tidy, per strategy."""
    frames = []
    chain = run.trace[0]                                                       # [strategies, T + 1, chain]
    dead = np.concatenate([np.zeros((chain.shape[0], 1, 3)), np.cumsum(run.daily_deaths[0], axis=1)], axis=1)
    reported = np.concatenate([chain[..., [hospital.N]], chain[..., hospital.INFECTED].sum(-1, keepdims=True),
                               chain[..., [hospital.A]], chain[..., hospital.WARD].sum(-1, keepdims=True),
                               chain[..., [hospital.H]], dead], axis=-1)
    for j, strategy in enumerate(STRATEGIES):
        daily = pd.DataFrame(reported[j], columns=list(STATES))
        daily.insert(0, "cycle", np.arange(len(daily)))
        daily.insert(0, "phase", "hospital (daily)")
        daily.insert(0, "strategy", strategy)
        daily.insert(3, "time_years", daily["cycle"] / YEAR_DAYS)
        survival = long_term["survival"][0] * alive_end[0, j]
        yearly = pd.DataFrame({"strategy": strategy, "phase": "long term (yearly)",
                               "cycle": np.arange(len(survival)),
                               "time_years": (len(daily) - 1) / YEAR_DAYS + np.arange(len(survival)),
                               "alive": survival, "dead": 1 - survival})
        frames += [daily, yearly]
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- verification and validation

def _calibrated_values(calibration: hospital.Calibration, placebo: dict, trace: pd.DataFrame,
                       options: Options) -> list[float]:
    """The model's values of the calibration targets (:data:`TARGETS`): the ICU's in closed form
    at the calibrated hazards (incidence, deaths and days to day 90; recurrences, extra days and
    attributable deaths over the ICU stay); the hospital days after the ICU and the deaths on the
    ward per patient leaving the ICU alive from the model's own run (``placebo``: the placebo
    arm's outcomes; ``trace``: the daily trace, whose day 90 gives the deaths by place)."""
    hz = calibration.hazards
    icu = hospital.icu_outcomes(hz.first_infection, hz.recurrence, hz.icu_death, hz.icu_discharge,
                                hz.hr_death_infected, hz.hr_discharge_infected, hz.episode_days,
                                options.hospital_days)[0]
    day90 = trace[(trace.strategy == COMPARATOR) & trace.phase.str.startswith("hospital")].iloc[-1]
    left_icu_alive = 1 - day90["dead_icu"] - day90[list(STATES[:3])].sum()
    return [*icu, placebo["hospital_days"] - placebo["icu_days"], day90["dead_ward"] / left_icu_alive]


def validation(table: ParameterTable, options: Options) -> pd.DataFrame:
    """TECH-VER checks of the base case: calibration targets reproduced, traces, and the
    model's implied values against external evidence it was not calibrated to.

    Columns ``check, kind, model, target, low, high, passed, source``. Calibration checks pass
    within 0.001 (proportions) or 0.1 day (stays); external checks pass inside the range of
    their row of ``validation_targets.csv`` in the inputs folder (a check without a row is not
    reported).
    """
    params = table.base_case()
    calibration = calibrate(params, options)
    base = evaluate_with_hazards(params, options, calibration)
    no_infection = dataclasses.replace(calibration.hazards, first_infection=np.zeros(1), recurrence=np.zeros(1))
    clean = evaluate_with_hazards(params, options, dataclasses.replace(calibration, hazards=no_infection))
    placebo = STRATEGIES.index(COMPARATOR)
    got = {name: base[name][0, placebo] for name in base.names}
    rows = []
    calibrated = _calibrated_values(calibration, got, base.details["trace"], options)
    for name, value, target in zip(TARGETS, calibrated, placebo_targets(params)[0], strict=True):
        tolerance = 0.1 if name.endswith(("los", "days", "days_per_episode")) else 0.001
        rows.append((f"placebo {name.replace('_', ' ')}", "calibration", value, target,
                     target - tolerance, target + tolerance, "parameter table"))
    trace = base.details["trace"]
    daily = trace[trace.phase.str.startswith("hospital")][list(STATES)].to_numpy()
    rows.append(("trace rows sum to one (max deviation)", "internal", np.abs(daily.sum(1) - 1).max(),
                 0.0, 0.0, 1e-9, "TECH-VER"))
    rows.append(("trace entries within [0, 1] (min, as deviation below 0)", "internal",
                 max(0.0, -daily.min()), 0.0, 0.0, 1e-12, "TECH-VER"))
    episodes = got["infection_episodes"] - got["ward_infection_episodes"]   # acquired in the ICU
    implied = {
        "extra_icu_days_per_episode": (got["icu_days"] - clean["icu_days"][0, placebo]) / episodes,
        "attributable_icu_mortality": (got["icu_deaths"] - clean["icu_deaths"][0, placebo]) / calibrated[0],
        "day90_mortality": got["day90_deaths"],
    }
    survival = base.details["trace"]
    alive = survival[(survival.strategy == COMPARATOR) & survival.phase.str.startswith("long")]["alive"].to_numpy()
    for years in (1, 3, 5):
        implied[f"mortality_{years}y_after_day90"] = 1 - alive[years] / alive[0] if len(alive) > years else np.nan
    # the same mortality against cohorts the excess hazard is not calibrated to, and the late tail
    for years, cohort in ((1, "sepsis_survivors"), (3, "french_sepsis_survivors"), (5, "scottish_icu_survivors")):
        implied[f"mortality_{years}y_after_day90_{cohort}"] = implied[f"mortality_{years}y_after_day90"]
    implied["mortality_ratio_15y_after_day90"] = mortality_ratio(params, options, 15)[0]
    external = read_validation_targets(Path(options.input_dir) / TARGETS_FILE, tuple(implied))
    for name, check in external.items():
        rows.append((name.replace("_", " "), "external", implied[name], check.target, check.low, check.high,
                     check.source))
    frame = pd.DataFrame(rows, columns=["check", "kind", "model", "target", "low", "high", "source"])
    frame.insert(6, "passed", (frame["model"] >= frame["low"]) & (frame["model"] <= frame["high"]))
    return frame

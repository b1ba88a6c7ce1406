"""Interferon-gamma 1b versus placebo for ICU patients with sustained acquired immunosuppression.

Model concept: ``docs/ifn_gamma.md``. Three phases, every one vectorised over parameter sets:

1. **Decision tree, days 0–10** (:data:`TREE`): serious adverse event of treatment, then immune
   restoration (mHLA-DR > 8000 AB/C) at day 10; every path enters the ICU Markov model in
   ``icu_never_infected`` (the trial excludes uncontrolled infection at screening).
2. **Hospital phase, daily cycles to day 90**: eight states (:data:`STATES`) with competing
   daily hazards turned into probabilities by the competing-risks formula. The placebo-arm
   hazards are *calibrated* for every parameter set to its placebo targets (first-infection
   incidence, recurrences, ICU and day-90 mortality, ICU and hospital stay), see
   :func:`calibrate`; IFN-γ multiplies the infection hazard by a hazard ratio within an
   effect window.
3. **Long-term phase, yearly cycles from day 90 to a lifetime horizon**: day-90 survivors die
   at the French life table's rate × an SMR that falls with years since discharge; utility is
   the age/sex norm reduced by a post-ICU decrement; post-ICU care costs by year.

Every number a reviewer might change is in the inputs folder ``hecon_models/inputs/ifn_gamma/`` (or
the one given with ``--inputs DIR``): ``parameters.csv``, the life tables, the price index and
``validation_targets.csv`` (the external evidence :func:`validation` checks the model against).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.model import Effect
from hecon.model.calibration import solve
from hecon.model.lifetable import LifeTable
from hecon.model.markov import DAY, DiscountSchedule, cycle_weights, run_cohort
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterSets, ParameterTable
from hecon.model.prices import PriceIndex
from hecon.model.rates import competing_risks
from hecon.model.tree import COMPLEMENT, Branch, Chance, Decision, Terminal, rollback
from hecon.model.validation import TARGETS_FILE, read_validation_targets
from hecon_models._ifn_gamma_long_term import YEAR_DAYS, long_term_per_survivor

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

STATES = ("icu_never_infected", "icu_infected", "icu_after_infection", "ward", "home",
          "dead_icu", "dead_ward", "dead_home")
N, I, A, W, H, DI, DW, DH = range(len(STATES))  # noqa: E741 (state indices)
ICU_STATES = [N, I, A]
#: allowed transitions and a layout, for the state diagram of the report
EDGES = [(STATES[a], STATES[b]) for a, b in ((N, I), (N, DI), (N, W), (I, A), (I, DI), (I, W), (A, I),
                                             (A, DI), (A, W), (W, DW), (W, H), (H, DH))]
POSITIONS = {"icu_never_infected": (0, 2), "icu_infected": (1, 3), "icu_after_infection": (2, 2),
             "ward": (1, 1), "home": (2, 0), "dead_icu": (1, 4), "dead_ward": (0, 0), "dead_home": (3, 0)}

#: the within-cycle corrections whose occupancy the hospital phase computes in closed form
#: (``_occupancy_weights_closed_form``); counting at the end of each cycle is not one of them
CLOSED_FORM_CORRECTIONS = ("none", "half-cycle", "trapezoid", "simpson")


@dataclass(frozen=True)
class Arm:
    """What distinguishes a strategy: IFN-γ given or not, screening and monitoring or not, and
    the names of its arm-specific parameters. A third strategy is one more entry in ARMS."""

    treated: bool
    screened: bool
    p_sae: str
    p_restoration: str


ARMS = {
    "placebo": Arm(treated=False, screened=False, p_sae="p_sae_placebo",
                   p_restoration="p_restoration_d10_placebo"),
    "ifn_gamma": Arm(treated=True, screened=True, p_sae="p_sae_ifn",
                     p_restoration="p_restoration_d10_ifn"),
}

#: Days 0–10: serious adverse event, then immune restoration at day 10; all enter the ICU model.
TREE = Decision("strategy", {
    name: Chance("serious_adverse_event", (
        Branch("sae", arm.p_sae, Chance("restored_d10", (
            Branch("restored", arm.p_restoration,
                   Terminal("sae_restored", {"restored": 1.0}, state="icu_never_infected")),
            Branch("not_restored", COMPLEMENT, Terminal("sae_not_restored", state="icu_never_infected")),
        )), payoffs={"sae": 1.0, "cost_sae": "cost_sae", "qaly_loss": "qaly_loss_sae"}),
        Branch("no_sae", COMPLEMENT, Chance("restored_d10", (
            Branch("restored", arm.p_restoration,
                   Terminal("restored", {"restored": 1.0}, state="icu_never_infected")),
            Branch("not_restored", COMPLEMENT, Terminal("not_restored", state="icu_never_infected")),
        ))),
    ))
    for name, arm in ARMS.items()
})

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
    mean age). ``infection_effects``: how an episode changes ICU death and discharge —
    ``hazard_ratios`` (Melsen 2013's daily hazard ratios, from the table) or ``attributable``
    (the two hazard ratios calibrated so that each episode adds ``target_extra_icu_days_per_episode``
    ICU days and ``target_attributable_icu_mortality`` deaths per infected patient).
    ``price_year`` and ``price_series``: euros of that year, converted with the INSEE consumer
    price index. ``input_dir``: the inputs folder the life tables and validation targets are
    read from, set by the loader to the run's (``--inputs DIR``), never by a scenario.
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
    infection_effects: str = "hazard_ratios"
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


# ---------------------------------------------------------------- hazards

@dataclass(frozen=True)
class Hazards:
    """Daily hazards of the hospital phase, arrays [sets] (placebo arm)."""

    first_infection: np.ndarray   # icu_never_infected -> icu_infected
    recurrence: np.ndarray        # icu_after_infection -> icu_infected
    icu_death: np.ndarray         # not infected
    icu_discharge: np.ndarray     # not infected
    ward_death: np.ndarray
    ward_discharge: np.ndarray
    home_death: np.ndarray
    resolution: np.ndarray        # 1 / mean episode duration
    hr_death_infected: np.ndarray
    hr_discharge_infected: np.ndarray


def transition_matrix(hz: Hazards, infection_factor=1.0, death_factor=1.0) -> np.ndarray:
    """Daily transition probabilities [..., 8, 8] from the hazards, by competing risks.

    Hazard arrays and the IFN-γ factors (multiplying the infection and ICU death hazards)
    broadcast together: e.g. hazards [sets, 1] with factors [sets, strategies].
    p_i = h_i / H · (1 − e^(−H)) for the k exits of a state with total hazard H.
    """
    mu = hz.icu_death * death_factor
    rows = {
        N: ([I, DI, W], [hz.first_infection * infection_factor, mu, hz.icu_discharge]),
        I: ([A, DI, W], [hz.resolution, mu * hz.hr_death_infected,
                         hz.icu_discharge * hz.hr_discharge_infected]),
        A: ([I, DI, W], [hz.recurrence * infection_factor, mu, hz.icu_discharge]),
        W: ([DW, H], [hz.ward_death, hz.ward_discharge]),
        H: ([DH], [hz.home_death]),
    }
    shape = np.broadcast_shapes(*(np.shape(h) for _, hs in rows.values() for h in hs))
    out = np.zeros(shape + (len(STATES), len(STATES)))
    for source, (targets, hazards) in rows.items():
        exits = competing_risks(np.stack([np.broadcast_to(h, shape) for h in hazards], axis=-1))
        out[..., source, targets] = exits
        out[..., source, source] = 1.0 - exits.sum(axis=-1)
    for absorbing in (DI, DW, DH):
        out[..., absorbing, absorbing] = 1.0
    return out


def home_death_hazard(params: ParameterSets, table: LifeTable) -> np.ndarray:
    """Daily hazard of death at home before day 90: the life table's force of mortality at the
    mean age (sexes weighted) × the first-year SMR of ICU survivors."""
    age = params["age_mean"]
    yearly = sum(
        weight * (table.cumulative_hazard(age + 1, sex) - table.cumulative_hazard(age, sex))
        for sex, weight in enumerate((params["p_male"], 1 - params["p_male"]))
    )
    return yearly * params["smr_year1"] / YEAR_DAYS


# ---------------------------------------------------------------- calibration

TARGETS = ("first_infection", "recurrences_per_infected", "icu_death", "icu_los",
           "day90_death", "hospital_los", "extra_icu_days_per_episode", "attributable_icu_mortality")
#: tolerances of the calibration: 1e-9 on proportions and episodes, 1e-7 day on stays
TOLERANCE = np.array([1e-9, 1e-9, 1e-9, 1e-7, 1e-9, 1e-7, 1e-7, 1e-9])


def placebo_targets(params: ParameterSets, attributable: bool = False) -> np.ndarray:
    """The placebo-arm targets [sets, 6] (8 with the ``attributable`` infection effects) in the
    order of :data:`TARGETS`.

    Day-90 mortality = p_icu + (1 − p_icu) · p(death after ICU by day 90); hospital stay =
    ICU stay + post-ICU hospital days (the table's conditional parameterisation keeps every
    PSA draw coherent: day-90 mortality ≥ ICU mortality, hospital ≥ ICU stay).
    """
    p_icu = params["target_p_icu_death"]
    targets = [
        params["target_p_first_infection_d90"],
        params["target_recurrences_per_infected"],
        p_icu,
        params["target_icu_los"],
        p_icu + (1 - p_icu) * params["target_p_death_after_icu_d90"],
        params["target_icu_los"] + params["target_post_icu_hospital_days"],
    ]
    if attributable:
        targets += [params["target_extra_icu_days_per_episode"], params["target_attributable_icu_mortality"]]
    return np.stack(targets, axis=-1)


def _occupancy_weights_closed_form(Q, m0, n_cycles: int, correction: str):
    """Σ_{t<T} m_t and Σ_t w_t m_t for a time-homogeneous chain m_t = m0 Qᵗ (transient block).

    With G = Σ_{t=0}^{T−1} Qᵗ = (I − Q)⁻¹(I − Qᵀ): flows use m0·G; occupancy adds the end
    point and applies the within-cycle correction's end weights (Simpson uses the sum over odd
    t, m0·Q·(I − Q²)⁻¹(I − Qᵀ), for an even number of cycles).
    """
    eye = np.eye(Q.shape[-1])
    QT = np.linalg.matrix_power(Q, n_cycles)
    y = np.linalg.solve(np.swapaxes(eye - Q, -1, -2), m0[..., None])[..., 0]
    flows = y - np.einsum("...i,...ij->...j", y, QT)
    m_end = np.einsum("...i,...ij->...j", m0, QT)
    whole = flows + m_end
    if correction == "none":
        occupancy = flows
    elif correction == "half-cycle":
        occupancy = whole - 0.5 * m0
    elif correction == "trapezoid":
        occupancy = whole - 0.5 * m0 - 0.5 * m_end
    else:  # simpson, even number of cycles
        m0Q = np.einsum("...i,...ij->...j", m0, Q)
        z = np.linalg.solve(np.swapaxes(eye - Q @ Q, -1, -2), m0Q[..., None])[..., 0]
        odd = z - np.einsum("...i,...ij->...j", z, QT)
        occupancy = (2 * whole + 2 * odd - m0 - m_end) / 3
    return flows, occupancy


def placebo_outcomes(P: np.ndarray, n_cycles: int, correction: str,
                     uninfected: np.ndarray | None = None) -> np.ndarray:
    """The calibrated outcomes [m, 6] of a time-homogeneous daily matrix P [m, 8, 8]; with the
    matrix of the same patients never infected (``uninfected``), also the extra ICU days per
    episode and the attributable ICU mortality per infected patient [m, 8]."""
    transient = [N, I, A, W, H]
    Q = P[..., :5, :5]
    m0 = np.zeros(P.shape[:-2] + (5,))
    m0[..., N] = 1.0
    flows, occupancy = _occupancy_weights_closed_form(Q, m0, n_cycles, correction)
    first = flows[..., N] * P[..., N, I]
    episodes = first + flows[..., A] * P[..., A, I]
    icu_death = sum(flows[..., s] * P[..., s, DI] for s in ICU_STATES)
    day90_death = icu_death + flows[..., W] * P[..., W, DW] + flows[..., H] * P[..., H, DH]
    icu_los = occupancy[..., [transient.index(s) for s in ICU_STATES]].sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        recurrences = (episodes - first) / first
    outcomes = [first, recurrences, icu_death, icu_los, day90_death, icu_los + occupancy[..., W]]
    if uninfected is not None:
        clean = placebo_outcomes(uninfected, n_cycles, correction)
        outcomes += [(icu_los - clean[..., 3]) / episodes, (icu_death - clean[..., 2]) / first]
    return np.stack(outcomes, axis=-1)


@dataclass(frozen=True)
class Calibration:
    hazards: Hazards
    converged: np.ndarray   # [sets] bool
    reasons: np.ndarray     # [sets] str, "" where calibrated


def _initial_guess(targets: np.ndarray) -> np.ndarray:
    """Continuous-time approximations of the six hazards (log scale), ignoring the day-90
    truncation and the infection effects: exit rate 1/LOS split by the outcome proportions."""
    ci, rec, p_icu, los, p_d90, hosp = targets.T[:6]
    exit_icu = 1 / los
    p_ward = np.clip((p_d90 - p_icu) / np.maximum(1 - p_icu, 1e-9), 1e-6, 1 - 1e-6)
    exit_ward = np.maximum(1 - p_icu, 1e-6) / np.maximum(hosp - los, 1e-6)
    guess = np.stack([
        ci / np.maximum(1 - ci, 1e-6) * exit_icu,
        rec / (1 + rec) * exit_icu * 2,
        p_icu * exit_icu,
        (1 - p_icu) * exit_icu,
        p_ward * exit_ward,
        (1 - p_ward) * exit_ward,
        *([np.full(len(targets), 0.3), np.full(len(targets), 2.0)] if targets.shape[1] == 8 else []),
    ], axis=-1)
    return np.log(np.maximum(guess, 1e-8))


def _feasibility(targets: np.ndarray, horizon_days: int) -> np.ndarray:
    """Reasons why targets cannot be reproduced by any hazards, "" where they can be tried."""
    ci, rec, p_icu, los, p_d90, hosp = targets.T[:6]
    checks = [
        (~((ci > 0) & (ci < 1)), "first-infection incidence must be in (0, 1)"),
        (~(rec > 0), "recurrences per infected patient must be > 0"),
        (~((p_icu > 0) & (p_icu < 1)), "ICU mortality must be in (0, 1)"),
        (~((los > 0) & (los < horizon_days)), f"ICU stay must be in (0, {horizon_days}) days"),
        (~(p_d90 > p_icu), "day-90 mortality must exceed ICU mortality"),
        (~((hosp > los) & (hosp < horizon_days)),
         f"hospital stay must exceed ICU stay and stay below {horizon_days} days"),
    ]
    reasons = np.full(len(targets), "", dtype=object)
    for failed, message in reversed(checks):
        reasons[failed] = message
    return reasons


def calibrate(params: ParameterSets, options: Options) -> Calibration:
    """Solve the placebo-arm daily hazards of every parameter set from its targets.

    Unknowns (log scale): hazards of a first infection, of a recurrence, of ICU death and ICU
    discharge (not infected), of ward death and ward discharge. The episode duration and the
    post-discharge death hazard come from the literature, and so do the infected-state hazard
    ratios of ICU death and discharge (``infection_effects="hazard_ratios"``) — or those two
    are solved as well, from the attributable extra ICU days and ICU mortality of an episode
    (``"attributable"``: eight targets, eight unknowns). Solved by vectorised Newton iterations
    on the closed-form day-90 outcomes (:func:`placebo_outcomes`). Targets that no hazards
    reproduce are reported with the reason, never clipped.
    """
    attributable = options.infection_effects == "attributable"
    targets = placebo_targets(params, attributable)
    reasons = _feasibility(targets, options.hospital_days)
    fixed = {
        "home_death": home_death_hazard(params, life_table(options)),
        "resolution": 1 / params["episode_duration_mean"],
    }
    if not attributable:
        fixed |= {"hr_death_infected": params["hr_icu_death_infected"],
                  "hr_discharge_infected": params["hr_icu_discharge_infected"]}
    feasible = np.flatnonzero(reasons == "")
    x0 = _initial_guess(np.where(reasons[:, None] == "", targets, 0.5))

    def residual(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        sets = feasible[rows]  # log hazards kept within [e^-30, e^5] a day: chains stay regular
        hz = _hazards(np.exp(np.clip(x, -30, 5)), {k: v[sets] for k, v in fixed.items()})
        uninfected = None
        if attributable:
            zero = np.zeros(len(sets))
            uninfected = transition_matrix(dataclasses.replace(hz, first_infection=zero, recurrence=zero))
        return placebo_outcomes(transition_matrix(hz), options.hospital_days, options.correction,
                                uninfected) - targets[sets]

    x = np.full_like(x0, np.nan)
    if feasible.size:
        solution = solve(residual, x0[feasible], tol=TOLERANCE[: targets.shape[1]])
        x[feasible] = solution.x
        failed = feasible[~solution.converged]
        for row, res in zip(failed, solution.residual[~solution.converged], strict=True):
            worst = int(np.nanargmax(np.abs(res)))
            target = targets[row, worst]
            reasons[row] = (f"no hazards reproduce this combination of targets: closest {TARGETS[worst]} "
                            f"{target + res[worst]:.4g} for a target of {target:.4g}")
    converged = reasons == ""
    return Calibration(_hazards(np.exp(x), fixed), converged, reasons)


def _hazards(rates: np.ndarray, fixed: dict) -> Hazards:
    """Hazards from the solved rates (six, or eight with the two infected-state hazard ratios)
    and the fixed ones."""
    solved = ["first_infection", "recurrence", "icu_death", "icu_discharge", "ward_death", "ward_discharge",
              "hr_discharge_infected", "hr_death_infected"][: rates.shape[-1]]
    return Hazards(**{name: rates[..., j] for j, name in enumerate(solved)}, **fixed)


# ---------------------------------------------------------------- hospital phase

def _effect_factor(hr: np.ndarray, share: np.ndarray | float, treated: np.ndarray) -> np.ndarray:
    """Hazard multiplier of a day [sets, strategies] with ``share`` of it inside the effect
    window: 1 + share·(HR − 1), so the window length acts smoothly; 1 for untreated arms."""
    return 1.0 + np.asarray(share)[..., None] * treated * (hr[:, None] - 1.0)


def hospital_transitions(params: ParameterSets, hz: Hazards, treated: np.ndarray):
    """The daily transition matrices as a function of the cycle: [sets, strategies, 8, 8].

    Before the effect window ends the treated arms' infection hazard is × ``hr_infection_ifn``
    and their ICU death hazard × ``hr_death_ifn_direct``; matrices for the whole-day-inside,
    partial-day and outside cases are built once and selected per cycle.
    """
    window = params["effect_window_days"]
    hr_inf, hr_death = params["hr_infection_ifn"], params["hr_death_ifn_direct"]
    column = Hazards(*(np.asarray(v)[:, None] for v in vars(hz).values()))
    last_full = np.floor(window).astype(int)

    def matrices(share) -> np.ndarray:
        return transition_matrix(column, _effect_factor(hr_inf, share, treated),
                                 _effect_factor(hr_death, share, treated))

    inside = matrices(np.ones_like(window))
    partial = matrices(window - last_full)
    outside = transition_matrix(column)
    outside = np.broadcast_to(outside, inside.shape)

    last_change = int(last_full.max())
    full = (np.arange(last_change + 1)[:, None] < last_full[None, :])[..., None, None, None]
    part = (np.arange(last_change + 1)[:, None] == last_full[None, :])[..., None, None, None]

    def at(cycle: int) -> np.ndarray:
        if cycle > last_change:
            return outside
        return np.where(full[cycle], inside, np.where(part[cycle], partial, outside))

    return at


def _transition_counts() -> dict[str, np.ndarray]:
    """Transition rewards counting episodes (entries into icu_infected) and first episodes."""
    episodes = np.zeros((len(STATES), len(STATES)))
    episodes[[N, A], I] = 1.0
    first = np.zeros_like(episodes)
    first[N, I] = 1.0
    return {"episodes": episodes, "first_episodes": first}


# ---------------------------------------------------------------- the model

LABELS = {
    "drug": "IFN-γ doses", "administration": "Administration", "monitoring": "mHLA-DR and lymphocyte monitoring",
    "adverse_events": "Serious adverse events", "icu_not_infected": "ICU days, not infected",
    "icu_infected": "ICU days, infected", "infection_treatment": "Infection episode treatment",
    "ward": "Ward days", "post_discharge_d90": "Post-discharge care to day 90",
    "long_term_care": "Long-term care after day 90", "total_cost": "Total cost",
    "infection_episodes": "Infection episodes per patient (day 90)",
    "patients_infected": "Patients with ≥ 1 episode (day 90)", "icu_deaths": "ICU deaths",
    "day90_deaths": "Day-90 deaths", "icu_days": "ICU days", "hospital_days": "Hospital days",
    "immune_restored_d10": "Immune restoration at day 10", "serious_adverse_events": "Serious adverse events (n)",
    "ifn_doses": "IFN-γ doses given", "life_years": "Life years", "life_years_disc": "Life years (discounted)",
    "qalys": "QALYs", "qalys_disc": "QALYs (discounted)",
}
ALIVE = [N, I, A, W, H]


def _strategy_flags(attribute: str) -> np.ndarray:
    return np.array([float(getattr(ARMS[s], attribute)) for s in STRATEGIES])


def _doses(params: ParameterSets, trace: np.ndarray, treated: np.ndarray, discount: np.ndarray,
           dose_days: tuple[int, ...]):
    """Doses given [sets, strategies], undiscounted and discounted: a scheduled dose is given
    if the patient is alive in ICU that day, up to ``ifn_doses_max`` doses (fractional maxima
    give the last dose partially, keeping the parameter continuous for sensitivity analyses)."""
    days = np.asarray(dose_days)
    allowed = np.clip(params["ifn_doses_max"][:, None] - np.arange(len(days))[None, :], 0, 1)
    in_icu = trace[:, :, days][..., ICU_STATES].sum(-1) * allowed[:, None, :] * treated[None, :, None]
    return in_icu.sum(-1), (in_icu * discount[days]).sum(-1)


def evaluate(params: ParameterSets, options: Options) -> Outcomes:
    """Costs and consequences of every strategy for a batch of parameter sets.

    The placebo hazards are calibrated set by set (:func:`calibrate`); sets whose calibration
    fails get NaN outcomes and a row in ``Outcomes.problems``.
    """
    return evaluate_with_hazards(params, options, calibrate(params, options))


def evaluate_with_hazards(params: ParameterSets, options: Options, calibration: Calibration) -> Outcomes:
    """The model for given placebo hazards (calibrated, or chosen by a verification test)."""
    T = options.hospital_days
    ok = calibration.converged
    hz = Hazards(*(np.where(ok, v, 0.01) for v in vars(calibration.hazards).values()))
    treated, screened = _strategy_flags("treated"), _strategy_flags("screened")
    tree = rollback(TREE, params, states=STATES, n_sets=params.n)
    cost_discount = options.discount(options.discount_rate_costs)
    run = run_cohort(hospital_transitions(params, hz, treated), tree.state_distribution, T,
                     state_names=STATES, strategy_names=STRATEGIES,
                     transition_rewards=_transition_counts(), cycle_length=DAY,
                     discount=cost_discount, correction=options.correction, check=False)
    trace = run.trace
    t = np.arange(T + 1) / YEAR_DAYS
    weights = cycle_weights(T, options.correction)
    dc = cost_discount.factor(t)
    de = options.discount(options.discount_rate_effects).factor(t)
    occ, occ_c, occ_e = (np.einsum("nstk,t->nsk", trace, weights * d) for d in (1.0, dc, de))
    alive_end = trace[:, :, T, ALIVE].sum(-1)
    doses, doses_disc = _doses(params, trace, treated, dc, options.dose_days)
    long_term = long_term_per_survivor(params, options, life_table(options))
    p = {name: params[name][:, None] for name in params}
    health_system = float(options.perspective == "health_system")
    tests = (1 / p["p_eligible_among_screened"] + p["n_mhladr_tests_ifn"]) * (p["cost_mhladr_test"] + p["cost_lymphocyte_count"])
    costs = {
        "drug": doses_disc * p["price_ifn_vial"],
        "administration": doses_disc * p["cost_administration_per_dose"],
        "monitoring": screened[None, :] * tests,
        "adverse_events": tree.payoffs["cost_sae"],
        "icu_not_infected": p["cost_icu_day"] * (occ_c[..., N] + occ_c[..., A]),
        "icu_infected": (p["cost_icu_day"] + p["cost_icu_day_infected_extra"]) * occ_c[..., I],
        "infection_treatment": p["cost_infection_episode"] * run.discounted["episodes"],
        "ward": p["cost_ward_day"] * occ_c[..., W],
        "post_discharge_d90": health_system * p["cost_post_discharge_year1"] / YEAR_DAYS * occ_c[..., H],
        "long_term_care": alive_end * long_term["care_cost_disc"][:, None],
    }
    def qalys(occupancy):  # noqa: E306
        return (p["utility_icu_day"] * occupancy[..., ICU_STATES].sum(-1) + p["utility_ward_day"] * occupancy[..., W]
                + p["utility_home_to_d90"] * occupancy[..., H]) / YEAR_DAYS - tree.payoffs["qaly_loss"]
    consequences = {
        "infection_episodes": run.undiscounted["episodes"],
        "patients_infected": run.undiscounted["first_episodes"],
        "icu_deaths": trace[:, :, T, DI],
        "day90_deaths": trace[:, :, T, [DI, DW, DH]].sum(-1),
        "icu_days": occ[..., ICU_STATES].sum(-1),
        "hospital_days": occ[..., [N, I, A, W]].sum(-1),
        "immune_restored_d10": tree.payoffs["restored"],
        "serious_adverse_events": tree.payoffs["sae"],
        "ifn_doses": doses,
        "life_years": occ[..., ALIVE].sum(-1) / YEAR_DAYS + alive_end * long_term["life_years"][:, None],
        "life_years_disc": occ_e[..., ALIVE].sum(-1) / YEAR_DAYS + alive_end * long_term["life_years_disc"][:, None],
        "qalys": qalys(occ) + alive_end * long_term["qalys"][:, None],
        "qalys_disc": qalys(occ_e) + alive_end * long_term["qalys_disc"][:, None],
    }
    invalid = ~ok[:, None]
    costs = {k: np.where(invalid, np.nan, v) for k, v in costs.items()}
    consequences = {k: np.where(invalid, np.nan, v) for k, v in consequences.items()}
    problems = pd.DataFrame({"set": np.flatnonzero(~ok), "reason": calibration.reasons[~ok]})
    details = {"trace": _trace_frame(trace, alive_end, long_term)} if params.n == 1 else {}
    return Outcomes(STRATEGIES, costs, consequences, LABELS, details, problems)


def _trace_frame(trace: np.ndarray, alive_end: np.ndarray, long_term: dict) -> pd.DataFrame:
    """The daily trace and the yearly survival of one parameter set, tidy, per strategy."""
    frames = []
    for j, strategy in enumerate(STRATEGIES):
        daily = pd.DataFrame(trace[0, j], columns=list(STATES))
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
    targets = placebo_targets(params)[0]
    model_values = [got["patients_infected"], got["infection_episodes"] / got["patients_infected"] - 1,
                    got["icu_deaths"], got["icu_days"], got["day90_deaths"], got["hospital_days"]]
    rows = []
    for name, value, target in zip(TARGETS[:6], model_values, targets, strict=True):
        tolerance = 0.1 if name.endswith("los") else 0.001
        rows.append((f"placebo {name.replace('_', ' ')}", "calibration", value, target,
                     target - tolerance, target + tolerance, "parameter table"))
    trace = base.details["trace"]
    daily = trace[trace.phase.str.startswith("hospital")][list(STATES)].to_numpy()
    rows.append(("trace rows sum to one (max deviation)", "internal", np.abs(daily.sum(1) - 1).max(),
                 0.0, 0.0, 1e-9, "TECH-VER"))
    rows.append(("trace entries within [0, 1] (min, as deviation below 0)", "internal",
                 max(0.0, -daily.min()), 0.0, 0.0, 1e-12, "TECH-VER"))
    episodes = got["infection_episodes"]
    implied = {
        "extra_icu_days_per_episode": (got["icu_days"] - clean["icu_days"][0, placebo]) / episodes,
        "attributable_icu_mortality": (got["icu_deaths"] - clean["icu_deaths"][0, placebo]) / got["patients_infected"],
    }
    survival = base.details["trace"]
    alive = survival[(survival.strategy == COMPARATOR) & survival.phase.str.startswith("long")]["alive"].to_numpy()
    for years in (1, 3, 5):
        implied[f"mortality_{years}y_after_day90"] = 1 - alive[years] / alive[0] if len(alive) > years else np.nan
    external = read_validation_targets(Path(options.input_dir) / TARGETS_FILE, tuple(implied))
    for name, check in external.items():
        rows.append((name.replace("_", " "), "external", implied[name], check.target, check.low, check.high,
                     check.source))
    frame = pd.DataFrame(rows, columns=["check", "kind", "model", "target", "low", "high", "source"])
    frame.insert(6, "passed", (frame["model"] >= frame["low"]) & (frame["model"] <= frame["high"]))
    return frame

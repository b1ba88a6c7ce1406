"""The IFN-γ trial (NCT06774235) seen from the flagship model: simulate it, estimate the
model's parameters from its data, and cost its patients.

- :func:`simulate` follows each patient through the model's own daily chain (the calibrated
  placebo hazards of :func:`hecon_models.ifn_gamma.calibrate` and the daily matrices of
  :func:`hecon_models.ifn_gamma.hospital_transitions`), so the simulated trial is the model's trial,
  not a second model; serious adverse events (at the model's arm rates) and day-10 immune
  restoration (with the probabilities the model reports) are drawn per patient.
- :func:`fit` estimates every parameter the data inform (``hecon.trial`` estimators) and
  writes them into the model's parameter table; the rest stays from the literature.
- :func:`per_patient` prices each patient's resource use with the table's unit costs, for
  the within-trial analysis (:func:`within_trial_analysis`).

The data schema is in :mod:`hecon.trial.schema` and ``docs/trial.md``. This module is a
companion of ``hecon_models/ifn_gamma.py``, not a model: the leading underscore keeps it out of
``hecon models``; ``hecon trial … --model ifn_gamma`` finds it by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.analysis import memory
from hecon.errors import InputError, ModelError
from hecon.model.distributions import Fixed
from hecon.model.parameters import ParameterTable
from hecon.trial import events
from hecon.trial.estimate import (
    Estimate,
    cox_hazard_ratio,
    event_rates,
    positive,
    probability,
    proportion,
    ratio,
    sample_mean,
)
from hecon.trial.fit import TrialFit, fit_report, fitted_table, raw_rows
from hecon.trial.schema import RESOURCE_USE, TrialData, end_of_followup
from hecon.trial.survival import (
    aalen_johansen,
    fit_parametric_models,
    kaplan_meier,
    model_comparison,
)
from hecon.trial.within import WithinTrial, within_trial
from hecon_models import _ifn_gamma_hospital as chain
from hecon_models import ifn_gamma as model

ARMS = model.STRATEGIES
COMPARATOR = model.COMPARATOR
TREATED = "ifn_gamma"
#: Immune restoration: monocyte HLA-DR above this many antibodies per cell (the inclusion threshold)
RESTORATION_THRESHOLD = 8000.0
RESTORATION_DAY = 10
#: Event times are simulated on a grid of 1/TIME_RESOLUTION day, at the middle of each step
TIME_RESOLUTION = 100
#: Days the parametric survival curves are drawn to (beyond the trial's follow-up)
EXTRAPOLATION_DAYS = 365
#: positions in the chain a simulated patient moves through (``model.CHAIN_STATES``)
ICU = np.array(chain.ICU)
EPISODE = np.array(chain.INFECTED)
DEAD = np.arange(len(chain.CHAIN), len(model.CHAIN_STATES))


@dataclass(frozen=True)
class Population:
    """What the simulation draws that the model does not use: descriptive baseline values
    (uniform within the inclusion criteria, mHLA-DR < 8000 AB/C and lymphocytes < 1000/mm³),
    day-10 mHLA-DR on either side of the restoration threshold, and infection sites."""

    mhladr_baseline: tuple[float, float] = (1000.0, 8000.0)
    lymphocytes_baseline: tuple[float, float] = (200.0, 1000.0)
    mhladr_restored: tuple[float, float] = (8001.0, 20000.0)
    sites: tuple[str, ...] = ("lung", "blood", "urinary tract", "other")
    site_weights: tuple[float, ...] = (0.6, 0.2, 0.1, 0.1)


# ---------------------------------------------------------------- simulation

def _grid_time(day: np.ndarray | int, u: np.ndarray) -> np.ndarray:
    """A time within ``day``: the middle of one of the day's 1/TIME_RESOLUTION steps (uniform
    within the day, the model's mid-cycle convention)."""
    return day + (np.floor(u * TIME_RESOLUTION) + 0.5) / TIME_RESOLUTION


def _paths(transitions, arm: np.ndarray, days: int, path_rng, time_rng) -> tuple[np.ndarray, np.ndarray]:
    """Each patient's state on days 0 … T [T + 1, n] and the time of each day's transition
    [T, n]: every patient starts in ``icu_never_infected`` and moves by its arm's daily
    transition matrix (one uniform draw per patient and day)."""
    n = arm.size
    states = np.empty((days + 1, n), dtype=np.intp)
    states[0] = chain.N
    when = np.empty((days, n))
    for day in range(days):
        cumulative = np.cumsum(transitions(day)[0], axis=-1)
        cumulative /= cumulative[..., -1:]
        u = path_rng.random(n)
        moved = (cumulative[arm, states[day]] <= u[:, None]).sum(axis=1)
        states[day + 1] = np.minimum(moved, len(model.CHAIN_STATES) - 1)
        when[day] = _grid_time(day, time_rng.random(n))
    return states, when


def _first(mask: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Time of each patient's first transition flagged in ``mask`` [T, n], NaN if none."""
    day = mask.argmax(axis=0)
    return np.where(mask.any(axis=0), when[day, np.arange(mask.shape[1])], np.nan)


def _episodes(before: np.ndarray, after: np.ndarray, when: np.ndarray) -> pd.DataFrame:
    """Infection episodes from the paths: onset at each entry into ``icu_infected``, end at
    the next move to ``icu_after_infection`` (none if the patient left the ICU or died
    infected, or was still infected at the horizon)."""
    def moves(mask: np.ndarray) -> pd.DataFrame:
        day, patient = np.nonzero(mask)
        frame = pd.DataFrame({"patient": patient, "time": when[day, patient],
                              "resolved": after[day, patient] == chain.A})
        frame = frame.sort_values(["patient", "time"], kind="stable")
        return frame.assign(k=frame.groupby("patient").cumcount())

    onsets = moves(np.isin(after, EPISODE) & ~np.isin(before, EPISODE))
    exits = moves(np.isin(before, EPISODE) & ~np.isin(after, EPISODE))
    exits["end"] = exits["time"].where(exits["resolved"])
    episodes = onsets.merge(exits[["patient", "k", "end"]], on=["patient", "k"], how="left")
    return episodes.rename(columns={"time": "onset"})[["patient", "onset", "end"]]


@dataclass(frozen=True)
class _Histories:
    """What happened to each simulated patient: times (NaN = did not happen) and episodes."""

    states: np.ndarray            # [T + 1, n]
    icu_discharge: np.ndarray
    hospital_discharge: np.ndarray
    death: np.ndarray
    last_followup: np.ndarray
    episodes: pd.DataFrame        # patient, onset, end


def _ward_episodes(states: np.ndarray, when: np.ndarray, episode_days: float, rng) -> pd.DataFrame:
    """First infections acquired on the ward, by patients never infected in the ICU: one at
    each move from ``ward_never_infected`` into ``ward_infected``, lasting an Erlang(k, k/d)
    time like an ICU episode. The chain counts later ward infections (at the same hazard) but
    does not follow their course, so they are not simulated (``docs/trial.md``)."""
    day, patient = np.nonzero((states[:-1] == chain.W_NEVER) & (states[1:] == chain.W_INFECTED))
    onset = when[day, patient]
    duration = rng.gamma(chain.EPISODE_PHASES, episode_days / chain.EPISODE_PHASES, size=onset.size)
    return pd.DataFrame({"patient": patient, "onset": onset, "end": onset + duration})


def _histories(transitions, arm: np.ndarray, days: int, dropout: float, streams, episode_days: float) -> _Histories:
    """Follow every patient through the daily chain, then censor at drop-out: nothing after a
    patient's last follow-up is recorded."""
    path_rng, time_rng, dropout_rng, ward_rng = streams
    states, when = _paths(transitions, arm, days, path_rng, time_rng)
    before, after = states[:-1], states[1:]
    # the chain runs in continuous time: a day may hold an ICU discharge and the moves after it
    alive_out_of_icu = np.setdiff1d(np.arange(len(model.CHAIN_STATES)), [*ICU, DEAD[0]])
    home = [chain.H, DEAD[2]]
    times = (_first(np.isin(before, ICU) & np.isin(after, alive_out_of_icu), when),
             _first(~np.isin(before, home) & np.isin(after, home), when),
             _first(np.isin(after, DEAD) & ~np.isin(before, DEAD), when))
    limit = np.full(arm.size, float(days))
    if dropout:
        lost = dropout_rng.exponential(days / -np.log1p(-dropout), arm.size)
        limit = np.minimum(_grid_time(np.floor(lost), lost % 1), days)
    icu, hospital, death = (np.where(t <= limit, t, np.nan) for t in times)
    episodes = pd.concat([_episodes(before, after, when), _ward_episodes(states, when, episode_days, ward_rng)],
                         ignore_index=True).sort_values(["patient", "onset"], kind="stable")
    episodes = episodes[episodes["onset"] <= limit[episodes["patient"]]].copy()
    followed = np.fmin(death, limit)[episodes["patient"]]  # an end after death or follow-up is not seen
    episodes.loc[episodes["end"] > followed, "end"] = np.nan
    return _Histories(states, icu, hospital, death, np.where(np.isfinite(death), death, limit), episodes)


def simulation_bytes(n: int, days: int) -> int:
    """Memory (bytes) of simulating ``n`` patients over ``days`` days: each patient's state on
    days 0 … T and the time of each day's move (2T + 1 numbers), and about 40 more for the
    cells of its rows in the three files and their copies: 8 · n · (2T + 41)."""
    return memory.FLOAT_BYTES * n * (2 * days + 41)


def simulate(n: int, seed: int, *, dropout: float = 0.0, table: ParameterTable | None = None,
             options: model.Options | None = None, population: Population | None = None,
             memory_gb: float = memory.DEFAULT_BUDGET_GB) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Simulate the trial: ``patients``, ``infections`` and ``resource_use`` frames in the
    schema of :mod:`hecon.trial.schema`.

    Parameters
    ----------
    n:
        Patients randomised 1:1 (placebo gets the extra one when n is odd).
    seed:
        Seed; allocation, baseline values, daily paths, event times within the day, the
        decision tree's draws and drop-out each use their own child stream, so e.g. adding
        drop-out leaves the paths unchanged.
    dropout:
        Probability of loss to follow-up by the horizon for a patient who would stay alive
        (constant hazard −ln(1 − dropout)/T); lost patients are censored on that day.
    table, options:
        The model's parameters (default: its base case) and options; the horizon T is
        ``options.hospital_days`` (administrative censoring).
    population:
        The descriptive values the model does not use (default :class:`Population`).
    memory_gb:
        Budget: a trial whose :func:`simulation_bytes` exceed it is refused before any draw.
    """
    if n < 2:
        raise InputError("a trial needs at least 2 patients", fix="give --n 2 or more")
    if not 0 <= dropout < 1:
        raise InputError(f"drop-out must be a probability in [0, 1), got {dropout:g}",
                         fix="give e.g. --dropout 0.05")
    options = options or model.Options()
    budget, patient_bytes = memory.as_bytes(memory_gb), simulation_bytes(1, options.hospital_days)
    memory.require(n * patient_bytes, budget, f"a simulated trial of --n {n:,} patients",
                   fix=f"use --n {budget // patient_bytes:,} or fewer, or a larger --memory")
    population = population or Population()
    table = table or model.load_parameters(options)
    params = table.base_case()
    calibration = model.calibrate(params, options)
    if not calibration.converged[0]:
        raise ModelError(f"the model's placebo hazards cannot be calibrated: {calibration.reasons[0]}")
    treated = np.array([float(model.ARMS[s].treated) for s in ARMS])
    transitions = model.hospital_transitions(params, calibration.hazards)
    allocation, baseline, path_rng, time_rng, tree_rng, dropout_rng, ward_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7))

    arm = allocation.permutation(np.arange(n) % 2)
    history = _histories(transitions, arm, options.hospital_days, dropout,
                         (path_rng, time_rng, dropout_rng, ward_rng), float(params["episode_duration_mean"][0]))
    p = {name: float(params[name][0]) for name in params}
    ids = np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), len(str(n))))
    patients = pd.DataFrame({
        "patient_id": ids, "arm": np.asarray(ARMS)[arm],
        **_tree_and_baseline(history, arm, p, options, population, tree_rng, baseline),
        "icu_discharge_day": history.icu_discharge, "hospital_discharge_day": history.hospital_discharge,
        "death_day": history.death, "last_followup_day": history.last_followup,
    })
    episodes = history.episodes
    site = baseline.choice(len(population.sites), size=len(episodes), p=population.site_weights)
    infections = pd.DataFrame({"patient_id": ids[episodes["patient"]], "onset_day": episodes["onset"].to_numpy(),
                               "end_day": episodes["end"].to_numpy(),
                               "site": np.asarray(population.sites)[site]})
    data = TrialData(Path("."), ARMS, patients, infections, None)
    resource_use = _resource_use(data, treated[arm], p, options.hospital_days)
    return tuple(frame.round(3) for frame in (patients, infections, resource_use))


def _tree_and_baseline(history: _Histories, arm: np.ndarray, p: dict[str, float], options: model.Options,
                       population: Population, tree_rng, baseline) -> dict[str, np.ndarray]:
    """Baseline description, the decision tree's draws (serious adverse event, restoration,
    measured at day 10 in the patients still in the ICU) and the doses given (on the dose
    days, alive in the ICU, up to the maximum)."""
    n = arm.size
    sae = tree_rng.random(n) < np.array([model.serious_adverse_events(p, model.ARMS[s]) for s in ARMS])[arm]
    restored = tree_rng.random(n) < np.array([p[model.ARMS[s].p_restoration] for s in ARMS])[arm]
    followed = history.last_followup
    measured = np.isin(history.states[RESTORATION_DAY], ICU) & (followed >= RESTORATION_DAY)
    low = np.where(restored, population.mhladr_restored[0], population.mhladr_baseline[0])
    high = np.where(restored, population.mhladr_restored[1], RESTORATION_THRESHOLD)
    mhladr_d10 = np.where(measured, np.round(baseline.uniform(low, high)), np.nan)
    dose_days = np.asarray(options.dose_days[: int(p["ifn_doses_max"])])
    doses = (np.isin(history.states[dose_days], ICU) & (dose_days[:, None] <= followed)).sum(axis=0)
    return {
        "age": np.round(np.clip(baseline.normal(p["age_mean"], p["age_sd"], n), 18, 99)),
        "sex": np.where(baseline.random(n) < p["p_male"], "male", "female"),
        "mhladr_baseline": np.round(baseline.uniform(*population.mhladr_baseline, n)),
        "lymphocytes_baseline": np.round(baseline.uniform(*population.lymphocytes_baseline, n)),
        "mhladr_d10": mhladr_d10, "doses_given": doses, "serious_adverse_event": sae.astype(int),
    }


def _resource_use(data: TrialData, treated: np.ndarray, p: dict[str, float], days: int) -> pd.DataFrame:
    """Each patient's resource use to the horizon (or the last follow-up), from the history."""
    patients = data.patients
    icu, hospital = events.icu_exit(data), events.hospital_exit(data)
    episodes = events.icu_episodes(data)
    infected = np.bincount(episodes["patient"], weights=np.minimum(episodes["end"], days) - episodes["onset"],
                           minlength=len(patients))
    discharged = patients["hospital_discharge_day"].to_numpy()
    home = np.where(np.isfinite(discharged), np.minimum(end_of_followup(patients), days) - discharged, 0.0)
    tests = 1 / p["p_eligible_among_screened"] + p["n_mhladr_tests_ifn"]
    return pd.DataFrame({
        "patient_id": patients["patient_id"],
        "icu_days": np.minimum(icu.time, days), "icu_days_infected": infected,
        "ward_days": np.minimum(hospital.time, days) - np.minimum(icu.time, days),
        "home_days": np.maximum(home, 0.0),
        "active_drug_doses": patients["doses_given"].to_numpy() * treated,
        "monitoring_tests": tests * treated,
        "infection_episodes": np.bincount(pd.Index(patients["patient_id"]).get_indexer(data.infections["patient_id"]),
                                          minlength=len(patients)),
        "serious_adverse_events": patients["serious_adverse_event"],
    })


# ---------------------------------------------------------------- estimation

def _risk_ratio(events: pd.Series, reference: pd.Series) -> Estimate:
    """Risk ratio of two arms' 0/1 outcomes, RR = (a/n₁)/(c/n₀), with Katz's standard error of
    ln RR, √(1/a − 1/n₁ + 1/c − 1/n₀); 0.5 is added to every cell when an arm has no event
    (Haldane–Anscombe). Lognormal for the PSA (Briggs, Claxton & Sculpher 2006, ch. 4)."""
    a, n1, c, n0 = float(events.sum()), len(events), float(reference.sum()), len(reference)
    if min(n1, n0) == 0:
        raise ModelError("serious adverse events: an arm has no patient recorded")
    if 0 in (a, c):
        a, c, n1, n0 = a + 0.5, c + 0.5, n1 + 1, n0 + 1
    return ratio(np.log(a / n1) - np.log(c / n0), np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0), int(n1 + n0),
                 "risk ratio of events / patients, Katz log standard error")


class _Fitter:
    """The estimates of one trial, gathered as they are computed: ``rows`` for the report,
    ``mapped`` for the parameter table (parameter name → estimate)."""

    def __init__(self, data: TrialData, options: model.Options, window: float) -> None:
        self.data, self.window = data, window
        self.horizon = options.hospital_days
        self.arm = data.patients["arm"].to_numpy()
        self.rows: list[dict] = []
        self.mapped: dict[str, Estimate] = {}

    def add(self, quantity: str, arm: str, estimate: Estimate, parameter: str = "") -> None:
        self.rows.append({"quantity": quantity, "arm": arm, "parameter": parameter, **estimate.row()})
        if parameter:
            self.mapped[parameter] = estimate

    def arms(self) -> list[tuple[str, np.ndarray]]:
        """(arm, patient mask) for each arm."""
        return [(a, self.arm == a) for a in ARMS]

    # -------------------------------------------------------- cohort and decision tree

    def cohort(self) -> None:
        p = self.data.patients
        age = sample_mean(p["age"], "mean age at randomisation")
        self.add("age, mean (years)", "all", age, "age_mean")
        sd = float(np.nanstd(p["age"], ddof=1))
        self.add("age, standard deviation (years)", "all",
                 Estimate(sd, np.nan, np.nan, np.nan, age.n, "sample standard deviation", Fixed(sd)), "age_sd")
        sex = p["sex"].dropna()
        self.add("proportion of men", "all", proportion(int((sex == "male").sum()), len(sex), "men / patients with sex recorded"),
                 "p_male")

    def tree(self) -> None:
        p = self.data.patients
        sae = {arm: p.loc[members, "serious_adverse_event"].dropna() for arm, members in self.arms()}
        for arm, members in self.arms():
            self.add("serious adverse event", arm, proportion(int(sae[arm].sum()), len(sae[arm])),
                     "p_sae_placebo" if arm == COMPARATOR else "")
            if model.ARMS[arm].rr_sae:
                self.add("serious adverse event, risk ratio vs placebo", arm, _risk_ratio(sae[arm], sae[COMPARATOR]),
                         model.ARMS[arm].rr_sae)
            d10 = p.loc[members, "mhladr_d10"].dropna()
            self.add(f"immune restoration at day {RESTORATION_DAY} (mHLA-DR > {RESTORATION_THRESHOLD:g})", arm,
                     proportion(int((d10 > RESTORATION_THRESHOLD).sum()), len(d10),
                                "restored / patients measured at day 10 (complete case)"),
                     model.ARMS[arm].p_restoration)

    # -------------------------------------------------------- infection

    def infection(self) -> None:
        time, cause = events.first_icu_infection(self.data)
        episodes = events.icu_episodes(self.data)
        episodes = episodes[episodes["onset"] < self.horizon]
        count = np.bincount(episodes["patient"], minlength=len(self.arm))
        for arm, members in self.arms():
            curve = aalen_johansen(time[members], cause[members], censored=events.CENSORED)
            for day in (30, 60, self.horizon):
                self.add(f"cumulative incidence of a first ICU infection by day {day}", arm,
                         probability(float(curve.at(day, events.INFECTION)), float(curve.se_at(day, events.INFECTION)),
                                     int(members.sum()), "Aalen–Johansen, competing ICU death and discharge"),
                         "target_p_first_infection_d90" if arm == COMPARATOR and day == self.horizon else "")
        infected = count > 0
        recurrences = event_rates(count[infected] - 1, np.ones(infected.sum()), self.arm[infected])
        for _, r in recurrences.rates.iterrows():
            n = int((self.arm[infected] == r["group"]).sum())
            self.add(f"recurrent episodes per infected patient by day {self.horizon}", r["group"],
                     positive(r["rate"], r["rate"] * r["log_se"], n,
                              f"mean episodes − 1 among infected patients ({recurrences.model})"),
                     "target_recurrences_per_infected" if r["group"] == COMPARATOR else "")
        self._episode_rates(count)
        self._treatment_effect()

    @cached_property
    def intervals(self) -> pd.DataFrame:
        """ICU intervals truncated at the horizon: an exit after it becomes a censoring."""
        intervals = events.icu_intervals(self.data)
        intervals = intervals[intervals["start"] < self.horizon].copy()
        late = intervals["stop"] > self.horizon
        intervals.loc[late, "stop"] = self.horizon
        intervals.loc[late, "exit"] = events.CENSORED
        return intervals

    def _episode_rates(self, count: np.ndarray) -> None:
        intervals = self.intervals
        at_risk = intervals[intervals["state"] != events.INFECTED]
        exposure = np.bincount(at_risk["patient"], weights=at_risk["stop"] - at_risk["start"], minlength=len(self.arm))
        rates = event_rates(count, exposure, self.arm, reference=COMPARATOR)
        for _, r in rates.rates.iterrows():
            self.rows.append({"quantity": "infection episodes per ICU day at risk", "arm": r["group"],
                              "parameter": "", "estimate": r["rate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                              "n": int((self.arm == r["group"]).sum()), "method": f"{rates.model} regression, "
                              f"offset log(ICU days at risk); overdispersion p = {rates.overdispersion_p:.3g}"})
        for _, r in rates.ratios.iterrows():
            self.rows.append({"quantity": "rate ratio of infection episodes", "arm": f"{r['group']} vs {r['reference']}",
                              "parameter": "", "estimate": r["rate_ratio"], "ci_low": r["ci_low"],
                              "ci_high": r["ci_high"], "n": len(self.arm), "method": f"{rates.model} regression"})

    def _treatment_effect(self) -> None:
        """Hazard ratio of a new episode within the effect window: Cox model on the ICU time at
        risk of an episode (never infected, or between episodes), separate baseline hazards for
        first and recurrent episodes, follow-up stopped at the end of the window."""
        intervals = self.intervals
        at_risk = intervals[(intervals["state"] != events.INFECTED) & (intervals["start"] < self.window)]
        stop = np.minimum(at_risk["stop"], self.window)
        event = (at_risk["exit"] == events.INFECTION) & (at_risk["stop"] <= self.window)
        hr = cox_hazard_ratio(stop, event, self.arm[at_risk["patient"]] == TREATED, entry=at_risk["start"],
                              strata=(at_risk["state"] == events.AFTER_INFECTION).astype(int),
                              subjects=len(self.arm),
                              method=f"Cox model of new ICU episodes to day {self.window:g} (effect window), "
                                     "strata first/recurrent")
        self.add(f"hazard ratio of a new infection episode, {TREATED} vs {COMPARATOR}", "all", hr, "hr_infection_ifn")

    def infection_course(self) -> None:
        intervals = self.intervals
        # the model's exposure: from the first infection's onset until ICU exit (Melsen 2013)
        exposed = intervals["state"] != events.NOT_INFECTED
        for outcome, parameter in ((events.DEATH, "hr_icu_death_infected"),
                                   (events.DISCHARGE, "hr_icu_discharge_infected")):
            hr = cox_hazard_ratio(intervals["stop"], intervals["exit"] == outcome, exposed,
                                  entry=intervals["start"], strata=self.arm[intervals["patient"]],
                                  subjects=len(self.arm),
                                  method=f"Cox model of ICU {outcome}, infection (from the first onset to ICU "
                                         "exit) as a time-varying covariate, strata arm")
            self.add(f"hazard ratio of ICU {outcome} once infected", "all", hr, parameter)
        during = intervals[intervals["state"] == events.INFECTED]
        resolution = event_rates((during["exit"] == events.RESOLUTION).astype(int), during["stop"] - during["start"],
                                 np.full(len(during), "all"))
        rate = resolution.rates.iloc[0]
        mean = 1 / rate["rate"]
        self.add("mean duration of an infection episode (days)", "all",
                 positive(mean, mean * rate["log_se"], len(during),
                          f"1 / resolution rate ({rate['events']:.0f} resolved in {rate['exposure']:.0f} "
                          "infected ICU days; exits from the ICU censor)"),
                 "episode_duration_mean")

    # -------------------------------------------------------- mortality and stays

    def mortality_and_stays(self) -> None:
        icu, hospital = events.icu_exit(self.data), events.hospital_exit(self.data)
        time, dead = events.death(self.data)
        T = self.horizon
        for arm, m in self.arms():
            n = int(m.sum())
            control = arm == COMPARATOR
            icu_death = aalen_johansen(icu.time[m], icu.cause[m], censored=events.CENSORED)
            p_icu, se_icu = float(icu_death.at(T, events.DEATH)), float(icu_death.se_at(T, events.DEATH))
            self.add(f"ICU mortality by day {T}", arm,
                     probability(p_icu, se_icu, n, "Aalen–Johansen, competing ICU discharge"),
                     "target_p_icu_death" if control else "")
            survival = kaplan_meier(time[m], dead[m])
            p_d90, se_d90 = 1 - float(survival.at(T)), float(survival.se_at(T))
            self.add(f"mortality by day {T}", arm, probability(p_d90, se_d90, n, "1 − Kaplan–Meier"))
            left_alive = (icu.cause[m] == events.DISCHARGE) & (icu.time[m] <= T)
            died = left_alive & (hospital.cause[m] == events.DEATH) & (hospital.time[m] <= T)
            known = left_alive & ((hospital.cause[m] != events.CENSORED) | (hospital.time[m] >= T))
            self.add(f"deaths on the ward by day {T} per patient leaving the ICU alive", arm,
                     proportion(int((died & known).sum()), int(known.sum()),
                                "deaths in hospital after a live ICU discharge / patients discharged alive "
                                "with a known hospital outcome"),
                     "target_p_ward_death_after_icu" if control else "")
            icu_los, icu_se = kaplan_meier(icu.time[m], icu.any_event()[m]).restricted_mean(T)
            self.add(f"ICU days from randomisation to day {T}", arm,
                     positive(icu_los, icu_se, n, "restricted mean of the Kaplan–Meier time to ICU exit"),
                     "target_icu_los" if control else "")
            stay, stay_se = kaplan_meier(hospital.time[m], hospital.any_event()[m]).restricted_mean(T)
            self.add(f"hospital days from randomisation to day {T}", arm,
                     positive(stay, stay_se, n, "restricted mean of the Kaplan–Meier time to hospital exit"))
            after = np.minimum(hospital.time[m], T) - np.minimum(icu.time[m], T)
            known = (hospital.cause[m] != events.CENSORED) | (hospital.time[m] >= T)
            self.add(f"hospital days after the ICU, to day {T}", arm,
                     positive(stay - icu_los, after[known].std(ddof=1) / np.sqrt(known.sum()), n,
                              "difference of the restricted means; SE from the patients with known stays"),
                     "target_post_icu_hospital_days" if control else "")

    def survival_models(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """AIC/BIC of the parametric models of survival by arm, and the curves of the figure."""
        time, dead = events.death(self.data)
        time = np.maximum(time, 0.5 / TIME_RESOLUTION)  # a death on day 0 counts as mid-step
        tables, curves = [], []
        grid = np.linspace(0, EXTRAPOLATION_DAYS, 4 * EXTRAPOLATION_DAYS + 1)
        for arm, m in self.arms():
            fits = fit_parametric_models(time[m], dead[m])
            tables.append(model_comparison(fits).assign(arm=arm))
            km = kaplan_meier(time[m], dead[m]).frame()
            curves.append(km[["time", "survival", "lower", "upper"]].assign(arm=arm, curve="Kaplan–Meier"))
            curves += [pd.DataFrame({"time": grid, "survival": f.survival(grid), "arm": arm, "curve": f.distribution})
                       for f in fits]
        comparison = pd.concat(tables, ignore_index=True)
        return comparison[["arm", *comparison.columns[:-1]]], pd.concat(curves, ignore_index=True)


def _summary(data: TrialData, horizon: int) -> pd.DataFrame:
    outcomes = events.patient_outcomes(data, horizon)
    p = data.patients
    by_arm = pd.DataFrame({
        "randomised": p.groupby("arm").size(),
        f"status known at day {horizon}": outcomes.groupby("arm")["known"].sum(),
        f"deaths by day {horizon}": outcomes.groupby("arm")["death"].sum(),
        "infection episodes": outcomes.groupby("arm")["episodes"].sum(),
        "patients infected": outcomes.groupby("arm")["infected"].sum(),
        f"mHLA-DR measured at day {RESTORATION_DAY}": p["mhladr_d10"].notna().groupby(p["arm"]).sum(),
    }).reindex(list(ARMS)).fillna(0).astype(int)
    return by_arm.T.rename_axis("").reset_index()


def fit(data: TrialData, table_path: str | Path | None = None,
        options: model.Options | None = None) -> TrialFit:
    """Estimate the model's parameters from trial data.

    Estimated (placebo arm for the calibration targets; both arms where a parameter is common):
    cohort age and sex mix; serious adverse events (placebo proportion, beta; risk ratio,
    lognormal) and day-10 immune restoration by arm (beta); the cumulative incidence of a first
    ICU infection by the horizon (Aalen–Johansen), recurrences per infected patient (Poisson or
    negative binomial), the hazard ratio of a new episode within the effect window (Cox), the
    infected-state hazard ratios of ICU death and discharge (Cox, infection as a time-varying
    covariate) and the mean episode duration; ICU mortality (Aalen–Johansen), death after the
    ICU (Kaplan–Meier), ICU and post-ICU hospital days (restricted means). Everything else — the
    effect window, long-term survival, utilities, unit costs — stays from the literature.

    ``table_path`` is the table to rewrite (default: the model's own).
    """
    options = options or model.Options()
    table_path = Path(table_path) if table_path is not None else model.INPUT_DIR / "parameters.csv"
    table = ParameterTable.load(table_path)
    fitter = _Fitter(data, options, table["effect_window_days"].value)
    steps = {"the cohort": fitter.cohort, "adverse events and immune restoration": fitter.tree,
             "infection incidence and the treatment effect": fitter.infection,
             "the course of an infection": fitter.infection_course,
             "mortality and stays": fitter.mortality_and_stays}
    for what, step in steps.items():
        try:
            step()
        except (InputError, ModelError) as error:
            raise InputError(f"the data cannot inform {what}: {getattr(error, 'message', error)}",
                             file=data.folder, fix=getattr(error, "fix", None) or
                             "more patients or events are needed; the model can keep the literature's values") from None
    comparison, curves = fitter.survival_models()
    digest = data.digest()
    fitted = fitted_table(table_path, fitter.mapped, f"trial data, {digest}")
    estimates = pd.DataFrame(fitter.rows)
    literature = raw_rows(table_path).loc[lambda r: ~r["name"].isin(list(fitter.mapped)), ["name", "description", "source"]]
    return TrialFit(fitted, estimates, comparison, curves, _report(data, fitter, comparison, literature, digest),
                    digest)


def _report(data: TrialData, fitter: _Fitter, comparison: pd.DataFrame, literature: pd.DataFrame,
            digest: str) -> str:
    estimates = pd.DataFrame(fitter.rows)
    shown = ["quantity", "arm", "estimate", "ci_low", "ci_high", "n", "method"]
    files = "\n".join(f"- `{path.name}`" for path in data.files.values())
    mapped = estimates[estimates["parameter"] != ""]
    return fit_report(f"Trial data → {model.TITLE}", {
        "Data": f"{files}\n\nData SHA-256: `{digest}` (source column of the estimated rows).",
        "Patients": _summary(data, fitter.horizon),
        f"Parameters estimated from the trial ({len(mapped)})": mapped[["parameter", *shown[2:6], "distribution"]],
        "How each was estimated": mapped[["parameter", "method"]],
        "All estimates, by arm": estimates[shown],
        "Survival models (death, whole follow-up)": (
            "Kaplan–Meier and five parametric models by arm; the model itself extrapolates beyond "
            f"day {fitter.horizon} with life tables × SMR, so these fits are for comparison and for "
            "scenario analyses. Figure: `*.survival.html`."),
        "Model comparison (AIC, BIC)": comparison[["arm", "distribution", "parameters", "log_likelihood",
                                                   "aic", "bic", "delta_aic"]],
        f"Parameters still taken from the literature ({len(literature)})": literature[["name", "source"]],
        "Missing data": ("Complete case: day-10 immune restoration among patients measured; serious "
                         "adverse events among patients recorded. Censored follow-up (drop-out) is handled "
                         "by the survival estimators; recurrences per infected patient ignore it."),
    })


# ---------------------------------------------------------------- within-trial costing

COSTS = ("drug", "administration", "monitoring", "adverse_events", "icu_not_infected", "icu_infected",
         "infection_treatment", "ward", "post_discharge_d90")
CONSEQUENCES = ("infection_episodes", "patients_infected", "icu_deaths", "day90_deaths", "icu_days",
                "hospital_days", "serious_adverse_events", "ifn_doses")
#: The model's effect measures that the trial observes (natural outcomes to the horizon)
EFFECTS = tuple(e for e in model.EFFECTS if e.outcome in CONSEQUENCES)
MAIN_EFFECT = "patients_infected"


def load_table(path: str | Path | None = None, options: model.Options | None = None) -> ParameterTable:
    """A parameter table in euros of ``options.price_year`` (default: the model's own)."""
    options = options or model.Options()
    return model.load_parameters(options, model.INPUT_DIR, None if path is None else Path(path))


def per_patient(data: TrialData, table: ParameterTable, options: model.Options | None = None) -> pd.DataFrame:
    """Each patient's costs (the model's cost components, undiscounted within the trial) and
    outcomes to the horizon; NaN where the resource use or the outcome is unknown.

    Unit costs are the table's base values: ICU days by infection status, ward days, home days
    at the first-year post-discharge rate / 365.25 (health-system perspective only), drug and
    administration per active dose, a mHLA-DR test with a lymphocyte count per monitoring test,
    every serious adverse event observed (a trial cannot tell the drug's events apart: the arms'
    difference is the drug-related excess the model costs) and infection episodes.
    """
    options = options or model.Options()
    if data.resource_use is None:
        raise InputError("no resource use: within-trial costing needs it", file=data.folder / RESOURCE_USE,
                         fix="add resource_use.csv (see docs/trial.md)")
    c = {name: float(table[name].value) for name in table.names}
    use = data.resource_use.set_index("patient_id").reindex(data.patients["patient_id"])
    outcomes = events.patient_outcomes(data, options.hospital_days)
    home_rate = c["cost_post_discharge_year1"] / model.YEAR_DAYS * (options.perspective == "health_system")
    icu_day = model.icu_day_cost(c, options)
    costs = {
        "drug": use["active_drug_doses"] * c["price_ifn_vial"],
        "administration": use["active_drug_doses"] * c["cost_administration_per_dose"],
        "monitoring": use["monitoring_tests"] * (c["cost_mhladr_test"] + c["cost_lymphocyte_count"]),
        "adverse_events": use["serious_adverse_events"] * c["cost_sae"],
        "icu_not_infected": (use["icu_days"] - use["icu_days_infected"]) * icu_day,
        "icu_infected": use["icu_days_infected"] * icu_day,
        "infection_treatment": use["infection_episodes"] * c["cost_infection_episode"],
        "ward": use["ward_days"] * c["cost_ward_day"],
        "post_discharge_d90": use["home_days"] * home_rate,
    }
    consequences = {
        "infection_episodes": outcomes["episodes"], "patients_infected": outcomes["infected"],
        "icu_deaths": outcomes["icu_death"], "day90_deaths": outcomes["death"],
        "icu_days": outcomes["icu_days"], "hospital_days": outcomes["hospital_days"],
        "serious_adverse_events": data.patients["serious_adverse_event"],
        "ifn_doses": use["active_drug_doses"],
    }
    frame = pd.DataFrame({"patient_id": data.patients["patient_id"], "arm": data.patients["arm"]})
    for name, values in {**costs, **consequences}.items():
        frame[name] = np.asarray(values, dtype=float)
    return frame


def within_trial_analysis(data: TrialData, n_replicates: int, seed: int, table: ParameterTable | None = None,
                          options: model.Options | None = None, block_size: int | None = None,
                          memory_gb: float = memory.DEFAULT_BUDGET_GB) -> WithinTrial:
    """The within-trial analysis to the horizon: per-patient costs and outcomes, arm means and
    their stratified bootstrap (complete cases), within a memory budget of ``memory_gb``."""
    options = options or model.Options()
    table = table or load_table(None, options)
    return within_trial(per_patient(data, table, options), ARMS, COSTS, CONSEQUENCES, labels=model.LABELS,
                        n_replicates=n_replicates, seed=seed, block_size=block_size, memory_gb=memory_gb)


# ---------------------------------------------------------------- the trial's endpoints

#: the model's TRIAL_ENDPOINTS, as columns of :func:`hecon.trial.events.patient_outcomes`
ENDPOINT_COLUMNS = {"infection": "infected", "mortality": "death"}


def endpoint_counts(data: TrialData, options: model.Options | None = None) -> pd.DataFrame:
    """Events among the patients whose status at the horizon is known (complete cases), by arm
    and endpoint: ``arm, endpoint, events, patients`` (``hecon trial update``)."""
    options = options or model.Options()
    outcomes = events.patient_outcomes(data, options.hospital_days)
    known = outcomes[outcomes["known"]]
    return pd.DataFrame([{"arm": arm, "endpoint": endpoint, "events": float(known.loc[known["arm"] == arm, column].sum()),
                          "patients": int((known["arm"] == arm).sum())}
                         for arm in ARMS for endpoint, column in ENDPOINT_COLUMNS.items()])

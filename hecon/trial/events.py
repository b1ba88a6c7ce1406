"""Patients' histories as the time-to-event data the estimators take.

From the validated files (:mod:`hecon.trial.schema`): the exit from the ICU (discharge,
death or censoring), the exit from hospital, death, the first ICU-acquired infection with
its competing events, the ICU stay split into at-risk intervals by infection state
(counting-process data), and each patient's outcomes at a horizon. Everything is computed
column-wise on the patients' and episodes' tables.

Conventions: an episode whose onset is before the patient leaves the ICU is an ICU episode;
an ICU episode without an end day, or ending on or after the day the patient leaves the ICU,
lasts until the patient leaves the ICU (it is not resolved in the ICU).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.trial.schema import TrialData, end_of_followup

CENSORED, DISCHARGE, DEATH, INFECTION, RESOLUTION = "censored", "discharge", "death", "infection", "resolution"
NOT_INFECTED, INFECTED, AFTER_INFECTION = "not_infected", "infected", "after_infection"


@dataclass(frozen=True)
class Exit:
    """Time and cause (``discharge``, ``death`` or ``censored``) of leaving a place."""

    time: np.ndarray
    cause: np.ndarray

    def event(self, cause: str) -> np.ndarray:
        """1 where the exit is of this cause, 0 otherwise (other causes count as censored)."""
        return (self.cause == cause).astype(int)

    def any_event(self) -> np.ndarray:
        return (self.cause != CENSORED).astype(int)


def _exit(discharge: np.ndarray, death: np.ndarray, last: np.ndarray) -> Exit:
    time = np.where(np.isfinite(discharge), discharge, np.where(np.isfinite(death), death, last))
    cause = np.where(np.isfinite(discharge), DISCHARGE, np.where(np.isfinite(death), DEATH, CENSORED))
    return Exit(time, cause.astype(object))


def icu_exit(data: TrialData) -> Exit:
    """Leaving the ICU: discharged alive, died there, or censored there at last follow-up."""
    p = data.patients
    return _exit(p["icu_discharge_day"].to_numpy(), p["death_day"].to_numpy(),
                 p["last_followup_day"].to_numpy())


def hospital_exit(data: TrialData) -> Exit:
    """Leaving hospital: discharged alive, died in hospital, or censored in hospital."""
    p = data.patients
    discharge = p["hospital_discharge_day"].to_numpy()
    death = p["death_day"].to_numpy()
    return _exit(discharge, np.where(np.isnan(discharge), death, np.nan),
                 p["last_followup_day"].to_numpy())


def death(data: TrialData) -> tuple[np.ndarray, np.ndarray]:
    """Time of death or of censoring, and the death indicator."""
    dead = np.isfinite(data.patients["death_day"].to_numpy())
    return end_of_followup(data.patients), dead.astype(int)


def icu_episodes(data: TrialData) -> pd.DataFrame:
    """The ICU episodes: ``patient`` (row in patients), ``onset``, ``end`` (at the latest the
    ICU exit), ``resolved`` (ended in the ICU with a known end day), sorted by patient and
    onset."""
    exit_ = icu_exit(data)
    patient = pd.Index(data.patients["patient_id"]).get_indexer(data.infections["patient_id"])
    onset = data.infections["onset_day"].to_numpy()
    end = data.infections["end_day"].to_numpy()
    leave = exit_.time[patient]
    in_icu = onset < leave
    resolved = np.isfinite(end) & (end < leave)
    episodes = pd.DataFrame({"patient": patient, "onset": onset,
                             "end": np.where(resolved, end, leave), "resolved": resolved})[in_icu]
    return episodes.sort_values(["patient", "onset"], kind="stable").reset_index(drop=True)


def first_icu_infection(data: TrialData) -> tuple[np.ndarray, np.ndarray]:
    """Time to the first ICU episode, with ICU death and ICU discharge as competing events:
    times and causes (``infection``, ``death``, ``discharge`` or ``censored``)."""
    exit_ = icu_exit(data)
    first = icu_episodes(data).groupby("patient")["onset"].min()
    time, cause = exit_.time.copy(), exit_.cause.copy()
    time[first.index] = first.to_numpy()
    cause[first.index] = INFECTION
    return time, cause


def icu_intervals(data: TrialData) -> pd.DataFrame:
    """The ICU stay of every patient split at each episode's onset and end.

    One row per interval: ``patient``, ``start``, ``stop``, ``state`` (``not_infected``
    before the first episode, ``infected`` during one, ``after_infection`` between episodes),
    ``episode`` (episodes begun before the interval) and ``exit`` — what ends the interval:
    ``infection``, ``resolution``, ``death``, ``discharge`` or ``censored``. The rows are
    counting-process data for Cox models with time-varying infection status. An interval of
    no length (an episode starting the day the previous one ended) holds no time at risk and
    is left out.
    """
    exit_ = icu_exit(data)
    episodes = icu_episodes(data)
    resolved = episodes[episodes["resolved"]]
    ends = pd.DataFrame({
        "patient": np.concatenate([episodes["patient"], resolved["patient"],
                                   np.arange(len(data.patients))]),
        "time": np.concatenate([episodes["onset"], resolved["end"], exit_.time]),
        "exit": np.concatenate([np.full(len(episodes), INFECTION, dtype=object),
                                np.full(len(resolved), RESOLUTION, dtype=object), exit_.cause]),
    })
    # at equal times an episode's resolution comes before the next onset, then the exit
    ends["rank"] = ends["exit"].map({RESOLUTION: 0, INFECTION: 1}).fillna(2)
    ends = ends.sort_values(["patient", "time", "rank"], kind="stable").reset_index(drop=True)
    patient, exits = ends["patient"].to_numpy(), ends["exit"].to_numpy()
    same = np.concatenate([[False], patient[1:] == patient[:-1]])
    start = np.where(same, np.roll(ends["time"].to_numpy(), 1), 0.0)
    previous = np.where(same, np.roll(exits, 1), CENSORED)
    state = np.select([previous == INFECTION, previous == RESOLUTION],
                      [INFECTED, AFTER_INFECTION], NOT_INFECTED)
    onset = (exits == INFECTION).astype(int)
    begun = pd.Series(onset).groupby(patient).cumsum().to_numpy() - onset
    frame = pd.DataFrame({"patient": patient, "start": start, "stop": ends["time"],
                          "state": state, "episode": begun, "exit": exits})
    return frame[frame["stop"] > frame["start"]].reset_index(drop=True)


def patient_outcomes(data: TrialData, horizon: float) -> pd.DataFrame:
    """Each patient's outcomes at ``horizon`` days: ``patient_id, arm, known`` (alive and
    followed to the horizon, or dead before it), ``infected`` (≥ 1 episode with onset before
    the horizon), ``episodes``, ``icu_death``, ``death``, ``icu_days`` and ``hospital_days``
    (time in the ICU and in hospital before the horizon). Outcomes of patients whose status at
    the horizon is unknown are NaN."""
    p = data.patients
    time, dead = death(data)
    known = (dead.astype(bool) & (time < horizon)) | (p["last_followup_day"].to_numpy() >= horizon)
    onset = data.infections["onset_day"].to_numpy()
    patient = pd.Index(p["patient_id"]).get_indexer(data.infections["patient_id"])
    episodes = np.bincount(patient[onset < horizon], minlength=len(p)).astype(float)
    icu, hospital = icu_exit(data), hospital_exit(data)
    outcomes = pd.DataFrame({
        "patient_id": p["patient_id"], "arm": p["arm"], "known": known,
        "infected": (episodes > 0).astype(float), "episodes": episodes,
        "icu_death": ((icu.cause == DEATH) & (icu.time < horizon)).astype(float),
        "death": (dead.astype(bool) & (time < horizon)).astype(float),
        "icu_days": np.minimum(icu.time, horizon), "hospital_days": np.minimum(hospital.time, horizon),
    })
    measured = outcomes.columns[3:]
    outcomes.loc[~known, measured] = np.nan
    return outcomes

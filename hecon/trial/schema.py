"""Patient-level trial data: the files, their columns, and their validation on load.

A trial folder holds ``patients.csv`` (one row per randomised patient), ``infections.csv``
(one row per secondary infection episode) and optionally ``resource_use.csv`` (one row per
patient, for within-trial costing). Every day is counted from randomisation (day 0), when
every patient is in the ICU. ``docs/trial.md`` documents the schema with an example; the
column tables below are its source of truth.

Loading checks every cell and the consistency of each patient's history, and stops at the
first mistake with one :class:`~hecon.errors.InputError` naming the file, its line (header =
line 1), the column and the fix. The files are only read, never modified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.errors import InputError
from hecon.files import read_csv_cells
from hecon.io import sha256

PATIENTS, INFECTIONS, RESOURCE_USE = "patients.csv", "infections.csv", "resource_use.csv"
SEXES = ("male", "female")


@dataclass(frozen=True)
class Column:
    """A column of a trial file.

    ``kind`` says what a cell holds: ``id`` (non-empty text), ``arm`` (a randomised arm),
    ``day`` (days from randomisation, ≥ 0), ``number`` (≥ 0), ``count`` (a whole number ≥ 0),
    ``binary`` (0 or 1), ``sex`` (male or female) or ``text``. Every column must be in the
    header; a ``required`` column's cells must be filled, the others may be empty (missing).
    """

    name: str
    kind: str
    required: bool
    description: str


PATIENT_COLUMNS = (
    Column("patient_id", "id", True, "unique patient identifier"),
    Column("arm", "arm", True, "randomised arm (a strategy of the model)"),
    Column("age", "number", False, "age at randomisation, years"),
    Column("sex", "sex", False, "male or female"),
    Column("mhladr_baseline", "number", False, "monocyte HLA-DR at inclusion, antibodies per cell"),
    Column("lymphocytes_baseline", "number", False, "lymphocyte count at inclusion, per mm³"),
    Column("mhladr_d10", "number", False, "monocyte HLA-DR at day 10; empty if not measured"),
    Column("doses_given", "count", False, "study-drug injections given (active or placebo)"),
    Column("serious_adverse_event", "binary", False, "1 if a serious adverse event occurred, else 0"),
    Column("icu_discharge_day", "day", False, "discharge alive from the ICU; empty if the patient died there or was still there at last follow-up"),
    Column("hospital_discharge_day", "day", False, "discharge alive from hospital; empty if the patient died in hospital or was still there at last follow-up"),
    Column("death_day", "day", False, "death; empty if alive at last follow-up"),
    Column("last_followup_day", "day", True, "last day the patient's status is known (the censoring day of survivors)"),
)
INFECTION_COLUMNS = (
    Column("patient_id", "id", True, "the patient, as in patients.csv"),
    Column("onset_day", "day", True, "onset of the episode"),
    Column("end_day", "day", False, "end of the episode (end of treatment); empty if unknown, e.g. at death"),
    Column("site", "text", False, "site of infection (free text, e.g. lung, blood)"),
)
RESOURCE_COLUMNS = (
    Column("patient_id", "id", True, "the patient, as in patients.csv"),
    Column("icu_days", "number", False, "days in the ICU from randomisation to the analysis horizon"),
    Column("icu_days_infected", "number", False, "of which days with an active infection episode"),
    Column("ward_days", "number", False, "days in hospital after ICU discharge"),
    Column("home_days", "number", False, "days alive after hospital discharge, to the horizon"),
    Column("active_drug_doses", "number", False, "doses of the active drug (0 for placebo injections)"),
    Column("monitoring_tests", "number", False, "immune monitoring tests attributable to the strategy"),
    Column("infection_episodes", "number", False, "infection episodes treated"),
    Column("serious_adverse_events", "number", False, "serious adverse events treated"),
)
RESOURCES = tuple(c.name for c in RESOURCE_COLUMNS[1:])


@dataclass(frozen=True)
class TrialData:
    """A validated trial folder.

    Frames keep the file's line number of each row in ``line``; days and numbers are floats
    (NaN where a cell is empty), ``sex`` is ``male``/``female`` or None. ``resource_use`` is
    None when the folder has no ``resource_use.csv``.
    """

    folder: Path
    arms: tuple[str, ...]
    patients: pd.DataFrame
    infections: pd.DataFrame
    resource_use: pd.DataFrame | None

    @property
    def files(self) -> dict[str, Path]:
        """The files read, by name."""
        names = [PATIENTS, INFECTIONS] + ([RESOURCE_USE] if self.resource_use is not None else [])
        return {name: self.folder / name for name in names}

    def digest(self) -> str:
        """SHA-256 identifying the data: of the lines ``<file name>:<file SHA-256>``, one per
        file read, in the order patients, infections, resource use."""
        lines = "".join(f"{name}:{sha256(path)}\n" for name, path in self.files.items())
        return hashlib.sha256(lines.encode()).hexdigest()

    def arm_index(self) -> np.ndarray:
        """Each patient's arm as its position in ``arms``."""
        return pd.Categorical(self.patients["arm"], categories=self.arms).codes.astype(int)


# ---------------------------------------------------------------- reading

def _read_rows(path: Path, columns: Sequence[Column]) -> pd.DataFrame:
    """The file's cells as stripped text, the schema's columns only, plus ``line``."""
    names = [c.name for c in columns]
    rows, lines = read_csv_cells(path, names)
    frame = pd.DataFrame([[row[n] for n in names] for row in rows], columns=names, dtype=object)
    frame["line"] = np.asarray(lines, dtype=int)
    return frame


class _Checker:
    """Raises the error of the first offending row of a boolean mask."""

    def __init__(self, path: Path, frame: pd.DataFrame) -> None:
        self.path, self.frame = path, frame

    def first(self, bad, column: str, message, fix: str) -> None:
        """``message`` is a text or a function of the offending row."""
        bad = np.asarray(bad, dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            row = self.frame.iloc[i]
            text = message(row) if callable(message) else message
            raise InputError(text, file=self.path, row=int(row["line"]), column=column, fix=fix)


def _convert(raw: pd.DataFrame, columns: Sequence[Column], check: _Checker,
             arms: Sequence[str]) -> pd.DataFrame:
    """Typed columns from the text cells, each cell checked against its column's kind."""
    out = pd.DataFrame({"line": raw["line"]})
    for column in columns:
        text = raw[column.name]
        empty = (text == "").to_numpy()
        if column.required:
            check.first(empty, column.name, "empty cell", f"fill {column.name}: {column.description}")
        if column.kind in ("id", "text"):
            out[column.name] = text.where(~empty, None)
        elif column.kind == "arm":
            check.first(~text.isin(arms), column.name, lambda r: f"unknown arm '{r['arm']}'",
                        f"use one of: {', '.join(arms)}")
            out[column.name] = text
        elif column.kind == "sex":
            lower = text.str.lower()
            check.first(~empty & ~lower.isin(SEXES), column.name,
                        lambda r, n=column.name: f"'{r[n]}' is not a sex", "write male or female")
            out[column.name] = lower.where(~empty, None)
        else:
            out[column.name] = _numbers(text, empty, column, check)
    return out


def _numbers(text: pd.Series, empty: np.ndarray, column: Column, check: _Checker) -> np.ndarray:
    name = column.name
    values = pd.to_numeric(text.where(~empty, None), errors="coerce").to_numpy(dtype=float)
    check.first(~empty & ~np.isfinite(values), name,
                lambda r: f"'{r[name]}' is not a number", f"write {name} as a number, e.g. 12 or 12.5")
    what = {"day": "a day", "number": "a value", "count": "a count", "binary": "a value"}[column.kind]
    check.first(values < 0, name, lambda r: f"{what} cannot be negative ({r[name]})",
                "days count from randomisation (day 0); correct the sign" if column.kind == "day"
                else f"{name} must be ≥ 0")
    if column.kind == "count":
        check.first(values != np.round(values), name, lambda r: f"'{r[name]}' is not a whole number",
                    f"{name} counts injections: 0, 1, 2, …")
    if column.kind == "binary":
        check.first(~np.isin(values, (0, 1)) & ~empty, name,
                    lambda r: f"'{r[name]}' is neither 0 nor 1", "write 1 (yes) or 0 (no)")
    return values


def _unique_ids(frame: pd.DataFrame, check: _Checker, what: str) -> None:
    duplicated = frame["patient_id"].duplicated().to_numpy()
    first_line = frame.groupby("patient_id")["line"].transform("min")
    check.first(duplicated, "patient_id",
                lambda r: f"patient '{r['patient_id']}' already has a row (line "
                          f"{first_line[r.name]}); {what} holds one row per patient",
                "merge the two rows or correct the identifier")


def _known_patients(frame: pd.DataFrame, patients: pd.DataFrame, check: _Checker) -> np.ndarray:
    """The row of each record's patient in ``patients``; unknown ids are an error."""
    position = pd.Index(patients["patient_id"]).get_indexer(frame["patient_id"])
    check.first(position < 0, "patient_id", lambda r: f"unknown patient '{r['patient_id']}'",
                f"add the patient to {PATIENTS} or correct the identifier")
    return position


# ---------------------------------------------------------------- the three files

def _check_patients(p: pd.DataFrame, check: _Checker) -> None:
    """Each history must be possible: ICU, then ward, then home; nothing after death or after
    the last follow-up."""
    icu, hospital, death, last = (p[c].to_numpy() for c in
                                  ("icu_discharge_day", "hospital_discharge_day", "death_day",
                                   "last_followup_day"))
    check.first(np.isfinite(hospital) & np.isnan(icu), "hospital_discharge_day",
                "discharged from hospital but never from the ICU",
                "fill icu_discharge_day (the same day if the patient went home from the ICU)")
    check.first(hospital < icu, "hospital_discharge_day",
                lambda r: f"hospital discharge (day {r['hospital_discharge_day']:g}) before the "
                          f"admission to the ward at ICU discharge (day {r['icu_discharge_day']:g})",
                "hospital discharge must be on or after ICU discharge")
    for column, values in (("icu_discharge_day", icu), ("hospital_discharge_day", hospital)):
        check.first(values > death, column,
                    lambda r, c=column: f"discharge (day {r[c]:g}) after death (day {r['death_day']:g})",
                    "correct the discharge or the death day")
    for column, values in (("icu_discharge_day", icu), ("hospital_discharge_day", hospital),
                           ("death_day", death)):
        check.first(values > last, column,
                    lambda r, c=column: f"event on day {r[c]:g}, after the last follow-up "
                                        f"(day {r['last_followup_day']:g})",
                    "last_followup_day must be on or after every event of the patient")


def end_of_followup(patients: pd.DataFrame) -> np.ndarray:
    """The day each patient's follow-up ends: death, else the last follow-up day."""
    death = patients["death_day"].to_numpy()
    return np.where(np.isnan(death), patients["last_followup_day"].to_numpy(), death)


def _check_infections(e: pd.DataFrame, patients: pd.DataFrame, check: _Checker) -> np.ndarray:
    position = _known_patients(e, patients, check)
    onset, end = e["onset_day"].to_numpy(), e["end_day"].to_numpy()
    stop = end_of_followup(patients)[position]
    dead = np.isfinite(patients["death_day"].to_numpy()[position])
    check.first(end < onset, "end_day",
                lambda r: f"episode ends (day {r['end_day']:g}) before its onset (day {r['onset_day']:g})",
                "end_day must be on or after onset_day")
    for column, values in (("onset_day", onset), ("end_day", end)):
        check.first(values > stop, column,
                    lambda r, c=column, d=dead, s=stop: (
                        f"episode on day {r[c]:g}, after the patient's "
                        f"{'death' if d[r.name] else 'last follow-up'} (day {s[r.name]:g})"),
                    "correct the day, or the patient's death or last follow-up day")
    order = np.lexsort((onset, position))
    same = position[order][1:] == position[order][:-1]
    previous_end = end[order][:-1]
    ordered = e.iloc[order].reset_index(drop=True)
    bad = np.zeros(len(e), dtype=bool)
    bad[1:] = same & ((onset[order][1:] < previous_end) | np.isnan(previous_end))
    _Checker(check.path, ordered).first(
        bad, "onset_day",
        lambda r: f"episode starts (day {r['onset_day']:g}) before the patient's previous "
                  f"episode (line {ordered['line'][r.name - 1]}) has ended",
        "episodes of a patient must not overlap: give the previous episode its end_day")
    return position


def load_trial(folder: str | Path, arms: Sequence[str]) -> TrialData:
    """Read and validate a trial folder (``resource_use.csv`` is optional).

    Parameters
    ----------
    folder:
        The folder holding ``patients.csv``, ``infections.csv`` and optionally
        ``resource_use.csv``.
    arms:
        The randomised arms allowed in ``patients.csv`` (the model's strategies).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder", file=folder,
                         fix=f"give the folder holding {PATIENTS} and {INFECTIONS}")
    arms = tuple(arms)
    path = folder / PATIENTS
    raw = _read_rows(path, PATIENT_COLUMNS)
    if raw.empty:
        raise InputError("no patients", file=path, fix="add one row per randomised patient")
    check = _Checker(path, raw)
    patients = _convert(raw, PATIENT_COLUMNS, check, arms)
    check = _Checker(path, patients)
    _unique_ids(patients, check, PATIENTS)
    _check_patients(patients, check)
    patients = patients.reset_index(drop=True)

    path = folder / INFECTIONS
    raw = _read_rows(path, INFECTION_COLUMNS)
    infections = _convert(raw, INFECTION_COLUMNS, _Checker(path, raw), arms)
    _check_infections(infections, patients, _Checker(path, infections))

    resource_use = None
    path = folder / RESOURCE_USE
    if path.exists():
        raw = _read_rows(path, RESOURCE_COLUMNS)
        resource_use = _convert(raw, RESOURCE_COLUMNS, _Checker(path, raw), arms)
        check = _Checker(path, resource_use)
        _known_patients(resource_use, patients, check)
        _unique_ids(resource_use, check, RESOURCE_USE)
    return TrialData(folder, arms, patients, infections, resource_use)


def write_trial(folder: Path, patients: pd.DataFrame, infections: pd.DataFrame,
                resource_use: pd.DataFrame | None = None) -> list[Path]:
    """Write the files of a trial folder (created if needed) in the schema's column order
    (the ``line`` column and any other column outside the schema are left out). Returns the
    paths written."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    tables = [(PATIENTS, patients, PATIENT_COLUMNS), (INFECTIONS, infections, INFECTION_COLUMNS)]
    if resource_use is not None:
        tables.append((RESOURCE_USE, resource_use, RESOURCE_COLUMNS))
    paths = []
    for name, frame, columns in tables:
        path = Path(folder) / name
        frame[[c.name for c in columns]].to_csv(path, index=False)
        paths.append(path)
    return paths

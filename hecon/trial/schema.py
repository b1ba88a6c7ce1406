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
from hecon.model.files import parse_number, parse_numbers, read_csv_cells, shown
from hecon.results.folder import sha256

PATIENTS, INFECTIONS, RESOURCE_USE = "patients.csv", "infections.csv", "resource_use.csv"
SEXES = ("male", "female")
MHLADR_DAY = 10  # the day of the second mHLA-DR measurement (column mhladr_d10)
#: Days by which a stay in resource_use.csv may exceed the history in patients.csv (rounding)
DAY_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Column:
    """A column of a trial file.

    ``kind`` says what a cell holds: ``id`` (non-empty text), ``arm`` (a randomised arm),
    ``day`` (days from randomisation, ≥ 0), ``number`` (≥ 0), ``count`` (a whole number ≥ 0),
    ``binary`` (0 or 1), ``sex`` (male or female) or ``text``. Every column must be in the
    header; a ``required`` column's cells must be filled, the others may be empty (missing).
    Numbers are plain decimal or scientific notation (:func:`hecon.model.files.parse_number`);
    ``bounds`` narrows a number to a plausible range.
    """

    name: str
    kind: str
    required: bool
    description: str
    bounds: tuple[float, float] | None = None


PATIENT_COLUMNS = (
    Column("patient_id", "id", True, "unique patient identifier"),
    Column("arm", "arm", True, "randomised arm (a strategy of the model)"),
    Column("age", "number", False, "age at randomisation, years (adults: 18 to 120)", bounds=(18, 120)),
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
    Column("active_drug_doses", "count", False, "doses of the active drug (0 for placebo injections)"),
    Column("monitoring_tests", "count", False, "immune monitoring tests attributable to the strategy"),
    Column("infection_episodes", "count", False, "infection episodes treated"),
    Column("serious_adverse_events", "count", False, "serious adverse events treated"),
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
        row = self.first_row(bad)
        if row is not None:
            text = message(row) if callable(message) else message
            raise InputError(text, file=self.path, row=int(row["line"]), column=column, fix=fix)

    def first_row(self, bad) -> pd.Series | None:
        """The first offending row of the mask, if any."""
        bad = np.asarray(bad, dtype=bool)
        return self.frame.iloc[int(np.flatnonzero(bad)[0])] if bad.any() else None


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
            check.first(~text.isin(arms), column.name, lambda r: f"unknown arm {shown(r['arm'])}",
                        f"use one of: {', '.join(arms)}")
            out[column.name] = text
        elif column.kind == "sex":
            lower = text.str.lower()
            check.first(~empty & ~lower.isin(SEXES), column.name,
                        lambda r, n=column.name: f"{shown(r[n])} is not a sex", "write male or female")
            out[column.name] = lower.where(~empty, None)
        else:
            out[column.name] = _numbers(text, empty, column, check)
    return out


def _numbers(text: pd.Series, empty: np.ndarray, column: Column, check: _Checker) -> np.ndarray:
    """A column's cells as floats (NaN where empty), each checked against the column's kind."""
    name = column.name
    values = parse_numbers(text)
    values[empty] = np.nan
    row = check.first_row(~empty & ~np.isfinite(values))
    if row is not None:  # parse_number says what is wrong with the cell, and how to write it
        parse_number(row[name], file=check.path, row=int(row["line"]), column=name)
    what = {"day": "a day", "number": "a value", "count": "a count", "binary": "a value"}[column.kind]
    check.first(values < 0, name, lambda r: f"{what} cannot be negative ({r[name]})",
                "days count from randomisation (day 0); correct the sign" if column.kind == "day"
                else f"{name} must be ≥ 0")
    if column.kind == "count":
        check.first(values != np.round(values), name, lambda r: f"{shown(r[name])} is not a whole number",
                    f"{name} is a count: 0, 1, 2, …")
    if column.kind == "binary":
        check.first(~np.isin(values, (0, 1)) & ~empty, name,
                    lambda r: f"{shown(r[name])} is neither 0 nor 1", "write 1 (yes) or 0 (no)")
    if column.bounds is not None:
        low, high = column.bounds
        check.first((values < low) | (values > high), name,
                    lambda r: f"{name} {r[name]} is outside [{low:g}, {high:g}]",
                    f"check the value; {column.description}")
    return values


def _unique_ids(frame: pd.DataFrame, check: _Checker, what: str) -> None:
    duplicated = frame["patient_id"].duplicated().to_numpy()
    first_line = frame.groupby("patient_id")["line"].transform("min")
    check.first(duplicated, "patient_id",
                lambda r: f"patient {shown(r['patient_id'])} already has a row (line "
                          f"{first_line[r.name]}); {what} holds one row per patient",
                "merge the two rows or correct the identifier")


def _known_patients(frame: pd.DataFrame, patients: pd.DataFrame, check: _Checker) -> np.ndarray:
    """The row of each record's patient in ``patients``; unknown ids are an error."""
    position = pd.Index(patients["patient_id"]).get_indexer(frame["patient_id"])
    check.first(position < 0, "patient_id", lambda r: f"unknown patient {shown(r['patient_id'])}",
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


def _check_measurements(p: pd.DataFrame, check: _Checker) -> None:
    """The day-10 mHLA-DR is measured on a patient followed (and alive) to day 10."""
    measured = np.isfinite(p["mhladr_d10"].to_numpy())
    stop = end_of_followup(p)
    check.first(measured & (stop < MHLADR_DAY), "mhladr_d10",
                lambda r: f"mHLA-DR measured on day {MHLADR_DAY}, after the patient's "
                          f"{'death' if np.isfinite(r['death_day']) else 'last follow-up'} "
                          f"(day {stop[r.name]:g})",
                f"leave mhladr_d10 empty for a patient not followed alive to day {MHLADR_DAY}")


def _check_arms(p: pd.DataFrame, arms: Sequence[str], path: Path) -> None:
    """A randomised comparison needs patients in every arm of the model."""
    counts = p["arm"].value_counts()
    empty = [arm for arm in arms if counts.get(arm, 0) == 0]
    if empty:
        found = ", ".join(f"{arm} ({counts[arm]} patients)" for arm in arms if counts.get(arm, 0))
        raise InputError(f"no patient randomised to {', '.join(empty)}; the arms found are {found}",
                         file=path, column="arm",
                         fix=f"a comparison needs patients in each arm ({', '.join(arms)}): "
                             "check the arm column, or give the whole trial")


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


def _stays(p: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each patient's days in the ICU, on the ward after it and at home after hospital, as
    the history in patients.csv allows (to death or the last follow-up)."""
    icu, hospital = p["icu_discharge_day"].to_numpy(), p["hospital_discharge_day"].to_numpy()
    end = end_of_followup(p)
    left_icu, left_hospital = np.isfinite(icu), np.isfinite(hospital)
    return {"icu_days": np.where(left_icu, icu, end),
            "ward_days": np.where(left_icu, np.where(left_hospital, hospital, end) - icu, 0.0),
            "home_days": np.where(left_hospital, end - hospital, 0.0)}


def _check_resource_use(r: pd.DataFrame, position: np.ndarray, patients: pd.DataFrame,
                        infections: pd.DataFrame, check: _Checker) -> None:
    """Each patient's resource use must fit the history: no stay longer than the patients.csv
    history allows, no more infected ICU days than ICU days, no more active doses than
    injections, no more episodes treated than infections.csv records, and no adverse event
    treated where patients.csv records none."""
    of_patient = patients.iloc[position].reset_index(drop=True)
    fix = "correct it, or the patient's days in patients.csv"
    for column, stay in _stays(patients).items():
        allowed = stay[position]
        check.first(r[column].to_numpy() > allowed + DAY_TOLERANCE, column,
                    lambda row, c=column, a=allowed: f"{c} {row[c]:g} exceeds the {a[row.name]:g} days "
                                                     f"that the patient's history in {PATIENTS} allows", fix)
    check.first(r["icu_days_infected"] > r["icu_days"] + DAY_TOLERANCE, "icu_days_infected",
                lambda row: f"{row['icu_days_infected']:g} infected ICU days but {row['icu_days']:g} ICU days",
                "icu_days_infected counts the ICU days with an active infection")
    doses = of_patient["doses_given"].to_numpy()
    check.first(r["active_drug_doses"].to_numpy() > doses, "active_drug_doses",
                lambda row: f"{row['active_drug_doses']:g} active doses but {doses[row.name]:g} injections "
                            f"given (doses_given in {PATIENTS})", "active doses are among the injections given")
    recorded = np.bincount(pd.Index(patients["patient_id"]).get_indexer(infections["patient_id"]),
                           minlength=len(patients))[position]
    check.first(r["infection_episodes"].to_numpy() > recorded, "infection_episodes",
                lambda row: f"{row['infection_episodes']:g} infection episodes treated but "
                            f"{recorded[row.name]} recorded in {INFECTIONS}",
                f"add the episodes to {INFECTIONS} or correct the count")
    none = of_patient["serious_adverse_event"].to_numpy() == 0
    check.first(none & (r["serious_adverse_events"].to_numpy() > 0), "serious_adverse_events",
                lambda row: f"{row['serious_adverse_events']:g} serious adverse events treated but "
                            f"serious_adverse_event is 0 in {PATIENTS}", "correct one of the two")


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
    _check_measurements(patients, check)
    _check_arms(patients, arms, path)
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
        position = _known_patients(resource_use, patients, check)
        _unique_ids(resource_use, check, RESOURCE_USE)
        _check_resource_use(resource_use.reset_index(drop=True), position, patients, infections,
                            _Checker(path, resource_use.reset_index(drop=True)))
    return TrialData(folder, arms, patients, infections, resource_use)


def trial_tables(patients: pd.DataFrame, infections: pd.DataFrame,
                 resource_use: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a trial folder by file stem, in the schema's column order (the ``line``
    column and any other column outside the schema left out)."""
    tables = [(PATIENTS, patients, PATIENT_COLUMNS), (INFECTIONS, infections, INFECTION_COLUMNS)]
    if resource_use is not None:
        tables.append((RESOURCE_USE, resource_use, RESOURCE_COLUMNS))
    return {name.removesuffix(".csv"): frame[[c.name for c in columns]] for name, frame, columns in tables}


def write_trial(folder: Path, patients: pd.DataFrame, infections: pd.DataFrame,
                resource_use: pd.DataFrame | None = None) -> list[Path]:
    """Write the files of a trial folder (created if needed; see :func:`trial_tables`).
    Returns the paths written."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, frame in trial_tables(patients, infections, resource_use).items():
        frame.to_csv(Path(folder) / f"{stem}.csv", index=False)
        paths.append(Path(folder) / f"{stem}.csv")
    return paths

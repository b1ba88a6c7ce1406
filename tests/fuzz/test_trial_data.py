"""Fuzz: trial data through `hecon trial fit` and `hecon trial cea`.

Start from the valid four-patient trial of ``tests/trial_example.py`` and corrupt one cell, one
row or one file at a time — hand-written (every case of the issue) and hypothesis-generated.
Each run ends in one line naming the corrupted file, exit 2, nothing written, the trial folder
unchanged. (The example is too small to fit, so each corruption must be caught on loading, in
the file it is in: the line names that file.)
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.model.files import NUMBER
from hecon.trial.schema import INFECTION_COLUMNS, PATIENT_COLUMNS, RESOURCE_COLUMNS
from tests.fuzz.conftest import refused
from tests.trial_example import FILES, write_example

P, INF, R = "patients.csv", "infections.csv", "resource_use.csv"
COLUMNS = {P: PATIENT_COLUMNS, INF: INFECTION_COLUMNS, R: RESOURCE_COLUMNS}
NUMERIC = ("day", "number", "count", "binary")


def table(name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(FILES[name])))


def as_csv(rows: list[list[str]]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


def with_cell(name: str, line: int, column: str, value: str, **others: str) -> dict[str, str]:
    """The example's files with one cell of ``name`` (header = line 1) replaced (and the
    ``others`` of the same line)."""
    rows = table(name)
    for key, text in {column: value, **others}.items():
        rows[line - 1][rows[0].index(key)] = text
    return {**FILES, name: as_csv(rows)}


def assert_refused(folder, file: str, contains: str | None = None) -> None:
    """`trial fit` and `trial cea` both refuse the folder with a line naming ``file``."""
    for command in (["trial", "fit", folder, "--out", "fitted"],
                    ["trial", "cea", folder, "--out", "within", "--bootstrap", "20"]):
        line = refused(command, watch=[folder], contains=contains)
        assert str(folder / file) in line, line


# --------------------------------------------------------------------------- hand-written

#: case → (file, line, column, new cell, fragment of the error[, other cells of the line])
CELLS = {
    "ICU days beyond the ICU discharge": (R, 2, "icu_days", "40", "icu_days 40 exceeds the 12 days"),
    "ward days beyond the hospital discharge": (R, 5, "ward_days", "30", "exceeds the 10 days"),
    "home days beyond the follow-up": (R, 2, "home_days", "61", "exceeds the 60 days"),
    "ICU discharge before randomisation": (P, 2, "icu_discharge_day", "-2", "cannot be negative"),
    "hospital discharge before the ICU discharge": (P, 2, "hospital_discharge_day", "11", "before the admission"),
    "ICU discharge after death": (P, 3, "icu_discharge_day", "46", "after death"),
    "death after the last follow-up": (P, 3, "last_followup_day", "44", "after the last follow-up"),
    "infection onset after death": (INF, 3, "onset_day", "9", "after the patient's death (day 8)"),
    "infection onset after the follow-up": (INF, 2, "onset_day", "95", "after the patient's last follow-up",
                                            {"end_day": ""}),
    "age 17": (P, 2, "age", "17", "outside [18, 120]"),
    "age 121": (P, 2, "age", "121", "outside [18, 120]"),
    "age 1e9": (P, 2, "age", "1e9", "outside [18, 120]"),
    "negative count": (R, 3, "active_drug_doses", "-5", "cannot be negative"),
    "negative stay": (R, 3, "ward_days", "-1", "cannot be negative"),
    "fractional doses": (P, 2, "doses_given", "2.5", "not a whole number"),
    "arm not among the strategies": (P, 3, "arm", "=ifn_gamma", "unknown arm '=ifn_gamma'"),
    "duplicate patient id": (P, 5, "patient_id", "P1", "already has a row"),
    "400-digit number": (P, 2, "mhladr_baseline", "7" * 400, "beyond the floating-point range"),
    "1_0": (P, 2, "lymphocytes_baseline", "1_0", "'1_0' is not a number"),
    "Arabic-Indic digits": (P, 2, "age", "٦٠", "'٦٠' is not a number"),
    "full-width digits": (R, 2, "icu_days", "１２", "is not a number"),
    "nan": (P, 2, "last_followup_day", "nan", "'nan' is not a number"),
    "infinite day": (P, 2, "death_day", "inf", "'inf' is not a number"),
    "empty follow-up": (P, 4, "last_followup_day", "", "empty cell"),
    "mHLA-DR measured after death": (P, 4, "mhladr_d10", "9000", "after the patient's death"),
    "unknown patient's episode": (INF, 2, "patient_id", "P99", "unknown patient 'P99'"),
    "episode ending before its onset": (INF, 2, "end_day", "1", "before its onset"),
    "more episodes treated than recorded": (R, 4, "infection_episodes", "3", "1 recorded in infections.csv"),
    "adverse event treated, none recorded": (R, 2, "serious_adverse_events", "1", "serious_adverse_event is 0"),
    "more infected ICU days than ICU days": (R, 3, "icu_days_infected", "21", "infected ICU days but 20"),
}


@pytest.mark.parametrize("case", sorted(CELLS))
def test_hostile_cell(workdir, tmp_path, case):
    file, line, column, value, fragment, *others = CELLS[case]
    folder = write_example(tmp_path / "trial", with_cell(file, line, column, value, **(others or [{}])[0]))
    assert_refused(folder, file, fragment)


def test_every_patient_in_one_arm(workdir, tmp_path):
    folder = write_example(tmp_path / "trial", {**FILES, P: FILES[P].replace(",ifn_gamma,", ",placebo,")})
    assert_refused(folder, P, "no patient randomised to ifn_gamma; the arms found are placebo (4 patients)")


#: case → (file, its whole content, fragment of the error)
FILE_CASES = {
    "empty patients": (P, b"", "the file is empty"),
    "header only": (P, FILES[P].splitlines()[0].encode() + b"\n", "no patients"),
    "binary": (INF, bytes(range(256)) * 4, None),
    "latin-1": (R, FILES[R].replace("P1", "Pé").encode("latin-1"), "not a UTF-8"),
    "missing column": (P, FILES[P].replace("arm,", "", 1).encode(), "missing column(s): arm"),
    "duplicate column": (P, FILES[P].replace("age,", "age,age,", 1).encode(), "appears twice"),
    "ragged row": (INF, FILES[INF].replace("P1,3,10,lung", "P1,3,10,lung,extra").encode(), "cells where the header"),
    "semicolons": (R, FILES[R].replace(",", ";").encode(), "separated by semicolons"),
    "NUL bytes": (P, FILES[P].replace("P2", "P\x002").encode(), None),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_hostile_file(workdir, tmp_path, case):
    file, content, fragment = FILE_CASES[case]
    folder = write_example(tmp_path / "trial")
    (folder / file).write_bytes(content)
    assert_refused(folder, file, fragment)


def test_a_missing_file_and_a_folder_in_its_place(workdir, tmp_path):
    folder = write_example(tmp_path / "trial", {P: FILES[P], R: FILES[R]})
    assert_refused(folder, INF, "file not found")
    (folder / INF).mkdir()
    assert_refused(folder, INF)


def test_a_file_given_as_the_folder(workdir, tmp_path):
    folder = write_example(tmp_path / "trial")
    for command in (["trial", "fit"], ["trial", "cea"]):
        refused([*command, folder / P, "--out", "out"], watch=[folder], contains="not a folder")


# --------------------------------------------------------------------------- generated


def is_number(text: str) -> bool:
    return NUMBER.fullmatch(text.strip()) is not None


NOT_NUMBERS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["nan", "inf", "-Infinity", "1_0", "٣", "１", "0x10", "1e999", "12,5", "twelve", "9" * 400]),
).filter(lambda text: text.strip() and (not is_number(text) or abs(float(text)) == float("inf")))


@st.composite
def corruptions(draw) -> tuple[str, dict[str, str]]:
    """(the file corrupted, the example's files with one impossible cell or row)."""
    kind = draw(st.sampled_from(["not a number", "negative", "beyond the history", "age", "duplicate row",
                                 "unknown patient", "empty required cell"]))
    if kind in ("not a number", "negative"):
        file = draw(st.sampled_from([P, INF, R]))
        column = draw(st.sampled_from([c.name for c in COLUMNS[file] if c.kind in NUMERIC]))
        line = draw(st.integers(2, len(table(file))))
        value = draw(NOT_NUMBERS) if kind == "not a number" else f"-{draw(st.floats(1e-3, 1e6)):g}"
        return file, with_cell(file, line, column, value)
    if kind == "beyond the history":  # a stay or an episode past what patients.csv allows
        line = draw(st.integers(2, 5))
        excess = draw(st.floats(0.01, 1e6))
        allowed = {"icu_days": [12, 20, 8, 15], "ward_days": [18, 25, 0, 10], "home_days": [60, 0, 0, 35]}
        column = draw(st.sampled_from(sorted(allowed)))
        return R, with_cell(R, line, column, f"{allowed[column][line - 2] + excess:g}")
    if kind == "age":
        age = draw(st.one_of(st.floats(0, 17.99), st.floats(120.01, 1e300)))
        return P, with_cell(P, draw(st.integers(2, 5)), "age", f"{age:g}")
    if kind == "duplicate row":
        file = draw(st.sampled_from([P, R]))
        rows = table(file)
        return file, {**FILES, file: as_csv([*rows, rows[draw(st.integers(1, len(rows) - 1))]])}
    if kind == "unknown patient":
        file = draw(st.sampled_from([INF, R]))
        name = draw(st.text(min_size=1, max_size=10).filter(lambda t: t.strip() not in {"", "P1", "P2", "P3", "P4"}))
        return file, with_cell(file, 2, "patient_id", name)
    file = draw(st.sampled_from([P, INF]))
    column = draw(st.sampled_from([c.name for c in COLUMNS[file] if c.required]))
    return file, with_cell(file, draw(st.integers(2, len(table(file)))), column, "")


@given(case=corruptions())
def test_any_single_corruption_is_refused_naming_its_file(workdir, tmp_path, case):
    file, files = case
    folder = write_example(tmp_path / "trial", files)
    assert_refused(folder, file)

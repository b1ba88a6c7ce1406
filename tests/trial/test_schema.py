"""Trial data files: loading, and one clear error per malformed file (hecon.trial.schema)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.results.folder import sha256
from hecon.trial.schema import PATIENT_COLUMNS, load_trial, write_trial
from tests.trial_example import ARMS, FILES, with_cells, write_example


def error_of(folder, **files) -> InputError:
    with pytest.raises(InputError) as caught:
        load_trial(write_example(folder, {**FILES, **files}), ARMS)
    return caught.value


def test_the_example_loads_typed(tmp_path):
    data = load_trial(write_example(tmp_path), ARMS)
    p = data.patients
    assert list(p["patient_id"]) == ["P1", "P2", "P3", "P4"]
    assert list(p["line"]) == [2, 3, 4, 5]
    assert p["death_day"].tolist()[1:3] == [45.0, 8.0] and math.isnan(p["death_day"][0])
    assert p["sex"].tolist() == ["male", "female", "male", "female"]
    assert math.isnan(p["mhladr_d10"][2])
    assert list(data.arm_index()) == [0, 1, 0, 1]
    assert data.infections["site"].tolist()[-1] == "urinary tract"
    assert data.resource_use["infection_episodes"].tolist() == [1, 2, 1, 0]
    assert set(data.files) == {"patients.csv", "infections.csv", "resource_use.csv"}


def test_resource_use_is_optional_and_the_digest_follows_the_files(tmp_path):
    full = load_trial(write_example(tmp_path / "a"), ARMS)
    lean = load_trial(write_example(tmp_path / "b", {k: v for k, v in FILES.items()
                                                      if k != "resource_use.csv"}), ARMS)
    assert lean.resource_use is None and set(lean.files) == {"patients.csv", "infections.csv"}
    assert full.digest() == load_trial(tmp_path / "a", ARMS).digest()
    assert len(full.digest()) == 64 and full.digest() != lean.digest()


def test_extra_columns_are_ignored_and_files_never_modified(tmp_path):
    text = FILES["patients.csv"].replace("last_followup_day\n", "last_followup_day,centre\n")
    text = "\n".join(line + ",Lyon" if i else line for i, line in enumerate(text.splitlines())) + "\n"
    folder = write_example(tmp_path, {**FILES, "patients.csv": text})
    before = {p.name: sha256(p) for p in folder.iterdir()}
    data = load_trial(folder, ARMS)
    assert "centre" not in data.patients
    assert before == {p.name: sha256(p) for p in folder.iterdir()}


def test_write_trial_round_trips(tmp_path):
    data = load_trial(write_example(tmp_path / "in"), ARMS)
    write_trial(tmp_path / "out", data.patients, data.infections, data.resource_use)
    again = load_trial(tmp_path / "out", ARMS)
    assert again.patients.drop(columns="line").equals(data.patients.drop(columns="line"))
    assert list(again.patients.columns[1:]) == [c.name for c in PATIENT_COLUMNS]


P, INF, R = "patients.csv", "infections.csv", "resource_use.csv"
#: file, line, cells changed → the column named and a fragment of the message
CORRUPTIONS = {
    "unknown arm": (P, 3, {"arm": "ifn"}, "arm", "unknown arm 'ifn'"),
    "duplicate id": (P, 5, {"patient_id": "P1"}, "patient_id", "already has a row (line 2)"),
    "negative day": (P, 2, {"icu_discharge_day": "-1"}, "icu_discharge_day", "cannot be negative"),
    "not a number": (P, 2, {"age": "sixty"}, "age", "'sixty' is not a number"),
    "infinite": (P, 2, {"mhladr_baseline": "inf"}, "mhladr_baseline", "is not a number"),
    "empty follow-up": (P, 2, {"last_followup_day": ""}, "last_followup_day", "empty cell"),
    "empty id": (P, 4, {"patient_id": ""}, "patient_id", "empty cell"),
    "bad sex": (P, 2, {"sex": "M"}, "sex", "'M' is not a sex"),
    "bad binary": (P, 2, {"serious_adverse_event": "2"}, "serious_adverse_event", "neither 0 nor 1"),
    "fractional doses": (P, 2, {"doses_given": "2.5"}, "doses_given", "not a whole number"),
    "discharge before admission": (P, 2, {"hospital_discharge_day": "10"}, "hospital_discharge_day",
                                   "before the admission to the ward"),
    "hospital discharge without ICU discharge": (P, 4, {"hospital_discharge_day": "5"},
                                                 "hospital_discharge_day", "never from the ICU"),
    "ICU discharge after death": (P, 3, {"icu_discharge_day": "50"}, "icu_discharge_day", "after death"),
    "hospital discharge after death": (P, 3, {"hospital_discharge_day": "46"}, "hospital_discharge_day",
                                       "after death"),
    "event after censoring": (P, 5, {"hospital_discharge_day": "70"}, "hospital_discharge_day",
                              "after the last follow-up (day 60)"),
    "death after censoring": (P, 3, {"last_followup_day": "40"}, "death_day", "after the last follow-up"),
    "episode of an unknown patient": (INF, 2, {"patient_id": "P9"}, "patient_id", "unknown patient 'P9'"),
    "episode ends before onset": (INF, 2, {"end_day": "2"}, "end_day", "before its onset"),
    "episode after death": (INF, 3, {"onset_day": "9"}, "onset_day", "after the patient's death (day 8)"),
    "episode after censoring": (INF, 2, {"patient_id": "P4", "onset_day": "65", "end_day": ""}, "onset_day",
                                "after the patient's last follow-up (day 60)"),
    "episode ends after death": (INF, 5, {"end_day": "46"}, "end_day", "after the patient's death"),
    "overlapping episodes": (INF, 5, {"onset_day": "8"}, "onset_day", "previous episode (line 4)"),
    "negative onset": (INF, 2, {"onset_day": "-3"}, "onset_day", "cannot be negative"),
    "resource use of an unknown patient": (R, 3, {"patient_id": "P7"}, "patient_id", "unknown patient"),
    "resource use twice": (R, 4, {"patient_id": "P2"}, "patient_id", "already has a row (line 3)"),
    "negative resource": (R, 2, {"ward_days": "-4"}, "ward_days", "cannot be negative"),
    "text resource": (R, 2, {"icu_days": "twelve"}, "icu_days", "'twelve' is not a number"),
    "minor": (P, 2, {"age": "17"}, "age", "age 17 is outside [18, 120]"),
    "age beyond 120": (P, 3, {"age": "121"}, "age", "age 121 is outside [18, 120]"),
    "underscore in a number": (P, 2, {"age": "6_0"}, "age", "'6_0' is not a number"),
    "Arabic-Indic digits": (P, 2, {"age": "٦٠"}, "age", "'٦٠' is not a number"),
    "400 digits": (P, 2, {"mhladr_baseline": "9" * 400}, "mhladr_baseline", "beyond the floating-point range"),
    "NaN day": (P, 2, {"death_day": "NaN"}, "death_day", "'NaN' is not a number"),
    "day-10 measurement after death": (P, 4, {"mhladr_d10": "5000"}, "mhladr_d10",
                                       "measured on day 10, after the patient's death (day 8)"),
    "day-10 measurement after censoring": (P, 5, {"last_followup_day": "9", "hospital_discharge_day": "",
                                                  "icu_discharge_day": "5"}, "mhladr_d10",
                                           "after the patient's last follow-up (day 9)"),
    "ICU days beyond ICU discharge": (R, 2, {"icu_days": "13"}, "icu_days",
                                      "icu_days 13 exceeds the 12 days that the patient's history"),
    "ICU days beyond death": (R, 4, {"icu_days": "8.5"}, "icu_days", "exceeds the 8 days"),
    "ward days without ICU discharge": (R, 4, {"ward_days": "1"}, "ward_days", "ward_days 1 exceeds the 0 days"),
    "ward days beyond hospital discharge": (R, 5, {"ward_days": "11"}, "ward_days", "exceeds the 10 days"),
    "home days beyond follow-up": (R, 5, {"home_days": "36"}, "home_days", "exceeds the 35 days"),
    "home days while in hospital": (R, 3, {"home_days": "2"}, "home_days", "exceeds the 0 days"),
    "infected ICU days beyond ICU days": (R, 2, {"icu_days_infected": "12.5"}, "icu_days_infected",
                                          "12.5 infected ICU days but 12 ICU days"),
    "active doses beyond injections": (R, 3, {"active_drug_doses": "6"}, "active_drug_doses",
                                       "6 active doses but 5 injections given"),
    "fractional episodes": (R, 2, {"infection_episodes": "1.5"}, "infection_episodes", "'1.5' is not a whole number"),
    "episodes treated beyond those recorded": (R, 2, {"infection_episodes": "2"}, "infection_episodes",
                                               "2 infection episodes treated but 1 recorded in infections.csv"),
    "adverse event treated but none recorded": (R, 2, {"serious_adverse_events": "1"}, "serious_adverse_events",
                                                "serious_adverse_event is 0 in patients.csv"),
    "negative count": (R, 2, {"monitoring_tests": "-1"}, "monitoring_tests", "cannot be negative"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_malformed_file_names_file_row_column_and_fix(tmp_path, name):
    file, line, cells, column, fragment = CORRUPTIONS[name]
    error = error_of(tmp_path, **{file: with_cells(FILES[file], line, cells)})
    assert error.file == str(tmp_path / file)
    assert (error.row, error.column) == (line, column)
    assert fragment in error.message and error.fix
    assert str(error).startswith(f"{tmp_path / file}, row {line}, column '{column}': ")


def test_an_episode_without_end_followed_by_another_is_refused(tmp_path):
    text = with_cells(FILES[INF], 4, {"end_day": ""})
    error = error_of(tmp_path, **{INF: text})
    assert (error.row, error.column) == (5, "onset_day") and "give the previous episode" in error.fix


@pytest.mark.parametrize(("file", "text", "row", "fragment"), [
    (P, "", None, "the file is empty"),
    (P, FILES[P].splitlines()[0] + "\n", None, "no patients"),
    (P, FILES[P].replace("arm,", "", 1), 1, "missing column(s): arm"),
    (P, FILES[P].replace("age,", "age,age,", 1), 1, "column 'age' appears twice"),
    (INF, FILES[INF].replace("P1,3,10,lung", "P1,3,10,lung,extra"), 2, "5 cells where the header has 4"),
    (R, b"\xff\xfe\xfa" + FILES[R].encode(), None, "not a UTF-8"),
])
def test_file_level_mistakes(tmp_path, file, text, row, fragment):
    folder = write_example(tmp_path, FILES)
    content = text if isinstance(text, bytes) else text.encode()
    (folder / file).write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_trial(folder, ARMS)
    assert caught.value.file == str(folder / file) and caught.value.row == row
    assert fragment in caught.value.message


def test_missing_files_and_folders(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        load_trial(tmp_path / "nowhere", ARMS)
    folder = write_example(tmp_path, {P: FILES[P]})
    with pytest.raises(InputError, match="infections.csv: file not found"):
        load_trial(folder, ARMS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=st.sampled_from([P, INF, R]), line=st.integers(2, 5), column=st.integers(0, 12),
       junk=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=",\n\r\"'"),
                    max_size=12))
def test_any_cell_text_loads_or_fails_clearly(tmp_path, file, line, column, junk):
    header = FILES[file].splitlines()[0].split(",")
    name = header[column % len(header)]
    folder = write_example(tmp_path, {**FILES, file: with_cells(FILES[file], line, {name: junk})})
    try:
        data = load_trial(folder, ARMS)
    except InputError as error:
        assert error.file in {str(folder / f) for f in FILES}
        assert error.row is None or 1 <= error.row <= 5
    else:
        assert np.all(data.patients["last_followup_day"] >= 0)


def test_every_arm_needs_patients(tmp_path):
    text = FILES[P].replace(",ifn_gamma,", ",placebo,")
    error = error_of(tmp_path, **{P: text})
    assert (error.file, error.row, error.column) == (str(tmp_path / P), None, "arm")
    assert error.message == "no patient randomised to ifn_gamma; the arms found are placebo (4 patients)"
    assert error.fix.startswith("a comparison needs patients in each arm (placebo, ifn_gamma)")


def test_the_stays_of_the_example_are_exactly_those_its_history_allows(tmp_path):
    """The example's resource use fills each patient's history to the day (the bounds hold
    with equality), so the checks leave no slack."""
    data = load_trial(write_example(tmp_path), ARMS)
    use = data.resource_use
    assert (use["icu_days"] + use["ward_days"] + use["home_days"]).tolist() == [90, 45, 8, 60]

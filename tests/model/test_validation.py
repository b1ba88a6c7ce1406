"""Validation targets (hecon.model.validation): ``validation_targets.csv`` read strictly, every
mistake one line naming the file, the row and the fix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.model.validation import COLUMNS, TARGETS_FILE, ValidationTarget, read_validation_targets

HEADER = ",".join(COLUMNS) + "\n"
ROW = 'mortality_1y,0.151,0.10,0.30,probability,"Hill et al. 2016, 1-year mortality",ICU stay 14-60 d\n'


def write(tmp_path, text: str):
    path = tmp_path / TARGETS_FILE
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path, checks=None) -> str:
    with pytest.raises(InputError) as caught:
        read_validation_targets(path, checks)
    line = str(caught.value)
    assert len(line.splitlines()) == 1, line
    return line


def test_a_row_is_a_target_with_its_range_unit_and_source(tmp_path):
    path = write(tmp_path, HEADER + ROW + "\n")
    assert read_validation_targets(path, ("mortality_1y", "mortality_3y")) == {"mortality_1y": ValidationTarget(
        "mortality_1y", 0.151, 0.10, 0.30, "probability", "Hill et al. 2016, 1-year mortality", "ICU stay 14-60 d")}


@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(0, 1e6), st.floats(0, 1e6)), min_size=1, max_size=6))
def test_numbers_are_read_back_exactly_in_file_order(tmp_path_factory, rows):
    """target, target − a, target + b written with repr are read back as the same floats."""
    lines = "".join(f"check_{i},{t!r},{t - a!r},{t + b!r},unit,source,\n" for i, (t, a, b) in enumerate(rows))
    targets = read_validation_targets(write(tmp_path_factory.mktemp("targets"), HEADER + lines))
    assert list(targets) == [f"check_{i}" for i in range(len(rows))]
    assert [(x.target, x.low, x.high) for x in targets.values()] == [(t, t - a, t + b) for t, a, b in rows]


@pytest.mark.parametrize(("text", "message"), [
    (HEADER.replace(",notes", ""), "row 1, column 'notes': missing column(s): notes"),
    (HEADER.replace("notes", "comment"), "row 1, column 'notes': missing column(s): notes"),
    (HEADER + ROW.replace("0.151", "15,1 %"), "row 2: 8 cells where the header has 7"),
    (HEADER + ROW.replace("0.151", "15.1%"), "row 2, column 'target': '15.1%' is not a number"),
    (HEADER + ROW.replace("0.30", "nan"), "row 2, column 'high': 'nan' is not a number (fix: give a finite number)"),
    (HEADER + ROW.replace("0.10", "0.2"), "row 2, column 'low': the range [0.2, 0.3] does not hold the target 0.151 "
                                          "(fix: give low ≤ target ≤ high)"),
    (HEADER + ROW + ROW, "row 3, column 'check': the check 'mortality_1y' has two rows (fix: keep one row per check)"),
    (HEADER + ROW.replace("mortality_1y", "1-year mortality"), "row 2, column 'check': check '1-year mortality' is "
                                                               "not an identifier"),
    (HEADER + ROW.replace('"Hill et al. 2016, 1-year mortality"', ""), "row 2, column 'source': the source is empty"),
    (HEADER + ROW.replace("probability", " "), "row 2, column 'unit': the unit is empty"),
])
def test_a_mistake_is_one_line_naming_the_row_and_the_fix(tmp_path, text, message):
    path = write(tmp_path, text)
    assert refusal(path).startswith(f"{path}, {message}")


def test_a_check_the_model_does_not_compute_is_named_with_the_ones_it_does(tmp_path):
    path = write(tmp_path, HEADER + ROW)
    assert refusal(path, ("mortality_3y", "mortality_5y")) == (
        f"{path}, row 2, column 'check': the model computes no check 'mortality_1y' "
        "(fix: the checks are: mortality_3y, mortality_5y)")


def test_a_missing_file_is_named(tmp_path):
    assert refusal(tmp_path / TARGETS_FILE).startswith(f"{tmp_path / TARGETS_FILE}: file not found")

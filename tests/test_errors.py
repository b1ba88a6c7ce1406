"""User-facing errors (hecon.errors): one line naming the file, row, column and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.errors import InputError, ModelError, one_line


@pytest.mark.parametrize(("where", "expected"), [
    ({}, "a probability above 1"),
    ({"file": "parameters.csv"}, "parameters.csv: a probability above 1"),
    ({"file": "parameters.csv", "row": 7}, "parameters.csv, row 7: a probability above 1"),
    ({"file": "parameters.csv", "row": 7, "column": "value"},
     "parameters.csv, row 7, column 'value': a probability above 1"),
    ({"column": "value"}, "column 'value': a probability above 1"),
    ({"row": 7, "fix": "give a value in [0, 1]"}, "row 7: a probability above 1 (fix: give a value in [0, 1])"),
])
def test_the_message_names_where_the_mistake_is_then_the_fix(where, expected):
    assert str(InputError("a probability above 1", **where)) == expected


def test_the_parts_stay_readable_by_a_program():
    error = InputError("a probability above 1", file=Path("inputs") / "parameters.csv", row=7,
                       column="value", fix="give a value in [0, 1]")
    assert (error.message, error.file, error.row, error.column, error.fix) == (
        "a probability above 1", str(Path("inputs") / "parameters.csv"), 7, "value", "give a value in [0, 1]")
    assert isinstance(error, ValueError)  # a library caller may catch it as a bad value


def test_an_empty_fix_adds_nothing():
    assert str(InputError("no draws", fix="")) == "no draws"


def test_a_file_name_with_a_newline_stays_on_one_line():
    line = str(InputError("not a CSV file", file="bad\nname.csv", fix="rename\tit"))
    assert line == "bad\\nname.csv: not a CSV file (fix: rename\\tit)"


@given(st.text())
def test_one_line_never_breaks_a_line(text):
    assert len(one_line(text).splitlines()) <= 1


@given(st.text(st.characters(categories=("L", "N", "P", "S"), include_characters=" ")))
def test_one_line_leaves_printable_text_as_it_is(text):
    assert one_line(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("a\nb", "a\\nb"), ("a\rb", "a\\rb"), ("a\tb", "a\\tb"), ("a\x00b", "a\\x00b"),
    ("a\u2028b", "a\\u2028b"), ("€ 20 000", "€ 20 000"),
])
def test_control_characters_are_written_as_their_escapes(text, expected):
    assert one_line(text) == expected


def test_a_model_error_keeps_the_sets_it_names():
    error = ModelError("a transition row does not sum to one", sets=[3, 8])
    assert str(error) == "a transition row does not sum to one" and error.sets == [3, 8]
    assert isinstance(error, RuntimeError) and not isinstance(error, ValueError)
    assert ModelError("infeasible calibration").sets is None

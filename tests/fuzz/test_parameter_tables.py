"""Fuzz: malformed parameter tables through ``hecon validate FILE``.

A valid table (the shipped ``example_sick`` one, with every distribution form) is corrupted
once: a bad number (underscores, non-ASCII digits, NaN, infinities, garbage, 400 digits), an
unknown distribution, arguments of no form, a probability above one, a missing or unknown
column, a duplicate name, a name that is not an identifier (formula prefixes first), a value
whose distribution's moments overflow. Each must end in one ``error:`` line naming the row,
exit 2, with nothing written; the hand-written hostile files of issue 11 are run the same way.
"""

import csv
import io
import os
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.model.files import IDENTIFIER, NUMBER
from hecon.model.parameters import COLUMNS, FORMS
from tests.fuzz.conftest import refused

SHIPPED = Path(__file__).parents[2] / "hecon_models" / "inputs" / "example_sick" / "parameters.csv"
ROWS = list(csv.DictReader(SHIPPED.read_text(encoding="utf-8").splitlines()))
BY_KIND = {kind: [i for i, row in enumerate(ROWS) if row["distribution"] == kind] for kind in FORMS}

NON_ASCII_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳४५६০১২๑๒１２３"
FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r", "|", "%", "1"]
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)

BAD_NUMBERS = st.one_of(
    st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e400", "1" * 400, "9" * 4000,
                     "0x10", "1,5", "1.2.3", "--1", "1e", "½", "one", "1 000", "0.5%"]),
    st.builds(lambda a, b: f"{a}_{b}", st.integers(0, 999), st.integers(0, 999)),
    st.builds(lambda a, d: f"{a}{d}", st.integers(0, 99), st.sampled_from(NON_ASCII_DIGITS)),
    TEXT.filter(lambda t: t.strip() and not NUMBER.fullmatch(t.strip())),
)
#: names that are not identifiers once the reader strips the cell's surrounding blanks
BAD_NAMES = st.one_of(
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(FORMULA_PREFIXES), st.from_regex(r"[a-z_]{1,8}", fullmatch=True)),
    TEXT,
).filter(lambda t: not IDENTIFIER.fullmatch(t.strip()))


def table_text(rows: list[dict[str, str]], columns=COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@st.composite
def malformed_tables(draw) -> tuple[str, int | None]:
    """The text of a table with one mistake, and the line the error must name (None: any)."""
    rows, columns = [dict(r) for r in ROWS], list(COLUMNS)
    i = draw(st.integers(0, len(rows) - 1))
    mistake = draw(st.sampled_from(["number", "argument_number", "distribution", "no_form", "probability",
                                    "missing_column", "unknown_column", "duplicate", "name", "group",
                                    "huge", "empty_value", "no_source"]))
    if mistake == "number":
        rows[i]["value"] = draw(BAD_NUMBERS)
    elif mistake == "argument_number":
        i = draw(st.sampled_from(BY_KIND["gamma"] + BY_KIND["lognormal"]))
        column = "se" if rows[i]["se"] else draw(st.sampled_from(["ci_low", "ci_high"]))
        rows[i][column] = draw(BAD_NUMBERS)
    elif mistake == "distribution":
        rows[i]["distribution"] = draw(TEXT.filter(lambda t: t.strip() not in FORMS))
    elif mistake == "no_form":  # an argument cell no form of the row's distribution uses
        i = draw(st.sampled_from(BY_KIND["beta"] + BY_KIND["gamma"] + BY_KIND["fixed"]))
        empty = [c for c in ("se", "ci_low", "ci_high", "lower", "upper") if not rows[i][c]]
        rows[i][draw(st.sampled_from(empty))] = "0.5"
    elif mistake == "probability":
        i = draw(st.sampled_from(BY_KIND["beta"] + BY_KIND["dirichlet"]))
        rows[i]["value"] = repr(draw(st.floats(1.0001, 1e6)))
    elif mistake == "missing_column":
        columns.remove(draw(st.sampled_from(COLUMNS)))
        return table_text(rows, columns), 1
    elif mistake == "unknown_column":
        columns.insert(draw(st.integers(0, len(columns))),
                       draw(st.from_regex(r"[A-Za-z_ ]{1,12}", fullmatch=True).filter(lambda c: c.strip() not in COLUMNS)))
        return table_text(rows, columns), 1
    elif mistake == "duplicate":
        i = draw(st.integers(1, len(rows) - 1))
        rows[i]["name"] = rows[draw(st.integers(0, i - 1))]["name"]
    elif mistake == "name":
        rows[i]["name"] = draw(BAD_NAMES)
    elif mistake == "group":
        rows[i]["group"] = draw(BAD_NAMES.filter(lambda t: t.strip()))
    elif mistake == "huge":  # the moments of a gamma or a lognormal beyond the floating-point range
        i = draw(st.sampled_from(BY_KIND["gamma"]))
        rows[i].update(value=draw(st.sampled_from(["1e300", "1e200", "1e308"])), se="1e299")
    elif mistake == "empty_value":
        rows[i]["value"] = ""
    else:
        rows[i]["source"] = ""
    return table_text(rows), i + 2


@given(malformed_tables())
def test_malformed_tables_are_refused_with_the_row(workdir, case):
    text, line = case
    path = workdir / "parameters.csv"
    path.write_text(text, encoding="utf-8")
    message = refused(["validate", path], watch=[path])
    assert str(path) in message and (line is None or f"row {line}" in message), message


@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_refused(workdir, data):
    path = workdir / "random.csv"
    path.write_bytes(data)
    refused(["validate", path], watch=[path])


def test_the_shipped_table_itself_is_valid(workdir):
    from typer.testing import CliRunner

    from hecon.cli import app

    path = workdir / "parameters.csv"
    path.write_text(table_text(ROWS), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and f"{len(ROWS)} parameters, valid." in result.stdout


# ---------------------------------------------------------------- the hand-written hostile files

def edited(row: int, **cells) -> str:
    rows = [dict(r) for r in ROWS]
    rows[row].update(cells)
    return table_text(rows)


GAMMA = BY_KIND["gamma"][0]
HOSTILE = {
    "400_digit_integer": (edited(GAMMA, value="1" * 400), "beyond the floating-point range"),
    "gamma_mean_1e300": (edited(GAMMA, value="1e300", se="1e299"), "variance of inf"),
    "underscore_in_number": (edited(GAMMA, value="1_0"), "'1_0' is not a number"),
    "arabic_indic_digits": (edited(GAMMA, value="٥٠٠"), "'٥٠٠' is not a number"),
    "nan": (edited(GAMMA, value="nan"), "'nan' is not a number"),
    "infinity": (edited(GAMMA, se="inf"), "'inf' is not a number"),
    "formula_name": (edited(0, name='=HYPERLINK("http://x","y")'), "is not an identifier"),
    "minus_name": (edited(0, name="-2+3"), "is not an identifier"),
    "at_name": (edited(0, name="@SUM(A1)"), "is not an identifier"),
    "carriage_return_name": (edited(0, name="p\rx"), "is not an identifier"),
    "formula_group": (edited(GAMMA, group="=costs"), "group name '=costs' is not an identifier"),
    "probability_above_one": (edited(0, value="1.5"), "outside the support"),
    "nul_byte": (table_text(ROWS).replace("illustrative", "illus\x00trative", 1), "NUL character"),
    "semicolons": (table_text(ROWS).replace(",", ";"), "semicolons"),
    "latin_1": (None, "not a UTF-8 text file"),
    "line_break_in_the_header": (table_text(ROWS).replace("notes", 'notes,"no\ntes"', 1), "unknown column(s): 'no\\ntes'"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hand_written_hostile_tables(workdir, case):
    text, expected = HOSTILE[case]
    path = workdir / f"{case}.csv"
    if text is None:
        path.write_bytes(table_text(ROWS).replace("responds", "répond").encode("latin-1"))
    else:
        path.write_text(text, encoding="utf-8")
    refused(["validate", path], watch=[path], contains=expected)


def test_a_folder_and_a_binary_file_are_one_line(workdir):
    refused(["validate", "/etc"], contains="this is a folder, not a CSV file")
    refused(["validate", Path(sys.executable).resolve()], contains="not a UTF-8 text file")
    refused(["validate", workdir / "missing.csv"], contains="file not found")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_of_zeros_is_refused_at_the_first_line(workdir):
    refused(["validate", "/dev/zero"], contains="a device or a pipe, not a CSV file")

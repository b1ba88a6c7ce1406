"""Fuzz: PSA files from elsewhere through `hecon cea` and `hecon voi`.

Every hand-written hostile file (each case of the issue) and every hypothesis-generated
malformed file — a valid PSA with one cell, one name or one structural feature corrupted —
ends in one line naming the file, exit 2, nothing written, the file unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.analysis.psafile import DERIVED_WORDS
from hecon.model.files import IDENTIFIER, NUMBER
from tests.fuzz.conftest import refused

COMMANDS = ("cea", "voi")
DRAWS = 30  # enough for the EVPPI, so that a valid file would run every analysis


def valid_long() -> list[list[str]]:
    """A valid long-layout PSA: draws × strategies A and B, one parameter."""
    rows = [["draw", "strategy", "cost", "qaly", "p_cure"]]
    for draw in range(1, DRAWS + 1):
        p = f"{0.3 + draw / 100:.2f}"
        rows += [[str(draw), "A", str(1000 + draw), "1.0", p], [str(draw), "B", str(1500 + draw), "1.1", p]]
    return rows


def valid_wide() -> list[list[str]]:
    """A valid wide-layout PSA: one row per draw, strategies A and B, one parameter."""
    rows = [["A_cost", "A_qaly", "B_cost", "B_qaly", "p_cure"]]
    rows += [[str(1000 + d), "1.0", str(1500 + d), f"{1.1 + d / 1000:.3f}", f"{0.3 + d / 100:.2f}"]
             for d in range(1, DRAWS + 1)]
    return rows


def as_csv(rows: list[list[str]]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


def assert_refused(path: Path, contains: str | None = None) -> None:
    for command in COMMANDS:
        line = refused([command, path, "--out", "out"], watch=[path], contains=contains)
        assert str(path) in line, line


def test_the_valid_files_run(workdir, tmp_path):
    """The starting points are valid: each corruption below is what makes a file fail."""
    from typer.testing import CliRunner

    from hecon.cli import app

    for name, rows in (("long.csv", valid_long()), ("wide.csv", valid_wide())):
        path = tmp_path / name
        path.write_text(as_csv(rows))
        result = CliRunner().invoke(app, ["cea", str(path), "--out", f"out_{name}", "-q"])
        assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- hand-written


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


LONG_HEADER = "draw,strategy,cost,qaly\n"
WIDE_HEADER = "A_cost,A_qaly,B_cost,B_qaly\n"
#: file name → (content, a fragment of the one error line)
HOSTILE = {
    "one_strategy_long.csv": (LONG_HEADER + "1,A,100,1\n2,A,120,1.1\n3,A,90,0.9\n", "the file holds one strategy (A)"),
    "one_strategy_wide.csv": ("A_cost,A_qaly,p\n1,2,3\n4,5,6\n", "the file holds one strategy (A)"),
    "formula_strategy.csv": (LONG_HEADER + '1,"=HYPERLINK(""x"")",1,1\n1,B,2,1\n2,"=HYPERLINK(""x"")",1,1\n2,B,2,1\n',
                             "is not an identifier"),
    "plus_strategy.csv": (LONG_HEADER + "1,+A,1,1\n1,B,2,1\n2,+A,1,1\n2,B,2,1\n", "strategy '+A' is not an identifier"),
    "minus_strategy.csv": (LONG_HEADER + "1,-A,1,1\n1,B,2,1\n2,-A,1,1\n2,B,2,1\n", "strategy '-A' is not an identifier"),
    "at_strategy.csv": (LONG_HEADER + "1,@A,1,1\n1,B,2,1\n2,@A,1,1\n2,B,2,1\n", "strategy '@A' is not an identifier"),
    "tab_strategy.csv": (LONG_HEADER + '1,"A\tB",1,1\n1,B,2,1\n2,"A\tB",1,1\n2,B,2,1\n', "is not an identifier"),
    "cr_strategy.csv": (LONG_HEADER + '1,"A\rB",1,1\n1,B,2,1\n2,"A\rB",1,1\n2,B,2,1\n', "is not an identifier"),
    "space_strategy.csv": ("Usual care_cost,Usual care_qaly,B_cost,B_qaly\n1,2,3,4\n5,6,7,8\n", "rename it 'Usual_care'"),
    "formula_parameter.csv": (WIDE_HEADER.strip() + ",=1+1\n1,2,3,4,5\n5,6,7,8,9\n", "parameter '=1+1' is not an identifier"),
    "empty.csv": ("", "the file is empty"),
    "blank_lines.csv": ("\n \n\t\n", "the file is empty"),
    "header_only.csv": (LONG_HEADER, "no data rows"),
    "one_draw.csv": (WIDE_HEADER + "1,2,3,4\n", "single draw"),
    "non_numeric.csv": (WIDE_HEADER + "1,2,3,four\n5,6,7,8\n", "'four' is not a number"),
    "nan_cost.csv": (WIDE_HEADER + "NaN,2,3,4\n5,6,7,8\n", "the value is missing ('NaN')"),
    "inf_cost.csv": (WIDE_HEADER + "1,2,inf,4\n5,6,7,8\n", "'inf' is not a number"),
    "minus_inf_effect.csv": (WIDE_HEADER + "1,-Infinity,3,4\n5,6,7,8\n", "'-Infinity' is not a number"),
    "overflowing_nmb.csv": (WIDE_HEADER + "1e308,2,3,4\n5,6,7,8\n", "the value '1e308' is too large"),
    "huge_effect.csv": (WIDE_HEADER + "1,1e200,3,4\n5,6,7,8\n", "too large"),
    "400_digits.csv": (WIDE_HEADER + "1" * 400 + ",2,3,4\n5,6,7,8\n", "beyond the floating-point range"),
    "underscore_digits.csv": (WIDE_HEADER + "1_0,2,3,4\n5,6,7,8\n", "'1_0' is not a number"),
    "arabic_indic_digits.csv": (WIDE_HEADER + "١٠,2,3,4\n5,6,7,8\n", "'١٠' is not a number"),
    "hex.csv": (WIDE_HEADER + "0x1F,2,3,4\n5,6,7,8\n", "'0x1F' is not a number"),
    "duplicate_columns.csv": ("A_cost,A_qaly,B_cost,A_cost\n1,2,3,4\n5,6,7,8\n", "appears twice"),
    "duplicate_draw.csv": (LONG_HEADER + "1,A,1,1\n1,B,2,1\n1,A,1,1\n2,B,2,1\n", "appears twice"),
    "unequal_draws.csv": (LONG_HEADER + "1,A,1,1\n1,B,2,1\n2,A,1,1\n", "unequal numbers of draws"),
    "ragged.csv": (WIDE_HEADER + "1,2,3,4\n5,6,7,8,9\n", "unreadable CSV"),
    "no_pairs.csv": ("a,b\n1,2\n3,4\n", "no pair of cost and effect"),
    "unnamed_column.csv": ("A_cost,,A_qaly,B_cost,B_qaly\n1,9,2,3,4\n5,9,6,7,8\n", "has no name"),
    "binary.csv": (bytes(range(256)) * 8, "not a text (UTF-8) CSV file"),
    "latin1.csv": ((WIDE_HEADER + "1,2,3,4\n5,6,7,8\n").replace("A_cost", "Café_cost").encode("latin-1"),
                   "not a text (UTF-8) CSV file"),
    "nul.csv": (b"A_cost,A_qaly\x00,B_cost,B_qaly\n1,2,3,4\n5,6,7,8\n", None),
    "damaged.csv.gz": (b"\x1f\x8b\x08\x00junk", "damaged gzip"),
    "text.xlsx": ("not a workbook", "cannot read the spreadsheet"),
    "zip.xlsx": (zip_bytes(), "cannot read the spreadsheet"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file(workdir, tmp_path, name):
    content, fragment = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert_refused(path, fragment)


def test_a_folder_given_as_the_file(workdir, tmp_path):
    folder = tmp_path / "psa.csv"
    folder.mkdir()
    (folder / "inside.csv").write_text(WIDE_HEADER + "1,2,3,4\n5,6,7,8\n")
    assert_refused(folder, "a folder, not a PSA file")


def test_a_missing_file(workdir, tmp_path):
    for command in COMMANDS:
        refused([command, tmp_path / "missing.csv", "--out", "out"], contains="file not found")


# --------------------------------------------------------------------------- generated


def is_number(text: str) -> bool:
    return NUMBER.fullmatch(text.strip()) is not None


NOT_NUMBERS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "-inf", "Infinity", "1_000", "٣", "１", "0x10", "1e999", "-1e101", "1,5", "€100",
                     "#DIV/0!", "NA", "1e", ".", "--1", "1..2", "9" * 400]),
).filter(lambda text: not is_number(text) or abs(float(text)) > 1e100)
NOT_IDENTIFIERS = st.one_of(
    st.text(max_size=20),
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(["=", "+", "-", "@", "\t", "\r", "1", " x"]),
              st.text(max_size=10)),
).filter(lambda name: not IDENTIFIER.fullmatch(name.strip()) and name.strip() != "B")


def corrupt_cell(rows, row, column, text):
    rows[row][column] = text
    return rows


@st.composite
def malformed_files(draw) -> tuple[str, str]:
    """A valid long or wide file with one corruption, and a fragment of its error (or None)."""
    layout = draw(st.sampled_from(["long", "wide"]))
    rows = valid_long() if layout == "long" else valid_wide()
    kind = draw(st.sampled_from(["cell", "name", "one strategy", "one draw", "duplicate column",
                                 "empty value", "header only"]))
    numeric = [i for i, name in enumerate(rows[0]) if name not in ("draw", "strategy")]
    if kind == "cell":
        row, column = draw(st.integers(1, len(rows) - 1)), draw(st.sampled_from(numeric))
        return as_csv(corrupt_cell(rows, row, column, draw(NOT_NUMBERS))), None
    if kind == "empty value":
        row, column = draw(st.integers(1, len(rows) - 1)), draw(st.sampled_from(numeric))
        return as_csv(corrupt_cell(rows, row, column, "")), "the value is empty"
    if kind == "name" and layout == "long":
        name = draw(NOT_IDENTIFIERS)
        for cells in rows[1:]:
            cells[1] = name if cells[1] == "A" else cells[1]
        return as_csv(rows), None
    if kind == "name":  # wide: a parameter column named by any non-identifier
        rows[0][-1] = draw(NOT_IDENTIFIERS.filter(
            lambda n: n.strip() and n.strip().lower() not in {c.lower() for c in rows[0][:-1]}
            and re.split(r"[_ .\-]", n.strip().lower(), maxsplit=1)[0] not in DERIVED_WORDS))  # derived: ignored
        return as_csv(rows), None
    if kind == "one strategy":
        if layout == "long":
            return as_csv([rows[0], *(r for r in rows[1:] if r[1] == "A")]), "the file holds one strategy"
        return as_csv([r[:2] + r[4:] for r in rows]), "the file holds one strategy"
    if kind == "one draw":
        return as_csv(rows[: 3 if layout == "long" else 2]), "single draw"
    if kind == "duplicate column":
        column = draw(st.integers(0, len(rows[0]) - 1))
        return as_csv([r + [r[column]] for r in rows]), "appears twice"
    return as_csv(rows[:1]), "no data rows"


@given(case=malformed_files())
def test_any_malformed_file_is_refused_in_one_line(workdir, tmp_path, case):
    text, fragment = case
    path = tmp_path / "malformed.csv"
    path.write_text(text, encoding="utf-8")
    assert_refused(path, fragment)

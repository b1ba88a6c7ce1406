"""Fuzz: names a model declares, and text a results folder carries into the workbook.

- Any text as a declared name: an identifier (``[A-Za-z_][A-Za-z0-9_]*``) is accepted, anything
  else (formula prefixes, control characters, unicode, empty) is refused with one line that
  names the file, the attribute and the name; through the CLI, exit 2 and nothing written.
- Any text in a CSV cell of a results folder comes back from ``results.xlsx`` as the same text,
  stored as text, never as a formula.
"""

import csv
import itertools
import json

import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from hecon.errors import InputError
from hecon.model.files import check_identifier
from hecon.results.workbook import write_workbook
from tests.fuzz.conftest import refused

FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r", "\n", "#", " ", "\x00", "\u2028", "\ufeff"]
#: any text, text that starts like a formula, and identifiers
NAMES = st.one_of(
    st.text(),
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(FORMULA_PREFIXES), st.text(max_size=20)),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True),
)
MODULES = itertools.count()
MODEL = '''
from dataclasses import dataclass
from hecon.model import Effect

TITLE = "A throw-away model"
STRATEGIES = ("standard_care", {name!r})
COMPARATOR = "standard_care"
EFFECTS = (Effect("qalys_disc", "QALY gained", "QALY"),)


@dataclass(frozen=True)
class Options:
    discount_rate: float = 0.035


def evaluate(params, options):
    raise NotImplementedError
'''


def is_identifier(name: str) -> bool:
    """The rule, said independently of the code: an ASCII Python identifier."""
    return name.isascii() and name.isidentifier()


@given(NAMES)
def test_a_name_is_accepted_exactly_when_it_is_an_identifier(name):
    if is_identifier(name):
        assert check_identifier(name, "STRATEGIES:", file="models/m.py") == name
        return
    with pytest.raises(InputError) as caught:
        check_identifier(name, "STRATEGIES:", file="models/m.py")
    line = str(caught.value)
    assert len(line.splitlines()) == 1 and line.startswith("models/m.py: STRATEGIES: '"), line
    assert "is not an identifier" in line


@pytest.fixture
def scratch_models(tmp_path):
    """A folder for throw-away model files, loaded by their path."""
    folder = tmp_path / "models"
    folder.mkdir()
    return folder


@given(NAMES)
def test_a_model_declaring_a_non_identifier_is_refused_by_the_cli(workdir, scratch_models, name):
    assume(not is_identifier(name))
    module = f"fuzz_model_{next(MODULES)}"
    (scratch_models / f"{module}.py").write_text(MODEL.format(name=name), encoding="utf-8")
    refused(["base", str(scratch_models / f"{module}.py")], watch=[scratch_models], contains="STRATEGIES: '")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A small results folder of the flagship model: its manifest and a cost-consequence table."""
    folder = tmp_path_factory.mktemp("workbook")
    (folder / "manifest.json").write_text(json.dumps({"tool": "hecon", "model": "ifn_gamma", "command": "run"}))
    return folder


@given(st.text(min_size=1, max_size=200))
def test_text_of_a_csv_cell_comes_back_from_the_workbook_as_text(folder, text):
    table = pd.DataFrame({"outcome": ["drug", "total_cost"], "label": [text, "Total cost"], "kind": ["cost", "cost"],
                          "placebo": [0.0, 1.5], "ifn_gamma": [550.5, 1.0]})
    table.to_csv(folder / "cost_consequence.csv", index=False, quoting=csv.QUOTE_NONNUMERIC)
    cell = load_workbook(write_workbook(folder))["Cost-consequence"]["B2"]
    assert cell.data_type == "s"
    assert unescape(cell.value) == text

"""The cross-validation table of docs/ifn_gamma.md: its model row against the base case.

The section "Cross-validation against published models" sets the base case's placebo arm
beside the control arms of published ICU infection-prevention analyses. Each checked cell of
the model row starts with its number(s), rounded as printed; the base case must reproduce
every printed digit (a difference of at most half a unit in the last place). While the row
still holds the placeholder ``{model}`` the comparison skips itself; filling it turns it on.
"""

import itertools
import re
from pathlib import Path

import pytest

from hecon.analysis.basecase import base_case
from hecon.model import Model

DOC = Path(__file__).resolve().parents[2] / "docs" / "ifn_gamma.md"
SECTION = "## Cross-validation against published models"
PLACEHOLDER = "{model}"
MODEL_ROW = "**This model**"
TREATED = "ifn_gamma"

# Column header → the base-case quantities its model cell prints, in order: ("outcome", name)
# is the comparator's column of the cost-consequence table, ("icer", effect) the treated arm's
# ICER in the ICER table.
CHECKED = {
    "Infection, control arm": [("outcome", "patients_infected")],
    "ICU mortality, control arm": [("outcome", "icu_deaths")],
    "Later mortality, control arm": [("outcome", "day90_deaths")],
    "ICU LOS, control arm (days)": [("outcome", "icu_days")],
    "Hospital LOS, control arm (days)": [("outcome", "hospital_days")],
    "Cost per patient, control arm": [("outcome", "total_cost")],
    "Result": [("icer", "qalys_disc"), ("icer", "infection_episodes")],
}

# A printed number: optional sign, thousands separated by commas, optional decimals, then an
# optional per-cent sign (the value is then a proportion × 100).
NUMBER = re.compile(r"(?P<sign>[-−])?(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                    r"\s*(?P<percent>%)?")
CELL_START = re.compile(r"^[`€\s]*(?:\{model\}|[-−]?\d)")


def section(text: str) -> str:
    """The cross-validation section, up to the next level-2 heading."""
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def table(text: str) -> list[dict[str, str]]:
    """The section's first Markdown table, as one header → cell mapping per body row."""
    lines = section(text).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    block = list(itertools.takewhile(lambda line: line.startswith("|"), lines[start:]))
    header = cells(block[0])
    return [dict(zip(header, cells(line), strict=True)) for line in block[2:]]


def sources(text: str) -> dict[str, str]:
    """The numbered list after "**Sources.**": number → entry (lines joined)."""
    listing = section(text).split("**Sources.**", 1)[1]
    parts = re.split(r"^(\d+)\. ", listing, flags=re.MULTILINE)[1:]
    return {n: " ".join(entry.split()) for n, entry in zip(parts[::2], parts[1::2], strict=True)}


def model_row(rows: list[dict[str, str]]) -> dict[str, str]:
    return next(row for row in rows if row["Study"].startswith(MODEL_ROW))


def printed(cell: str, count: int) -> list[tuple[float, int, bool]]:
    """The first ``count`` numbers of a cell: (value, decimals printed, per cent?)."""
    found = []
    for match in NUMBER.finditer(cell):
        digits = match["digits"].replace(",", "")
        value = float(digits) * (-1 if match["sign"] else 1)
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        found.append((value, decimals, match["percent"] is not None))
    assert len(found) >= count, f"expected {count} number(s) in {cell!r}"
    return found[:count]


ROWS = table(DOC.read_text(encoding="utf-8"))
MODEL = model_row(ROWS)
FILLED = not any(PLACEHOLDER in cell for cell in MODEL.values())


def test_table_has_the_model_row_and_every_checked_column():
    assert set(CHECKED) <= set(MODEL)
    for header in CHECKED:
        assert CELL_START.match(MODEL[header]), f"{header}: the model cell must start with a number"


def test_every_published_row_cites_a_listed_source_with_doi_and_status():
    listed = sources(DOC.read_text(encoding="utf-8"))
    published = [row for row in ROWS if row is not MODEL]
    assert 5 <= len(published) <= 10
    for row in published:
        cited = re.findall(r"\[(\d+)\]", row["Study"])
        assert cited, f"{row['Study']}: no source number"
        for number in cited:
            entry = listed[number]
            assert "doi:" in entry, f"source {number} has no DOI"
            assert re.search(r"\[V\]|\[P\]|UNVERIFIED", entry), f"source {number} has no status"


@pytest.mark.skipif(not FILLED, reason="model row to be filled")
def test_model_row_matches_the_base_case():
    model = Model("ifn_gamma")
    result = base_case(model)
    outcome = result.cost_consequence.set_index("outcome")[model.comparator]
    icers = result.icers[result.icers.strategy == TREATED].set_index("effect")["icer"]
    source = {"outcome": outcome, "icer": icers}
    for header, quantities in CHECKED.items():
        for (kind, name), (value, decimals, percent) in zip(
                quantities, printed(MODEL[header], len(quantities)), strict=True):
            expected = source[kind][name] * (100 if percent else 1)
            half_last_digit = 0.5 * 10**-decimals
            assert abs(expected - value) <= half_last_digit + 1e-9, (header, name, value, expected)

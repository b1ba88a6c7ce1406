"""The payer's spreadsheet: every table of a results folder in one ``results.xlsx``.

One sheet per table, its header in words with units and labels for code names ("Incremental
cost (€)", "IFN-γ 1b"; :mod:`hecon.results.labels`, the same headings as the report) while the
cells keep the folder's values, frozen and wrapped header row, column widths fitted to the
content, and number formats that carry their unit: euros (``€``), euros per unit of effect (``€/QALY``), effects
(``QALY``, ``life year``), probabilities as percentages. Tables whose rows mix units (the
cost-consequence table, the PSA summary, the ICERs of several effects) are formatted row by row.

Every text cell is stored as text, never as a formula: a label or name read back from the
folder's CSVs (which may have been edited by hand) that starts with ``=``, ``+``, ``-`` or ``@``
stays the text it was, so opening the workbook runs nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from hecon.model import Model
from hecon.results.labels import Labels, labels_of
from hecon.results.report import read_manifest, recorded_meta

#: sheet name -> file of the results folder
SHEETS = {
    "Cost-consequence": "cost_consequence.csv", "ICERs": "icers.csv", "PSA summary": "psa_summary.csv",
    "ICERs (PSA means)": "icers_psa.csv", "NMB": "nmb.csv", "CEAC": "ceac.csv", "EVPI": "evpi.csv",
    "EVPPI": "evppi.csv", "One-way (DSA)": "dsa.csv", "Scenarios": "scenarios.csv",
    "Threshold price": "threshold.csv", "Checks": "checks.csv", "Parameters": "parameters.csv",
}
EURO, EURO_CENTS, PROBABILITY, DECIMAL = '#,##0 "€"', '#,##0.00 "€"', "0.0%", "#,##0.0000"
MONEY_WORDS = {"cost", "nmb", "inmb", "evpi", "evppi", "loss"}
#: sheet -> formats of named columns, where the name does not tell the unit
#: (`hecon run`'s one-way DSA reports the incremental NMB)
COLUMN_FORMATS = {"One-way (DSA)": dict.fromkeys(("outcome_at_low", "outcome_at_high", "range"), EURO)}
PROBABILITY_WORDS = {"probability"}
EFFECT_WORDS = {"effect", "qalys", "qaly", "nhb"}
#: what an OOXML string cannot hold as such: the control characters XML 1.0 refuses, the carriage
#: return (which XML reads back as a line feed), U+FFFE and U+FFFF, and an underscore that would
#: start an ``_xHHHH_`` escape
UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def cell_text(text: str) -> str:
    """Text as an OOXML string cell holds it (ECMA-376 ``ST_Xstring``): each character XML cannot
    carry becomes ``_xHHHH_`` (its code point), and Excel shows the original text."""
    return UNSTORABLE.sub(lambda match: f"_x{ord(match.group()):04X}_", text)


def effect_format(unit: str) -> str:
    """An effect in its unit, four decimals: ``0.0142 QALY``."""
    return f'#,##0.0000 "{_literal(unit)}"'


def per_effect_format(unit: str) -> str:
    """Euros per unit of effect (an ICER or a willingness to pay): ``63,115 €/QALY``."""
    return f'#,##0 "€/{_literal(unit)}"'


def _literal(unit: str) -> str:
    """A unit as the quoted literal of a number format, which a double quote would end."""
    return unit.replace('"', "'")


def column_format(column: str, unit: str) -> str:
    """The number format of a column from the words of its name (``unit``: the main effect's)."""
    words = set(column.lower().split("_"))
    if words & {"wtp", "icer"}:
        return per_effect_format(unit)
    if words & MONEY_WORDS:
        return EURO
    if words & {"price", "threshold"} and "year" not in words:
        return EURO_CENTS
    if words & PROBABILITY_WORDS:
        return PROBABILITY
    if words & EFFECT_WORDS:
        return effect_format(unit)
    return "General"


def outcome_format(outcome: str, costs: set[str]) -> str:
    """The number format of a row holding one outcome of the model."""
    if outcome in costs or "cost" in outcome:
        return EURO
    if outcome.startswith("qaly"):
        return effect_format("QALY")
    if outcome.startswith("life_year"):
        return effect_format("life year")
    return DECIMAL


def cell_formats(frame: pd.DataFrame, unit: str, costs: set[str], sheet: str = "") -> pd.DataFrame:
    """The number format of every cell of a table (a frame of the same shape)."""
    named = COLUMN_FORMATS.get(sheet, {})
    formats = pd.DataFrame({c: named.get(c, column_format(str(c), unit)) for c in frame.columns},
                           index=frame.index)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if "outcome" in frame:  # one outcome per row: every number of the row is in its unit
        by_row = frame["outcome"].map(lambda outcome: outcome_format(str(outcome), costs))
        for column in numeric:
            formats[column] = by_row
    if "unit" in frame:  # ICERs of several effects, each in its unit: "QALY", "life year"
        units = frame["unit"].astype(str)
        formats["incremental_effect"] = units.map(effect_format)
        formats["icer"] = units.map(per_effect_format)
    formats[[c for c in frame.columns if c not in numeric]] = "General"
    return formats


def write_workbook(folder: str | Path) -> Path:
    """Write ``results.xlsx`` from the tables present in ``folder``; return its path."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    labels = labels_of(folder, Model(manifest["model"]), recorded_meta(manifest))
    costs = _cost_outcomes(folder)
    path = folder / "results.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, name in SHEETS.items():
            if (folder / name).exists():
                table = read_table(folder / name)
                _sheet(writer, sheet, table, cell_formats(table, labels.unit, costs, sheet),
                       headings(table, labels, name.removesuffix(".csv")))
        flat = pd.json_normalize(manifest, sep=".").T.reset_index().astype(str)
        flat.columns = ["item", "value"]
        _sheet(writer, "Manifest", flat, cell_formats(flat, labels.unit, costs), headings(flat, labels))
    return path


def headings(frame: pd.DataFrame, labels: Labels, stem: str = "") -> list[str]:
    """The header of a sheet: each column of the table ``stem`` in words, with its unit."""
    return [labels.heading(str(column), stem) for column in frame.columns]


def read_table(path: Path) -> pd.DataFrame:
    """A CSV table of the folder, its text kept as written: only an empty cell is missing
    (a label such as ``NA`` or ``#N/A`` stays text)."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _cost_outcomes(folder: Path) -> set[str]:
    """The outcomes the cost-consequence table marks as costs."""
    path = folder / "cost_consequence.csv"
    if not path.exists():
        return set()
    table = pd.read_csv(path, usecols=["outcome", "kind"])
    return set(table.outcome[table.kind == "cost"])


def _sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame, formats: pd.DataFrame,
           header: list[str]) -> None:
    """One table on one sheet under ``header``: text as text, frozen and wrapped header, fitted
    widths (10 to 60 characters; a long heading wraps on words of up to 24), formats."""
    from openpyxl.styles import Alignment  # ≈ 0.1 s: only the workbook needs it, not psa or base
    from openpyxl.utils import get_column_letter

    text = frame.map(lambda value: cell_text(value) if isinstance(value, str) else value)
    text.columns = [cell_text(heading) for heading in header]
    text.to_excel(writer, sheet_name=name, index=False)
    sheet = writer.sheets[name]
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl takes "=…" for a formula and "#N/A" for an error
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for j, (column, heading) in enumerate(zip(frame.columns, header, strict=True), start=1):
        letter = get_column_letter(j)
        shown = frame[column].head(200).map(lambda v: f"{v:,.4f}" if isinstance(v, float) else str(v))
        width = max([min(len(heading), 24), *map(len, heading.split()), *shown.str.len()]) + 2
        sheet.column_dimensions[letter].width = min(60, max(10, width))
        for cell, number_format in zip(sheet[letter][1:], formats[column], strict=True):
            cell.number_format = number_format

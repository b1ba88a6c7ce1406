"""The payer's spreadsheet: every table of a results folder in one ``results.xlsx``.

One sheet per table, frozen header row, column widths fitted to the content, number formats
by column: euros without decimals, probabilities and proportions with three decimals,
QALYs and life years with four.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

#: sheet name -> file of the results folder
SHEETS = {
    "Cost-consequence": "cost_consequence.csv", "ICERs": "icers.csv", "PSA summary": "psa_summary.csv",
    "ICERs (PSA means)": "icers_psa.csv", "NMB": "nmb.csv", "CEAC": "ceac.csv", "EVPI": "evpi.csv",
    "EVPPI": "evppi.csv", "One-way (DSA)": "dsa.csv", "Scenarios": "scenarios.csv",
    "Threshold price": "threshold.csv", "Checks": "checks.csv", "Parameters": "parameters.csv",
}
EURO, PROBABILITY, HEALTH, PLAIN = '#,##0 "€"', "0.000", "0.0000", "General"


def _format(column: str) -> str:
    name = column.lower()
    if any(k in name for k in ("cost", "nmb", "icer", "evpi", "evppi", "price", "loss", "threshold", "wtp")):
        return EURO
    if any(k in name for k in ("probability", "p_cost_effective", "p2_5", "p97_5")):
        return PROBABILITY
    if any(k in name for k in ("qaly", "life_year", "effect")):
        return HEALTH
    return PLAIN


def write_workbook(folder: str | Path) -> Path:
    """Write ``results.xlsx`` from the tables present in ``folder``; return its path."""
    folder = Path(folder)
    path = folder / "results.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, name in SHEETS.items():
            if (folder / name).exists():
                _sheet(writer, sheet, pd.read_csv(folder / name))
        manifest = json.loads((folder / "manifest.json").read_text())
        flat = pd.json_normalize(manifest, sep=".").T.reset_index()
        flat.columns = ["item", "value"]
        _sheet(writer, "Manifest", flat.astype(str))
    return path


def _sheet(writer: pd.ExcelWriter, name: str, frame: pd.DataFrame) -> None:
    frame.to_excel(writer, sheet_name=name, index=False)
    sheet = writer.sheets[name]
    sheet.freeze_panes = "A2"
    for j, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(j)
        width = max([len(str(column))] + [len(f"{v:,.4g}" if isinstance(v, float) else str(v)) for v in frame[column].head(200)])
        sheet.column_dimensions[letter].width = min(60, max(10, width + 2))
        number_format = _format(str(column)) if pd.api.types.is_numeric_dtype(frame[column]) else PLAIN
        for cell in sheet[letter][1:]:
            cell.number_format = number_format

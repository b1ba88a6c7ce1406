"""The payer's workbook (hecon.export): one formatted sheet per table of a results folder."""

import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis.extra.pandas import column, data_frames
from openpyxl import load_workbook

from hecon.export import (
    EURO,
    EURO_CENTS,
    PROBABILITY,
    SHEETS,
    cell_formats,
    column_format,
    effect_format,
    outcome_format,
    per_effect_format,
    write_workbook,
)


@pytest.mark.parametrize(("name", "expected"), [
    ("wtp", per_effect_format("QALY")), ("icer", per_effect_format("QALY")), ("incremental_cost", EURO),
    ("inmb_50000", EURO), ("inmb_at_threshold", EURO), ("evppi", EURO), ("expected_loss", EURO),
    ("threshold", EURO_CENTS), ("price_ifn_vial", EURO_CENTS), ("price_year", "General"),
    ("probability", PROBABILITY), ("qalys_disc", effect_format("QALY")), ("incremental_effect", effect_format("QALY")),
    ("age_mean", "General"), ("draw", "General"),
])
def test_column_units_from_their_names(name, expected):
    assert column_format(name, "QALY") == expected


def test_outcome_rows_carry_their_unit():
    costs = {"drug", "ward"}
    assert outcome_format("ward", costs) == outcome_format("total_cost", costs) == EURO
    assert outcome_format("qalys_disc", costs) == effect_format("QALY")
    assert outcome_format("life_years", costs) == effect_format("life year")
    assert outcome_format("icu_deaths", costs) == "#,##0.0000"


def test_icers_of_several_effects_are_formatted_row_by_row():
    icers = pd.DataFrame({"per": ["QALY gained", "life year gained"], "incremental_cost": [900.0, 900.0],
                          "incremental_effect": [0.014, 0.021], "icer": [63_000.0, 43_000.0], "status": ["NE", "NE"]})
    formats = cell_formats(icers, "QALY", set())
    assert list(formats.icer) == ['#,##0 "€/QALY"', '#,##0 "€/life year"']
    assert list(formats.incremental_effect) == [effect_format("QALY"), effect_format("life year")]
    assert list(formats.incremental_cost) == [EURO, EURO] and list(formats.status) == ["General"] * 2


@settings(max_examples=40, deadline=None)
@given(data_frames([column("outcome", dtype=str), column("mean", dtype=float), column("label", dtype=str)]))
def test_every_cell_gets_a_format_and_text_stays_general(frame):
    formats = cell_formats(frame, "QALY", {"drug"})
    assert formats.shape == frame.shape and formats.index.equals(frame.index)
    assert (formats[["outcome", "label"]] == "General").all().all()


@pytest.fixture(scope="module")
def book(quick_run):
    return load_workbook(quick_run / "results.xlsx")


def test_one_sheet_per_table_with_the_folders_numbers(quick_run, book):
    expected = [sheet for sheet, name in SHEETS.items() if (quick_run / name).exists()] + ["Manifest"]
    assert book.sheetnames == expected
    for sheet, name in SHEETS.items():
        if sheet in book.sheetnames:
            table = pd.read_csv(quick_run / name)
            back = pd.read_excel(quick_run / "results.xlsx", sheet_name=sheet)
            pd.testing.assert_frame_equal(back, table, check_dtype=False)


def test_sheets_are_formatted_for_reading(book):
    for sheet in book:
        assert sheet.freeze_panes == "A2", sheet.title
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(10 <= w <= 60 for w in widths), sheet.title
    cc = book["Cost-consequence"]
    kinds = {row[2].value: row[3].number_format for row in cc.iter_rows(min_row=2)}
    assert kinds["cost"] == EURO
    qaly_row = next(row for row in cc.iter_rows(min_row=2) if row[0].value == "qalys_disc")
    assert qaly_row[3].number_format == effect_format("QALY")
    ceac = book["CEAC"]
    assert ceac["A2"].number_format == per_effect_format("QALY") and ceac["C2"].number_format == PROBABILITY


def test_only_the_tables_present_become_sheets(quick_run, tmp_path):
    folder = tmp_path / "few"
    folder.mkdir()
    for name in ("manifest.json", "ceac.csv", "evpi.csv"):
        shutil.copy(quick_run / name, folder / name)
    book = load_workbook(write_workbook(folder))
    assert book.sheetnames == ["CEAC", "EVPI", "Manifest"]
    evpi = pd.read_csv(folder / "evpi.csv")
    assert np.isclose(book["EVPI"]["B2"].value, evpi.evpi.iloc[0])

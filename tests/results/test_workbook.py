"""The payer's workbook (hecon.results.workbook): one formatted sheet per table of a results folder."""

import csv
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis.extra.pandas import column, data_frames
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from hecon.model import Model
from hecon.results.labels import labels_of
from hecon.results.report import read_manifest, recorded_meta
from hecon.results.workbook import (
    EURO,
    EURO_CENTS,
    PROBABILITY,
    SHEETS,
    cell_formats,
    cell_text,
    column_format,
    effect_format,
    headings,
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
    icers = pd.DataFrame({"per": ["QALY gained", "life year gained"], "unit": ["QALY", "life year"],
                          "incremental_cost": [900.0, 900.0],
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


def test_one_sheet_per_table_with_the_folders_numbers_under_headings_in_words(quick_run, book):
    expected = [sheet for sheet, name in SHEETS.items() if (quick_run / name).exists()] + ["Manifest"]
    assert book.sheetnames == expected
    manifest = read_manifest(quick_run)
    labels = labels_of(quick_run, Model(manifest["model"]), recorded_meta(manifest))
    for sheet, name in SHEETS.items():
        if sheet in book.sheetnames:
            table = pd.read_csv(quick_run / name)
            back = pd.read_excel(quick_run / "results.xlsx", sheet_name=sheet)
            assert list(back.columns) == headings(table, labels, name.removesuffix(".csv")), sheet
            back.columns = table.columns
            pd.testing.assert_frame_equal(back, table, check_dtype=False)


def test_workbook_headers_are_labels_and_words_with_units(book):
    for sheet in book:
        header = [cell.value for cell in sheet[1]]
        assert not [h for h in header if "_" in h], sheet.title  # no code name heads a column
        assert all(cell.alignment.wrap_text for cell in sheet[1]), sheet.title
    header = {sheet.title: [cell.value for cell in sheet[1]] for sheet in book}
    assert header["Cost-consequence"][3:6] == ["Standard care (placebo)", "IFN-γ 1b",
                                               "Difference, IFN-γ 1b vs Standard care (placebo)"]
    assert {"Incremental cost (€)", "ICER (€ per unit of the measure)", "Strategy"} <= set(header["ICERs"])
    assert header["CEAC"] == ["Willingness to pay (€ per QALY)", "Strategy", "Probability cost-effective",
                              "On the acceptability frontier"]
    assert "Incremental NMB at €50,000 per QALY (€)" in header["Scenarios"]


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


#: text a spreadsheet would run or misread if it were stored as typed
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "#N/A",
            "=cmd|' /C calc'!A0", "=", "NA"]
#: (table, text column) of the folder where a hand edit plants them
PLANTED = [("cost_consequence.csv", "label"), ("parameters.csv", "source"), ("scenarios.csv", "description"),
           ("checks.csv", "check"), ("icers.csv", "status"), ("psa_summary.csv", "label")]


def plant(folder, texts):
    """Edit a results folder by hand: ``texts`` in text cells of several tables, in a column header,
    in the manifest's values and as one of its keys."""
    for name, text_column in PLANTED:
        table = pd.read_csv(folder / name)
        table[text_column] = [texts[i % len(texts)] for i in range(len(table))]
        if name == "checks.csv":
            table[texts[0]] = texts[0]
        table.to_csv(folder / name, index=False, quoting=csv.QUOTE_NONNUMERIC)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["options"]["perspective"] = texts[1]
    manifest.update({"notes": texts[2], texts[3]: texts[4]})
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def hostile_book(quick_run, tmp_path_factory):
    folder = shutil.copytree(quick_run, tmp_path_factory.mktemp("hostile") / "run")
    plant(folder, FORMULAS)
    return folder, load_workbook(write_workbook(folder))


def test_no_cell_of_the_workbook_is_a_formula(hostile_book):
    _, book = hostile_book
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert [c.coordinate for c in cells if c.data_type in ("f", "e")] == []
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))


def test_text_read_back_from_the_folder_is_kept_verbatim(hostile_book):
    folder, book = hostile_book
    for sheet, name in SHEETS.items():
        planted = dict(PLANTED).get(name)
        if planted is not None:
            columns = list(pd.read_csv(folder / name, nrows=0).columns)
            letter = book[sheet].cell(row=1, column=columns.index(planted) + 1).column_letter
            shown = [unescape(cell.value) for cell in book[sheet][letter][1:]]
            assert shown == [FORMULAS[i % len(FORMULAS)] for i in range(len(shown))], sheet
    assert FORMULAS[0] in [cell.value for cell in book["Checks"][1]]
    manifest = {row[0].value: row[1].value for row in book["Manifest"].iter_rows(min_row=2)}
    assert manifest["options.perspective"] == "+1+1" and manifest["notes"] == "-2+3"
    assert manifest["@SUM(A1)"] == "\t=1"


def test_a_unit_cannot_close_the_quoted_literal_of_a_number_format():
    assert effect_format('QALY"0;@') == '#,##0.0000 "QALY\'0;@"'
    assert per_effect_format('x" [Red]') == '#,##0 "€/x\' [Red]"'


@pytest.mark.parametrize(("text", "stored"), [
    ("=1+1", "=1+1"), ("\r=1", "_x000D_=1"), ("a\r\nb", "a_x000D_\nb"), ("\x00\x1f", "_x0000__x001F_"),
    ("\uffff", "_xFFFF_"), ("price_x0041_", "price_x005F_x0041_"), ("drug_a", "drug_a"), ("\t\n", "\t\n"),
])
def test_text_xml_cannot_carry_is_stored_as_its_ooxml_escape(text, stored):
    assert cell_text(text) == stored and unescape(stored) == text


def test_sheet_names_are_valid_and_unique():
    names = [*SHEETS, "Manifest"]
    assert all(0 < len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert len({n.lower() for n in names}) == len(names)

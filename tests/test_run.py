"""`hecon run --quick` end to end: one results folder with every table, report and workbook."""

import json

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from hecon.cli import app
from hecon.report import CHEERS_2022


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "ifn"
    result = CliRunner().invoke(app, ["run", "--quick", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def test_every_table_and_the_manifest(results):
    for name in ("cost_consequence", "icers", "icers_psa", "psa_summary", "ceac", "evpi", "dsa", "scenarios",
                 "threshold", "checks", "parameters", "trace"):
        assert (results / f"{name}.csv").exists(), name
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["command"] == "run" and manifest["options"]["n"] == 200 and manifest["seed"] == 1
    assert set(manifest["timings_seconds"]) >= {"base case", "PSA", "one-way DSA", "scenarios", "threshold price"}
    threshold = pd.read_csv(results / "threshold.csv")
    assert list(threshold.wtp) == [30_000, 50_000, 100_000, 150_000]
    assert threshold.threshold.is_monotonic_increasing  # a higher WTP supports a higher price


def test_report_is_self_contained_and_complete(results):
    page = (results / "report.html").read_text()
    assert page.count("<script type='text/javascript'>") == 1  # plotly.js embedded once
    assert "<script src" not in page and "<link " not in page  # nothing loaded from elsewhere
    for section in ("decision-problem", "model", "parameters", "base-case", "psa", "dsa", "scenarios", "threshold",
                    "checks", "cheers"):
        assert f'id="{section}"' in page, section
    assert len(CHEERS_2022) == 28 and all(item in page for _, item, _ in CHEERS_2022)
    assert page.count('class="plotly-graph-div"') >= 6


def test_workbook_sheets_are_formatted(results):
    book = load_workbook(results / "results.xlsx")
    for sheet in ("Cost-consequence", "ICERs", "PSA summary", "CEAC", "EVPI", "One-way (DSA)", "Scenarios",
                  "Parameters", "Manifest"):
        assert sheet in book.sheetnames, sheet
    cc = book["Cost-consequence"]
    assert cc.freeze_panes == "A2"
    assert cc.column_dimensions["A"].width >= 10


def test_report_command_rebuilds_an_existing_folder(results):
    (results / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(results)])
    assert result.exit_code == 0, result.output
    assert (results / "report.html").exists()


def test_run_mistakes_exit_2_and_write_nothing(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["run", "no_such_model", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and not (tmp_path / "x").exists()
    result = runner.invoke(app, ["run", "--quick", "--scenarios", "nope", "--out", str(tmp_path / "y")])
    assert result.exit_code == 2 and "no scenario named 'nope'" in result.output
    assert not (tmp_path / "y").exists()
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2

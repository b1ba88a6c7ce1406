"""`hecon run --quick` end to end: one results folder with every table, report and workbook."""

import json
import re
import shutil

import pandas as pd
from typer.testing import CliRunner

from hecon.cli import app
from hecon.results.report import CHEERS_2022


def test_every_table_and_the_manifest(quick_run):
    for name in ("cost_consequence", "icers", "icers_psa", "psa_summary", "ceac", "evpi", "dsa", "scenarios",
                 "threshold", "checks", "parameters", "trace"):
        assert (quick_run / f"{name}.csv").exists(), name
    manifest = json.loads((quick_run / "manifest.json").read_text())
    assert manifest["command"] == "run" and manifest["options"]["n"] == 200 and manifest["seed"] == 1
    assert set(manifest["timings_seconds"]) >= {"base case", "PSA", "one-way DSA", "scenarios", "threshold price"}
    threshold = pd.read_csv(quick_run / "threshold.csv")
    assert list(threshold.wtp) == [20_000, 50_000, 100_000]
    assert threshold.threshold.notna().all() and threshold.threshold.is_monotonic_increasing  # a higher WTP
    # supports a higher price; at €20k per QALY the base case's vial price (€85) is about the threshold
    assert 40 < threshold.threshold.iloc[0] < 140


def test_report_is_self_contained_and_complete(quick_run):
    page = (quick_run / "report.html").read_text()
    assert page.count("id='plotly-js'") == 1  # plotly.js embedded once (compressed)
    assert "<script src" not in page and "<link " not in page  # nothing loaded from elsewhere
    for section in ("decision-problem", "model", "parameters", "base-case", "psa", "dsa", "scenarios", "threshold",
                    "checks", "cheers"):
        assert f'id="{section}"' in page, section
    assert len(CHEERS_2022) == 28 and all(item in page for _, item, _ in CHEERS_2022)
    assert page.count('class="plotly-graph-div"') >= 6
    assert sum(f.stat().st_size for f in quick_run.iterdir()) <= 10_000_000  # the whole folder ≤ 10 MB


def test_report_command_rebuilds_an_existing_folder(quick_run, tmp_path):
    copy = shutil.copytree(quick_run, tmp_path / "copy")
    (copy / "report.html").unlink()
    (copy / "results.xlsx").unlink()
    result = CliRunner().invoke(app, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert _without_ids((copy / "report.html").read_text()) == _without_ids((quick_run / "report.html").read_text())
    assert (copy / "results.xlsx").exists()


def test_run_mistakes_exit_2_and_write_nothing(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["run", "no_such_model", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and not (tmp_path / "x").exists()
    result = runner.invoke(app, ["run", "--quick", "--scenarios", "nope", "--out", str(tmp_path / "y")])
    assert result.exit_code == 2 and "no scenario named 'nope'" in result.output
    assert not (tmp_path / "y").exists()
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2


def _without_ids(page: str) -> str:
    """The page without plotly's random figure ids and the run time (a rebuilt report also
    shows how long its first writing took)."""
    page = re.sub(r"<p>Run time:[^<]*</p>", "", page)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "id", page)


def test_an_unwritable_out_fails_before_any_work(tmp_path):
    (tmp_path / "file").write_text("")
    result = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "file" / "run")])
    assert result.exit_code == 2 and "cannot write there" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["file"]  # no staging folder left behind


def test_same_seed_same_numbers(quick_run, tmp_path):
    again = tmp_path / "again"
    assert CliRunner().invoke(app, ["run", "--quick", "--out", str(again), "--quiet"]).exit_code == 0
    for name in ("psa_summary.csv", "ceac.csv", "dsa.csv", "scenarios.csv", "threshold.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(again / name), pd.read_csv(quick_run / name))

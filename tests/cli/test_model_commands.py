"""`hecon --version`, `models`, `validate`, `base`: outputs, manifest, and user mistakes."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon import __version__
from hecon.cli import app

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_models_lists_both_models():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0
    assert "ifn_gamma" in result.output and "example_sick" in result.output


def test_validate_prints_the_table():
    result = runner.invoke(app, ["validate", "ifn_gamma"])
    assert result.exit_code == 0, result.output
    assert "hr_infection_ifn" in result.output and "valid" in result.output


def test_base_writes_tables_trace_and_manifest(tmp_path):
    out = tmp_path / "base"
    result = runner.invoke(app, ["base", "ifn_gamma", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("outcomes.csv", "cost_consequence.csv", "icers.csv", "trace.csv", "manifest.json"):
        assert (out / name).exists(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"] == "ifn_gamma" and manifest["hecon_version"] == __version__
    assert set(manifest["inputs"]) == {"parameters", "life_table", "price_index", "validation_targets"}
    assert all(len(entry["sha256"]) == 64 for entry in manifest["inputs"].values())
    icers = pd.read_csv(out / "icers.csv")
    assert set(icers["effect"]) == {"qalys_disc", "life_years_disc", "infection_episodes",
                                    "patients_infected", "day90_deaths"}
    cc = pd.read_csv(out / "cost_consequence.csv").set_index("outcome")
    assert cc.loc["total_cost", "difference_ifn_gamma"] == pytest.approx(
        cc.loc["total_cost", "ifn_gamma"] - cc.loc["total_cost", "placebo"])


def test_unknown_model_is_one_line_and_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "hecon", "base", "ifn_gama", "--out", str(tmp_path / "x")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "unknown model 'ifn_gama'" in result.stderr and "ifn_gamma" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = runner.invoke(app, ["base", "example_sick", "--out", str(blocker / "sub")])
    assert result.exit_code == 2


def test_example_model_base_case(tmp_path):
    result = runner.invoke(app, ["base", "example_sick", "--out", str(tmp_path / "ex")])
    assert result.exit_code == 0, result.output
    icers = pd.read_csv(tmp_path / "ex" / "icers.csv")
    assert len(icers) == 4  # 2 comparisons × 2 effects

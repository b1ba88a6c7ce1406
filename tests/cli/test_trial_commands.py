"""`hecon trial simulate | fit | cea` end to end (hecon.cli.trial_commands)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.cli import app
from hecon.model.parameters import ParameterTable
from hecon.results.folder import sha256
from hecon.trial import load_trial
from tests.trial_example import FILES, with_cells, write_example

runner = CliRunner()


def run(*arguments):
    return runner.invoke(app, ["trial", *[str(a) for a in arguments]])


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "trial"
    result = run("simulate", "--n", 326, "--seed", 4, "--dropout", 0.05, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_simulate_writes_the_three_files_and_a_manifest(simulated):
    assert {p.name for p in simulated.iterdir()} == {"patients.csv", "infections.csv", "resource_use.csv",
                                                     "manifest.json"}
    manifest = json.loads((simulated / "manifest.json").read_text())
    assert manifest["command"] == "trial simulate" and manifest["seed"] == 4
    assert manifest["options"]["n"] == 326 and manifest["options"]["dropout"] == 0.05
    assert len(load_trial(simulated, ("placebo", "ifn_gamma")).patients) == 326


def test_fit_writes_the_table_its_report_and_the_survival_figure(simulated, tmp_path):
    out = tmp_path / "fitted"
    result = run("fit", simulated, "--out", out)
    assert result.exit_code == 0, result.output
    assert "17 parameters estimated" in result.output
    names = {p.name for p in out.iterdir()}
    assert names == {"parameters.csv", "estimates.csv", "survival_models.csv", "survival_curves.csv", "report.md",
                     "survival.html", "plotly.min.js", "manifest.json"}
    table = ParameterTable.load(out / "parameters.csv")
    digest = load_trial(simulated, ("placebo", "ifn_gamma")).digest()
    assert table["hr_infection_ifn"].source == f"trial data, {digest}"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data_sha256"] == digest and "hr_infection_ifn" in manifest["estimated"]
    assert manifest["inputs"]["patients.csv"]["sha256"] == sha256(simulated / "patients.csv")
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert "## Parameters still taken from the literature" in (out / "report.md").read_text()


def test_fit_refuses_to_write_over_its_data(simulated):
    before = sha256(simulated / "patients.csv")
    result = run("fit", simulated, "--out", simulated)
    assert result.exit_code == 2 and "holds an input" in result.stderr
    assert sha256(simulated / "patients.csv") == before


def test_cea_writes_the_within_trial_tables_and_figures(simulated, tmp_path):
    out = tmp_path / "cea"
    result = run("cea", simulated, "--out", out, "--bootstrap", 300, "--seed", 2, "--wtp", 30000)
    assert result.exit_code == 0, result.output
    assert "Complete-case analysis: placebo" in result.output
    names = {p.name for p in out.iterdir()}
    assert {"cost_consequence.csv", "icers_by_outcome.csv", "missing_data.csv", "per_patient.csv", "icers.csv",
            "ceac.csv", "bootstrap.csv.gz", "ce_plane.html", "ceac.html", "manifest.json"} <= names
    replicates = pd.read_csv(out / "bootstrap.csv.gz")
    assert replicates["replicate"].nunique() == 300
    table = pd.read_csv(out / "cost_consequence.csv")
    assert {"difference_ifn_gamma_low", "difference_ifn_gamma_high"} <= set(table.columns)
    again = tmp_path / "again"
    assert run("cea", simulated, "--out", again, "--bootstrap", 300, "--seed", 2, "--wtp", 30000).exit_code == 0
    pd.testing.assert_frame_equal(table, pd.read_csv(again / "cost_consequence.csv"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2 and manifest["options"]["effect"] == "patients_infected"


@pytest.mark.parametrize(("arguments", "message"), [
    (("simulate", "--out", "{tmp}/x", "--dropout", "1.5"), "drop-out must be a probability"),
    (("simulate", "--out", "{tmp}/x", "--model", "example_sick"), "model 'example_sick' has no trial module"),
    (("simulate", "--out", "{tmp}/x", "--model", "ifn_gama"), "unknown model 'ifn_gama'"),
    (("fit", "{bad}", "--out", "{tmp}/fitted"), "patients.csv, row 3, column 'arm': unknown arm"),
    (("fit", "{data}", "--out", "{tmp}/fitted"), "the data cannot inform adverse events"),
    (("cea", "{bad}", "--out", "{tmp}/cea"), "unknown arm 'ifn'"),
    (("cea", "{lean}", "--out", "{tmp}/cea"), "resource_use.csv: no resource use"),
    (("cea", "{data}", "--out", "{tmp}/cea", "--effect", "qalys_disc"), "unknown effect 'qalys_disc'"),
])
def test_mistakes_end_in_one_line_and_exit_code_2(tmp_path, arguments, message):
    folders = {"tmp": tmp_path, "data": write_example(tmp_path / "data"),
               "bad": write_example(tmp_path / "bad", {**FILES, "patients.csv": with_cells(
                   FILES["patients.csv"], 3, {"arm": "ifn"})}),
               "lean": write_example(tmp_path / "lean", {k: v for k, v in FILES.items() if k != "resource_use.csv"})}
    result = run(*[a.format(**folders) for a in arguments])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not (tmp_path / "cea").exists() and not (tmp_path / "fitted.csv").exists()


def test_help_lists_the_three_commands():
    result = run("--help")
    assert result.exit_code == 0
    assert all(name in result.output for name in ("simulate", "fit", "cea"))


@pytest.mark.parametrize("command", ["fit", "cea"])
def test_a_trial_with_every_patient_in_one_arm_is_refused_naming_the_arms(simulated, tmp_path, command):
    folder = tmp_path / "one_arm"
    folder.mkdir()
    for name in ("patients.csv", "infections.csv", "resource_use.csv"):
        (folder / name).write_text((simulated / name).read_text().replace(",ifn_gamma,", ",placebo,"))
    out = tmp_path / "out"
    result = run(command, folder, "--out", out)
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr.strip() == (
        f"error: {folder / 'patients.csv'}, column 'arm': no patient randomised to ifn_gamma; the arms "
        "found are placebo (326 patients) (fix: a comparison needs patients in each arm "
        "(placebo, ifn_gamma): check the arm column, or give the whole trial)")


def test_fit_of_a_trial_too_poor_to_inform_a_parameter_says_which(simulated, tmp_path):
    """Every patient dies on day 0.5 in the ICU: no one is measured at day 10, so the immune
    restoration cannot be estimated (a proportion of no patient, once a division by zero)."""
    folder = tmp_path / "all_die"
    folder.mkdir()
    patients = pd.read_csv(simulated / "patients.csv", dtype=str, keep_default_na=False)
    patients[["icu_discharge_day", "hospital_discharge_day", "mhladr_d10"]] = ""
    patients[["death_day", "last_followup_day"]] = "0.5"
    patients.to_csv(folder / "patients.csv", index=False)
    (folder / "infections.csv").write_text("patient_id,onset_day,end_day,site\n")
    out = tmp_path / "out"
    result = run("fit", folder, "--out", out)
    assert result.exit_code == 2 and not out.exists()
    assert ("the data cannot inform adverse events and immune restoration: restored / patients measured "
            "at day 10 (complete case): no patient to estimate the proportion from") in result.stderr


@pytest.mark.parametrize(("arguments", "message"), [
    (["simulate", "--n", 10**9], "a simulated trial of --n 1,000,000,000 patients needs about 1,646.6 GiB"),
    (["cea", "SIMULATED", "--bootstrap", 10**9], "a bootstrap of 1,000,000,000 replicates needs about 819.6 GiB"),
    (["cea", "SIMULATED", "--bootstrap", 10**6, "--memory", "0.01"], "budget of 0.0 GiB"),
])
def test_work_beyond_the_memory_budget_is_refused_at_once(simulated, tmp_path, arguments, message):
    out = tmp_path / "out"
    result = run(*[simulated if a == "SIMULATED" else a for a in arguments], "--out", out)
    assert result.exit_code == 2 and not out.exists()
    assert message in result.stderr and "or a larger --memory" in result.stderr

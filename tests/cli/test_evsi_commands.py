"""`hecon evsi` and `hecon trial update` end to end (hecon.cli.evsi_commands)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.cli import app
from hecon.model import Model

runner = CliRunner()
TRUE_HR = 0.9


def run(*arguments):
    return runner.invoke(app, [str(a) for a in arguments])


def test_evsi_writes_its_tables_figures_and_manifest(tmp_path):
    out = tmp_path / "evsi"
    result = run("evsi", "ifn_gamma", "--n", 400, "--n-per-arm", "50,163", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert {"evsi.csv", "enbs.csv", "optimal_sample_size.csv", "evsi.html", "enbs.html", "manifest.json"} <= \
        {p.name for p in out.iterdir()}
    table = pd.read_csv(out / "evsi.csv")
    assert set(table["n_per_arm"]) == {50, 163} and set(table["wtp"]) == {20_000, 50_000, 100_000}
    assert (table["evsi"] >= 0).all() and (table["population_evsi"] >= 0).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results"]["evsi"]["annual_incidence"] == 7900
    assert manifest["results"]["evsi"]["running_n_per_arm"] == 163
    assert "evsi_settings" in manifest["inputs"]


def test_evsi_runs_under_a_prior_and_records_it(tmp_path):
    """The EVSI is computed on the PSA of the prior asked for (here the design hypothesis's and a
    sceptical one, centred on no effect): different draws, different EVSI, and the manifest names
    the prior; an unknown prior is one clear error."""
    folders = {}
    for prior in ("design", "sceptical"):
        folders[prior] = tmp_path / prior
        result = run("evsi", "ifn_gamma", "--n", 400, "--n-per-arm", "163", "--prior", prior,
                     "--out", folders[prior], "--quiet")
        assert result.exit_code == 0, result.output
        assert json.loads((folders[prior] / "manifest.json").read_text())["options"]["prior"] == prior
    evsi = {prior: pd.read_csv(folder / "evsi.csv")["evsi"].to_numpy() for prior, folder in folders.items()}
    assert not (evsi["design"] == evsi["sceptical"]).all()
    result = run("evsi", "ifn_gamma", "--n", 50, "--prior", "optimistic", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "optimistic" in result.output


@pytest.mark.parametrize("sizes", ["0,10", "10,10", "ten", "5,,6", "1.5"])
def test_bad_sample_sizes_end_in_one_line(tmp_path, sizes):
    result = run("evsi", "ifn_gamma", "--n", 50, "--n-per-arm", sizes, "--out", tmp_path / "x")
    assert result.exit_code == 2 and result.output.count("error:") == 1, result.output


def test_an_unknown_endpoint_or_method_is_refused(tmp_path):
    for option, value in (("--endpoints", "survival"), ("--method", "bootstrap")):
        result = run("evsi", "ifn_gamma", "--n", 50, option, value, "--out", tmp_path / "x")
        assert result.exit_code == 2 and "error:" in result.output


@pytest.fixture(scope="module")
def truth_table(tmp_path_factory):
    """The model's table with the hazard ratio held at the truth the trials are simulated from."""
    table = Model("ifn_gamma").input_dir / "parameters.csv"
    frame = pd.read_csv(table, dtype=str, keep_default_na=False)
    frame.loc[frame["name"] == "hr_infection_ifn", "value"] = str(TRUE_HR)
    path = tmp_path_factory.mktemp("truth") / "parameters.csv"
    frame.to_csv(path, index=False)
    return path


def posterior_hr(tmp_path, truth_table, patients: int) -> pd.Series:
    trial = tmp_path / f"trial{patients}"
    assert run("trial", "simulate", "--n", patients, "--seed", 2, "--parameters", truth_table, "--out", trial).exit_code == 0
    out = tmp_path / f"update{patients}"
    result = run("trial", "update", "ifn_gamma", trial, "--n", 4000, "--min-ess", 20, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert {"posterior_parameters.csv", "trial_endpoints.csv", "icers.csv", "ceac.csv", "ce_plane.html"} <= \
        {p.name for p in out.iterdir()}
    return pd.read_csv(out / "posterior_parameters.csv").set_index("parameter").loc["hr_infection_ifn"]


def test_the_posterior_concentrates_on_the_true_effect_as_the_trial_grows(tmp_path, truth_table):
    small, large = (posterior_hr(tmp_path, truth_table, n) for n in (100, 1000))
    assert large["posterior_high"] - large["posterior_low"] < 0.75 * (small["posterior_high"] - small["posterior_low"])
    for posterior in (small, large):  # one trial each: the truth within the 95 % interval
        assert posterior["posterior_low"] < TRUE_HR < posterior["posterior_high"]


def test_a_model_that_declares_no_trial_is_refused_before_any_work(tmp_path):
    result = run("evsi", "example_sick", "--n", 100, "--out", tmp_path / "e")
    assert result.exit_code == 2 and result.output.count("error:") == 1
    assert "declares no TRIAL_ENDPOINTS" in result.output and not (tmp_path / "e").exists()

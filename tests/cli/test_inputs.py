"""`--set NAME=VALUE` on the analysis commands (hecon.cli.inputs)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.analysis.basecase import base_case
from hecon.cli import app
from hecon.cli.inputs import parse_sets
from hecon.errors import InputError
from hecon.model import Model
from tests.fuzz.conftest import refused

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_base_with_set_equals_the_table_with_those_values(tmp_path):
    run("base", "example_sick", "--set", "cost_drug_a=100", "--set", "p_sick_recover=0.5",
        "--out", tmp_path / "b", "--quiet")
    model = Model("example_sick")
    table = model.load_parameters().with_values({"cost_drug_a": 100.0, "p_sick_recover": 0.5})
    expected = base_case(model, model.options(), table).cost_consequence
    written = pd.read_csv(tmp_path / "b" / "cost_consequence.csv")
    np.testing.assert_allclose(written.select_dtypes("number"), expected.select_dtypes("number"), rtol=1e-12)
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["options"]["set"] == {"cost_drug_a": 100.0, "p_sick_recover": 0.5}


def test_a_set_parameter_is_held_in_the_psa_and_a_dirichlet_group_still_sums_to_one(tmp_path):
    run("psa", "example_sick", "--n", "40", "--evppi", "none", "--set", "cost_drug_a=100",
        "--set", "p_sick_recover=0.5", "--out", tmp_path / "p", "--quiet")
    draws = pd.read_csv(tmp_path / "p" / "psa.csv.gz")
    assert (draws["cost_drug_a"] == 100.0).all()
    group = draws[["p_sick_recover", "p_sick_die", "p_sick_stay"]].sum(axis=1)
    np.testing.assert_allclose(group, 1.0, atol=1e-12)
    assert draws["p_sick_recover"].mean() == pytest.approx(0.5, abs=0.05)  # the group's new mean


def test_with_values_rescales_dirichlet_siblings_in_proportion():
    table = Model("example_sick").load_parameters()
    changed = table.with_values({"p_sick_recover": 0.5})
    before = {n: table[n].value for n in ("p_sick_die", "p_sick_stay")}
    after = {n: changed[n].value for n in ("p_sick_die", "p_sick_stay")}
    assert changed["p_sick_recover"].value == 0.5
    assert after["p_sick_die"] / after["p_sick_stay"] == pytest.approx(before["p_sick_die"] / before["p_sick_stay"])
    assert sum(after.values()) == pytest.approx(0.5)


@pytest.mark.parametrize(("spec", "message"), [
    ("p_sick_recover=1.5", "outside [0, 1]"), ("bogus=1", "unknown parameter"), ("cost_drug_a", "cannot read"),
    ("cost_drug_a=1_0", "not a number"), ("=3", "cannot read"), ("cost_drug_a=nan", "not a number"),
])
def test_a_bad_setting_is_one_clear_line(workdir, spec, message):
    refused(["base", "example_sick", "--set", spec, "--out", "out"], contains=message)


def test_a_parameter_set_twice_is_refused():
    with pytest.raises(InputError, match="set twice"):
        parse_sets(["a=1", "a=2"])


SCENARIO = "name: cheap_drug_a\ndescription: Drug A at 90 % of its price\nparameters:\n  cost_drug_a: 900\n"


def test_a_scenario_file_outside_the_install_runs_beside_the_model_s_own(tmp_path):
    mine = tmp_path / "my_scenarios"
    mine.mkdir()
    (mine / "cheap.yaml").write_text(SCENARIO)
    run("scenarios", "example_sick", "--scenario-file", mine, "--out", tmp_path / "s", "--quiet")
    table = pd.read_csv(tmp_path / "s" / "scenarios.csv")
    assert {"base_case", "cheap_drug_a", "discount_0"} <= set(table["scenario"])
    cheap = table[(table.scenario == "cheap_drug_a") & (table.strategy == "drug_a")]["cost"].iloc[0]
    base = table[(table.scenario == "base_case") & (table.strategy == "drug_a")]["cost"].iloc[0]
    assert cheap < base
    run("scenarios", "example_sick", "--scenario-file", mine / "cheap.yaml", "--scenarios", "cheap_drug_a",
        "--out", tmp_path / "only", "--quiet")
    assert set(pd.read_csv(tmp_path / "only" / "scenarios.csv")["scenario"]) == {"base_case", "cheap_drug_a"}
    manifest = json.loads((tmp_path / "only" / "manifest.json").read_text())
    assert manifest["results"]["scenarios"]["scenario_files"]["cheap_drug_a"] == str(mine / "cheap.yaml")
    assert manifest["inputs"]["scenario:cheap_drug_a"]["sha256"] == hashlib.sha256((mine / "cheap.yaml").read_bytes()).hexdigest()


def test_a_scenario_file_that_is_missing_or_repeats_a_name_is_refused(workdir):
    (workdir / "again.yaml").write_text("name: discount_0\nparameters:\n  cost_drug_a: 900\n")
    refused(["scenarios", "example_sick", "--scenario-file", workdir / "again.yaml", "--out", "out"],
            contains="also the name in")
    refused(["scenarios", "example_sick", "--scenario-file", workdir / "nowhere.yaml", "--out", "out"],
            contains="no such scenario file or folder")


def test_parameters_replaces_the_whole_table_and_is_hashed_in_the_manifest(tmp_path):
    shipped = Model("example_sick").table_file
    mine = tmp_path / "mine.csv"
    mine.write_text(shipped.read_text().replace("cost_drug_a,Yearly cost of drug A while alive,1000,",
                                                "cost_drug_a,Yearly cost of drug A while alive,900,"))
    run("base", "example_sick", "--parameters", mine, "--out", tmp_path / "p", "--quiet")
    run("base", "example_sick", "--set", "cost_drug_a=900", "--out", tmp_path / "s", "--quiet")
    by_file = pd.read_csv(tmp_path / "p" / "cost_consequence.csv")
    by_set = pd.read_csv(tmp_path / "s" / "cost_consequence.csv")
    np.testing.assert_allclose(by_file.select_dtypes("number"), by_set.select_dtypes("number"), rtol=1e-12)
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["inputs"]["parameters"]["path"] == str(mine)


def test_a_missing_parameter_table_is_one_clear_line(workdir):
    refused(["dsa", "example_sick", "--parameters", "nowhere.csv", "--out", "out"],
            contains="check the path given to --parameters")

"""--prior NAME on the model commands and `hecon psa --structures`."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.cli import app

runner = CliRunner()


def test_base_under_a_prior_records_it_and_moves_the_base_case(tmp_path):
    outs = {}
    for prior in ("design", "sceptical"):
        out = tmp_path / prior
        result = runner.invoke(app, ["base", "ifn_gamma", "--prior", prior, "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["options"]["prior"] == prior and "priors" in manifest["inputs"]
        outs[prior] = pd.read_csv(out / "icers.csv").iloc[0]
    assert outs["sceptical"].incremental_effect < outs["design"].incremental_effect


@pytest.mark.parametrize("command", [["validate", "ifn_gamma"], ["dsa", "ifn_gamma"], ["scenarios", "ifn_gamma"],
                                     ["threshold", "ifn_gamma", "--param", "price_ifn_vial"], ["psa", "ifn_gamma"]])
def test_an_unknown_prior_is_one_message_and_a_non_zero_exit(command, tmp_path):
    result = runner.invoke(app, [*command, "--prior", "optimistic", "--out", str(tmp_path / "x")]
                           if command[0] != "validate" else [*command, "--prior", "optimistic"])
    assert result.exit_code != 0
    assert "no prior named 'optimistic'" in result.output and "Traceback" not in result.output


def test_psa_with_structures_writes_the_results_by_structure(tmp_path):
    out = tmp_path / "psa"
    result = runner.invoke(app, ["psa", "ifn_gamma", "--n", "60", "--structures", "--evppi", "none",
                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "structure_summary.csv")
    assert summary.structure.iloc[0] == "averaged" and summary.draws.iloc[1:].sum() == summary.draws.iloc[0]
    assert "structures" in json.loads((out / "manifest.json").read_text())["inputs"]

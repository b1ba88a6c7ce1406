"""PSA of a model: reproducible from its seed, chunk-size invariant, invalid draws reported."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.cli import app
from hecon.errors import ModelError
from hecon.model import Model
from hecon.psa import run_psa


@pytest.fixture(scope="module")
def model():
    return Model("ifn_gamma")


def test_reproducible_from_seed_and_chunk_size_invariant(model):
    a = run_psa(model, 300, seed=5, chunk_size=300)
    b = run_psa(model, 300, seed=5, chunk_size=7)
    for name in a.outcomes.names:
        np.testing.assert_array_equal(a.outcomes[name], b.outcomes[name], err_msg=name)
    c = run_psa(model, 300, seed=6)
    assert not np.array_equal(a.outcomes.total_cost, c.outcomes.total_cost)


def test_summary_has_strategies_and_increment(model):
    psa = run_psa(model, 200, seed=1)
    summary = psa.summary()
    rows = summary[summary.outcome == "total_cost"].set_index("strategy_or_increment")
    assert set(rows.index) == {"placebo", "ifn_gamma", "ifn_gamma - placebo"}
    assert rows.loc["ifn_gamma - placebo", "mean"] == pytest.approx(
        rows.loc["ifn_gamma", "mean"] - rows.loc["placebo", "mean"])
    assert (rows["p2_5"] <= rows["mean"]).all() and (rows["mean"] <= rows["p97_5"]).all()


def test_invalid_draws_are_reported_or_stop(model):
    table = model.parameters.with_changes(
        distributions={"target_icu_los": {"distribution": "uniform", "lower": 15, "upper": 95}},
        values={"target_icu_los": 20})
    psa = run_psa(model, 200, seed=2, table=table)
    assert len(psa.invalid) > 0
    assert psa.valid_outcomes().n_sets == 200 - len(psa.invalid)
    assert np.isfinite(psa.valid_outcomes().total_cost).all()
    assert "ICER" not in psa.invalid.reason.iloc[0]
    with pytest.raises(ModelError, match="cannot be evaluated"):
        run_psa(model, 200, seed=2, table=table, invalid="error")


def test_psa_command_end_to_end(tmp_path):
    out = tmp_path / "psa"
    result = CliRunner().invoke(app, ["psa", "ifn_gamma", "--n", "300", "--seed", "3", "--out", str(out),
                                      "--chunk-size", "100", "--wtp", "50000"])
    assert result.exit_code == 0, result.output
    draws = pd.read_csv(out / "psa.csv.gz")
    assert len(draws) == 600 and {"draw", "strategy", "total_cost", "qalys_disc", "hr_infection_ifn"} <= set(draws)
    ceac = pd.read_csv(out / "ceac.csv")
    np.testing.assert_allclose(ceac.groupby("wtp").probability.sum(), 1.0)
    evpi = pd.read_csv(out / "evpi.csv")
    evppi = pd.read_csv(out / "evppi.csv")
    for wtp, group in evppi.groupby("wtp"):
        assert (group.evppi <= evpi.set_index("wtp").loc[wtp, "evpi"] + 1e-9).all()
        assert (group.evppi >= 0).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["options"]["n"] == 300
    for figure in ("ce_plane", "ceac", "evpi", "evppi"):
        assert (out / f"{figure}.html").exists()

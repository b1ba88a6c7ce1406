"""PSA of a model: reproducible from its seed, chunk-size invariant, invalid draws reported."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.analysis import memory
from hecon.analysis.psa import psa_bytes, require_psa_memory, run_psa
from hecon.analysis.voi import evppi_bytes
from hecon.cli import app
from hecon.errors import InputError, ModelError
from hecon.model import Model


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


def test_psa_memory_estimate():
    """8 bytes per draw for each parameter and outcome of each strategy, plus the larger of the
    EVPPI regression and the psa.csv.gz table (built twice)."""
    kept, table = 8 * (48 + 2 * 24), 2 * 8 * 2 * (48 + 24 + 2)
    assert psa_bytes(1000, 48, 2, 24, evppi=False) == 1000 * (kept + table)
    assert evppi_bytes(1000, 2) == 8 * 1000 * (max(2 * 81 * 2, 2 * 200) + 50 * 2)
    assert psa_bytes(1000, 48, 2, 24) == 1000 * kept + max(1000 * table, evppi_bytes(1000, 2))


def test_a_psa_beyond_the_memory_budget_is_refused_before_sampling(model, monkeypatch):
    table = model.load_parameters()
    monkeypatch.setattr(type(table), "sample", lambda *args, **kwargs: pytest.fail("sampled"))
    with pytest.raises(InputError) as caught:
        require_psa_memory(model, table, model.options(), 10**9, memory.as_bytes(4))
    base = model.evaluate(table.base_case(), model.options())
    per_draw = psa_bytes(1, len(table.names), len(base.strategies), len(base.names))
    assert caught.value.message == (
        f"a PSA of --n 1,000,000,000 draws ({per_draw / 1024:,.1f} KiB a draw) needs about "
        f"{10**9 * per_draw / memory.GIB:,.1f} GiB of memory, more than the budget of 4.0 GiB")
    assert caught.value.fix == f"use --n {memory.as_bytes(4) // per_draw:,} or fewer, or a larger --memory"
    require_psa_memory(model, table, model.options(), memory.as_bytes(4) // per_draw, memory.as_bytes(4))


@pytest.mark.parametrize("command", [["psa", "ifn_gamma", "--n"], ["run", "example_sick", "--psa"]])
def test_huge_psa_commands_are_refused_at_once(tmp_path, command):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [*command, str(10**9), "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
    line = result.stderr.strip()
    assert line.startswith(f"error: a PSA of {command[-1]} 1,000,000,000 draws") and "GiB of memory" in line
    small = CliRunner().invoke(app, [*command, "300", "--memory", "0.001", "--out", str(out)])
    assert small.exit_code == 2 and "budget of 0.0 GiB" in small.stderr and not out.exists()


def test_psa_of_two_draws_skips_the_evppi_with_a_note(tmp_path):
    out = tmp_path / "psa"
    result = CliRunner().invoke(app, ["psa", "ifn_gamma", "--n", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    note = ("EVPPI skipped: its regression needs more draws than the 20 coefficients of its spline, "
            "at least 21, and the PSA has 2")
    assert f"note: {note}" in result.output
    assert json.loads((out / "manifest.json").read_text())["notes"] == [note]
    assert not (out / "evppi.csv").exists() and len(pd.read_csv(out / "psa.csv.gz")) == 4

"""Every shipped model survives every analysis command, end to end through the CLI.

Parametrised over ``hecon.model.available_models()``: a new model is covered without a line
here. The parameters a command varies are chosen generically (the first ones with a one-way
range), and each test checks values that could be wrong against another command's tables.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.analysis.sensitivity import one_way_bounds
from hecon.cli import app
from hecon.model import Model, available_models

WTP = 50_000.0
_done: dict[tuple, object] = {}


def hecon(*arguments) -> str:
    """Run ``hecon arguments`` in process, once per distinct call; assert exit 0; return stdout."""
    key = tuple(map(str, arguments))
    if key not in _done:
        result = CliRunner().invoke(app, list(key))
        assert result.exit_code == 0, (key, result.output, result.exception)
        _done[key] = result.stdout
    return _done[key]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("every_model")


@pytest.fixture(scope="module", params=available_models())
def model(request) -> Model:
    return Model(request.param)


def ranged(model: Model, k: int) -> list[str]:
    """The first k parameters of the table with a one-way range (low < high)."""
    return list(one_way_bounds(model.parameters))[:k]


def base(model: Model, out) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``hecon base``: the cost-consequence table (by outcome) and the ICER table."""
    folder = out / f"{model.name}-base"
    hecon("base", model.name, "--out", folder, "-q")
    return (pd.read_csv(folder / "cost_consequence.csv").set_index("outcome"),
            pd.read_csv(folder / "icers.csv"))


def base_inmb(model: Model, out) -> float:
    """λ·ΔE − ΔC of the first other strategy vs the comparator, from ``hecon base``'s table."""
    table, _ = base(model, out)
    other = next(s for s in model.strategies if s != model.comparator)
    effect = model.effects[0]
    sign = 1 if effect.higher_is_better else -1
    d_effect = sign * (table.loc[effect.outcome, other] - table.loc[effect.outcome, model.comparator])
    return WTP * d_effect - (table.loc["total_cost", other] - table.loc["total_cost", model.comparator])


def psa(model: Model, out, evppi: str = "none"):
    folder = out / f"{model.name}-psa-{evppi}"
    hecon("psa", model.name, "--n", 50, "--evppi", evppi, "--out", folder, "-q")
    return folder


def test_base_tables_agree(model, out):
    table, icers = base(model, out)
    assert list(table.columns[2:2 + len(model.strategies)]) == list(model.strategies)
    main = icers[icers.effect == model.effects[0].outcome].set_index("strategy")
    for strategy in main.index:  # the ICER table's ΔC is the cost-consequence table's difference
        assert main.loc[strategy, "incremental_cost"] == pytest.approx(
            table.loc["total_cost", strategy] - table.loc["total_cost", model.comparator], rel=1e-9)


def test_dsa_base_outcome_and_every_dirichlet_member(model, out):
    folder = out / f"{model.name}-dsa"
    printed = hecon("dsa", model.name, "--wtp", WTP, "--out", folder, "--no-static")
    base_case = float(re.search(r"base case (-?[\d,]+\.\d+)", printed).group(1).replace(",", ""))
    assert base_case == pytest.approx(base_inmb(model, out), abs=0.01)
    tornado = pd.read_csv(folder / "dsa.csv").set_index("parameter")
    assert set(tornado.index) == set(one_way_bounds(model.parameters))
    assert (tornado.low < tornado.high).all() and np.isfinite(tornado[["outcome_at_low", "outcome_at_high"]]).all().all()
    for members in model.parameters.dirichlet_groups.values():
        assert set(members) <= set(tornado.index)  # each member moved alone, its siblings rescaled


def test_twoway_grid(model, out):
    x, y = ranged(model, 2)
    folder = out / f"{model.name}-twoway"
    hecon("twoway", model.name, "--x", x, "--y", y, "--steps", 3, "--out", folder, "--no-static", "-q")
    grid = pd.read_csv(folder / "twoway.csv")
    assert len(grid) == 9 and set(grid.optimal) <= set(model.strategies)
    np.testing.assert_allclose(sorted(set(grid.x_value)), np.linspace(*one_way_bounds(model.parameters)[x], 3))
    assert np.isfinite(grid.outcome).all()


def test_threshold(model, out):
    (parameter,) = ranged(model, 1)
    low, high = one_way_bounds(model.parameters)[parameter]
    folder = out / f"{model.name}-threshold"
    hecon("threshold", model.name, "--param", parameter, "--wtp", WTP, "--out", folder, "--no-static", "-q")
    found = pd.read_csv(folder / "threshold.csv").iloc[0]
    if np.isnan(found.threshold):
        assert found.reason.startswith("no threshold")
    else:
        assert low <= found.threshold <= high and abs(found.inmb_at_threshold) < 1e-3


def test_scenarios_start_from_the_base_case(model, out):
    folder = out / f"{model.name}-scenarios"
    hecon("scenarios", model.name, "--wtp", WTP, "--out", folder, "-q")
    table = pd.read_csv(folder / "scenarios.csv")
    base_rows = table[table.scenario == "base_case"].set_index("strategy")
    cost_table, _ = base(model, out)
    np.testing.assert_allclose(base_rows.loc[list(model.strategies), "cost"],
                               cost_table.loc["total_cost", list(model.strategies)], rtol=1e-9)
    compared = base_rows.dropna(subset=["incremental_cost"])
    assert compared.loc[compared.index[0], f"inmb_{WTP:.0f}"] == pytest.approx(base_inmb(model, out), rel=1e-9)


@pytest.mark.parametrize("method, n", [("sobol", 8), ("morris", 4)])
def test_gsa(model, out, method, n):
    folder = out / f"{model.name}-gsa-{method}"
    hecon("gsa", model.name, "--method", method, "--n", n, "--out", folder, "--no-static", "-q")
    indices = pd.read_csv(folder / "gsa.csv")
    table = model.parameters
    grouped = {m for members in table.dirichlet_groups.values() for m in members}
    factors = [n for n in table.uncertain if n not in grouped] + list(table.dirichlet_groups)
    assert sorted(indices.parameter) == sorted(factors)


@pytest.mark.parametrize("evppi", ["none", "groups"])
def test_psa(model, out, evppi):
    summary = pd.read_csv(psa(model, out, evppi) / "psa_summary.csv")
    totals = summary[summary.outcome == "total_cost"].set_index("strategy_or_increment")
    assert set(model.strategies) <= set(totals.index)
    assert ((totals.p2_5 <= totals["mean"]) & (totals["mean"] <= totals.p97_5)).all()


@pytest.mark.parametrize("command", ["cea", "voi"])
def test_cea_and_voi_read_the_psa_file(model, out, command):
    """`hecon cea`/`voi` read the psa.csv.gz `hecon psa` wrote: same strategies, same mean costs."""
    source = psa(model, out)
    folder = out / f"{model.name}-{command}"
    hecon(command, source / "psa.csv.gz", "--effect", model.effects[0].outcome, "--cost", "total_cost",
          "--out", folder, "-q")
    evpi = pd.read_csv(folder / "evpi.csv")
    assert (evpi.filter(like="evpi").to_numpy() >= 0).all()
    if command == "cea":
        icers = pd.read_csv(folder / "icers.csv").set_index("strategy")
        summary = pd.read_csv(source / "psa_summary.csv")
        means = summary[summary.outcome == "total_cost"].set_index("strategy_or_increment")["mean"]
        assert set(icers.index) == set(model.strategies)
        np.testing.assert_allclose(icers.loc[list(model.strategies), "cost"], means[list(model.strategies)], rtol=1e-9)


def test_run_quick_then_report(model, out):
    folder = out / f"{model.name}-run"
    hecon("run", model.name, "--quick", "--psa", 50, "--out", folder, "-q")
    tornado = pd.read_csv(folder / "dsa.csv")
    assert set(tornado.parameter) == set(one_way_bounds(model.parameters))
    (folder / "report.html").unlink()
    hecon("report", folder, "-q")
    assert (folder / "report.html").stat().st_size > 0 and (folder / "results.xlsx").exists()

"""`hecon dsa`, `twoway`, `threshold`, `scenarios`, `gsa` end to end (hecon.cli.sensitivity_commands)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.cli import app
from hecon.model import Model
from hecon.results.plots import io
from hecon.results.plots.io import browser

runner = CliRunner()


def run(*arguments) -> object:
    return runner.invoke(app, [str(a) for a in arguments])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("sensitivity")


def test_dsa_of_a_model_with_a_dirichlet_row(folder):
    """example_sick's sick state exits form a Dirichlet: each member has its own tornado bar."""
    out = folder / "sick_dsa"
    result = run("dsa", "example_sick", "--out", out, "--no-static", "--memory", 0.001)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "dsa.csv").set_index("parameter")
    assert {"p_sick_recover", "p_sick_die", "p_sick_stay"} <= set(table.index)
    assert table.loc["p_sick_die", "outcome_at_high"] > table.loc["p_sick_die", "outcome_at_low"]


def test_dsa_and_threshold_agree_on_the_value_based_price(folder):
    """The INMB is linear in the vial price, so the price where the one-way line through the
    tornado's two ends crosses zero is the threshold price at the same willingness to pay."""
    dsa, found = folder / "dsa", folder / "threshold"
    assert run("dsa", "ifn_gamma", "--out", dsa, "--wtp", 50_000, "-q").exit_code == 0
    # the search reaches past the price's one-way range (its 95 % interval), where the value-based prices lie
    result = run("threshold", "ifn_gamma", "--param", "price_ifn_vial", "--low", 0, "--high", 3000, "--out", found,
                 "--no-static")
    assert result.exit_code == 0, result.output
    figures = {"tornado.html", "tornado.png", "tornado.svg"} if browser() else {"tornado.html"}
    assert {p.name for p in dsa.iterdir()} == {"dsa.csv", "manifest.json", "plotly.min.js", *figures}
    one_way = pd.read_csv(dsa / "dsa.csv")
    assert list(one_way.columns[[0, 3, 4, 5, 6, 7]]) == ["parameter", "low", "high", "outcome_at_low",
                                                          "outcome_at_high", "range"]
    assert one_way["range"].is_monotonic_decreasing
    price = one_way.set_index("parameter").loc["price_ifn_vial"]
    slope = (price.outcome_at_high - price.outcome_at_low) / (price.high - price.low)
    thresholds = pd.read_csv(found / "threshold.csv").set_index("wtp")
    assert list(thresholds.index) == [20_000, 50_000, 100_000]  # the report thresholds
    assert thresholds.loc[50_000, "threshold"] == pytest.approx(price.low - price.outcome_at_low / slope, rel=1e-6)
    assert len(pd.read_csv(found / "threshold_curve.csv")) > len(thresholds)
    manifest = json.loads((found / "manifest.json").read_text())
    meta = manifest["results"]["threshold"]
    assert manifest["command"] == "threshold" and meta["parameter"] == "price_ifn_vial"
    assert "parameter_labels" not in meta  # written once for the folder
    assert manifest["parameter_labels"]["price_ifn_vial"] == Model("ifn_gamma").parameters.labels["price_ifn_vial"]


def test_icer_tornado_marks_dominance_instead_of_a_negative_ratio(folder):
    out = folder / "icer"
    assert run("dsa", "ifn_gamma", "--outcome", "icer", "--out", out, "-q", "--no-static").exit_code == 0
    table = pd.read_csv(out / "dsa.csv").set_index("parameter")
    effect = table.loc["hr_infection_ifn"]  # HR 1.09 at the high end: more infections at a higher cost
    assert effect.status_at_high == "dominated"
    assert effect.status_at_low == "dominant" or effect.status_at_low.startswith("NE")  # HR 0.45: saves at the ex-factory price


def test_twoway_grid_and_maps(folder):
    out = folder / "twoway"
    result = run("twoway", "example_sick", "--x", "cost_drug_a", "--y", "utility_sick", "--steps", 4, "--out", out, "--no-static")
    assert result.exit_code == 0, result.output
    grid = pd.read_csv(out / "twoway.csv")
    assert len(grid) == 16 and set(grid.optimal) <= {"standard_care", "drug_a", "drug_b"}
    assert {p.name for p in out.iterdir()} == {"twoway.csv", "twoway.html", "plotly.min.js", "manifest.json"}


def test_gsa_morris_groups_the_dirichlet_row(folder):
    out = folder / "morris"
    result = run("gsa", "example_sick", "--method", "morris", "--n", 10, "--out", out, "--seed", 4, "--no-static")
    assert result.exit_code == 0, result.output
    indices = pd.read_csv(out / "gsa.csv")
    assert list(indices.columns) == ["parameter", "mu_star", "mu_star_conf", "sigma"]
    assert list(indices.parameter).count("sick_exits") == 1 and (indices.mu_star >= 0).all()
    again = folder / "morris_again"
    run("gsa", "example_sick", "--method", "morris", "--n", 10, "--out", again, "--seed", 4, "--no-static")
    pd.testing.assert_frame_equal(indices, pd.read_csv(again / "gsa.csv"))  # the seed is honoured


def test_scenarios_command_with_psa(folder):
    out = folder / "scenarios"
    result = run("scenarios", "example_sick", "--psa", 100, "--out", out, "--wtp", 50_000)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "scenarios.csv")
    assert set(table.scenario) == {"base_case", "discount_0", "no_drug_b_effect"}
    np.testing.assert_allclose(table.groupby("scenario")["p_cost_effective_50000"].sum(), 1.0)


@pytest.mark.parametrize("arguments, message", [
    (("threshold", "ifn_gamma", "--param", "price_ifn"), "--param: unknown parameter 'price_ifn' (fix: did you mean price_ifn_vial"),
    (("dsa", "ifn_gamma", "--outcome", "qualys"), "--outcome: unknown outcome 'qualys' (fix: did you mean qalys? choose one of inmb"),
    (("dsa", "ifn_gamma", "--strategy", "placebo"), "--strategy 'placebo' is the comparator: its increment over itself is zero (fix: choose one of ifn_gamma"),
    (("twoway", "ifn_gamma", "--x", "price_ifn_vial", "--y", "hr_infection_ifn", "--strategy", "placebo"), "is the comparator"),
    (("twoway", "example_sick", "--x", "cost_drug_a", "--y", "utility_sick", "--steps", 100_000), "GiB of memory"),
    (("twoway", "example_sick", "--x", "cost_drug_a", "--y", "utility_sik"), "--y: unknown parameter 'utility_sik' (fix: did you mean utility_sick"),
    (("threshold", "example_sick", "--param", "cost_sick", "--low", 9000, "--high", 100), "no range to search"),
    (("gsa", "example_sick", "--n", 2 ** 26), "use a smaller --n"),
    (("scenarios", "example_sick", "--psa", 10 ** 9), "fewer --psa draws or a larger --memory"),
    (("dsa", "example_sick", "--memory", -1), "--memory must be a positive number of GB"),
    (("dsa", "ifn_gamma", "--range", "ci90"), "unknown range 'ci90'"),
    (("gsa", "example_sick", "--method", "fast"), "sobol or morris"),
    (("gsa", "example_sick", "--outcome", "qualys"), "unknown outcome 'qualys'"),
    (("twoway", "example_sick", "--x", "cost_drug_a", "--y", "cost_drug_a"), "must differ"),
    (("dsa", "example_sick", "--strategy", "drug_c"), "--strategy: unknown strategy 'drug_c' (fix: choose one of drug_a, drug_b"),
    (("scenarios", "example_sick", "--scenarios", "nothing"), "no scenario named 'nothing'"),
])
def test_user_mistakes_are_one_line_and_exit_2(folder, arguments, message, browsers_started):
    result = run(*arguments, "--out", folder / "never")
    assert result.exit_code == 2, result.output
    assert message in result.output and result.output.strip().count("\n") == 0
    assert not (folder / "never").exists()
    assert browsers_started == []  # the browser of the PNG and SVG figures starts with the first batch


@pytest.fixture
def browsers_started(monkeypatch) -> list[None]:
    """Each start of the browser of the PNG and SVG figures, recorded and not done."""
    started = []
    monkeypatch.setattr(io, "open_browser", lambda: started.append(None))
    return started


def test_the_browser_starts_as_the_analysis_s_batches_start(folder, browsers_started, monkeypatch):
    monkeypatch.setattr(io, "browser", lambda: None)  # no image drawn: the folder says why
    result = run("dsa", "example_sick", "--out", folder / "dsa_static")
    assert result.exit_code == 0, result.output
    assert browsers_started and not io.session_open()
    assert "no Chromium browser found" in result.output

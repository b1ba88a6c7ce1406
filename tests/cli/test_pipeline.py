"""The analyses end to end as a script calls them: `write_psa` and `run_all` through the one
writer, their Results' meta, and the run's stopwatch."""

import json

import numpy as np
import pandas as pd
import pytest

from hecon.analysis.psa import psa_analysis, run_psa
from hecon.analysis.result import model_meta
from hecon.cli.pipeline import Stopwatch, psa_draws, run_all, write_psa
from hecon.model import Model
from hecon.results.write import BESIDE_STEP


@pytest.fixture(scope="module")
def sick():
    return Model("example_sick")


def test_psa_results_carry_the_model_s_units_and_labels(sick):
    table = sick.load_parameters()
    psa = run_psa(sick, 50, 3, table=table)
    draws, decision = psa_draws(psa, table, ["a note"]), psa_analysis(psa, evppi="none").result(**model_meta(sick, table))
    for result in (draws, decision):
        assert result.meta["labels"] == {"standard_care": "Standard care", "drug_a": "Drug A", "drug_b": "Drug B"}
        assert result.meta["effect_unit"] == "QALY" and result.meta["comparator"] == "standard_care"
        assert result.meta["parameter_labels"]["cost_sick"] == "Yearly cost while sick"
    assert draws.meta["seed"] == 3 and draws.meta["notes"] == ["a note"] and len(draws.frames["psa"]) == 50 * len(sick.strategies)
    assert decision.meta["report_wtp"] == [20_000, 50_000, 100_000]


def test_write_psa_writes_what_its_summary_says(sick, tmp_path):
    text = write_psa(sick, tmp_path / "psa", n=40, seed=5, evppi="none", quiet=True)
    icers = pd.read_csv(tmp_path / "psa" / "icers.csv")
    assert text.startswith("40 draws (seed 5); 0 could not be evaluated")
    for cost in icers.cost:
        assert f"{cost:.2f}"[:6] in text.replace(" ", "")  # the console's table is the file's
    manifest = json.loads((tmp_path / "psa" / "manifest.json").read_text())
    assert manifest["options"]["n"] == 40 and manifest["seed"] == 5 and manifest["command"] == "psa"
    assert {"PSA", "decision analysis and EVPPI", "figures", BESIDE_STEP, "figures as HTML"} <= set(manifest["timings_seconds"])


def test_run_all_writes_every_result_and_times_each_step(sick, tmp_path):
    folder, notes = run_all(sick, tmp_path / "run", quick=True, quiet=True)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["results"]) == {"base_case", "psa", "decision", "parameters", "one_way", "scenarios"}
    # every step, the writing's own steps too (the quick run draws no PNG or SVG)
    assert set(manifest["timings_seconds"]) == {"base case", "PSA", "decision analysis and EVPPI", "one-way DSA",
                                                "scenarios", "figures", BESIDE_STEP, "tables (after the figures)", "figures as HTML",
                                                "report and workbook"}
    assert all(seconds >= 0 for seconds in manifest["timings_seconds"].values())
    base = pd.read_csv(folder / "cost_consequence.csv").set_index("outcome")
    dsa = manifest["results"]["one_way"]
    inmb = 50_000 * (base.loc["qalys_disc", "drug_a"] - base.loc["qalys_disc", "standard_care"]) \
        - (base.loc["total_cost", "drug_a"] - base.loc["total_cost", "standard_care"])
    assert dsa["base_outcome"] == pytest.approx(inmb, rel=1e-9)  # the tornado's centre is the base case
    assert (folder / "report.html").exists() and (folder / "results.xlsx").exists()
    total = base.loc["total_cost"]  # the differences carry the PSA's 95 % interval
    assert total["difference_drug_a_low"] < total["psa_mean_difference_drug_a"] < total["difference_drug_a_high"]


def test_the_stopwatch_records_each_step_and_advances_the_bar():
    advanced = []
    watch = Stopwatch(advanced.append)
    assert watch.time("step", lambda: np.sum([1, 2])) == 3
    assert list(watch) == ["step"] and watch["step"] >= 0 and advanced == [1]

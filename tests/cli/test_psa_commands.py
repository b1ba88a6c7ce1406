"""`hecon psa` (hecon.cli.psa_commands): the draws it writes, the decision tables computed from
those very draws, its options, and clean refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.cli import app
from tests.fuzz.conftest import refused

N = 30
DEFAULT_REPORT_WTP = [20_000.0, 50_000.0, 100_000.0]  # `hecon psa --help` states them


def psa(*arguments):
    result = CliRunner().invoke(app, ["psa", "example_sick", *map(str, arguments)])
    assert result.exit_code == 0, result.output
    return result


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, str]:
    """One PSA without EVPPI: (results folder, console output)."""
    out = tmp_path_factory.mktemp("psa") / "psa"
    return out, psa("--n", N, "--seed", 3, "--evppi", "none", "--out", out).output


def test_the_icers_are_those_of_the_mean_cost_and_effect_of_the_draws_written(run):
    out, _ = run
    draws = pd.read_csv(out / "psa.csv.gz")
    assert len(draws) == N * 3 and draws["draw"].nunique() == N
    means = draws.groupby("strategy")[["total_cost", "qalys_disc"]].mean()
    icers = pd.read_csv(out / "icers.csv").set_index("strategy")
    np.testing.assert_allclose(icers.loc[means.index, "cost"], means["total_cost"], rtol=1e-10)
    np.testing.assert_allclose(icers.loc[means.index, "effect"], means["qalys_disc"], rtol=1e-10)
    frontier = icers[icers["status"] == "ND"].sort_values("effect")
    np.testing.assert_allclose(frontier["icer"].iloc[1:],
                               frontier["cost"].diff().iloc[1:] / frontier["effect"].diff().iloc[1:], rtol=1e-9)


def test_probability_cost_effective_is_the_share_of_draws_with_the_highest_nmb(run):
    out, _ = run
    draws = pd.read_csv(out / "psa.csv.gz")
    nmb = (50_000 * draws["qalys_disc"] - draws["total_cost"]).to_numpy().reshape(N, 3)
    strategies = draws["strategy"].iloc[:3].tolist()
    share = pd.Series(np.bincount(nmb.argmax(axis=1), minlength=3) / N, index=strategies)
    ceac = pd.read_csv(out / "ceac.csv")
    at_50k = ceac[ceac["wtp"] == 50_000].set_index("strategy")["probability"]
    np.testing.assert_allclose(at_50k[strategies], share)
    np.testing.assert_allclose(ceac.groupby("wtp")["probability"].sum(), 1.0)


def test_the_default_report_thresholds_and_options_are_recorded(run):
    out, _ = run
    recorded = manifest(out)
    assert recorded["command"] == "psa" and recorded["seed"] == 3
    assert {k: recorded["options"][k] for k in ("n", "report_wtp", "evppi", "invalid")} == {
        "n": N, "report_wtp": DEFAULT_REPORT_WTP, "evppi": "none", "invalid": "drop"}
    assert sorted(pd.read_csv(out / "nmb.csv")["wtp"].unique()) == DEFAULT_REPORT_WTP
    ceac = pd.read_csv(out / "ceac.csv")
    assert ceac["wtp"].max() == 200_000 and ceac["wtp"].nunique() == 201
    assert not (out / "evppi.csv").exists()


def test_the_console_summary_matches_the_files(run):
    out, output = run
    assert output.startswith(f"{N} draws (seed 3); 0 could not be evaluated\n")
    assert output.rstrip().endswith(f"Results written to {out}")
    ceac = pd.read_csv(out / "ceac.csv")
    line = next(line for line in output.splitlines() if line.startswith("50000.0"))
    shown = [float(cell) for cell in line.split()[1:]]
    expected = ceac[ceac["wtp"] == 50_000].set_index("strategy")["probability"].sort_index()
    np.testing.assert_allclose(shown, expected, atol=1e-6)  # columns in the strategies' name order


def test_the_same_seed_gives_the_same_draws_whatever_the_chunk_size(run, tmp_path):
    out, _ = run
    psa("--n", N, "--seed", 3, "--evppi", "none", "--chunk-size", 7, "--out", tmp_path / "again", "--quiet")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / "psa.csv.gz"), pd.read_csv(out / "psa.csv.gz"))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / "icers.csv"), pd.read_csv(out / "icers.csv"))


def test_the_report_threshold_and_grid_given_are_used(tmp_path):
    out = tmp_path / "wtp"
    result = psa("--n", 10, "--evppi", "none", "--wtp", 32_500, "--wtp-max", 60_000, "--wtp-step", 5_000,
                 "--out", out, "--quiet")
    assert result.output == ""  # --quiet
    assert pd.read_csv(out / "nmb.csv")["wtp"].unique().tolist() == [32_500.0]
    grid = sorted(pd.read_csv(out / "ceac.csv")["wtp"].unique())
    assert grid == [*range(0, 35_000, 5_000), 32_500, *range(35_000, 65_000, 5_000)]
    assert manifest(out)["options"]["report_wtp"] == [32_500.0]


def test_evppi_is_estimated_at_the_report_thresholds_and_the_evpi_peak(tmp_path):
    out = tmp_path / "evppi"
    psa("--n", 25, "--evppi", "groups", "--out", out, "--quiet")
    evpi = pd.read_csv(out / "evpi.csv")
    peak = evpi["wtp"].iloc[evpi["evpi"].idxmax()]
    evppi = pd.read_csv(out / "evppi.csv")
    assert set(evppi["wtp"]) == {*DEFAULT_REPORT_WTP, peak}
    assert (evppi["evppi"] >= 0).all()


def test_too_few_draws_for_evppi_say_so_and_write_no_evppi(tmp_path):
    out = tmp_path / "few"
    output = psa("--n", 10, "--out", out).output
    assert "note: EVPPI skipped" in output and "the PSA has 10" in output
    assert not (out / "evppi.csv").exists()
    assert any("EVPPI skipped" in note for note in manifest(out)["notes"])


def test_without_out_the_results_go_to_results_model_psa(workdir):
    psa("--n", 5, "--evppi", "none", "--quiet")
    assert (workdir / "results" / "example_sick-psa" / "manifest.json").exists()


@pytest.mark.parametrize(("option", "message"), [
    (["--invalid", "skip"], "--invalid must be one of drop, error, not 'skip'"),
    (["--evppi", "some"], "--evppi must be one of groups, all, none, not 'some'"),
    (["--n", "1"], "--n"),
    (["--wtp", "-1"], "≥ 0"),
])
def test_a_wrong_option_is_one_line_and_writes_nothing(workdir, option, message):
    refused(["psa", "example_sick", *option, "--out", workdir / "out"], contains=message)


def test_the_inversion_sampler_draws_the_table_s_quantiles_and_is_recorded(run, tmp_path):
    from hecon.model import Model

    out = tmp_path / "inversion"
    psa("--n", N, "--seed", 3, "--evppi", "none", "--sampler", "inversion", "--chunk-size", 7, "--out", out)
    assert manifest(out)["options"]["sampler"] == "inversion" and manifest(run[0])["options"]["sampler"] == "generator"
    written = pd.read_csv(out / "psa.csv.gz").drop_duplicates("draw").set_index("draw")
    expected = Model("example_sick").parameters.sample(N, 3, "inversion")
    np.testing.assert_allclose(written["cost_sick"], expected["cost_sick"], rtol=1e-10)
    generator = pd.read_csv(run[0] / "psa.csv.gz").drop_duplicates("draw").set_index("draw")
    assert not np.allclose(written["cost_sick"], generator["cost_sick"])  # two different, valid samples


def test_an_unknown_sampler_is_refused_before_any_work(workdir):
    refused(["psa", "example_sick", "--sampler", "sobol"], contains="unknown sampler 'sobol'")

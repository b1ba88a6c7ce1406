"""`hecon cea` and `hecon voi` end to end (hecon.cli.cea_commands)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hecon.cli import app
from hecon.model import Model
from hecon.results.folder import sha256

DATA = Path("/work/shared/data/published-psa")
runner = CliRunner()


def run(*arguments: str):
    return runner.invoke(app, [str(a) for a in arguments])


@pytest.fixture(scope="module")
def dampack_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("cea") / "dampack"
    result = run("cea", DATA / "dampack_example_psa.csv", "--out", out, "--wtp", "50000")
    assert result.exit_code == 0, result.output
    return out, result


def test_cea_writes_every_table_figure_and_the_manifest(dampack_results):
    out, result = dampack_results
    expected = {"icers.csv", "nmb.csv", "ceac.csv", "evpi.csv", "evppi.csv", "expected_loss.csv", "ce_plane.csv.gz",
                "ce_plane.html", "ceac.html", "evpi.html", "evppi.html", "expected_loss.html",
                "plotly.min.js", "manifest.json"}
    assert {p.name for p in out.iterdir()} == expected
    assert "Surg" in result.output and "ED" in result.output

    icers = pd.read_csv(out / "icers.csv")
    assert icers.set_index("strategy")["status"].to_dict() == {"Radio": "ND", "Surg": "ED",
                                                               "Chemo": "ND"}
    ceac = pd.read_csv(out / "ceac.csv")
    assert list(ceac.columns) == ["wtp", "strategy", "probability", "on_frontier"]
    np.testing.assert_allclose(ceac.groupby("wtp")["probability"].sum(), 1.0)
    assert ceac["wtp"].nunique() == 201 and ceac["wtp"].max() == 200_000

    evpi = pd.read_csv(out / "evpi.csv")
    assert list(evpi.columns) == ["wtp", "evpi"] and (evpi["evpi"] >= 0).all()
    nmb = pd.read_csv(out / "nmb.csv")
    assert nmb["wtp"].unique().tolist() == [50_000]

    evppi = pd.read_csv(out / "evppi.csv")
    assert list(evppi.columns) == ["parameter_or_group", "wtp", "evppi", "se"]
    peak = evpi["wtp"].iloc[evpi["evpi"].argmax()]
    assert set(evppi["wtp"]) == {50_000, peak}
    assert set(evppi["parameter_or_group"]) == {"pFailChemo", "pFailRadio", "pFailSurg",
                                                "pDieSurg", "muDieCancer", "cChemo", "cRadio",
                                                "cSurg"}
    at = evppi[evppi["wtp"] == 50_000].set_index("parameter_or_group")["evppi"]
    assert (at <= evpi.set_index("wtp").at[50_000, "evpi"] + 1e-9).all()

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "cea"
    assert manifest["inputs"]["psa"]["sha256"] == sha256(DATA / "dampack_example_psa.csv")
    assert manifest["psa"]["strategies"] == ["Chemo", "Radio", "Surg"]
    assert manifest["options"]["report_wtp"] == [50_000]
    assert b"<html>" in (out / "ceac.html").read_bytes()[:200]


def test_cea_on_the_voi_and_briggs_files(tmp_path):
    result = run("cea", DATA / "voi_chemo.csv", "--out", tmp_path / "voi", "--wtp", "20000",
                 "--wtp-max", "50000", "--wtp-step", "10000")
    assert result.exit_code == 0, result.output
    evpi = pd.read_csv(tmp_path / "voi" / "evpi.csv").set_index("wtp")["evpi"]
    assert evpi[20_000] == pytest.approx(368.605096225918, rel=1e-9)
    assert "ignored derived columns: nb_SoC, nb_Novel" in result.output

    result = run("cea", DATA / "briggs_ex47_psa_runs.csv", "--out", tmp_path / "briggs",
                 "--wtp-max", "20000", "--wtp-step", "500", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert not (tmp_path / "briggs" / "evppi.csv").exists()  # no parameter columns
    icers = pd.read_csv(tmp_path / "briggs" / "icers.csv").set_index("strategy")
    raw = pd.read_csv(DATA / "briggs_ex47_psa_runs.csv")
    expected = ((raw["Comb Cost"] - raw["Mono Cost"]).mean()
                / (raw["Comb LYs"] - raw["Mono LYs"]).mean())
    assert icers.at["Comb", "icer"] == pytest.approx(expected)


def test_voi_with_groups_and_population(tmp_path):
    out = tmp_path / "voi"
    result = run("voi", DATA / "voi_chemo.csv", "--out", out, "--wtp", "20000",
                 "--group", "side_effects=p_side_effects_t2,logor_side_effects",
                 "--incidence", "1000", "--horizon", "2", "--discount", "0.05",
                 "--wtp-max", "40000", "--wtp-step", "20000")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"evpi.csv", "evppi.csv", "evpi.html", "evppi.html",
                                              "plotly.min.js", "manifest.json"}
    evpi = pd.read_csv(out / "evpi.csv").set_index("wtp")
    assert evpi.at[20_000, "population_evpi"] == pytest.approx(
        evpi.at[20_000, "evpi"] * 1000 * (1 + 1 / 1.05))
    evppi = pd.read_csv(out / "evppi.csv")
    group = evppi[(evppi["parameter_or_group"] == "side_effects") & (evppi["wtp"] == 20_000)]
    assert group["evppi"].iloc[0] == pytest.approx(333.45, rel=0.01)
    assert len(evppi["parameter_or_group"].unique()) == 4


@pytest.mark.parametrize(("arguments", "message"), [
    (["cea", "/no/such.csv"], "file not found"),
    (["cea", DATA / "voi_chemo.csv", "--wtp", "-5"], "finite and ≥ 0"),
    (["cea", DATA / "voi_chemo.csv", "--wtp-step", "0"], "must be positive"),
    (["voi", DATA / "voi_chemo.csv", "--group", "broken"], "cannot read the group"),
    (["voi", DATA / "voi_chemo.csv", "--group", "g=nope"], "unknown parameters: nope"),
    (["voi", DATA / "voi_chemo.csv", "--population", "5", "--incidence", "3"], "not both"),
    (["voi", DATA / "voi_chemo.csv", "--incidence", "3"], "go together"),
    (["cea", DATA / "dampack_example_psa.csv", "--effect", "QALY"], "no pair of cost and effect"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, arguments, message):
    out = tmp_path / "results"
    result = run(*arguments, "--out", out)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_bad_file_through_the_console_script(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("draw,strategy,cost,effect\n1,A,1,1\n1,B,x,1\n2,A,1,1\n2,B,1,1\n")
    completed = subprocess.run(
        [sys.executable, "-c", "from hecon.cli import main; main()", "cea", str(bad),
         "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        f"error: {bad}, row 3, column 'cost': 'x' is not a number "
        "(fix: write a plain number such as 0.25, 1500 or 1.5e-3)")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["cea", "voi"])
def test_a_file_with_one_strategy_is_refused(tmp_path, command):
    path = tmp_path / "one.csv"
    path.write_text("draw,strategy,cost,qaly\n1,A,100,1\n2,A,120,1.1\n3,A,90,0.9\n")
    out = tmp_path / "results"
    result = run(command, path, "--out", out)
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr.strip() == (
        f"error: {path}, row 2, column 'strategy': the file holds one strategy (A); a decision "
        "compares two or more (fix: give each draw one row per strategy compared)")


@pytest.mark.parametrize("command", ["cea", "voi"])
def test_too_few_draws_for_the_evppi_skip_it_with_a_note(tmp_path, command):
    small = tmp_path / "small.csv"
    small.write_text("".join((DATA / "voi_chemo.csv").read_text().splitlines(True)[:21]))  # 20 draws
    out = tmp_path / "results"
    result = run(command, small, "--out", out)
    assert result.exit_code == 0, result.output
    note = ("EVPPI skipped: its regression needs more draws than the 20 coefficients of its "
            "spline, at least 21, and the PSA has 20")
    assert f"note: {note}" in result.output
    assert not (out / "evppi.csv").exists() and (out / "evpi.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["notes"] == [note]
    enough = tmp_path / "enough.csv"
    enough.write_text("".join((DATA / "voi_chemo.csv").read_text().splitlines(True)[:22]))  # 21 draws
    assert run(command, enough, "--out", tmp_path / "enough").exit_code == 0
    assert (tmp_path / "enough" / "evppi.csv").exists()


def test_the_memory_budget_refuses_a_file_too_large_to_read_and_skips_an_evppi_too_large(tmp_path):
    dampack = DATA / "dampack_example_psa.csv"
    result = run("cea", dampack, "--memory", "0.01", "--out", tmp_path / "refused")
    assert result.exit_code == 2 and not (tmp_path / "refused").exists()
    assert result.stderr.startswith(f"error: {dampack}: reading the file (2 MiB) needs about")
    result = run("cea", dampack, "--memory", "0.03", "--out", tmp_path / "no_evppi")  # reads 26 MB, EVPPI needs 68 MB
    assert result.exit_code == 0, result.output
    assert "note: EVPPI skipped: its regression on 10,000 draws needs about 0.1 GiB of memory" in result.output
    assert not (tmp_path / "no_evppi" / "evppi.csv").exists() and (tmp_path / "no_evppi" / "ceac.csv").exists()


# ---------------------------------------------------------------- hecon's own psa.csv.gz

#: example_sick, except that the draws with a yearly relapse probability above 0.12 cannot be
#: evaluated (their outcomes NaN and a row in Outcomes.problems, as an infeasible calibration)
FRAGILE_MODEL = '''
import numpy as np
import pandas as pd

from hecon.model.outcomes import Outcomes
from hecon_models import example_sick
from hecon_models.example_sick import COMPARATOR, EFFECTS, STRATEGIES, TITLE, Options


def evaluate(params, options):
    outcomes = example_sick.evaluate(params, options)
    failed = params["p_healthy_to_sick"] > 0.12

    def unevaluated(values):
        return {name: np.where(failed[:, None], np.nan, value) for name, value in values.items()}

    return Outcomes(STRATEGIES, unevaluated(outcomes.costs), unevaluated(outcomes.consequences),
                    problems=pd.DataFrame({"set": np.flatnonzero(failed), "reason": "relapse too likely"}))
'''


def hecon_psa(folder: Path, model: str) -> Path:
    result = run("psa", model, "--n", "200", "--out", folder, "--quiet")
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def fragile_psa(tmp_path_factory) -> Path:
    """`hecon psa` of FRAGILE_MODEL: a psa.csv.gz whose unevaluated draws have empty outcomes."""
    root = tmp_path_factory.mktemp("fragile")
    (root / "inputs" / "fragile_sick").mkdir(parents=True)
    (root / "inputs" / "fragile_sick" / "parameters.csv").write_bytes(Model("example_sick").table_file.read_bytes())
    (root / "fragile_sick.py").write_text(FRAGILE_MODEL, encoding="utf-8")
    folder = hecon_psa(root / "psa", root / "fragile_sick.py")
    assert 0 < len(pd.read_csv(folder / "invalid_draws.csv")) < 200
    return folder


def test_cea_and_voi_of_hecons_psa_file_give_the_psas_icers_and_evpi(tmp_path):
    psa = hecon_psa(tmp_path / "A", "example_sick")
    for command, table in (("cea", "icers.csv"), ("voi", "evpi.csv")):
        result = run(command, psa / "psa.csv.gz", "--out", tmp_path / command)
        assert result.exit_code == 0, result.output
        assert "note:" not in result.output  # every draw evaluated: none left out
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / command / table), pd.read_csv(psa / table))


@pytest.mark.parametrize("command", ["cea", "voi"])
def test_the_draws_hecon_could_not_evaluate_are_left_out_with_a_note(fragile_psa, tmp_path, command):
    excluded = len(pd.read_csv(fragile_psa / "invalid_draws.csv"))
    out = tmp_path / command
    result = run(command, fragile_psa / "psa.csv.gz", "--out", out)
    assert result.exit_code == 0, result.output
    note = (f"{excluded} draws the model could not evaluate (no cost or effect) left out: the analysis "
            f"uses the other {200 - excluded}")
    assert result.output.startswith(f"note: {note}\n")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["notes"][0] == note
    assert (manifest["psa"]["excluded_draws"], manifest["psa"]["draws"]) == (excluded, 200 - excluded)
    table = "icers.csv" if command == "cea" else "evpi.csv"
    pd.testing.assert_frame_equal(pd.read_csv(out / table), pd.read_csv(fragile_psa / table))


def test_a_foreign_file_with_unevaluated_draws_is_refused_unless_asked(fragile_psa, tmp_path):
    """The same draws outside hecon's results folder (or changed since hecon wrote them) are a
    foreign file: a missing cost is refused on one line naming the option, dropped with it."""
    foreign = tmp_path / "draws.csv.gz"
    foreign.write_bytes((fragile_psa / "psa.csv.gz").read_bytes())
    first_missing = 2 + int(pd.read_csv(foreign)["total_cost"].isna().to_numpy().argmax())
    result = run("cea", foreign, "--out", tmp_path / "refused")
    assert result.exit_code == 2 and not (tmp_path / "refused").exists()
    assert result.stderr.strip() == (
        f"error: {foreign}, row {first_missing}, column 'total_cost': the value is empty (fix: give every "
        "draw a cost and an effect, or leave out the draws the model could not evaluate with --drop-unevaluated)")
    result = run("cea", foreign, "--drop-unevaluated", "--out", tmp_path / "dropped")
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dropped" / "icers.csv"),
                                  pd.read_csv(fragile_psa / "icers.csv"))
    assert json.loads((tmp_path / "dropped" / "manifest.json").read_text())["options"]["drop_unevaluated"] is True

    changed = tmp_path / "changed"
    changed.mkdir()
    for file in fragile_psa.iterdir():
        (changed / file.name).write_bytes(file.read_bytes())
    pd.read_csv(foreign).to_csv(changed / "psa.csv.gz", index=False)  # rewritten: its SHA-256 differs
    assert run("cea", changed / "psa.csv.gz", "--out", tmp_path / "changed_out").exit_code == 2

"""PSA draws for R (hecon.results.export): the matrices dampack and BCEA read, and their way back
into hecon."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from typer.testing import CliRunner

from hecon.analysis.psafile import read_psa
from hecon.cli import app
from hecon.errors import InputError
from hecon.model import Model
from hecon.results.export import (
    RESERVED,
    ExportedPSA,
    check_format,
    describe,
    export_tables,
    long_table,
    read_draws,
    write_export,
)
from hecon.results.folder import write_csv

DATA = Path("/work/shared/data/published-psa")
N_DRAWS = 60
#: example_sick's outcome columns in psa.csv.gz (a draw the model cannot evaluate has them empty)
OUTCOMES = ["initial_episode", "health_states", "drug", "total_cost", "life_years",
            "life_years_disc", "qalys", "qalys_disc"]


def hecon(*arguments):
    result = CliRunner().invoke(app, [str(a) for a in arguments])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def psa_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "psa"
    hecon("psa", "example_sick", "--n", N_DRAWS, "--evppi", "none", "--seed", 4, "--out", out, "--quiet")
    return out


@pytest.fixture(scope="module")
def model() -> Model:
    return Model("example_sick")


@pytest.fixture(scope="module")
def long_draws(psa_folder) -> pd.DataFrame:
    return pd.read_csv(psa_folder / "psa.csv.gz")


def by_strategy(long: pd.DataFrame, column: str, strategies) -> pd.DataFrame:
    """A column of psa.csv.gz as draws × strategies, in the given order."""
    return long.pivot(index="draw", columns="strategy", values=column)[list(strategies)]


@pytest.mark.parametrize("to, cost_stem, effect_stem", [("dampack", "cost", "effectiveness"),
                                                       ("bcea", "c", "e")])
def test_matrices_are_draws_by_strategies_in_the_model_order(psa_folder, model, long_draws,
                                                             to, cost_stem, effect_stem):
    tables = export_tables(read_draws(psa_folder), to)
    assert list(tables) == [cost_stem, effect_stem, "parameters", "psa_long"]
    cost, effect = tables[cost_stem], tables[effect_stem]
    assert cost.shape == effect.shape == (N_DRAWS, 3)
    assert list(cost.columns) == list(effect.columns) == list(model.strategies)
    np.testing.assert_array_equal(cost, by_strategy(long_draws, "total_cost", model.strategies))
    np.testing.assert_array_equal(effect, by_strategy(long_draws, "qalys_disc", model.strategies))


def test_parameters_are_the_uncertain_ones_one_row_per_draw(psa_folder, model, long_draws):
    parameters = export_tables(read_draws(psa_folder), "bcea")["parameters"]
    uncertain = model.load_parameters().uncertain
    # fixed parameters (p_healthy_to_dead, cost_drug_a) and outcomes equal in every strategy of
    # a draw (initial_episode) are left out
    assert list(parameters.columns) == uncertain
    assert "p_healthy_to_dead" not in uncertain and "initial_episode" not in parameters
    first_rows = long_draws.groupby("draw").first()
    np.testing.assert_array_equal(parameters, first_rows[uncertain])


def test_reference_is_the_comparator_unless_chosen(psa_folder):
    draws = read_draws(psa_folder)
    assert (draws.reference, draws.ref) == ("standard_care", 1)
    chosen = read_draws(psa_folder, reference="drug_b")
    assert (chosen.reference, chosen.ref) == ("drug_b", 3)
    assert chosen.strategies == draws.strategies  # the order stays the model's
    with pytest.raises(InputError, match="unknown reference strategy 'placebo'"):
        read_draws(psa_folder, reference="placebo")


def test_the_manifest_records_the_reference_the_measures_and_the_source(psa_folder, tmp_path):
    out = tmp_path / "bcea"
    written = write_export(out, read_draws(psa_folder, reference="drug_a"), "bcea")
    assert written == ["c.csv", "e.csv", "parameters.csv", "psa_long.csv"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "export" and manifest["model"] == "example_sick"
    assert manifest["options"] == {"to": "bcea"}
    assert manifest["inputs"]["psa"]["path"] == str(psa_folder / "psa.csv.gz")
    export = manifest["results"]["export"]
    assert {key: export[key] for key in ("reference", "ref", "cost", "effect", "draws", "excluded_draws")} == {
        "reference": "drug_a", "ref": 2, "cost": "total_cost", "effect": "qalys_disc",
        "draws": N_DRAWS, "excluded_draws": 0}
    assert set(manifest["files"]) == set(written)


def test_draws_the_model_could_not_evaluate_are_excluded_and_counted(psa_folder, long_draws, model, tmp_path):
    folder = tmp_path / "psa"
    shutil.copytree(psa_folder, folder)
    broken = long_draws.copy()
    broken.loc[broken["draw"].isin([3, 7]), OUTCOMES] = np.nan  # as hecon writes them
    write_csv(broken, folder / "psa.csv.gz", compression="gzip")
    draws = read_draws(folder)
    assert draws.excluded == 2 and draws.costs.shape == (N_DRAWS - 2, 3)
    kept = long_draws[~long_draws["draw"].isin([3, 7])]
    np.testing.assert_array_equal(draws.costs, by_strategy(kept, "total_cost", model.strategies))
    assert len(draws.parameters) == N_DRAWS - 2
    assert "2 draws the model could not evaluate were excluded" in describe(draws)


def test_every_draw_unevaluated_is_refused(psa_folder, long_draws, tmp_path):
    folder = tmp_path / "psa"
    shutil.copytree(psa_folder, folder)
    write_csv(long_draws.assign(total_cost=np.nan), folder / "psa.csv.gz", compression="gzip")
    with pytest.raises(InputError, match="none of the 60 draws has a cost and an effect"):
        read_draws(folder)


def test_draws_of_other_strategies_than_the_model_are_refused(psa_folder, long_draws, tmp_path):
    folder = tmp_path / "psa"
    shutil.copytree(psa_folder, folder)
    write_csv(long_draws.replace({"strategy": {"drug_b": "drug_c"}}), folder / "psa.csv.gz",
              compression="gzip")
    with pytest.raises(InputError, match=r"strategies \(standard_care, drug_a, drug_c\) are not the model's"):
        read_draws(folder)


def test_an_effect_where_less_is_better_is_exported_as_its_negative(tmp_path):
    folder = tmp_path / "psa"
    hecon("psa", "ifn_gamma", "--n", 30, "--evppi", "none", "--out", folder, "--quiet")
    long = pd.read_csv(folder / "psa.csv.gz")
    draws = read_draws(folder, effect="infection_episodes")
    assert draws.effect_name == "-infection_episodes"
    np.testing.assert_array_equal(draws.effects, -by_strategy(long, "infection_episodes", draws.strategies))
    with pytest.raises(InputError, match="declares no effect 'total_cost'"):
        read_draws(folder, effect="total_cost")


def test_a_psa_file_is_exported_in_its_own_order():
    draws = read_draws(DATA / "dampack_example_psa.csv")
    assert draws.strategies == ("Chemo", "Radio", "Surg") and draws.reference == "Chemo"
    assert draws.model == "psa-file" and draws.excluded == 0
    tables = export_tables(draws, "dampack")
    raw = pd.read_csv(DATA / "dampack_example_psa.csv")
    np.testing.assert_array_equal(tables["cost"], raw[["Chemo_Cost", "Radio_Cost", "Surg_Cost"]])
    np.testing.assert_array_equal(tables["effectiveness"], raw[["Chemo_Eff", "Radio_Eff", "Surg_Eff"]])
    # cSurg equals Surg_Cost in every draw but is a parameter of the file: it varies, so it stays
    assert list(tables["parameters"].columns) == list(raw.columns[6:])


def test_a_parameter_constant_in_every_draw_is_left_out(tmp_path):
    raw = pd.read_csv(DATA / "dampack_example_psa.csv").assign(cSurg=1000.0)
    path = write_csv(raw, tmp_path / "psa.csv")
    assert "cSurg" not in read_draws(path).parameters


def test_a_parameter_named_like_a_column_of_psa_long_is_refused(tmp_path):
    raw = pd.read_csv(DATA / "dampack_example_psa.csv").rename(columns={"cSurg": "Run"})
    draws = read_draws(write_csv(raw, tmp_path / "psa.csv"))
    with pytest.raises(InputError, match="a parameter is named 'Run'"):
        export_tables(draws, "bcea")


def test_unknown_format_is_refused():
    assert check_format("bcea") == "bcea"
    with pytest.raises(InputError, match="unknown export format 'BCEA'"):
        check_format("BCEA")


def test_a_folder_without_psa_draws_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"holds no psa\.csv\.gz"):
        read_draws(tmp_path)


def test_a_folder_whose_model_is_not_installed_is_refused(psa_folder, tmp_path):
    folder = tmp_path / "psa"
    shutil.copytree(psa_folder, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "model": "elsewhere_model"}))
    with pytest.raises(InputError, match="the model of this results folder cannot be loaded") as error:
        read_draws(folder)
    assert "export the PSA file itself" in error.value.fix


def test_an_output_inside_the_results_folder_read_is_refused(psa_folder):
    before = sorted(p.name for p in psa_folder.iterdir())
    with pytest.raises(InputError, match="inside the results folder read"):
        write_export(psa_folder / "r", read_draws(psa_folder), "dampack")
    assert sorted(p.name for p in psa_folder.iterdir()) == before


# ------------------------------------------------------------------ property: the way back


identifiers = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True)


@st.composite
def exported_draws(draw) -> ExportedPSA:
    strategies = draw(st.lists(identifiers, min_size=2, max_size=4,
                               unique_by=lambda name: name.lower()))
    n_draws = draw(st.integers(2, 6))
    values = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
    costs = draw(arrays(float, (n_draws, len(strategies)), elements=values))
    effects = draw(arrays(float, (n_draws, len(strategies)), elements=values))
    names = draw(st.lists(identifiers.filter(lambda name: name.lower() not in RESERVED),
                          max_size=3, unique_by=lambda name: name.lower()))
    parameters = pd.DataFrame(draw(arrays(float, (n_draws, len(names)), elements=values)), columns=names)
    return ExportedPSA(tuple(strategies), costs, effects, parameters, strategies[0], "cost", "effect", 0,
                       Path("psa.csv"))


@settings(max_examples=40, deadline=None)
@given(exported_draws())
def test_psa_long_reads_back_to_the_same_matrices(tmp_path_factory, draws):
    """Whatever the strategy names and values, hecon's reader gets back from psa_long.csv the
    matrices written for R, in their order, and the parameters that vary within no draw."""
    path = write_csv(long_table(draws), tmp_path_factory.mktemp("long") / "psa_long.csv")
    read = read_psa(path)
    assert read.strategies == draws.strategies
    np.testing.assert_array_equal(read.costs, draws.costs)
    np.testing.assert_array_equal(read.effects, draws.effects)
    pd.testing.assert_frame_equal(read.parameters, draws.parameters, check_dtype=False,
                                  check_column_type=False)

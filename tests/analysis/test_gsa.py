"""Global sensitivity analysis: Sobol' indices and Morris effects against known answers, the
design in chunks, the Result's meta, options refused before any evaluation."""

import csv

import numpy as np
import pandas as pd
import pytest

from hecon.analysis import gsa
from hecon.analysis.sensitivity import Measure
from hecon.errors import InputError
from hecon.model import Model
from hecon.model.parameters import COLUMNS, ParameterTable
from tests.analysis.models import LinearModel, Recording


def test_sobol_indices_of_the_ishigami_function(tmp_path):
    path = tmp_path / "ishigami.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        for name in ("x1", "x2", "x3"):
            writer.writerow({**dict.fromkeys(COLUMNS, ""), "name": name, "value": "0", "distribution": "uniform",
                             "lower": str(-np.pi), "upper": str(np.pi), "source": "Ishigami & Homma 1990"})
    table = ParameterTable.load(path)

    def ishigami(sets, a=7.0, b=0.1):
        return np.sin(sets["x1"]) + a * np.sin(sets["x2"]) ** 2 + b * sets["x3"] ** 4 * np.sin(sets["x1"])

    indices, points, invalid = gsa.sobol(table, gsa.outputs_of(table, ishigami), 2048, seed=3)
    indices = indices.set_index("parameter")
    assert (points, invalid) == (2048 * 5, 0)  # Saltelli: n·(k + 2)
    # analytic values for a = 7, b = 0.1 (Sobol' & Levitan 1999)
    np.testing.assert_allclose(indices.loc[["x1", "x2", "x3"], "S1"], [0.3139, 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(indices.loc[["x1", "x2", "x3"], "ST"], [0.5576, 0.4424, 0.2437], atol=0.03)


def test_morris_gives_no_effect_to_a_parameter_that_does_not_enter(table):
    ranking = gsa.morris(table, gsa.outputs_of(table, lambda s: LinearModel().evaluate(s).total_cost[:, 1], 7), 40, seed=1)[0]
    assert ranking.parameter.iloc[-1] == "unused"
    assert ranking.set_index("parameter").loc["unused", "mu_star"] == 0


def test_dirichlet_group_is_one_factor():
    model = Model("example_sick")
    spec = gsa.problem(model.parameters)
    assert spec["groups"].count("sick_exits") == 3


def test_the_result_carries_the_design_and_the_labels(sick):
    result = gsa.global_sensitivity(sick, sick.parameters, Measure(sick), "sobol", 8, seed=4)
    groups = len(gsa._factors(gsa.problem(sick.parameters)))
    assert result.meta["design_points"] == 8 * (groups + 2) and result.meta["invalid_points"] == 0
    assert result.meta["method"] == "sobol" and result.meta["seed"] == 4
    assert result.meta["parameter_labels"]["cost_sick"] == sick.parameters["cost_sick"].description
    assert set(result.table.parameter) == set(gsa._factors(gsa.problem(sick.parameters)))


def test_gsa_in_chunks_equals_one_batch(sick, monkeypatch):
    whole = gsa.global_sensitivity(sick, sick.parameters, Measure(sick), "morris", 4, seed=2)
    monkeypatch.setattr("hecon.analysis.gsa.SETS_PER_CHUNK", 5)
    recording = Recording(sick)
    chunked = gsa.global_sensitivity(recording, sick.parameters, Measure(recording), "morris", 4, seed=2)
    assert max(s.n for s in recording.batches) == 5
    pd.testing.assert_frame_equal(whole.table, chunked.table)


@pytest.mark.parametrize("method, n, message", [
    ("fast", 8, "--method: unknown method 'fast' (fix: use sobol or morris)"),
    ("sobol", 100, "--n 100: Saltelli's Sobol' design keeps its balance only at a power of 2 (fix: use --n 64 or 128)"),
    ("sobol", 1, "at least 2"),
    ("sobol", 2 ** 30, "GiB of memory"),
    ("morris", 10 ** 9, "use a smaller --n"),
])
def test_gsa_refuses_its_options_before_any_evaluation(sick, method, n, message):
    recording = Recording(sick)
    with pytest.raises(InputError) as error:
        gsa.global_sensitivity(recording, sick.parameters, Measure(recording), method, n)
    assert message in str(error.value) and recording.batches == []

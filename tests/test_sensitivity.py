"""One-way, two-way, threshold and global sensitivity analyses, on models with known answers."""

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon import gsa
from hecon.model import Effect, Model
from hecon.outcomes import Outcomes
from hecon.parameters import COLUMNS, ParameterTable
from hecon.sensitivity import Measure, one_way, parameter_range, threshold, two_way

COEFFICIENTS = {"a": 100.0, "b": -40.0}   # incremental cost = Σ c_i p_i ; effect = 0.01·a
WTP = 50_000.0


class LinearModel:
    """Two strategies; the new one's incremental cost is linear in a and b, its incremental
    QALYs are 0.01·a, and parameter 'unused' enters nothing."""

    name, strategies, comparator = "linear", ("old", "new"), "old"
    effects = (Effect("qalys", "QALY gained"),)

    def __init__(self, coefficients=COEFFICIENTS):
        self.coefficients = coefficients

    def options(self, overrides=None, source=None):
        return None

    def evaluate(self, sets, options=None, chunk_size=None, progress=None):
        cost = self.coefficients["a"] * sets["a"] + self.coefficients["b"] * sets["b"]
        zero = np.zeros(sets.n)
        return Outcomes(self.strategies, {"cost": np.stack([zero, cost], 1)},
                        {"qalys": np.stack([zero, 0.01 * sets["a"]], 1)})


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rows = [
        {"name": "a", "value": "2", "distribution": "uniform", "lower": "1", "upper": "3", "low": "1", "high": "3", "source": "test"},
        {"name": "b", "value": "5", "distribution": "normal", "se": "1", "low": "4", "high": "7", "source": "test"},
        {"name": "unused", "value": "0.5", "distribution": "beta", "alpha": "5", "beta": "5", "source": "test"},
    ]
    path = tmp_path_factory.mktemp("linear") / "linear.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows([{c: r.get(c, "") for c in COLUMNS} for r in rows])
    return ParameterTable.load(path)


@settings(max_examples=25, deadline=None)
@given(st.fixed_dictionaries({"a": st.floats(-1e4, 1e4), "b": st.floats(-1e4, 1e4)}))
def test_one_way_of_a_linear_model_is_coefficient_times_range(table, coefficients):
    model = LinearModel(coefficients)
    result = one_way(model, table, measure=Measure(model, "cost")).set_index("parameter")
    for name, coefficient in coefficients.items():
        low, high = parameter_range(table, name)
        assert result.loc[name, "outcome_at_high"] - result.loc[name, "outcome_at_low"] == pytest.approx(
            coefficient * (high - low), abs=1e-9)
    assert result.loc["unused", "range"] == 0.0  # a parameter that does not enter: zero width
    assert result.attrs["base_outcome"] == pytest.approx(coefficients["a"] * 2 + coefficients["b"] * 5)


def test_one_way_ci95_ranges_use_the_distribution(table):
    result = one_way(LinearModel(), table, measure=Measure(LinearModel(), "cost"), ranges="ci95").set_index("parameter")
    assert result.loc["b", "low"] == pytest.approx(5 - 1.959964, abs=1e-5)


def test_two_way_corner_equals_base_with_both_overrides(table):
    model = LinearModel()
    measure = Measure(model, "inmb", WTP)
    grid = two_way(model, table, "a", "b", measure=measure, steps=5)
    corner = grid[(grid.x_value == 3) & (grid.y_value == 7)].outcome.iloc[0]
    direct = measure.of(model.evaluate(table.override(table.base_case(), {"a": 3.0, "b": 7.0})))[0]
    assert corner == direct
    assert set(grid.optimal) <= {"old", "new"} and len(grid) == 25


def test_threshold_gives_zero_incremental_net_benefit(table):
    model = LinearModel()
    wtp = [20_000.0, 50_000.0]
    result = threshold(model, table, "b", wtp, bounds=(-1000.0, 1000.0))
    for lam, value in zip(wtp, result.threshold, strict=True):
        sets = table.override(table.base_case(), {"b": value})
        assert Measure(model, "inmb", lam).of(model.evaluate(sets))[0] == pytest.approx(0, abs=1e-3)  # €
    # closed form: λ·0.01·a = 100 a − 40 b  ⇒  b = (100 a − λ·0.01 a)/40 with a = 2
    np.testing.assert_allclose(result.threshold, [(200 - lam * 0.02) / 40 for lam in wtp], atol=1e-5)


def test_threshold_says_when_there_is_none(table):
    result = threshold(LinearModel(), table, "unused", [50_000.0])
    assert np.isnan(result.threshold.iloc[0]) and "no threshold" in result.reason.iloc[0]


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

    indices = gsa.sobol(table, ishigami, 2048, seed=3).set_index("parameter")
    # analytic values for a = 7, b = 0.1 (Sobol' & Levitan 1999)
    np.testing.assert_allclose(indices.loc[["x1", "x2", "x3"], "S1"], [0.3139, 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(indices.loc[["x1", "x2", "x3"], "ST"], [0.5576, 0.4424, 0.2437], atol=0.03)


def test_morris_gives_no_effect_to_a_parameter_that_does_not_enter(table):
    ranking = gsa.morris(table, lambda s: LinearModel().evaluate(s).total_cost[:, 1], 40, seed=1)
    assert ranking.parameter.iloc[-1] == "unused"
    assert ranking.set_index("parameter").loc["unused", "mu_star"] == 0


def test_dirichlet_group_is_one_factor():
    model = Model("example_sick")
    spec = gsa.problem(model.parameters)
    assert spec["groups"].count("sick_exits") == 3


def test_flagship_one_way_covers_every_parameter_with_a_range():
    model = Model("ifn_gamma")
    result = one_way(model, model.parameters)
    assert "price_ifn_vial" in set(result.parameter) and "utility_norm_age" not in set(result.parameter)
    price = result.set_index("parameter").loc["price_ifn_vial"]
    assert price.outcome_at_low > price.outcome_at_high  # a dearer drug lowers the INMB

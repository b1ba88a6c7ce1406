"""The base case (hecon.analysis.basecase): the parameter table's values through the model, its
cost-consequence and ICER tables, the trace and checks when the model has them.

The model here is written to a temporary folder and loaded by its path, the way a user's own
model is; its outcomes are in closed form, so every number can be checked by hand.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hecon.analysis.basecase import base_case
from hecon.analysis.result import Result
from hecon.errors import ModelError
from hecon.model import Model

MODEL = '''
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.model import Effect
from hecon.model.outcomes import Outcomes

TITLE = "Drug A against standard care, in closed form"
STRATEGIES = ("standard_care", "drug_a")
COMPARATOR = "standard_care"
EFFECTS = (Effect("qalys", "QALY gained", "QALY"),
           Effect("relapses", "relapse avoided", "relapse", higher_is_better=False))


@dataclass(frozen=True)
class Options:
    years: int = 1


def evaluate(params, options):
    """Drug A costs its price a year and adds its QALY gain a year; relapses: 0.3 and 0.2 a year.
    A QALY gain above 1 is a calibration that cannot be met."""
    n, years = params.n, options.years
    drug = np.column_stack([np.zeros(n), params["price_drug_a"] * years])
    care = np.full((n, 2), params["cost_care"][:, None] * years)
    qalys = np.column_stack([np.full(n, 0.7), 0.7 + params["qaly_gain"]]) * years
    relapses = np.tile([0.3 * years, 0.2 * years], (n, 1))
    bad = np.flatnonzero(params["qaly_gain"] > 1)
    {DETAILS}
    return Outcomes(STRATEGIES, {{"drug": drug, "care": care}}, {{"qalys": qalys, "relapses": relapses}},
                    problems=pd.DataFrame({{"set": bad, "reason": "no QALY gain above 1 can be calibrated"}}),
                    details=details)
{MORE}
'''
TRACE = ('details = {"trace": pd.DataFrame({"year": np.arange(years + 1), '
         '"alive": np.ones(years + 1)})}')
VALIDATION = '''
def validation(table, options):
    gain = table["qaly_gain"].value
    return pd.DataFrame({"check": ["qaly_gain_positive"], "kind": ["verification"], "model": [gain],
                         "target": [0.0], "low": [0.0], "high": [1.0], "passed": [0 < gain <= 1],
                         "source": ["by construction"]})
'''
TABLE = ("name,description,value,unit,distribution,se,ci_low,ci_high,alpha,beta,lower,upper,low,high,group,"
         "price_year,status,source,notes\n"
         "price_drug_a,Price of drug A a year,1200,EUR,fixed,,,,,,,,900,1500,costs,2024,assumption,test,\n"
         "cost_care,Cost of care a year,300,EUR,fixed,,,,,,,,200,400,costs,2024,assumption,test,\n"
         "qaly_gain,QALYs gained a year,0.08,QALY,fixed,,,,,,,,0.04,0.12,effects,,assumption,test,\n")
NAMES = itertools.count()


@pytest.fixture
def write_model(tmp_path):
    """Write the closed-form model (with or without its trace and checks); return it loaded."""

    def write(trace: bool = False, checks: bool = False) -> Model:
        path = tmp_path / f"closed_form_{next(NAMES)}.py"
        path.write_text(MODEL.format(DETAILS=TRACE if trace else "details = {}",
                                     MORE=VALIDATION if checks else ""), encoding="utf-8")
        inputs = tmp_path / "inputs" / path.stem
        inputs.mkdir(parents=True)
        (inputs / "parameters.csv").write_text(TABLE, encoding="utf-8")
        return Model(path)

    return write


def test_the_cost_consequence_table_holds_the_base_case_values(write_model):
    table = base_case(write_model()).cost_consequence.set_index("outcome")
    assert table.loc["total_cost", ["standard_care", "drug_a", "difference_drug_a"]].tolist() == [300, 1500, 1200]
    assert table.loc["qalys", "difference_drug_a"] == pytest.approx(0.08)
    assert table.loc["relapses", "difference_drug_a"] == pytest.approx(-0.1)
    assert not any(column.endswith("_low") for column in table)  # no PSA, no interval


def test_a_psa_gives_the_differences_their_95_percent_intervals(write_model):
    model = write_model()
    prices = np.linspace(900, 1500, 401)  # a PSA of the drug's price alone
    sets = model.parameters.override(model.parameters.base_case(prices.size), {"price_drug_a": prices})
    table = base_case(model, psa=model.evaluate(sets)).cost_consequence.set_index("outcome")
    total = table.loc["total_cost"]
    assert total["difference_drug_a_low"] == pytest.approx(np.quantile(prices, 0.025))
    assert total["difference_drug_a_high"] == pytest.approx(np.quantile(prices, 0.975))
    assert total["psa_mean_difference_drug_a"] == pytest.approx(1200) and total["difference_drug_a"] == 1200
    assert table.loc["qalys", "difference_drug_a_low"] == pytest.approx(0.08)  # no uncertainty, no width


def test_the_icers_are_against_the_comparator_for_every_effect(write_model):
    icers = base_case(write_model()).icers.set_index("effect")
    assert icers.loc["qalys", "icer"] == pytest.approx(1200 / 0.08)        # 15,000 € per QALY gained
    assert icers.loc["relapses", "icer"] == pytest.approx(1200 / 0.1)      # 12,000 € per relapse avoided
    assert set(icers["comparator"]) == {"standard_care"} and set(icers["strategy"]) == {"drug_a"}


def test_the_options_given_are_the_ones_evaluated(write_model):
    model = write_model()
    two_years = base_case(model, model.options({"years": 2})).icers.set_index("effect")
    assert two_years.loc["qalys", ["incremental_cost", "incremental_effect"]].tolist() == pytest.approx([2400, 0.16])


def test_a_table_given_replaces_the_model_s_own(write_model):
    model = write_model()
    cheaper = model.load_parameters().with_values({"price_drug_a": 600.0})
    assert base_case(model, parameters=cheaper).icers.set_index("effect").loc["qalys", "icer"] == pytest.approx(7_500)


def test_a_base_case_the_model_cannot_evaluate_is_a_model_error_naming_why(write_model):
    model = write_model()
    impossible = model.load_parameters().with_values({"qaly_gain": 1.5})
    with pytest.raises(ModelError) as caught:
        base_case(model, parameters=impossible)
    assert str(caught.value) == (f"the base case of {model.name} cannot be evaluated: "
                                 "no QALY gain above 1 can be calibrated")
    assert caught.value.sets == [0]


def test_the_tables_are_the_outcomes_the_cost_consequence_and_the_icers(write_model):
    case = base_case(write_model())
    tables = case.tables()
    assert list(tables) == ["outcomes", "cost_consequence", "icers"]
    assert case.trace is None and case.checks is None
    outcomes = tables["outcomes"]
    assert "set" not in outcomes  # one set: its number says nothing
    assert outcomes.set_index("strategy").loc["drug_a", "total_cost"] == 1500


def test_a_trace_and_checks_the_model_has_are_tables_too(write_model):
    case = base_case(write_model(trace=True, checks=True))
    tables = case.tables()
    assert list(tables) == ["outcomes", "cost_consequence", "icers", "trace", "checks"]
    np.testing.assert_array_equal(tables["trace"]["year"], [0, 1])
    assert tables["checks"]["passed"].tolist() == [True]


def test_the_checks_are_of_the_table_evaluated(write_model):
    model = write_model(checks=True)
    case = base_case(model, parameters=model.load_parameters().with_values({"qaly_gain": 0.0}))
    assert case.checks.loc[0, ["model", "passed"]].tolist() == [0.0, False]


def test_the_result_leads_with_the_cost_consequence_table(write_model):
    case = base_case(write_model(trace=True))
    result = case.result(currency="€", comparator="standard_care")
    assert isinstance(result, Result) and (result.analysis, result.key) == ("base_case", "cost_consequence")
    assert result.meta == {"currency": "€", "comparator": "standard_care"}
    assert result.tables().keys() == case.tables().keys()

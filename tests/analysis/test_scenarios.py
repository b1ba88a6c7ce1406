"""Scenario files: loading, errors naming file and key, and the scenario table."""

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hecon.analysis.scenarios import Scenario, load_scenario, load_scenarios, run_scenarios
from hecon.errors import InputError
from hecon.model import Model


@pytest.fixture(scope="module")
def model():
    return Model("ifn_gamma")


def write(tmp_path, content, name="s.yaml"):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8")
    return path


def test_every_shipped_scenario_loads_and_runs(model):
    scenarios = load_scenarios(model.input_dir / "scenarios", model)
    assert len(scenarios) >= 13
    result = run_scenarios(model, scenarios)
    assert result.meta["scenarios"] == [s.name for s in scenarios] and result.meta["report_wtp"] == [20_000, 50_000, 100_000]
    compared = result.table.dropna(subset=["status"]).set_index("scenario")
    assert compared.loc["sceptical_effect", "incremental_effect"] == pytest.approx(0, abs=1e-12)
    assert compared.loc["harmful_effect", "status"] == "dominated"
    assert compared.loc["drug_price_vat_inclusive", "incremental_cost"] > compared.loc["base_case", "incremental_cost"]


def test_scenarios_sharing_options_in_one_batch_equal_each_scenario_alone(model):
    """run_scenarios evaluates the scenarios of equal options together: the same numbers as one
    evaluation per scenario."""
    scenarios = load_scenarios(model.input_dir / "scenarios", model)
    table = run_scenarios(model, scenarios).table.set_index(["scenario", "strategy"])
    for scenario in scenarios:
        options = scenario.model_options(model)
        outcomes = model.evaluate(scenario.table(model, options).base_case(), options)
        for j, strategy in enumerate(model.strategies):
            assert table.loc[(scenario.name, strategy), "cost"] == outcomes.total_cost[0, j]


def test_a_scenario_that_cannot_be_evaluated_is_named_whatever_its_batch(model, tmp_path):
    write(tmp_path, {"name": "a_discounted", "options": {"discount_rate_costs": 0.01}}, "a.yaml")
    write(tmp_path, {"name": "b_impossible", "options": {"discount_rate_costs": 0.01},
                     "parameters": {"target_icu_los": 95}}, "b.yaml")
    write(tmp_path, {"name": "c_plain", "parameters": {"price_ifn_vial": 100}}, "c.yaml")
    with pytest.raises(InputError, match="scenario 'b_impossible' cannot be evaluated") as caught:
        run_scenarios(model, load_scenarios(tmp_path, model))
    assert caught.value.file == str(tmp_path / "b.yaml")


def test_scenario_restating_the_base_case_reproduces_it(model, tmp_path):
    table = model.parameters
    path = write(tmp_path, {"name": "restated", "parameters": {"hr_infection_ifn": table["hr_infection_ifn"].value,
                                                               "price_ifn_vial": table["price_ifn_vial"].value},
                            "options": {"discount_rate_costs": 0.025}})
    result = run_scenarios(model, [load_scenario(path, model)]).table
    base, restated = (result[result.scenario == s].drop(columns=["scenario", "description"]).reset_index(drop=True)
                      for s in ("base_case", "restated"))
    assert base.equals(restated)


@pytest.mark.parametrize("content, message", [
    ({"name": "x", "parameters": {"hr_infection": 1.0}}, "did you mean hr_infection_ifn"),
    ({"name": "x", "options": {"discount_rate": 0.0}}, "unknown option 'discount_rate'"),
    ({"name": "x", "colour": "red"}, "unknown key 'colour'"),
    ({"name": "x", "parameters": {"hr_infection_ifn": "one"}},
     "key 'parameters.hr_infection_ifn' must be a number, not 'one' (a text)"),
    ({"name": "x", "parameters": {"hr_infection_ifn": True}}, "must be a number, not 'True' (true or false)"),
    ({"name": "x", "parameters": {"hr_infection_ifn": {"distribution": 3}}},
     "'parameters.hr_infection_ifn.distribution' must be a text, not '3'"),
    ({"name": "x", "options": {"discount_rate_costs": "high"}},
     "option 'discount_rate_costs' must be a number, not 'high' (a text)"),
    ({"name": "x", "options": {"age_nodes": 2.5}}, "option 'age_nodes' must be a whole number, not '2.5' (a number)"),
    ({"name": "x", "options": {"horizon_years": "life"}}, "must be a number or empty (null), not 'life'"),
    ({"name": "x", "options": {"dose_days": [1, "two"]}}, "option 'dose_days[1]' must be a whole number"),
    ({"name": "x", "options": {"perspective": 1}}, "option 'perspective' must be a text, not '1'"),
    ({"name": "=HYPERLINK(1)"}, "scenario name '=HYPERLINK(1)' is not an identifier"),
    ({"name": "base_case"}, "names the base case itself"),
    ({"name": "x", "description": ["a", "b"]}, "'description' must be a text"),
    ("name: x\nname: y\n", "duplicate key 'name' (first on line 1)"),
    ("name: x\noptions:\n  discount_rate_costs: 1_0\n", "must be a number, not '1_0'"),
    ("name: x\noptions: &o {discount_rate_costs: 0.0}\n", "anchors and aliases"),
    ({"name": "x", "parameters": {"hr_infection_ifn": {"valeur": 1}}}, "unknown key 'valeur'"),
    ({"name": "x", "parameters": {"p_sae_placebo": 1.7}}, "value 1.7 lies outside the support [0, 1]"),
    ({"name": "x", "options": {"perspective": "societal"}}, "perspective must be one of"),
    ("name: [unclosed", "not valid YAML"),
    ("- a list", "must be a mapping"),
    ("name: x\nparameters: !!python/object/apply:os.system ['echo hacked']", "not valid YAML"),
])
def test_malformed_scenarios_name_file_and_key(model, tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        load_scenario(path, model)
    assert str(path) in str(caught.value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.floats(allow_nan=True) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8))
def test_arbitrary_yaml_content_is_an_input_error_or_a_scenario(model, tmp_path, content):
    path = write(tmp_path, yaml.safe_dump(content))
    try:
        scenario = load_scenario(path, model)
    except InputError as error:
        assert str(path) in str(error)
    else:
        assert isinstance(scenario, Scenario)



def test_options_convert_yaml_lists_and_integers(model, tmp_path):
    path = write(tmp_path, "name: x\noptions:\n  dose_days: [1, 3]\n  discount_rate_costs: 0\n")
    options = load_scenario(path, model).model_options(model)
    assert options.dose_days == (1, 3) and options.discount_rate_costs == 0.0
    assert isinstance(options.discount_rate_costs, float)


def test_two_files_with_one_scenario_name_are_refused(model, tmp_path):
    write(tmp_path, {"name": "same", "options": {"discount_rate_costs": 0.0}}, "a.yaml")
    write(tmp_path, {"name": "same", "options": {"discount_rate_costs": 0.01}}, "b.yaml")
    with pytest.raises(InputError, match="scenario name 'same' is also the name in .*a.yaml") as caught:
        load_scenarios(tmp_path, model)
    assert caught.value.file == str(tmp_path / "b.yaml")


def test_file_stem_is_the_name_and_must_be_an_identifier(model, tmp_path):
    assert load_scenario(write(tmp_path, "options: {discount_rate_costs: 0.0}\n", "no_discount.yaml"),
                         model).name == "no_discount"
    with pytest.raises(InputError, match="'no-discount' is not an identifier"):
        load_scenario(write(tmp_path, "options: {discount_rate_costs: 0.0}\n", "no-discount.yaml"), model)

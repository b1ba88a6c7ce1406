"""Scenario files: loading, errors naming file and key, and the scenario table."""

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.model import Model
from hecon.scenarios import Scenario, load_scenario, load_scenarios, run_scenarios


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
    table = run_scenarios(model, scenarios)
    compared = table.dropna(subset=["status"]).set_index("scenario")
    assert compared.loc["sceptical_effect", "incremental_effect"] == pytest.approx(0, abs=1e-12)
    assert compared.loc["harmful_effect", "status"] == "dominated"
    assert compared.loc["drug_price_high", "incremental_cost"] > compared.loc["drug_price_low", "incremental_cost"]


def test_scenario_restating_the_base_case_reproduces_it(model, tmp_path):
    table = model.parameters
    path = write(tmp_path, {"name": "restated", "parameters": {"hr_infection_ifn": table["hr_infection_ifn"].value,
                                                               "price_ifn_vial": table["price_ifn_vial"].value},
                            "options": {"discount_rate_costs": 0.025}})
    result = run_scenarios(model, [load_scenario(path, model)])
    base, restated = (result[result.scenario == s].drop(columns=["scenario", "description"]).reset_index(drop=True)
                      for s in ("base_case", "restated"))
    assert base.equals(restated)


@pytest.mark.parametrize("content, message", [
    ({"name": "x", "parameters": {"hr_infection": 1.0}}, "did you mean hr_infection_ifn"),
    ({"name": "x", "options": {"discount_rate": 0.0}}, "unknown option 'discount_rate'"),
    ({"name": "x", "colour": "red"}, "unknown key 'colour'"),
    ({"name": "x", "parameters": {"hr_infection_ifn": "one"}}, "not a number"),
    ({"name": "x", "parameters": {"hr_infection_ifn": {"valeur": 1}}}, "unknown key 'valeur'"),
    ({"name": "x", "parameters": {"p_sae_ifn": 1.7}}, "p_sae_ifn"),
    ({"name": "x", "options": {"perspective": "societal"}}, "perspective must be one of"),
    ("name: [unclosed", "not valid YAML"),
    ("- a list", "must be a mapping"),
    ("name: x\nparameters: !!python/object/apply:os.system ['echo hacked']", "not valid YAML"),
])
def test_malformed_scenarios_name_file_and_key(model, tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(InputError, match=message) as caught:
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


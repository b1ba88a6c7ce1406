"""Tests of decision-tree rollback (hand-computed), the tree → Markov hand-over and YAML trees."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.errors import InputError, ModelError
from hecon.model.markov import run_cohort
from hecon.model.tree import COMPLEMENT, Branch, Chance, Decision, Terminal, load_tree, rollback

STATES = ("well", "ill", "dead")

#: Screen (test cost, then treatment of positives) or not; every path enters a Markov state.
TREE = Decision("policy", {
    "screen": Chance("test", (
        Branch("positive", "p_positive", Chance("treatment", (
            Branch("cured", "p_cure", Terminal("cured", {"cost": 1000.0, "qaly": 0.9}, state="well")),
            Branch("not_cured", COMPLEMENT, Terminal("not_cured", {"qaly": 0.5}, state="ill")),
        )), payoffs={"cost": "cost_test"}),
        Branch("negative", COMPLEMENT, Terminal("negative", {"qaly": 0.95}, state="well"),
               payoffs={"cost": "cost_test"}),
    )),
    "no_screen": Terminal("untested", {"qaly": 0.93}, state="well"),
})

PARAMS = {"p_positive": np.array([0.2, 0.5]), "p_cure": np.array([0.7, 0.4]),
          "cost_test": np.array([50.0, 80.0])}


def test_two_level_rollback_by_hand():
    result = rollback(TREE, PARAMS, states=STATES)
    assert result.strategies == ("screen", "no_screen")
    # set 0: cost = 50 + 0.2·0.7·1000 = 190; QALY = 0.2·(0.7·0.9 + 0.3·0.5) + 0.8·0.95 = 0.916
    # set 1: cost = 80 + 0.5·0.4·1000 = 280; QALY = 0.5·(0.4·0.9 + 0.6·0.5) + 0.5·0.95 = 0.805
    np.testing.assert_allclose(result.payoffs["cost"], [[190.0, 0.0], [280.0, 0.0]], rtol=1e-14)
    np.testing.assert_allclose(result.payoffs["qaly"], [[0.916, 0.93], [0.805, 0.93]], rtol=1e-14)
    np.testing.assert_allclose(result.state_distribution,
                               [[[0.94, 0.06, 0.0], [1.0, 0.0, 0.0]],
                                [[0.70, 0.30, 0.0], [1.0, 0.0, 0.0]]], rtol=1e-14)


def test_paths_are_tidy_and_sum_to_one():
    paths = rollback(TREE, PARAMS).paths
    assert list(paths.columns) == ["set", "strategy", "path", "probability"]
    first = paths[paths["set"] == 0].set_index(["strategy", "path"])["probability"]
    assert first["screen", "positive/cured"] == pytest.approx(0.14)
    assert first["screen", "positive/not_cured"] == pytest.approx(0.06)
    assert first["screen", "negative"] == pytest.approx(0.8)
    assert first["no_screen", "untested"] == 1.0
    np.testing.assert_allclose(paths.groupby(["set", "strategy"])["probability"].sum(), 1.0)


def test_state_distribution_is_the_cohort_start():
    """The cohort run from the tree's distribution is the probability-weighted runs from each state."""
    P = np.array([[0.85, 0.10, 0.05], [0.20, 0.65, 0.15], [0.0, 0.0, 1.0]])
    tree = rollback(TREE, PARAMS, states=STATES)
    run = run_cohort(P, tree.state_distribution, 10, state_names=STATES,
                     strategy_names=tree.strategies, state_rewards={"ly": [1.0, 1.0, 0.0]})
    from_each_state = run_cohort(P, np.eye(3), 10, state_rewards={"ly": [1.0, 1.0, 0.0]})
    np.testing.assert_allclose(run.undiscounted["ly"],
                               tree.state_distribution @ from_each_state.undiscounted["ly"], rtol=1e-13)


def test_callables_and_constants_as_references():
    tree = Decision("d", {"a": Chance("c", (
        Branch("event", lambda p: p["rate"] / 10, Terminal("e", {"cost": lambda p: 2 * p["rate"]})),
        Branch("none", 0.5, Terminal("n")),
        Branch("other", COMPLEMENT, Terminal("o", {"cost": 3.0})),
    ))})
    result = rollback(tree, {"rate": np.array([1.0, 2.0])})
    # p(event) = 0.1, 0.2; p(other) = 0.4, 0.3; cost = p·2·rate + p(other)·3
    np.testing.assert_allclose(result.payoffs["cost"][:, 0], [0.1 * 2 + 0.4 * 3, 0.2 * 4 + 0.3 * 3])


def test_constant_tree_needs_the_number_of_sets():
    tree = Decision("d", {"a": Chance("c", (Branch("x", 0.25, Terminal("x", {"cost": 4.0})),
                                            Branch("y", COMPLEMENT, Terminal("y"))))})
    result = rollback(tree, {}, n_sets=3)
    np.testing.assert_array_equal(result.payoffs["cost"], np.ones((3, 1)))
    assert len(rollback(tree, {}).paths) == 2


# ---------------------------------------------------------------- validation

def test_complement_below_zero_names_node_strategy_and_sets():
    tree = Decision("d", {"a": Terminal("t"), "b": Chance("outcome", (
        Branch("x", 0.6, Terminal("x")), Branch("y", "p_y", Terminal("y")),
        Branch("z", COMPLEMENT, Terminal("z")),
    ))})
    with pytest.raises(ModelError) as error:
        rollback(tree, {"p_y": np.array([0.3, 0.5, 0.4, 0.45])})
    assert str(error.value) == (
        "chance node 'outcome' (strategy 'b'): the probability of branch 'z' is -0.1, outside "
        "[0, 1], in parameter set(s) 1, 3 (2 in all)")
    np.testing.assert_array_equal(error.value.sets, [1, 3])


def test_explicit_probabilities_must_sum_to_one():
    tree = Decision("d", {"a": Chance("c", (Branch("x", "p", Terminal("x")),
                                            Branch("y", "q", Terminal("y"))))})
    p, q = np.array([0.5, 0.5, 0.3]), np.array([0.5, 0.6, 0.7 + 2e-10])
    with pytest.raises(ModelError, match=r"sum to 1.1, not 1, in parameter set\(s\) 1 \(1 in all\)") as error:
        rollback(tree, {"p": p, "q": q})
    np.testing.assert_array_equal(error.value.sets, [1])


@settings(max_examples=30, deadline=None)
@given(bad_set=st.integers(0, 19), value=st.one_of(st.floats(-5, -1e-9), st.floats(1 + 1e-9, 5),
                                                   st.just(np.nan)))
def test_any_invalid_probability_is_caught(bad_set, value):
    params = {name: np.resize(v, 20) for name, v in PARAMS.items()}
    params["p_cure"] = params["p_cure"].copy()
    params["p_cure"][bad_set] = value
    with pytest.raises(ModelError, match="chance node 'treatment'") as error:
        rollback(TREE, params)
    np.testing.assert_array_equal(error.value.sets, [bad_set])


def test_missing_parameter_lists_close_names():
    params = {"p_positive": PARAMS["p_positive"], "p_cures": PARAMS["p_cure"],
              "cost_test": PARAMS["cost_test"]}
    with pytest.raises(InputError, match="branch 'cured', probability names parameter 'p_cure'.*"
                                         "did you mean p_cures"):
        rollback(TREE, params)


def test_terminals_must_name_known_states():
    no_state = Decision("d", {"a": Terminal("end")})
    with pytest.raises(InputError, match="names no state"):
        rollback(no_state, {}, states=STATES)
    typo = Decision("d", {"a": Terminal("end", state="wel")})
    with pytest.raises(InputError, match="did you mean well"):
        rollback(typo, {}, states=STATES)


@pytest.mark.parametrize("make", [
    lambda: Chance("c", ()),
    lambda: Chance("c", (Branch("x", COMPLEMENT, Terminal("x")), Branch("y", COMPLEMENT, Terminal("y")))),
    lambda: Chance("c", (Branch("x", 0.5, Terminal("x")), Branch("x", 0.5, Terminal("y")))),
    lambda: Branch("x", 1.5, Terminal("x")),
    lambda: Branch("x", [0.5], Terminal("x")),
    lambda: Decision("d", {}),
])
def test_malformed_trees_are_refused(make):
    with pytest.raises(InputError):
        make()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_sets=st.integers(1, 50))
def test_expected_payoffs_are_path_weighted_sums(seed, n_sets):
    rng = np.random.default_rng(seed)
    params = {"p_positive": rng.uniform(0, 1, n_sets), "p_cure": rng.uniform(0, 1, n_sets),
              "cost_test": rng.gamma(2, 30, n_sets)}
    result = rollback(TREE, params, states=STATES)
    np.testing.assert_allclose(result.state_distribution.sum(-1), 1.0, rtol=1e-14)
    path_qaly = {"positive/cured": 0.9, "positive/not_cured": 0.5, "negative": 0.95}
    expected = sum(result.path_probabilities["screen"][path] * q for path, q in path_qaly.items())
    np.testing.assert_allclose(result.payoffs["qaly"][:, 0], expected, rtol=1e-13)


# ---------------------------------------------------------------- YAML

TREE_YAML = """\
decision: policy
options:
  screen:
    chance: test
    branches:
      positive:
        probability: p_positive
        payoffs: {cost: cost_test}
        chance: treatment
        branches:
          cured:
            probability: fn:cure
            terminal: {state: well, payoffs: {cost: 1000, qaly: 0.9}}
          not_cured:
            probability: complement
            terminal: {state: ill, payoffs: {qaly: 0.5}}
      negative:
        probability: complement
        payoffs: {cost: cost_test}
        terminal: {state: well, payoffs: {qaly: 0.95}}
  no_screen:
    terminal: {name: untested, state: well, payoffs: {qaly: 0.93}}
"""


def write(tmp_path, text: str):
    path = tmp_path / "tree.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_yaml_tree_rolls_back_like_the_python_one(tmp_path):
    tree = load_tree(write(tmp_path, TREE_YAML), {"cure": lambda p: p["p_cure"]})
    from_yaml, from_code = rollback(tree, PARAMS, states=STATES), rollback(TREE, PARAMS, states=STATES)
    for name in from_code.payoffs:
        np.testing.assert_array_equal(from_yaml.payoffs[name], from_code.payoffs[name])
    np.testing.assert_array_equal(from_yaml.state_distribution, from_code.state_distribution)
    assert list(from_yaml.paths["path"]) == list(from_code.paths["path"])


@pytest.mark.parametrize(("edit", "message", "key"), [
    (("probability: p_positive", "probabilty: p_positive"), "did you mean 'probability'",
     "options.screen.branches.positive.probabilty"),
    (("probability: fn:cure", "probability: fn:heal"), "unknown function 'heal'",
     "options.screen.branches.positive.branches.cured.probability"),
    (("{cost: cost_test}\n        chance", "{cost: complement}\n        chance"),
     "only a branch probability", "options.screen.branches.positive.payoffs.cost"),
    (("      negative:\n        probability: complement\n", "      negative:\n"),
     "missing key 'probability'", "options.screen.branches.negative"),
    (("    chance: test\n", "    chance: test\n    terminal: {}\n"), "not both", "options.screen"),
    (("probability: p_positive", "probability: [1, 2]"), "expected a number",
     "options.screen.branches.positive.probability"),
    (("          cured:\n            probability: fn:cure", "          cured:\n            probability: complement"),
     "more than one 'complement'", "options.screen.branches.positive"),
    (("  no_screen:", "  '=no_screen':"), "strategy '=no_screen' is not an identifier", "options.=no_screen"),
    (("probability: p_positive", "probability: '@p'"), "'@p' is neither a number nor a parameter name",
     "options.screen.branches.positive.probability"),
    (("{state: ill,", "{state: ill state,"), "state 'ill state' is not an identifier",
     "options.screen.branches.positive.branches.not_cured.terminal.state"),
    (("payoffs: {qaly: 0.93}", "payoffs: {'-qaly': 0.93}"), "payoff name '-qaly' is not an identifier",
     "options.no_screen.terminal.payoffs.-qaly"),
    (("chance: treatment", "chance: '+treatment'"), "chance node name '+treatment'",
     "options.screen.branches.positive.chance"),
    (("      negative:", "      'neg ative':"), "branch name 'neg ative'", "options.screen.branches.neg ative"),
    (("decision: policy", "decision: [policy]"), "decision name \"['policy']\"", "decision"),
])
def test_yaml_mistakes_name_file_and_key(tmp_path, edit, message, key):
    text = TREE_YAML.replace(*edit)
    assert edit[0] in TREE_YAML
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=re.escape(message)) as error:
        load_tree(path, {"cure": np.mean})
    assert error.value.file == str(path)
    assert error.value.column == key


def test_invalid_yaml_gives_the_line(tmp_path):
    path = write(tmp_path, "decision: policy\noptions:\n  a: [unclosed\n  b: 1\n")
    with pytest.raises(InputError, match="not valid YAML") as error:
        load_tree(path)
    assert error.value.row is not None and error.value.file == str(path)


@pytest.mark.parametrize(("text", "message"), [
    (TREE_YAML.replace("decision: policy\n", "decision: &p policy\n"), "anchors and aliases"),
    (TREE_YAML.replace("  no_screen:\n", "  screen:\n"), "duplicate key 'screen' \\(first on line 3\\)"),
    (TREE_YAML.replace("cost: 1000", "cost: 1e400"), "beyond the floating-point range"),
    ("decision: d\noptions:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60)), "nested more than 50 levels"),
])
def test_hostile_yaml_trees_are_refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "tree.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as error:
        load_tree(path, {"cure": np.mean})
    assert error.value.file == str(path) and "\n" not in str(error.value)


def test_yaml_is_never_evaluated(tmp_path):
    path = write(tmp_path, "!!python/object/apply:os.system ['true']\n")
    with pytest.raises(InputError):
        load_tree(path)

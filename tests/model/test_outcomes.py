"""Outcomes of a model (hecon.model.outcomes): arrays [sets, strategies], their total cost,
subsets, chunks joined back, and the tidy frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.model.outcomes import Outcomes

STRATEGIES = ("standard_care", "drug_a")


def outcomes(n_sets: int = 3, problems: list[int] = ()) -> Outcomes:
    """Set i, strategy j: drug cost 100·i·j, care cost 1000 + i, QALYs 1 + 0.1·j, deaths 0.2 − 0.05·j."""
    i = np.arange(n_sets, dtype=float)[:, None]
    j = np.arange(len(STRATEGIES), dtype=float)[None, :]
    return Outcomes(
        STRATEGIES,
        costs={"drug": 100 * i * j, "care": 1000 + i + 0 * j},
        consequences={"qalys": 1 + 0.1 * j + 0 * i, "deaths": 0.2 - 0.05 * j + 0 * i},
        labels={"qalys": "QALYs"},
        problems=pd.DataFrame({"set": list(problems), "reason": ["infeasible"] * len(problems)}),
    )


def test_total_cost_is_the_sum_of_the_components():
    o = outcomes()
    np.testing.assert_array_equal(o.total_cost, [[1000, 1000], [1001, 1101], [1002, 1202]])
    np.testing.assert_array_equal(o["total_cost"], o.total_cost)


def test_names_list_components_then_the_total_then_consequences():
    o = outcomes()
    assert o.names == ["drug", "care", "total_cost", "qalys", "deaths"]
    assert o.n_sets == 3


def test_an_unknown_outcome_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown outcome 'qaly'; known: drug, care, total_cost, qalys, deaths"):
        outcomes()["qaly"]


def test_a_label_is_declared_or_the_name_in_words():
    o = outcomes()
    assert o.label("qalys") == "QALYs" and o.label("total_cost") == "total cost"


@pytest.mark.parametrize("shape", [(3,), (3, 3), (2, 2)])
def test_every_outcome_must_be_shaped_sets_by_strategies(shape):
    with pytest.raises(ValueError, match=r"shaped \[sets, 2\]"):
        Outcomes(STRATEGIES, {"drug": np.zeros((3, 2))}, {"qalys": np.zeros(shape)})


def test_a_name_cannot_be_both_a_cost_and_a_consequence():
    with pytest.raises(ValueError, match="both a cost and a consequence"):
        Outcomes(STRATEGIES, {"drug": np.zeros((1, 2))}, {"drug": np.zeros((1, 2))})


def test_valid_marks_the_sets_the_model_could_not_evaluate():
    np.testing.assert_array_equal(outcomes(4, problems=[1, 3]).valid, [True, False, True, False])
    assert outcomes(2).valid.all()


@pytest.mark.parametrize("index", [[3, 1], np.array([False, True, False, True])])
def test_take_keeps_the_sets_asked_for_and_renumbers_their_problems(index):
    o = outcomes(4, problems=[0, 3])
    part = o.take(index)
    rows = [3, 1] if isinstance(index, list) else [1, 3]
    np.testing.assert_array_equal(part["drug"], o["drug"][rows])
    assert part.problems["set"].tolist() == [rows.index(3)]  # set 3 kept, set 0 dropped
    assert part.labels == o.labels and part.strategies == o.strategies


@given(n_sets=st.integers(2, 12), data=st.data())
def test_chunks_joined_back_are_the_whole(n_sets, data):
    cuts = sorted(data.draw(st.sets(st.integers(1, n_sets - 1), max_size=3)))
    problems = data.draw(st.lists(st.integers(0, n_sets - 1), unique=True))
    whole = outcomes(n_sets, problems=sorted(problems))
    parts = [whole.take(np.arange(a, b)) for a, b in zip([0, *cuts], [*cuts, n_sets], strict=True)]
    joined = Outcomes.concat(parts)
    pd.testing.assert_frame_equal(joined.wide(), whole.wide())
    assert sorted(joined.problems["set"]) == sorted(problems)


def test_wide_has_one_row_per_set_and_strategy():
    wide = outcomes(2).wide()
    assert list(wide.columns) == ["set", "strategy", "drug", "care", "total_cost", "qalys", "deaths"]
    assert wide[["set", "strategy"]].values.tolist() == [[0, "standard_care"], [0, "drug_a"],
                                                         [1, "standard_care"], [1, "drug_a"]]
    assert wide["total_cost"].tolist() == [1000, 1000, 1001, 1101]


def test_tidy_is_the_long_form_with_the_kind_of_each_outcome():
    o = outcomes(2)
    tidy = o.tidy()
    assert list(tidy.columns) == ["set", "strategy", "outcome", "kind", "value"]
    assert len(tidy) == o.n_sets * len(STRATEGIES) * len(o.names)
    kinds = tidy.drop_duplicates("outcome").set_index("outcome")["kind"].to_dict()
    assert kinds == {"drug": "cost", "care": "cost", "total_cost": "cost",
                     "qalys": "consequence", "deaths": "consequence"}
    value = tidy.query("set == 1 and strategy == 'drug_a' and outcome == 'drug'")["value"]
    assert value.item() == 100


def test_mean_is_over_the_sets_by_strategy():
    mean = outcomes(3).mean()
    assert mean.loc["drug"].tolist() == [0, 100]  # (0 + 100 + 200) / 3
    assert mean.loc["total_cost"].tolist() == [1001, 1101]
    assert mean.loc["deaths", "drug_a"] == pytest.approx(0.15)
    assert mean.index.name == "outcome"

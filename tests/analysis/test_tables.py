"""The base-case and PSA tables (hecon.analysis.tables): cost-consequence (with PSA 95 %
intervals) and ICERs per effect measure against the comparator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.analysis.tables import cost_consequence, icers
from hecon.model import Effect
from hecon.model.outcomes import Outcomes

QALY = Effect("qalys", "QALY gained", "QALY")
DEATH = Effect("deaths", "death avoided", "death", higher_is_better=False)


def outcomes(drug, care, qalys, deaths, strategies=("standard_care", "drug_a")) -> Outcomes:
    """Outcomes from per-strategy values (one set) or [sets, strategies] arrays."""
    shaped = {name: np.atleast_2d(np.asarray(v, dtype=float))
              for name, v in {"drug": drug, "care": care, "qalys": qalys, "deaths": deaths}.items()}
    return Outcomes(strategies, {k: shaped[k] for k in ("drug", "care")},
                    {k: shaped[k] for k in ("qalys", "deaths")}, labels={"qalys": "QALYs"})


#: drug A costs 1,000 more in drug and 200 less in care, gains 0.2 QALY and avoids 0.05 deaths
BASE = outcomes(drug=[0, 1000], care=[500, 300], qalys=[1.0, 1.2], deaths=[0.10, 0.05])


# ---------------------------------------------------------------- cost-consequence


def test_cost_consequence_lists_every_outcome_with_the_difference_from_the_comparator():
    table = cost_consequence(BASE, "standard_care").set_index("outcome")
    assert table.index.tolist() == ["drug", "care", "total_cost", "qalys", "deaths"]
    assert table["kind"].tolist() == ["cost", "cost", "cost", "consequence", "consequence"]
    assert table.loc["qalys", "label"] == "QALYs" and table.loc["total_cost", "label"] == "total cost"
    assert table.loc["total_cost", ["standard_care", "drug_a"]].tolist() == [500, 1300]
    np.testing.assert_allclose(table["difference_drug_a"], [1000, -200, 800, 0.2, -0.05])
    assert "difference_standard_care" not in table  # the comparator is not compared with itself
    assert not any(column.endswith(("_low", "_high")) or column.startswith("psa_") for column in table)


def test_the_comparator_can_be_any_strategy():
    table = cost_consequence(BASE, "drug_a").set_index("outcome")
    assert "difference_drug_a" not in table
    np.testing.assert_allclose(table["difference_standard_care"], [-1000, 200, -800, -0.2, 0.05])


def test_a_psa_given_as_the_outcomes_shows_its_means():
    psa = outcomes(drug=[[0, 900], [0, 1100]], care=[[500, 300]] * 2, qalys=[[1.0, 1.1], [1.0, 1.3]],
                   deaths=[[0.1, 0.05]] * 2)
    table = cost_consequence(psa, "standard_care").set_index("outcome")
    assert table.loc["drug", "drug_a"] == 1000 and table.loc["qalys", "drug_a"] == pytest.approx(1.2)


def test_psa_intervals_are_the_2_5_and_97_5_percentiles_of_the_differences():
    n = 1001
    gain = np.linspace(0.0, 0.4, n)  # ΔQALY uniform on a grid: its quantiles are known
    psa = outcomes(drug=np.column_stack([np.zeros(n), np.full(n, 1000.0)]), care=np.full((n, 2), 400.0),
                   qalys=np.column_stack([np.ones(n), 1 + gain]), deaths=np.full((n, 2), 0.1))
    table = cost_consequence(BASE, "standard_care", psa=psa).set_index("outcome")
    low, high, mean = table.loc["qalys", ["difference_drug_a_low", "difference_drug_a_high",
                                           "psa_mean_difference_drug_a"]]
    assert (low, high, mean) == pytest.approx((0.01, 0.39, 0.2))
    # the difference column stays the base case's; a difference constant over draws has a point interval
    assert table.loc["qalys", "difference_drug_a"] == pytest.approx(0.2)
    assert table.loc["drug", ["difference_drug_a_low", "difference_drug_a_high"]].tolist() == [1000, 1000]
    assert table.loc["deaths", "psa_mean_difference_drug_a"] == 0


def test_draws_the_model_could_not_evaluate_are_left_out_of_the_interval():
    psa = outcomes(drug=[[0, 100], [0, np.nan], [0, 300]], care=np.zeros((3, 2)),
                   qalys=np.ones((3, 2)), deaths=np.zeros((3, 2)))
    row = cost_consequence(psa, "standard_care", psa=psa).set_index("outcome").loc["drug"]
    assert row["psa_mean_difference_drug_a"] == 200
    assert row["difference_drug_a"] == 200  # nanmean of the shown values too
    assert (row["difference_drug_a_low"], row["difference_drug_a_high"]) == pytest.approx((105, 295))


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
def test_psa_interval_brackets_the_psa_mean(differences):
    n = len(differences)
    psa = outcomes(drug=np.column_stack([np.zeros(n), differences]), care=np.zeros((n, 2)),
                   qalys=np.ones((n, 2)), deaths=np.zeros((n, 2)))
    row = cost_consequence(psa, "standard_care", psa=psa).set_index("outcome").loc["drug"]
    assert row["difference_drug_a_low"] <= row["difference_drug_a_high"]
    assert min(differences) <= row["difference_drug_a_low"] and row["difference_drug_a_high"] <= max(differences)
    assert row["psa_mean_difference_drug_a"] == pytest.approx(np.mean(differences), abs=1e-6)


def test_equal_arms_differ_by_zero():
    same = outcomes(drug=[700, 700], care=[300, 300], qalys=[1.5, 1.5], deaths=[0.2, 0.2])
    table = cost_consequence(same, "standard_care", psa=same)
    assert (table.filter(like="difference") == 0).all().all()


# ---------------------------------------------------------------- ICERs


def test_icer_is_the_incremental_cost_over_the_incremental_effect_for_each_measure():
    table = icers(BASE, [QALY, DEATH], "standard_care").set_index("effect")
    assert table.index.tolist() == ["qalys", "deaths"]
    assert table.loc["qalys", ["incremental_cost", "incremental_effect", "icer"]].tolist() == pytest.approx(
        [800, 0.2, 4000])
    # fewer deaths is better: 0.05 deaths avoided, 800 / 0.05 = 16,000 per death avoided
    assert table.loc["deaths", ["incremental_effect", "icer"]].tolist() == pytest.approx([0.05, 16_000])
    assert (table["status"] == "NE: ICER").all() and (table["frontier_status"] == "ND").all()
    assert table.loc["deaths", ["per", "unit", "strategy", "comparator"]].tolist() == [
        "death avoided", "death", "drug_a", "standard_care"]


@pytest.mark.parametrize(("drug_a", "status"), [
    ({"drug": 0, "care": 400, "qalys": 1.2}, "dominant"),      # cheaper and better
    ({"drug": 1000, "care": 300, "qalys": 0.9}, "dominated"),  # dearer and worse
    ({"drug": 0, "care": 100, "qalys": 0.8}, "SW: ICER"),      # cheaper and worse
    ({"drug": 0, "care": 500, "qalys": 1.0}, "no difference"),
])
def test_each_comparison_is_labelled_by_its_quadrant(drug_a, status):
    o = outcomes(drug=[0, drug_a["drug"]], care=[500, drug_a["care"]], qalys=[1.0, drug_a["qalys"]],
                 deaths=[0.1, 0.1])
    row = icers(o, [QALY], "standard_care").iloc[0]
    assert row["status"] == status
    if status == "SW: ICER":  # the saving per QALY forgone: −400 / −0.2
        assert row["icer"] == pytest.approx(2000)
    else:
        assert np.isnan(row["icer"])


def test_with_three_strategies_the_frontier_status_marks_dominance():
    o = outcomes(drug=[0, 1000, 2000], care=[0, 0, 0], qalys=[1.0, 1.2, 1.1], deaths=[0.1, 0.1, 0.1],
                 strategies=("standard_care", "drug_a", "drug_b"))
    table = icers(o, [QALY], "standard_care").set_index("strategy")
    assert table.loc["drug_b", "frontier_status"] == "D"  # dearer and worse than drug A
    assert table.loc["drug_a", "frontier_status"] == "ND"
    assert table.loc["drug_b", "icer"] == pytest.approx(2000 / 0.1)  # still compared with the comparator


@given(d_cost=st.floats(1, 1e6), d_effect=st.floats(1e-3, 10))
def test_a_dearer_better_strategy_has_icer_delta_c_over_delta_e(d_cost, d_effect):
    o = outcomes(drug=[0, d_cost], care=[100, 100], qalys=[1.0, 1.0 + d_effect], deaths=[0, 0])
    row = icers(o, [QALY], "standard_care").iloc[0]
    assert row["status"] == "NE: ICER"
    assert row["icer"] == pytest.approx(row["incremental_cost"] / row["incremental_effect"])
    assert row["icer"] == pytest.approx(d_cost / d_effect, rel=1e-9)

"""Incremental analysis, net benefit, CEAC/CEAF and expected loss (hecon.analysis.cea)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.analysis import cea
from hecon.analysis.psafile import read_psa
from hecon.errors import InputError

DAMPACK = "/work/shared/data/published-psa/dampack_example_psa.csv"


def statuses(table: pd.DataFrame) -> dict[str, str]:
    return dict(zip(table["strategy"], table["status"], strict=True))


def reference_frontier(cost: np.ndarray, effect: np.ndarray) -> set[int]:
    """Textbook procedure, written independently: drop strongly dominated strategies (and
    later twins), then repeatedly drop the first strategy whose ICER exceeds the next one's."""
    n = len(cost)
    keep = []
    for j in range(n):
        dominated = any(
            cost[i] <= cost[j] and effect[i] >= effect[j]
            and (cost[i] < cost[j] or effect[i] > effect[j]) for i in range(n))
        twin = any(cost[i] == cost[j] and effect[i] == effect[j] for i in range(j))
        if not (dominated or twin):
            keep.append(j)
    keep.sort(key=lambda j: (effect[j], cost[j]))
    while True:
        icers = [(cost[b] - cost[a]) / (effect[b] - effect[a]) for a, b in zip(keep, keep[1:], strict=False)]
        bad = [k for k in range(len(icers) - 1) if icers[k] > icers[k + 1] * (1 + 1e-9) + 1e-9]
        if not bad:
            return set(keep)
        keep.pop(bad[0] + 1)


# --------------------------------------------------------------------------- ICER table


def test_icer_table_reproduces_the_herc_example():
    # HERC cost-effectiveness example (also dampack's calculate_icers test): C is extendedly
    # dominated, A strongly dominated by B.
    table = cea.icer_table([55000, 35000, 25000, 10000, 12000, 5000], [5, 4, 3, 2, 1.5, 1],
                           ["E", "D", "C", "B", "A", "UC"])
    assert list(table.columns) == cea.ICER_COLUMNS
    assert table["strategy"].tolist() == ["UC", "A", "B", "C", "D", "E"]
    assert statuses(table) == {"UC": "ND", "A": "D", "B": "ND", "C": "ED", "D": "ND", "E": "ND"}
    frontier = table.set_index("strategy").loc[["B", "D", "E"]]
    np.testing.assert_allclose(frontier["incremental_cost"], [5000, 25000, 20000])
    np.testing.assert_allclose(frontier["incremental_effect"], [1, 2, 1])
    np.testing.assert_allclose(frontier["icer"], [5000, 12500, 20000])
    assert table.set_index("strategy").loc[["UC", "A", "C"], "icer"].isna().all()
    assert table.set_index("strategy").at["A", "note"] == "dominated by B"
    assert table.set_index("strategy").at["C", "note"] == "extendedly dominated by a mix of B and D"


def test_chain_of_extended_dominance_needs_several_passes():
    # ICERs A→B 12, B→C 18, C→D 5: C goes first; then B→D (8.25) < A→B (12), so B goes too.
    cost = [0, 12, 30, 45]
    effect = [0, 1, 2, 5]
    table = cea.icer_table(cost, effect, ["A", "B", "C", "D"])
    assert statuses(table) == {"A": "ND", "B": "ED", "C": "ED", "D": "ND"}
    assert table.set_index("strategy").at["D", "icer"] == pytest.approx(9.0)
    assert set(table.loc[table["status"] == "ED", "note"]) == {
        "extendedly dominated by a mix of A and D"}


def test_strategies_on_a_straight_line_stay_on_the_frontier():
    table = cea.icer_table([0, 0.1, 0.2, 0.3], [0, 1, 2, 3], list("ABCD"))
    assert set(table["status"]) == {"ND"}
    np.testing.assert_allclose(table["icer"].iloc[1:], 0.1)


def test_ties_keep_the_first_and_dominance_by_a_cheaper_better_strategy():
    table = cea.icer_table([100, 100, 50, 200], [1, 1, 2, 0.5], ["A", "A2", "B", "C"])
    assert statuses(table) == {"A": "D", "A2": "D", "B": "ND", "C": "D"}
    assert set(table.loc[table["status"] == "D", "note"]) == {"dominated by B"}
    tied = cea.icer_table([10, 10, 20], [1, 1, 2], ["first", "second", "third"])
    assert statuses(tied) == {"first": "ND", "second": "D", "third": "ND"}
    assert tied.set_index("strategy").at["second", "note"] == "same cost and effect as first"


def test_single_strategy_and_all_equal():
    one = cea.icer_table([5.0], [1.0], ["only"])
    assert one["status"].tolist() == ["ND"] and one["icer"].isna().all()
    equal = cea.icer_table([1, 1, 1], [2, 2, 2], ["a", "b", "c"])
    assert equal["status"].tolist() == ["ND", "D", "D"]


def test_equal_effect_dearer_and_equal_cost_worse_are_dominated():
    table = cea.icer_table([10, 20, 10], [1, 1, 0.5], ["A", "B", "C"])
    assert statuses(table) == {"A": "ND", "B": "D", "C": "D"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=8))
def test_frontier_matches_the_textbook_procedure(points):
    cost = np.array([p[0] for p in points], dtype=float)
    effect = np.array([p[1] for p in points], dtype=float)
    table = cea.icer_table(cost, effect, [f"s{k}" for k in range(len(points))])
    on_frontier = {int(s[1:]) for s in table.loc[table["status"] == "ND", "strategy"]}
    assert on_frontier == reference_frontier(cost, effect)
    icers = table.loc[table["status"] == "ND", "icer"].to_numpy()[1:]
    assert np.all(np.diff(icers) >= -1e-9)  # ICERs rise along the frontier
    assert (table["effect"].diff().dropna() >= 0).all()


def test_icer_table_of_psa_draws_uses_their_means():
    draws_cost = np.array([[1.0, 3.0], [3.0, 5.0]])
    draws_effect = np.array([[1.0, 2.0], [1.0, 4.0]])
    table = cea.icer_table(draws_cost, draws_effect, ["A", "B"])
    assert table.set_index("strategy").at["B", "icer"] == pytest.approx(2.0 / 2.0)


def test_dampack_example_icer_table_of_the_means():
    psa = read_psa(DAMPACK)
    table = cea.icer_table(psa.costs, psa.effects, psa.strategies).set_index("strategy")
    raw = pd.read_csv(DAMPACK)
    means = {s: (raw[f"{s}_Cost"].mean(), raw[f"{s}_Eff"].mean()) for s in ("Chemo", "Radio", "Surg")}
    # Radio is cheapest and least effective; Surgery lies above the Radio–Chemo segment.
    assert table["status"].to_dict() == {"Radio": "ND", "Surg": "ED", "Chemo": "ND"}
    expected = (means["Chemo"][0] - means["Radio"][0]) / (means["Chemo"][1] - means["Radio"][1])
    assert table.at["Chemo", "icer"] == pytest.approx(expected, rel=1e-12)
    assert table.at["Chemo", "icer"] == pytest.approx(38_492, abs=1)


# --------------------------------------------------------------------------- increments


@pytest.mark.parametrize(("delta_cost", "delta_effect", "label", "icer"), [
    (100.0, 2.0, "NE: ICER", 50.0),
    (-100.0, -4.0, "SW: ICER", 25.0),
    (-1.0, 1.0, "dominant", np.nan),
    (0.0, 1.0, "dominant", np.nan),
    (-1.0, 0.0, "dominant", np.nan),
    (1.0, -1.0, "dominated", np.nan),
    (1.0, 0.0, "dominated", np.nan),
    (0.0, -1.0, "dominated", np.nan),
    (0.0, 0.0, "no difference", np.nan),
])
def test_describe_increment(delta_cost, delta_effect, label, icer):
    ratio, name = cea.describe_increment(delta_cost, delta_effect)
    assert name == label
    np.testing.assert_equal(ratio, icer)


def test_describe_increments_is_vectorised():
    icer, label = cea.describe_increments([100.0, -1.0], [2.0, 1.0])
    assert label.tolist() == ["NE: ICER", "dominant"]
    np.testing.assert_equal(icer, [50.0, np.nan])


# --------------------------------------------------------------------------- net benefit


def test_net_benefits_shapes_and_values():
    costs = np.array([[100.0, 300.0], [200.0, 100.0], [0.0, 50.0]])
    effects = np.array([[1.0, 2.0], [1.5, 1.0], [0.5, 0.25]])
    nmb = cea.net_monetary_benefit(costs, effects, [0.0, 100.0])
    assert nmb.shape == (2, 3, 2)
    np.testing.assert_allclose(nmb[1], 100.0 * effects - costs)
    assert cea.net_monetary_benefit(costs, effects, 100.0).shape == (3, 2)
    np.testing.assert_allclose(cea.net_health_benefit(costs, effects, 100.0), effects - costs / 100)
    with pytest.raises(InputError, match="above 0"):
        cea.net_health_benefit(costs, effects, [0.0, 1.0])
    table = cea.nmb_table(costs, effects, ["A", "B"], [0.0, 100.0])
    assert list(table.columns) == ["wtp", "strategy", "expected_nmb", "expected_nhb"]
    np.testing.assert_allclose(table["expected_nmb"], nmb.mean(axis=1).ravel())
    assert table["expected_nhb"].iloc[:2].isna().all()
    np.testing.assert_allclose(table["expected_nhb"].iloc[2:], (effects - costs / 100).mean(axis=0))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_ceac_probabilities_sum_to_one(draws, n_strategies, seed):
    rng = np.random.default_rng(seed)
    costs = rng.integers(0, 5, size=(draws, n_strategies)).astype(float)  # many ties
    effects = rng.integers(0, 3, size=(draws, n_strategies)).astype(float)
    names = [f"s{k}" for k in range(n_strategies)]
    wtp = np.array([0.0, 0.5, 1.0, 10.0])
    curves = cea.ceac(costs, effects, names, wtp)
    np.testing.assert_allclose(curves.groupby("wtp")["probability"].sum(), 1.0)
    assert (curves.groupby("wtp")["on_frontier"].sum() == 1).all()
    frontier = cea.ceaf(costs, effects, names, wtp)
    chosen = curves[curves["on_frontier"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(frontier, chosen[["wtp", "strategy", "probability"]])
    loss = cea.expected_loss(costs, effects, names, wtp)
    from hecon.analysis.voi import evpi
    np.testing.assert_allclose(loss.groupby("wtp")["expected_loss"].min(), evpi(costs, effects, wtp),
                               atol=1e-9)
    assert (loss["expected_loss"] >= -1e-9).all()


def test_ceac_splits_ties_and_marks_the_highest_expected_nmb():
    costs = np.array([[1.0, 1.0, 2.0], [1.0, 1.0, 0.0]])
    effects = np.zeros((2, 3))
    curves = cea.ceac(costs, effects, ["A", "B", "C"], [0.0])
    np.testing.assert_allclose(curves["probability"], [0.25, 0.25, 0.5])
    assert curves["on_frontier"].tolist() == [True, False, False]  # first of equal expected NMB


def test_ceac_of_a_known_case():
    # B gains 1 unit for 10 more in half the draws and 3 units in the other half.
    costs = np.array([[0.0, 10.0], [0.0, 10.0]])
    effects = np.array([[0.0, 1.0], [0.0, 3.0]])
    wtp = [0.0, 4.0, 6.0, 20.0]  # E[NMB_B] = 2λ − 10
    curves = cea.ceac(costs, effects, ["A", "B"], wtp)
    assert curves.loc[curves["strategy"] == "B", "probability"].tolist() == [0.0, 0.5, 0.5, 1.0]
    assert cea.ceaf(costs, effects, ["A", "B"], wtp)["strategy"].tolist() == ["A", "A", "B", "B"]


def test_results_do_not_depend_on_the_block_size(monkeypatch):
    rng = np.random.default_rng(1)
    costs = rng.normal(1000, 100, (500, 4))
    effects = rng.normal(1, 0.1, (500, 4))
    wtp = cea.default_wtp_grid(20_000, 37)
    whole = cea.summarise_net_benefit(costs, effects, wtp)
    monkeypatch.setattr(cea, "_CHUNK_ELEMENTS", 3 * 500 * 4)
    blocks = cea.summarise_net_benefit(costs, effects, wtp)
    for name in ("expected_nmb", "expected_max_nmb", "probability_best"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(blocks, name))


def test_default_wtp_grid():
    grid = cea.default_wtp_grid()
    assert grid.size == 201 and grid[0] == 0 and grid[-1] == 200_000 and grid[1] == 1000
    with pytest.raises(InputError):
        cea.default_wtp_grid(-1)


@pytest.mark.parametrize(("costs", "effects", "names", "wtp", "message"), [
    (np.ones((3, 2)), np.ones((3, 3)), ["a", "b"], 1.0, "differ in shape"),
    (np.array([[1.0, np.nan]]), np.ones((1, 2)), ["a", "b"], 1.0, "missing or infinite"),
    (np.ones((3, 2)), np.ones((3, 2)), ["a", "a"], 1.0, "duplicate strategy"),
    (np.ones((3, 2)), np.ones((3, 2)), ["a"], 1.0, "1 strategy names for 2"),
    (np.ones((3, 2)), np.ones((3, 2)), ["a", "b"], -5.0, "finite and ≥ 0"),
    (np.ones((3, 2)), np.ones((3, 2)), ["a", "b"], [np.inf], "finite and ≥ 0"),
    (np.ones((3, 2)), np.ones((3, 2)), ["a", "b"], [np.nan], "finite and ≥ 0"),
    (np.ones((3, 2)), np.ones((3, 2)), ["a", "b"], [1e101], "at most 1e\\+100"),
    (np.array([[1.0, 2.0], [1e308, 1.0]]), np.ones((2, 2)), ["a", "b"], 1.0,
     r"costs hold a value beyond ±1e\+100 \(draw 2, strategy 1\)"),
    (np.ones((2, 2)), np.array([[1.0, -1e200], [1.0, 1.0]]), ["a", "b"], 1.0,
     r"effects hold a value beyond ±1e\+100 \(draw 1, strategy 2\)"),
])
def test_bad_inputs_raise_input_errors(costs, effects, names, wtp, message):
    with pytest.raises(InputError, match=message):
        cea.ceac(costs, effects, names, wtp)


def test_net_benefits_stay_finite_at_the_largest_values():
    """At the bounds (costs and effects ±1e100, λ 1e100) every summary is finite."""
    big = cea.LARGEST_VALUE
    costs = np.array([[big, -big], [-big, big], [0.0, big]])
    effects = np.array([[-big, big], [big, -big], [big, 0.0]])
    curve = cea.ceac(costs, effects, ["a", "b"], [0.0, big])
    assert np.isfinite(curve["probability"]).all()
    assert np.isfinite(cea.icer_table(costs, effects, ["a", "b"])[["cost", "effect"]]).all().all()
    assert np.isfinite(cea.expected_loss(costs, effects, ["a", "b"], [big])["expected_loss"]).all()


def test_increment_rows_are_the_means_the_icer_of_the_means_and_the_ceac():
    """Every strategy against the comparator (three strategies: two rows): mean increments, the
    ICER of the means, the INMB at λ and the share of draws where the strategy has the highest
    net benefit."""
    costs = np.array([[0.0, 100.0, 300.0], [0.0, 300.0, 100.0]])
    effects = np.array([[0.0, 0.01, 0.02], [0.0, 0.03, 0.0]])
    rows = cea.increment_rows(costs, effects, ["a", "b", "c"], "a", [10_000])
    assert [row["strategy"] for row in rows] == ["b", "c"]
    b, c = rows
    assert (b["incremental_cost"], b["incremental_effect"]) == pytest.approx((200.0, 0.02))
    assert b["icer"] == pytest.approx(10_000.0) and b["inmb_10000"] == pytest.approx(0.0)
    assert b["p_cost_effective_10000"] == 0.5 and b["draws"] == 2       # b ties a in both draws: they share
    assert c["inmb_10000"] == pytest.approx(10_000 * 0.01 - 200.0)
    assert c["p_cost_effective_10000"] == 0.0

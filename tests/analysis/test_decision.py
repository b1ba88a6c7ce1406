"""The decision analytics of a PSA in one call (hecon.analysis.decision): the WTP grid, ICERs,
NMB, CEAC/CEAF, EVPI, expected loss and EVPPI, checked against values worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hecon.analysis import voi
from hecon.analysis.decision import decision_analysis, partial_information, wtp_grid
from hecon.analysis.result import Result
from hecon.errors import InputError

REPORT = np.array([20_000.0, 50_000.0, 100_000.0])
GRID = np.arange(0.0, 100_001.0, 1_000.0)

# Two draws, two strategies. "old" costs 500 and yields 1 QALY in both; "new" costs 1,000 more
# for 0.1 QALY more in draw 1 and 3,000 more for 0.02 QALY more in draw 2. By hand:
#   ΔC = 2,000, ΔE = 0.06, ICER = 33,333.33 €/QALY;
#   at λ = 50,000: NMB_old = 49,500 in both draws, NMB_new = 53,500 and 47,500 (mean 50,500),
#   E[max NMB] = (53,500 + 49,500)/2 = 51,500, so EVPI = 51,500 − 50,500 = 1,000;
#   at λ = 20,000: ΔNMB = +1,000 and −2,600, E[ΔNMB] < 0, EVPI = 1,000/2 = 500;
#   at λ = 100,000: ΔNMB = +9,000 and −1,000, E[ΔNMB] > 0, EVPI = 1,000/2 = 500.
COSTS = np.array([[500.0, 1500.0], [500.0, 3500.0]])
EFFECTS = np.array([[1.0, 1.1], [1.0, 1.02]])
STRATEGIES = ("old", "new")


@pytest.fixture(scope="module")
def two_draws():
    return decision_analysis(COSTS, EFFECTS, STRATEGIES, GRID, REPORT)


def at(table: pd.DataFrame, wtp: float, strategy: str | None = None) -> pd.Series:
    rows = table[table["wtp"] == wtp]
    return rows[rows["strategy"] == strategy].iloc[0] if strategy else rows.iloc[0]


# ---------------------------------------------------------------- the WTP grid


def test_default_report_thresholds_are_20_50_and_100_thousand_on_a_200_000_grid():
    grid, report = wtp_grid(None)
    np.testing.assert_array_equal(report, REPORT)
    np.testing.assert_array_equal(grid, np.arange(0.0, 200_001.0, 1_000.0))


def test_report_thresholds_off_the_step_are_added_to_the_grid_sorted_once():
    grid, report = wtp_grid([30_500.0, 20_000.0, 20_000.0], 100_000.0, 1_000.0)
    np.testing.assert_array_equal(report, [20_000.0, 30_500.0])
    assert grid.size == 102 and 30_500.0 in grid and (np.diff(grid) > 0).all()


@given(report=st.lists(st.floats(0, 1e6), min_size=1, max_size=5),
       wtp_max=st.floats(1.0, 1e6), points=st.integers(1, 500))
def test_the_grid_runs_from_zero_through_every_report_threshold(report, wtp_max, points):
    grid, chosen = wtp_grid(report, wtp_max, wtp_max / points)
    assert grid[0] == 0 and (np.diff(grid) > 0).all()
    assert set(report) == set(chosen) <= set(grid)
    assert grid.max() == pytest.approx(max(wtp_max, *report))


@pytest.mark.parametrize(("arguments", "message"), [
    ((None, 0.0, 1_000.0), "--wtp-max and --wtp-step must be positive numbers"),
    ((None, 200_000.0, -5.0), "--wtp-max and --wtp-step must be positive numbers"),
    ((None, float("nan"), 1_000.0), "--wtp-max and --wtp-step must be positive numbers"),
    ((None, 1e6, 1.0), "more than 100,001 thresholds (fix: increase --wtp-step)"),
    (([-20_000.0], 200_000.0, 1_000.0), "must be finite and ≥ 0"),
])
def test_a_grid_that_cannot_be_is_refused_with_its_fix(arguments, message):
    with pytest.raises(InputError, match="fix: ") as caught:
        wtp_grid(*arguments)
    assert message in str(caught.value)


# ---------------------------------------------------------------- the analytics, by hand


def test_icer_is_the_difference_in_mean_cost_over_the_difference_in_mean_effect(two_draws):
    new = two_draws.icers.set_index("strategy").loc["new"]
    assert new[["incremental_cost", "incremental_effect"]].tolist() == pytest.approx([2000, 0.06])
    assert new["icer"] == pytest.approx(2000 / 0.06) and new["status"] == "ND"


def test_nmb_is_reported_at_the_report_thresholds_only(two_draws):
    assert sorted(set(two_draws.nmb["wtp"])) == REPORT.tolist()
    new = at(two_draws.nmb, 50_000.0, "new")
    assert (new["expected_nmb"], new["expected_nhb"]) == pytest.approx((50_500, 50_500 / 50_000))
    assert at(two_draws.nmb, 50_000.0, "old")["expected_nmb"] == pytest.approx(49_500)


@pytest.mark.parametrize(("wtp", "evpi"), [(20_000.0, 500.0), (50_000.0, 1_000.0), (100_000.0, 500.0)])
def test_evpi_is_the_expected_maximum_minus_the_maximum_expected_nmb(two_draws, wtp, evpi):
    assert at(two_draws.evpi, wtp)["evpi"] == pytest.approx(evpi)
    assert "population_evpi" not in two_draws.evpi


def test_probability_cost_effective_is_the_share_of_draws_where_a_strategy_is_best(two_draws):
    assert at(two_draws.ceac, 50_000.0, "new")["probability"] == 0.5  # best in draw 1 only
    assert at(two_draws.ceac, 0.0, "old")["probability"] == 1.0       # cheaper in both draws
    assert bool(at(two_draws.ceac, 50_000.0, "new")["on_frontier"])   # highest expected NMB
    assert bool(at(two_draws.ceac, 20_000.0, "old")["on_frontier"])


def test_expected_loss_of_each_choice(two_draws):
    assert at(two_draws.expected_loss, 50_000.0, "old")["expected_loss"] == pytest.approx(51_500 - 49_500)
    assert at(two_draws.expected_loss, 50_000.0, "new")["expected_loss"] == pytest.approx(1_000)


def test_the_ce_plane_holds_every_draw_of_every_strategy(two_draws):
    plane = two_draws.tables()["ce_plane"]
    assert list(plane.columns) == ["draw", "strategy", "cost", "effect"]
    assert plane.values.tolist() == [[0, "old", 500.0, 1.0], [0, "new", 1500.0, 1.1],
                                     [1, "old", 500.0, 1.0], [1, "new", 3500.0, 1.02]]


def test_the_population_evpi_is_the_evpi_times_the_discounted_population():
    population = voi.Population(annual_incidence=1_000, horizon_years=2, discount_rate=0.0)
    table = decision_analysis(COSTS, EFFECTS, STRATEGIES, GRID, REPORT, population=population).evpi
    assert at(table, 50_000.0)["population_evpi"] == pytest.approx(2_000 * 1_000)


def test_equal_arms_have_no_increment_no_value_of_information_and_split_the_ceac():
    costs = np.array([[100.0, 100.0], [300.0, 300.0]])
    effects = np.array([[1.0, 1.0], [2.0, 2.0]])
    analysis = decision_analysis(costs, effects, STRATEGIES, GRID, REPORT)
    assert (analysis.evpi["evpi"] == 0).all() and (analysis.expected_loss["expected_loss"] == 0).all()
    assert (analysis.ceac["probability"] == 0.5).all()
    assert analysis.icers.set_index("strategy").loc["new", "note"] == "same cost and effect as old"


@settings(max_examples=50, deadline=None)
@given(data=st.data(), n_strategies=st.integers(2, 4), n_draws=st.integers(1, 30))
def test_ceac_sums_to_one_and_the_optimal_choice_loses_the_evpi(data, n_strategies, n_draws):
    values = arrays(float, (n_draws, n_strategies), elements=st.floats(0, 1e4))
    costs, effects = data.draw(values), data.draw(values) / 1e3
    names = [f"s{k}" for k in range(n_strategies)]
    analysis = decision_analysis(costs, effects, names, GRID[::10], REPORT)
    by_wtp = analysis.ceac.groupby("wtp")
    np.testing.assert_allclose(by_wtp["probability"].sum(), 1.0)
    assert (by_wtp["on_frontier"].sum() == 1).all()
    loss = analysis.expected_loss.groupby("wtp")["expected_loss"].min().to_numpy()
    evpi = analysis.evpi.set_index("wtp")["evpi"].to_numpy()
    np.testing.assert_allclose(loss, evpi, atol=1e-6)
    assert (evpi >= -1e-9).all()
    # the EVPI formula, written here independently: E[max_s NMB] − max_s E[NMB]
    lam = analysis.evpi["wtp"].to_numpy()[:, None, None]
    nmb = lam * effects - costs
    np.testing.assert_allclose(evpi, nmb.max(axis=2).mean(axis=1) - nmb.mean(axis=1).max(axis=1), atol=1e-6)


# ---------------------------------------------------------------- its tables and Result


def test_tables_without_parameter_draws_have_no_evppi(two_draws):
    assert two_draws.evppi is None
    assert set(two_draws.tables()) == {"icers", "nmb", "ceac", "evpi", "expected_loss", "ce_plane"}


def test_the_result_records_the_report_thresholds_and_the_meta_given(two_draws):
    result = two_draws.result(currency="€", effect_unit="QALY", comparator="old")
    assert isinstance(result, Result)
    assert (result.analysis, result.key) == ("decision", "icers")
    assert result.meta == {"report_wtp": REPORT.tolist(), "currency": "€", "effect_unit": "QALY",
                           "comparator": "old"}
    assert all(isinstance(v, float) for v in result.meta["report_wtp"])  # JSON-ready
    assert result.tables().keys() == two_draws.tables().keys()


# ---------------------------------------------------------------- EVPPI

# x is the only uncertainty: ΔC = 2,000, ΔE = 0.1·x with x spread evenly on (0, 1), so
# ΔNMB = b(x − a) with b = 0.1λ, a = 2,000/b, and EVPI = b(1 − a)²/2 for a ≥ ½ (λ ≤ 40,000),
# b·a²/2 for a < ½: 400 at λ = 50,000, 200 at 100,000, 0 at 20,000, highest (500) at λ = 40,000.
N_EVPPI = 200
X = (np.arange(N_EVPPI) + 0.5) / N_EVPPI
LINEAR = (np.column_stack([np.zeros(N_EVPPI), np.full(N_EVPPI, 2_000.0)]),
          np.column_stack([np.zeros(N_EVPPI), 0.1 * X]))
PARAMETERS = pd.DataFrame({"x": X, "z": np.random.default_rng(3).permutation(X)})  # z: irrelevant


@pytest.fixture(scope="module")
def with_evppi():
    notes = []
    analysis = decision_analysis(*LINEAR, STRATEGIES, GRID, REPORT, parameters=PARAMETERS,
                                 groups={"both": ["x", "z"]}, note=notes.append)
    return analysis, notes


def test_the_evpi_of_a_known_distribution_peaks_at_the_icer(with_evppi):
    evpi = with_evppi[0].evpi.set_index("wtp")["evpi"]
    assert evpi[20_000.0] == 0
    assert (evpi[50_000.0], evpi[100_000.0], evpi[40_000.0]) == pytest.approx((400, 200, 500), rel=0.01)
    assert evpi.idxmax() == 40_000.0


def test_evppi_is_estimated_at_the_report_thresholds_and_where_the_evpi_peaks(with_evppi):
    analysis, notes = with_evppi
    assert notes == []
    assert set(analysis.evppi["wtp"]) == {*REPORT, 40_000.0}
    assert set(analysis.evppi["parameter_or_group"]) == {"x", "z", "both"}
    assert "evppi" in analysis.tables()


def test_the_parameter_that_decides_has_all_the_value_and_the_other_none(with_evppi):
    analysis = with_evppi[0]
    evpi = analysis.evpi.set_index("wtp")["evpi"]
    evppi = analysis.evppi.pivot(index="wtp", columns="parameter_or_group", values="evppi")
    for wtp in (50_000.0, 100_000.0, 40_000.0):
        assert evppi.loc[wtp, "x"] == pytest.approx(evpi[wtp], rel=0.01)
        assert evppi.loc[wtp, "both"] == pytest.approx(evpi[wtp], rel=0.01)
    assert evppi.loc[[50_000.0, 100_000.0], "z"].max() < 0.01 * evpi[50_000.0]
    # at the ICER the expected ΔNMB is 0, where the regression's noise biases the EVPPI upwards
    assert evppi.loc[40_000.0, "z"] < 0.15 * evpi[40_000.0]
    assert (evppi.loc[20_000.0] == 0).all()  # no value where no draw changes the decision


def test_no_parameter_subset_skips_the_evppi_with_a_note():
    notes = []
    assert partial_information(*LINEAR, PARAMETERS, REPORT, singles=False, note=notes.append) is None
    assert notes == ["EVPPI skipped: no parameter group to estimate it for (the parameter table has none)"]


def test_too_few_draws_skip_the_evppi_with_a_note_naming_the_counts():
    notes = []
    analysis = decision_analysis(COSTS, EFFECTS, STRATEGIES, GRID, REPORT,
                                 parameters=pd.DataFrame({"x": [0.1, 0.9]}), note=notes.append)
    assert analysis.evppi is None
    assert len(notes) == 1 and notes[0].startswith("EVPPI skipped")
    assert f"at least {voi.MIN_EVPPI_DRAWS}, and the PSA has 2" in notes[0]


def test_a_regression_beyond_the_memory_budget_is_skipped_with_a_note():
    notes = []
    assert partial_information(*LINEAR, PARAMETERS, REPORT, note=notes.append, memory_gb=1e-6) is None
    assert len(notes) == 1 and f"on {N_EVPPI:,} draws needs about" in notes[0] and "(raise --memory)" in notes[0]


def test_skipping_without_a_note_callback_is_silent():
    assert partial_information(*LINEAR, PARAMETERS, REPORT, singles=False) is None


def test_empty_parameter_draws_mean_no_evppi_and_no_note():
    notes = []
    analysis = decision_analysis(COSTS, EFFECTS, STRATEGIES, GRID, REPORT, parameters=pd.DataFrame(),
                                 note=notes.append)
    assert analysis.evppi is None and notes == []


def test_an_estimate_clipped_to_the_evpi_is_reported_as_a_note(monkeypatch):
    monkeypatch.setattr(voi, "_evppi_of_fit", lambda fitted, n, wtp: np.full(wtp.size, 1e9))
    notes = []
    table = partial_information(*LINEAR, PARAMETERS[["x"]], np.array([50_000.0]), note=notes.append)
    assert table["evppi"].iloc[0] == pytest.approx(float(voi.evpi(*LINEAR, 50_000.0)))
    assert notes and all("EVPI" in text for text in notes)

"""One-way, two-way and threshold analyses, on models with known answers."""


import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.analysis.sensitivity import (
    Measure,
    one_way,
    one_way_bounds,
    one_way_sets,
    parameter_range,
    refine_brackets,
    threshold,
    two_way,
)
from hecon.errors import InputError
from hecon.model import Model
from hecon.model.parameters import COLUMNS, ParameterTable
from tests.analysis.models import WTP, LinearModel, Recording


@settings(max_examples=25, deadline=None)
@given(st.fixed_dictionaries({"a": st.floats(-1e4, 1e4), "b": st.floats(-1e4, 1e4)}))
def test_one_way_of_a_linear_model_is_coefficient_times_range(table, coefficients):
    model = LinearModel(coefficients)
    result = one_way(model, table, measure=Measure(model, "cost"))
    rows = result.table.set_index("parameter")
    for name, coefficient in coefficients.items():
        low, high = parameter_range(table, name)
        assert rows.loc[name, "outcome_at_high"] - rows.loc[name, "outcome_at_low"] == pytest.approx(
            coefficient * (high - low), abs=1e-9)
    assert rows.loc["unused", "range"] == 0.0  # a parameter that does not enter: zero width
    assert result.meta["parameter_labels"]["a"] == "a"  # no description: the code name
    assert result.meta["measure"] == "incremental cost (€), New drug vs Old care"
    assert result.meta["base_outcome"] == pytest.approx(coefficients["a"] * 2 + coefficients["b"] * 5)


def test_one_way_ci95_ranges_use_the_distribution(table):
    result = one_way(LinearModel(), table, measure=Measure(LinearModel(), "cost"), ranges="ci95").table.set_index("parameter")
    assert result.loc["b", "low"] == pytest.approx(5 - 1.959964, abs=1e-5)


def test_two_way_corner_equals_base_with_both_overrides(table):
    model = LinearModel()
    measure = Measure(model, "inmb", WTP)
    grid = two_way(model, table, "a", "b", measure=measure, steps=5).table
    corner = grid[(grid.x_value == 3) & (grid.y_value == 7)].outcome.iloc[0]
    direct = measure.of(model.evaluate(table.override(table.base_case(), {"a": 3.0, "b": 7.0})))[0]
    assert corner == direct
    assert set(grid.optimal) <= {"old", "new"} and len(grid) == 25


def test_threshold_gives_zero_incremental_net_benefit(table):
    model = LinearModel()
    wtp = [20_000.0, 50_000.0]
    result = threshold(model, table, "b", wtp, bounds=(-1000.0, 1000.0)).table
    for lam, value in zip(wtp, result.threshold, strict=True):
        sets = table.override(table.base_case(), {"b": value})
        assert Measure(model, "inmb", lam).of(model.evaluate(sets))[0] == pytest.approx(0, abs=1e-3)  # €
    # closed form: λ·0.01·a = 100 a − 40 b  ⇒  b = (100 a − λ·0.01 a)/40 with a = 2
    np.testing.assert_allclose(result.threshold, [(200 - lam * 0.02) / 40 for lam in wtp], atol=1e-5)


def test_threshold_says_when_there_is_none(table):
    result = threshold(LinearModel(), table, "unused", [50_000.0]).table
    assert np.isnan(result.threshold.iloc[0]) and "no threshold" in result.reason.iloc[0]

def test_flagship_one_way_covers_every_parameter_with_a_range():
    model = Model("ifn_gamma")
    result = one_way(model, model.parameters).table
    assert "price_ifn_vial" in set(result.parameter) and "utility_norm_age" not in set(result.parameter)
    price = result.set_index("parameter").loc["price_ifn_vial"]
    assert price.outcome_at_low > price.outcome_at_high  # a dearer drug lowers the INMB


# ---------------------------------------------------------------- Dirichlet groups, options, memory

def dirichlet_table(alphas) -> ParameterTable:
    """A table of one Dirichlet group 'row' with the given counts, plus an unrelated parameter."""
    rows = [{"name": f"p{i}", "value": repr(a / sum(alphas)), "distribution": "dirichlet", "alpha": repr(a),
             "group": "row", "source": "test"} for i, a in enumerate(alphas)]
    rows.append({"name": "cost", "value": "10", "distribution": "gamma", "se": "2", "source": "test"})
    return ParameterTable([{c: r.get(c, "") for c in COLUMNS} for r in rows], list(range(2, len(rows) + 2)), None)


def assert_one_member_moved(table, sets, bounds):
    """Every set sums to one over the group; set 2i/2i+1 holds member i at exactly its low/high;
    the other members keep their base proportions."""
    members = table.dirichlet_groups[next(iter(table.dirichlet_groups))]
    base = {m: table[m].value for m in members}
    np.testing.assert_allclose(sum(sets[m] for m in members), 1.0, atol=1e-12)
    for i, (name, (low, high)) in enumerate(bounds.items()):
        assert (sets[name][2 * i], sets[name][2 * i + 1]) == (low, high)
        siblings = [m for m in members if m != name]
        for row in (2 * i, 2 * i + 1):
            shares = np.array([sets[m][row] for m in siblings])
            np.testing.assert_allclose(shares / shares.sum(), [base[m] / sum(base[s] for s in siblings) for m in siblings])


def test_one_way_moves_one_member_of_example_sicks_dirichlet_row(sick):
    table = sick.parameters
    bounds = {m: b for m, b in one_way_bounds(table).items() if m in table.dirichlet_groups["sick_exits"]}
    assert list(bounds) == ["p_sick_recover", "p_sick_die", "p_sick_stay"]
    assert_one_member_moved(table, one_way_sets(table, bounds), bounds)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.5, 200), min_size=2, max_size=6))
def test_one_way_batch_keeps_any_dirichlet_group_summing_to_one(alphas):
    table = dirichlet_table(alphas)
    bounds = {m: b for m, b in one_way_bounds(table).items() if m != "cost"}
    sets = one_way_sets(table, bounds)
    assert sets.n == 2 * len(alphas)
    assert_one_member_moved(table, sets, bounds)


def test_one_way_of_a_dirichlet_member_equals_its_direct_override(sick):
    table, measure = sick.parameters, Measure(sick)
    row = one_way(sick, table, measure=measure).table.set_index("parameter").loc["p_sick_die"]
    direct = measure.of(sick.evaluate(table.override(table.base_case(), {"p_sick_die": row.low})))[0]
    assert row.outcome_at_low == pytest.approx(direct, rel=1e-12)
    assert row.outcome_at_high > row.outcome_at_low  # more deaths while sick: drug A's QALY gain grows


def test_two_way_of_two_members_of_one_group_rescales_the_third(sick):
    table = sick.parameters
    recording = Recording(sick)
    grid = two_way(recording, table, "p_sick_die", "p_sick_recover", steps=4).table
    sets = recording.batches[-1]
    members = table.dirichlet_groups["sick_exits"]
    np.testing.assert_allclose(sum(sets[m] for m in members), 1.0, atol=1e-12)
    np.testing.assert_array_equal(sets["p_sick_die"], grid.x_value)
    np.testing.assert_allclose(sets["p_sick_stay"], 1 - grid.x_value - grid.y_value)


def test_two_way_refuses_members_that_leave_their_group_no_probability(sick):
    with pytest.raises(InputError, match="leaving no probability for p_sick_die"):
        two_way(sick, sick.parameters, "p_sick_recover", "p_sick_stay", steps=3)
    two_members = dirichlet_table([3.0, 7.0])
    with pytest.raises(InputError, match="only two members of Dirichlet group 'row'"):
        two_way(sick, two_members, "p0", "p1", steps=3)


def test_threshold_of_a_dirichlet_member(sick):
    result = threshold(sick, sick.parameters, "p_sick_die", [20_000.0, 50_000.0], bounds=(0.0, 0.25)).table
    for lam, value in zip(result.wtp, result.threshold, strict=True):
        if not np.isnan(value):
            sets = sick.parameters.override(sick.parameters.base_case(), {"p_sick_die": value})
            assert Measure(sick, "inmb", lam).of(sick.evaluate(sets))[0] == pytest.approx(0, abs=1e-3)
    assert result.threshold.notna().any()


@pytest.mark.parametrize("arguments, message", [
    ({"strategy": "standard_care"}, "--strategy 'standard_care' is the comparator"),
    ({"strategy": "drug_c"}, "--strategy: unknown strategy 'drug_c' (fix: choose one of drug_a, drug_b"),
    ({"wtp": -1.0}, "--wtp"),
    ({"wtp": float("nan")}, "--wtp"),
    ({"outcome": "inhb", "wtp": 0.0}, "willingness to pay above 0"),
])
def test_measure_refuses_its_options_before_any_evaluation(sick, arguments, message):
    recording = Recording(sick)
    with pytest.raises(InputError) as error:
        one_way(recording, sick.parameters, measure=Measure(recording, **arguments))
    assert message in str(error.value) and recording.batches == []


def test_an_unknown_outcome_fails_on_the_base_case_alone(sick):
    recording = Recording(sick)
    with pytest.raises(InputError, match=r"--outcome: unknown outcome 'qaly_disc' \(fix: did you mean qalys_disc\? "
                                         r"choose one of inmb, .* or an outcome of the model: .*total_cost"):
        one_way(recording, sick.parameters, measure=Measure(recording, "qaly_disc"))
    assert [s.n for s in recording.batches] == [1]


@pytest.mark.parametrize("call, message", [
    (lambda m, t: two_way(m, t, "cost_drug_x", "utility_sick"), "--x: unknown parameter 'cost_drug_x' (fix: did you mean cost_drug_b, cost_drug_a?)"),
    (lambda m, t: two_way(m, t, "cost_drug_a", "utility_sik"), "--y: unknown parameter 'utility_sik'"),
    (lambda m, t: two_way(m, t, "cost_drug_a", "cost_drug_a"), "must differ"),
    (lambda m, t: two_way(m, t, "cost_drug_a", "utility_sick", steps=1), "at least 2 steps"),
    (lambda m, t: two_way(m, t, "cost_drug_a", "utility_sick", ranges="ci90"), "--range: unknown range 'ci90'"),
    (lambda m, t: threshold(m, t, "p_sick_di", [1.0]), "--param: unknown parameter 'p_sick_di'"),
    (lambda m, t: threshold(m, t, "p_sick_die", [1.0], bounds=(0.2, 0.1)), "no range to search"),
    (lambda m, t: threshold(m, t, "p_sick_die", [1.0], bounds=(0.0, 1.5)), "support [0, 1]"),
    (lambda m, t: threshold(m, t, "cost_sick", [-5.0]), "--wtp"),
    (lambda m, t: threshold(m, t, "cost_sick", [1.0], strategy="standard_care"), "is the comparator"),
])
def test_analysis_options_are_refused_before_any_evaluation(sick, call, message):
    recording = Recording(sick)
    with pytest.raises(InputError) as error:
        call(recording, sick.parameters)
    assert message in str(error.value) and recording.batches == []


def test_a_grid_beyond_the_memory_budget_is_refused_before_allocating(sick):
    recording = Recording(sick)
    with pytest.raises(InputError, match=r"a 100000×100000 two-way grid needs about 894\.1 GiB .* budget of 4\.0 GiB "
                                         r"\(fix: use at most --steps 6688, or a larger --memory\)"):
        two_way(recording, sick.parameters, "cost_drug_a", "utility_sick", steps=100_000)
    assert recording.batches == []
    with pytest.raises(InputError, match="--memory must be a positive number"):
        two_way(sick, sick.parameters, "cost_drug_a", "utility_sick", memory_gb=0.0)


def test_two_way_in_chunks_equals_one_batch(sick, monkeypatch):
    whole = two_way(sick, sick.parameters, "p_sick_die", "utility_sick", steps=5)
    monkeypatch.setattr("hecon.analysis.sensitivity.SETS_PER_CHUNK", 7)
    recording = Recording(sick)
    chunked = two_way(recording, sick.parameters, "p_sick_die", "utility_sick", steps=5)
    assert [s.n for s in recording.batches] == [1, 7, 7, 7, 4]  # the base case, then the grid
    pd.testing.assert_frame_equal(whole.table, chunked.table)


def _counted(f):
    """f(x, which) evaluating ``f`` per bracket, counting the batches."""
    batches = []

    def batch(x, which):
        batches.append(which.size)
        return f(x, which)
    return batch, batches


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 100.0), st.integers(1, 7)), min_size=1, max_size=5))
def test_refine_brackets_finds_the_roots_of_powers_within_the_width(cases):
    """x^k − c on [0, 2c^(1/k)+1]: the root c^(1/k), to the width, in fewer batches than bisection."""
    c, k = (np.array(v, dtype=float) for v in zip(*cases, strict=True))
    root = c ** (1 / k)
    a, b = np.zeros_like(c), 2 * root + 1
    f, batches = _counted(lambda x, which: x ** k[which] - c[which])
    width = 1e-9 * (b - a).max()
    lo, hi = refine_brackets(f, a, b, a ** k - c, b ** k - c, width)
    assert np.all(hi - lo <= width) and np.all((lo <= root + 1e-12) & (root - 1e-12 <= hi))
    assert len(batches) <= int(np.ceil(np.log2((b - a).max() / width)))


@given(st.floats(-1e3, 1e3), st.floats(0.01, 100.0), st.floats(0.01, 0.99))
def test_refine_brackets_closes_on_a_linear_root_in_two_batches(root, slope, where):
    """False position lands on a line's root; the least step then closes the bracket."""
    f, batches = _counted(lambda x, which: slope * (x - root))
    a, b = np.array([root - where]), np.array([root + 1 - where])
    lo, hi = refine_brackets(f, a, b, slope * (a - root), slope * (b - root), 1e-9)
    assert hi[0] - lo[0] <= 1e-9 and lo[0] <= root <= hi[0] and len(batches) <= 2


def test_refine_brackets_stops_where_the_floats_between_its_ends_run_out():
    f, batches = _counted(lambda x, which: x - 1e6 - 0.3)
    lo, hi = refine_brackets(f, np.array([1e6]), np.array([1e6 + 1]), np.array([-0.3]), np.array([0.7]), 1e-30)
    assert lo[0] <= 1e6 + 0.3 <= hi[0] and np.nextafter(lo[0], np.inf) == hi[0] and len(batches) < 60


def test_refine_brackets_ends_on_an_exact_root_and_on_a_kink():
    # an end that is a root ends at once; a step exactly on the root ends there
    lo, hi = refine_brackets(lambda x, which: x - 1.0, np.array([1.0, 0.0]), np.array([3.0, 2.0]),
                             np.array([0.0, -1.0]), np.array([2.0, 1.0]), 1e-12)
    np.testing.assert_array_equal([lo, hi], [[1.0, 1.0], [1.0, 1.0]])
    # |x|·x − 0.25 changes curvature at 0 and the root 0.5 sits far from the false-position
    # points of a wide bracket: the bisection safeguard still converges
    f, batches = _counted(lambda x, which: np.where(x < 0, -50 * x ** 2, x ** 2) - 0.25)
    lo, hi = refine_brackets(f, np.array([-100.0]), np.array([1.0]), np.array([-500_000.25]), np.array([0.75]),
                             1e-10)
    assert hi[0] - lo[0] <= 1e-10 and lo[0] <= 0.5 <= hi[0] and len(batches) <= 2 * 40

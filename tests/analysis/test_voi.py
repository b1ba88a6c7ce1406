"""EVPI, population EVPI and EVPPI (hecon.analysis.voi)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hecon.analysis import voi
from hecon.analysis.psafile import read_psa
from hecon.errors import InputError

CHEMO = "/work/shared/data/published-psa/voi_chemo.csv"


@pytest.fixture(scope="module")
def chemo():
    return read_psa(CHEMO)


def unit_normal_loss(z: float) -> float:
    """L(z) = φ(z) − z(1 − Φ(z))."""
    return stats.norm.pdf(z) - z * stats.norm.sf(z)


# --------------------------------------------------------------------------- EVPI


@pytest.mark.parametrize(("mu", "sigma"), [(0.0, 1.0), (1.0, 2.0), (-3.0, 2.0), (500.0, 1000.0)])
def test_evpi_of_a_normal_incremental_net_benefit(mu, sigma):
    # Two strategies, INB ~ N(μ, σ²): EVPI = σ·L(|μ|/σ).
    n = 400_000
    inb = np.random.default_rng(7).normal(mu, sigma, n)
    effects = np.column_stack([np.zeros(n), inb])
    costs = np.zeros((n, 2))
    exact = sigma * unit_normal_loss(abs(mu) / sigma)
    monte_carlo_error = np.maximum(inb, 0).std() / math.sqrt(n)
    assert float(voi.evpi(costs, effects, 1.0)) == pytest.approx(exact, abs=4 * monte_carlo_error)


def test_evpi_of_the_voi_chemotherapy_model(chemo):
    # Values of the voi package's own tests (chemo_cea at λ = 10,000 … 50,000 per QALY).
    expected = [8.76486716445652, 368.605096225918, 206.468704777362, 150.472904023947,
                126.983450042782]
    wtp = [10_000, 20_000, 30_000, 40_000, 50_000]
    np.testing.assert_allclose(voi.evpi(chemo.costs, chemo.effects, wtp), expected, rtol=1e-9)


def test_evpi_is_zero_when_one_strategy_always_wins():
    rng = np.random.default_rng(0)
    costs = np.column_stack([rng.uniform(0, 1, 100), rng.uniform(5, 6, 100)])
    effects = np.column_stack([rng.uniform(2, 3, 100), rng.uniform(0, 1, 100)])
    assert (voi.evpi(costs, effects, [0.0, 10.0, 1e6]) == 0).all()
    assert voi.evpi(costs, effects, 5.0).shape == ()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 50), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_evpi_is_non_negative(draws, n_strategies, seed):
    rng = np.random.default_rng(seed)
    costs, effects = rng.normal(size=(2, draws, n_strategies))
    assert (voi.evpi(costs, effects, [0.0, 0.5, 3.0]) >= 0).all()


# --------------------------------------------------------------------------- population


@pytest.mark.parametrize(("population", "size"), [
    (voi.Population(1000, 10), 10_000),
    (voi.Population(1000, 3, 0.05), 1000 * (1 + 1 / 1.05 + 1 / 1.05**2)),
    (voi.Population(1000, 2.5, 0.05), 1000 * (1 + 1 / 1.05 + 0.5 / 1.05**2)),
    (voi.Population(200, 0.25), 50),
    (voi.Population(100, 20, 0.035), 100 * (1 - 1.035**-20) / (1 - 1 / 1.035)),
])
def test_population_size(population, size):
    assert population.size() == pytest.approx(size, rel=1e-12)


@pytest.mark.parametrize("arguments", [(-1, 10), (100, 0), (100, 10, -0.01), (math.nan, 5), (1e308, 1),
                                       (1e11, 1), (100, 1e12), (100, math.inf), (100, math.nan)])
def test_population_rejects_nonsense(arguments):
    with pytest.raises(InputError):
        voi.Population(*arguments)


def test_evpi_table(chemo):
    table = voi.evpi_table(chemo.costs, chemo.effects, [20_000], voi.Population(1000, 1))
    assert list(table.columns) == ["wtp", "evpi", "population_evpi"]
    assert table["population_evpi"].iloc[0] == pytest.approx(1000 * 368.605096225918)
    assert list(voi.evpi_table(chemo.costs, chemo.effects, [1.0]).columns) == ["wtp", "evpi"]


# --------------------------------------------------------------------------- EVPPI


def test_evppi_of_the_voi_chemotherapy_model(chemo):
    # voi's tests (mgcv GAM) give 262.11 for p_side_effects_t2 and 333.45 for the pair
    # (p_side_effects_t2, logor_side_effects) at 20,000 per QALY.
    single = voi.evppi(chemo.costs, chemo.effects, chemo.parameters[["p_side_effects_t2"]], 20_000)
    assert list(single.columns) == ["parameter_or_group", "wtp", "evppi", "se"]
    assert single["evppi"].iloc[0] == pytest.approx(262.11, rel=0.01)
    assert 1 < single["se"].iloc[0] < 15
    pair = voi.evppi(chemo.costs, chemo.effects, chemo.parameters, 20_000,
                     groups={"t2+or": ["p_side_effects_t2", "logor_side_effects"]})
    assert pair["evppi"].iloc[0] == pytest.approx(333.45, rel=0.01)


def synthetic_psa(n: int = 4000, seed: int = 3):
    """Three strategies whose outputs depend on a, b, c (not on d), without noise."""
    rng = np.random.default_rng(seed)
    parameters = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    a, b, c = (parameters[k].to_numpy() for k in "abc")
    effects = np.column_stack([np.zeros(n), 0.3 + 0.2 * a + 0.1 * b * c, 0.5 + 0.3 * np.tanh(b)])
    costs = np.column_stack([np.zeros(n), 1000 + 300 * a**2, 3000 + 400 * c])
    return costs, effects, parameters


def test_evppi_of_all_parameters_jointly_is_the_evpi():
    costs, effects, parameters = synthetic_psa()
    wtp = np.array([5_000.0, 10_000.0, 20_000.0])
    perfect = voi.evpi(costs, effects, wtp)
    joint = voi.evppi(costs, effects, parameters, wtp, groups={"all": ["a", "b", "c"]},
                      n_se_samples=10)
    np.testing.assert_allclose(joint["evppi"], perfect, rtol=0.05)


def test_evppi_of_an_irrelevant_parameter_is_nearly_zero_and_bounded():
    costs, effects, parameters = synthetic_psa()
    wtp = np.array([5_000.0, 10_000.0, 20_000.0])
    perfect = voi.evpi(costs, effects, wtp)
    singles = voi.evppi(costs, effects, parameters, wtp, n_se_samples=10)
    irrelevant = singles[singles["parameter_or_group"] == "d"]["evppi"].to_numpy()
    assert (irrelevant < 0.03 * perfect).all()
    for _, rows in singles.groupby("parameter_or_group"):
        assert (rows["evppi"].to_numpy() >= 0).all()
        assert (rows["evppi"].to_numpy() <= perfect).all()


def test_evppi_agrees_with_a_nested_monte_carlo_estimate():
    lam = 10_000.0

    def increments(t1, t2):
        return 1000 * np.exp(0.3 * t1) + 500 * t2**2, 0.1 + 0.2 * t1 + 0.1 * t1 * t2

    rng = np.random.default_rng(11)
    t1, t2 = rng.normal(size=(2, 10_000))
    delta_cost, delta_effect = increments(t1, t2)
    costs = np.column_stack([np.zeros_like(t1), delta_cost])
    effects = np.column_stack([np.zeros_like(t1), delta_effect])
    estimate = voi.evppi(costs, effects, pd.DataFrame({"t1": t1, "t2": t2}), lam).set_index(
        "parameter_or_group")

    outer = rng.normal(size=2000)
    inner_cost, inner_effect = increments(outer[:, None], rng.normal(size=(2000, 2000)))
    conditional = (lam * inner_effect - inner_cost).mean(axis=1)  # E[INB | t1], inner loop
    nested = np.maximum(conditional, 0).mean() - max(conditional.mean(), 0)
    nested_se = np.maximum(conditional, 0).std() / math.sqrt(outer.size)
    psa_se = np.maximum(conditional, 0).std() / math.sqrt(t1.size)
    tolerance = 3 * math.sqrt(estimate.at["t1", "se"] ** 2 + nested_se**2 + psa_se**2)
    assert estimate.at["t1", "evppi"] == pytest.approx(nested, abs=tolerance)
    assert estimate.at["t2", "evppi"] < 0.01 * estimate.at["t1", "evppi"]


def test_evppi_is_reproducible_and_independent_of_the_other_subsets():
    costs, effects, parameters = synthetic_psa(n=1000)
    groups = {"ab": ["a", "b"], "c": ["c"]}
    first = voi.evppi(costs, effects, parameters, [10_000.0], groups=groups, seed=4)
    again = voi.evppi(costs, effects, parameters, [10_000.0], groups={"ab": ["a", "b"]}, seed=4)
    pd.testing.assert_frame_equal(first.iloc[:1], again)
    other_seed = voi.evppi(costs, effects, parameters, [10_000.0], groups=groups, seed=5)
    assert not first["se"].equals(other_seed["se"])


def test_evppi_is_the_same_whatever_the_number_of_regressions_at_once():
    """Each subset's regression runs in one BLAS thread with its own random stream, so fitting
    them one at a time or side by side gives the same numbers, bit for bit."""
    costs, effects, parameters = synthetic_psa(n=800)
    groups = {"ab": ["a", "b"], "bc": ["b", "c"], "abcd": ["a", "b", "c", "d"]}
    one_at_a_time = voi.evppi(costs, effects, parameters, [5_000.0, 10_000.0], groups=groups, seed=3, workers=1)
    side_by_side = voi.evppi(costs, effects, parameters, [5_000.0, 10_000.0], groups=groups, seed=3, workers=3)
    pd.testing.assert_frame_equal(one_at_a_time, side_by_side, check_exact=True)
    assert one_at_a_time["parameter_or_group"].unique().tolist() == ["ab", "bc", "abcd"]


def test_evppi_from_an_array_and_without_standard_errors():
    costs, effects, parameters = synthetic_psa(n=500)
    table = voi.evppi(costs, effects, parameters.to_numpy(), [10_000.0], n_se_samples=0)
    assert table["parameter_or_group"].tolist() == [f"parameter_{k}" for k in range(1, 5)]
    assert table["se"].isna().all()


def test_evppi_of_posterior_draws_is_the_evpi_formula_of_each_draw():
    """The standard error's EVPPIs of all posterior draws at once equal, bit for bit, the EVPI
    formula (summarise_net_benefit) applied to each draw's fitted net benefits."""
    from hecon.analysis.cea import summarise_net_benefit

    rng = np.random.default_rng(12)
    fits = rng.normal(size=(7, 1001, 4)) * [300.0, 500.0, 0.02, 0.05] + [100.0, 400.0, 0.01, 0.02]
    wtp = np.array([0.0, 10_000.0, 20_000.0, 50_000.0])
    zeros = np.zeros((1001, 1))
    expected = [summarise_net_benefit(np.hstack([zeros, fit[:, :2]]), np.hstack([zeros, fit[:, 2:]]), wtp,
                                      probability=False).evpi for fit in fits]
    np.testing.assert_array_equal(voi._evppi_of_fits(fits, 3, wtp), expected)
    np.testing.assert_array_equal(voi._evppi_of_fit(fits[2], 3, wtp), expected[2])
    assert (np.asarray(expected)[:, 1:] > 0).all()


def test_partial_information_runs_at_most_one_regression_per_core(monkeypatch):
    from hecon.analysis import decision, threads

    asked = []
    monkeypatch.setattr(threads, "cores", lambda: 2)
    monkeypatch.setattr(voi, "evppi", lambda *args, workers, **kwargs: asked.append(workers) or pd.DataFrame())
    costs, effects, parameters = synthetic_psa(n=200)
    decision.partial_information(costs, effects, parameters, np.array([1.0]), groups={"ab": ["a", "b"]})
    assert asked == [2, 2]  # the 4 GB budget would hold hundreds of these regressions
    decision.partial_information(costs, effects, parameters, np.array([1.0]), memory_gb=voi.evppi_bytes(200, 3) / 2**30)
    assert asked[-1] == 1


def test_evppi_clips_an_estimate_above_the_evpi(monkeypatch):
    costs, effects, parameters = synthetic_psa(n=500)
    monkeypatch.setattr(voi, "_evppi_of_fit", lambda fitted, n, wtp: np.full(wtp.size, 1e9))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = voi.evppi(costs, effects, parameters[["a"]], [10_000.0], n_se_samples=2)
    assert table["evppi"].iloc[0] == pytest.approx(float(voi.evpi(costs, effects, 10_000.0)))
    assert any(issubclass(w.category, voi.EVPPIClippedWarning) for w in caught)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"parameters": np.ones((10, 1))}, "10 rows of parameters"),
    ({"groups": {"g": ["a", "zz"]}}, "unknown parameters: zz"),
    ({"groups": {"g": []}}, "is empty"),
    ({"method": "spline", "groups": {"g": ["a", "b"]}}, "one parameter at a time"),
    ({"method": "kriging"}, "unknown EVPPI method"),
])
def test_evppi_input_errors(arguments, message):
    costs, effects, parameters = synthetic_psa(n=200)
    call = {"parameters": parameters, **arguments}
    with pytest.raises(InputError, match=message):
        voi.evppi(costs, effects, call.pop("parameters"), [1.0], **call)


def test_evppi_needs_enough_draws_and_finite_parameters():
    costs, effects, parameters = synthetic_psa(n=200)
    with pytest.raises(InputError, match="at least 21 PSA draws"):
        voi.evppi(costs[:20], effects[:20], parameters[:20], 1.0)
    assert voi.MIN_EVPPI_DRAWS == 21  # more draws than the spline's 20 coefficients
    smallest = voi.evppi(costs[:21], effects[:21], parameters[:21], 1.0)
    assert smallest["parameter_or_group"].tolist() == ["a", "b", "c", "d"]
    assert np.isfinite(smallest["evppi"]).all()
    parameters.loc[5, "b"] = np.nan
    with pytest.raises(InputError, match="draw 6") as error:
        voi.evppi(costs, effects, parameters, 1.0)
    assert error.value.column == "b"


def test_partial_information_is_skipped_with_a_note_when_it_cannot_be_estimated():
    from hecon.analysis.decision import partial_information

    costs, effects, parameters = synthetic_psa(n=200)
    notes = []
    assert partial_information(costs[:20], effects[:20], parameters[:20], np.array([1.0]), note=notes.append) is None
    assert notes == ["EVPPI skipped: its regression needs more draws than the 20 coefficients of its spline, "
                     "at least 21, and the PSA has 20"]
    assert partial_information(costs, effects, parameters, np.array([1.0]), groups={}, singles=False,
                               note=notes.append) is None
    assert notes[-1] == "EVPPI skipped: no parameter group to estimate it for (the parameter table has none)"
    table = partial_information(costs[:21], effects[:21], parameters[:21], np.array([1.0]), groups={"ab": ["a", "b"]})
    assert table["parameter_or_group"].tolist() == ["a", "b", "c", "d", "ab"]


def test_evppi_memory_follows_the_metamodels_working_arrays():
    """Spline: fitted values and residuals at 81 smoothing values and 50 posterior draws per
    response; GP: an n × 200 basis twice. Two strategies have 2 responses, four have 6."""
    assert voi.evppi_bytes(1000, 2) == 8 * 1000 * (max(2 * 81 * 2, 400) + 50 * 2)
    assert voi.evppi_bytes(1000, 4) == 8 * 1000 * (2 * 81 * 6 + 50 * 6)

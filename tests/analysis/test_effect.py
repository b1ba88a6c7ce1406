"""The decision under each prior and the threshold of the effect (hecon.analysis.effect)."""

import numpy as np
import pytest

from hecon.analysis.cea import ceac
from hecon.analysis.effect import (
    draw_thresholds,
    effect_parameter,
    effect_threshold,
    plausible_range,
    prior_decisions,
    prior_draws,
)
from hecon.analysis.psa import run_psa
from hecon.analysis.sensitivity import Measure
from hecon.model import Model
from hecon.model.priors import model_priors

EFFECT = "hr_infection_ifn"


@pytest.fixture(scope="module")
def flagship():
    model = Model("ifn_gamma")
    options = model.options()
    table = model.load_parameters(options)
    return model, options, table, model_priors(model), run_psa(model, 120, 7, options=options, table=table)


def test_priors_keep_every_other_draw_and_redraw_the_effect_from_the_same_numbers(flagship):
    model, _, table, priors, psa = flagship
    design, sceptical = (prior_draws(psa, table, priors[name], "generator") for name in ("design", "sceptical"))
    assert all(np.array_equal(sceptical[n], psa.parameters[n]) for n in table.names if n != EFFECT)
    assert np.array_equal(design[EFFECT], psa.parameters[EFFECT])
    # common random numbers: the same standard normal z under both LogNormals
    z_design = (np.log(design[EFFECT]) - np.log(0.7)) / table.distribution_of(EFFECT).sdlog
    z_sceptical = np.log(sceptical[EFFECT]) / priors["sceptical"].apply(table).distribution_of(EFFECT).sdlog
    assert z_sceptical == pytest.approx(z_design, rel=1e-9)


def test_the_decision_under_the_table_s_own_prior_is_the_run_s_psa(flagship):
    model, options, table, priors, psa = flagship
    decisions = prior_decisions(model, table, psa, priors, options=options).table.set_index("prior")
    costs, effects = psa.costs_effects(model.effects[0])
    curve = ceac(costs, effects, model.strategies, [50_000])
    expected = curve[curve.strategy == "ifn_gamma"].probability.iloc[0]
    assert decisions.loc["design", "p_cost_effective_50000"] == pytest.approx(expected)
    assert decisions.loc["sceptical", "p_effect_below_1"] == pytest.approx(0.5)
    assert decisions.loc["harm", "p_cost_effective_50000"] < decisions.loc["enthusiastic", "p_cost_effective_50000"]


def test_at_the_base_case_threshold_the_icer_equals_the_willingness_to_pay(flagship):
    model, options, table, priors, psa = flagship
    parameter = effect_parameter(priors)
    bounds = plausible_range(table, priors, parameter)
    assert parameter == EFFECT and bounds[0] < 0.7 < 1 < bounds[1]
    result = effect_threshold(model, table, psa, parameter, bounds, [20_000, 50_000], options=options)
    for row in result.table.itertuples():
        outcomes = model.evaluate(table.override(table.base_case(), {EFFECT: row.base_case}), options)
        d_cost, d_effect = Measure(model).increments(outcomes)
        assert d_cost[0] / d_effect[0] == pytest.approx(row.wtp, rel=1e-4)
        assert row.p2_5 <= row.median <= row.p97_5
    curve = result.frames["effect_threshold_curve"]
    assert set(curve.columns) == {"parameter", "value", "wtp", "probability_cost_effective"}


def test_each_draw_s_threshold_is_a_root_of_its_net_benefit(flagship):
    model, options, table, _, psa = flagship
    lam = np.array([50_000.0])
    draws = psa.parameters.take(np.arange(12))
    found, values, inmb = draw_thresholds(model, table, draws, EFFECT, lam, (0.4, 1.6), options=options)
    finite = np.isfinite(found[:, 0])
    assert finite.sum() >= 6
    at = table.override(draws.take(np.flatnonzero(finite)), {EFFECT: found[finite, 0]})
    d_cost, d_effect = Measure(model).increments(model.evaluate(at, options))
    scale = np.abs(inmb[finite, :, 0]).max(1)
    assert np.all(np.abs(lam[0] * d_effect - d_cost) < 1e-3 * scale)
    never = found[:, 0] == -np.inf
    assert np.all(inmb[never, :, 0] < 0) and values[0] == pytest.approx(0.4)

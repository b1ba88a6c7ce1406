"""The flagship model's adverse events, immune restoration and unit costs (issue 14, items 4, 7
and 8): each checked against its source's arithmetic or a closed form."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.analysis.sensitivity import one_way_bounds, threshold_values
from hecon.model import Model
from hecon.model.tree import rollback
from hecon_models import _ifn_gamma_trial as trial
from hecon_models import ifn_gamma as m

#: PREV-HAP (Roquilly et al. Intensive Care Med 2023, Table 2): patients with a serious adverse event
SAE_IFN, N_IFN, SAE_PLACEBO, N_PLACEBO = 24, 55, 17, 54
CPI_2009, CPI_2024 = 93.29, 119.82  # INSEE all items, 2015 = 100 (france_cpi.csv)
IFN = m.STRATEGIES.index("ifn_gamma")
PLACEBO = m.STRATEGIES.index("placebo")


def evaluate(table, options, n=1, overrides=None, **changes):
    sets = table.override(table.base_case(n), overrides or {})
    return m.evaluate(sets, dataclasses.replace(options, **changes))


# ---------------------------------------------------------------- serious adverse events

def test_the_relative_risk_of_an_adverse_event_is_prev_haps():
    """RR = (24/55)/(17/54), 95 % CI exp(ln RR ± 1.96·√(1/a − 1/n₁ + 1/c − 1/n₀)) (Katz)."""
    table = Model("ifn_gamma").parameters
    rr = (SAE_IFN / N_IFN) / (SAE_PLACEBO / N_PLACEBO)
    log_se = np.sqrt(1 / SAE_IFN - 1 / N_IFN + 1 / SAE_PLACEBO - 1 / N_PLACEBO)
    assert table["rr_sae_ifn"].value == pytest.approx(rr, abs=1e-4)
    np.testing.assert_allclose(table.distribution_of("rr_sae_ifn").ppf([0.025, 0.975]),
                               rr * np.exp([-1.959964 * log_se, 1.959964 * log_se]), rtol=2e-4)
    assert table["p_sae_placebo"].value == pytest.approx(SAE_PLACEBO / N_PLACEBO, abs=1e-4)
    assert table.distribution_of("p_sae_placebo").mean() == pytest.approx(SAE_PLACEBO / N_PLACEBO)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 0.99), st.floats(0.1, 8.0)), min_size=1, max_size=5))
def test_the_arms_adverse_event_rates_move_together(draws):
    """One RR draw sets both rates: r_placebo = r₀ and r_IFN = r₀·RR, whatever the draw (a rate:
    r₀·RR may exceed 1); the background every arm carries is r₀."""
    r0, rr = (np.array(column) for column in zip(*draws, strict=True))
    tree = rollback(m.TREE, {"p_sae_placebo": r0, "rr_sae_ifn": rr}, states=m.STATES)
    np.testing.assert_allclose(tree.payoffs["sae"][:, PLACEBO], r0)
    np.testing.assert_allclose(tree.payoffs["sae"][:, IFN], r0 * rr)
    np.testing.assert_allclose(tree.payoffs["sae_background"], np.column_stack([r0, r0]))
    np.testing.assert_array_equal(tree.state_distribution[..., m.STATES.index("icu_never_infected")], 1.0)


def test_only_drug_related_events_are_costed_in_the_base_case(table, options):
    """Base case: the IFN-γ arm's excess r₀·(RR − 1) × the cost of an event (with its QALY loss), none
    in the placebo arm; all causes: every event of both arms. The increments are the same, and
    the consequence counts every event (what a trial records)."""
    r0, rr, cost, loss = (table[n].value for n in ("p_sae_placebo", "rr_sae_ifn", "cost_sae", "qaly_loss_sae"))
    with_loss = {"qaly_loss_sae": 0.004}
    drug, every = (evaluate(table, options, overrides=with_loss, adverse_events=kind)
                   for kind in ("drug_related", "all_cause"))
    np.testing.assert_allclose(drug["adverse_events"][0], [0.0, r0 * (rr - 1) * cost])
    np.testing.assert_allclose(every["adverse_events"][0], [r0 * cost, r0 * rr * cost])
    for outcomes in (drug, every):
        np.testing.assert_allclose(outcomes["serious_adverse_events"][0], [r0, r0 * rr])
    np.testing.assert_allclose(np.diff(drug["total_cost"][0]), np.diff(every["total_cost"][0]))
    np.testing.assert_allclose(np.diff(drug["qalys_disc"][0]), np.diff(every["qalys_disc"][0]))
    qaly_drop = evaluate(table, options)["qalys_disc"][0] - drug["qalys_disc"][0]
    np.testing.assert_allclose(qaly_drop, [0.0, r0 * (rr - 1) * 0.004])
    assert loss == 0


def test_a_protective_draw_of_the_relative_risk_saves_adverse_event_costs(table, options):
    """RR < 1 is a third of the way into PREV-HAP's interval: the IFN-γ arm then has fewer events
    than placebo, a negative drug-related excess, costed as a saving (not clipped to zero)."""
    outcomes = evaluate(table, options, 2, {"rr_sae_ifn": [0.8, 1.0]})
    r0, cost = table["p_sae_placebo"].value, table["cost_sae"].value
    np.testing.assert_allclose(outcomes["adverse_events"][:, IFN], [r0 * -0.2 * cost, 0.0], atol=1e-9)
    assert table.distribution_of("rr_sae_ifn").scipy.cdf(1.0) == pytest.approx(0.0985, abs=1e-3)


def test_unknown_adverse_event_or_icu_day_options_are_refused():
    with pytest.raises(ValueError, match="adverse_events must be one of drug_related, all_cause"):
        m.Options(adverse_events="related")
    with pytest.raises(ValueError, match="icu_day_cost must be one of average, marginal"):
        m.Options(icu_day_cost="full")


# ---------------------------------------------------------------- immune restoration

def test_immune_restoration_is_reported_and_drives_nothing(table, options):
    """The restoration probabilities are echoed as the day-10 outcome; every other outcome is
    identical whatever they are."""
    outcomes = evaluate(table, options, 2, {"p_restoration_d10_placebo": [0.3, 0.05],
                                            "p_restoration_d10_ifn": [0.8333, 1.0]})
    np.testing.assert_allclose(outcomes["immune_restored_d10"], [[0.3, 0.8333], [0.05, 1.0]])
    for name in outcomes.names:
        if name != "immune_restored_d10":
            np.testing.assert_array_equal(outcomes[name][0], outcomes[name][1], err_msg=name)


def test_restoration_is_neither_drawn_nor_varied(table):
    """Drawn, parameters that drive nothing would only add noise to regression EVPPI and Sobol."""
    ranged = one_way_bounds(table)
    for name in ("p_restoration_d10_placebo", "p_restoration_d10_ifn"):
        assert name in table and name not in table.uncertain and name not in ranged
    assert {"rr_sae_ifn", "p_sae_placebo", "icu_late_day_factor", "price_ifn_vial"} <= set(ranged)


# ---------------------------------------------------------------- vial price and ICU day

def test_the_vial_price_is_the_italian_ex_factory_price_without_vat(table):
    """AIFA 2012: €510.98 ex-factory per pack of 6 (€843.32 with VAT); Gamma(mean, SE 25), whose
    97.5 % quantile reaches the VAT-inclusive price; the 2012 price is not inflated."""
    price = table["price_ifn_vial"]
    assert price.value == pytest.approx(510.98 / 6, abs=0.005) and price.price_year == 2024
    gamma = table.distribution_of("price_ifn_vial")
    assert gamma.mean() == pytest.approx(85.16) and np.sqrt(gamma.variance()) == pytest.approx(25.0)
    assert gamma.ppf(0.975) == pytest.approx(843.32 / 6, abs=0.5)


@pytest.mark.parametrize(("kind", "factor"), [("average", "icu_late_day_factor"), ("marginal", "icu_marginal_cost_share")])
def test_an_icu_day_costs_lefrants_average_day_in_2024_euros_times_its_factor(table, options, kind, factor):
    """c = €1,425 (2009) × CPI 2024/2009 × (late-day factor 0.85 | marginal share 0.325), for every
    ICU day of both arms, infected or not: undiscounted, ICU cost = c × ICU days."""
    expected = 1425 * CPI_2024 / CPI_2009 * table[factor].value
    p = {name: table[name].value for name in table.names}
    assert m.icu_day_cost(p, dataclasses.replace(options, icu_day_cost=kind)) == pytest.approx(expected)
    outcomes = evaluate(table, options, icu_day_cost=kind, discount_rate_costs=0.0)
    icu_cost = outcomes["icu_not_infected"][0] + outcomes["icu_infected"][0]
    np.testing.assert_allclose(icu_cost, expected * outcomes["icu_days"][0], rtol=1e-12)


def test_the_marginal_option_scales_every_icu_day_of_both_arms(table, options):
    average, marginal = (evaluate(table, options, icu_day_cost=kind) for kind in ("average", "marginal"))
    ratio = table["icu_marginal_cost_share"].value / table["icu_late_day_factor"].value
    for component in ("icu_not_infected", "icu_infected"):
        np.testing.assert_allclose(marginal[component], ratio * average[component], rtol=1e-12)
    for component in ("drug", "ward", "infection_treatment", "long_term_care"):
        np.testing.assert_array_equal(marginal[component], average[component])


def test_the_threshold_price_is_where_the_drug_cost_closes_the_net_benefit(model, table, options):
    """Drug cost is discounted doses × price, so the incremental net benefit is linear in the price
    and vanishes at p* = p₀ + (λ·ΔE − ΔC)/(discounted doses)."""
    assert m.PRICE_PARAMETER == "price_ifn_vial"
    base = evaluate(table, options)
    wtp = 50_000.0
    d_cost, d_qaly = (np.diff(base[name][0])[0] for name in ("total_cost", "qalys_disc"))
    price = table["price_ifn_vial"].value
    doses_disc = base["drug"][0, IFN] / price
    found = threshold_values(model, table, "price_ifn_vial", [wtp], options, bounds=(0.0, 5000.0))
    assert found["threshold"].iloc[0] == pytest.approx(price + (wtp * d_qaly - d_cost) / doses_disc, rel=1e-6)


# ---------------------------------------------------------------- the trial companion

def test_the_trial_estimates_prev_haps_relative_risk_from_its_counts(table):
    """From PREV-HAP's counts the trial's estimator gives the table's row."""
    events = pd.Series([1] * SAE_IFN + [0] * (N_IFN - SAE_IFN))
    reference = pd.Series([1] * SAE_PLACEBO + [0] * (N_PLACEBO - SAE_PLACEBO))
    estimate = trial._risk_ratio(events, reference)
    row = table["rr_sae_ifn"]
    assert estimate.value == pytest.approx(row.value, abs=1e-4)
    np.testing.assert_allclose([estimate.ci_low, estimate.ci_high], table.distribution_of("rr_sae_ifn").ppf([0.025, 0.975]),
                               rtol=2e-4)


def test_an_arm_without_adverse_events_gets_the_half_cell_correction():
    """Haldane–Anscombe: 0/10 vs 2/10 is read as 0.5/11 vs 2.5/11, RR 0.2."""
    estimate = trial._risk_ratio(pd.Series([0] * 10), pd.Series([1, 1] + [0] * 8))
    assert estimate.value == pytest.approx(0.2)
    log_se = np.sqrt(1 / 0.5 - 1 / 11 + 1 / 2.5 - 1 / 11)
    assert estimate.ci_high == pytest.approx(0.2 * np.exp(1.959964 * log_se), rel=1e-6)

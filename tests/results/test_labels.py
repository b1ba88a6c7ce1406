"""How a reader sees a run's names and numbers (hecon.results.labels)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.model import Model
from hecon.results.labels import MINUS, Labels, amount, labels_of, number, with_interval
from hecon.results.report import read_manifest, recorded_meta

LABELS = Labels(currency="€", unit="QALY", comparator="placebo",
                strategies={"placebo": "Standard care (placebo)", "ifn_gamma": "IFN-γ 1b"},
                parameters={"price_ifn_vial": "Price of one vial"}, outcomes={"qalys_disc": "QALYs (discounted)"})


def test_numbers_carry_separators_a_true_minus_and_significant_digits():
    assert number(-1234.5) == f"{MINUS}1,234" and number(0.0142340) == "0.01423" and number(0.0142340, 3) == "0.0142"
    assert number(float("nan")) == number(None) == "" and number("n/a") == "n/a"
    assert amount(63115.1) == "€63,115" and amount(-1179.98) == f"{MINUS}€1,180" and amount(5, "$") == "$5"
    assert with_interval(-1234.4, -2000.2, -499.6, money=True) == f"{MINUS}1,234 ({MINUS}2,000 to {MINUS}500)"
    assert with_interval(0.0142, 0.0011, 0.031) == "0.0142 (0.0011 to 0.031)"
    assert with_interval(898.38, None, None, money=True) == "898"


@given(st.floats(-1e9, 1e9))
def test_a_number_reads_back_to_its_value_within_its_rounding(value):
    back = float(number(value).replace(MINUS, "-").replace(",", ""))
    assert back == pytest.approx(value, abs=0.5) if abs(value) >= 1000 else back == pytest.approx(value, rel=5e-4)


@pytest.mark.parametrize(("column", "table", "heading"), [
    ("incremental_cost", "", "Incremental cost (€)"), ("icer", "scenarios", "ICER (€ per QALY)"),
    ("icer", "icers", "ICER (€ per unit of the measure)"), ("ifn_gamma", "", "IFN-γ 1b"),
    ("difference_ifn_gamma", "", "Difference, IFN-γ 1b vs Standard care (placebo)"),
    ("difference_ifn_gamma_low", "", "Difference, IFN-γ 1b vs Standard care (placebo): 2.5 % quantile"),
    ("psa_mean_difference_ifn_gamma", "", "Difference, IFN-γ 1b vs Standard care (placebo): PSA mean"),
    ("inmb_50000", "", "Incremental NMB at €50,000 per QALY (€)"), ("qalys_disc", "", "QALYs (discounted)"),
    ("label", "parameters", "Label"), ("label", "cost_consequence", "Outcome"), ("new_column", "", "New column"),
    ("=A1", "", "=A1"),
])
def test_a_heading_is_a_label_or_words_with_the_unit(column, table, heading):
    assert LABELS.heading(column, table) == heading


def test_a_difference_of_strategies_and_an_unknown_name_read_plainly():
    assert LABELS.strategy("ifn_gamma - placebo") == f"IFN-γ 1b {MINUS} Standard care (placebo)"
    assert LABELS.strategy("other") == "other" and LABELS.parameter("price_ifn_vial") == "Price of one vial"


def test_labels_of_a_folder_come_from_the_model_its_parameter_table_and_its_tables(quick_run):
    manifest = read_manifest(quick_run)
    model = Model(manifest["model"])
    labels = labels_of(quick_run, model, recorded_meta(manifest))
    assert dict(labels.strategies) == model.strategy_labels
    assert labels.parameters["price_ifn_vial"] == model.parameters.labels["price_ifn_vial"]
    assert labels.outcomes["qalys_disc"] == "QALYs (discounted)" and labels.unit == "QALY" and labels.currency == "€"

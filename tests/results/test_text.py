"""The console rendering of a base case (hecon.results.text): labels as rows, numbers with
thousands separators and sensible decimals, ICERs with their unit or a dash."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from hecon.analysis.tables import cost_consequence, icers
from hecon.model import Effect
from hecon.model.outcomes import Outcomes
from hecon.results.text import console_table

QALY = Effect("qalys", "QALY gained", "QALY")
DEATH = Effect("deaths", "death avoided", "death", higher_is_better=False)


def base_case(drug_a_cost: float, drug_a_qalys: float, effects=(QALY, DEATH)) -> SimpleNamespace:
    """The two tables console_table reads, for standard care against drug A (one set)."""
    outcomes = Outcomes(("standard_care", "drug_a"),
                        {"drug": np.array([[0.0, drug_a_cost]]), "care": np.array([[12.345, 2_500.0]])},
                        {"qalys": np.array([[1.0, drug_a_qalys]]), "deaths": np.array([[0.1, 0.05]])},
                        labels={"drug": "Drug acquisition", "qalys": "QALYs (discounted)"})
    return SimpleNamespace(cost_consequence=cost_consequence(outcomes, "standard_care"),
                           icers=icers(outcomes, effects, "standard_care"))


def row(text: str, start: str) -> list[str]:
    """The cells of the line that starts with ``start`` (a row label of several words included)."""
    line = next(line for line in text.splitlines() if line.startswith(start))
    return line.removeprefix(start).split()


def test_rows_are_the_outcomes_labels_and_the_headings_name_the_tables():
    text = console_table(base_case(1_234_567.8, 1.23456))
    assert text.startswith("Cost-consequence table (costs in €)\n")
    assert "\n\nICERs vs comparator\n" in text
    assert row(text, "Drug acquisition") and row(text, "QALYs (discounted)") and row(text, "total cost")
    assert "kind" not in text and "outcome" not in text.splitlines()[1]


def test_numbers_have_thousands_separators_and_decimals_by_magnitude():
    text = console_table(base_case(1_234_567.8, 1.23456))
    assert row(text, "Drug acquisition") == ["0.0000", "1,234,568", "1,234,568"]  # ≥ 1,000: no decimals
    assert row(text, "care") == ["12.3", "2,500", "2,488"]                       # ≥ 10: one decimal
    assert row(text, "QALYs (discounted)") == ["1.0000", "1.2346", "0.2346"]    # below 10: four
    assert row(text, "deaths") == ["0.1000", "0.0500", "-0.0500"]


def test_a_missing_value_is_a_dash():
    case = base_case(1_000.0, 1.5)
    case.cost_consequence.loc[case.cost_consequence["outcome"] == "deaths", "drug_a"] = np.nan
    assert row(console_table(case), "deaths") == ["0.1000", "—", "-0.0500"]


def test_an_icer_reads_as_cost_per_unit_of_its_effect():
    # ΔC = 1,000 + 2,487.655 = 3,487.655; ΔE = 0.5 QALY and 0.05 death avoided
    text = console_table(base_case(1_000.0, 1.5))
    assert row(text, "  drug_a   QALY gained") == ["3,488", "0.5000", "6,975", "per", "QALY", "gained", "NE:", "ICER"]
    assert row(text, "  drug_a death avoided") == ["3,488", "0.0500", "69,753", "per", "death", "avoided", "NE:",
                                                   "ICER"]


def test_a_dominated_or_dominant_comparison_has_no_ratio():
    text = console_table(base_case(1_000.0, 0.5, effects=(QALY,)))  # dearer and fewer QALYs
    assert row(text, "  drug_a QALY gained") == ["3,488", "-0.5000", "—", "dominated"]


def test_strategies_are_shown_by_their_labels():
    text = console_table(base_case(1_000.0, 1.5), {"standard_care": "Standard care", "drug_a": "Drug A"})
    header = text.splitlines()[1]
    assert "Standard care" in header and "Δ Drug A" in header and "drug_a" not in text
    assert row(text, "  Drug A   QALY gained")[:2] == ["3,488", "0.5000"]

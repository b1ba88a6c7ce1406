"""How a reader sees a run's names and numbers, in the report and the workbook alike.

Strategies, parameters and outcomes by their labels (declared by the model and the parameter
table, recorded in the manifest; the folder's CSVs keep the code names as keys), every column of
a results table headed in words with its unit ("Incremental cost (€)", "ICER (€ per QALY)"),
and numbers with thousands separators and a true minus sign ("−1,234 (−2,000 to −500)").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.model import Model
from hecon.results.plots.style import CURRENCY

MINUS = "\u2212"


class Number(str):
    """A number already written as text (an estimate and its interval): a right-aligned cell."""


def number(value, digits: int = 4) -> str:
    """A number as the report writes it: thousands separators from 1,000, ``digits``
    significant digits below, a true minus sign; blank when missing, text as it is."""
    if is_missing(value):
        return ""
    if not is_number(value):
        return str(value)
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}g}"
    return text.replace("-", MINUS)


def amount(value, currency: str = CURRENCY) -> str:
    """Money in whole units of ``currency``: ``€63,115``, ``−€1,180``."""
    if not is_number(value) or is_missing(value):
        return number(value)
    return f"{MINUS if value < 0 else ''}{currency}{abs(value):,.0f}"


def with_interval(value, low, high, money: bool = False) -> Number:
    """``−1,234 (−2,000 to −500)``: an estimate and its 95 % interval (the estimate alone
    when the interval is missing)."""
    def shown(v) -> str:
        return number(round(v)) if money and is_number(v) and not is_missing(v) else number(v)

    interval = f" ({shown(low)} to {shown(high)})" if not (is_missing(low) or is_missing(high)) else ""
    return Number(shown(value) + interval)


def is_number(value) -> bool:
    """A number of a table (a boolean is not one)."""
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def is_missing(value) -> bool:
    """An empty cell: None or NaN (text never is)."""
    return value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and bool(pd.isna(value)))


def words(text: str) -> str:
    """A code name in words: ``health_system`` → ``health system``."""
    return str(text).replace("_", " ")


#: column of a results table → its heading ({currency}, {unit}: the run's); a strategy's column
#: is headed by its label, an outcome's by its label, any other column by its words
HEADINGS = {
    "strategy": "Strategy", "comparator": "Comparator", "per": "Effect measure", "unit": "Unit",
    "cost": "Cost ({currency})", "effect": "Effect ({unit})", "incremental_cost": "Incremental cost ({currency})",
    "incremental_effect": "Incremental effect ({unit})", "icer": "ICER ({currency} per {unit})",
    "status": "Quadrant", "frontier_status": "Frontier status", "note": "Note",
    "wtp": "Willingness to pay ({currency} per {unit})", "expected_nmb": "Expected net monetary benefit ({currency})",
    "expected_nhb": "Expected net health benefit ({unit})", "probability": "Probability cost-effective",
    "on_frontier": "On the acceptability frontier", "evpi": "EVPI per patient ({currency})",
    "evppi": "EVPPI per patient ({currency})", "se": "Standard error", "expected_loss": "Expected loss ({currency})",
    "parameter": "Parameter", "parameter_or_group": "Parameter or group", "description": "Description",
    "base_value": "Base value", "low": "Low", "high": "High", "range": "Range",
    "outcome_at_low": "Outcome at the low value", "outcome_at_high": "Outcome at the high value",
    "status_at_low": "Quadrant at the low value", "status_at_high": "Quadrant at the high value",
    "scenario": "Scenario", "threshold": "Threshold price ({currency})",
    "inmb_at_threshold": "Incremental NMB at the threshold ({currency})", "reason": "Note",
    "check": "Check", "kind": "Kind", "model": "Model value", "target": "Target", "passed": "Passed",
    "source": "Source", "outcome": "Outcome (code name)", "label": "Outcome",
    "strategy_or_increment": "Strategy or difference", "mean": "Mean", "p2_5": "2.5 % quantile",
    "p97_5": "97.5 % quantile", "name": "Parameter (code name)", "value": "Value", "distribution": "Distribution",
    "ci_low": "95 % CI low", "ci_high": "95 % CI high", "alpha": "Alpha", "beta": "Beta", "lower": "Lower bound",
    "upper": "Upper bound", "group": "Group", "price_year": "Price year", "notes": "Notes",
    "uncertainty": "Distribution (fitted)", "draw": "Draw", "item": "Item",
}
#: file stem → the headings its columns take there, where they differ from :data:`HEADINGS`
TABLE_HEADINGS = {
    "icers": {"effect": "Effect measure (code name)", "incremental_effect": "Incremental effect (unit of the measure)",
              "icer": "ICER ({currency} per unit of the measure)"},
    "dsa": {"outcome_at_low": "Outcome at the low value ({currency})",
            "outcome_at_high": "Outcome at the high value ({currency})", "range": "Range ({currency})"},
    "evppi": {"se": "Standard error ({currency})"},
    "checks": {"low": "Acceptable low", "high": "Acceptable high"},
    "parameters": {"label": "Label", "low": "One-way low", "high": "One-way high", "status": "Evidence status"},
    "cost_consequence": {"kind": "Cost or consequence"},
}


@dataclass(frozen=True)
class Labels:
    """How a reader sees the names of a run: the currency, the unit of the main effect and the
    label of each strategy, parameter and outcome (code name → label)."""

    currency: str
    unit: str
    comparator: str
    strategies: Mapping[str, str]
    parameters: Mapping[str, str]
    outcomes: Mapping[str, str]

    def strategy(self, name) -> str:
        """A strategy's label; ``a - b`` (a difference of two strategies) as ``A − B``."""
        if name in self.strategies:
            return self.strategies[name]
        first, _, second = str(name).partition(" - ")
        if first in self.strategies and second in self.strategies:
            return f"{self.strategies[first]} {MINUS} {self.strategies[second]}"
        return str(name)

    def parameter(self, name) -> str:
        return self.parameters.get(name, str(name))

    def heading(self, column: str, table: str = "") -> str:
        """The heading of ``column`` of the file stem ``table``: its words and unit, never a code name."""
        template = TABLE_HEADINGS.get(table, {}).get(column, HEADINGS.get(column))
        if template is not None:
            return template.format(currency=self.currency, unit=self.unit)
        if column in self.strategies:
            return self.strategies[column]
        for s, label in self.strategies.items():
            versus = f"{label} vs {self.strategy(self.comparator)}"
            if column == f"difference_{s}":
                return f"Difference, {versus}"
            if column == f"psa_mean_difference_{s}":
                return f"Difference, {versus}: PSA mean"
            if column in (f"difference_{s}_low", f"difference_{s}_high"):
                return f"Difference, {versus}: {'2.5' if column.endswith('_low') else '97.5'} % quantile"
        if (wtp := re.fullmatch(r"inmb_(\d+(?:\.\d+)?)", column)) is not None:
            return (f"Incremental NMB at {amount(float(wtp.group(1)), self.currency)} per {self.unit} "
                    f"({self.currency})")
        if column in self.outcomes:
            return self.outcomes[column]
        text = words(column)
        return text[:1].upper() + text[1:]


def labels_of(folder: Path, model: Model, meta: Mapping) -> Labels:
    """The labels of a results folder: those the run recorded in its meta (strategies,
    parameters: :attr:`~hecon.model.parameters.ParameterTable.labels`), else the model's
    strategy labels and the label or description of each row of the folder's parameter table;
    outcomes from its PSA summary and cost-consequence tables."""
    def mapping(value) -> dict[str, str]:
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}

    def column_labels(name: str, key: str, label: str) -> dict[str, str]:
        path = folder / name
        table = pd.read_csv(path) if path.exists() else None
        if table is None or not {key, label} <= set(table.columns):
            return {}
        return {str(k): str(v) for k, v in zip(table[key], table[label], strict=True) if pd.notna(v)}

    currency, unit = meta.get("currency"), meta.get("effect_unit")
    return Labels(
        currency=currency if isinstance(currency, str) else CURRENCY,
        unit=unit if isinstance(unit, str) else model.effects[0].unit,
        comparator=model.comparator,
        strategies=model.strategy_labels | mapping(meta.get("labels")),
        parameters=column_labels("parameters.csv", "name", "description")
        | column_labels("parameters.csv", "name", "label") | mapping(meta.get("parameter_labels")),
        outcomes=column_labels("psa_summary.csv", "outcome", "label")
        | column_labels("cost_consequence.csv", "outcome", "label"))

"""The figure registry: table stem → the figure drawn from that table.

Every command, the report and ``hecon report`` draw figures only through :func:`figures_of`,
from a Result's tables and meta — in memory, or read back from a results folder's CSVs and
manifest — so a figure is the same whichever command drew it. Text from the tables is escaped
first: plotly.js reads names as its own markup (``<a href>``, ``<br>``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from hecon.analysis.decision import DEFAULT_REPORT_WTP
from hecon.results import plots
from hecon.results.plots.style import CURRENCY
from hecon.results.plots.survival import survival_plot

Draw = Callable[[pd.DataFrame, Mapping[str, Any]], go.Figure | None]


def _units(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The currency, the unit of effect and the labels (code name → label) a figure shows."""
    return {"currency": meta.get("currency", CURRENCY), "effect_unit": meta.get("effect_unit", "QALY"),
            "labels": meta.get("labels")}


def _labels(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {"labels": meta.get("labels")}


def _first_wtp(meta: Mapping[str, Any]) -> float:
    return float((meta.get("report_wtp") or DEFAULT_REPORT_WTP)[0])


def _ce_plane(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure:
    strategies = list(dict.fromkeys(table["strategy"]))
    costs = table.pivot(index="draw", columns="strategy", values="cost")[strategies].to_numpy()
    effects = table.pivot(index="draw", columns="strategy", values="effect")[strategies].to_numpy()
    comparator = meta.get("comparator")
    return plots.ce_plane(costs, effects, strategies,
                          comparator=comparator if comparator in strategies else 0,
                          wtp=_first_wtp(meta), **_units(meta))


def _evppi(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure | None:
    return plots.evppi_plot(table, _first_wtp(meta), **_units(meta)) if len(table) else None


def _tornado(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure:
    return plots.tornado(table, meta.get("top", 15) or None, base=meta.get("base_outcome", 0.0),
                         measure=meta.get("measure", "outcome"), base_status=meta.get("base_status"),
                         **_labels(meta))


#: table stem → (figure stem, how to draw it)
FIGURES: dict[str, tuple[str, Draw]] = {
    "ce_plane": ("ce_plane", _ce_plane),
    "ceac": ("ceac", lambda t, m: plots.ceac_plot(t, **_units(m))),
    "evpi": ("evpi", lambda t, m: plots.evpi_plot(t, currency=_units(m)["currency"],
                                                  effect_unit=_units(m)["effect_unit"])),
    "evppi": ("evppi", _evppi),
    "expected_loss": ("expected_loss", lambda t, m: plots.expected_loss_plot(t, **_units(m))),
    "dsa": ("tornado", _tornado),
    "twoway": ("twoway", lambda t, m: plots.two_way_maps(t, m.get("measure", "outcome"), **_labels(m))),
    "threshold_curve": ("threshold", lambda t, m: plots.threshold_curve(t, m.get("currency", CURRENCY))),
    "gsa": ("gsa", lambda t, m: plots.gsa_bars(t, **_labels(m))),
    "survival_curves": ("survival", lambda t, m: survival_plot(
        t, title="Survival: Kaplan–Meier and parametric models")),
}


def escaped(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell HTML-escaped (plotly.js decodes entities, so the text is
    shown as written, never read as markup)."""
    table = table.copy()
    for column in table.select_dtypes(include=["object", "string"]):
        table[column] = table[column].map(lambda v: html.escape(v) if isinstance(v, str) else v)
    return table


def _escaped_value(value: Any) -> Any:
    """A meta value with its text escaped, in mappings too (labels)."""
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, Mapping):
        return {k: _escaped_value(v) for k, v in value.items()}
    return value


def figures_of(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> dict[str, go.Figure]:
    """Figure stem → figure, for every table the registry knows."""
    safe_meta = {k: _escaped_value(v) for k, v in meta.items()}
    drawn = {}
    for stem, (figure_stem, draw) in FIGURES.items():
        if stem in tables and tables[stem] is not None:
            figure = draw(escaped(tables[stem]), safe_meta)
            if figure is not None:
                drawn[figure_stem] = figure
    return drawn

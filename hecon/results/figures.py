"""The figure registry: table stem → the figure drawn from that table.

Every command, the report and ``hecon report`` draw figures only through :func:`figures_of`,
from a Result's tables and meta — in memory, or read back from a results folder's CSVs and
manifest — so a figure is the same whichever command drew it. Text from the tables is escaped
first: plotly.js reads names as its own markup (``<a href>``, ``<br>``).

Names are shown by their labels, read from the meta: strategies by ``labels``, parameters by
``parameter_labels`` (each falling back to the code name); the measure of a sensitivity
analysis is money when its ``outcome`` is one of :data:`MONEY_OUTCOMES`, and then its axis,
colour bar and hover carry the ``currency``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hecon.analysis.wtp import REPORT_WTP
from hecon.results import plots
from hecon.results.plots.effect import effect_threshold_plot
from hecon.results.plots.evsi import enbs_plot, evsi_plot
from hecon.results.plots.style import CURRENCY, house_template
from hecon.results.plots.survival import survival_plot

Draw = Callable[[pd.DataFrame, Mapping[str, Any]], go.Figure | None]


#: the measures of a sensitivity analysis that are money (``meta["outcome"]``)
MONEY_OUTCOMES = ("inmb", "cost", "icer")


def _units(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The currency, the unit of effect and the strategy labels (code name → label) a figure shows."""
    return {"currency": meta.get("currency", CURRENCY), "effect_unit": meta.get("effect_unit", "QALY"),
            "labels": meta.get("labels")}


def _parameters(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The parameter labels (code name → label) a figure shows."""
    return {"parameter_labels": meta.get("parameter_labels")}


def _measure_currency(meta: Mapping[str, Any]) -> str | None:
    """The currency of a sensitivity analysis's measure, or None when it is not money."""
    return meta.get("currency", CURRENCY) if meta.get("outcome") in MONEY_OUTCOMES else None


def _first_wtp(meta: Mapping[str, Any]) -> float:
    return float((meta.get("report_wtp") or REPORT_WTP)[0])


def _ce_plane(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure:
    strategies = list(pd.unique(table["strategy"]))  # in their order in the table
    wide = table.pivot(index="draw", columns="strategy", values=["cost", "effect"])
    costs, effects = (wide[value][strategies].to_numpy() for value in ("cost", "effect"))
    comparator = meta.get("comparator")
    return plots.ce_plane(costs, effects, strategies,
                          comparator=comparator if comparator in strategies else 0,
                          wtp=_first_wtp(meta), **_units(meta))


def _evpi(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure:
    units = _units(meta)
    return plots.evpi_plot(table, currency=units["currency"], effect_unit=units["effect_unit"])


def _evppi(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure | None:
    units = _units(meta)
    return plots.evppi_plot(table, _first_wtp(meta), currency=units["currency"], effect_unit=units["effect_unit"],
                            **_parameters(meta)) if len(table) else None


def _tornado(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure:
    return plots.tornado(table, meta.get("top", 15) or None, base=meta.get("base_outcome", 0.0),
                         measure=meta.get("measure", "outcome"), base_status=meta.get("base_status"),
                         currency=_measure_currency(meta), **_parameters(meta))


def _two_way(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure:
    return plots.two_way_maps(table, meta.get("measure", "outcome"), currency=_measure_currency(meta),
                              labels=meta.get("labels"), **_parameters(meta))


def _threshold(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure:
    units = _units(meta)
    return plots.threshold_curve(table, units["currency"], effect_unit=units["effect_unit"], **_parameters(meta))


def _effect_threshold(table: pd.DataFrame, meta: Mapping[str, Any]) -> go.Figure:
    units = _units(meta)
    return effect_threshold_plot(table, currency=units["currency"], effect_unit=units["effect_unit"],
                                 **_parameters(meta))


#: table stem → (figure stem, how to draw it)
FIGURES: dict[str, tuple[str, Draw]] = {
    "ce_plane": ("ce_plane", _ce_plane),
    "ceac": ("ceac", lambda t, m: plots.ceac_plot(t, **_units(m))),
    "evpi": ("evpi", _evpi),
    "evppi": ("evppi", _evppi),
    "expected_loss": ("expected_loss", lambda t, m: plots.expected_loss_plot(t, **_units(m))),
    "dsa": ("tornado", _tornado),
    "twoway": ("twoway", _two_way),
    "threshold_curve": ("threshold", _threshold),
    "effect_threshold_curve": ("effect_threshold", _effect_threshold),
    "gsa": ("gsa", lambda t, m: plots.gsa_bars(t, measure=m.get("measure"), **_parameters(m))),
    "evsi": ("evsi", lambda t, m: evsi_plot(t, running_n_per_arm=m.get("running_n_per_arm"), arms=m.get("trial_arms", 2),
                                            currency=_units(m)["currency"])),
    "enbs": ("enbs", lambda t, m: enbs_plot(t, running_n_per_arm=m.get("running_n_per_arm"), arms=m.get("trial_arms", 2),
                                            currency=_units(m)["currency"])),
    "survival_curves": ("survival", lambda t, m: survival_plot(
        t, title="Survival: Kaplan–Meier and parametric models")),
}


def escaped(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell HTML-escaped (plotly.js decodes entities, so the text is
    shown as written, never read as markup)."""
    table = table.copy()
    for column in table.select_dtypes(include=["object", "string"]):
        table[column] = _escaped_cells(table[column])
    return table


def _escaped_cells(cells: pd.Series) -> pd.Series:
    """``cells`` with each distinct text escaped once (a CE plane repeats each strategy's name
    on thousands of rows); missing and non-text cells as they are."""
    codes, distinct = pd.factorize(cells)  # a missing cell's code, −1, takes the last entries
    text = np.array([isinstance(v, str) for v in distinct] + [False])
    shown = np.array([html.escape(v) if isinstance(v, str) else v for v in distinct] + [None], dtype=object)
    return cells.where(~text[codes], shown[codes])


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
    with house_template():
        for stem, (figure_stem, draw) in FIGURES.items():
            if stem in tables and tables[stem] is not None:
                figure = draw(escaped(tables[stem]), safe_meta)
                if figure is not None:
                    drawn[figure_stem] = figure
    return drawn


def figures(result) -> dict[str, go.Figure]:
    """The figures of one Result (a notebook's ``figures(one_way(...))["tornado"]``)."""
    return figures_of(result.tables(), result.meta)

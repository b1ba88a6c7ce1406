"""Figures of the decision analysis: CE plane, CEAC/CEAF, EVPI, EVPPI, expected loss.

Each function draws what :mod:`hecon.analysis.cea` or :mod:`hecon.analysis.voi` computed (or the PSA draws
themselves for the CE plane) and returns a plotly Figure; none computes a result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hecon.errors import InputError

CURRENCY = "€"
EFFECT_UNIT = "QALY"

_QUADRANTS = {
    (1, 1): "NE: dearer, better",
    (-1, 1): "NW: dearer, worse (dominated)",
    (-1, -1): "SW: cheaper, worse",
    (1, -1): "SE: cheaper, better (dominant)",
}


def _wtp_title(currency: str, effect_unit: str) -> str:
    return f"Willingness to pay ({currency} per {effect_unit})"


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    figure.update_layout(title=title, template="plotly_white", legend_title_text="")
    figure.update_xaxes(title_text=x_title)
    figure.update_yaxes(title_text=y_title)
    return figure


def ce_plane(costs, effects, strategies: Sequence[str], comparator: str | int = 0,
             wtp: float | None = None, *, currency: str = CURRENCY,
             effect_unit: str = EFFECT_UNIT) -> go.Figure:
    """Cost-effectiveness plane of the PSA draws.

    With two strategies: the incremental cost and effect of the other strategy versus the
    ``comparator`` (name or index) in each draw, their mean, the quadrant labels and, given
    ``wtp``, the threshold line ΔC = λ·ΔE. With more strategies: the absolute cost and effect
    of every strategy's draws, with their means.
    """
    costs, effects = np.atleast_2d(costs), np.atleast_2d(effects)
    names = list(strategies)
    if len(names) != 2:
        figure = go.Figure()
        for j, name in enumerate(names):
            figure.add_trace(go.Scattergl(x=effects[:, j], y=costs[:, j], mode="markers",
                                          name=name, legendgroup=name, opacity=0.3,
                                          marker={"size": 3}))
        figure.add_trace(go.Scatter(x=effects.mean(axis=0), y=costs.mean(axis=0),
                                    mode="markers+text", text=names, textposition="top center",
                                    name="Mean", marker={"size": 12, "color": "black",
                                                         "symbol": "diamond"}))
        return _layout(figure, "Cost-effectiveness plane", f"Effect ({effect_unit})",
                       f"Cost ({currency})")

    if isinstance(comparator, str) and comparator not in names:
        raise InputError(f"unknown comparator '{comparator}'", fix=f"choose among: {', '.join(names)}")
    reference = names.index(comparator) if isinstance(comparator, str) else int(comparator)
    other = 1 - reference
    delta_effect = effects[:, other] - effects[:, reference]
    delta_cost = costs[:, other] - costs[:, reference]
    figure = go.Figure()
    figure.add_trace(go.Scattergl(x=delta_effect, y=delta_cost, mode="markers", name="PSA draws",
                                  opacity=0.3, marker={"size": 3}))
    figure.add_trace(go.Scatter(x=[delta_effect.mean()], y=[delta_cost.mean()], mode="markers",
                                name="Mean", marker={"size": 12, "color": "black",
                                                     "symbol": "diamond"}))
    reach = np.abs(delta_effect).max() or 1.0
    if wtp is not None:
        figure.add_trace(go.Scatter(x=[-reach, reach], y=[-wtp * reach, wtp * reach], mode="lines",
                                    name=f"λ = {wtp:,.0f} {currency}/{effect_unit}",
                                    line={"dash": "dash", "color": "grey"}))
    for (side, up), label in _QUADRANTS.items():
        figure.add_annotation(x=1.0 if side > 0 else 0.0, y=1.0 if up > 0 else 0.0,
                              xref="paper", yref="paper", text=label, showarrow=False,
                              xanchor="right" if side > 0 else "left",
                              yanchor="top" if up > 0 else "bottom", font={"color": "grey"})
    figure.add_hline(y=0, line_color="black", line_width=1)
    figure.add_vline(x=0, line_color="black", line_width=1)
    cost_range = np.abs(delta_cost).max() or 1.0
    figure.update_xaxes(range=[-1.1 * reach, 1.1 * reach])
    figure.update_yaxes(range=[-1.1 * cost_range, 1.1 * cost_range])
    return _layout(figure, f"Cost-effectiveness plane: {names[other]} versus {names[reference]}",
                   f"Incremental effect ({effect_unit})", f"Incremental cost ({currency})")


def ceac_plot(ceac_frame: pd.DataFrame, *, currency: str = CURRENCY,
              effect_unit: str = EFFECT_UNIT) -> go.Figure:
    """Cost-effectiveness acceptability curves, with the frontier (CEAF) marked.

    ``ceac_frame`` is :func:`hecon.analysis.cea.ceac`'s output (``wtp, strategy, probability,
    on_frontier``).
    """
    figure = go.Figure()
    for name, curve in ceac_frame.groupby("strategy", sort=False):
        figure.add_trace(go.Scatter(x=curve["wtp"], y=curve["probability"], mode="lines",
                                    name=str(name)))
    frontier = ceac_frame[ceac_frame["on_frontier"].astype(bool)]
    figure.add_trace(go.Scatter(x=frontier["wtp"], y=frontier["probability"], mode="markers",
                                name="Frontier (CEAF)", text=frontier["strategy"],
                                marker={"size": 5, "color": "black", "symbol": "circle-open"}))
    figure.update_yaxes(range=[0, 1.02])
    return _layout(figure, "Cost-effectiveness acceptability curves",
                   _wtp_title(currency, effect_unit), "Probability cost-effective")


def evpi_plot(evpi_frame: pd.DataFrame, *, currency: str = CURRENCY,
              effect_unit: str = EFFECT_UNIT) -> go.Figure:
    """EVPI per patient against the willingness to pay, with the population EVPI on a second
    axis when the frame has it (:func:`hecon.analysis.voi.evpi_table`'s output)."""
    population = "population_evpi" in evpi_frame
    figure = make_subplots(specs=[[{"secondary_y": population}]])
    figure.add_trace(go.Scatter(x=evpi_frame["wtp"], y=evpi_frame["evpi"], mode="lines",
                                name="Per patient"), secondary_y=False)
    if population:
        figure.add_trace(go.Scatter(x=evpi_frame["wtp"], y=evpi_frame["population_evpi"],
                                    mode="lines", name="Population", line={"dash": "dot"}),
                         secondary_y=True)
        figure.update_yaxes(title_text=f"Population EVPI ({currency})", secondary_y=True)
    _layout(figure, "Expected value of perfect information", _wtp_title(currency, effect_unit),
            f"EVPI per patient ({currency})")
    figure.update_yaxes(title_text=f"EVPI per patient ({currency})", secondary_y=False)
    return figure


def evppi_plot(evppi_frame: pd.DataFrame, wtp: float, *, currency: str = CURRENCY,
               effect_unit: str = EFFECT_UNIT) -> go.Figure:
    """EVPPI per patient of each parameter or group at one willingness to pay (the value of
    the frame's ``wtp`` closest to the one asked), as bars with ±1.96 SE error bars."""
    thresholds = evppi_frame["wtp"].unique()
    shown = thresholds[np.abs(thresholds - wtp).argmin()]
    bars = evppi_frame[evppi_frame["wtp"] == shown].sort_values("evppi")
    figure = go.Figure(go.Bar(
        x=bars["evppi"], y=bars["parameter_or_group"].astype(str), orientation="h", name="EVPPI",
        error_x={"type": "data", "array": 1.96 * bars["se"], "visible": bool(bars["se"].notna().any())},
    ))
    return _layout(figure, f"EVPPI at λ = {shown:,.0f} {currency} per {effect_unit}",
                   f"EVPPI per patient ({currency})", "")


def expected_loss_plot(loss_frame: pd.DataFrame, *, currency: str = CURRENCY,
                       effect_unit: str = EFFECT_UNIT) -> go.Figure:
    """Expected loss of each strategy against the willingness to pay
    (:func:`hecon.analysis.cea.expected_loss`'s output); the lowest curve at each λ is the EVPI."""
    figure = go.Figure()
    for name, curve in loss_frame.groupby("strategy", sort=False):
        figure.add_trace(go.Scatter(x=curve["wtp"], y=curve["expected_loss"], mode="lines",
                                    name=str(name)))
    return _layout(figure, "Expected loss", _wtp_title(currency, effect_unit),
                   f"Expected loss per patient ({currency})")


def decision_figures(analysis, *, comparator: str | int = 0, currency: str = CURRENCY,
                     effect_unit: str = EFFECT_UNIT) -> dict[str, go.Figure]:
    """The figures of a :class:`hecon.analysis.decision.DecisionAnalysis`, by file stem."""
    units = {"currency": currency, "effect_unit": effect_unit}
    figures = {
        "ce_plane": ce_plane(analysis.costs, analysis.effects, analysis.strategies,
                             comparator=comparator, wtp=float(analysis.report[0]), **units),
        "ceac": ceac_plot(analysis.ceac, **units),
        "evpi": evpi_plot(analysis.evpi, **units),
        "expected_loss": expected_loss_plot(analysis.expected_loss, **units),
    }
    if analysis.evppi is not None:
        figures["evppi"] = evppi_plot(analysis.evppi, float(analysis.report[0]), **units)
    return figures

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
from hecon.results.plots.style import (
    CURRENCY,
    EFFECT_UNIT,
    LABEL_LINES,
    LABEL_WIDTH,
    PROBABILITY,
    THOUSANDS,
    Labels,
    finish,
    label,
    labelled,
    money,
    named_rows,
    wrapped,
    wtp_title,
)

_QUADRANTS = {
    (1, 1): "NE: dearer, better",
    (-1, 1): "NW: dearer, worse (dominated)",
    (-1, -1): "SW: cheaper, worse",
    (1, -1): "SE: cheaper, better (dominant)",
}


def _point_hover(x_name: str, y_name: str, effect_unit: str, currency: str) -> str:
    """Hover text of a point of a CE plane: its effect and its cost, with units."""
    return (f"{x_name} %{{x:.4g}} {effect_unit}<br>{y_name} {money('y', currency)}"
            "<extra>%{fullData.name}</extra>")


def ce_plane(costs, effects, strategies: Sequence[str], comparator: str | int = 0,
             wtp: float | None = None, *, currency: str = CURRENCY,
             effect_unit: str = EFFECT_UNIT, labels: Labels = None) -> go.Figure:
    """Cost-effectiveness plane of the PSA draws.

    With two strategies: the incremental cost and effect of the other strategy versus the
    ``comparator`` (name or index) in each draw, their mean, the quadrant labels and, given
    ``wtp``, the threshold line ΔC = λ·ΔE. With more strategies: the absolute cost and effect
    of every strategy's draws, with their means. ``labels`` maps strategy names to labels.
    """
    costs, effects = np.atleast_2d(costs), np.atleast_2d(effects)
    names = list(strategies)
    if len(names) != 2:
        figure = go.Figure()
        hover = _point_hover("Effect", "Cost", effect_unit, currency)
        for j, name in enumerate(labelled(names, labels)):
            figure.add_trace(go.Scattergl(x=effects[:, j], y=costs[:, j], mode="markers",
                                          name=name, legendgroup=name, opacity=0.3,
                                          marker={"size": 3}, hovertemplate=hover))
        figure.add_trace(go.Scatter(x=effects.mean(axis=0), y=costs.mean(axis=0),
                                    mode="markers+text", text=labelled(names, labels),
                                    textposition="top center", name="Mean", hovertemplate=hover,
                                    marker={"size": 12, "color": "black", "symbol": "diamond"}))
        return finish(figure, "Cost-effectiveness plane", f"Effect ({effect_unit})",
                      f"Cost ({currency})", y_format=THOUSANDS)

    if isinstance(comparator, str) and comparator not in names:
        raise InputError(f"unknown comparator '{comparator}'", fix=f"choose among: {', '.join(names)}")
    reference = names.index(comparator) if isinstance(comparator, str) else int(comparator)
    other = 1 - reference
    delta_effect = effects[:, other] - effects[:, reference]
    delta_cost = costs[:, other] - costs[:, reference]
    hover = _point_hover("ΔE", "ΔC", effect_unit, currency)
    figure = go.Figure()
    figure.add_trace(go.Scattergl(x=delta_effect, y=delta_cost, mode="markers", name="PSA draws",
                                  opacity=0.3, marker={"size": 3}, hovertemplate=hover))
    figure.add_trace(go.Scatter(x=[delta_effect.mean()], y=[delta_cost.mean()], mode="markers",
                                name="Mean", marker={"size": 12, "color": "black", "symbol": "diamond"},
                                hovertemplate=hover))
    reach = np.abs(delta_effect).max() or 1.0
    if wtp is not None:
        figure.add_trace(go.Scatter(x=[-reach, reach], y=[-wtp * reach, wtp * reach], mode="lines",
                                    name=f"λ = {currency}{wtp:,.0f} per {effect_unit}", hoverinfo="skip",
                                    line={"dash": "dash", "color": "grey"}))
    for (side, up), quadrant in _QUADRANTS.items():
        figure.add_annotation(x=1.0 if side > 0 else 0.0, y=1.0 if up > 0 else 0.0,
                              xref="paper", yref="paper", text=quadrant, showarrow=False,
                              xanchor="right" if side > 0 else "left",
                              yanchor="top" if up > 0 else "bottom", font={"color": "grey"})
    figure.add_hline(y=0, line_color="black", line_width=1)
    figure.add_vline(x=0, line_color="black", line_width=1)
    cost_range = np.abs(delta_cost).max() or 1.0
    figure.update_xaxes(range=[-1.1 * reach, 1.1 * reach])
    figure.update_yaxes(range=[-1.1 * cost_range, 1.1 * cost_range])
    return finish(figure, f"Cost-effectiveness plane: {label(names[other], labels)} versus "
                  f"{label(names[reference], labels)}", f"Incremental effect ({effect_unit})",
                  f"Incremental cost ({currency})", y_format=THOUSANDS)


def _wtp_curves(frame: pd.DataFrame, value: str, hover: str, labels: Labels) -> go.Figure:
    """One line per strategy of ``value`` against the willingness to pay."""
    figure = go.Figure()
    for name, curve in frame.groupby("strategy", sort=False):
        figure.add_trace(go.Scatter(x=curve["wtp"], y=curve[value], mode="lines", name=label(name, labels),
                                    hovertemplate=hover))
    return figure


def ceac_plot(ceac_frame: pd.DataFrame, *, currency: str = CURRENCY,
              effect_unit: str = EFFECT_UNIT, labels: Labels = None) -> go.Figure:
    """Cost-effectiveness acceptability curves, with the frontier (CEAF) marked.

    ``ceac_frame`` is :func:`hecon.analysis.cea.ceac`'s output (``wtp, strategy, probability,
    on_frontier``); ``labels`` maps strategy names to labels.
    """
    hover = f"%{{y:.0%}} at λ = {money('x', currency)}<extra>%{{fullData.name}}</extra>"
    figure = _wtp_curves(ceac_frame, "probability", hover, labels)
    frontier = ceac_frame[ceac_frame["on_frontier"].astype(bool)]
    figure.add_trace(go.Scatter(x=frontier["wtp"], y=frontier["probability"], mode="markers",
                                name="Frontier (CEAF)", text=labelled(frontier["strategy"], labels),
                                hovertemplate=f"%{{text}}: {hover}",
                                marker={"size": 5, "color": "black", "symbol": "circle-open"}))
    figure.update_yaxes(range=[0, 1.02])
    return finish(figure, "Cost-effectiveness acceptability curves", wtp_title(currency, effect_unit),
                  "Probability cost-effective", x_format=THOUSANDS, y_format=PROBABILITY)


def evpi_plot(evpi_frame: pd.DataFrame, *, currency: str = CURRENCY,
              effect_unit: str = EFFECT_UNIT) -> go.Figure:
    """EVPI per patient against the willingness to pay, with the population EVPI on a second
    axis when the frame has it (:func:`hecon.analysis.voi.evpi_table`'s output)."""
    population = "population_evpi" in evpi_frame
    hover = f"{money('y', currency)} at λ = {money('x', currency)}<extra>%{{fullData.name}}</extra>"
    figure = make_subplots(specs=[[{"secondary_y": population}]])
    figure.add_trace(go.Scatter(x=evpi_frame["wtp"], y=evpi_frame["evpi"], mode="lines",
                                name="Per patient", hovertemplate=hover), secondary_y=False)
    if population:
        figure.add_trace(go.Scatter(x=evpi_frame["wtp"], y=evpi_frame["population_evpi"],
                                    mode="lines", name="Population", line={"dash": "dot"},
                                    hovertemplate=hover), secondary_y=True)
    finish(figure, "Expected value of perfect information", wtp_title(currency, effect_unit),
           f"EVPI per patient ({currency})", x_format=THOUSANDS, y_format=THOUSANDS)
    if population:
        figure.update_yaxes(title_text=f"Population EVPI ({currency})", secondary_y=True)
    return figure


def evppi_plot(evppi_frame: pd.DataFrame, wtp: float, *, currency: str = CURRENCY,
               effect_unit: str = EFFECT_UNIT, parameter_labels: Labels = None) -> go.Figure:
    """EVPPI per patient of each parameter or group at one willingness to pay (the value of
    the frame's ``wtp`` closest to the one asked), as bars with ±1.96 SE error bars, the
    largest on top; a parameter is shown by its label, a group by its name."""
    thresholds = evppi_frame["wtp"].unique()
    shown = thresholds[np.abs(thresholds - wtp).argmin()]
    bars = evppi_frame[evppi_frame["wtp"] == shown].sort_values("evppi")
    names = labelled(bars["parameter_or_group"], parameter_labels)
    figure = go.Figure(go.Bar(
        x=bars["evppi"], y=np.arange(len(bars)), orientation="h", name="EVPPI", customdata=names,
        error_x={"type": "data", "array": 1.96 * bars["se"], "visible": bool(bars["se"].notna().any())},
        hovertemplate=f"%{{customdata}}: {money('x', currency)}<extra></extra>",
    ))
    figure.update_layout(height=max(400, 30 * len(bars) + 180))
    named_rows(figure, [wrapped(name, LABEL_WIDTH, LABEL_LINES) for name in names])
    return finish(figure, f"EVPPI at λ = {currency}{shown:,.0f} per {effect_unit}",
                  f"EVPPI per patient ({currency})", "", x_format=THOUSANDS)


def expected_loss_plot(loss_frame: pd.DataFrame, *, currency: str = CURRENCY,
                       effect_unit: str = EFFECT_UNIT, labels: Labels = None) -> go.Figure:
    """Expected loss of each strategy against the willingness to pay
    (:func:`hecon.analysis.cea.expected_loss`'s output); the lowest curve at each λ is the EVPI.
    ``labels`` maps strategy names to labels."""
    hover = f"{money('y', currency)} at λ = {money('x', currency)}<extra>%{{fullData.name}}</extra>"
    figure = _wtp_curves(loss_frame, "expected_loss", hover, labels)
    return finish(figure, "Expected loss", wtp_title(currency, effect_unit),
                  f"Expected loss per patient ({currency})", x_format=THOUSANDS, y_format=THOUSANDS)

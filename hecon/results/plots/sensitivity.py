"""Figures of the sensitivity analyses: tornado, two-way heat maps, threshold curve, GSA bars.
Each draws a table computed by :mod:`hecon.analysis.sensitivity` or :mod:`hecon.analysis.gsa`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hecon.results.plots.style import (
    CURRENCY,
    EFFECT_UNIT,
    THOUSANDS,
    Labels,
    finish,
    label,
    labelled,
    wrapped,
    wtp_title,
)


def _number(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def tornado(one_way: pd.DataFrame, top: int | None = 15, *, base: float = 0.0,
            measure: str = "outcome", base_status: str | None = None, labels: Labels = None) -> go.Figure:
    """Horizontal bars from the base-case outcome to the outcome at each parameter's low and
    high value, widest on top; labels give the parameter and its range.

    For an ICER, an end whose increment falls in another quadrant than the base case's
    (dominant, dominated, SW) is drawn as a marker at the base line labelled with that status,
    on the side away from the other bar, instead of a bar to a meaningless ratio.
    ``labels`` maps parameter names to labels.
    """
    frame = (one_way.head(top) if top else one_way).iloc[::-1]
    rows = [f"{label(p, labels)} ({_number(lo)} – {_number(hi)})"
            for p, lo, hi in zip(frame.parameter, frame.low, frame.high, strict=True)]
    figure = go.Figure()
    for side, other, colour in (("low", "high", "#4C78A8"), ("high", "low", "#F58518")):
        values = frame[f"outcome_at_{side}"].to_numpy(dtype=float)
        if f"status_at_{side}" in frame:
            status = frame[f"status_at_{side}"].astype(str).to_numpy()
            crossed = status != base_status
            values = np.where(crossed, base, values)
            right = frame[f"outcome_at_{other}"].to_numpy(dtype=float) <= base
            figure.add_scatter(y=np.asarray(rows)[crossed], x=np.full(crossed.sum(), base), mode="markers+text",
                               marker={"symbol": "x", "color": colour, "size": 10}, showlegend=False,
                               text=[f" {s} " for s in status[crossed]],
                               textposition=np.where(right[crossed], "middle right", "middle left"))
        figure.add_bar(y=rows, x=values - base, base=base, orientation="h", name=f"parameter at {side}",
                       marker_color=colour)
    figure.add_vline(x=base, line_dash="dash")
    figure.update_layout(barmode="overlay", height=max(400, 28 * len(frame) + 150),
                         legend={"orientation": "h", "y": -0.2})
    return finish(figure, f"One-way sensitivity analysis (base case {_number(base)})", wrapped(measure), "",
                  x_format=THOUSANDS)


def two_way_maps(grid: pd.DataFrame, measure: str = "incremental NMB", *, labels: Labels = None) -> go.Figure:
    """Heat maps of the measure (diverging around 0) and of the optimal strategy (one colour
    per strategy) over a two-way grid; ``labels`` maps parameter and strategy names to labels."""
    x, y = grid["x"].iloc[0], grid["y"].iloc[0]
    table = grid.pivot(index="y_value", columns="x_value", values="outcome")
    strategies = sorted(grid["optimal"].unique())
    codes = grid.assign(code=grid["optimal"].map({s: i for i, s in enumerate(strategies)}))
    optimal = codes.pivot(index="y_value", columns="x_value", values="code")
    colours = px.colors.qualitative.Set2
    steps = [(edge, colours[i % len(colours)]) for i in range(len(strategies))
             for edge in (i / len(strategies), (i + 1) / len(strategies))]
    figure = make_subplots(1, 2, subplot_titles=("Outcome", "Optimal strategy"), horizontal_spacing=0.22)
    figure.add_heatmap(x=table.columns, y=table.index, z=table.to_numpy(), colorscale="RdBu", zmid=0,
                       colorbar={"x": 0.39, "tickformat": THOUSANDS}, row=1, col=1)
    figure.add_heatmap(x=optimal.columns, y=optimal.index, z=optimal.to_numpy(), colorscale=steps,
                       zmin=-0.5, zmax=len(strategies) - 0.5,
                       colorbar={"tickvals": list(range(len(strategies))), "ticktext": labelled(strategies, labels)},
                       row=1, col=2)
    finish(figure, f"Two-way sensitivity analysis<br><sup>{measure}</sup>", label(x, labels), "")
    figure.update_yaxes(title_text=label(y, labels), row=1, col=1)
    return figure


def threshold_curve(frame: pd.DataFrame, unit: str = CURRENCY, *, effect_unit: str = EFFECT_UNIT,
                    labels: Labels = None) -> go.Figure:
    """The threshold value of the parameter against the willingness to pay (value-based price);
    ``unit`` is the currency, ``labels`` maps the parameter name to its label."""
    parameter = label(frame["parameter"].iloc[0], labels)
    figure = go.Figure(go.Scatter(x=frame["wtp"], y=frame["threshold"], mode="lines+markers", name=parameter,
                                  hovertemplate=f"%{{y:,.4g}} at λ = {unit}%{{x:,.0f}}<extra></extra>"))
    return finish(figure, f"Threshold of {parameter} by willingness to pay", wtp_title(unit, effect_unit),
                  wrapped(f"{parameter} at INMB = 0"), x_format=THOUSANDS, y_format=THOUSANDS)


def gsa_bars(indices: pd.DataFrame, top: int | None = 20, *, labels: Labels = None) -> go.Figure:
    """Sobol' S1 and ST with their confidence intervals, or Morris μ* and σ; ``labels`` maps
    parameter names to labels."""
    frame = indices.head(top) if top else indices
    parameters = labelled(frame["parameter"], labels)
    figure = go.Figure()
    if "ST" in frame:
        for column in ("S1", "ST"):
            figure.add_bar(x=parameters, y=frame[column], name=column,
                           error_y={"type": "data", "array": frame[f"{column}_conf"]})
        title, axis = "Sobol' indices", "Share of the output variance"
    else:
        figure.add_bar(x=parameters, y=frame["mu_star"], name="μ*",
                       error_y={"type": "data", "array": frame["mu_star_conf"]})
        figure.add_bar(x=parameters, y=frame["sigma"], name="σ")
        title, axis = "Morris elementary effects", "effect per unit of probability"
    figure.update_layout(barmode="group")
    return finish(figure, title, "", axis)

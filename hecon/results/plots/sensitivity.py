"""Figures of the sensitivity analyses: tornado, two-way heat maps, threshold curve, GSA bars.
Each draws a table computed by :mod:`hecon.analysis.sensitivity` or :mod:`hecon.analysis.gsa`.

Parameters are shown by their labels (``parameter_labels``), strategies by theirs (``labels``).
Given ``currency``, the measure is money: its axis, colour bar and hover show the currency with
thousands separators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from hecon.results.plots.style import (
    CURRENCY,
    EFFECT_UNIT,
    LABEL_LINES,
    LABEL_WIDTH,
    THOUSANDS,
    Labels,
    amount,
    finish,
    label,
    labelled,
    named_rows,
    wrapped,
    wtp_title,
)

#: pixels per line of a row's label, and around it
LINE_HEIGHT, ROW_PADDING = 16, 14


def _money_axis(currency: str | None) -> dict:
    """Tick settings of an axis (or a colour bar) of the measure: separators, and the currency."""
    return {"tickformat": THOUSANDS, **({"tickprefix": currency} if currency else {})}


def tornado(one_way: pd.DataFrame, top: int | None = 15, *, base: float = 0.0,
            measure: str = "outcome", base_status: str | None = None, currency: str | None = None,
            parameter_labels: Labels = None) -> go.Figure:
    """Horizontal bars from the base-case outcome to the outcome at each parameter's low and
    high value, widest on top; each row names the parameter (its label, wrapped) and its range,
    and its hover gives the full label and the outcome at each end.

    For an ICER, an end whose increment falls in another quadrant than the base case's
    (dominant, dominated, SW) is drawn as a marker at the base line labelled with that status,
    on the side away from the other bar, instead of a bar to a meaningless ratio.
    """
    frame = (one_way.head(top) if top else one_way).iloc[::-1]
    names = labelled(frame.parameter, parameter_labels)
    rows = [f"{wrapped(name, LABEL_WIDTH, LABEL_LINES)}<br>{amount(lo)} – {amount(hi)}"
            for name, lo, hi in zip(names, frame.low, frame.high, strict=True)]
    position = np.arange(len(frame))
    figure = go.Figure()
    for side, other, colour in (("low", "high", "#4C78A8"), ("high", "low", "#F58518")):
        values = frame[f"outcome_at_{side}"].to_numpy(dtype=float)
        shown = [amount(v, currency) for v in values]
        if f"status_at_{side}" in frame:
            status = frame[f"status_at_{side}"].astype(str).to_numpy()
            crossed = status != base_status
            values = np.where(crossed, base, values)
            shown = np.where(crossed, status, shown)
            right = frame[f"outcome_at_{other}"].to_numpy(dtype=float) <= base
            figure.add_scatter(y=position[crossed], x=np.full(crossed.sum(), base), mode="markers+text",
                               marker={"symbol": "x", "color": colour, "size": 10}, showlegend=False,
                               text=[f" {s} " for s in status[crossed]], hoverinfo="skip",
                               textposition=np.where(right[crossed], "middle right", "middle left"))
        hover = [f"{name}<br>at {side} value {amount(v)}: {result}"
                 for name, v, result in zip(names, frame[side], shown, strict=True)]
        figure.add_bar(y=position, x=values - base, base=base, orientation="h", marker_color=colour,
                       name=f"Parameter at its {side} value", hovertext=hover, hoverinfo="text")
    figure.add_vline(x=base, line_dash="dash")
    lines = max((row.count("<br>") + 1 for row in rows), default=1)
    figure.update_layout(barmode="overlay", height=max(400, len(frame) * (LINE_HEIGHT * lines + ROW_PADDING) + 180),
                         legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1, "yanchor": "bottom"})
    named_rows(figure, rows)
    figure.update_xaxes(**_money_axis(currency))
    return finish(figure, f"One-way sensitivity analysis<br><sup>base case {amount(base, currency)}</sup>",
                  wrapped(measure), "")


def two_way_maps(grid: pd.DataFrame, measure: str = "incremental NMB", *, currency: str | None = None,
                 labels: Labels = None, parameter_labels: Labels = None) -> go.Figure:
    """Heat maps of the measure (diverging around 0) and of the optimal strategy (one colour
    per strategy) over a two-way grid, the two parameters on the axes."""
    x, y = (label(grid[axis].iloc[0], parameter_labels) for axis in ("x", "y"))
    table = grid.pivot(index="y_value", columns="x_value", values="outcome")
    strategies = sorted(grid["optimal"].unique())
    named = grid.assign(code=grid["optimal"].map({s: i for i, s in enumerate(strategies)}),
                        name=labelled(grid["optimal"], labels))
    optimal = named.pivot(index="y_value", columns="x_value", values="code")
    optimal_names = named.pivot(index="y_value", columns="x_value", values="name")
    colours = qualitative.Set2
    steps = [(edge, colours[i % len(colours)]) for i in range(len(strategies))
             for edge in (i / len(strategies), (i + 1) / len(strategies))]
    point = f"{x}: %{{x:,.4g}}<br>{y}: %{{y:,.4g}}<br>"
    value = f"{currency}%{{z:,.0f}}" if currency else "%{z:,.4g}"
    figure = make_subplots(1, 2, subplot_titles=("Outcome", "Optimal strategy"), horizontal_spacing=0.22)
    figure.add_heatmap(x=table.columns, y=table.index, z=table.to_numpy(), colorscale="RdBu", zmid=0,
                       colorbar={"x": 0.39, **_money_axis(currency)}, row=1, col=1,
                       hovertemplate=f"{point}{wrapped(measure)}: {value}<extra></extra>")
    figure.add_heatmap(x=optimal.columns, y=optimal.index, z=optimal.to_numpy(), colorscale=steps,
                       zmin=-0.5, zmax=len(strategies) - 0.5, text=optimal_names.to_numpy(),
                       colorbar={"tickvals": list(range(len(strategies))), "ticktext": labelled(strategies, labels)},
                       hovertemplate=f"{point}optimal: %{{text}}<extra></extra>", row=1, col=2)
    finish(figure, f"Two-way sensitivity analysis<br><sup>{measure}</sup>", wrapped(x, LABEL_WIDTH), "")
    figure.update_yaxes(title_text=wrapped(y, LABEL_WIDTH), row=1, col=1)
    return figure


def threshold_curve(frame: pd.DataFrame, currency: str = CURRENCY, *, effect_unit: str = EFFECT_UNIT,
                    parameter_labels: Labels = None) -> go.Figure:
    """The threshold value of the parameter against the willingness to pay (value-based price)."""
    parameter = label(frame["parameter"].iloc[0], parameter_labels)
    figure = go.Figure(go.Scatter(x=frame["wtp"], y=frame["threshold"], mode="lines+markers", name=parameter,
                                  hovertemplate=f"%{{y:,.4g}} at λ = {currency}%{{x:,.0f}}<extra></extra>"))
    return finish(figure, f"Threshold analysis: {wrapped(parameter, 70)}<br><sup>the value at which the "
                  "incremental net monetary benefit is zero, by willingness to pay</sup>",
                  wtp_title(currency, effect_unit), wrapped(f"{parameter} at INMB = 0"),
                  x_format=THOUSANDS, y_format=THOUSANDS)


def gsa_bars(indices: pd.DataFrame, top: int | None = 20, *, measure: str | None = None,
             parameter_labels: Labels = None) -> go.Figure:
    """Sobol' S1 and ST with their confidence intervals, or Morris μ* and σ, one row per
    parameter, the most influential on top."""
    frame = (indices.head(top) if top else indices).iloc[::-1]
    names = labelled(frame["parameter"], parameter_labels)
    position = np.arange(len(frame))
    figure = go.Figure()
    if "ST" in frame:
        bars = [("S1", "S1", "S1_conf"), ("ST", "ST", "ST_conf")]
        title, axis = "Sobol' indices", "Share of the output variance"
    else:
        bars = [("μ*", "mu_star", "mu_star_conf"), ("σ", "sigma", None)]
        title, axis = "Morris elementary effects", "Elementary effect (output per unit of probability)"
    for name, column, error in bars:
        figure.add_bar(y=position, x=frame[column], name=name, orientation="h", hoverinfo="text",
                       hovertext=[f"{n}<br>{name} = {v:,.3g}" for n, v in zip(names, frame[column], strict=True)],
                       **({"error_x": {"type": "data", "array": frame[error]}} if error else {}))
    figure.update_layout(barmode="group", height=max(400, len(frame) * (2 * LINE_HEIGHT + 2 * ROW_PADDING) + 180),
                         legend={"traceorder": "reversed"})  # as the bars of a row read, top down
    named_rows(figure, [wrapped(n, LABEL_WIDTH, LABEL_LINES) for n in names])
    return finish(figure, f"{title}<br><sup>{measure}</sup>" if measure else title, axis, "")

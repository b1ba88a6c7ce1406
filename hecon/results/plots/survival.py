"""Survival curves: Kaplan–Meier with its interval, and parametric fits drawn over it."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from hecon.results.plots.style import themed

KAPLAN_MEIER = "Kaplan–Meier"


def survival_plot(curves: pd.DataFrame, *, title: str = "Survival", time_unit: str = "days") -> go.Figure:
    """One panel per group (arm): the Kaplan–Meier step curve with its 95 % band, and each
    parametric model's survival curve, dashed.

    ``curves`` is tidy: ``arm, curve, time, survival`` and, for the Kaplan–Meier rows
    (``curve == "Kaplan–Meier"``), ``lower`` and ``upper``.
    """
    arms = list(dict.fromkeys(curves["arm"]))
    models = [c for c in dict.fromkeys(curves["curve"]) if c != KAPLAN_MEIER]
    colours = dict(zip(models, qualitative.Plotly, strict=False))
    figure = make_subplots(rows=1, cols=len(arms), subplot_titles=arms, shared_yaxes=True)
    for col, arm in enumerate(arms, start=1):
        rows = curves[curves["arm"] == arm]
        km = rows[rows["curve"] == KAPLAN_MEIER]
        first = col == 1
        figure.add_trace(go.Scatter(x=km["time"], y=km["upper"], mode="lines", line={"width": 0, "shape": "hv"},
                                    showlegend=False, hoverinfo="skip"), row=1, col=col)
        figure.add_trace(go.Scatter(x=km["time"], y=km["lower"], mode="lines", fill="tonexty",
                                    line={"width": 0, "shape": "hv"}, fillcolor="rgba(0,0,0,0.12)",
                                    name="95 % interval", legendgroup="band", showlegend=first),
                         row=1, col=col)
        figure.add_trace(go.Scatter(x=km["time"], y=km["survival"], mode="lines", name=KAPLAN_MEIER,
                                    legendgroup=KAPLAN_MEIER, showlegend=first,
                                    line={"color": "black", "shape": "hv"}), row=1, col=col)
        for name in models:
            fit = rows[rows["curve"] == name]
            figure.add_trace(go.Scatter(x=fit["time"], y=fit["survival"], mode="lines", name=name,
                                        legendgroup=name, showlegend=first,
                                        line={"color": colours[name], "dash": "dash"}), row=1, col=col)
    themed(figure, title=title, legend_title_text="")
    figure.update_xaxes(title_text=f"Time from randomisation ({time_unit})")
    figure.update_yaxes(title_text="Proportion alive", range=[0, 1.02], col=1)
    return figure

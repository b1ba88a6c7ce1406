"""Figure of the threshold of the effect: the probability that a strategy is cost-effective
against the true value of its effect (table ``effect_threshold_curve`` of
:func:`hecon.analysis.effect.effect_threshold`)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from hecon.results.plots.style import CURRENCY, Labels, finish, label, wrapped


def effect_threshold_plot(curve: pd.DataFrame, *, currency: str = CURRENCY,
                          effect_unit: str = "QALY", parameter_labels: Labels = None) -> go.Figure:
    """One line per willingness to pay: the share of PSA draws in which the strategy is
    cost-effective when the effect takes the value on the x axis (log scale), the draw's other
    parameters held; the 50 % line marks the median threshold."""
    name = label(curve["parameter"].iloc[0], parameter_labels)
    figure = go.Figure()
    for lam, rows in curve.groupby("wtp", sort=True):
        figure.add_trace(go.Scatter(
            x=rows["value"], y=rows["probability_cost_effective"], mode="lines+markers",
            name=f"λ = {currency}{lam:,.0f} per {effect_unit}",
            hovertemplate="%{x:.3g}: %{y:.0%}<extra>%{fullData.name}</extra>"))
    figure.add_hline(y=0.5, line={"dash": "dot", "color": "grey"})
    finish(figure, f"What the effect must be: {wrapped(name, 70)}<br><sup>probability cost-effective if the "
           "effect takes this value, over the PSA draws of every other parameter</sup>",
           wrapped(name), "Probability cost-effective", y_format=".0%")
    if (curve["value"] > 0).all():  # a log grid (a ratio); a range reaching 0 or below is linear
        figure.update_xaxes(type="log")
    return figure

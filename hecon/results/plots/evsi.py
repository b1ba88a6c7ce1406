"""Figures of the value of sample information: EVSI and ENBS against the trial's size."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from hecon.results.plots.style import CURRENCY, THOUSANDS, finish, money


def _curves(figure: go.Figure, table: pd.DataFrame, value: str, currency: str, dash=None) -> None:
    """One line of ``value`` against ``n_per_arm`` per willingness to pay."""
    for lam, rows in table.groupby("wtp", sort=True):
        figure.add_trace(go.Scatter(
            x=rows["n_per_arm"], y=rows[value], mode="lines+markers", name=f"λ = {currency}{lam:,.0f}",
            line={"dash": dash}, legendgroup=str(lam),
            hovertemplate=f"n = %{{x:,}} per arm: {money('y', currency)}<extra>%{{fullData.name}}</extra>"))


def _running_trial(figure: go.Figure, n_per_arm: float | None, arms: int) -> None:
    if n_per_arm:
        figure.add_vline(x=n_per_arm, line={"dash": "dot", "color": "grey"},
                         annotation_text=f"running trial ({arms * n_per_arm:,.0f} patients)")


def evsi_plot(evsi_frame: pd.DataFrame, *, running_n_per_arm=None, arms: int = 2,
              currency: str = CURRENCY) -> go.Figure:
    """Population EVSI against the patients per arm, one line per willingness to pay, with its
    limit as n grows (``population_limit``, the EVPPI of what the trial observes) dashed and the
    running trial marked."""
    figure = go.Figure()
    _curves(figure, evsi_frame, "population_evsi", currency)
    if "population_limit" in evsi_frame:
        _curves(figure, evsi_frame, "population_limit", currency, dash="dash")
    _running_trial(figure, running_n_per_arm, arms)
    return finish(figure, "Expected value of sample information (population)", "Patients per arm",
                  f"Population EVSI ({currency})", x_format=THOUSANDS, y_format=THOUSANDS)


def enbs_plot(enbs_frame: pd.DataFrame, *, running_n_per_arm=None, arms: int = 2,
              currency: str = CURRENCY) -> go.Figure:
    """ENBS against the patients per arm, one line per willingness to pay, the optimum of each
    marked with a star, the running trial with a dotted line."""
    figure = go.Figure()
    _curves(figure, enbs_frame, "enbs", currency)
    best = enbs_frame[enbs_frame["optimal"].astype(bool)]
    figure.add_trace(go.Scatter(x=best["n_per_arm"], y=best["enbs"], mode="markers", name="optimal size",
                                marker={"symbol": "star", "size": 14, "color": "black"},
                                hovertemplate=f"optimum: n = %{{x:,}} per arm, {money('y', currency)}<extra></extra>"))
    figure.add_hline(y=0, line={"color": "grey"})
    _running_trial(figure, running_n_per_arm, arms)
    return finish(figure, "Expected net benefit of sampling", "Patients per arm", f"ENBS ({currency})",
                  x_format=THOUSANDS, y_format=THOUSANDS)

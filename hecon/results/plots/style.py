"""What every figure shares: the look, the units, readable labels and number formats.

Money and willingness to pay are shown with thousands separators and the currency in the axis
title ("Incremental cost (€)"); probabilities as percentages; every axis title names its unit.
Code names (strategies, parameters) are shown through ``labels`` (code name → label) where the
caller gives them, and as written otherwise.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping

import plotly.graph_objects as go

CURRENCY = "€"
EFFECT_UNIT = "QALY"
#: d3 formats: thousands separators (1,234,567; 0.5 stays 0.5), a probability as a percentage
THOUSANDS = ","
PROBABILITY = ".0%"
TEMPLATE = "plotly_white"

Labels = Mapping[str, str] | None


def label(name, labels: Labels = None) -> str:
    """The readable label of a code name, or the name itself."""
    return str(labels.get(name, name)) if labels else str(name)


def labelled(names: Iterable, labels: Labels = None) -> list[str]:
    """The readable label of each code name."""
    return [label(name, labels) for name in names]


def wrapped(title: str, width: int = 48) -> str:
    """A long axis title on several lines (plotly does not wrap text)."""
    return "<br>".join(textwrap.wrap(title, width)) or title


def wtp_title(currency: str = CURRENCY, effect_unit: str = EFFECT_UNIT) -> str:
    return f"Willingness to pay ({currency} per {effect_unit})"


def money(field: str, currency: str = CURRENCY) -> str:
    """A hover-template field shown as whole money units: ``money("y")`` → ``€%{y:,.0f}``."""
    return f"{currency}%{{{field}:,.0f}}"


def finish(figure: go.Figure, title: str, x_title: str, y_title: str, *,
           x_format: str | None = None, y_format: str | None = None) -> go.Figure:
    """The shared look: title, white template, untitled legend, axis titles and tick formats."""
    figure.update_layout(title=title, template=TEMPLATE, legend_title_text="")
    figure.update_xaxes(title_text=x_title, **({"tickformat": x_format} if x_format else {}))
    figure.update_yaxes(title_text=y_title, **({"tickformat": y_format} if y_format else {}))
    return figure

"""What every figure shares: the look, the units, readable labels and number formats.

Money and willingness to pay are shown with thousands separators and the currency in the axis
title ("Incremental cost (€)"); probabilities as percentages; every axis title names its unit.
Code names are shown through labels (code name → label) where the caller gives them, and as
written otherwise: ``labels`` for strategies, ``parameter_labels`` for parameters. A label on a
category axis is wrapped and cut after :data:`LABEL_LINES` lines of :data:`LABEL_WIDTH`
characters (:func:`wrapped`), its full text in the hover.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence

import plotly.graph_objects as go
import plotly.io as pio

from hecon.analysis.wtp import CURRENCY

EFFECT_UNIT = "QALY"
#: d3 formats: thousands separators (1,234,567; 0.5 stays 0.5), a probability as a percentage
THOUSANDS = ","
PROBABILITY = ".0%"
TEMPLATE = "plotly_white"
#: a label on a category axis: at most LABEL_LINES lines of LABEL_WIDTH characters
LABEL_WIDTH, LABEL_LINES = 36, 2

Labels = Mapping[str, str] | None


def label(name, labels: Labels = None) -> str:
    """The readable label of a code name, or the name itself."""
    return str(labels.get(name, name)) if labels else str(name)


def labelled(names: Iterable, labels: Labels = None) -> list[str]:
    """The readable label of each code name."""
    return [label(name, labels) for name in names]


def wrapped(text: str, width: int = 48, lines: int | None = None) -> str:
    """Long text on lines of at most ``width`` characters (plotly does not wrap text); with
    ``lines``, cut after that many lines, ending in "…". Words are never split, so an escaped
    character (``&lt;``) stays whole."""
    return "<br>".join(textwrap.wrap(text, width, max_lines=lines, placeholder=" …",
                                     break_long_words=False)) or text


def named_rows(figure: go.Figure, texts: Sequence[str], axis: str = "y") -> go.Figure:
    """Name the positions 0 … n − 1 of ``axis`` by ``texts`` (the bars of a tornado or a bar
    chart stand at those positions: a category axis would merge two equal labels)."""
    figure.update_layout({f"{axis}axis": {"tickvals": list(range(len(texts))), "ticktext": list(texts),
                                          "showgrid": False, "zeroline": False}})
    return figure


def amount(value: float, currency: str | None = None) -> str:
    """A value as text, as plotly writes its ticks: money as whole units with separators
    (€12,345, €−187), other values with four significant digits (0.4477; 12,345 above a
    thousand)."""
    sign = "−" if value < 0 else ""
    if currency:
        return f"{currency}{sign}{abs(value):,.0f}"
    return sign + (f"{abs(value):,.4g}" if abs(value) < 1000 else f"{abs(value):,.0f}")


def wtp_title(currency: str = CURRENCY, effect_unit: str = EFFECT_UNIT) -> str:
    return f"Willingness to pay ({currency} per {effect_unit})"


def money(field: str, currency: str = CURRENCY) -> str:
    """A hover-template field shown as whole money units: ``money("y")`` → ``€%{y:,.0f}``."""
    return f"{currency}%{{{field}:,.0f}}"


@contextlib.contextmanager
def house_template() -> Iterator[None]:
    """Within the block, every new figure starts with :data:`TEMPLATE` (plotly's
    ``templates.default``, restored on leaving). plotly applies its default template without
    validating it again: ≈ 3 ms a figure, where setting ``template=`` on each costs ≈ 27 ms;
    but it validates a template set as the default (0.08–0.2 s the first time, 0.01 s after), so
    a block inside another one (or with :data:`TEMPLATE` already the default) leaves it as it is."""
    previous = pio.templates.default
    if previous == TEMPLATE:
        yield
        return
    pio.templates.default = TEMPLATE
    try:
        yield
    finally:
        pio.templates.default = previous


def themed(figure: go.Figure, **layout) -> go.Figure:
    """``figure`` with ``layout`` and :data:`TEMPLATE` (already there within :func:`house_template`)."""
    if pio.templates.default != TEMPLATE:
        layout["template"] = TEMPLATE
    return figure.update_layout(**layout)


def finish(figure: go.Figure, title: str, x_title: str, y_title: str, *,
           x_format: str | None = None, y_format: str | None = None) -> go.Figure:
    """The shared look: title, white template, untitled legend, axis titles and tick formats."""
    themed(figure, title=title, legend_title_text="")
    figure.update_xaxes(title_text=x_title, **({"tickformat": x_format} if x_format else {}))
    figure.update_yaxes(title_text=y_title, **({"tickformat": y_format} if y_format else {}))
    return figure

"""The one shape of every analysis's result.

A :class:`Result` holds tidy tables keyed by their *stem* — the name of the CSV file the writer
gives them and the key of the figure registry (``hecon.results.figures``) — and ``meta``: what
a reader needs to read them and what the manifest records (units, labels, willingness-to-pay
values, options, seed). Nothing rides in ``DataFrame.attrs`` or side files, so a figure drawn
from a table read back from its CSV, with the meta read back from the manifest, is the figure
drawn from memory.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hecon.analysis.wtp import CURRENCY


@dataclass(frozen=True)
class Result:
    """An analysis's tables and their meta.

    Parameters
    ----------
    analysis:
        What was run (``base_case``, ``psa``, ``one_way``, ``two_way``, ``threshold``,
        ``scenarios``, ``gsa``, ``decision``, ``evpi`` …).
    frames:
        Table stem → tidy table, code names as keys.
    meta:
        Units, labels, WTP values, options, seed: JSON-serialisable values.
    key:
        The stem of the table a reader looks at first (shown in Jupyter).
    """

    analysis: str
    frames: Mapping[str, pd.DataFrame]
    meta: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Table stem → table."""
        return dict(self.frames)

    @property
    def table(self) -> pd.DataFrame:
        """The key table (the first one when no key is named)."""
        return self.frames[self.key or next(iter(self.frames))]

    @property
    def summary(self) -> str:
        """One line of context: the analysis and the meta a reader needs first."""
        shown = {k: v for k, v in self.meta.items() if isinstance(v, str | int | float) and k != "seed"}
        context = ", ".join(f"{k}: {v:,.6g}" if isinstance(v, float) else f"{k}: {v}"
                            for k, v in list(shown.items())[:4])
        return f"{self.analysis.replace('_', ' ')}" + (f" ({context})" if context else "")

    def _repr_html_(self) -> str:
        key = self.key or next(iter(self.frames), None)
        table = self.frames[key].to_html(index=False, max_rows=20) if key is not None else ""
        return f"<p><b>{html.escape(self.summary)}</b></p>{table}"


def merged_meta(metas: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The meta of several Results as one, as the figures of a results folder read it: a later
    value replaces an earlier one, except mappings (labels), which are united."""
    merged: dict[str, Any] = {}
    for meta in metas:
        for key, value in meta.items():
            earlier = merged.get(key)
            merged[key] = {**earlier, **value} if isinstance(earlier, Mapping) and isinstance(value, Mapping) else value
    return merged


def model_meta(model, table=None, parameters: Sequence[str] | None = None) -> dict[str, Any]:
    """The meta every Result of ``model`` carries for its reader: currency, unit of the main
    effect, comparator, strategy labels and, given the parameter ``table``, the labels of
    ``parameters`` (default: every parameter)."""
    effect = model.effects[0]
    meta = {"currency": CURRENCY, "effect_unit": effect.unit, "comparator": model.comparator,
            "labels": model.strategy_labels}
    if table is not None:
        labels = table.labels
        meta["parameter_labels"] = {name: labels[name] for name in (parameters or labels)}
    return meta

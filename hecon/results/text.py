"""Plain-text renderings of result tables for the console."""

from __future__ import annotations

import math
from collections.abc import Mapping

from hecon.analysis.wtp import CURRENCY


def _number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:,.1f}"
    return f"{value:,.4f}"


def console_table(result, labels: Mapping[str, str] | None = None) -> str:
    """The base case's cost-consequence and ICER tables, formatted for a terminal; strategies
    by their ``labels`` (code name → label), the differences from the comparator as Δ."""
    labels = dict(labels or {})
    cc = result.cost_consequence
    shown = cc.drop(columns=["outcome", "kind"]).set_index("label")
    shown = shown.rename(columns=lambda c: f"Δ {labels.get(c[11:], c[11:])}" if c.startswith("difference_")
                         else labels.get(c, c))
    text = shown.map(_number).to_string()
    ic = result.icers.copy()
    ic["strategy"] = ic["strategy"].map(lambda s: labels.get(s, s))
    ic["icer"] = [f"{_number(v)} per {per}" if status.startswith(("NE", "SW")) else "—"
                  for v, per, status in zip(ic["icer"], ic["per"], ic["status"], strict=True)]
    ic["incremental_cost"] = ic["incremental_cost"].map(_number)
    ic["incremental_effect"] = ic["incremental_effect"].map(_number)
    icer_text = ic[["strategy", "per", "incremental_cost", "incremental_effect", "icer", "status"]].to_string(index=False)
    return f"Cost-consequence table (costs in {CURRENCY})\n{text}\n\nICERs vs comparator\n{icer_text}"


__all__ = ["console_table"]

"""Plain-text renderings of result tables for the console."""

from __future__ import annotations

import math


def _number(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:,.1f}"
    return f"{value:,.4f}"


def console_table(result) -> str:
    """The base case's cost-consequence and ICER tables, formatted for a terminal."""
    cc = result.cost_consequence
    shown = cc.drop(columns=["outcome", "kind"]).set_index("label")
    text = shown.map(_number).to_string()
    ic = result.icers.copy()
    ic["icer"] = [f"{_number(v)} per {per}" if status.startswith(("NE", "SW")) else "—"
                  for v, per, status in zip(ic["icer"], ic["per"], ic["status"], strict=True)]
    ic["incremental_cost"] = ic["incremental_cost"].map(_number)
    ic["incremental_effect"] = ic["incremental_effect"].map(_number)
    icer_text = ic[["strategy", "per", "incremental_cost", "incremental_effect", "icer", "status"]].to_string(index=False)
    return f"Cost-consequence table (costs in EUR)\n{text}\n\nICERs vs comparator\n{icer_text}"


__all__ = ["console_table"]

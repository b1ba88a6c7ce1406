"""A model's parameter table rewritten from trial estimates, and the report of the fit.

Each estimated parameter's row keeps its name, description, unit and group; its value,
distribution and arguments come from the :class:`~hecon.trial.estimate.Estimate`; its source
becomes ``trial data, <SHA-256 of the data>``. Every other row is kept as it was (it still
comes from the literature), so the result is a complete table the model runs on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hecon.errors import ModelError
from hecon.model.distributions import Beta, Distribution, Fixed, Gamma, LogNormal, Normal
from hecon.model.parameters import ARGUMENTS, CELLS, COLUMNS, ParameterTable
from hecon.trial.estimate import Estimate


def _text(value: float) -> str:
    """A number as the shortest text that reads back to the same float."""
    return repr(float(value))


def _cells(estimate: Estimate) -> dict[str, str]:
    """The table's distribution cells for an estimate's distribution."""
    d: Distribution = estimate.distribution
    if isinstance(d, Beta):
        return {"distribution": "beta", "alpha": _text(d.alpha), "beta": _text(d.beta)}
    if isinstance(d, Gamma):
        return {"distribution": "gamma", "se": _text(estimate.se)}
    if isinstance(d, LogNormal):
        return {"distribution": "lognormal", "ci_low": _text(estimate.ci_low),
                "ci_high": _text(estimate.ci_high)}
    if isinstance(d, Normal):
        return {"distribution": "normal", "se": _text(d.sigma)}
    if isinstance(d, Fixed):
        return {"distribution": "fixed"}
    raise ModelError(f"no table form for a {type(d).__name__} estimate")


def raw_rows(path: str | Path) -> pd.DataFrame:
    """A parameter table's cells as text, after validating it."""
    ParameterTable.load(path)
    cells = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return cells[[c for c in CELLS if c in COLUMNS or c in cells]]  # an optional column kept if there


def fitted_table(path: str | Path, estimates: Mapping[str, Estimate], source: str) -> pd.DataFrame:
    """The table at ``path`` with the rows of ``estimates`` (parameter name → estimate)
    replaced, as text cells in the table's schema; validated as on load."""
    rows = raw_rows(path)
    position = pd.Index(rows["name"])
    for name, estimate in estimates.items():
        if name not in position:
            raise ModelError(f"the parameter table {path} has no parameter '{name}'")
        i = position.get_loc(name)
        cells = dict.fromkeys((*ARGUMENTS, "low", "high"), "")
        cells |= _cells(estimate)
        cells |= {"value": _text(estimate.value), "status": "verified", "source": source,
                  "notes": f"{estimate.method}; n = {estimate.n}"}
        for column, cell in cells.items():
            rows.iat[i, rows.columns.get_loc(column)] = cell
    ParameterTable(rows.to_dict("records"), list(range(2, len(rows) + 2)), Path(path))
    return rows


@dataclass(frozen=True)
class TrialFit:
    """What ``hecon trial fit`` writes: the fitted parameter table, every estimate (those
    behind the table name their ``parameter``), the survival model comparison, the curves of
    the survival figure (Kaplan–Meier and fitted models), and the report (Markdown)."""

    table: pd.DataFrame
    estimates: pd.DataFrame
    survival_models: pd.DataFrame
    curves: pd.DataFrame
    report: str
    digest: str

    def tables(self) -> dict[str, pd.DataFrame]:
        """Table stem → table: ``parameters`` (the fitted table), ``estimates``,
        ``survival_models``."""
        return {"parameters": self.table, "estimates": self.estimates,
                "survival_models": self.survival_models}


def _block(frame: pd.DataFrame) -> str:
    text = frame.to_string(index=False, float_format=lambda v: f"{v:.4g}")
    return f"```\n{text}\n```"


def fit_report(title: str, sections: Mapping[str, pd.DataFrame | str]) -> str:
    """A Markdown report: a title, then each section's heading and its text or table."""
    parts = [f"# {title}"]
    for heading, content in sections.items():
        parts.append(f"## {heading}")
        parts.append(_block(content) if isinstance(content, pd.DataFrame) else content)
    return "\n\n".join(parts) + "\n"

"""The base case: one parameter set (the table's values) through the model, and its tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hecon.errors import ModelError
from hecon.io import write_csv
from hecon.model import Model
from hecon.outcomes import Outcomes
from hecon.tables import cost_consequence, icers


@dataclass(frozen=True)
class BaseCase:
    """Base-case results: outcomes, cost-consequence table, ICER table, optional trace."""

    outcomes: Outcomes
    cost_consequence: pd.DataFrame
    icers: pd.DataFrame
    checks: pd.DataFrame | None = None

    @property
    def trace(self) -> pd.DataFrame | None:
        return self.outcomes.details.get("trace")

    def write(self, folder: Path) -> list[Path]:
        """Write ``outcomes.csv``, ``cost_consequence.csv``, ``icers.csv`` (and ``trace.csv``,
        ``checks.csv`` when the model has them)."""
        written = [
            write_csv(self.outcomes.wide().drop(columns="set"), folder / "outcomes.csv"),
            write_csv(self.cost_consequence, folder / "cost_consequence.csv"),
            write_csv(self.icers, folder / "icers.csv"),
        ]
        if self.trace is not None:
            written.append(write_csv(self.trace, folder / "trace.csv"))
        if self.checks is not None:
            written.append(write_csv(self.checks, folder / "checks.csv"))
        return written


def base_case(model: Model, options=None, parameters=None) -> BaseCase:
    """Evaluate the model at the base-case values of its parameter table.

    ``parameters``: a table to use instead of the model's own (e.g. a scenario's).
    A base case the model cannot evaluate (an infeasible calibration) is a ModelError.
    """
    options = model.options() if options is None else options
    table = model.load_parameters(options) if parameters is None else parameters
    outcomes = model.evaluate(table.base_case(), options)
    if len(outcomes.problems):
        raise ModelError(f"the base case of {model.name} cannot be evaluated: "
                         f"{outcomes.problems['reason'].iloc[0]}", sets=[0])
    return BaseCase(outcomes, cost_consequence(outcomes, model.comparator),
                    icers(outcomes, model.effects, model.comparator),
                    model.validation(table, options))

"""The base case: one parameter set (the table's values) through the model, and its tables."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hecon.analysis.result import Result
from hecon.analysis.tables import cost_consequence, icers
from hecon.errors import ModelError
from hecon.model import Model
from hecon.model.outcomes import Outcomes


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

    def tables(self) -> dict[str, pd.DataFrame]:
        """Table stem → table: ``outcomes``, ``cost_consequence``, ``icers`` (and ``trace``,
        ``checks`` when the model has them)."""
        tables = {"outcomes": self.outcomes.wide().drop(columns="set"),
                  "cost_consequence": self.cost_consequence, "icers": self.icers}
        if self.trace is not None:
            tables["trace"] = self.trace
        if self.checks is not None:
            tables["checks"] = self.checks
        return tables

    def result(self, **meta) -> Result:
        """The base case as a :class:`~hecon.analysis.result.Result`; ``meta`` adds the units
        and labels (:func:`~hecon.analysis.result.model_meta`)."""
        return Result("base_case", self.tables(), meta, "cost_consequence")


def base_case(model: Model, options=None, parameters=None, psa: Outcomes | None = None) -> BaseCase:
    """Evaluate the model at the base-case values of its parameter table.

    ``parameters``: a table to use instead of the model's own (e.g. a scenario's). ``psa``: the
    outcomes of a PSA's (valid) draws, whose 95 % intervals the cost-consequence table's
    differences then carry. A base case the model cannot evaluate (an infeasible calibration)
    is a ModelError.
    """
    options = model.options() if options is None else options
    table = model.load_parameters(options) if parameters is None else parameters
    outcomes = model.evaluate(table.base_case(), options)
    if len(outcomes.problems):
        raise ModelError(f"the base case of {model.name} cannot be evaluated: "
                         f"{outcomes.problems['reason'].iloc[0]}", sets=[0])
    return BaseCase(outcomes, cost_consequence(outcomes, model.comparator, psa),
                    icers(outcomes, model.effects, model.comparator),
                    model.validation(table, options))

"""Deterministic sensitivity analyses: one-way (tornado), two-way, threshold (value-based price).

Each is a parameter matrix through one batched ``evaluate`` plus a summary (DESIGN.md): the
one-way analysis is the base row and, for k parameters, 2k rows with one parameter at its low
or high value; the two-way analysis a grid; the threshold analysis a bracketing grid, then
vectorised bisection with one batch per iteration holding every willingness to pay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.cea import describe_increments
from hecon.errors import InputError
from hecon.model import Model
from hecon.outcomes import Outcomes
from hecon.parameters import ParameterTable

#: outcomes measured on the increment of ``strategy`` over the comparator
OUTCOMES = ("inmb", "inhb", "icer", "cost", "effect", "qaly")
RANGES = ("table", "ci95")
#: willingness-to-pay values reported by the threshold and scenario analyses (€ per QALY)
REPORT_WTP = (30_000.0, 50_000.0, 100_000.0, 150_000.0)


@dataclass(frozen=True)
class Measure:
    """What a sensitivity analysis reports: an outcome of the increment ``strategy`` −
    comparator. ``inmb`` = λ·ΔE − ΔC (main effect), ``inhb`` = ΔE − ΔC/λ, ``icer`` = ΔC/ΔE,
    ``cost`` = ΔC, ``effect`` (or ``qaly``) = ΔE, or any outcome name of the model (its increment)."""

    model: Model
    outcome: str = "inmb"
    wtp: float = 50_000.0
    strategy: str | None = None

    def __post_init__(self) -> None:
        if self.strategy is not None and self.strategy not in self.model.strategies:
            raise InputError(f"unknown strategy '{self.strategy}'",
                             fix=f"choose among {', '.join(self.model.strategies)}")
        if self.outcome == "inhb" and self.wtp <= 0:
            raise InputError("the net health benefit needs a willingness to pay above 0")

    @property
    def compared(self) -> str:
        others = [s for s in self.model.strategies if s != self.model.comparator]
        return self.strategy or others[0]

    def increments(self, outcomes: Outcomes) -> tuple[np.ndarray, np.ndarray]:
        """ΔC and ΔE (main effect, "more is better") per set."""
        j = outcomes.strategies.index(self.compared)
        ref = outcomes.strategies.index(self.model.comparator)
        effect = self.model.effects[0].of(outcomes)
        cost = outcomes.total_cost
        return cost[:, j] - cost[:, ref], effect[:, j] - effect[:, ref]

    def of(self, outcomes: Outcomes) -> np.ndarray:
        """The measure per set."""
        d_cost, d_effect = self.increments(outcomes)
        if self.outcome == "inmb":
            return self.wtp * d_effect - d_cost
        if self.outcome == "inhb":
            return d_effect - d_cost / self.wtp
        if self.outcome == "icer":
            with np.errstate(divide="ignore", invalid="ignore"):
                return d_cost / d_effect
        if self.outcome == "cost":
            return d_cost
        if self.outcome in ("effect", "qaly"):
            return d_effect
        if self.outcome in outcomes.names:
            j = outcomes.strategies.index(self.compared)
            ref = outcomes.strategies.index(self.model.comparator)
            return outcomes[self.outcome][:, j] - outcomes[self.outcome][:, ref]
        raise InputError(f"unknown outcome '{self.outcome}'",
                         fix=f"use one of {', '.join(OUTCOMES)} or an outcome of the model: "
                             f"{', '.join(outcomes.names)}")

    def status(self, outcomes: Outcomes) -> np.ndarray:
        """Dominance label of each set's increment (for ICER analyses)."""
        return describe_increments(*self.increments(outcomes))[1]

    @property
    def label(self) -> str:
        names = {"inmb": f"incremental NMB at €{self.wtp:,.0f} per {self.model.effects[0].label.removesuffix(' gained')}",
                 "inhb": f"incremental NHB at €{self.wtp:,.0f}",
                 "icer": f"ICER (€ per {self.model.effects[0].label})", "cost": "incremental cost (€)",
                 "effect": f"incremental {self.model.effects[0].outcome}",
                 "qaly": f"incremental {self.model.effects[0].outcome}"}
        return f"{names.get(self.outcome, 'incremental ' + self.outcome)}, {self.compared} vs {self.model.comparator}"


def parameter_range(table: ParameterTable, name: str, ranges: str = "table") -> tuple[float, float]:
    """(low, high) of a parameter: the table's one-way bounds, or its distribution's 2.5 % and
    97.5 % quantiles (``ci95``; a fixed parameter then keeps its table bounds)."""
    if ranges not in RANGES:
        raise InputError(f"unknown range '{ranges}'", fix=f"use one of {', '.join(RANGES)}")
    p = table[name]
    if ranges == "ci95" and not _is_fixed(table, name):
        low, high = table.distribution_of(name).ppf([0.025, 0.975])
        return float(low), float(high)
    return p.low, p.high


def _is_fixed(table: ParameterTable, name: str) -> bool:
    return name not in table.uncertain


def one_way(model: Model, table: ParameterTable, options=None, measure: Measure | None = None,
            ranges: str = "table", parameters: Sequence[str] | None = None) -> pd.DataFrame:
    """Every parameter at its low and then its high value, the others at base, in one batch.

    Returns one row per parameter with a range (low < high): ``parameter, description,
    base_value, low, high, outcome_at_low, outcome_at_high, range`` (|difference|), plus
    ``status_at_low/high`` for an ICER, sorted by range; ``base_outcome`` is in ``attrs``.
    Parameters whose low equals their high (fixed, no one-way range) are left out.
    A Dirichlet member moves with its siblings rescaled so the group still sums to one.
    """
    options = model.options() if options is None else options
    measure = measure or Measure(model)
    names = [n for n in (parameters or table.names) if np.subtract(*parameter_range(table, n, ranges)) < 0]
    bounds = np.array([parameter_range(table, n, ranges) for n in names]).reshape(-1, 2)
    k = len(names)
    base = table.base_case(2 * k + 1)
    overrides = {}
    for i, name in enumerate(names):
        column = np.array(base[name])
        column[1 + 2 * i], column[2 + 2 * i] = bounds[i]
        overrides[name] = column
    outcomes = model.evaluate(table.override(base, overrides), options)
    _raise_problems(outcomes, [("base", None)] + [(n, side) for n in names for side in ("low", "high")])
    values = measure.of(outcomes)
    frame = pd.DataFrame({
        "parameter": names,
        "description": [table[n].description for n in names],
        "base_value": [table[n].value for n in names],
        "low": bounds[:, 0], "high": bounds[:, 1],
        "outcome_at_low": values[1::2], "outcome_at_high": values[2::2],
    })
    frame["range"] = np.abs(frame["outcome_at_high"] - frame["outcome_at_low"])
    if measure.outcome == "icer":
        status = measure.status(outcomes)
        frame["status_at_low"], frame["status_at_high"] = status[1::2], status[2::2]
    frame = frame.sort_values("range", ascending=False, kind="stable").reset_index(drop=True)
    frame.attrs.update(base_outcome=float(values[0]), measure=measure.label,
                       base_status=str(measure.status(outcomes)[0]))
    return frame


def two_way(model: Model, table: ParameterTable, x: str, y: str, options=None,
            measure: Measure | None = None, steps: int = 21, ranges: str = "table") -> pd.DataFrame:
    """A steps × steps grid over two parameters' ranges, in one batch: the measure and the
    strategy with the highest NMB at each point (``x_value, y_value, outcome, optimal``)."""
    options = model.options() if options is None else options
    measure = measure or Measure(model)
    if x == y:
        raise InputError("the two parameters of a two-way analysis must differ")
    if steps < 2:
        raise InputError("a two-way analysis needs at least 2 steps")
    xs = np.linspace(*parameter_range(table, x, ranges), steps)
    ys = np.linspace(*parameter_range(table, y, ranges), steps)
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys, indexing="ij"))
    outcomes = model.evaluate(table.override(table.base_case(gx.size), {x: gx, y: gy}), options)
    _raise_problems(outcomes, None)
    nmb = measure.wtp * model.effects[0].of(outcomes) - outcomes.total_cost
    return pd.DataFrame({"x_value": gx, "y_value": gy, "outcome": measure.of(outcomes),
                         "optimal": np.asarray(outcomes.strategies, dtype=object)[nmb.argmax(1)]}
                        ).assign(x=x, y=y)


def threshold(model: Model, table: ParameterTable, parameter: str, wtp: Sequence[float], options=None,
              strategy: str | None = None, bounds: tuple[float, float] | None = None,
              grid: int = 41, tolerance: float = 1e-9) -> pd.DataFrame:
    """The value of ``parameter`` at which the incremental NMB of ``strategy`` vs the
    comparator is zero, for each willingness to pay (e.g. the value-based price of a drug).

    A grid over [low, high] brackets the first sign change of INMB(p; λ) = λ·ΔE(p) − ΔC(p)
    for all λ at once; vectorised bisection then refines every bracket together, one batch per
    iteration, until the bracket is below ``tolerance`` × the range. Where INMB keeps one sign
    over the range the threshold is NaN and ``reason`` says which way the decision goes.
    Columns: ``wtp, threshold, inmb_at_threshold, reason``.
    """
    options = model.options() if options is None else options
    measure = Measure(model, "inmb", strategy=strategy)
    lam = np.asarray(wtp, dtype=float)
    if parameter not in table:
        raise table.unknown(parameter)
    low, high = bounds or parameter_range(table, parameter)
    if not low < high:
        raise InputError(f"parameter '{parameter}' has no range to search",
                         fix="give it low < high in the table or --low/--high")
    points = np.linspace(low, high, grid)

    def increments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outcomes = model.evaluate(table.override(table.base_case(values.size), {parameter: values}), options)
        _raise_problems(outcomes, None)
        return measure.increments(outcomes)

    d_cost, d_effect = increments(points)
    inmb = lam[:, None] * d_effect[None, :] - d_cost[None, :]        # [wtp, grid]
    change = np.sign(inmb[:, :-1]) != np.sign(inmb[:, 1:])
    found = change.any(1)
    first = change.argmax(1)
    a, b = points[first], points[np.minimum(first + 1, grid - 1)]
    inmb_a = inmb[np.arange(lam.size), first]
    for _ in range(200):
        if (b - a).max(initial=0) <= tolerance * (high - low):
            break
        mid = (a + b) / 2
        dc, de = increments(mid)
        value = lam * de - dc
        left = np.sign(value) == np.sign(inmb_a)
        a, inmb_a = np.where(left, mid, a), np.where(left, value, inmb_a)
        b = np.where(left, b, mid)
    roots = np.where(found, (a + b) / 2, np.nan)
    dc, de = increments(np.where(found, roots, low))
    reasons = np.where(found, "", np.where(inmb[:, 0] > 0,
                       f"no threshold in [{low:g}, {high:g}]: {measure.compared} is cost-effective over the whole range",
                       f"no threshold in [{low:g}, {high:g}]: {measure.compared} is not cost-effective anywhere in the range"))
    return pd.DataFrame({"wtp": lam, "parameter": parameter, "threshold": roots,
                         "inmb_at_threshold": np.where(found, lam * de - dc, np.nan), "reason": reasons})


def _raise_problems(outcomes: Outcomes, rows: list | None) -> None:
    """Stop when the model could not evaluate some rows of a deterministic analysis."""
    if len(outcomes.problems):
        first = outcomes.problems.iloc[0]
        where = "" if rows is None else f" ({rows[int(first['set'])][0]} {rows[int(first['set'])][1] or ''})"
        raise InputError(f"the model cannot be evaluated at {len(outcomes.problems)} point(s) of the "
                         f"analysis{where}: {first['reason']}", fix="narrow the parameter's low/high range")


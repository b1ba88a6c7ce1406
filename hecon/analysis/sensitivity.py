"""Deterministic sensitivity analyses: one-way (tornado), two-way, threshold (value-based price).

Each is a parameter matrix through one batched ``evaluate`` plus a summary (DESIGN.md): the
one-way analysis is the base row and, for k parameters, 2k rows with one parameter at its low
or high value; the two-way analysis a grid; the threshold analysis a bracketing grid, then
a vectorised safeguarded false-position search with one batch per iteration holding every willingness
to pay.

Each analysis first checks its options, then evaluates the base case alone: it names the
model's outcomes (so a wrong ``--outcome`` fails before the batch) and sizes one parameter set
and its outcomes. The batch is then evaluated in chunks within the memory budget
(``hecon.analysis.memory``), in this process or on a Dask cluster (``engine``,
:mod:`hecon.analysis.batch`) with identical results; an analysis whose result alone exceeds the
budget is refused before any allocation, with the estimate and the fix.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.analysis import memory
from hecon.analysis.batch import DaskEngine, InProcess, Overrides, Sets, evaluate_batch
from hecon.analysis.cea import describe_increments, wtp_values
from hecon.analysis.result import Result, model_meta
from hecon.analysis.wtp import DEFAULT_WTP, REPORT_WTP, WTP_MAX
from hecon.errors import InputError
from hecon.model import Model
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterSets, ParameterTable

#: outcomes measured on the increment of ``strategy`` over the comparator
OUTCOMES = ("inmb", "inhb", "icer", "cost", "effect", "qaly")
RANGES = ("table", "ci95")
#: points of the threshold curve over 0 … WTP_MAX (the report thresholds are added to them)
THRESHOLD_CURVE_POINTS = 41
#: the most sets a model sees at once: its own working memory (traces over cycles) grows with
#: the chunk, so chunks stay at the PSA's default size whatever the budget
SETS_PER_CHUNK = 10_000
#: bytes a two-way grid keeps per point: six columns (x, y, outcome, optimal, and the two
#: parameter names), held twice while its table is built
GRID_POINT_BYTES = 2 * 6 * memory.FLOAT_BYTES


@dataclass(frozen=True)
class Measure:
    """What a sensitivity analysis reports: an outcome of the increment ``strategy`` −
    comparator. ``inmb`` = λ·ΔE − ΔC (main effect), ``inhb`` = ΔE − ΔC/λ, ``icer`` = ΔC/ΔE,
    ``cost`` = ΔC, ``effect`` (or ``qaly``) = ΔE, or any outcome name of the model (its increment).

    The strategy and the willingness to pay are checked here; the outcome, which may name an
    outcome of the model, by :meth:`check` once the base case has named them.
    """

    model: Model
    outcome: str = "inmb"
    wtp: float = DEFAULT_WTP
    strategy: str | None = None

    def __post_init__(self) -> None:
        comparator, others = self.model.comparator, self.alternatives
        if not others:
            raise InputError(f"model {self.model.name} has a single strategy: there is no increment to analyse")
        if self.strategy == comparator:
            raise InputError(f"--strategy '{comparator}' is the comparator: its increment over itself is zero",
                             fix=f"choose one of {', '.join(others)}, each compared with {comparator}")
        if self.strategy is not None and self.strategy not in others:
            raise InputError(f"--strategy: unknown strategy '{self.strategy}'",
                             fix=f"choose one of {', '.join(others)}, each compared with {comparator}")
        willingness_to_pay(self.wtp)
        if self.outcome == "inhb" and self.wtp <= 0:
            raise InputError("the net health benefit needs a willingness to pay above 0", fix="pass --wtp above 0")

    @property
    def alternatives(self) -> list[str]:
        """The strategies that can be compared with the comparator."""
        return [s for s in self.model.strategies if s != self.model.comparator]

    def check(self, names: Sequence[str]) -> None:
        """Refuse an outcome that is neither a measure of ``OUTCOMES`` nor one of the model's ``names``."""
        if self.outcome in OUTCOMES or self.outcome in names:
            return
        close = difflib.get_close_matches(self.outcome, [*OUTCOMES, *names], n=1)
        raise InputError(f"--outcome: unknown outcome '{self.outcome}'",
                         fix=(f"did you mean {close[0]}? " if close else "") + f"choose one of "
                             f"{', '.join(OUTCOMES)} or an outcome of the model: {', '.join(names)}")

    @property
    def compared(self) -> str:
        return self.strategy or self.alternatives[0]

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
        self.check(outcomes.names)
        j = outcomes.strategies.index(self.compared)
        ref = outcomes.strategies.index(self.model.comparator)
        return outcomes[self.outcome][:, j] - outcomes[self.outcome][:, ref]

    @property
    def summary(self):
        """The measure as a chunk's summary (:mod:`hecon.analysis.batch`): a function of the
        model and the chunk's outcomes that a Dask worker can receive (:func:`measure_of`)."""
        return functools.partial(measure_of, self.outcome, self.wtp, self.strategy)

    def status(self, outcomes: Outcomes) -> np.ndarray:
        """Dominance label of each set's increment (for ICER analyses)."""
        return describe_increments(*self.increments(outcomes))[1]

    @property
    def label(self) -> str:
        names = {"inmb": f"incremental NMB at €{self.wtp:,.0f} per {self.model.effects[0].unit}",
                 "inhb": f"incremental NHB at €{self.wtp:,.0f}",
                 "icer": f"ICER (€ per {self.model.effects[0].label})", "cost": "incremental cost (€)",
                 "effect": f"incremental {self.model.effects[0].outcome}",
                 "qaly": f"incremental {self.model.effects[0].outcome}"}
        labels = self.model.strategy_labels
        return (f"{names.get(self.outcome, 'incremental ' + self.outcome)}, "
                f"{labels[self.compared]} vs {labels[self.model.comparator]}")

    def meta(self, table: ParameterTable, parameters: Sequence[str] | None = None) -> dict:
        """What a reader of the analysis needs: the measure, the strategy compared, the model's
        units and labels (:func:`~hecon.analysis.result.model_meta`)."""
        return {**model_meta(self.model, table, parameters), "measure": self.label, "outcome": self.outcome,
                "wtp": self.wtp, "strategy": self.compared}


def measure_of(outcome: str, wtp: float, strategy: str | None, model: Model, outcomes: Outcomes) -> np.ndarray:
    """The :class:`Measure` (outcome, wtp, strategy) of ``model`` per set of ``outcomes``."""
    return Measure(model, outcome, wtp, strategy).of(outcomes)


def willingness_to_pay(wtp: float | Sequence[float]) -> np.ndarray:
    """``--wtp`` as an array of values, each finite and ≥ 0 (:func:`hecon.analysis.cea.wtp_values`)."""
    try:
        return wtp_values(wtp)
    except InputError as error:
        raise InputError(f"--wtp: {error.message}", fix=error.fix) from None


def parameter_range(table: ParameterTable, name: str, ranges: str = "table") -> tuple[float, float]:
    """(low, high) of a parameter: the table's one-way bounds, or its distribution's 2.5 % and
    97.5 % quantiles (``ci95``; a fixed parameter then keeps its table bounds)."""
    if ranges not in RANGES:
        raise InputError(f"--range: unknown range '{ranges}'", fix=f"use one of {', '.join(RANGES)}")
    p = table[name]
    if ranges == "ci95" and name in table.uncertain:
        low, high = table.distribution_of(name).ppf([0.025, 0.975])
        return float(low), float(high)
    return p.low, p.high


def known_parameter(table: ParameterTable, name: str, option: str) -> str:
    """``name`` if the table holds it; else the error naming ``option`` and the close names."""
    if name not in table:
        error = table.unknown(name)
        raise InputError(f"{option}: {error.message}", fix=error.fix)
    return name


def base_outcomes(model: Model, table: ParameterTable, options, measure: Measure) -> Outcomes:
    """The base case (one set), evaluated before any batch: it names the model's outcomes, so a
    wrong ``--outcome`` fails at once, and it sizes the batch (``memory.batch_bytes``)."""
    outcomes = model.evaluate(table.base_case(), options)
    _raise_problems(outcomes, [("base case", None)])
    measure.check(outcomes.names)
    return outcomes


def _set_bytes(table: ParameterTable, outcomes: Outcomes) -> int:
    """Bytes of one parameter set and its outcomes."""
    return memory.batch_bytes(1, len(table.names), len(outcomes.strategies), len(outcomes.names))


def _chunk(table: ParameterTable, outcomes: Outcomes, budget: int) -> int:
    """Sets evaluated at once within ``budget`` bytes, at most ``SETS_PER_CHUNK``."""
    return min(SETS_PER_CHUNK, memory.chunk_size(_set_bytes(table, outcomes), budget))


def one_way_bounds(table: ParameterTable, ranges: str = "table",
                   parameters: Sequence[str] | None = None) -> dict[str, tuple[float, float]]:
    """(low, high) of every parameter with a one-way range (low < high), in table order."""
    bounds = {name: parameter_range(table, name, ranges) for name in (parameters or table.names)}
    return {name: (low, high) for name, (low, high) in bounds.items() if low < high}


def one_way_sets(table: ParameterTable, bounds: Mapping[str, tuple[float, float]]) -> ParameterSets:
    """The one-way batch: 2k sets, parameter i at its low (set 2i) then its high (set 2i + 1),
    every other parameter at its base value. A Dirichlet member moves alone: its siblings are
    rescaled in proportion, p_j · (1 − p_i) / (1 − p_i⁰), so the group still sums to one
    (:meth:`ParameterTable.override`)."""
    return ParameterSets.concat([table.override(table.base_case(2), {name: pair}) for name, pair in bounds.items()])


def one_way(model: Model, table: ParameterTable, options=None, measure: Measure | None = None,
            ranges: str = "table", parameters: Sequence[str] | None = None,
            memory_gb: float = memory.DEFAULT_BUDGET_GB, engine: InProcess | DaskEngine | None = None) -> Result:
    """Every parameter at its low and then its high value, the others at base (:func:`one_way_sets`).

    The Result's table ``dsa`` has one row per parameter with a range (low < high):
    ``parameter, description, base_value, low, high, outcome_at_low, outcome_at_high, range``
    (|difference|), plus ``status_at_low/high`` for an ICER, sorted by range; its meta holds
    the base case's ``base_outcome`` (and ``base_status``), the measure and the labels.
    Parameters whose low equals their high (fixed, no one-way range) are left out.
    """
    options = model.options() if options is None else options
    measure = measure or Measure(model)
    budget = memory.as_bytes(memory_gb)
    bounds = one_way_bounds(table, ranges, parameters)
    if not bounds:
        raise InputError("no parameter has a one-way range (low < high)",
                         file=table.path, fix="give low and high in the parameter table")
    base = base_outcomes(model, table, options, measure)
    memory.require(2 * len(bounds) * _set_bytes(table, base), budget,
                   f"the one-way analysis of {len(bounds)} parameters", fix="pass a larger --memory")
    names = list(bounds)
    outcomes = Outcomes.concat([base, evaluate_batch(model, options, Sets(one_way_sets(table, bounds)),
                                                     chunk_size=_chunk(table, base, budget), engine=engine)])
    _raise_problems(outcomes, [("base case", None)] + [(n, side) for n in names for side in ("low", "high")])
    values = measure.of(outcomes)
    frame = pd.DataFrame({
        "parameter": names,
        "description": [table[n].description for n in names],
        "base_value": [table[n].value for n in names],
        "low": [bounds[n][0] for n in names], "high": [bounds[n][1] for n in names],
        "outcome_at_low": values[1::2], "outcome_at_high": values[2::2],
    })
    frame["range"] = np.abs(frame["outcome_at_high"] - frame["outcome_at_low"])
    if measure.outcome == "icer":
        status = measure.status(outcomes)
        frame["status_at_low"], frame["status_at_high"] = status[1::2], status[2::2]
    frame = frame.sort_values("range", ascending=False, kind="stable").reset_index(drop=True)
    meta = {**measure.meta(table, names), "range": ranges, "base_outcome": float(values[0]),
            "base_status": str(measure.status(outcomes)[0])}
    return Result("one_way", {"dsa": frame}, meta, "dsa")


def two_way(model: Model, table: ParameterTable, x: str, y: str, options=None,
            measure: Measure | None = None, steps: int = 21, ranges: str = "table",
            memory_gb: float = memory.DEFAULT_BUDGET_GB, engine: InProcess | DaskEngine | None = None) -> Result:
    """A steps × steps grid over two parameters' ranges: the measure and the strategy with the
    highest NMB at each point (table ``twoway``: ``x_value, y_value, outcome, optimal, x, y``).

    Every other parameter stays at base; two members of one Dirichlet group move together, the
    rest of the group rescaled (they must leave it some probability). The grid is evaluated in
    chunks within the memory budget; a grid whose table alone exceeds it is refused.
    """
    options = model.options() if options is None else options
    measure = measure or Measure(model)
    known_parameter(table, x, "--x")
    known_parameter(table, y, "--y")
    if x == y:
        raise InputError(f"--x and --y are both '{x}': the two parameters of a two-way analysis must differ",
                         fix="choose two different parameters")
    if steps < 2:
        raise InputError(f"--steps {steps}: a two-way analysis needs at least 2 steps", fix="pass --steps 2 or more")
    budget = memory.as_bytes(memory_gb)
    grid_bytes = steps ** 2 * GRID_POINT_BYTES
    memory.require(grid_bytes, budget, f"a {steps}×{steps} two-way grid",
                   fix=f"use at most --steps {math.isqrt(budget // GRID_POINT_BYTES)}, or a larger --memory")
    xs, ys = (np.linspace(*_ranged(table, name, ranges, option), steps) for name, option in ((x, "--x"), (y, "--y")))
    _check_dirichlet_pair(table, x, y, xs.max() + ys.max())
    base = base_outcomes(model, table, options, measure)
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys, indexing="ij"))
    points = evaluate_batch(model, options, Overrides(table, {x: gx, y: gy}), engine=engine,
                            chunk_size=_chunk(table, base, budget - grid_bytes),
                            summary=functools.partial(grid_point, measure.outcome, measure.wtp, measure.strategy))
    optimal = points[:, 1].astype(np.intp)
    grid = pd.DataFrame({"x_value": gx, "y_value": gy, "outcome": points[:, 0],
                         "optimal": np.asarray(base.strategies, dtype=object)[optimal]}).assign(x=x, y=y)
    meta = {**measure.meta(table, [x, y]), "x": x, "y": y, "steps": steps, "range": ranges}
    return Result("two_way", {"twoway": grid}, meta, "twoway")


def grid_point(outcome: str, wtp: float, strategy: str | None, model: Model, outcomes: Outcomes) -> np.ndarray:
    """A chunk of the two-way grid, [sets, 2]: the :class:`Measure` (outcome, wtp, strategy)
    and the number of the strategy of highest net benefit λ·E − C at ``wtp``. A set the model
    cannot evaluate stops the analysis."""
    _raise_problems(outcomes, None)
    optimal = (wtp * model.effects[0].of(outcomes) - outcomes.total_cost).argmax(1)
    return np.column_stack([Measure(model, outcome, wtp, strategy).of(outcomes), optimal])


def _ranged(table: ParameterTable, name: str, ranges: str, option: str) -> tuple[float, float]:
    """The range of a parameter a grid varies; refuse one without a range (low = high)."""
    low, high = parameter_range(table, name, ranges)
    if not low < high:
        with_range = ", ".join(list(one_way_bounds(table, ranges))[:5])
        raise InputError(f"{option}: parameter '{name}' has no range to vary (low = high = {low:g})",
                         file=table.path, fix=f"give it low < high in the table, or choose one with a range: {with_range}")
    return low, high


def _check_dirichlet_pair(table: ParameterTable, x: str, y: str, highest_sum: float) -> None:
    """Two members of one Dirichlet group moved together must leave its other members some
    probability: there must be other members, and high(x) + high(y) < 1."""
    group = table[x].group
    if group not in table.dirichlet or table[y].group != group:
        return
    rest = [m for m in table.dirichlet_groups[group] if m not in (x, y)]
    if not rest:
        raise InputError(f"--x {x} and --y {y} are the only two members of Dirichlet group '{group}': "
                         "each is one minus the other", file=table.path,
                         fix="vary one of them in a one-way or threshold analysis, or pair it with another parameter")
    if highest_sum >= 1:
        raise InputError(f"--x {x} and --y {y} of Dirichlet group '{group}' reach {highest_sum:.4g} together "
                         f"at their highs, leaving no probability for {', '.join(rest)}", file=table.path,
                         fix="narrow their ranges so that high(x) + high(y) < 1, or pair parameters of different groups")


def threshold_bounds(table: ParameterTable, parameter: str, low: float | None = None,
                     high: float | None = None) -> tuple[float, float]:
    """The interval a threshold search covers: ``low``/``high``, or the table's one-way bounds;
    finite, low < high, and inside the support of the parameter's distribution."""
    known_parameter(table, parameter, "--param")
    table_low, table_high = parameter_range(table, parameter)
    low, high = (table_low if low is None else low), (table_high if high is None else high)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise InputError(f"parameter '{parameter}' has no range to search: [{low:g}, {high:g}]",
                         fix="give it low < high in the table or finite --low < --high")
    if parameter in table.uncertain:
        lowest, highest = table.distribution_of(parameter).support()
        if low < lowest or high > highest:
            raise InputError(f"the search [{low:g}, {high:g}] of '{parameter}' leaves the support "
                             f"[{lowest:g}, {highest:g}] of its distribution",
                             fix=f"keep --low and --high within [{lowest:g}, {highest:g}]")
    return float(low), float(high)


def threshold(model: Model, table: ParameterTable, parameter: str, wtp: Sequence[float] = REPORT_WTP,
              options=None, strategy: str | None = None,
              bounds: tuple[float | None, float | None] | None = None, grid: int = 41,
              tolerance: float = 1e-9, memory_gb: float = memory.DEFAULT_BUDGET_GB,
              engine: InProcess | DaskEngine | None = None) -> Result:
    """The value of ``parameter`` at which the incremental NMB of ``strategy`` vs the
    comparator is zero, at each report willingness to pay ``wtp`` (table ``threshold``: e.g. the
    value-based price of a drug) and over the curve 0 … WTP_MAX (table ``threshold_curve``).
    Columns of both: ``wtp, parameter, threshold, inmb_at_threshold, reason``.
    """
    report = willingness_to_pay(wtp)
    searched = threshold_bounds(table, parameter, *(bounds or (None, None)))
    curve = np.union1d(np.linspace(0.0, WTP_MAX, THRESHOLD_CURVE_POINTS), report)
    found = threshold_values(model, table, parameter, curve, options, strategy, searched, grid, tolerance, memory_gb,
                             engine)
    meta = {**model_meta(model, table, [parameter]), "parameter": parameter,
            "strategy": Measure(model, "inmb", strategy=strategy).compared,
            "report_wtp": report.tolist(), "bounds": list(searched)}
    return Result("threshold", {"threshold": found[found.wtp.isin(report)].reset_index(drop=True),
                                "threshold_curve": found}, meta, "threshold")


#: steps after which false position gives way to a bisection step if the bracket has not halved
SAFEGUARD_STEPS = 3


def threshold_values(model: Model, table: ParameterTable, parameter: str, wtp: Sequence[float], options=None,
                     strategy: str | None = None, bounds: tuple[float | None, float | None] | None = None,
                     grid: int = 41, tolerance: float = 1e-9, memory_gb: float = memory.DEFAULT_BUDGET_GB,
                     engine: InProcess | DaskEngine | None = None) -> pd.DataFrame:
    """The value of ``parameter`` at which the incremental NMB of ``strategy`` vs the
    comparator is zero, for each willingness to pay of ``wtp``.

    A grid over [low, high] (:func:`threshold_bounds`) brackets the first sign change of
    INMB(p; λ) = λ·ΔE(p) − ΔC(p) for all λ at once; :func:`refine_brackets` then narrows every
    bracket together, one batch per iteration, until it is below ``tolerance`` × the range.
    Where INMB keeps one sign over the range the threshold is NaN and ``reason`` says which way
    the decision goes. Columns: ``wtp, threshold, inmb_at_threshold, reason``.
    """
    options = model.options() if options is None else options
    measure = Measure(model, "inmb", strategy=strategy)
    lam = willingness_to_pay(wtp)
    low, high = threshold_bounds(table, parameter, *(bounds or (None, None)))
    budget = memory.as_bytes(memory_gb)
    base = base_outcomes(model, table, options, measure)
    memory.require(max(grid, lam.size) * _set_bytes(table, base) + 4 * lam.size * grid * memory.FLOAT_BYTES,
                   budget, f"the threshold search over {grid} points and {lam.size} willingness-to-pay values",
                   fix="pass fewer --wtp values or a larger --memory")
    size = _chunk(table, base, budget)
    points = np.linspace(low, high, grid)

    def increments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(all="ignore"):  # an overflow is refused below, with its value
            outcomes = evaluate_batch(model, options, Overrides(table, {parameter: values}), chunk_size=size,
                                      engine=engine)
            _raise_problems(outcomes, None)
            d_cost, d_effect = measure.increments(outcomes)
        finite = np.isfinite(d_cost) & np.isfinite(d_effect)
        if not finite.all():
            raise InputError(f"the model gives no finite cost or effect at {parameter} = {values[~finite][0]:g}",
                             fix="search a narrower interval with --low and --high")
        return d_cost, d_effect

    d_cost, d_effect = increments(points)
    inmb = lam[:, None] * d_effect[None, :] - d_cost[None, :]        # [wtp, grid]
    change = np.sign(inmb[:, :-1]) != np.sign(inmb[:, 1:])
    found = change.any(1)
    first = change.argmax(1)
    crossing = np.flatnonzero(found)
    left, right = first[crossing], first[crossing] + 1

    def inmb_at(values: np.ndarray, which: np.ndarray) -> np.ndarray:
        dc, de = increments(values)
        return lam[crossing[which]] * de - dc

    a, b = refine_brackets(inmb_at, points[left], points[right], inmb[crossing, left], inmb[crossing, right],
                           tolerance * (high - low))
    roots = np.full(lam.size, np.nan)
    roots[crossing] = (a + b) / 2
    dc, de = increments(np.where(found, roots, low))
    strategy = model.strategy_labels[measure.compared]
    reasons = np.where(found, "", np.where(inmb[:, 0] > 0,
                       f"no threshold in [{low:g}, {high:g}]: {strategy} is cost-effective over the whole range",
                       f"no threshold in [{low:g}, {high:g}]: {strategy} is not cost-effective anywhere in the range"))
    return pd.DataFrame({"wtp": lam, "parameter": parameter, "threshold": roots,
                         "inmb_at_threshold": np.where(found, lam * de - dc, np.nan), "reason": reasons})


def refine_brackets(f, a: np.ndarray, b: np.ndarray, fa: np.ndarray, fb: np.ndarray,
                    width: float, max_steps: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Narrow brackets [a, b] of roots of f (f(a), f(b) of opposite signs, or one of them 0)
    until b − a ≤ ``width`` (or the floats between a and b run out), all of them at once:
    ``f(x, which)`` evaluates f at the points ``x`` of the brackets ``which`` in one batch.

    Each step takes the false-position point x = b − f(b)(b − a)/(f(b) − f(a)) with the Illinois
    modification (the f-value of an end kept twice in a row is halved, so that both ends move:
    superlinear convergence, order ≈ 1.44; Dowell & Jarratt, BIT 1971;11:168–174), kept at
    least 0.45·``width`` inside the bracket (Brent's least step: a point that lands on the root
    closes the bracket at the next step), and the midpoint instead when the last
    :data:`SAFEGUARD_STEPS` steps did not halve the bracket together, so that a badly curved f
    converges no slower than a bisection every few steps. A linear f takes 2 steps; the
    flagship's INMB takes 2 in the drug's price and 5 in the effect's hazard ratio, where
    bisection took 26. A bracket with an exact root ends there.
    """
    a, b, fa, fb = (np.array(v, dtype=float) for v in (a, b, fa, fb))
    b = np.where(fa == 0, a, b)
    a = np.where((fb == 0) & (fa != 0), b, a)
    kept = np.zeros(a.shape, dtype=int)                 # −1: a kept last step, +1: b kept, 0: neither
    widths = [np.full(a.shape, np.inf)] * SAFEGUARD_STEPS  # the widths before the last steps
    least = 0.45 * width
    for _ in range(max_steps):
        middle = (a + b) / 2
        which = np.flatnonzero((b - a > width) & (a < middle) & (middle < b))
        if not which.size:
            break
        lo, hi, f_lo, f_hi = a[which], b[which], fa[which], fb[which]
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.clip(hi - f_hi * (hi - lo) / (f_hi - f_lo), lo + least, hi - least)
        stalled = hi - lo > widths[0][which] / 2
        x = np.where(stalled | np.isnan(x), middle[which], x)
        fx = f(x, which)
        right = np.sign(fx) == np.sign(f_lo)            # the root is in [x, hi]
        root = fx == 0
        fa[which] = np.where(right, fx, np.where(kept[which] == -1, f_lo / 2, f_lo))
        fb[which] = np.where(right, np.where(kept[which] == 1, f_hi / 2, f_hi), fx)
        kept[which] = np.where(right, 1, -1)
        widths = [*widths[1:], b - a]
        a[which], b[which] = np.where(right | root, x, lo), np.where(right & ~root, hi, x)
    return a, b


def _raise_problems(outcomes: Outcomes, rows: list | None) -> None:
    """Stop when the model could not evaluate some rows of a deterministic analysis."""
    if len(outcomes.problems):
        first = outcomes.problems.iloc[0]
        where = "" if rows is None else f" ({rows[int(first['set'])][0]} {rows[int(first['set'])][1] or ''})"
        raise InputError(f"the model cannot be evaluated at {len(outcomes.problems)} point(s) of the "
                         f"analysis{where}: {first['reason']}", fix="narrow the parameter's low/high range")

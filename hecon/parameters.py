"""The parameter table: one CSV per model, the single source of truth a reviewer audits.

Schema (``docs/parameters.md`` has the full description and an example per distribution)::

    name, description, value, unit, distribution, se, ci_low, ci_high, alpha, beta,
    lower, upper, low, high, group, price_year, status, source, notes

``value`` is the base case; ``distribution`` and its arguments describe the uncertainty for a
PSA; ``low``/``high`` bound the one-way analysis (default: the distribution's 2.5 % and
97.5 % quantiles); rows of a ``dirichlet`` sharing a ``group`` are sampled jointly.
A batch of parameter sets (:class:`ParameterSets`) is what every model evaluates.
No cell is ever evaluated as code.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hecon.distributions import (
    Beta,
    Dirichlet,
    Distribution,
    DistributionError,
    Fixed,
    Gamma,
    Normal,
    Pert,
    Triangular,
    TruncatedNormal,
    Uniform,
    beta_from_mean_se,
    gamma_from_mean_se,
    lognormal_from_ci,
    lognormal_from_mean_se,
    normal_from_ci,
)
from hecon.errors import InputError
from hecon.files import read_csv_cells
from hecon.prices import PriceIndex

COLUMNS = ("name", "description", "value", "unit", "distribution", "se", "ci_low", "ci_high",
           "alpha", "beta", "lower", "upper", "low", "high", "group", "price_year", "status",
           "source", "notes")
ARGUMENTS = ("se", "ci_low", "ci_high", "alpha", "beta", "lower", "upper")
NUMBERS = ("value", *ARGUMENTS, "low", "high")
STATUSES = ("verified", "partly verified", "assumption", "")
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: distribution -> accepted argument sets (the first that matches the filled cells is used),
#: each with the builder and how its error arguments map to table columns
FORMS = {
    "beta": [(("alpha", "beta"), lambda v, a: Beta(a["alpha"], a["beta"]), {}),
             (("se",), lambda v, a: beta_from_mean_se(v, a["se"]), {"mean": "value"})],
    "gamma": [(("se",), lambda v, a: gamma_from_mean_se(v, a["se"]), {"mean": "value"}),
              (("alpha", "beta"), lambda v, a: Gamma(a["alpha"], a["beta"]),
               {"shape": "alpha", "scale": "beta"})],
    "lognormal": [(("ci_low", "ci_high"), lambda v, a: lognormal_from_ci(v, a["ci_low"], a["ci_high"]),
                   {"point": "value", "lower": "ci_low", "upper": "ci_high"}),
                  (("se",), lambda v, a: lognormal_from_mean_se(v, a["se"]), {"mean": "value"})],
    "normal": [(("se",), lambda v, a: Normal(v, a["se"]), {"mu": "value", "sigma": "se"}),
               (("ci_low", "ci_high"), lambda v, a: normal_from_ci(v, a["ci_low"], a["ci_high"]),
                {"mean": "value", "lower": "ci_low", "upper": "ci_high"})],
    "truncnormal": [(("se", "lower", "upper"),
                     lambda v, a: TruncatedNormal(v, a["se"], a["lower"], a["upper"]),
                     {"mu": "value", "sigma": "se"})],
    "uniform": [(("lower", "upper"), lambda v, a: Uniform(a["lower"], a["upper"]), {})],
    "triangular": [(("lower", "upper"), lambda v, a: Triangular(a["lower"], v, a["upper"]),
                    {"mode": "value"})],
    "pert": [(("lower", "upper"), lambda v, a: Pert(a["lower"], v, a["upper"]), {"mode": "value"})],
    "fixed": [((), lambda v, a: Fixed(v), {})],
    "dirichlet": [(("alpha",), None, {})],
}
DIRICHLET_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Parameter:
    """One row of the table. ``distribution`` is None for a Dirichlet member (the group's
    :class:`~hecon.distributions.Dirichlet` is in ``ParameterTable.dirichlet``)."""

    name: str
    description: str
    value: float
    unit: str
    distribution: Distribution | None
    low: float
    high: float
    group: str | None
    price_year: int | None
    status: str
    source: str
    notes: str
    row: int


class ParameterSets(Mapping[str, np.ndarray]):
    """A batch of n parameter sets: name -> float array of shape [n].

    Scalars broadcast to n; every array must have length n. Arrays are read-only copies, so
    a model cannot change its inputs.
    """

    def __init__(self, values: Mapping[str, ArrayLike], n: int | None = None) -> None:
        arrays = {name: np.asarray(v, dtype=float) for name, v in values.items()}
        lengths = {a.shape[0] for a in arrays.values() if a.ndim == 1}
        if n is None:
            n = lengths.pop() if len(lengths) == 1 else (1 if not lengths else None)
        if n is None or any(length != n for length in lengths):
            raise ValueError(f"parameter arrays of different lengths: {sorted(lengths)}")
        self._values = {}
        for name, array in arrays.items():
            if array.ndim > 1:
                raise ValueError(f"parameter '{name}' must be a scalar or a 1-D array")
            full = np.array(np.broadcast_to(array, (n,)), dtype=float)
            full.flags.writeable = False
            self._values[name] = full
        self.n = int(n)

    def __getitem__(self, name: str) -> np.ndarray:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"ParameterSets(n={self.n}, parameters={len(self)})"

    def take(self, index: ArrayLike) -> ParameterSets:
        """The sets at ``index`` (integers or a boolean mask), renumbered 0 … m − 1."""
        index = np.asarray(index)
        return ParameterSets({k: v[index] for k, v in self._values.items()},
                             n=int(index.sum() if index.dtype == bool else index.size))

    def chunks(self, size: int) -> Iterator[ParameterSets]:
        """Consecutive batches of at most ``size`` sets."""
        if size < 1:
            raise ValueError("chunk size must be at least 1")
        for start in range(0, self.n, size):
            yield self.take(np.arange(start, min(start + size, self.n)))

    @classmethod
    def concat(cls, parts: Sequence[ParameterSets]) -> ParameterSets:
        return cls({k: np.concatenate([p[k] for p in parts]) for k in parts[0]},
                   n=sum(p.n for p in parts))

    def to_frame(self) -> pd.DataFrame:
        """Columns = parameter names, one row per set."""
        return pd.DataFrame(dict(self._values))


class ParameterTable:
    """A validated parameter table (see the module docstring for the schema)."""

    def __init__(self, rows: Sequence[Mapping[str, str]], lines: Sequence[int], path: Path | None) -> None:
        self.path = path
        self._rows = [dict(r) for r in rows]
        self._lines = list(lines)
        self.parameters: dict[str, Parameter] = {}
        self.dirichlet: dict[str, Dirichlet] = {}
        for raw, line in zip(self._rows, self._lines, strict=True):
            parameter = _parse_row(raw, line, path, self.parameters)
            self.parameters[parameter.name] = parameter
        self._check_dirichlet_groups()

    # ------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | Path) -> ParameterTable:
        """Read and validate a parameter CSV; the file is never modified."""
        path = Path(path)
        rows, lines = _read_csv(path)
        return cls(rows, lines, path)

    def _check_dirichlet_groups(self) -> None:
        members: dict[str, list[Parameter]] = {}
        for p in self.parameters.values():
            if p.distribution is None:
                members.setdefault(p.group, []).append(p)
        for group, rows in members.items():
            others = [p for p in self.parameters.values() if p.group == group and p.distribution is not None]
            if others:
                raise self._error(others[0], "distribution",
                                  f"group '{group}' is a Dirichlet: every row in it must be dirichlet")
            if len(rows) < 2:
                raise self._error(rows[0], "group",
                                  f"Dirichlet group '{group}' has a single row",
                                  "a Dirichlet needs at least two categories in the same group")
            alpha = [float(self._rows[self._index(p)]["alpha"]) for p in rows]
            dirichlet = Dirichlet(tuple(alpha))
            for p, mean in zip(rows, dirichlet.mean(), strict=True):
                if abs(p.value - mean) > DIRICHLET_TOLERANCE:
                    raise self._error(p, "value", f"value {p.value:g} differs from its Dirichlet "
                                      f"mean alpha/sum(alpha) = {mean:.6g}", f"set value to {mean:.6g}")
            self.dirichlet[group] = dirichlet
            for p, marginal in zip(rows, range(len(rows)), strict=True):
                if math.isnan(p.low):
                    low, high = dirichlet.marginal(marginal).ppf([0.025, 0.975])
                    self.parameters[p.name] = _replace(p, low=float(low), high=float(high))

    def _index(self, parameter: Parameter) -> int:
        return self._lines.index(parameter.row)

    def _error(self, parameter: Parameter, column: str, message: str, fix: str | None = None) -> InputError:
        return InputError(f"parameter '{parameter.name}': {message}", file=self.path,
                          row=parameter.row, column=column, fix=fix)

    # ------------------------------------------------------------ views

    @property
    def names(self) -> list[str]:
        return list(self.parameters)

    @property
    def uncertain(self) -> list[str]:
        """Parameters whose value varies in a PSA, in table order."""
        return [p.name for p in self.parameters.values() if not isinstance(p.distribution, Fixed)]

    @property
    def dirichlet_groups(self) -> dict[str, list[str]]:
        return {g: [p.name for p in self.parameters.values() if p.group == g] for g in self.dirichlet}

    @property
    def groups(self) -> dict[str, list[str]]:
        """Every group label -> its parameters (Dirichlet and reporting groups)."""
        groups: dict[str, list[str]] = {}
        for p in self.parameters.values():
            if p.group:
                groups.setdefault(p.group, []).append(p.name)
        return groups

    def distribution_of(self, name: str) -> Distribution:
        """The (marginal) distribution of a parameter; a Dirichlet member's is its Beta."""
        p = self[name]
        if p.distribution is not None:
            return p.distribution
        members = self.dirichlet_groups[p.group]
        return self.dirichlet[p.group].marginal(members.index(name))

    def __getitem__(self, name: str) -> Parameter:
        if name not in self.parameters:
            raise self.unknown(name)
        return self.parameters[name]

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def unknown(self, name: str, file: str | Path | None = None) -> InputError:
        """The error for a parameter name the table does not hold, with close names."""
        close = difflib.get_close_matches(name, self.names, n=3)
        return InputError(f"unknown parameter '{name}'", file=file,
                          fix=f"did you mean {', '.join(close)}?" if close else
                          f"the table {self.path} has no such row")

    def to_frame(self) -> pd.DataFrame:
        """The table as read, numbers as numbers, with the distribution spelled out."""
        frame = pd.DataFrame(self._rows, columns=list(COLUMNS))
        for column in NUMBERS:
            frame[column] = pd.to_numeric(frame[column].replace("", np.nan))
        frame["low"] = [p.low for p in self.parameters.values()]
        frame["high"] = [p.high for p in self.parameters.values()]
        frame["uncertainty"] = [self.distribution_of(n).describe() for n in self.names]
        return frame

    # ------------------------------------------------------------ batches

    def base_case(self, n: int = 1) -> ParameterSets:
        """n identical sets of the base-case values."""
        return ParameterSets({p.name: p.value for p in self.parameters.values()}, n=n)

    def _units(self) -> list[tuple[str | None, list[str]]]:
        """Sampling units in table order: (None, [name]) for a parameter, (group, members)."""
        units, seen = [], set()
        for name in self.uncertain:
            group = self.parameters[name].group
            if self.parameters[name].distribution is None:
                if group not in seen:
                    seen.add(group)
                    units.append((group, self.dirichlet_groups[group]))
            else:
                units.append((None, [name]))
        return units

    def sample(self, n: int, seed: int | np.random.SeedSequence) -> ParameterSets:
        """n seeded draws from every distribution; Dirichlet groups drawn jointly.

        Unit i (a parameter or a Dirichlet group, counted in table order) draws from the i-th
        child of ``seed`` (the ``SeedSequence`` with spawn key ``seed.spawn_key + (i,)``, as
        ``seed.spawn`` would give, but without advancing a ``SeedSequence`` passed in, so the
        same object always gives the same draws). A parameter's draws therefore depend only on
        the seed and its position among the uncertain units: adding a row at the end leaves
        the others unchanged, and the first m of n draws equal ``sample(m, seed)``.
        """
        if n < 1:
            raise InputError(f"the number of draws must be at least 1, not {n}")
        sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        values = {p.name: p.value for p in self.parameters.values()}
        for i, (group, names) in enumerate(self._units()):
            rng = np.random.default_rng(np.random.SeedSequence(
                sequence.entropy, spawn_key=(*sequence.spawn_key, i), pool_size=sequence.pool_size))
            if group is None:
                values[names[0]] = self.parameters[names[0]].distribution.sample(rng, n)
            else:
                draws = self.dirichlet[group].sample(rng, n)
                values.update({name: draws[:, i] for i, name in enumerate(names)})
        return ParameterSets(values, n=n)

    def from_unit(self, u: ArrayLike) -> ParameterSets:
        """Map unit-hypercube samples ``u`` [n, len(uncertain)] (columns in ``uncertain``
        order) through each parameter's quantile function; a Dirichlet group's columns go
        through :meth:`Dirichlet.ppf` together (for SALib and Latin hypercube designs)."""
        u = np.asarray(u, dtype=float)
        columns = {name: j for j, name in enumerate(self.uncertain)}
        if u.ndim != 2 or u.shape[1] != len(columns):
            raise ValueError(f"unit samples must be shaped [n, {len(columns)}], got {u.shape}")
        if not np.all((u >= 0) & (u <= 1)):
            raise ValueError("unit samples must lie in [0, 1]")
        values = {p.name: p.value for p in self.parameters.values()}
        for group, names in self._units():
            if group is None:
                values[names[0]] = self.parameters[names[0]].distribution.ppf(u[:, columns[names[0]]])
            else:
                draws = self.dirichlet[group].ppf(u[:, [columns[name] for name in names]])
                values.update({name: draws[:, i] for i, name in enumerate(names)})
        infinite = [name for name in self.uncertain if not np.all(np.isfinite(values[name]))]
        if infinite:
            raise InputError(f"unit samples of 0 or 1 make parameter '{infinite[0]}' infinite or undefined",
                             fix="use a design inside the open interval (0, 1)")
        return ParameterSets(values, n=u.shape[0])

    def override(self, sets: ParameterSets, overrides: Mapping[str, ArrayLike],
                 file: str | Path | None = None) -> ParameterSets:
        """``sets`` with some parameters replaced (scalars or arrays [n]).

        Overriding members of a Dirichlet group rescales the members not overridden in
        proportion, p_j ← p_j · (1 − Σ overridden) / (Σ not overridden), so the group still
        sums to one (the convention of one-way analyses of multinomial rows).
        """
        values = dict(sets)
        for name in overrides:
            if name not in self.parameters:
                raise self.unknown(name, file)
        for name, value in overrides.items():
            values[name] = np.broadcast_to(np.asarray(value, dtype=float), (sets.n,))
        for group, members in self.dirichlet_groups.items():
            changed = [m for m in members if m in overrides]
            if not changed:
                continue
            rest = [m for m in members if m not in overrides]
            fixed_mass = sum(values[m] for m in changed)
            if np.any([values[m] < 0 for m in changed]) or np.any(fixed_mass > 1 + DIRICHLET_TOLERANCE):
                raise InputError(f"overrides of Dirichlet group '{group}' ({', '.join(changed)}) "
                                 "must be probabilities summing to at most one", file=file,
                                 fix="keep each overridden share in [0, 1] and their sum ≤ 1")
            if not rest:
                if not np.allclose(fixed_mass, 1.0, atol=DIRICHLET_TOLERANCE):
                    raise InputError(f"the overridden Dirichlet group '{group}' does not sum to one",
                                     file=file, fix="make the group's values sum to 1")
                continue
            rest_mass = sum(sets[m] for m in rest)
            for m in rest:
                values[m] = sets[m] * (1 - fixed_mass) / rest_mass
        return ParameterSets(values, n=sets.n)

    # ------------------------------------------------------------ new tables

    def with_changes(self, values: Mapping[str, float] | None = None,
                     distributions: Mapping[str, Mapping[str, object]] | None = None,
                     file: str | Path | None = None) -> ParameterTable:
        """A new table with some base values and/or distribution cells replaced (scenarios),
        validated exactly as on load; errors name the parameter (and ``file``)."""
        rows = [dict(r) for r in self._rows]
        by_name = {r["name"]: r for r in rows}
        allowed = ("distribution", *ARGUMENTS, "low", "high")
        changes: dict[str, dict[str, object]] = {}
        for name, value in (values or {}).items():
            changes.setdefault(name, {})["value"] = value
        for name, cells in (distributions or {}).items():
            changes.setdefault(name, {}).update(cells)
        for name, cells in changes.items():
            if name not in by_name:
                raise self.unknown(name, file)
            unknown = [c for c in cells if c != "value" and c not in allowed]
            if unknown:
                raise InputError(f"parameter '{name}': '{unknown[0]}' cannot be changed", file=file,
                                 fix=f"change value or one of {', '.join(allowed)}")
            if set(cells) & {"distribution", *ARGUMENTS}:  # a new distribution replaces the old one
                by_name[name].update(dict.fromkeys(ARGUMENTS, ""))
            for column, cell in cells.items():
                by_name[name][column] = "" if cell is None else str(cell)
        try:
            return ParameterTable(rows, self._lines, self.path)
        except InputError as error:
            if file is None:
                raise
            raise InputError(f"{error.message} (after the changes of {file})", file=self.path,
                             row=error.row, column=error.column, fix=error.fix) from None

    def in_price_year(self, year: int, index: PriceIndex) -> ParameterTable:
        """Every monetary row (one with a ``price_year``) converted to euros of ``year``:
        value, low, high and the distribution's scale arguments × I(year)/I(price year)."""
        rows = [dict(r) for r in self._rows]
        for raw, p in zip(rows, self.parameters.values(), strict=True):
            if p.price_year is None or p.price_year == year:
                continue
            if raw["distribution"] in ("beta", "dirichlet"):
                raise self._error(p, "distribution", "a cost cannot have a beta or Dirichlet "
                                  "distribution", "use gamma, lognormal or normal for costs")
            factor = index.factor(p.price_year, year)
            scaled = ["value", "se", "ci_low", "ci_high", "lower", "upper", "low", "high"]
            if raw["distribution"] == "gamma":
                scaled.append("beta")  # the gamma's scale
            for column in scaled:
                if raw[column] != "":
                    raw[column] = repr(float(raw[column]) * factor)
            raw["price_year"] = str(year)
        return ParameterTable(rows, self._lines, self.path)


# ---------------------------------------------------------------- reading and parsing

def _read_csv(path: Path) -> tuple[list[dict[str, str]], list[int]]:
    rows, lines = read_csv_cells(path, COLUMNS, only=True)
    if not rows:
        raise InputError("the parameter table has no rows", file=path, fix="add one row per parameter")
    return rows, lines


def _number(raw: Mapping[str, str], column: str, line: int, path: Path | None) -> float | None:
    text = raw[column]
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InputError(f"'{text}' is not a finite number", file=path, row=line, column=column,
                         fix="use a dot as the decimal separator" if "," in text
                         else "write a plain number such as 0.25 or 1500")
    return number


def _parse_row(raw: Mapping[str, str], line: int, path: Path | None,
               earlier: Mapping[str, Parameter]) -> Parameter:
    def fail(column: str, message: str, fix: str | None = None) -> InputError:
        label = f"parameter '{raw['name']}': " if raw["name"] else ""
        return InputError(label + message, file=path, row=line, column=column, fix=fix)

    name = raw["name"]
    if not NAME_PATTERN.match(name):
        raise fail("name", f"'{name}' is not a valid name" if name else "empty name",
                   "use letters, digits and underscores, starting with a letter")
    if name in earlier:
        raise fail("name", f"duplicate name (first on row {earlier[name].row})", "give each row its own name")
    numbers = {column: _number(raw, column, line, path) for column in NUMBERS}
    value = numbers["value"]
    if value is None:
        raise fail("value", "the base-case value is empty")
    kind = raw["distribution"]
    if kind not in FORMS:
        close = difflib.get_close_matches(kind, FORMS, n=1)
        raise fail("distribution", f"unknown distribution '{kind}'",
                   f"did you mean {close[0]}?" if close else f"use one of {', '.join(FORMS)}")
    filled = {c for c in ARGUMENTS if numbers[c] is not None}
    form = next((f for f in FORMS[kind] if set(f[0]) == filled), None)
    if form is None:
        expected = " or ".join("(" + ", ".join(f[0]) + ")" if f[0] else "no argument" for f in FORMS[kind])
        within = [set(f[0]) for f in FORMS[kind] if set(f[0]) <= filled]
        if within:  # a complete form plus cells it does not use
            column = sorted(filled - max(within, key=len), key=ARGUMENTS.index)[0]
            message = f"column '{column}' is set but {kind} does not use it here"
        else:       # an incomplete form
            column = next(c for c in FORMS[kind][0][0] if c not in filled)
            message = f"{kind} needs '{column}'"
        raise fail(column, f"{message}: {kind} takes {expected}",
                   "fill exactly the arguments of one form and leave the others empty")
    group = raw["group"] or None
    if kind == "dirichlet":
        if group is None:
            raise fail("group", "a dirichlet row needs a group naming its Dirichlet")
        if not numbers["alpha"] > 0:
            raise fail("alpha", "a Dirichlet count (alpha) must be positive")
        distribution = None
    else:
        arguments = {c: numbers[c] for c in form[0]}
        try:
            distribution = form[1](value, arguments)
        except DistributionError as error:
            raise fail(form[2].get(error.argument, error.argument if error.argument in COLUMNS else "distribution"),
                       error.message, error.fix) from None
        lo, hi = distribution.support()
        if not lo <= value <= hi:
            raise fail("value", f"value {value:g} lies outside the support [{lo:g}, {hi:g}] of {distribution.describe()}")
    low, high = numbers["low"], numbers["high"]
    if (low is None) != (high is None):
        raise fail("low" if low is None else "high", "give both low and high, or neither")
    if low is None and distribution is None:  # a Dirichlet member: set from its marginal later
        low, high = math.nan, math.nan
    elif low is None:
        low, high = map(float, distribution.ppf([0.025, 0.975]))
        if not low <= value <= high:
            raise fail("value", f"value {value:g} lies outside the default one-way range, the "
                       f"95 % interval [{low:.4g}, {high:.4g}] of {distribution.describe()}",
                       "give low and high explicitly, or check value and the distribution")
    elif not low <= value <= high:
        raise fail("low" if low > value else "high",
                   f"one-way range [{low:g}, {high:g}] does not contain the value {value:g}",
                   "make low ≤ value ≤ high")
    price_year = raw["price_year"]
    if price_year and not re.fullmatch(r"(19|20)\d\d", price_year):
        raise fail("price_year", f"'{price_year}' is not a year", "write a year such as 2024, or leave empty")
    if raw["status"] not in STATUSES:
        raise fail("status", f"unknown status '{raw['status']}'", f"use one of {', '.join(s for s in STATUSES if s)}, or leave empty")
    if not raw["source"]:
        raise fail("source", "no source", "every number needs its source (or 'assumption: <reason>')")
    return Parameter(name, raw["description"], value, raw["unit"], distribution, low, high, group,
                     int(price_year) if price_year else None, raw["status"], raw["source"],
                     raw["notes"], line)


def _replace(parameter: Parameter, **changes) -> Parameter:
    return Parameter(**{**parameter.__dict__, **changes})

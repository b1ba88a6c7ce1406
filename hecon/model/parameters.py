"""The parameter table: one CSV per model, the single source of truth a reviewer audits.

Schema (``docs/parameters.md`` has the full description and an example per distribution)::

    name, description, value, unit, distribution, se, ci_low, ci_high, alpha, beta,
    lower, upper, low, high, group, price_year, status, source, notes[, label]

``value`` is the base case; ``distribution`` and its arguments describe the uncertainty for a
PSA; ``low``/``high`` bound the one-way analysis (default: the distribution's 2.5 % and
97.5 % quantiles); rows of a ``dirichlet`` sharing a ``group`` are sampled jointly; the
optional ``label`` is the short name a reader sees in figures and reports
(:attr:`ParameterTable.labels`).
A batch of parameter sets (:class:`ParameterSets`) is what every model evaluates.
No cell is ever evaluated as code.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections import Counter, namedtuple
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hecon.errors import InputError
from hecon.model.distributions import (
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
    quantiles,
    require_sampler,
)
from hecon.model.files import (
    IDENTIFIER,
    check_identifier,
    iter_csv_rows,
    parse_number,
    parse_numbers,
    shown,
)
from hecon.model.prices import PriceIndex

COLUMNS = ("name", "description", "value", "unit", "distribution", "se", "ci_low", "ci_high",
           "alpha", "beta", "lower", "upper", "low", "high", "group", "price_year", "status",
           "source", "notes")
#: columns a table may leave out (their cells read as empty)
OPTIONAL = ("label",)
#: every cell of a row, in this order
CELLS = (*COLUMNS, *OPTIONAL)
ARGUMENTS = ("se", "ci_low", "ci_high", "alpha", "beta", "lower", "upper")
NUMBERS = ("value", *ARGUMENTS, "low", "high")
STATUSES = ("verified", "partly verified", "assumption", "")
POSITION = {column: i for i, column in enumerate(CELLS)}
#: Columns whose few distinct texts repeat on many rows: each text is kept once in memory.
REPEATED = tuple(POSITION[c] for c in ("unit", "distribution", "group", "price_year", "status", "source"))

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
#: draws per sampling block: each block of a parameter draws from its own stream, so that a
#: chunk of a PSA is sampled alone, where it is evaluated (:meth:`ParameterTable.sample`)
SAMPLING_BLOCK = 10_000


@dataclass(frozen=True, slots=True)
class Parameter:
    """One row of the table. ``distribution`` is None for a Dirichlet member (the group's
    :class:`~hecon.model.distributions.Dirichlet` is in ``ParameterTable.dirichlet``)."""

    name: str
    description: str
    label: str
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


#: A row being validated: the fields of its Parameter, in order (low and high NaN until set).
_Row = namedtuple("_Row", [f.name for f in dataclasses.fields(Parameter)])


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
    """A validated parameter table (see the module docstring for the schema).

    ``rows`` are the table's rows, each a mapping column → cell text (the :data:`OPTIONAL`
    columns may be absent) or the cells in :data:`CELLS` order; ``lines`` their line numbers
    in ``path``. Validation is linear in the number of rows: each row is checked on its own
    (in file order), then the Dirichlet groups and the labels, then the default one-way
    ranges (all quantiles of a family in one call).
    """

    def __init__(self, rows: Iterable[Mapping[str, str] | Sequence[str]], lines: Iterable[int],
                 path: Path | None) -> None:
        self.path = path
        self._rows = [tuple(r[c] if c in COLUMNS else r.get(c, "") for c in CELLS) if isinstance(r, Mapping)
                      else tuple(r) for r in rows]
        self._lines = list(lines)
        self.dirichlet: dict[str, Dirichlet] = {}
        self._members: dict[str, list[str]] = {}
        first_row: dict[str, int] = {}
        parsed = []
        for cells, line in zip(self._rows, self._lines, strict=True):
            parsed.append(_parse_row(cells, line, path, first_row))
            first_row[parsed[-1].name] = line
        self._check_dirichlet_groups(parsed)
        self._check_labels(parsed)
        self.parameters: dict[str, Parameter] = {row.name: Parameter(*row) for row in self._with_default_ranges(parsed)}

    # ------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | Path) -> ParameterTable:
        """Read and validate a parameter CSV; the file is never modified."""
        path = Path(path)
        repeated: dict[str, str] = {}
        rows, lines = [], []
        for line, cells in iter_csv_rows(path, CELLS, only=True, optional=OPTIONAL):
            cells = list(cells)
            for i in REPEATED:
                cells[i] = repeated.setdefault(cells[i], cells[i])
            rows.append(tuple(cells))
            lines.append(line)
        if not rows:
            raise InputError("the parameter table has no rows", file=path, fix="add one row per parameter")
        return cls(rows, lines, path)

    def _check_dirichlet_groups(self, parsed: Sequence[_Row]) -> None:
        """Rows of a Dirichlet share its group, alone; at least two; each value its mean αᵢ/Σα."""
        alpha: dict[str, list[float]] = {}
        by_name = {row.name: row for row in parsed}
        for cells, row in zip(self._rows, parsed, strict=True):
            if row.distribution is None:
                self._members.setdefault(row.group, []).append(row.name)
                alpha.setdefault(row.group, []).append(parse_number(cells[POSITION["alpha"]]))
        for row in parsed:
            if row.distribution is not None and row.group in self._members:
                raise self._error(row, "distribution",
                                  f"group '{row.group}' is a Dirichlet: every row in it must be dirichlet")
        for group, names in self._members.items():
            if len(names) < 2:
                raise self._error(by_name[names[0]], "group", f"Dirichlet group '{group}' has a single row",
                                  "a Dirichlet needs at least two categories in the same group")
            try:
                dirichlet = Dirichlet(tuple(alpha[group]))
            except DistributionError as error:
                raise self._error(by_name[names[-1]], "alpha", error.message, error.fix) from None
            for name, mean in zip(names, dirichlet.mean(), strict=True):
                if abs(by_name[name].value - mean) > DIRICHLET_TOLERANCE:
                    raise self._error(by_name[name], "value", f"value {by_name[name].value:g} differs from its "
                                      f"Dirichlet mean alpha/sum(alpha) = {mean:.6g}", f"set value to {mean:.6g}")
            self.dirichlet[group] = dirichlet

    def _check_labels(self, parsed: Sequence[_Row]) -> None:
        """A label is one line, and names one parameter."""
        first: dict[str, _Row] = {}
        for row in parsed:
            if "\n" in row.label or "\r" in row.label:
                raise self._error(row, "label", "the label holds a line break", "write the label on one line")
            if row.label and row.label in first:
                raise self._error(row, "label", f"label {shown(row.label)} is also the label of "
                                  f"'{first[row.label].name}' (row {first[row.label].row})",
                                  "give each parameter its own label")
            first.setdefault(row.label, row)

    def _with_default_ranges(self, parsed: list[_Row]) -> list[_Row]:
        """Rows without low and high get the 2.5 % and 97.5 % quantiles of their distribution
        (a Dirichlet member: of its Beta marginal), which must contain the base-case value."""
        marginals = {name: self.dirichlet[group].marginal(i)
                     for group, names in self._members.items() for i, name in enumerate(names)}
        pending = [i for i, row in enumerate(parsed) if math.isnan(row.low)]
        distributions = [parsed[i].distribution or marginals[parsed[i].name] for i in pending]
        ranges = quantiles(distributions, [0.025, 0.975])
        for i, distribution, (low, high) in zip(pending, distributions, ranges, strict=True):
            row = parsed[i]
            if not (math.isfinite(low) and math.isfinite(high)):
                raise self._error(row, "distribution", f"the 95 % interval of {distribution.describe()} is not "
                                  "finite", "give low and high explicitly, or check the distribution")
            if row.distribution is not None and not low <= row.value <= high:
                raise self._error(row, "value", f"value {row.value:g} lies outside the default one-way range, the "
                                  f"95 % interval [{low:.4g}, {high:.4g}] of {distribution.describe()}",
                                  "give low and high explicitly, or check value and the distribution")
            parsed[i] = row._replace(low=float(low), high=float(high))
        return parsed

    def _error(self, parameter: Parameter | _Row, column: str, message: str, fix: str | None = None) -> InputError:
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
        """Every Dirichlet group -> its members, in table order."""
        return {group: list(names) for group, names in self._members.items()}

    @property
    def labels(self) -> dict[str, str]:
        """Every parameter -> the label a reader sees in figures, reports and workbooks (CSVs
        keep the code name as key): its ``label`` cell; else its description without the
        asides in parentheses ("Price of one vial (Imukin 100 microgram)" → "Price of one
        vial"), or the whole description where two parameters would get one label; else its
        name."""
        parameters = self.parameters.values()
        short = {p.name: p.label or without_asides(p.description) or p.name for p in parameters}
        taken = Counter(short.values())
        return {p.name: short[p.name] if p.label or taken[short[p.name]] == 1 else p.description
                for p in parameters}

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
        return self.dirichlet[p.group].marginal(self._members[p.group].index(name))

    def __getitem__(self, name: str) -> Parameter:
        if name not in self.parameters:
            raise self.unknown(name)
        return self.parameters[name]

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def unknown(self, name: str, file: str | Path | None = None) -> InputError:
        """The error for a parameter name the table does not hold, with close names."""
        close = difflib.get_close_matches(name, self.names, n=3)
        return InputError(f"unknown parameter {shown(name)}", file=file,
                          fix=f"did you mean {', '.join(close)}?" if close else
                          f"the table {self.path} has no such row")

    def to_frame(self) -> pd.DataFrame:
        """The table as read, numbers as numbers, with the distribution spelled out."""
        frame = pd.DataFrame(self._rows, columns=list(CELLS))
        for column in NUMBERS:
            frame[column] = parse_numbers(frame[column])
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
                    units.append((group, self._members[group]))
            else:
                units.append((None, [name]))
        return units

    def sample(self, n: int, seed: int | np.random.SeedSequence, method: str = "generator") -> ParameterSets:
        """n seeded draws from every distribution; Dirichlet groups drawn jointly.

        The draws come in blocks of :data:`SAMPLING_BLOCK`: block b of unit i (a parameter
        or a Dirichlet group, counted in table order) draws from its own stream, the
        ``SeedSequence`` with spawn key ``seed.spawn_key + (i,)`` for block 0 (the i-th child
        of ``seed``, as ``seed.spawn`` would give, but without advancing a ``SeedSequence``
        passed in, so the same object always gives the same draws) and ``seed.spawn_key + (i,
        b)`` for block b ≥ 1. A parameter's draws therefore depend only on the seed, its
        position among the uncertain units and the draw's number: adding a row at the end
        leaves the others unchanged, the first m of n draws equal ``sample(m, seed)``, and
        any run of draws can be sampled alone (:meth:`sample_draws`, a chunk of a PSA on a
        Dask worker) with the same values. A sample of at most one block (n ≤ 10,000) is
        the sample of hecon before blocks existed.

        ``method`` is the sampler (:data:`~hecon.model.distributions.SAMPLERS`): ``"generator"``,
        numpy's ``Generator`` method of each family, or ``"inversion"``, each quantile function
        of uniform draws (the draws of analyses run before the generator sampler existed). They
        give different, equally valid, draws of the same distributions.
        """
        if n < 1:
            raise InputError(f"the number of draws must be at least 1, not {n}")
        return self.sample_draws(0, n, seed, method)

    def sample_draws(self, start: int, stop: int, seed: int | np.random.SeedSequence,
                     method: str = "generator") -> ParameterSets:
        """Draws ``start`` … ``stop − 1`` of the seed's sample, renumbered 0 … stop − start − 1:
        ``sample(n, seed, method)`` sliced, for any n ≥ stop, without drawing the blocks
        before ``start`` (see :meth:`sample`)."""
        if not 0 <= start < stop:
            raise InputError(f"draws {start} … {stop - 1}: a run of draws starts at 0 or later and is not empty")
        require_sampler(method)
        sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        values = {p.name: p.value for p in self.parameters.values()}
        for i, (group, names) in enumerate(self._units()):
            family = self.parameters[names[0]].distribution if group is None else self.dirichlet[group]
            draws = _block_draws(family, method, sequence, i, start, stop)
            if group is None:
                values[names[0]] = draws
            else:
                values.update({name: draws[:, j] for j, name in enumerate(names)})
        return ParameterSets(values, n=stop - start)

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

    def with_values(self, values: Mapping[str, float], source: str = "--set") -> ParameterTable:
        """The table with each named parameter held at its value (``--set NAME=VALUE``).

        A parameter with its own distribution becomes fixed at the value (in the base case, the
        one-way ranges and the PSA); the value must lie in the support of its distribution (any
        finite value for a parameter fixed in the table, such as a price). A
        Dirichlet member takes the value as its share and its siblings are rescaled,
        p_j ← p_j · (1 − v) / (1 − p_i), the concentration α₀ kept: α ← α₀ · p.
        """
        plain: dict[str, float] = {}
        cells: dict[str, dict[str, object]] = {}
        for name, value in values.items():
            if name not in self.parameters:
                raise self.unknown(name, source)
            distribution = self.distribution_of(name)
            low, high = (-np.inf, np.inf) if isinstance(distribution, Fixed) else distribution.support()
            if not (np.isfinite(value) and low <= value <= high):
                raise InputError(f"{name}={value:g} lies outside [{low:g}, {high:g}], the support of its "
                                 f"distribution {self.distribution_of(name).describe()}", file=source,
                                 fix=f"give {name} a value in [{low:g}, {high:g}]")
            parameter = self.parameters[name]
            if parameter.distribution is not None:
                plain[name] = value
                cells[name] = {"distribution": "fixed", "low": value, "high": value}
                continue
            members = self.dirichlet_groups[parameter.group]
            alpha = np.asarray(self.dirichlet[parameter.group].alpha, dtype=float)
            share = alpha / alpha.sum()
            i = members.index(name)
            if not 0 < value < 1 or share[i] >= 1:
                raise InputError(f"{name}={value:g}: a Dirichlet share must lie strictly between 0 and 1",
                                 file=source, fix="give a share in (0, 1); its siblings are rescaled")
            share = share * (1 - value) / (1 - share[i])
            share[i] = value
            for member, part in zip(members, share, strict=True):
                plain[member] = float(part)
                cells[member] = {"alpha": float(part * alpha.sum())}
        return self.with_changes(plain, cells, file=source)

    def with_changes(self, values: Mapping[str, float] | None = None,
                     distributions: Mapping[str, Mapping[str, object]] | None = None,
                     file: str | Path | None = None) -> ParameterTable:
        """A new table with some base values and/or distribution cells replaced (scenarios),
        validated exactly as on load; errors name the parameter (and ``file``)."""
        rows = [dict(zip(CELLS, r, strict=True)) for r in self._rows]
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
                raise InputError(f"parameter '{name}': {shown(unknown[0])} cannot be changed", file=file,
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
        rows = [dict(zip(CELLS, r, strict=True)) for r in self._rows]
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
                    raw[column] = repr(parse_number(raw[column]) * factor)
            raw["price_year"] = str(year)
        return ParameterTable(rows, self._lines, self.path)


# ---------------------------------------------------------------- sampling blocks

def _block_stream(sequence: np.random.SeedSequence, unit: int, block: int) -> np.random.Generator:
    """The generator of block ``block`` of sampling unit ``unit``: spawn key ``key + (unit,)``
    for block 0 (the unit-th child of ``sequence``), ``key + (unit, block)`` after it."""
    key = (*sequence.spawn_key, unit) if block == 0 else (*sequence.spawn_key, unit, block)
    return np.random.default_rng(np.random.SeedSequence(sequence.entropy, spawn_key=key,
                                                        pool_size=sequence.pool_size))


def _block_draws(family, method: str, sequence: np.random.SeedSequence, unit: int, start: int,
                 stop: int) -> np.ndarray:
    """Draws ``start`` … ``stop − 1`` of one unit: the blocks they overlap, each drawn from its
    start only as far as needed (the first m draws of a stream do not depend on how many
    follow), then sliced."""
    parts = []
    for block in range(start // SAMPLING_BLOCK, (stop - 1) // SAMPLING_BLOCK + 1):
        first = block * SAMPLING_BLOCK
        drawn = family.sample(_block_stream(sequence, unit, block), min(stop, first + SAMPLING_BLOCK) - first, method)
        parts.append(drawn[max(start - first, 0):])
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


# ---------------------------------------------------------------- parsing a row

def without_asides(text: str) -> str:
    """``text`` without its asides in parentheses (nested ones too), spaces tidied."""
    while (shorter := re.sub(r"\s*\([^()]*\)", "", text)) != text:
        text = shorter
    return " ".join(text.split())


def _parse_row(cells: Sequence[str], line: int, path: Path | None, first_row: Mapping[str, int]) -> _Row:
    """One row checked on its own (``first_row``: the line of each name seen before): its name,
    numbers, distribution and range (the default range, the quantiles of the distribution, is
    set later for all rows at once: NaN here)."""
    raw = dict(zip(CELLS, cells, strict=True))

    def fail(column: str, message: str, fix: str | None = None) -> InputError:
        label = f"parameter '{raw['name']}': " if IDENTIFIER.fullmatch(raw["name"]) else ""
        return InputError(label + message, file=path, row=line, column=column, fix=fix)

    name = raw["name"]
    if not name:
        raise fail("name", "empty name", "give every row a name (letters, digits and underscores)")
    check_identifier(name, "parameter name", file=path, row=line, column="name",
                     fix="free text goes in the description column")
    if name in first_row:
        raise fail("name", f"duplicate name (first on row {first_row[name]})", "give each row its own name")
    numbers = {column: parse_number(raw[column], file=path, row=line, column=column) if raw[column] else None
               for column in NUMBERS}
    value = numbers["value"]
    if value is None:
        raise fail("value", "the base-case value is empty")
    kind = raw["distribution"]
    if kind not in FORMS:
        close = difflib.get_close_matches(kind, FORMS, n=1)
        raise fail("distribution", f"unknown distribution {shown(kind)}",
                   f"did you mean {close[0]}?" if close else f"use one of {', '.join(FORMS)}")
    filled = {c for c in ARGUMENTS if numbers[c] is not None}
    form = next((f for f in FORMS[kind] if set(f[0]) == filled), None)
    if form is None:
        raise _form_error(kind, filled, fail)
    group = raw["group"] or None
    if group is not None:
        check_identifier(group, "group name", file=path, row=line, column="group")
    if kind == "dirichlet":
        if group is None:
            raise fail("group", "a dirichlet row needs a group naming its Dirichlet")
        if not numbers["alpha"] > 0:
            raise fail("alpha", "a Dirichlet count (alpha) must be positive")
        distribution = None
    else:
        distribution = _distribution(form, value, numbers, fail)
    low, high = numbers["low"], numbers["high"]
    if (low is None) != (high is None):
        raise fail("low" if low is None else "high", "give both low and high, or neither")
    if low is None:  # the distribution's 95 % interval, set for every row at once
        low, high = math.nan, math.nan
    elif not low <= value <= high:
        raise fail("low" if low > value else "high",
                   f"one-way range [{low:g}, {high:g}] does not contain the value {value:g}",
                   "make low ≤ value ≤ high")
    price_year = raw["price_year"]
    if price_year and not re.fullmatch(r"(19|20)[0-9][0-9]", price_year):
        raise fail("price_year", f"{shown(price_year)} is not a year", "write a year such as 2024, or leave empty")
    if raw["status"] not in STATUSES:
        raise fail("status", f"unknown status {shown(raw['status'])}",
                   f"use one of {', '.join(s for s in STATUSES if s)}, or leave empty")
    if not raw["source"]:
        raise fail("source", "no source", "every number needs its source (or 'assumption: <reason>')")
    return _Row(name, raw["description"], raw["label"], value, raw["unit"], distribution, low, high, group,
                int(price_year) if price_year else None, raw["status"], raw["source"], raw["notes"], line)


def _form_error(kind: str, filled: set[str], fail) -> InputError:
    """The error for argument cells that match none of the distribution's forms."""
    expected = " or ".join("(" + ", ".join(f[0]) + ")" if f[0] else "no argument" for f in FORMS[kind])
    within = [set(f[0]) for f in FORMS[kind] if set(f[0]) <= filled]
    if within:  # a complete form plus cells it does not use
        column = sorted(filled - max(within, key=len), key=ARGUMENTS.index)[0]
        message = f"column '{column}' is set but {kind} does not use it here"
    else:       # an incomplete form
        column = next(c for c in FORMS[kind][0][0] if c not in filled)
        message = f"{kind} needs '{column}'"
    return fail(column, f"{message}: {kind} takes {expected}",
                "fill exactly the arguments of one form and leave the others empty")


def _distribution(form, value: float, numbers: Mapping[str, float | None], fail) -> Distribution:
    """The row's distribution, built by its form; the value must lie in its support."""
    columns, build, renamed = form
    try:
        distribution = build(value, {c: numbers[c] for c in columns})
    except DistributionError as error:
        raise fail(renamed.get(error.argument, error.argument if error.argument in COLUMNS else "distribution"),
                   error.message, error.fix) from None
    lo, hi = distribution.support()
    if not lo <= value <= hi:
        raise fail("value", f"value {value:g} lies outside the support [{lo:g}, {hi:g}] of {distribution.describe()}")
    return distribution

"""PSA results produced elsewhere (TreeAge, Excel, R): read a CSV or spreadsheet of draws.

Two layouts are understood, and told apart by the header:

**long** (a column named ``strategy``): one row per draw and strategy, with a draw column
(``draw``, ``iteration``, ``sample``, ``sim``, ``simulation`` or ``run``), a cost column
(``cost``, ``costs`` or ``total_cost``, or the one named by ``cost=``) and an effect column
(``effect``, ``effects``, ``qaly``, ``qalys``, ``ly`` or ``lys``, or the one named by
``effect=``, e.g. ``qaly`` vs ``infections_avoided``). Every other column must be numeric:
those constant within each draw are parameters, those that vary between the strategies of
a draw are other outcomes and are ignored (listed in :attr:`PSA.ignored`).

**wide** (no ``strategy`` column): one row per draw. A strategy's cost and effect columns
are ``<strategy><sep><token>`` or ``<token><sep><strategy>``, ``<sep>`` being ``_``, a
space, ``.`` or ``-`` and the token (any case) one of

- cost: ``cost``, ``costs``, ``c``;
- effect: ``effect``, ``effects``, ``eff``, ``e``, ``qaly``, ``qalys``, ``ly``, ``lys``.

This covers dampack (``Chemo_Cost``/``Chemo_Eff``), voi (``c_SoC``/``e_SoC``),
``cost_A``/``effect_A`` and the Briggs et al. spreadsheet (``Mono Cost``/``Mono LYs``).
``cost=``/``effect=`` replace the token lists (``effect="LYs"``). A strategy needs both
columns; a lone match (say a parameter ``c_drug``) stays a parameter.

Derived columns are not parameters and are ignored (listed in :attr:`PSA.ignored`): those
whose first word is ``diff``, ``difference``, ``delta``, ``inc``, ``incremental``,
``icer``, ``nb``, ``nmb``, ``nhb``, ``inb`` or ``inmb`` (so ``Diff LYG``, ``Diff incCost``,
``ICER``, ``nb_SoC``), since they are functions of the costs and effects. An unnamed first
column holding 1, 2, 3, … (R's row names) is ignored too.

Strategy and parameter names must be identifiers (:func:`hecon.model.files.check_identifier`): they
become values and labels of every table and of the workbook, where a name starting with ``=``
would be a formula. Numbers are plain decimal or scientific notation of magnitude at most
:data:`~hecon.analysis.cea.LARGEST_VALUE`.

A missing cost or effect (an empty cell, ``NA``, ``NaN``) marks a draw the model could not
evaluate: it is refused, unless ``drop_unevaluated`` leaves every such draw out and counts
them (``hecon cea`` does so for a ``psa.csv.gz`` that hecon wrote, and on
``--drop-unevaluated``).

Rows in messages are 1-based lines of the file, the header being line 1. A CSV's delimiter
(comma, semicolon or tab) is taken from its header line; with semicolons, a decimal comma
is understood. ``.xlsx``/``.xlsm`` files are read from their first sheet.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.analysis import memory
from hecon.analysis.cea import LARGEST_VALUE
from hecon.errors import InputError
from hecon.model.files import check_identifier, parse_number, parse_numbers, shown

DRAW_COLUMNS = ("draw", "iteration", "sample", "sim", "simulation", "run")
COST_COLUMNS = ("cost", "costs", "total_cost")
EFFECT_COLUMNS = ("effect", "effects", "qaly", "qalys", "ly", "lys", "qaly_disc", "qalys_disc",
                  "ly_disc", "lys_disc")
COST_TOKENS = ("cost", "costs", "c")
EFFECT_TOKENS = ("effect", "effects", "eff", "e", "qaly", "qalys", "ly", "lys")
DERIVED_WORDS = ("diff", "difference", "delta", "inc", "incremental", "icer", "nb", "nmb",
                 "nhb", "inb", "inmb")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
#: how a file marks a cost or effect the model could not compute (any case): an empty cell
#: (hecon's own psa.csv.gz, pandas), R's NA, NaN
MISSING_CELLS = ("", "na", "nan", "n/a")
#: Memory a file takes to read, per byte of the file: every cell becomes a Python string
#: (10–14 times the size of the published CSV examples, measured).
READ_BYTES_PER_BYTE = 16
GZIP_MAGIC = b"\x1f\x8b"
MAX_GUNZIPPED_BYTES = 2 * 1024 ** 3  # a gzipped CSV (hecon's own psa.csv.gz) expands to at most 2 GiB

_SEPARATORS = r"[_ .\-]"
_FIRST_LINE = 2  # line of the first data row: the header is line 1


@dataclass
class PSA:
    """Probabilistic sensitivity analysis results read from a file.

    Attributes
    ----------
    strategies:
        Strategy names, in the order of the arrays' second axis.
    costs, effects:
        Arrays ``[draws, strategies]``.
    parameters:
        Parameter draws, one row per draw (no columns when the file has none).
    source:
        The file read.
    format:
        ``"long"`` or ``"wide"``.
    cost_name, effect_name:
        The cost and effect measure as named in the file (``"cost"``, ``"LYs"``, ``"qaly"``…).
    ignored:
        Columns not read: derived ones (increments, ICERs, net benefits) in the wide layout,
        other outcomes (varying between the strategies of a draw) in the long layout.
    excluded:
        Draws left out as the model could not evaluate them (``drop_unevaluated``).
    """

    strategies: tuple[str, ...]
    costs: np.ndarray
    effects: np.ndarray
    parameters: pd.DataFrame
    source: Path
    format: str
    cost_name: str = "cost"
    effect_name: str = "effect"
    ignored: tuple[str, ...] = field(default=())
    excluded: int = 0

    @property
    def n_draws(self) -> int:
        return int(self.costs.shape[0])


def read_psa(path: str | Path, *, effect: str | None = None, cost: str | None = None,
             memory_gb: float = memory.DEFAULT_BUDGET_GB, drop_unevaluated: bool = False) -> PSA:
    """Read a PSA file in long or wide layout (see the module documentation).

    Parameters
    ----------
    path:
        CSV (comma, semicolon or tab separated) or ``.xlsx`` file.
    effect, cost:
        Long layout: the effect / cost column. Wide layout: the effect / cost token that
        joins the strategy names (e.g. ``"LYs"``).
    memory_gb:
        Budget: a file whose reading needs more (about :data:`READ_BYTES_PER_BYTE` times its
        size) is refused before it is read.
    drop_unevaluated:
        Leave out, and count in :attr:`PSA.excluded`, every draw whose cost or effect is
        missing (:data:`MISSING_CELLS`) for a strategy — a draw the model could not evaluate,
        as hecon's own ``psa.csv.gz`` holds it. Otherwise a missing cost or effect is refused.

    Raises
    ------
    InputError
        Naming the file, row and column: unreadable or empty file (or a folder), missing
        columns, non-numeric, missing, infinite or too large values (beyond
        :data:`~hecon.analysis.cea.LARGEST_VALUE`), a single draw, a single strategy (a decision compares
        two or more), strategy or parameter names that are not identifiers, duplicate or
        missing (draw, strategy) rows.
    """
    path = Path(path)
    _check_memory(path, memory.as_bytes(memory_gb))
    table = _read_table(path)
    if _find_column(table, ("strategy",)) is not None:
        return _read_long(table, path, effect=effect, cost=cost, drop_unevaluated=drop_unevaluated)
    return _read_wide(table, path, effect=effect, cost=cost, drop_unevaluated=drop_unevaluated)


# --------------------------------------------------------------------------- reading text


def _check_memory(path: Path, budget: int) -> None:
    """Refuse, naming the file, a file whose reading would exceed the budget."""
    if path.is_file():
        size = path.stat().st_size
        try:
            memory.require(READ_BYTES_PER_BYTE * size, budget, f"reading the file ({size / 1024 ** 2:,.0f} MiB)",
                           fix="export fewer draws or columns, or pass a larger --memory")
        except InputError as error:
            raise InputError(error.message, file=path, fix=error.fix) from None


def _read_table(path: Path) -> pd.DataFrame:
    """All cells as stripped strings, indexed by their line in the file (header = line 1)."""
    if path.is_dir():
        raise InputError("a folder, not a PSA file", file=path,
                         fix="give the path of the CSV or .xlsx file of the draws")
    if not path.is_file():
        raise InputError("file not found", file=path, fix="check the path of the PSA file")
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        table = _read_spreadsheet(path)
    else:
        table = _read_csv(path)
    table.columns = [str(name).strip() for name in table.columns]
    table = table.apply(lambda column: column.str.strip())
    table.index = np.arange(len(table)) + _FIRST_LINE
    table = table[(table != "").any(axis=1)]  # blank lines
    table = _drop_row_names(table, path)
    if table.empty:
        raise InputError("the file has a header but no data rows", file=path, row=_FIRST_LINE,
                         fix="export the PSA draws below the header")
    return table


def _read_spreadsheet(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_excel(path, sheet_name=0, dtype=str, header=0)
    except Exception as error:  # openpyxl raises many kinds of errors on a bad file
        raise InputError(f"cannot read the spreadsheet ({error})", file=path,
                         fix="save it as .xlsx or export it as CSV") from None
    _check_header(list(map(str, table.columns)), path)
    return table.fillna("")


def _gunzip(raw: bytes, path: Path) -> bytes:
    """The text of a gzipped CSV, refused beyond ``MAX_GUNZIPPED_BYTES`` (a decompression bomb)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as handle:
            text = handle.read(MAX_GUNZIPPED_BYTES + 1)
    except (OSError, EOFError, zlib.error):
        raise InputError("a damaged gzip file", file=path, fix="export the PSA again") from None
    if len(text) > MAX_GUNZIPPED_BYTES:
        raise InputError(f"the gzipped CSV expands beyond {MAX_GUNZIPPED_BYTES // 1024 ** 3} GiB", file=path,
                         fix="export fewer draws or columns")
    return text


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    if raw[:2] == GZIP_MAGIC:  # hecon psa writes psa.csv.gz
        raw = _gunzip(raw, path)
    if not raw.strip():
        raise InputError("the file is empty", file=path, fix="export the PSA results into it")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not a text (UTF-8) CSV file", file=path,
                         fix="export the PSA as CSV in UTF-8") from None
    header_line = text.lstrip("\r\n").splitlines()[0]
    separator = max([",", ";", "\t"], key=header_line.count)
    header = next(csv.reader([header_line], delimiter=separator))
    _check_header(header, path)
    try:
        table = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False,
                            skip_blank_lines=False)
    except (pd.errors.ParserError, csv.Error) as error:
        line = re.search(r"line (\d+)", str(error))
        raise InputError(f"unreadable CSV ({str(error).strip()})", file=path,
                         row=int(line.group(1)) if line else None,
                         fix=f"give every row the {len(header)} fields of the header") from None
    table = table.fillna("")  # missing trailing fields
    if separator == ";":  # decimal comma: 0,25 → 0.25
        table = table.apply(lambda column: column.str.replace(
            r"^\s*([+-]?\d*),(\d+(?:[eE][+-]?\d+)?)\s*$", r"\1.\2", regex=True))
    return table


def _check_header(names: list[str], path: Path) -> None:
    stripped = [name.strip() for name in names]
    seen: set[str] = set()
    for name in stripped:
        if name and name.lower() in seen:
            raise InputError("the column name appears twice in the header", file=path, row=1,
                             column=name, fix="give every column a distinct name")
        seen.add(name.lower())


def _drop_row_names(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Drop an unnamed first column numbering the rows 1, 2, 3, … (R's row names)."""
    unnamed = [c for c in table.columns if c == "" or c.startswith("Unnamed:")]
    if not unnamed:
        return table
    first = table.columns[0]
    if unnamed == [first] and np.array_equal(table[first].to_numpy(),
                                             np.arange(1, len(table) + 1).astype(str)):
        return table.drop(columns=first)
    position = list(table.columns).index(unnamed[0]) + 1
    raise InputError(f"column {position} has no name", file=path, row=1,
                     fix="name every column in the header or remove the unnamed one")


def _find_column(table: pd.DataFrame, candidates: tuple[str, ...]) -> str | None:
    """The first column whose name (any case) is among the candidates."""
    lowered = {name.lower(): name for name in reversed(table.columns)}
    return next((lowered[c] for c in candidates if c in lowered), None)


def _numeric(table: pd.DataFrame, column: str, path: Path, *, outcome: bool = False) -> np.ndarray:
    """A column as floats of magnitude at most :data:`~hecon.analysis.cea.LARGEST_VALUE` (plain decimal
    or scientific notation, :func:`~hecon.model.files.parse_number`), or an InputError at the first
    bad cell; in an ``outcome`` column (a cost or an effect) a missing value names the option
    that leaves out the draws the model could not evaluate."""
    text = table[column]
    values = parse_numbers(text)
    bad = ~(np.abs(values) <= LARGEST_VALUE)
    if bad.any():
        at = int(bad.argmax())
        cell, row = text.iloc[at], int(text.index[at])
        if outcome and cell.lower() in MISSING_CELLS:
            raise InputError("the value is empty" if cell == "" else f"the value is missing ({shown(cell)})",
                             file=path, row=row, column=column,
                             fix="give every draw a cost and an effect, or leave out the draws the model "
                                 "could not evaluate with --drop-unevaluated")
        if cell == "":
            raise InputError("the value is empty", file=path, row=row, column=column,
                             fix="give a number in every cell")
        parse_number(cell, file=path, row=row, column=column)  # raises, saying what is wrong
        raise InputError(f"the value {shown(cell)} is too large: costs, effects and parameters "
                         f"must lie within ±{LARGEST_VALUE:g}", file=path, row=row, column=column,
                         fix="check the export, or express the values in a larger unit "
                             "(thousands of euros)")
    return values


def _without_unevaluated(table: pd.DataFrame, outcomes: list[str], path: Path,
                         draw_column: str | None = None) -> tuple[pd.DataFrame, int]:
    """The rows of the draws whose outcomes are all given, and the number of draws left out:
    a draw is a row (wide layout) or the rows sharing a ``draw_column`` value (long layout)."""
    missing = table[outcomes].apply(lambda cells: cells.str.lower().isin(MISSING_CELLS)).any(axis=1)
    if draw_column is None:
        dropped, n_dropped = missing, int(missing.sum())
    else:
        unevaluated = table.loc[missing, draw_column].unique()
        dropped, n_dropped = table[draw_column].isin(unevaluated), len(unevaluated)
    if dropped.all():
        raise InputError(f"none of the {n_dropped} draws has a cost and an effect: the model "
                         "could evaluate none of them", file=path, row=_FIRST_LINE,
                         column=outcomes[0], fix="rerun the PSA once the model evaluates its draws")
    return table[~dropped], n_dropped


def _need_two_draws(n_draws: int, path: Path) -> None:
    if n_draws < 2:
        raise InputError("the file holds a single draw; a PSA needs at least 2", file=path,
                         row=_FIRST_LINE, fix="export every PSA iteration, not only the base case")


def _check_strategies(names: list[str], path: Path, *, rows, columns: list[str], fix: str) -> None:
    """A decision compares two strategies or more, each named by an identifier (so that no
    name reaches a table or a workbook as a formula)."""
    for name, row, column in zip(names, rows, columns, strict=True):
        check_identifier(name, "strategy", file=path, row=int(row), column=column,
                         fix="the strategy names become column values and labels of every table")
    if len(names) < 2:
        raise InputError(f"the file holds one strategy ({', '.join(names)}); a decision compares "
                         "two or more", file=path, row=int(rows[0]), column=columns[0], fix=fix)


def _check_parameter_names(columns: list[str], path: Path) -> None:
    """Parameter columns are named by identifiers (they become rows of the EVPPI table)."""
    for column in columns:
        check_identifier(column, "parameter", file=path, row=1, column=column,
                         fix="parameter names become rows of the EVPPI table")


def _parameter_table(table: pd.DataFrame, columns: list[str], path: Path) -> pd.DataFrame:
    return pd.DataFrame({c: _numeric(table, c, path) for c in columns}, index=range(len(table)))


# --------------------------------------------------------------------------- long layout


def _required_column(table: pd.DataFrame, chosen: str | None, candidates: tuple[str, ...],
                     what: str, option: str | None, path: Path) -> str:
    """The cost/effect/draw column: the one chosen, or the single default candidate present."""
    if chosen is not None:
        column = _find_column(table, (chosen.lower(),))
        if column is None:
            raise InputError(f"no {what} column '{chosen}'", file=path, row=1, column=chosen,
                             fix=f"choose among: {', '.join(table.columns)}")
        return column
    present = [c for c in table.columns if c.lower() in candidates]
    if len(present) == 2 and present[0].lower() + "_disc" == present[1].lower():
        return present[1]  # an outcome and its discounted value: the discounted one is reported
    if len(present) > 1:
        raise InputError(f"several {what} columns ({', '.join(present)})", file=path, row=1,
                         column=present[0], fix=f"choose one with {option}" if option
                         else "keep only one of them")
    if not present:
        raise InputError(f"no {what} column (expected one of: {', '.join(candidates)})",
                         file=path, row=1, column=candidates[0],
                         fix=f"rename the column or choose it with {option}" if option
                         else f"add a column '{candidates[0]}'")
    return present[0]


def _read_long(table: pd.DataFrame, path: Path, *, effect: str | None,
               cost: str | None, drop_unevaluated: bool = False) -> PSA:
    strategy_column = _find_column(table, ("strategy",))
    draw_column = _required_column(table, None, DRAW_COLUMNS, "draw", None, path)
    cost_column = _required_column(table, cost, COST_COLUMNS, "cost", "--cost", path)
    effect_column = _required_column(table, effect, EFFECT_COLUMNS, "effect", "--effect", path)
    excluded = 0
    if drop_unevaluated:
        table, excluded = _without_unevaluated(table, [cost_column, effect_column], path, draw_column)
    for column in (strategy_column, draw_column):
        empty = table[column] == ""
        if empty.any():
            raise InputError("the cell is empty", file=path, row=int(empty.idxmax()),
                             column=column, fix=f"give the {column} of every row")

    duplicated = table.duplicated([draw_column, strategy_column])
    if duplicated.any():
        line = int(duplicated.idxmax())
        raise InputError(f"draw {shown(table.at[line, draw_column])} of strategy "
                         f"{shown(table.at[line, strategy_column])} appears twice", file=path, row=line,
                         column=strategy_column, fix="keep one row per draw and strategy")
    draw_code, draws = pd.factorize(table[draw_column])
    strategy_code, strategies = pd.factorize(table[strategy_column])
    first_rows = table.index[np.unique(strategy_code, return_index=True)[1]]
    _check_strategies(list(strategies), path, rows=first_rows, columns=[strategy_column] * len(strategies),
                      fix="give each draw one row per strategy compared")
    _need_two_draws(len(draws), path)
    present = np.zeros((len(draws), len(strategies)), dtype=bool)
    present[draw_code, strategy_code] = True
    if not present.all():
        draw, strategy = np.argwhere(~present)[0]
        line = int(table.index[draw_code == draw][0])
        raise InputError(f"draw {shown(draws[draw])} has no row for strategy '{strategies[strategy]}' "
                         "(strategies have unequal numbers of draws)", file=path, row=line,
                         column=strategy_column, fix="give every strategy a row in every draw")

    costs = np.empty(present.shape)
    effects = np.empty(present.shape)
    costs[draw_code, strategy_code] = _numeric(table, cost_column, path, outcome=True)
    effects[draw_code, strategy_code] = _numeric(table, effect_column, path, outcome=True)
    used = {strategy_column, draw_column, cost_column, effect_column}
    parameters, outcomes = _long_parameters(table, [c for c in table.columns if c not in used],
                                            draw_code, path)
    return PSA(tuple(map(str, strategies)), costs, effects, parameters, path, "long",
               cost_name=cost_column, effect_name=effect_column, ignored=tuple(outcomes),
               excluded=excluded)


def _long_parameters(table: pd.DataFrame, columns: list[str], draw_code: np.ndarray,
                     path: Path) -> tuple[pd.DataFrame, list[str]]:
    """One row per draw of the columns constant within every draw (the parameters), and the
    names of the columns that vary between the strategies of a draw (other outcomes)."""
    values = _parameter_table(table, columns, path)
    first_rows = np.unique(draw_code, return_index=True)[1]
    per_draw = values.iloc[first_rows].reset_index(drop=True)
    varies = (values.to_numpy() != per_draw.to_numpy()[draw_code]).any(axis=0)
    outcomes = [c for c, v in zip(columns, varies, strict=True) if v]
    parameters = per_draw.drop(columns=outcomes)
    _check_parameter_names(list(parameters.columns), path)
    return parameters, outcomes


# --------------------------------------------------------------------------- wide layout


def _is_derived(name: str) -> bool:
    return re.split(_SEPARATORS, name.lower(), maxsplit=1)[0] in DERIVED_WORDS


def _match(name: str, tokens: tuple[str, ...]) -> tuple[str, str] | None:
    """``(strategy, token)`` when the name is ``<strategy><sep><token>`` or ``<token><sep><strategy>``."""
    for token in tokens:
        pattern = re.escape(token)
        suffix = re.fullmatch(rf"(.+?){_SEPARATORS}({pattern})", name, flags=re.IGNORECASE)
        if suffix:
            return suffix.group(1), suffix.group(2)
        prefix = re.fullmatch(rf"({pattern}){_SEPARATORS}(.+)", name, flags=re.IGNORECASE)
        if prefix:
            return prefix.group(2), prefix.group(1)
    return None


def _columns_by_strategy(columns: list[str], tokens: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
    """Strategy → ``[(column, token), …]`` of the columns matching the tokens."""
    found: dict[str, list[tuple[str, str]]] = {}
    for column in columns:
        match = _match(column, tokens)
        if match:
            found.setdefault(match[0], []).append((column, match[1]))
    return found


def _one_column(strategy: str, matches: list[tuple[str, str]], what: str, option: str,
                path: Path) -> tuple[str, str]:
    if len(matches) > 1:
        names = ", ".join(column for column, _ in matches)
        raise InputError(f"strategy '{strategy}' has several {what} columns ({names})", file=path,
                         row=1, column=matches[0][0], fix=f"choose the measure with {option}")
    return matches[0]


def _read_wide(table: pd.DataFrame, path: Path, *, effect: str | None, cost: str | None,
               drop_unevaluated: bool = False) -> PSA:
    ignored = [c for c in table.columns if _is_derived(c)]
    columns = [c for c in table.columns if c not in ignored]
    cost_columns = _columns_by_strategy(columns, (cost,) if cost else COST_TOKENS)
    effect_columns = _columns_by_strategy(columns, (effect,) if effect else EFFECT_TOKENS)
    strategies = [s for s in cost_columns if s in effect_columns]
    if not strategies:
        raise InputError("no pair of cost and effect columns per strategy", file=path, row=1,
                         fix="name them <Strategy>_Cost and <Strategy>_Eff, c_<strategy> and "
                             "e_<strategy>, or use the long layout with a strategy column")
    chosen_costs = [_one_column(s, cost_columns[s], "cost", "--cost", path) for s in strategies]
    chosen_effects = [_one_column(s, effect_columns[s], "effect", "--effect", path)
                      for s in strategies]
    _check_strategies(strategies, path, rows=[1] * len(strategies),
                      columns=[column for column, _ in chosen_costs],
                      fix="name each strategy's columns <Strategy>_Cost and <Strategy>_Eff")
    outcomes = [column for column, _ in chosen_costs + chosen_effects]
    excluded = 0
    if drop_unevaluated:
        table, excluded = _without_unevaluated(table, outcomes, path)
    _need_two_draws(len(table), path)
    costs = np.column_stack([_numeric(table, column, path, outcome=True) for column, _ in chosen_costs])
    effects = np.column_stack([_numeric(table, column, path, outcome=True) for column, _ in chosen_effects])
    parameters = _parameter_table(table, [c for c in columns if c not in outcomes], path)
    _check_parameter_names(list(parameters.columns), path)
    return PSA(tuple(strategies), costs, effects, parameters, path, "wide",
               cost_name=chosen_costs[0][1], effect_name=chosen_effects[0][1],
               ignored=tuple(ignored), excluded=excluded)

"""Reading the user's input files safely: CSV tables as text cells, YAML documents, numbers, names.

Every problem is one :class:`~hecon.errors.InputError` naming the file, the line and the fix.
Nothing read here is ever evaluated as code, and nothing a hostile file holds can make a
reader run out of memory or recursion:

- **Numbers** are plain decimal or scientific notation only (:data:`NUMBER`): no ``1_0``
  (Python's ``float`` reads it as 10), no non-ASCII digits, no ``nan`` or ``inf``, nothing
  beyond the floating-point range. One parser, :func:`parse_number`, serves every reader.
- **Names** that a file declares (parameters, groups, scenarios, strategies) are identifiers
  (:data:`IDENTIFIER`), so that no name can reach a CSV or a workbook as a formula.
- **YAML** is read by a strict safe loader: no anchors or aliases (the "billion laughs"
  expansion), at most :data:`YAML_MAX_DEPTH` levels of nesting (checked event by event, before
  anything is built), at most :data:`YAML_MAX_BYTES` bytes, no duplicate keys, text keys only,
  and YAML 1.2 scalars: ``true``/``false`` are the only booleans and numbers follow
  :data:`NUMBER` (``yes``, ``0x1F``, ``1_000``, ``010`` or ``.inf`` stay text).
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import functools
import math
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from hecon.errors import InputError

#: A number as hecon reads it: optional sign, decimal digits (0-9 only) with an optional
#: point, and an optional exponent: ``12``, ``-0.25``, ``.5``, ``3.``, ``1.5e-3``.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

#: A name a file declares: ASCII letters, digits and underscores, not starting with a digit.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Limits on a YAML input (a scenario, a tree): its size and how deeply its collections nest.
YAML_MAX_BYTES = 1 << 20
YAML_MAX_DEPTH = 50
#: The longest line a CSV input may have (a row of a table is a few hundred characters).
CSV_MAX_LINE = 1 << 20


def shown(value: object, limit: int = 40) -> str:
    """``value`` quoted on one line for a message: control characters escaped, long text cut."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return f"{text[:limit]!r}… ({len(text):,} characters)"
    return repr(text)


# ---------------------------------------------------------------- numbers

def parse_number(text: str, *, file: str | Path | None = None, row: int | None = None,
                 column: str | None = None) -> float:
    """The finite float written in ``text`` (see :data:`NUMBER`), or an InputError naming
    the file, row and column, what is wrong with the text and how to write it."""
    text = text.strip()
    if NUMBER.fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return number
        raise InputError(f"{shown(text)} is beyond the floating-point range (about ±1.8e308)",
                         file=file, row=row, column=column, fix="check the number and its unit")
    raise InputError(f"{shown(text)} is not a number", file=file, row=row, column=column,
                     fix=_number_fix(text))


def _number_fix(text: str) -> str:
    lowered = text.lower().lstrip("+-")
    if lowered in ("nan", "inf", "infinity"):
        return "give a finite number"
    if "_" in text:
        return "remove the underscores: write 1000, not 1_000"
    if any(c.isdigit() and not c.isascii() for c in text):
        return "write the digits 0-9"
    if "," in text:
        return "use a dot as the decimal separator: 0.25, not 0,25"
    return "write a plain number such as 0.25, 1500 or 1.5e-3"


def parse_numbers(texts: Sequence[str] | pd.Series) -> np.ndarray:
    """Many cells at once (vectorised :func:`parse_number`): a float array with NaN where a
    cell is empty or not a number and ±inf where it is beyond the floating-point range, for
    readers that report the first bad cell of a column themselves."""
    texts = pd.Series(texts, dtype=object).astype(str).str.strip()
    valid = texts.str.fullmatch(NUMBER.pattern).to_numpy(dtype=bool)
    values = np.full(len(texts), np.nan)
    values[valid] = texts[valid].astype(float).to_numpy()
    return values


# ---------------------------------------------------------------- names

def check_identifier(name: object, what: str, *, file: str | Path | None = None, row: int | None = None,
                     column: str | None = None, fix: str | None = None) -> str:
    """``name`` if it is an identifier (:data:`IDENTIFIER`), else an InputError saying so;
    ``what`` says what it names (``"parameter name"``), ``fix`` where free text goes instead."""
    if isinstance(name, str) and IDENTIFIER.fullmatch(name):
        return name
    plain = re.sub(r"[^A-Za-z0-9_]+", "_", str(name)).strip("_")
    rename = f"rename it {plain!r}" if IDENTIFIER.fullmatch(plain) and len(plain) <= 40 else "rename it"
    raise InputError(f"{what} {shown(name)} is not an identifier (letters, digits and underscores, "
                     "not starting with a digit)", file=file, row=row, column=column,
                     fix=rename + (f"; {fix}" if fix else ""))


# ---------------------------------------------------------------- CSV

def iter_csv_rows(path: str | Path, columns: Sequence[str], *, only: bool = False,
                  optional: Sequence[str] = ()) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Each row of a CSV file as (line number, its stripped cells in ``columns`` order).

    The header must hold every name of ``columns`` once (with ``only``, and nothing else),
    except those of ``optional``: an absent optional column reads as empty cells.
    Blank lines are skipped; a row with another number of cells than the header is an error.
    Line numbers count from the header (line 1), so a quoted cell spanning lines is counted
    right. Every problem is one :class:`InputError` naming the file, the line and the fix.
    """
    path = Path(path)
    _regular_file(path, "CSV", ".csv")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(_text_lines(handle, path))
            header = next(reader, None)
            if header is None:
                raise InputError("the file is empty", file=path,
                                 fix=f"the first line must be the header: {','.join(columns)}")
            header = [h.strip() for h in header]
            _check_header(path, header, columns, only, optional)
            positions = [header.index(c) if c in header else None for c in columns]
            width, start = len(header), reader.line_num + 1
            for cells in reader:
                line, start = start, reader.line_num + 1
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != width:
                    raise InputError(f"{len(cells)} cells where the header has {width}",
                                     file=path, row=line, fix="check the commas; quote cells that contain one")
                yield line, tuple("" if p is None else cells[p].strip() for p in positions)
    except FileNotFoundError:
        raise InputError("file not found", file=path, fix="check the path") from None
    except OSError as error:
        raise InputError(f"cannot read the file ({error.strerror})", file=path) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", file=path, fix="save it as UTF-8 CSV") from None
    except csv.Error as error:
        raise InputError(f"malformed CSV ({error})", file=path, row=reader.line_num,
                         fix="check the quotes and remove binary characters") from None


def _text_lines(handle, path: Path) -> Iterator[str]:
    """The lines of a text file, each read with a bounded buffer: a NUL character (the mark
    of a binary file) or a line longer than :data:`CSV_MAX_LINE` characters is an error."""
    for number, line in enumerate(iter(functools.partial(handle.readline, CSV_MAX_LINE + 1), ""), start=1):
        if "\x00" in line:
            raise InputError("a NUL character: this is a binary file, not a CSV table", file=path, row=number,
                             fix="export the table as CSV text")
        if len(line) > CSV_MAX_LINE:
            raise InputError(f"a line longer than {CSV_MAX_LINE:,} characters", file=path, row=number,
                             fix="check it is the right file; one row of a table is a line")
        yield line


def _regular_file(path: Path, what: str, suffix: str) -> None:
    """Refuse a folder, a device or a pipe before opening it (reading one may never end)."""
    if path.is_dir():
        raise InputError(f"this is a folder, not a {what} file", file=path, fix=f"give the path of a {suffix} file")
    if path.exists() and not path.is_file():
        raise InputError(f"a device or a pipe, not a {what} file", file=path,
                         fix=f"give the path of a {suffix} file")


def read_csv_cells(path: str | Path, columns: Sequence[str], *, only: bool = False) -> tuple[list[dict[str, str]], list[int]]:
    """Every row of :func:`iter_csv_rows` as a mapping column → cell, and their line numbers."""
    rows, lines = [], []
    for line, cells in iter_csv_rows(path, columns, only=only):
        rows.append(dict(zip(columns, cells, strict=True)))
        lines.append(line)
    return rows, lines


def _check_header(path: Path, header: list[str], columns: Sequence[str], only: bool,
                  optional: Sequence[str] = ()) -> None:
    if len(header) == 1 and ";" in header[0]:
        raise InputError("the columns are separated by semicolons", file=path, row=1,
                         fix="save the file as comma-separated CSV")
    missing = [c for c in columns if c not in header and c not in optional]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", file=path, row=1,
                         column=missing[0],
                         fix=f"the header must hold: {','.join(c for c in columns if c not in optional)}")
    extra = [h for h in header if h not in columns]
    if only and extra:
        close = difflib.get_close_matches(extra[0], columns, n=1)
        raise InputError(f"unknown column(s): {', '.join(shown(e, 20) for e in extra)}", file=path, row=1,
                         column=extra[0] if IDENTIFIER.fullmatch(extra[0]) else None,
                         fix=(f"did you mean {close[0]}? " if close else "") + f"the columns are: {','.join(columns)}")
    if len(set(header)) != len(header):
        seen: set[str] = set()
        twice = next(h for h in header if h in seen or seen.add(h))
        raise InputError(f"column {shown(twice)} appears twice in the header", file=path, row=1,
                         fix="keep one column of each name")


# ---------------------------------------------------------------- YAML

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses what can hurt or mislead (see the module docstring).

    The checks run on parser events, as each one is taken, so that an alias is refused
    before anything expands and a deep nesting before the (recursive) composer goes deep.
    """

    yaml_implicit_resolvers = {first: [(tag, regexp) for tag, regexp in resolvers if tag == _NULL]
                               for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def __init__(self, text: str, file: Path) -> None:
        super().__init__(text)
        self.file = file
        self.depth = 0

    def refuse(self, message: str, mark, fix: str) -> InputError:
        return InputError(message, file=self.file, row=mark.line + 1, fix=fix)

    def get_event(self):
        event = super().get_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise self.refuse("YAML anchors and aliases (&name, *name) are not accepted", event.start_mark,
                              "write every value out in full")
        if isinstance(event, yaml.CollectionStartEvent):
            self.depth += 1
            if self.depth > YAML_MAX_DEPTH:
                raise self.refuse(f"nested more than {YAML_MAX_DEPTH} levels deep", event.start_mark,
                                  "flatten the document")
        elif isinstance(event, yaml.CollectionEndEvent):
            self.depth -= 1
        return event

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        first: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise self.refuse(f"the key {shown(key)} is not a text", key_node.start_mark,
                                  "write the key as a text, in quotes if it reads as a number, true/false or null")
            if len(mapping) < len(node.value) and key in first:
                raise self.refuse(f"duplicate key {shown(key)} (first on line {first[key]})",
                                  key_node.start_mark, "keep one entry per key")
            first[key] = line
        return mapping

    def construct_number(self, node):
        """A plain number (:data:`NUMBER`): an int when written with digits only."""
        number = parse_number(node.value, file=self.file, row=node.start_mark.line + 1)
        return int(node.value) if re.fullmatch(r"[-+]?[0-9]+", node.value.strip()) else number


_StrictLoader.add_implicit_resolver(_BOOL, re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z"), list("tTfF"))
_StrictLoader.add_implicit_resolver(_INT, re.compile(r"[-+]?[0-9]+\Z"), list("-+0123456789"))
_StrictLoader.add_implicit_resolver(_FLOAT, re.compile(NUMBER.pattern + r"\Z"), list("-+0123456789."))
_StrictLoader.add_constructor(_INT, _StrictLoader.construct_number)
_StrictLoader.add_constructor(_FLOAT, _StrictLoader.construct_number)


def read_yaml(path: str | Path, what: str):
    """A YAML document (a ``what``: "scenario", "tree") read safely: see the module docstring.

    Errors name the file, the line and the fix; nothing is evaluated, nothing expands.
    """
    path = Path(path)
    _regular_file(path, what, ".yaml")
    try:
        with open(path, "rb") as handle:
            data = handle.read(YAML_MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{what} file not found", file=path, fix="check the path") from None
    except OSError as error:
        raise InputError(f"cannot read the {what} ({error.strerror})", file=path) from None
    if len(data) > YAML_MAX_BYTES:
        raise InputError(f"the file is larger than {YAML_MAX_BYTES // 2**20} MiB, the limit for a {what} file",
                         file=path, fix="check it is the right file; a scenario or a tree is a few kilobytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"not a UTF-8 text file (byte 0x{data[error.start]:02x} at position {error.start})",
                         file=path, fix="save it as UTF-8 text") from None
    loader = None
    try:
        loader = _StrictLoader(text, path)
        return loader.get_single_data()
    except yaml.reader.ReaderError as error:
        raise InputError(f"not valid YAML (the character #x{error.character:04x} is not allowed)", file=path,
                         row=text.count("\n", 0, error.position) + 1, fix="remove the control character") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = " ".join(str(getattr(error, "problem", None) or error).split())
        raise InputError(f"not valid YAML ({problem})", file=path, row=None if mark is None else mark.line + 1,
                         fix="check the indentation and the colons") from None
    finally:
        if loader is not None:
            loader.dispose()


# ---------------------------------------------------------------- typed values

_TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "a text",
               type(None): "empty (null)", list: "a list", dict: "a mapping"}


def check_types(cls: type, values: Mapping[str, Any], *, file: str | Path | None = None,
                what: str = "option") -> dict[str, Any]:
    """``values`` of fields of the dataclass ``cls``, each checked by :func:`check_type` against
    the field's annotated type (names that are not fields are left to the caller)."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    return {key: check_type(value, hints[key], key=key, what=what, file=file) if key in names else value
            for key, value in values.items()}


def check_type(value: Any, expected: Any, *, key: str, what: str = "key", file: str | Path | None = None) -> Any:
    """``value`` checked against a type (bool, int, float, str, ``X | None``, ``tuple[X, ...]``;
    any other type is left to the caller) and converted where YAML is looser: an int for a
    float, a list for a tuple. A mismatch is an InputError naming the key, the type expected
    and the value found: "option 'discount_rate' must be a number, not 'high' (a text)"."""
    origin, arguments = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        for option in arguments:
            try:
                return check_type(value, option, key=key, what=what, file=file)
            except InputError:
                continue
    elif origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
        if isinstance(value, list | tuple):
            return tuple(check_type(v, arguments[0], key=f"{key}[{i}]", what=what, file=file)
                         for i, v in enumerate(value))
    elif expected in _TYPE_NAMES:
        if expected is float and isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value):
                return float(value)
        elif type(value) is expected:
            return value
    else:
        return value
    wanted = _type_name(expected)
    raise InputError(f"{what} '{key}' must be {wanted}, not {shown(value)} ({_type_name(type(value))})",
                     file=file, fix=f"write {wanted}")


def _type_name(kind: Any) -> str:
    """How a message names a type: "a number", "a list of values, each a whole number"…"""
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in arguments)
    if origin is tuple:
        return f"a list of values, each {_type_name(arguments[0])}"
    return _TYPE_NAMES.get(kind, getattr(kind, "__name__", str(kind)))

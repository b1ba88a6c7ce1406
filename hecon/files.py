"""Reading the user's input files safely: CSV tables as text cells, YAML documents.

Every problem is one :class:`~hecon.errors.InputError` naming the file, the line and the fix.
Nothing read here is ever evaluated as code.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Sequence
from pathlib import Path

import yaml

from hecon.errors import InputError


def read_csv_cells(path: str | Path, columns: Sequence[str], *, only: bool = False) -> tuple[list[dict[str, str]], list[int]]:
    """Read a CSV file as stripped text cells, with each row's line number in the file.

    The header must hold every name of ``columns`` once (with ``only``, and nothing else).
    Blank lines are skipped; a row with another number of cells than the header is an error.
    Returns the rows (the named columns only) and their line numbers (header = line 1).
    Every problem is one :class:`InputError` naming the file, the line and the fix.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise InputError("the file is empty", file=path,
                                 fix=f"the first line must be the header: {','.join(columns)}")
            header = [h.strip() for h in header]
            _check_header(path, header, columns, only)
            rows, lines, start = [], [], reader.line_num + 1
            for cells in reader:
                line, start = start, reader.line_num + 1
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    raise InputError(f"{len(cells)} cells where the header has {len(header)}",
                                     file=path, row=line, fix="check the commas; quote cells that contain one")
                cells_by_name = dict(zip(header, (c.strip() for c in cells), strict=True))
                rows.append({name: cells_by_name[name] for name in columns})
                lines.append(line)
    except FileNotFoundError:
        raise InputError("file not found", file=path, fix="check the path") from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", file=path, fix="save it as UTF-8 CSV") from None
    except csv.Error as error:
        raise InputError(f"malformed CSV ({error})", file=path) from None
    return rows, lines


def _check_header(path: Path, header: list[str], columns: Sequence[str], only: bool) -> None:
    if len(header) == 1 and ";" in header[0]:
        raise InputError("the columns are separated by semicolons", file=path, row=1,
                         fix="save the file as comma-separated CSV")
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", file=path, row=1,
                         column=missing[0], fix=f"the header must hold: {','.join(columns)}")
    extra = [h for h in header if h not in columns]
    if only and extra:
        close = difflib.get_close_matches(extra[0], columns, n=1)
        raise InputError(f"unknown column(s): {', '.join(extra)}", file=path, row=1, column=extra[0],
                         fix=(f"did you mean {close[0]}? " if close else "") + f"the columns are: {','.join(columns)}")
    if len(set(header)) != len(header):
        twice = next(h for h in header if header.count(h) > 1)
        raise InputError(f"column '{twice}' appears twice in the header", file=path, row=1,
                         fix="keep one column of each name")


def read_yaml(path: str | Path, what: str):
    """A YAML document read with ``yaml.safe_load`` (never as code); errors name the file and
    the line."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read the {what} ({error.strerror})", file=path) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InputError(f"not valid YAML ({getattr(error, 'problem', error)})", file=path,
                         row=None if mark is None else mark.line + 1,
                         fix="check the indentation and the colons") from None

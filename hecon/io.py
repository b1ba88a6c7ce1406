"""Results folders: written atomically, each with its manifest.

A results folder is built in a temporary sibling folder and renamed into place only when
every file is written, so an interrupted or failed run leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hecon import __version__
from hecon.errors import InputError


def sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hexadecimal."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_writable_parent(out: Path) -> None:
    parent = out.parent
    if parent.exists() and not parent.is_dir():
        raise InputError("the parent of the output folder is not a folder", file=out,
                         fix="choose another --out")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder's parent ({error.strerror})",
                         file=out, fix="choose a writable --out") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError("the output folder's parent is not writable", file=out,
                         fix="choose a writable --out")


@contextlib.contextmanager
def results_folder(out: str | Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary folder to write results into; on success it replaces ``out``.

    On any exception the temporary folder is removed and ``out`` is left untouched.
    An existing ``out`` is replaced only when ``overwrite`` is true (it is first moved
    aside, then deleted once the new folder is in place).
    """
    out = Path(out).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise InputError("the output path exists and is not a folder", file=out,
                         fix="choose another --out")
    if out.exists() and not overwrite:
        raise InputError("the output folder already exists", file=out,
                         fix="remove it or choose another --out")
    _check_writable_parent(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    staging.chmod(0o755)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_csv(frame: pd.DataFrame, path: Path, **kwargs: Any) -> Path:
    """Write a table as CSV (index dropped unless asked) and return its path."""
    frame.to_csv(path, index=kwargs.pop("index", False), **kwargs)
    return path


def manifest(
    *,
    model: str,
    command: str,
    inputs: Mapping[str, str | Path] | None = None,
    seed: int | None = None,
    options: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a results folder: what was run, on which inputs, how.

    ``inputs`` maps a role ("parameters", "life_table", …) to a file; each is recorded with
    its SHA-256 so a reader can tell whether the inputs changed since.
    """
    return {
        "hecon_version": __version__,
        "model": model,
        "command": command,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "seed": seed,
        "options": dict(options or {}),
        "inputs": {
            role: {"path": str(Path(path)), "sha256": sha256(path)}
            for role, path in (inputs or {}).items()
        },
        **dict(extra or {}),
    }


def write_manifest(folder: Path, content: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` into a results folder."""
    path = folder / "manifest.json"
    path.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
    return path


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

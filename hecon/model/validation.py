"""Validation targets: the external evidence a model is checked against.

External validation (ISPOR–SMDM, TECH-VER) compares what a model implies with results it was
not calibrated to: observed mortality 1, 3 and 5 years after discharge, extra ICU days per
infection. The targets are inputs, not code: ``validation_targets.csv`` in the model's inputs
folder, one row per check, so that a reviewer changes a target or its source without touching
the model. Columns:

``check``
    The check's name, an identifier the model's ``validation`` computes a value for.
``target``, ``low``, ``high``
    The published value and the range the model's value must fall in to pass
    (low ≤ target ≤ high).
``unit``
    What the numbers count ("ICU days per infection episode").
``source``
    The citation, shown in the validation table and the report.
``notes``
    Where in the evidence the numbers are, and what of the range is an assumption.

A row that names a check the model does not compute is an error; a check without a row is not
reported (deleting a row drops a check).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hecon.errors import InputError
from hecon.model.files import check_identifier, iter_csv_rows, parse_number

#: the columns of ``validation_targets.csv``
COLUMNS = ("check", "target", "low", "high", "unit", "source", "notes")
#: the file's name in a model's inputs folder
TARGETS_FILE = "validation_targets.csv"


@dataclass(frozen=True)
class ValidationTarget:
    """One external target: the published value, the range that passes, its unit and source."""

    check: str
    target: float
    low: float
    high: float
    unit: str
    source: str
    notes: str = ""


def read_validation_targets(path: str | Path, checks: tuple[str, ...] | None = None) -> dict[str, ValidationTarget]:
    """The targets of ``validation_targets.csv``, check → target, in file order.

    ``checks``: the checks the model computes; a row naming another is an error. Every problem
    (a missing column, a number that is not one, a range that does not hold its target, a
    check named twice, an empty source) is one InputError naming the file, row and fix.
    """
    path = Path(path)
    targets: dict[str, ValidationTarget] = {}
    for line, cells in iter_csv_rows(path, COLUMNS, only=True):
        row = dict(zip(COLUMNS, cells, strict=True))
        name = check_identifier(row["check"], "check", file=path, row=line, column="check",
                                fix="name the check as the model's validation does")
        if checks is not None and name not in checks:
            raise InputError(f"the model computes no check {name!r}", file=path, row=line, column="check",
                             fix=f"the checks are: {', '.join(checks)}")
        if name in targets:
            raise InputError(f"the check {name!r} has two rows", file=path, row=line, column="check",
                             fix="keep one row per check")
        target, low, high = (parse_number(row[c], file=path, row=line, column=c) for c in ("target", "low", "high"))
        if not low <= target <= high:
            raise InputError(f"the range [{low:g}, {high:g}] does not hold the target {target:g}", file=path,
                             row=line, column="low", fix="give low ≤ target ≤ high")
        for column in ("unit", "source"):
            if not row[column]:
                raise InputError(f"the {column} is empty", file=path, row=line, column=column,
                                 fix="every target says what it counts and where it comes from")
        targets[name] = ValidationTarget(name, target, low, high, row["unit"], row["source"], row["notes"])
    return targets

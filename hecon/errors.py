"""User-facing errors: one clear message naming the file, row, column and the fix."""

from __future__ import annotations

from pathlib import Path


def one_line(text: str) -> str:
    """``text`` with its control characters (newline, carriage return, tab, …) written as
    escapes, so a message quoting a user's file name or value stays on one line."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


class InputError(ValueError):
    """A mistake in the user's input (a file, an option, a value).

    The command-line interface prints ``str(error)`` on one line of stderr and exits
    with code 2; the library raises it so that a notebook shows the same message.

    Parameters
    ----------
    message:
        What is wrong.
    file, row, column:
        Where it is (``row`` is the 1-based line number in the file, header = line 1).
    fix:
        What the user should do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = (": ".join([", ".join(where), self.message]) if where else self.message)
        if self.fix:
            text += f" (fix: {self.fix})"
        return one_line(text)


class ModelError(RuntimeError):
    """A model produced an invalid result (a transition row not summing to one, a
    probability outside [0, 1], an infeasible calibration) for some parameter sets.

    ``sets`` holds the indices of the offending parameter sets in the batch.
    """

    def __init__(self, message: str, *, sets=None) -> None:
        self.sets = sets
        super().__init__(message)

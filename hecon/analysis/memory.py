"""Memory budget of an analysis: estimate before allocating, then chunk or refuse.

Every analysis is a batch of parameter sets. A batch of n sets holds the parameter matrix
and the outcomes of every strategy, in 8-byte floats:

    bytes = 8 · n · (parameters + strategies · outcomes)

An analysis evaluates its batch in chunks of ``chunk_size(bytes per set, budget)`` sets;
where what it must keep (the result itself) exceeds the budget, ``require`` refuses before
anything is allocated, with the estimate and the fix. The budget is ``--memory`` GB, read
as GiB (2³⁰ bytes).
"""

from __future__ import annotations

import math

from hecon.errors import InputError

DEFAULT_BUDGET_GB = 4.0
"""Default budget: fits a 2-core, 24 GB machine with room for the rest."""

GIB = 1024 ** 3
FLOAT_BYTES = 8


def as_bytes(gigabytes: float) -> int:
    """A ``--memory`` of ``gigabytes`` GB in bytes; refuse a budget that is not a positive number."""
    if not (math.isfinite(gigabytes) and gigabytes > 0):
        raise InputError(f"--memory must be a positive number of GB, not {gigabytes}",
                         fix=f"pass e.g. --memory {DEFAULT_BUDGET_GB:g}")
    return int(gigabytes * GIB)


def batch_bytes(sets: int, parameters: int, strategies: int, outcomes: int) -> int:
    """Bytes of a batch: its parameter matrix plus its outcomes, 8 · sets · (p + s · o)."""
    return FLOAT_BYTES * sets * (parameters + strategies * outcomes)


def chunk_size(bytes_per_set: int, budget_bytes: int) -> int:
    """The number of parameter sets evaluated at once: ⌊budget / bytes per set⌋, at least 1."""
    return max(1, int(budget_bytes) // max(1, int(bytes_per_set)))


def require(bytes_needed: float, budget_bytes: int, what: str, fix: str) -> None:
    """Refuse (InputError with the estimate in GiB and ``fix``) when ``what`` needs more than the budget."""
    if bytes_needed > budget_bytes:
        raise InputError(f"{what} needs about {bytes_needed / GIB:,.1f} GiB of memory, more than "
                         f"the budget of {budget_bytes / GIB:,.1f} GiB", fix=fix)

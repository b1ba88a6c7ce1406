"""Independent numerical tasks on this machine's cores, each in one BLAS thread.

OpenBLAS splits a matrix product over every core by default. For the moderate matrices of a
regression (a few hundred columns) that gains little, and on a machine whose cores are busy
its threads wait on one another: the EVPPI of the flagship's parameter groups took 17–34 s
with two BLAS threads on two loaded cores and 3 s with one (measured, benchmarks/cli.py).
The results of a product also depend on how many threads shared it (in the last digits).
So each task here runs with one BLAS thread (``threadpoolctl``), and the tasks run side by
side on Python threads (NumPy and LAPACK release the GIL while they compute): results are
identical whatever the number of cores, and a task's random stream must be its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Value = TypeVar("Value")


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def single_threaded_map(function: Callable[[Item], Value], items: Iterable[Item],
                        workers: int | None = None) -> list[Value]:
    """``[function(item) for item in items]``, up to ``workers`` at once (default: one per
    core), every BLAS call in one thread; the results in the order of ``items``."""
    from threadpoolctl import threadpool_limits

    items = list(items)
    workers = max(1, min(workers or cores(), len(items)))
    with threadpool_limits(limits=1, user_api="blas"):
        if workers == 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(function, items))

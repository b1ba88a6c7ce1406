"""A batch of parameter sets evaluated chunk by chunk, in this process or on a Dask cluster.

Every analysis is a batch of parameter sets through one vectorised model (DESIGN.md). A batch
says how to make its sets ``start`` … ``stop − 1``, so that a chunk is made where it is
evaluated: :class:`Draws` samples them from the parameter table (a PSA), :class:`Design` maps
rows of a unit-hypercube design (SALib), :class:`Overrides` holds some parameters at given
values (two-way grid, threshold search), :class:`Sets` slices sets given whole (one-way).
Any picklable object with ``n`` and ``sets(start, stop)`` is a batch.

:func:`evaluate_batch` evaluates a batch in chunks of ``chunk_size`` sets on an engine:

- :data:`IN_PROCESS` (the default): the chunks in this process, side by side on its cores
  (Python threads, each chunk in one BLAS thread: NumPy releases the GIL while it computes,
  measured 1.8 times faster for the flagship's PSA on 2 cores), a chunk large enough to share
  split into one part per core; dask is not imported;
- :class:`DaskEngine` (:func:`engine` with ``workers=N``, a ``LocalCluster`` of N worker
  processes of one thread each, or ``scheduler=ADDRESS``, an existing cluster): the job — the
  model by its source (registered name or file path, and its inputs folder), its options, the
  batch with its parameter table, and the summary — is sent to every worker once
  (``Client.scatter(..., broadcast=True)``); each chunk is a task holding its bounds only; a
  worker returns the chunk's outcomes without the model's traces (or its summary), and the
  client puts each in its place by chunk number as it arrives.

Results are identical, bit for bit, whatever the engine, the number of workers, the chunk
size or the order in which the chunks finish: a set's outcomes depend only on its own
parameters, and a PSA draw only on the seed and its number (:meth:`ParameterTable.sample`).
A worker that dies mid-run takes only its running chunks with it: the scheduler gives them
to another worker (every worker holds the job), which computes the same numbers.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from hecon.analysis.threads import cores
from hecon.errors import InputError, ModelError
from hecon.model import Model
from hecon.model.distributions import require_sampler
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterSets, ParameterTable

#: a summary of a chunk's outcomes computed where the chunk is evaluated: ``summary(model,
#: outcomes)`` → an array over the chunk's sets (first axis); a module-level function or a
#: ``functools.partial`` of one, so that a worker can receive it
Summary = Callable[[Any, Outcomes], np.ndarray]
#: seconds to wait for a scheduler to answer, then for its first worker, before giving up
CONNECT_SECONDS = 30
WORKER_WAIT_SECONDS = 60
#: dask's setting of glibc's ``MALLOC_TRIM_THRESHOLD_`` in its worker processes, left unset on
#: ours: any value turns off glibc's dynamic mmap threshold, so that every large temporary
#: array of a vectorised model is a fresh ``mmap`` and its pages are faulted in again
#: (measured: 1.8 times the CPU time of the flagship's PSA)
TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


class Batch(Protocol):
    """n parameter sets, made chunk by chunk where they are evaluated."""

    n: int

    def sets(self, start: int, stop: int) -> ParameterSets: ...


@dataclass(frozen=True)
class Draws:
    """The ``n`` draws of a PSA from ``table`` with ``seed`` and ``sampler``
    (:meth:`ParameterTable.sample_draws`: a chunk samples its own draws)."""

    table: ParameterTable
    n: int
    seed: int
    sampler: str = "generator"

    def __post_init__(self) -> None:
        if self.n < 1:
            raise InputError(f"the number of draws must be at least 1, not {self.n}")
        require_sampler(self.sampler)

    def sets(self, start: int, stop: int) -> ParameterSets:
        return self.table.sample_draws(start, stop, self.seed, self.sampler)


@dataclass(frozen=True, eq=False)
class Design:
    """The rows of a unit-hypercube design ``units`` [n, uncertain parameters] through each
    parameter's quantile function (:meth:`ParameterTable.from_unit`)."""

    table: ParameterTable
    units: np.ndarray

    @property
    def n(self) -> int:
        return len(self.units)

    def sets(self, start: int, stop: int) -> ParameterSets:
        return self.table.from_unit(self.units[start:stop])


@dataclass(frozen=True, eq=False)
class Overrides:
    """The base case with each parameter of ``values`` (name → array [n]) held at its value
    in each set (:meth:`ParameterTable.override`: Dirichlet siblings rescaled)."""

    table: ParameterTable
    values: Mapping[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(next(iter(self.values.values())))

    def sets(self, start: int, stop: int) -> ParameterSets:
        return self.table.override(self.table.base_case(stop - start),
                                   {name: values[start:stop] for name, values in self.values.items()})


@dataclass(frozen=True, eq=False)
class Sets:
    """Parameter sets given whole (a small batch such as the one-way analysis's)."""

    given: ParameterSets

    @property
    def n(self) -> int:
        return self.given.n

    def sets(self, start: int, stop: int) -> ParameterSets:
        return self.given if (start, stop) == (0, self.given.n) else self.given.take(np.arange(start, stop))


# ---------------------------------------------------------------- the job a worker receives

@dataclass(frozen=True)
class ModelSource:
    """Where a worker loads the model from: its source (registered name or file path), its
    inputs folder and parameter table file (each worker loads it once, :func:`loaded_model`),
    and the model file's modification time, so that a long-lived worker reloads an edited file."""

    source: str
    inputs: str
    parameters: str
    modified: int = 0

    @classmethod
    def of(cls, model: Model) -> ModelSource:
        if not isinstance(model, Model):
            raise InputError(f"{type(model).__name__} is not a model loaded by name or file, which is "
                             "what a Dask worker can load", fix="load it with hecon.model.Model(name or path)")
        file = Path(model.source)
        modified = file.stat().st_mtime_ns if file.is_file() else 0
        return cls(model.source, str(model.input_dir), str(model.table_file), modified)


@functools.cache
def loaded_model(source: ModelSource) -> Model:
    """The model of ``source``, loaded once per process."""
    return Model(source.source, source.inputs, source.parameters)


def lean(outcomes: Outcomes) -> Outcomes:
    """The outcomes without the model's extra results (traces): what a chunk sends back."""
    return Outcomes(outcomes.strategies, outcomes.costs, outcomes.consequences, outcomes.labels,
                    problems=outcomes.problems)


@dataclass(frozen=True, eq=False)
class Job:
    """A batch through a model with its options, each chunk's outcomes (or their ``summary``).

    Pickled (sent to a worker) with the model as its :class:`ModelSource` and the options as
    their fields; unpickled, the worker's own loaded model and options take their place.
    """

    model: Any
    options: Any
    batch: Batch
    summary: Summary | None = None

    def chunk(self, start: int, stop: int) -> Outcomes | np.ndarray:
        outcomes = lean(self.model.evaluate(self.batch.sets(start, stop), self.options))
        return outcomes if self.summary is None else np.asarray(self.summary(self.model, outcomes))

    def __reduce__(self):
        fields = {f.name: getattr(self.options, f.name) for f in dataclasses.fields(self.options)}
        return _received_job, (ModelSource.of(self.model), fields, self.batch, self.summary)


def _received_job(source: ModelSource, options: dict, batch: Batch, summary: Summary | None) -> Job:
    model = loaded_model(source)
    return Job(model, model.module.Options(**options), batch, summary)


def _run_chunk(job: Job, start: int, stop: int) -> Outcomes | np.ndarray:
    """A chunk on a worker (a module-level function: the worker imports it by name)."""
    return job.chunk(start, stop)


# ---------------------------------------------------------------- engines

#: the smallest part of a chunk that the in-process engine gives a thread of its own
MIN_SHARED_CHUNK = 1_000


@dataclass(frozen=True)
class Plan:
    """The chunks (start, stop) of a batch, and how many an in-process engine runs at once (0
    on a cluster, whose scheduler runs as many as it has worker threads)."""

    bounds: list[tuple[int, int]]
    at_once: int


class InProcess:
    """The chunks in this process (no dask), up to ``threads`` at once (default: one per core),
    each with one BLAS thread; each result placed, in this thread, as its chunk completes."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads

    def plan(self, n: int, chunk_size: int) -> Plan:
        """The chunks of n sets: of at most ``chunk_size``, each split in one part per thread,
        the parts evaluated side by side, when the parts keep at least :data:`MIN_SHARED_CHUNK`
        sets (the threads then hold no more memory than one chunk of ``chunk_size``); else
        chunks of ``chunk_size``, one after another."""
        threads = self.threads or cores()
        part = -(-min(chunk_size, n) // threads)
        if threads > 1 and part >= MIN_SHARED_CHUNK:
            return Plan(chunk_bounds(n, part), threads)
        return Plan(chunk_bounds(n, chunk_size), 1)

    def run(self, job: Job, plan: Plan, place: Callable[[int, Any], None]) -> None:
        """The plan's chunks, at most ``plan.at_once`` at once (so that no more than that many
        chunks' outcomes wait to be placed), the next one started as one completes."""
        from threadpoolctl import threadpool_limits

        bounds, threads = plan.bounds, min(plan.at_once, len(plan.bounds))
        pending, running = list(enumerate(bounds))[::-1], {}
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
            try:
                while pending or running:
                    while pending and len(running) < threads:
                        i, (start, stop) = pending.pop()
                        # in a copy of this thread's context: numpy's error state (np.errstate) with it
                        running[pool.submit(contextvars.copy_context().run, job.chunk, start, stop)] = i
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        place(running.pop(future), future.result())
            except BaseException:
                for future in running:
                    future.cancel()
                raise

    def describe(self) -> dict:
        """What the manifest records of the engine."""
        return {"engine": "in process", "threads": self.threads or cores()}


IN_PROCESS = InProcess()


class DaskEngine:
    """Chunks as tasks of a ``dask.distributed`` client: the job scattered once to every
    worker, each chunk's result placed by its number as it completes."""

    def __init__(self, client) -> None:
        self.client = client

    @staticmethod
    def plan(n: int, chunk_size: int) -> Plan:
        """The chunks of n sets: of ``chunk_size`` (the last one shorter)."""
        return Plan(chunk_bounds(n, chunk_size), 0)

    def run(self, job: Job, plan: Plan, place: Callable[[int, Any], None]) -> None:
        from distributed import as_completed

        ModelSource.of(job.model)  # a model a worker cannot load is refused before anything is sent
        bounds = plan.bounds
        [shipped] = self.client.scatter([job], broadcast=True, hash=False)
        run = uuid.uuid4().hex[:8]
        futures = [self.client.submit(_run_chunk, shipped, start, stop, key=f"hecon-chunk-{run}-{i}")
                   for i, (start, stop) in enumerate(bounds)]
        position = {future.key: i for i, future in enumerate(futures)}
        completed = as_completed(futures, with_results=True)
        del futures  # a chunk's future goes as its result is placed
        try:
            for future, result in completed:
                place(position[future.key], result)
        except (InputError, ModelError):
            raise
        except Exception as error:  # the cluster's failures (a worker lost for good, the scheduler gone)
            raise InputError(f"the cluster could not finish the run: {type(error).__name__}: {error}",
                             fix="check the scheduler and that every worker has the same hecon and the "
                                 "model's files (docs/distributed.md), or run without --workers/--scheduler") from error
        finally:  # nothing of this run stays on a shared cluster
            self.client.cancel([*getattr(completed, "futures", ()), shipped])  # the chunks still pending

    def describe(self) -> dict:
        """The cluster, for the manifest: scheduler, workers, threads, dask's version."""
        import dask
        import distributed

        threads = self.client.nthreads()
        return {"engine": "dask", "scheduler": self.client.scheduler.address, "workers": len(threads),
                "threads": sum(threads.values()), "dask": dask.__version__,
                "distributed": distributed.__version__}


@contextlib.contextmanager
def engine(workers: int | None = None, scheduler: str | None = None) -> Iterator[InProcess | DaskEngine]:
    """The engine of ``--workers N`` (a ``LocalCluster`` of N worker processes, one thread
    each, closed on exit) or ``--scheduler ADDRESS`` (an existing cluster, by its scheduler's
    address or the JSON file ``dask scheduler --scheduler-file`` wrote; it must answer
    within :data:`CONNECT_SECONDS` and have a worker within :data:`WORKER_WAIT_SECONDS`); neither: :data:`IN_PROCESS`, and dask is not
    imported. Both, or a number of workers below 1, is an InputError."""
    if workers is not None and scheduler is not None:
        raise InputError("--workers and --scheduler are given together",
                         fix="give --workers N for a cluster on this machine, or --scheduler ADDRESS for an existing one")
    if workers is None and scheduler is None:
        yield IN_PROCESS
        return
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers}: a cluster needs at least one worker", fix="pass --workers 1 or more")
    with _client(workers, scheduler) as client:
        yield DaskEngine(client)


@contextlib.contextmanager
def _client(workers: int | None, scheduler: str | None):
    import dask
    from distributed import Client, LocalCluster

    if workers is not None:
        with dask.config.set({TRIM: None}), LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = (Client(scheduler_file=scheduler, timeout=CONNECT_SECONDS) if Path(scheduler).is_file()
                  else Client(scheduler, timeout=CONNECT_SECONDS))
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({error})",
                         fix="give the address its scheduler prints, e.g. tcp://10.0.0.5:8786") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            raise InputError(f"--scheduler {scheduler}: the cluster has no worker after {WORKER_WAIT_SECONDS} s",
                             fix="start workers (dask worker ADDRESS), then run again") from None
        yield client


# ---------------------------------------------------------------- evaluating a batch

def chunk_bounds(n: int, chunk_size: int) -> list[tuple[int, int]]:
    """(start, stop) of the consecutive chunks of at most ``chunk_size`` of n sets."""
    if chunk_size < 1:
        raise InputError(f"--chunk-size {chunk_size}: a chunk holds at least one set", fix="pass --chunk-size 1 or more")
    return [(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)]


def evaluate_batch(model, options, batch: Batch, *, chunk_size: int | None = None,
                   engine: InProcess | DaskEngine | None = None, summary: Summary | None = None,
                   progress: Callable[[int], None] | None = None) -> Outcomes | np.ndarray:
    """The outcomes of ``batch`` through ``model`` with ``options``, evaluated in chunks of
    ``chunk_size`` sets (default: one chunk) on ``engine`` (default: :data:`IN_PROCESS`).

    Returns the batch's outcomes (the chunks' joined, sets numbered 0 … n − 1, without the
    model's traces), or with ``summary`` the chunks' summaries joined along their first axis.
    ``progress(k)`` is called as each chunk of k sets completes. A model that is not loaded by
    name or file (:class:`~hecon.model.Model`) runs in process only.
    """
    engine = engine or IN_PROCESS
    plan = engine.plan(batch.n, chunk_size or batch.n)
    bounds = plan.bounds
    whole = Whole(bounds)

    def place(i: int, result) -> None:
        whole.place(i, result)
        if progress is not None:
            progress(bounds[i][1] - bounds[i][0])

    engine.run(Job(model, options, batch, summary), plan, place)
    return whole.result()


class Whole:
    """The batch's result, filled in place chunk by chunk in whatever order they arrive, so
    that the client holds the whole once (no list of chunks joined at the end): the outcomes
    (arrays [sets, strategies], chunk i at rows ``bounds[i]``; problems renumbered, in chunk
    order) or the summaries (arrays over the sets, first axis)."""

    def __init__(self, bounds: Sequence[tuple[int, int]]) -> None:
        self.bounds, self.n = bounds, bounds[-1][1]
        self.arrays: dict[str, np.ndarray] = {}
        self.first: Outcomes | None = None
        self.problems: dict[int, pd.DataFrame] = {}

    def _fill(self, name: str, rows: slice, values: np.ndarray) -> None:
        if name not in self.arrays:
            self.arrays[name] = np.empty((self.n, *values.shape[1:]), dtype=values.dtype)
        self.arrays[name][rows] = values

    def place(self, i: int, result: Outcomes | np.ndarray) -> None:
        start, stop = self.bounds[i]
        if isinstance(result, np.ndarray):
            self._fill("summary", slice(start, stop), result)
            return
        self.first = self.first or result
        for name, values in {**result.costs, **result.consequences}.items():
            self._fill(name, slice(start, stop), np.asarray(values))
        self.problems[i] = result.problems.assign(set=result.problems["set"] + start)

    def result(self) -> Outcomes | np.ndarray:
        if self.first is None:
            return self.arrays["summary"]
        first = self.first
        problems = pd.concat([self.problems[i] for i in range(len(self.bounds))], ignore_index=True)
        return Outcomes(first.strategies, {k: self.arrays[k] for k in first.costs},
                        {k: self.arrays[k] for k in first.consequences}, first.labels, problems=problems)

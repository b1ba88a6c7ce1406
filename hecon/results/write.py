"""The one writer of results folders.

``write(out, model, *results, command=…)`` makes every results folder: safely and atomically
(:func:`hecon.results.folder.results_folder`), with each Result's tables as CSV, the figures
the registry (:mod:`hecon.results.figures`) maps to those tables as HTML (and PNG/SVG where a
browser is), and the manifest recording every Result's meta. ``results_writer`` does the same
for Results computed one after another, each one's tables written while the next is computed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hecon.analysis.result import Result, merged_meta
from hecon.results.draws import write_gzip_csv
from hecon.results.figures import figures_of
from hecon.results.folder import manifest, results_folder, write_csv, write_manifest
from hecon.results.plots import io
from hecon.results.plots.io import write_html, write_static
from hecon.results.plots.style import house_template

#: tables of one row per draw, written gzip-compressed (:func:`~hecon.results.draws.write_gzip_csv`)
COMPRESSED = {"psa", "bootstrap", "ce_plane"}
#: … and of those, the ones no figure is drawn from, with floats to 11 significant digits
#: (relative error at most 5e-11, far below any input's precision, and 13 % smaller than 13
#: digits; a figure's table keeps every digit, so that the figure drawn from the folder is the
#: figure drawn from memory)
ROUNDED = {"psa", "bootstrap"}
ROUNDED_FORMAT = "%.11g"
#: the manifest's step timing of the tables, written beside the other steps (not after them)
BESIDE_STEP = "tables (beside)"


def table_file(stem: str) -> str:
    """The file name of table ``stem`` in a results folder (``.csv.gz`` for :data:`COMPRESSED`)."""
    return f"{stem}.csv.gz" if stem in COMPRESSED else f"{stem}.csv"


def timed(timings: dict[str, float], step: str, task: Callable[[], Any]) -> Any:
    """Run ``task()``, add its wall-clock seconds to ``timings[step]`` and return its result."""
    start = time.perf_counter()
    try:
        return task()
    finally:
        timings[step] = round(timings.get(step, 0.0) + time.perf_counter() - start, 3)


def _write_tables(tables: Mapping[str, Any], folder: Path) -> None:
    """Every table as CSV: one row per draw gzip-compressed (:data:`COMPRESSED`, through
    :func:`hecon.results.draws.write_gzip_csv`; those of :data:`ROUNDED` to 11 digits)."""
    for stem, table in tables.items():
        if table is None:
            continue
        path = folder / table_file(stem)
        if stem in COMPRESSED:
            write_gzip_csv(table, path, ROUNDED_FORMAT if stem in ROUNDED else None)
        else:
            write_csv(table, path)


def _tables_and_meta(results) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every table of ``results`` by stem, and their merged meta."""
    return ({stem: table for result in results for stem, table in result.tables().items()},
            merged_meta(result.meta for result in results))


class ResultsWriter:
    """A results folder being written (:func:`results_writer`): the tables of each Result are
    written as soon as it is :meth:`add`-ed, in a thread of their own (numpy and ISA-L, mostly
    without the GIL), while the caller computes the next Result; :meth:`close` draws the
    figures, waits for the tables and writes the manifest.

    plotly's house template (:func:`~hecon.results.plots.style.house_template`) is made the
    default once for the folder's figures, by the tables' thread as the first Result comes: its
    first validation builds the defaults of every trace type (0.1–0.2 s), which would otherwise
    hold up the start of the analyses."""

    def __init__(self, folder: Path, model: str, command: str, inputs: Mapping[str, str | Path],
                 tables: ThreadPoolExecutor, scope: contextlib.ExitStack,
                 note: Callable[[str], None] | None) -> None:
        self.folder, self.model, self.command, self.inputs = folder, model, command, dict(inputs)
        self.results: list[Result] = []
        self.timings: dict[str, float] = {}
        self._tables, self._written, self._note = tables, [], note
        self._scope, self._look = scope, None
        self.closed = False

    def _house_look(self) -> Future:
        """The house template set as plotly's default in the tables' thread (until the block
        ends), started once."""
        if self._look is None:
            self._look = self._tables.submit(self._scope.enter_context, house_template())
        return self._look

    def figures(self, results: Iterable[Result]) -> dict[str, Any]:
        """Figure stem → figure of ``results`` in the house template."""
        self._house_look().result()
        return figures_of(*_tables_and_meta(results))

    def add(self, *results: Result) -> None:
        """Start writing the tables of ``results`` (a table of a later Result replaces one of
        the same stem, as in :func:`write`)."""
        self._house_look()
        self.results += results
        tables, _ = _tables_and_meta(results)
        self._written.append(self._tables.submit(timed, self.timings, BESIDE_STEP,
                                                 lambda: _write_tables(tables, self.folder)))

    def draw_ahead(self, *results: Result) -> None:
        """Start drawing the PNG and SVG figures of ``results`` in the open browser session
        (:func:`hecon.results.plots.io.draw_ahead`), on another core, while the caller computes
        the rest; :meth:`close` takes each image whose figure comes out the same. Without a
        session, nothing."""
        if io.session_open():
            io.draw_ahead(self.figures(results))

    def close(self, *, seed: int | None = None, options: Mapping[str, Any] | None = None,
              static: bool = False, extra: Mapping[str, Any] | None = None,
              finish: Callable[[Path, Mapping[str, Any]], None] | None = None) -> None:
        """Draw the figures of every Result added (HTML; PNG and SVG too if ``static``), wait for
        the tables, write the manifest; then ``finish(folder, figures)`` (see :func:`write`)."""
        timings, folder = self.timings, self.folder
        with ThreadPoolExecutor(1, thread_name_prefix="images") as beside:
            # the browser draws PNG and SVG on another core while HTML is written
            figures = timed(timings, "figures", lambda: self.figures(self.results))
            images = beside.submit(write_static, figures, folder) if static else None
            timed(timings, "figures as HTML", lambda: [write_html(figure, folder / f"{stem}.html")
                                                       for stem, figure in figures.items()])
            timed(timings, "tables (after the figures)", lambda: [written.result() for written in self._written])
            if images is not None:
                reason = timed(timings, "figures as PNG and SVG (after the tables)", lambda: images.result()[1])
                if reason and self._note:
                    self._note(reason)
        extra = dict(extra or {})
        extra["timings_seconds"] = {**extra.get("timings_seconds", {}), **timings}
        contents = manifest(model=self.model, command=self.command, inputs=self.inputs, seed=seed,
                            options=options, extra={**extra, **recorded_results(self.results)})
        write_manifest(folder, contents)
        if finish is not None:
            timed(extra["timings_seconds"], "report and workbook", lambda: finish(folder, figures))
            write_manifest(folder, contents)  # with the time the finish took
        self.closed = True


@contextlib.contextmanager
def results_writer(out: str | Path, model: str, *, command: str,
                   inputs: Mapping[str, str | Path] | None = None, also_inputs: Iterable[str | Path] = (),
                   note: Callable[[str], None] | None = None) -> Iterator[ResultsWriter]:
    """A :class:`ResultsWriter` into the results folder ``out``, made safely and atomically
    (:func:`hecon.results.folder.results_folder`: ``out`` is replaced only when the block ends
    without an error, after :meth:`ResultsWriter.close`). ``inputs`` (role → file) are hashed
    into the manifest; with ``also_inputs`` (folders) they may not lie in ``out``."""
    inputs = dict(inputs or {})
    # the house template, set by the tables' thread, is plotly's default until the block ends
    with (results_folder(out, inputs=[*inputs.values(), *also_inputs], note=note) as folder,
          contextlib.ExitStack() as scope, ThreadPoolExecutor(1, thread_name_prefix="tables") as tables):
        writer = ResultsWriter(folder, model, command, inputs, tables, scope, note)
        yield writer
        if not writer.closed:
            raise RuntimeError("a results folder was left without its manifest: call close() in the block")


def write(out: str | Path, model: str, *results: Result, command: str,
          inputs: Mapping[str, str | Path] | None = None, also_inputs: Iterable[str | Path] = (),
          seed: int | None = None, options: Mapping[str, Any] | None = None,
          static: bool = False, extra: Mapping[str, Any] | None = None,
          note: Callable[[str], None] | None = None,
          finish: Callable[[Path, Mapping[str, Any]], None] | None = None) -> Path:
    """Write ``results`` into the results folder ``out`` and return its path.

    ``inputs`` (role → file) are hashed into the manifest; with ``also_inputs`` (folders) they
    may not lie in ``out``. ``static`` also writes PNG and SVG figures (a line goes to ``note``
    when no browser is there to draw them). ``finish(folder, figures)`` runs last, inside the
    folder, with the figures drawn (``hecon run`` builds its report and workbook there).
    A caller that computes its Results one after another writes each one's tables as it comes
    through :func:`results_writer` instead.
    """
    with results_writer(out, model, command=command, inputs=inputs, also_inputs=also_inputs, note=note) as writer:
        writer.add(*results)
        writer.close(seed=seed, options=options, static=static, extra=extra, finish=finish)
    return Path(out)


def recorded_results(results) -> dict:
    """What the manifest records of ``results``: each one's meta (``results``), with the
    parameters' labels, which several Results repeat, written once beside them
    (``parameter_labels``, united; :func:`hecon.results.report.recorded_meta` reads them back)."""
    recorded = {r.analysis: {k: v for k, v in r.meta.items() if k != "parameter_labels"} for r in results}
    labels = merged_meta({"parameter_labels": r.meta["parameter_labels"]} for r in results
                         if "parameter_labels" in r.meta)
    return {**labels, "results": recorded}

"""The one writer of results folders.

``write(out, model, *results, command=…)`` makes every results folder: safely and atomically
(:func:`hecon.results.folder.results_folder`), with each Result's tables as CSV, the figures
the registry (:mod:`hecon.results.figures`) maps to those tables as HTML (and PNG/SVG where a
browser is), and the manifest recording every Result's meta.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hecon.analysis.result import Result, merged_meta
from hecon.results.draws import GZIP_LEVEL, write_gzip_csv
from hecon.results.figures import figures_of
from hecon.results.folder import manifest, results_folder, write_csv, write_manifest
from hecon.results.plots import io
from hecon.results.plots.io import write_html, write_static

#: tables of one row per draw, written gzip-compressed (psa and bootstrap at the level of
#: :func:`~hecon.results.draws.gzip_level`, ce_plane at :data:`~hecon.results.draws.GZIP_LEVEL`)
COMPRESSED = {"psa", "bootstrap", "ce_plane"}
#: … and of those, the ones no figure is drawn from, with floats to 11 significant digits
#: (relative error at most 5e-11, far below any input's precision, and 13 % smaller than 13
#: digits; a figure's table keeps every digit, so that the figure drawn from the folder is the
#: figure drawn from memory)
ROUNDED = {"psa", "bootstrap"}
ROUNDED_FORMAT = "%.11g"


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
    """Every table as CSV: one row per draw gzip-compressed (:data:`COMPRESSED`; those of
    :data:`ROUNDED` through :func:`hecon.results.draws.write_gzip_csv`)."""
    for stem, table in tables.items():
        if table is None:
            continue
        path = folder / table_file(stem)
        if stem in ROUNDED:
            write_gzip_csv(table, path, ROUNDED_FORMAT)
        elif stem in COMPRESSED:
            write_csv(table, path, compression={"method": "gzip", "compresslevel": GZIP_LEVEL, "mtime": 0})
        else:
            write_csv(table, path)


def _tables_and_meta(results) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every table of ``results`` by stem, and their merged meta."""
    return ({stem: table for result in results for stem, table in result.tables().items()},
            merged_meta(result.meta for result in results))


def draw_ahead(*results: Result) -> None:
    """Start drawing the PNG and SVG figures of ``results`` in the open browser session
    (:func:`hecon.results.plots.io.draw_ahead`), on another core, while the caller computes the
    rest; :func:`write` takes each image whose figure comes out the same. Without a session,
    nothing."""
    if io.session_open():
        io.draw_ahead(figures_of(*_tables_and_meta(results)))


def drawn(result: Result) -> Result:
    """``result``, its PNG and SVG figures started (:func:`draw_ahead`)."""
    draw_ahead(result)
    return result


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
    """
    inputs = dict(inputs or {})
    extra = dict(extra or {})
    timings = extra["timings_seconds"] = dict(extra.get("timings_seconds", {}))
    with results_folder(out, inputs=[*inputs.values(), *also_inputs], note=note) as folder:
        tables, meta = _tables_and_meta(results)
        with ThreadPoolExecutor(2, thread_name_prefix="results") as beside:
            # the tables are written (numpy and zlib, without the GIL) while the figures are
            # built, and the browser draws PNG and SVG on another core while HTML is written
            written = beside.submit(timed, timings, "tables", lambda: _write_tables(tables, folder))
            figures = timed(timings, "figures", lambda: figures_of(tables, meta))
            images = beside.submit(write_static, figures, folder) if static else None
            timed(timings, "figures as HTML", lambda: [write_html(figure, folder / f"{stem}.html")
                                                       for stem, figure in figures.items()])
            written.result()
            if images is not None:
                reason = timed(timings, "figures as PNG and SVG (after the tables)", lambda: images.result()[1])
                if reason and note:
                    note(reason)
        contents = manifest(model=model, command=command, inputs=inputs, seed=seed, options=options,
                            extra={**extra, **recorded_results(results)})
        write_manifest(folder, contents)
        if finish is not None:
            timed(timings, "report and workbook", lambda: finish(folder, figures))
            write_manifest(folder, contents)  # with the time the finish took
    return Path(out)


def recorded_results(results) -> dict:
    """What the manifest records of ``results``: each one's meta (``results``), with the
    parameters' labels, which several Results repeat, written once beside them
    (``parameter_labels``, united; :func:`hecon.results.report.recorded_meta` reads them back)."""
    recorded = {r.analysis: {k: v for k, v in r.meta.items() if k != "parameter_labels"} for r in results}
    labels = merged_meta({"parameter_labels": r.meta["parameter_labels"]} for r in results
                         if "parameter_labels" in r.meta)
    return {**labels, "results": recorded}

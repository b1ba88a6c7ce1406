"""The one writer of results folders.

``write(out, model, *results, command=…)`` makes every results folder: safely and atomically
(:func:`hecon.results.folder.results_folder`), with each Result's tables as CSV, the figures
the registry (:mod:`hecon.results.figures`) maps to those tables as HTML (and PNG/SVG where a
browser is), and the manifest recording every Result's meta.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from hecon.analysis.result import Result, merged_meta
from hecon.results.figures import figures_of
from hecon.results.folder import manifest, results_folder, write_csv, write_manifest
from hecon.results.plots.io import write_html, write_static

#: tables of one row per draw, written gzip-compressed (its default level)
COMPRESSED = {"psa", "bootstrap", "ce_plane"}
#: … and of those, the ones no figure is drawn from, with floats to 13 significant digits
#: (relative error at most 5e-13; a figure's table keeps every digit, so that the figure drawn
#: from the folder is the figure drawn from memory)
ROUNDED = {"psa", "bootstrap"}


def table_file(stem: str) -> str:
    """The file name of table ``stem`` in a results folder (``.csv.gz`` for :data:`COMPRESSED`)."""
    return f"{stem}.csv.gz" if stem in COMPRESSED else f"{stem}.csv"


def write(out: str | Path, model: str, *results: Result, command: str,
          inputs: Mapping[str, str | Path] | None = None, also_inputs: Iterable[str | Path] = (),
          seed: int | None = None, options: Mapping[str, Any] | None = None,
          static: bool = False, extra: Mapping[str, Any] | None = None,
          note: Callable[[str], None] | None = None,
          finish: Callable[[Path], None] | None = None) -> Path:
    """Write ``results`` into the results folder ``out`` and return its path.

    ``inputs`` (role → file) are hashed into the manifest; with ``also_inputs`` (folders) they
    may not lie in ``out``. ``static`` also writes PNG and SVG figures (a line goes to ``note``
    when no browser is there to draw them). ``finish(folder)`` runs last, inside the folder
    (``hecon run`` builds its report and workbook there).
    """
    inputs = dict(inputs or {})
    with results_folder(out, inputs=[*inputs.values(), *also_inputs], note=note) as folder:
        tables = {stem: table for result in results for stem, table in result.tables().items()}
        meta = merged_meta(result.meta for result in results)
        for stem, table in tables.items():
            if table is None:
                continue
            write_csv(table, folder / table_file(stem),
                      **({"compression": {"method": "gzip", "compresslevel": 6}} if stem in COMPRESSED else {}),
                      **({"float_format": "%.13g"} if stem in ROUNDED else {}))
        figures = figures_of(tables, meta)
        for stem, figure in figures.items():
            write_html(figure, folder / f"{stem}.html")
        if static:
            reason = write_static(figures, folder)[1]
            if reason and note:
                note(reason)
        write_manifest(folder, manifest(
            model=model, command=command, inputs=inputs, seed=seed, options=options,
            extra={**dict(extra or {}), "results": {r.analysis: dict(r.meta) for r in results}}))
        if finish is not None:
            finish(folder)
    return Path(out)

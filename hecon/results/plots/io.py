"""Writing figures to a results folder: standalone HTML always, PNG and SVG where a browser is.

Static images go through plotly's kaleido, which drives the system's Chromium (Debian's
``chromium``, installed by ``scripts/ensure-chromium.sh``, or the one ``BROWSER_PATH`` names);
nothing is downloaded at run time.
All images of a folder are written in one browser session (``plotly.io.write_images``).
Where no browser is found, the HTML figures are still written and :func:`write_static` says
why the static ones are not, in one line.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from hecon.errors import InputError

STATIC_FORMATS = ("png", "svg")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def write_html(figure: go.Figure, path: Path) -> None:
    """Standalone HTML: plotly.js is embedded, so the file opens without a network."""
    figure.write_html(path, include_plotlyjs=True, full_html=True)


def write_figure(figure: go.Figure, folder: str | Path, stem: str,
                 formats: Sequence[str] = ("html",)) -> list[Path]:
    """Write ``figure`` as ``folder/stem.<format>`` (html, png, svg); return the paths."""
    unknown = [f for f in formats if f != "html" and f not in STATIC_FORMATS]
    if unknown:
        raise InputError(f"unknown figure format(s): {', '.join(unknown)}",
                         fix=f"choose among: html, {', '.join(STATIC_FORMATS)}")
    folder = Path(folder)
    paths = []
    if "html" in formats:
        paths.append(folder / f"{stem}.html")
        write_html(figure, paths[-1])
    static = [f for f in formats if f in STATIC_FORMATS]
    if static:
        written, _ = write_static({stem: figure}, folder, static)
        paths += written
    return paths


def browser() -> str | None:
    """The Chromium-family browser kaleido will drive, or None: ``BROWSER_PATH`` when set
    (kaleido's own override), else the first of :data:`BROWSERS` on the ``PATH``."""
    return os.environ.get("BROWSER_PATH") or next(
        (path for name in BROWSERS if (path := shutil.which(name))), None)


def write_static(figures: Mapping[str, go.Figure], folder: str | Path,
                 formats: Sequence[str] = STATIC_FORMATS) -> tuple[list[Path], str | None]:
    """Write every figure in every static format in one browser session.

    Returns the paths written and, when nothing could be written, the one-line reason.
    """
    if not figures:
        return [], None
    path = browser()
    if path is None:
        return [], ("no Chromium browser found: figures written as HTML only "
                    "(install Debian's chromium, or set BROWSER_PATH, for PNG and SVG)")
    folder = Path(folder)
    jobs = [(figure, folder / f"{stem}.{fmt}", fmt) for stem, figure in figures.items() for fmt in formats]
    try:
        pio.write_images([j[0] for j in jobs], [j[1] for j in jobs], format=[j[2] for j in jobs])
    except Exception as error:  # kaleido reports a missing or broken browser in many ways
        for _, image, _ in jobs:
            image.unlink(missing_ok=True)
        first = str(error.args[0] if error.args else error).splitlines()[0][:120]
        return [], f"static figures not written: {path} failed ({type(error).__name__}: {first})"
    return [j[1] for j in jobs], None

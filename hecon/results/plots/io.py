"""Writing figures to a results folder: standalone HTML always, PNG and SVG where a browser is.

The HTML figures of a folder share one copy of plotly.js, ``plotly.min.js`` beside them (written
with the first figure), so each opens offline and weighs only its data; their arrays are stored
in single precision (about 7 significant digits, more than a screen shows).
PNG images are drawn at twice the layout's size (sharp on high-density screens and in print).
A figure with WebGL traces (``scattergl``: the thousands of points of a CE plane) is raster in
any format, so it is written as PNG only: its SVG would hold a bitmap, not vectors.
Static images go through plotly's kaleido, which drives the system's Chromium (Debian's
``chromium``, installed by ``scripts/ensure-chromium.sh``, or the one ``BROWSER_PATH`` names);
nothing is downloaded at run time.
All images of a folder are written in one browser session (``plotly.io.write_images``).
Where no browser is found, the HTML figures are still written and :func:`write_static` says
why the static ones are not, in one line.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from hecon.errors import InputError

STATIC_FORMATS = ("png", "svg")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
#: PNG pixels per layout pixel
PNG_SCALE = 2
#: layout size of a static image whose figure sets none: page-wide, room for labelled rows
STATIC_WIDTH, STATIC_HEIGHT = 900, 500


def _single_precision(value):
    """A figure's JSON ``value`` with every float64 array (plotly's typed-array encoding
    ``{"dtype": "f8", "bdata": base64}``) as float32."""
    if isinstance(value, dict) and value.get("dtype") == "f8" and "bdata" in value:
        floats = np.frombuffer(base64.b64decode(value["bdata"]), dtype="<f8").astype("<f4")
        return {**value, "dtype": "f4", "bdata": base64.b64encode(floats.tobytes()).decode("ascii")}
    if isinstance(value, dict):
        return {key: _single_precision(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_single_precision(item) for item in value]
    return value


def for_display(figure: go.Figure) -> go.Figure:
    """A copy of ``figure`` whose data arrays are single precision: half the bytes in HTML."""
    content = figure.to_plotly_json()
    return go.Figure({"data": _single_precision(content["data"]), "layout": content["layout"]})


def write_html(figure: go.Figure, path: Path) -> None:
    """Standalone HTML that loads ``plotly.min.js`` from its own folder (written there when
    absent), so the file opens without a network."""
    for_display(figure).write_html(path, include_plotlyjs="directory", full_html=True,
                                   config={"displaylogo": False})


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


def is_raster(figure: go.Figure) -> bool:
    """True when the figure has WebGL traces, which every image format draws as a bitmap."""
    return any(trace.type.endswith("gl") for trace in figure.data)


def write_static(figures: Mapping[str, go.Figure], folder: str | Path,
                 formats: Sequence[str] = STATIC_FORMATS) -> tuple[list[Path], str | None]:
    """Write every figure in every static format in one browser session: at the layout's
    width and height where it sets them (:data:`STATIC_WIDTH` × :data:`STATIC_HEIGHT`
    otherwise), PNG at :data:`PNG_SCALE` times that size, SVG for figures that are not raster.

    Returns the paths written and, when nothing could be written, the one-line reason.
    """
    if not figures:
        return [], None
    path = browser()
    if path is None:
        return [], ("no Chromium browser found: figures written as HTML only "
                    "(install Debian's chromium, or set BROWSER_PATH, for PNG and SVG)")
    folder = Path(folder)
    jobs = [(figure, folder / f"{stem}.{fmt}", fmt) for stem, figure in figures.items() for fmt in formats
            if fmt == "png" or not is_raster(figure)]
    if not jobs:
        return [], None
    try:
        pio.write_images([j[0] for j in jobs], [j[1] for j in jobs], format=[j[2] for j in jobs],
                         scale=[PNG_SCALE if j[2] == "png" else 1 for j in jobs],
                         width=[j[0].layout.width or STATIC_WIDTH for j in jobs],
                         height=[j[0].layout.height or STATIC_HEIGHT for j in jobs])
    except Exception as error:  # kaleido reports a missing or broken browser in many ways
        for _, image, _ in jobs:
            image.unlink(missing_ok=True)
        first = str(error.args[0] if error.args else error).splitlines()[0][:120]
        return [], f"static figures not written: {path} failed ({type(error).__name__}: {first})"
    return [j[1] for j in jobs], None

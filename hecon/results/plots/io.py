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
All images of a folder are written in one browser session (kaleido's ``write_fig_from_object``);
:func:`browser_session` starts that browser early, so that it starts while the analyses run.
Where no browser is found, the HTML figures are still written and :func:`write_static` says
why the static ones are not, in one line.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import queue
import shutil
import struct
import sys
import tempfile
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from hecon.errors import InputError

STATIC_FORMATS = ("png", "svg")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
#: pages the session's browser draws in at once (kaleido's ``n``): one, its tab kept loaded
#: (:func:`_tabs_kept`); a second tab doubles the browser's start (≈ 2.4 s → 4.7 s, measured)
#: for less than it saves while the analyses hold the cores
BROWSER_TABS = 1
#: PNG pixels per layout pixel
PNG_SCALE = 2
#: zlib level of a PNG's image data (:func:`recompress_png`)
PNG_DEFLATE_LEVEL = 6
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
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


def display_json(figure: go.Figure) -> dict:
    """``figure`` as plotly.js reads it (``data`` and ``layout``), its data arrays in single
    precision: half the bytes in HTML. A dict, not a Figure: plotly validates every property of
    a Figure it builds (≈ 0.2 s a figure), and these are a valid figure's own."""
    content = figure.to_plotly_json()
    return {"data": _single_precision(content["data"]), "layout": content["layout"]}


def write_html(figure: go.Figure, path: Path) -> None:
    """Standalone HTML that loads ``plotly.min.js`` from its own folder (written there when
    absent), so the file opens without a network."""
    pio.write_html(display_json(figure), path, include_plotlyjs="directory", full_html=True,
                   config={"displaylogo": False}, validate=False)


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


class _Browser:
    """One headless Chromium (a kaleido session), started in a thread of its own, that draws
    the images it is given (:meth:`draw`) until it is closed."""

    def __init__(self) -> None:
        self.jobs: queue.Queue = queue.Queue()
        self.scratch = Path(tempfile.mkdtemp(prefix="hecon-images-"))
        self.ahead: dict[str, tuple[Path, queue.Queue]] = {}  # identity → image, its answer
        self.thread = threading.Thread(target=asyncio.run, args=(self._serve(),), name="kaleido", daemon=True)
        self.thread.start()

    async def _serve(self) -> None:
        import kaleido

        closed = False
        try:
            async with _tabs_kept(kaleido.Kaleido)(n=BROWSER_TABS) as session:
                drawing = set()
                while (job := await asyncio.to_thread(self.jobs.get)) is not None:
                    drawing.add(task := asyncio.create_task(self._draw_job(session, *job)))
                    task.add_done_callback(drawing.discard)
                await asyncio.gather(*drawing)
                closed = True
        except Exception as error:  # the browser did not start, or died: every job fails
            while not closed and (job := self.jobs.get()) is not None:
                job[1].put(error)

    @staticmethod
    async def _draw_job(session, specs: list[dict], answer: queue.Queue) -> None:
        """Draw one job's images in a free tab, their PNGs recompressed in a thread beside."""
        try:
            await session.write_fig_from_object(specs, cancel_on_error=True)
            await asyncio.to_thread(_recompress_pngs, specs)
            answer.put(None)
        except Exception as error:  # an image failed: its caller says so
            answer.put(error)
        except asyncio.CancelledError:  # the browser closed under it: its caller must not wait
            answer.put(RuntimeError("the browser closed before drawing the image"))
            raise

    def submit(self, specs: list[dict]) -> queue.Queue:
        """Queue kaleido's ``specs`` (figure, path, options); the answer (None or the browser's
        error) arrives in the queue returned."""
        answer: queue.Queue = queue.Queue(maxsize=1)
        self.jobs.put((specs, answer))
        return answer

    def draw_ahead(self, specs: list[dict]) -> None:
        """Start drawing ``specs`` into the session's scratch folder, for :meth:`draw` to take."""
        for spec in specs:
            key = _identity(spec)
            if key not in self.ahead:
                image = self.scratch / f"{len(self.ahead)}.{spec['opts']['format']}"
                self.ahead[key] = image, self.submit([{**spec, "path": image}])

    def draw(self, specs: list[dict]) -> None:
        """Draw kaleido's ``specs``, an image drawn ahead of an identical spec copied; raise
        what the browser raised."""
        ahead = {i: self.ahead.pop(_identity(spec)) for i, spec in enumerate(specs) if _identity(spec) in self.ahead}
        rest = [spec for i, spec in enumerate(specs) if i not in ahead]
        pending = self.submit(rest) if rest else None
        for i, (image, answer) in ahead.items():
            if answer.get() is None:
                shutil.move(image, specs[i]["path"])
            else:  # drawn ahead in vain: drawn again now
                self.draw([specs[i]])
        if pending is not None and (error := pending.get()) is not None:
            raise error

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _tabs_kept(session: type) -> type:
    """kaleido's session class with its tabs kept loaded between images: kaleido reloads a tab
    after each image, parsing plotly.js again (≈ 0.2 s of the browser's CPU an image, measured;
    the PNGs come out byte for byte the same, the SVGs but for plotly's random element ids).
    A tab whose image failed (or timed out) is reloaded, so that it cannot spoil the next image.
    kaleido 1.x's private ``_return_kaleido_tab`` (called as the image's drawing ends, an
    exception of the drawing in flight): a kaleido without it keeps its reloads."""
    if not hasattr(session, "_return_kaleido_tab"):
        return session

    class TabsKept(session):
        async def _return_kaleido_tab(self, tab) -> None:
            if sys.exc_info()[0] is not None:  # the image failed: the tab is reloaded, as kaleido does
                await super()._return_kaleido_tab(tab)
            else:
                await self.tabs_ready.put(tab)

    return TabsKept


def _identity(spec: dict) -> str:
    """What makes an image: its figure and options (SHA-256 of their JSON), not its path."""
    from plotly.io.json import to_json_plotly

    return hashlib.sha256(to_json_plotly({"fig": spec["fig"], "opts": spec["opts"]}).encode("utf-8")).hexdigest()


_session: _Browser | None = None


@contextlib.contextmanager
def browser_session(enabled: bool = True) -> Iterator[None]:
    """Within the block, every :func:`write_static` draws in one browser, started on entering
    the block (Chromium starts in a thread of its own while the block goes on) and closed on
    leaving it. Nothing starts when ``enabled`` is false, a session is open already, or no
    browser is found (:func:`write_static` then says why)."""
    if not enabled or _session is not None:
        yield
        return
    open_browser()
    try:
        yield
    finally:
        close_browser()


def open_browser() -> None:
    """Start the session's browser now (when none is open and a browser is found), for every
    :func:`write_static` until :func:`close_browser`."""
    global _session
    if _session is None and browser() is not None:
        _session = _Browser()


def close_browser() -> None:
    """Close the session's browser, if one is open."""
    global _session
    if _session is not None:
        _session.close()
        _session = None


def _draw(specs: list[dict]) -> None:
    """Draw kaleido's ``specs`` in the open :func:`browser_session`, else in a browser of their own."""
    if _session is not None:
        _session.draw(specs)
        return
    import kaleido

    kaleido.write_fig_from_object_sync(specs, cancel_on_error=True)
    _recompress_pngs(specs)


def _recompress_pngs(specs: list[dict]) -> None:
    """:func:`recompress_png` every PNG of ``specs`` once drawn (in the session's thread, beside
    the analyses, for the images drawn ahead)."""
    for spec in specs:
        if spec["opts"]["format"] == "png":
            recompress_png(spec["path"])


def session_open() -> bool:
    """True within a :func:`browser_session` that started a browser."""
    return _session is not None


def draw_ahead(figures: Mapping[str, go.Figure], formats: Sequence[str] = STATIC_FORMATS) -> None:
    """Start drawing ``figures`` now in the open :func:`browser_session` (on another core, while
    the caller goes on); :func:`write_static` takes the image of an identical figure from there
    rather than drawing it again. Without a session, nothing is drawn."""
    if _session is not None:
        _session.draw_ahead(_specs(figures, _session.scratch, formats))


def _specs(figures: Mapping[str, go.Figure], folder: Path, formats: Sequence[str]) -> list[dict]:
    """kaleido's spec of each image: every figure in every format, at the layout's width and
    height where it sets them (:data:`STATIC_WIDTH` × :data:`STATIC_HEIGHT` otherwise), PNG at
    :data:`PNG_SCALE` times that size, SVG for figures that are not raster."""
    return [{"fig": figure.to_dict(), "path": folder / f"{stem}.{fmt}",
             "opts": {"format": fmt, "scale": PNG_SCALE if fmt == "png" else 1,
                      "width": figure.layout.width or STATIC_WIDTH, "height": figure.layout.height or STATIC_HEIGHT}}
            for stem, figure in figures.items() for fmt in formats if fmt == "png" or not is_raster(figure)]


def write_static(figures: Mapping[str, go.Figure], folder: str | Path,
                 formats: Sequence[str] = STATIC_FORMATS) -> tuple[list[Path], str | None]:
    """Write every figure in every static format (:func:`_specs`) in one browser session, the
    images :func:`draw_ahead` drew already taken from there.

    Returns the paths written and, when nothing could be written, the one-line reason.
    """
    if not figures:
        return [], None
    path = browser()
    if path is None:
        return [], ("no Chromium browser found: figures written as HTML only "
                    "(install Debian's chromium, or set BROWSER_PATH, for PNG and SVG)")
    specs = _specs(figures, Path(folder), formats)
    if not specs:
        return [], None
    try:
        _draw(specs)
    except Exception as error:  # kaleido reports a missing or broken browser in many ways
        for spec in specs:
            spec["path"].unlink(missing_ok=True)
        first = str(error.args[0] if error.args else error).splitlines()[0][:120]
        return [], f"static figures not written: {path} failed ({type(error).__name__}: {first})"
    return [spec["path"] for spec in specs], None


def recompress_png(path: Path, level: int = PNG_DEFLATE_LEVEL) -> None:
    """Deflate a PNG's image data again at ``level``: the same pixels, the same filters, about a
    quarter fewer bytes than Chromium's fast encoder writes (measured on hecon run's figures,
    0.05 s an image). The PNG format: an 8-byte signature, then chunks of length, type, data
    and the CRC-32 of type and data; the image is the concatenated data of the IDAT chunks."""
    content = path.read_bytes()
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(content):
        (length,), kind = struct.unpack(">I", content[at:at + 4]), content[at + 4:at + 8]
        chunks.append((kind, content[at + 8:at + 8 + length]))
        at += 12 + length
    image = zlib.compress(zlib.decompress(b"".join(d for k, d in chunks if k == b"IDAT")), level)
    first = next(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    kept = [(kind, data) for kind, data in chunks if kind != b"IDAT"]
    kept.insert(first, (b"IDAT", image))
    path.write_bytes(PNG_SIGNATURE + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)) for kind, data in kept))

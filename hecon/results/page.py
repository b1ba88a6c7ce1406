"""One HTML page that holds its figures and opens offline, at a third of plotly.js's size.

plotly.js (4.8 MB) and the figures are embedded gzip-compressed in Base85 (RFC 1924, four bytes
in five characters, ``<`` written as ``.`` so that the page's HTML parser never meets a tag in
them): 1.8 MB for plotly.js. The figures are stored as plotly.js reads them, arrays in single
precision and every other float to 6 significant digits (nothing a screen shows changes). In
the page, a figure is first an empty place (:func:`figure_place`); a short script
(:data:`LOADER`) decompresses plotly.js and the figures with the browser's
``DecompressionStream`` (Chrome and Edge 80, Firefox 113, Safari 16.4 and later), runs
plotly.js and draws each figure in its place. Nothing is requested from elsewhere.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import threading
from collections.abc import Mapping
from functools import cache

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from hecon.results.plots.io import display_json


def figure_place(stem: str) -> str:
    """Where the figure ``stem`` is drawn, once the page has decompressed it."""
    return f'<div class="plotly-graph-div" id="figure-{html.escape(stem)}"></div>'


def compressed(data: bytes) -> str:
    """``data`` gzip-compressed in Base85 (RFC 1924) with ``<`` written as ``.``: text an HTML
    parser reads through, about 1.25 bytes per compressed byte."""
    return base64.b85encode(gzip.compress(data, 9, mtime=0)).decode("ascii").replace("<", ".")


_COMPRESSING = threading.Lock()


def _plotly_js() -> str:
    """plotly.js, compressed once per process (0.5 s of a core): a second caller waits for
    the first."""
    with _COMPRESSING:
        return _compressed_plotly_js()


@cache
def _compressed_plotly_js() -> str:
    return compressed(get_plotlyjs().encode("utf-8"))


def prepare() -> None:
    """Compress plotly.js now, in a thread of its own (zlib releases the GIL), so that a page
    built later finds it done: ``hecon run`` calls this before its analyses, which leave a
    core idle."""
    threading.Thread(target=_plotly_js, name="compress plotly.js", daemon=True).start()


def figure_json(figure: go.Figure) -> dict:
    """A figure as plotly.js reads it: single-precision arrays, every other float to 6
    significant digits."""
    return json.loads(pio.to_json(display_json(figure), validate=False),
                      parse_float=lambda text: float(f"{float(text):.6g}"))


#: decompress plotly.js and the figures (Base85 → gzip → text), run plotly.js, draw each figure
LOADER = """
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;.=>?@^_`{|}~";
const DIGIT = new Uint8Array(128);
for (let i = 0; i < DIGITS.length; i++) DIGIT[DIGITS.charCodeAt(i)] = i;
function fromBase85(text) {
  const padding = (5 - text.length % 5) % 5, padded = text + "~".repeat(padding);
  const bytes = new Uint8Array(padded.length / 5 * 4), view = new DataView(bytes.buffer);
  for (let i = 0; i < padded.length; i += 5) {
    let value = 0;
    for (let k = 0; k < 5; k++) value = value * 85 + DIGIT[padded.charCodeAt(i + k)];
    view.setUint32(i / 5 * 4, value);
  }
  return bytes.subarray(0, bytes.length - padding);
}
function gunzip(id) {
  const stream = new Blob([fromBase85(document.getElementById(id).textContent.trim())]).stream();
  return new Response(stream.pipeThrough(new DecompressionStream("gzip"))).text();
}
Promise.all([gunzip("plotly-js"), gunzip("figures")]).then(([library, figures]) => {
  const script = document.createElement("script");
  script.text = library;
  document.head.append(script);
  for (const [stem, figure] of Object.entries(JSON.parse(figures))) {
    Plotly.newPlot(document.getElementById("figure-" + stem), figure.data, figure.layout, {displaylogo: false});
  }
}).catch(error => console.error("the figures could not be drawn:", error));
"""


def figure_scripts(figures: Mapping[str, go.Figure]) -> str:
    """plotly.js and ``figures`` (stem → figure, each placed by :func:`figure_place`),
    compressed, and the script that draws them: the end of the page's body."""
    placed = json.dumps({stem: figure_json(figure) for stem, figure in figures.items()},
                        separators=(",", ":"), ensure_ascii=False)
    return (f"<script type='application/octet-stream' id='plotly-js'>{_plotly_js()}</script>"
            f"<script type='application/octet-stream' id='figures'>{compressed(placed.encode('utf-8'))}</script>"
            f"<script>{LOADER}</script>")

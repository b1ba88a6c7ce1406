"""Figure files (hecon.results.plots.io): HTML always, sharing one plotly.min.js; PNG (2×) and
SVG through kaleido and the system Chromium."""

import asyncio
import base64
import json
import struct
import zlib

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from hecon.errors import InputError
from hecon.results.plots import io


@pytest.fixture
def figure():
    return go.Figure(go.Scatter(x=[0, 1, 2], y=[0.1, 0.5, 0.9], name="CEAC"))


def test_browser_path_overrides_the_search(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/opt/some/chrome")
    assert io.browser() == "/opt/some/chrome"


def test_without_a_browser_html_is_written_and_one_line_says_why(figure, tmp_path, monkeypatch):
    monkeypatch.setattr(io, "browser", lambda: None)
    paths = io.write_figure(figure, tmp_path, "ceac", ("html", "png", "svg"))
    assert paths == [tmp_path / "ceac.html"]
    written, reason = io.write_static({"ceac": figure}, tmp_path)
    assert written == [] and "\n" not in reason and "chromium" in reason.lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ceac.html", "plotly.min.js"]


def test_the_figures_of_a_folder_share_one_plotly_js(figure, tmp_path):
    io.write_figure(figure, tmp_path, "ceac")
    io.write_figure(go.Figure(go.Bar(x=["a"], y=[1.0])), tmp_path, "evppi")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ceac.html", "evppi.html", "plotly.min.js"]
    assert (tmp_path / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    for name in ("ceac.html", "evppi.html"):
        page = (tmp_path / name).read_text(encoding="utf-8")
        assert page.count('<script charset="utf-8" src="plotly.min.js"></script>') == 1
        assert "* plotly.js v" not in page and len(page) < 20_000  # no inline copy of plotly.js


def test_figure_data_is_stored_in_single_precision():
    values = np.random.default_rng(1).normal(1_000.0, 300.0, 500)
    figure = go.Figure(go.Scatter(x=values, y=values / 7, error_y={"array": values / 100}))
    trace = io.display_json(figure)["data"][0]
    assert len(json.dumps(trace)) < 0.55 * len(json.dumps(figure.to_plotly_json()["data"][0]))
    assert trace["x"]["dtype"] == trace["y"]["dtype"] == trace["error_y"]["array"]["dtype"] == "f4"
    np.testing.assert_allclose(np.frombuffer(base64.b64decode(trace["y"]["bdata"]), "<f4"), values / 7, rtol=1e-7)
    assert figure.to_plotly_json()["data"][0]["x"]["dtype"] == "f8"  # the figure itself is untouched


def test_a_broken_browser_leaves_no_partial_image(figure, tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/bin/false")
    written, reason = io.write_static({"ceac": figure}, tmp_path, ("png",))
    assert written == [] and reason.startswith("static figures not written: /bin/false failed")
    assert list(tmp_path.iterdir()) == []


def test_a_webgl_figure_is_raster_so_it_gets_no_svg(tmp_path, monkeypatch):
    jobs = []
    monkeypatch.setattr(io, "browser", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(io, "_draw", lambda specs: jobs.extend(spec["path"] for spec in specs))
    plane = go.Figure(go.Scattergl(x=[0.0, 1.0], y=[0.0, 1.0]))
    written, _ = io.write_static({"ce_plane": plane, "ceac": go.Figure(go.Scatter(x=[0], y=[1]))}, tmp_path)
    assert [p.name for p in written] == [p.name for p in jobs] == ["ce_plane.png", "ceac.png", "ceac.svg"]


def test_unknown_format_is_a_user_error(figure, tmp_path):
    with pytest.raises(InputError, match="gif"):
        io.write_figure(figure, tmp_path, "ceac", ("html", "gif"))


def test_no_figures_no_browser_needed(tmp_path):
    assert io.write_static({}, tmp_path) == ([], None)


@pytest.mark.skipif(io.browser() is None, reason="no Chromium browser (make test installs Debian's chromium)")
def test_png_and_svg_through_the_system_chromium(figure, tmp_path):
    paths = io.write_figure(figure, tmp_path, "ceac", ("html", "png", "svg"))
    assert [p.name for p in paths] == ["ceac.html", "ceac.png", "ceac.svg"]
    assert (tmp_path / "ceac.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "ceac.svg").read_text()
    assert svg.startswith("<svg") and svg.count('class="trace scatter') == 1  # the one curve, drawn


def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    return struct.unpack(">II", path.read_bytes()[16:24])


@pytest.mark.skipif(io.browser() is None, reason="no Chromium browser (make test installs Debian's chromium)")
def test_png_is_twice_the_layout_size(figure, tmp_path):
    sized = go.Figure(figure).update_layout(width=321, height=234)
    io.write_static({"sized": sized, "default": figure}, tmp_path, ("png",))
    assert png_size(tmp_path / "sized.png") == (2 * 321, 2 * 234)
    assert png_size(tmp_path / "default.png") == (2 * io.STATIC_WIDTH, 2 * io.STATIC_HEIGHT)


def png_chunks(content: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of each chunk of a PNG, every CRC checked."""
    assert content[:8] == io.PNG_SIGNATURE
    chunks, at = [], 8
    while at < len(content):
        length, kind = struct.unpack(">I", content[at:at + 4])[0], content[at + 4:at + 8]
        data = content[at + 8:at + 8 + length]
        assert struct.unpack(">I", content[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + data)
        chunks.append((kind, data))
        at += 12 + length
    return chunks


def test_a_png_recompressed_keeps_its_pixels_and_chunks_and_shrinks(tmp_path):
    """An 8-bit grey 200 × 100 image, its rows filtered 'none', deflated at level 1 and split
    over two IDAT chunks as an encoder may write it, between a text chunk and the end."""
    rows = b"".join(b"\x00" + bytes((x * y) % 7 * 30 for x in range(200)) for y in range(100))
    deflated = zlib.compress(rows, 1)
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", 200, 100, 8, 0, 0, 0, 0)), (b"tEXt", b"Software\x00test"),
              (b"IDAT", deflated[:50]), (b"IDAT", deflated[50:]), (b"IEND", b"")]
    path = tmp_path / "image.png"
    path.write_bytes(io.PNG_SIGNATURE + b"".join(struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
                                                 for k, d in chunks))
    before = path.stat().st_size
    io.recompress_png(path)
    after = png_chunks(path.read_bytes())
    assert [kind for kind, _ in after] == [b"IHDR", b"tEXt", b"IDAT", b"IEND"]
    assert after[:2] == chunks[:2]
    assert zlib.decompress(after[2][1]) == rows
    assert path.stat().st_size < before


@pytest.mark.skipif(io.browser() is None, reason="no Chromium browser (make test installs Debian's chromium)")
def test_one_browser_session_draws_every_call_within_it(figure, tmp_path):
    with io.browser_session():
        first, _ = io.write_static({"one": figure}, tmp_path, ("png",))
        second, _ = io.write_static({"two": figure}, tmp_path, ("svg",))
    assert [p.name for p in first + second] == ["one.png", "two.svg"]
    assert all(p.stat().st_size > 0 for p in first + second)
    assert io._session is None  # closed on leaving the block


@pytest.mark.skipif(io.browser() is None, reason="no Chromium browser (make test installs Debian's chromium)")
def test_a_tab_kept_loaded_draws_an_image_as_a_fresh_browser_does(figure, tmp_path):
    """The session keeps its tab between images (no reload): a PNG drawn after other figures is
    the PNG a browser of its own draws, byte for byte."""
    other = go.Figure(go.Bar(x=["a", "b"], y=[3, 1])).update_layout(title="first", xaxis_type="log")
    with io.browser_session():
        io.write_static({"other": other, "again": other}, tmp_path, ("png", "svg"))
        after, _ = io.write_static({"ceac": figure}, tmp_path, ("png",))
    (tmp_path / "alone").mkdir()
    alone, _ = io.write_static({"ceac": figure}, tmp_path / "alone", ("png",))  # a browser of its own
    assert after[0].read_bytes() == alone[0].read_bytes()


def test_a_kept_tab_is_reloaded_only_after_a_failed_image():
    class Session:  # kaleido's hook: reload the tab, then put it back for the next image
        def __init__(self) -> None:
            self.tabs_ready, self.reloaded = asyncio.Queue(), []

        async def _return_kaleido_tab(self, tab) -> None:
            self.reloaded.append(tab)
            await self.tabs_ready.put(tab)

    session = io._tabs_kept(Session)()

    async def draw(tab: str, fails: bool) -> None:  # as kaleido's render task returns its tab
        try:
            if fails:
                raise ValueError("the image failed")
        finally:
            await session._return_kaleido_tab(tab)

    async def both() -> None:
        await draw("drawn", False)
        with pytest.raises(ValueError):
            await draw("failed", True)

    asyncio.run(both())
    assert session.reloaded == ["failed"] and session.tabs_ready.qsize() == 2


def test_a_session_class_without_kaleidos_tab_hook_is_left_as_it_is():
    class Session:
        pass

    assert io._tabs_kept(Session) is Session


def test_a_broken_browser_in_a_session_gives_the_reason_and_does_not_hang(figure, tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/bin/false")
    with io.browser_session():
        written, reason = io.write_static({"ceac": figure}, tmp_path, ("png",))
    assert written == [] and reason.startswith("static figures not written: /bin/false failed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(io.browser() is None, reason="no Chromium browser (make test installs Debian's chromium)")
def test_an_image_drawn_ahead_is_taken_only_for_the_same_figure(figure, tmp_path):
    changed = go.Figure(figure).update_layout(title="another")
    with io.browser_session():
        io.draw_ahead({"ceac": figure}, ("svg",))
        assert len(io._session.ahead) == 1
        written, reason = io.write_static({"ceac": changed, "same": figure}, tmp_path, ("svg",))
        assert reason is None and [p.name for p in written] == ["ceac.svg", "same.svg"]
        assert io._session.ahead == {}  # taken by the identical figure, under its own name
    assert "another" in (tmp_path / "ceac.svg").read_text() and "another" not in (tmp_path / "same.svg").read_text()


def test_without_a_session_nothing_is_drawn_ahead(figure, tmp_path):
    assert not io.session_open()
    io.draw_ahead({"ceac": figure})  # no browser started, nothing raised

"""Figure files (hecon.results.plots.io): HTML always; PNG and SVG through kaleido and the system Chromium."""

import plotly.graph_objects as go
import pytest

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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ceac.html"]


def test_a_broken_browser_leaves_no_partial_image(figure, tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/bin/false")
    written, reason = io.write_static({"ceac": figure}, tmp_path, ("png",))
    assert written == [] and reason.startswith("static figures not written: /bin/false failed")
    assert list(tmp_path.iterdir()) == []


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

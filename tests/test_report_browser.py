"""The report in a real browser: every figure renders and no request leaves the page."""

import shutil

import pytest
from typer.testing import CliRunner

from hecon.cli import app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs it when it can)")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def test_every_figure_renders_offline(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", "--quick", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    requests = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.goto((out / "report.html").as_uri())
        page.wait_for_function("document.querySelectorAll('.plotly-graph-div').length > 0")
        page.wait_for_timeout(1500)
        figures = page.locator(".plotly-graph-div").count()
        rendered = page.locator(".plotly-graph-div .main-svg").count()
        errors = page.evaluate("window.__errors || []")
        browser.close()
    assert figures >= 6
    assert rendered >= figures  # each figure draws at least one svg.main-svg
    outside = [url for url in requests if not url.startswith(("file://", "data:", "about:"))]
    assert outside == [], outside
    assert errors == []

"""The report in a real browser: plotly.js and the figures, embedded compressed, are
decompressed by the page, every figure renders and no request leaves the page."""

import re
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs it when it can)")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def test_every_figure_renders_offline(quick_run):
    page_source = (quick_run / "report.html").read_text()
    in_page = page_source.count('class="plotly-graph-div"')
    # the page holds empty places and draws the figures only once it has decompressed them
    assert len(re.findall(r'<div class="plotly-graph-div" id="figure-\w+"></div>', page_source)) == in_page
    assert page_source.count("Plotly.newPlot(") == 1  # one call, in the loader
    requests, errors = [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)  # fresh profile
        page = browser.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto((quick_run / "report.html").as_uri(), wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= {in_page}", timeout=30_000)
        rendered = page.evaluate(
            "[...document.querySelectorAll('.plotly-graph-div')]"
            ".filter(d => d.classList.contains('js-plotly-plot') && d.querySelector('svg.main-svg')"
            " && d.querySelector('.plot-container')).length")
        sections = page.evaluate("[...document.querySelectorAll('section')].map(s => s.id)")
        legend = page.evaluate("[...document.querySelectorAll('#figure-ceac .legendtext')].map(t => t.textContent)")
        browser.close()
    figure_files = [f for f in quick_run.glob("*.html") if f.name != "report.html"]
    # the state diagram (drawn from the model) and one figure per registry figure file:
    # CE plane, CEAC, loss, EVPI, tornado, threshold
    assert in_page == len(figure_files) + 1 >= 7
    assert rendered == in_page  # every figure was drawn by plotly.js
    assert [url for url in requests if not url.startswith(("file://", "data:", "about:"))] == []
    assert [url for url in requests if url.startswith("file://")] == [(quick_run / "report.html").as_uri()]
    assert errors == []
    assert sections[0] == "results" and sections[-1] == "cheers" and "checks" in sections
    assert {"Standard care (placebo)", "IFN-γ 1b"} <= set(legend)  # the figures' labels survived compression

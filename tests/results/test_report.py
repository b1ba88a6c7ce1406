"""The HTML report of a results folder (hecon.results.report)."""

import html
import json
import re
import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plotly.offline import get_plotlyjs

from hecon.errors import InputError
from hecon.model import Model
from hecon.results.report import (
    CHEERS_2022,
    SECTIONS,
    _table,
    build_report,
    figures_of,
    read_manifest,
    state_diagram,
)

ANCHORS = {"header", *(key for key, _, _ in SECTIONS)}


def test_cheers_2022_has_its_28_items_each_answered_or_said_plainly():
    assert [number for number, _, _ in CHEERS_2022] == list(range(1, 29))
    for number, _, where in CHEERS_2022:
        assert where in ANCHORS or where.startswith(("not applicable: ", "not reported: ")), number


def test_state_diagram_draws_every_state_and_declared_transition():
    model = Model("ifn_gamma")
    figure = state_diagram(model)
    assert list(figure.data[0].hovertext) == list(model.module.STATES)
    assert len(figure.layout.annotations) == len(model.module.EDGES)
    positions = model.module.POSITIONS
    for arrow, (source, target) in zip(figure.layout.annotations, model.module.EDGES, strict=True):
        (dx, dy), (px, py) = (arrow.x - arrow.ax, arrow.y - arrow.ay), (  # the layout: test_plots_diagram.py
            positions[target][0] - positions[source][0], positions[target][1] - positions[source][1])
        assert dx * py - dy * px == pytest.approx(0, abs=1e-6) and dx * px + dy * py > 0  # same direction


def test_a_model_without_declared_transitions_has_no_diagram():
    assert state_diagram(Model("example_sick")) is None


def test_table_formats_numbers_and_marks_checks():
    page = _table(pd.DataFrame({"check": ["ICU deaths"], "model": [1234.567], "target": [0.123456789],
                                "passed": [False]}))
    assert "<td>1,235</td>" in page and "<td>0.1235</td>" in page
    assert '<td class="fail">no</td>' in page and '<td class="text">ICU deaths</td>' in page


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_table_text_is_escaped(text):
    page = _table(pd.DataFrame({"source": [text], "note<": [1.0]}))
    cells = re.findall(r'<t[dh] class="text">(.*?)</t[dh]>', page, flags=re.S)
    assert all("<" not in cell and ">" not in cell for cell in cells)


def test_report_shows_the_base_case_icer_of_the_folder(quick_run):
    page = (quick_run / "report.html").read_text()
    main = pd.read_csv(quick_run / "icers.csv").iloc[0]
    assert f"ICER €{main.icer:,.0f} per QALY gained" in page
    figures = figures_of(quick_run, Model("ifn_gamma"))
    assert page.count('class="plotly-graph-div"') == len(figures)
    assert page.count(get_plotlyjs()) == 1 and page.count("* plotly.js v") == 1  # embedded once


def test_sections_without_results_are_left_out_and_cheers_says_so(quick_run, tmp_path):
    folder = shutil.copytree(quick_run, tmp_path / "copy")
    for name in ("scenarios.csv", "checks.csv", "dsa.csv"):
        (folder / name).unlink()
    page = build_report(folder).read_text()
    for anchor in ("scenarios", "checks", "dsa"):
        assert f'id="{anchor}"' not in page
    assert 'id="base-case"' in page and 'id="cheers"' in page
    rows = re.findall(r'<tr><td>(\d+)</td><td class="text">[^<]*</td><td class="text">([^<]*)</td></tr>', page)
    answers = {int(number): answer for number, answer in rows}
    assert len(answers) == 28
    assert answers[18] == answers[26] == "not reported: this run has no such results"
    assert answers[23] == "section &#x27;base-case&#x27;"


def test_report_of_a_folder_without_manifest_is_a_user_error(tmp_path):
    with pytest.raises(InputError, match="not a results folder"):
        build_report(tmp_path)


MARKUP = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
#: (table, text columns) of the folder where a hand edit plants markup: tables, summary, figures
PLANTED = {
    "cost_consequence.csv": ["label"], "parameters.csv": ["description", "source"], "checks.csv": ["check"],
    "icers.csv": ["per", "strategy", "comparator", "status"], "scenarios.csv": ["scenario", "status"],
    "dsa.csv": ["parameter", "description"], "threshold_curve.csv": ["parameter", "reason"],
    "threshold.csv": ["parameter"], "psa_summary.csv": ["label"],
}


@pytest.fixture(scope="module")
def hostile_report(quick_run, tmp_path_factory):
    """A copy of the quick run with markup planted in its tables, figures' tables and manifest."""
    folder = shutil.copytree(quick_run, tmp_path_factory.mktemp("hostile") / "run")
    for name, columns in PLANTED.items():
        table = pd.read_csv(folder / name)
        for j, column in enumerate(columns):
            table[column] = MARKUP[j % 2]
        table.to_csv(folder / name, index=False)
    for name in ("ceac.csv", "expected_loss.csv"):  # the strategy that is not the comparator
        table = pd.read_csv(folder / name)
        table["strategy"] = table.strategy.replace("ifn_gamma", MARKUP[0])
        table.to_csv(folder / name, index=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["results"]["one_way"].update({"measure": MARKUP[1], "base_status": MARKUP[0]})
    manifest.update({key: MARKUP[i % 2] for i, key in enumerate(
        ("hecon_version", "created_utc", "seed", "command", "invalid_draws", "notes"))})
    manifest["timings_seconds"] = {MARKUP[0]: MARKUP[1]}
    manifest["options"].update({key: MARKUP[i % 2] for i, key in enumerate(
        ("perspective", "n", "correction", "horizon_years", "price_year", "discount_rate_costs"))})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder, build_report(folder).read_text()


def test_markup_planted_in_a_results_folder_is_shown_as_text(quick_run, hostile_report):
    _, page = hostile_report
    for markup in MARKUP:
        assert markup not in page
        assert html.escape(markup) in page
    assert "<img" not in page and "<script>alert" not in page

    def tags(text):
        return len(re.findall(r"<(?:script|img|iframe|a)\b", text))

    assert tags(page) == tags((quick_run / "report.html").read_text())  # planting added no element


def test_names_in_figures_are_escaped_for_plotly(hostile_report):
    folder, _ = hostile_report
    figures = figures_of(folder, Model("ifn_gamma"))
    assert html.escape(MARKUP[0]) in {trace.name for trace in figures["ceac"].data}
    assert html.escape(MARKUP[1]) == figures["tornado"].layout.xaxis.title.text
    assert html.escape(MARKUP[0]) in figures["threshold"].layout.title.text


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"), ("[1, 2]", "the manifest names no model"),
    ('{"model": ["ifn_gamma"]}', "the manifest names no model"), (b"\xff\xfe", "not valid JSON"),
])
def test_a_broken_manifest_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "manifest.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError, match=message) as caught:
        read_manifest(tmp_path)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_the_hostile_report_opens_in_a_browser_and_runs_nothing(hostile_report):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if chromium is None:
        pytest.skip("Chromium is not installed (scripts/ensure-chromium.sh installs it)")
    folder, page_source = hostile_report
    dialogs, errors = [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((folder / "report.html").as_uri(), wait_until="load")
        figures = page_source.count('class="plotly-graph-div"')
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= {figures}", timeout=30_000)
        images = page.evaluate("document.images.length")
        cells = page.evaluate("[...document.querySelectorAll('td.text')].map(td => td.textContent)")
        legend = page.evaluate("[...document.querySelectorAll('.legendtext')].map(t => t.textContent)")
        browser.close()
    assert dialogs == [] and errors == [] and images == 0
    assert set(MARKUP) <= set(cells)  # shown as the text it is
    assert MARKUP[0] in legend

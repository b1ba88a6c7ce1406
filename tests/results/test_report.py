"""The HTML report of a results folder (hecon.results.report)."""

import base64
import gzip
import html
import json
import re
import shutil

import numpy as np
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
    psa_increment,
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


def embedded(page: str, name: str) -> str:
    """The text the page embeds compressed under the id ``name`` (gzip in Base85, ``<`` as ``.``)."""
    encoded = re.search(rf"<script type='application/octet-stream' id='{name}'>([^<]*)</script>", page).group(1)
    return gzip.decompress(base64.b85decode(encoded.replace(".", "<"))).decode("utf-8")


def euros(value: float) -> str:
    """Money as the report writes it (with a hyphen for the minus sign): ``-€1,234``."""
    return f"{'-' if value < 0 else ''}€{abs(value):,.0f}"


def section(page: str, anchor: str) -> str:
    return re.search(rf'<section id="{anchor}">(.*?)</section>', page, flags=re.S).group(1)


def test_report_shows_the_base_case_icer_of_the_folder(quick_run):
    page = (quick_run / "report.html").read_text()
    main = pd.read_csv(quick_run / "icers.csv").iloc[0]
    assert f"ICER €{main.icer:,.0f} per QALY gained" in section(page, "results")
    figures = figures_of(quick_run, Model("ifn_gamma"))
    assert page.count('class="plotly-graph-div"') == len(figures)
    assert embedded(page, "plotly-js") == get_plotlyjs()  # embedded once, compressed
    assert "* plotly.js v" not in page


def test_every_placed_figure_is_embedded_once_with_six_significant_digits(quick_run):
    page = (quick_run / "report.html").read_text()
    placed = re.findall(r'<div class="plotly-graph-div" id="figure-(\w+)"></div>', page)
    text = embedded(page, "figures")
    figures = json.loads(text)
    assert sorted(figures) == sorted(placed) and len(set(placed)) == len(placed)
    assert {"ce_plane", "ceac", "state_diagram", "tornado"} <= set(figures)
    floats = re.findall(r"(?<![\w.])-?\d+\.\d+(?:e[-+]?\d+)?", text)
    assert floats and all(float(f"{float(f):.6g}") == float(f) for f in floats)


def test_lead_section_names_the_decision_at_each_threshold_with_labels(quick_run):
    page = (quick_run / "report.html").read_text()
    lead = section(page, "results")
    manifest = json.loads((quick_run / "manifest.json").read_text())
    main = pd.read_csv(quick_run / "icers.csv").iloc[0]
    ceac = pd.read_csv(quick_run / "ceac.csv")
    for wtp in manifest["options"]["report_wtp"]:
        effective = wtp * main.incremental_effect - main.incremental_cost > 0  # net monetary benefit
        verdict = "is cost-effective" if effective else "is not cost-effective"
        probability = ceac.probability[(ceac.wtp == wtp) & (ceac.strategy == "ifn_gamma")].iloc[0]
        assert (f"At €{wtp:,.0f} per QALY, <strong>IFN-γ 1b {verdict}</strong> against Standard care "
                f"(placebo)") in lead
        assert f"cost-effective: {probability:.0%}." in lead
    assert "ifn_gamma" not in lead and "qalys_disc" not in lead


def test_lead_gives_the_psa_intervals_and_the_icer_interval_only_when_the_effect_excludes_zero(quick_run, tmp_path):
    summary = pd.read_csv(quick_run / "psa_summary.csv").set_index(["outcome", "strategy_or_increment"])
    effect = summary.loc[("qalys_disc", "ifn_gamma - placebo")]
    cost = summary.loc[("total_cost", "ifn_gamma - placebo")]
    lead = section((quick_run / "report.html").read_text(), "results")
    assert (f"incremental cost is {euros(cost['mean'])} (95 % interval {euros(cost.p2_5)} to "
            f"{euros(cost.p97_5)})") in lead.replace("\u2212", "-")
    if effect.p2_5 <= 0 <= effect.p97_5:
        assert "No 95 % interval of the ICER is given: the interval of the incremental effect includes 0" in lead
    # the same draws shifted so that every draw gains 0.1 QALY more: the effect interval excludes 0
    folder = shutil.copytree(quick_run, tmp_path / "shifted")
    plane = pd.read_csv(folder / "ce_plane.csv.gz")
    plane.loc[plane.strategy == "ifn_gamma", "effect"] += 0.1
    plane.to_csv(folder / "ce_plane.csv.gz", index=False)
    lead = section(build_report(folder).read_text(), "results")
    wide = plane.pivot(index="draw", columns="strategy")
    ratio = (wide.cost.ifn_gamma - wide.cost.placebo) / (wide.effect.ifn_gamma - wide.effect.placebo)
    low, high = np.quantile(ratio, [0.025, 0.975])
    assert f"(95 % interval {euros(low)} to {euros(high)} per QALY)" in lead.replace("\u2212", "-")
    assert "No 95 % interval" not in lead


def test_psa_increment_icer_interval_is_the_quantiles_of_the_ratio_on_the_effects_side():
    delta_effect = np.linspace(0.01, 0.05, 401)
    plane = pd.DataFrame({"draw": np.repeat(np.arange(401), 2), "strategy": ["a", "b"] * 401,
                          "cost": np.column_stack([np.zeros(401), 20_000 * delta_effect + 100]).ravel(),
                          "effect": np.column_stack([np.ones(401), 1 + delta_effect]).ravel()})
    increment = psa_increment(plane, "b", "a")
    ratio = np.sort(20_000 + 100 / delta_effect)
    assert increment.icer == pytest.approx(tuple(np.quantile(ratio, [0.025, 0.975])), rel=1e-9)
    assert increment.effect == pytest.approx((0.03, *np.quantile(delta_effect, [0.025, 0.975])), rel=1e-9)
    assert increment.draws == 401


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e4, 1e4), st.integers(-1000, 1000).map(lambda k: k / 1000)),
                min_size=5, max_size=60))
def test_psa_increment_has_an_icer_interval_exactly_when_the_effect_interval_excludes_zero(draws):
    n = len(draws)
    delta_cost, delta_effect = np.array(draws).T
    plane = pd.DataFrame({"draw": np.repeat(np.arange(n), 2), "strategy": ["a", "b"] * n,
                          "cost": np.column_stack([np.zeros(n), delta_cost]).ravel(),
                          "effect": np.column_stack([np.zeros(n), delta_effect]).ravel()})
    increment = psa_increment(plane, "b", "a")
    low, high = np.quantile(delta_effect, [0.025, 0.975])
    assert (increment.icer is None) == (low <= 0 <= high)
    assert increment.cost[1] <= increment.cost[2] and increment.effect[1] <= increment.effect[2]


def test_lead_names_the_checks_that_fail_with_model_value_and_target_range(quick_run, tmp_path):
    folder = shutil.copytree(quick_run, tmp_path / "checks")
    checks = pd.read_csv(folder / "checks.csv")
    checks["passed"] = True
    checks.loc[[0, 2], ["model", "passed"]] = [[0.5, False], [7.25, False]]
    checks.to_csv(folder / "checks.csv", index=False)
    lead = section(build_report(folder).read_text(), "results")
    assert f"<strong>2 of {len(checks)} verification and validation checks fail</strong>" in lead
    for row in checks.loc[[0, 2]].itertuples():
        assert f"{html.escape(row.check)}: model {row.model:g}, target {row.target:.3g} (range {row.low:.3g} to " \
               f"{row.high:.3g})" in lead
    assert html.escape(checks.check[1]) not in lead
    checks["passed"] = True
    checks.to_csv(folder / "checks.csv", index=False)
    assert f"All {len(checks)} verification and validation checks pass." in build_report(folder).read_text()


def test_results_lead_then_methods_then_details_then_the_appendix_and_cheers_last(quick_run):
    page = (quick_run / "report.html").read_text()
    order = re.findall(r'<section id="([\w-]+)">', page)
    assert order[0] == "results" and order[-2:] == ["parameters", "cheers"]
    for earlier, later in [("decision-problem", "model"), ("model", "conventions"), ("conventions", "base-case"),
                           ("base-case", "psa"), ("psa", "dsa"), ("dsa", "scenarios"), ("scenarios", "threshold"),
                           ("threshold", "checks"), ("checks", "parameters")]:
        assert order.index(earlier) < order.index(later)


def test_report_tables_show_labels_and_headings_in_words(quick_run):
    page = (quick_run / "report.html").read_text()
    tables = "".join(re.findall(r"<table>.*?</table>", page, flags=re.S))
    cells = {html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", tables)}
    headings = [html.unescape(h.replace("<wbr>", "")) for h in re.findall(r"<th[^>]*>(.*?)</th>", tables)]
    codes = set(pd.read_csv(quick_run / "parameters.csv").name) | set(Model("ifn_gamma").strategies)
    codes |= set(pd.read_csv(quick_run / "cost_consequence.csv").outcome)
    assert not cells & codes
    assert not [h for h in headings if "_" in h]
    assert {"Incremental cost (€)", "ICER (€ per QALY)", "IFN-γ 1b", "Standard care (placebo)"} <= set(headings)
    # hecon run's cost-consequence differences carry the PSA's 95 % interval
    assert "Difference, IFN-γ 1b vs Standard care (placebo) (95 % interval)" in headings


def test_cost_consequence_differences_show_their_psa_interval(quick_run, tmp_path):
    folder = shutil.copytree(quick_run, tmp_path / "intervals")
    cc = pd.read_csv(folder / "cost_consequence.csv")
    cc["difference_ifn_gamma_low"], cc["difference_ifn_gamma_high"] = cc.difference_ifn_gamma - 500.4, -499.6
    cc.to_csv(folder / "cost_consequence.csv", index=False)
    base = section(build_report(folder).read_text(), "base-case")
    assert "Difference, IFN-γ 1b vs Standard care (placebo) (95 % interval)" in base
    total = cc.set_index("outcome").loc["total_cost"]
    low = f"{total.difference_ifn_gamma - 500.4:,.0f}".replace("-", "\u2212")  # the report's minus sign
    assert f"<td>{total.difference_ifn_gamma:,.0f} ({low} to \u2212500)</td>" in base


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
    assert answers[23] == "section “Results”" and answers[11] == "section “Base case”"


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

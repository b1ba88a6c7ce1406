"""The HTML report of a results folder (hecon.report)."""

import re
import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plotly.offline import get_plotlyjs

from hecon.errors import InputError
from hecon.model import Model
from hecon.report import CHEERS_2022, SECTIONS, _table, build_report, figures_of, state_diagram

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
    ends = {((a.ax, a.ay), (a.x, a.y)) for a in figure.layout.annotations}
    positions = model.module.POSITIONS
    assert ends == {(positions[s], positions[t]) for s, t in model.module.EDGES}


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

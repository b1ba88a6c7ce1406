"""Figures of the sensitivity analyses draw exactly the tables they are given, parameters by
their labels and money with its currency (hecon.results.plots.sensitivity)."""

import re

import numpy as np
import pandas as pd

from hecon.results.plots import gsa_bars, threshold_curve, tornado, two_way_maps
from hecon.results.plots.style import LABEL_WIDTH


def one_way_table(icer: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame({"parameter": ["price", "hr", "age"], "low": [85.0, 0.4, 55.0], "high": [300.0, 1.1, 68.0],
                          "outcome_at_low": [40_000.0, 20_000.0, 55_000.0],
                          "outcome_at_high": [90_000.0, -3_000.0, 65_000.0], "range": [50_000.0, 23_000.0, 10_000.0]})
    if icer:
        frame["status_at_low"] = "NE: ICER"
        frame["status_at_high"] = ["NE: ICER", "dominated", "NE: ICER"]
    return frame


#: what the one-way Result's meta gives the tornado
ICER_META = {"base": 60_000.0, "measure": "ICER", "base_status": "NE: ICER"}
PARAMETER_LABELS = {"hr": "Hazard ratio of infection", "price": "Price per vial"}
STRATEGY_LABELS = {"new": "New drug", "old": "Usual care"}


def bars(figure):
    return {trace.name: trace for trace in figure.data if trace.type == "bar"}


def test_tornado_bars_run_from_the_base_case_widest_on_top():
    figure = tornado(one_way_table(), top=2, **ICER_META)
    low, high = bars(figure).values()
    assert list(figure.layout.yaxis.ticktext) == ["hr<br>0.4 – 1.1", "price<br>85 – 300"]  # the last row on top
    assert list(low.y) == list(figure.layout.yaxis.tickvals) == [0, 1]
    np.testing.assert_allclose(low.base, 60_000)
    np.testing.assert_allclose(np.asarray(low.x) + 60_000, [20_000, 40_000])
    np.testing.assert_allclose(np.asarray(high.x) + 60_000, [-3_000, 90_000])


def test_icer_tornado_marks_a_crossing_into_dominance_instead_of_a_negative_ratio():
    figure = tornado(one_way_table(icer=True), top=None, currency="€", **ICER_META)
    high = bars(figure)["Parameter at its high value"]
    marks = [t for t in figure.data if t.type == "scatter"]
    assert high.x[1] == 0                                               # hr: no bar to −3,000 €/QALY
    assert [m.strip() for trace in marks for m in trace.text] == ["dominated"]
    assert list(marks[-1].y) == [1] and marks[-1].x[0] == 60_000
    assert high.hovertext[1] == "hr<br>at high value 1.1: dominated"
    assert high.hovertext[2] == "price<br>at high value 300: €90,000"


def test_tornado_shows_labels_money_and_the_full_label_in_the_hover():
    long = "Hazard ratio of a new secondary infection episode, drug versus usual care, within the effect window"
    labels = {**PARAMETER_LABELS, "hr": long}
    figure = tornado(one_way_table(), top=2, base=-187.0, currency="€", parameter_labels=labels,
                     measure="incremental NMB at €50,000 per QALY, new drug vs usual care")
    hr, price = figure.layout.yaxis.ticktext
    assert price == "Price per vial<br>85 – 300"
    first, second, _ = hr.split("<br>")                               # two lines of label, then the range
    assert second.endswith("…") and max(len(first), len(second)) <= LABEL_WIDTH
    assert long in bars(figure)["Parameter at its low value"].hovertext[0]
    assert re.search(r"\bhr\b", figure.to_json()) is None                 # the code name is nowhere
    assert (figure.layout.xaxis.tickformat, figure.layout.xaxis.tickprefix) == (",", "€")
    assert figure.layout.title.text == "One-way sensitivity analysis<br><sup>base case €−187</sup>"
    assert figure.layout.xaxis.title.text == "incremental NMB at €50,000 per QALY, new drug vs<br>usual care"


def grid_of(outcome, optimal) -> pd.DataFrame:
    gx, gy = np.meshgrid([0.0, 1.0], [10.0, 20.0, 30.0], indexing="ij")
    grid = pd.DataFrame({"x_value": gx.ravel(), "y_value": gy.ravel(), "x": "hr", "y": "price"})
    return grid.assign(outcome=outcome(grid), optimal=optimal(grid))


def test_two_way_maps_show_the_grid_and_the_optimal_strategy():
    grid = grid_of(lambda g: g.x_value - g.y_value / 20, lambda g: np.where(g.x_value - g.y_value / 20 > 0, "new", "old"))
    outcome, optimal = two_way_maps(grid).data
    assert np.asarray(outcome.z).shape == (3, 2) and outcome.z[0][1] == 1.0 - 0.5
    assert list(optimal.colorbar.ticktext) == ["new", "old"] and optimal.z[0][1] == 0


def test_two_way_maps_name_parameters_and_strategies_by_their_labels():
    grid = grid_of(lambda g: 1000 * g.x_value, lambda g: np.where(g.x_value > 0, "new", "old"))
    maps = two_way_maps(grid, "incremental cost (€)", currency="€", labels=STRATEGY_LABELS,
                        parameter_labels=PARAMETER_LABELS)
    outcome, optimal = maps.data
    assert list(optimal.colorbar.ticktext) == ["New drug", "Usual care"]
    assert {"New drug", "Usual care"} == set(np.ravel(optimal.text))
    assert (maps.layout.xaxis.title.text, maps.layout.yaxis.title.text) == ("Hazard ratio of infection", "Price per vial")
    assert (outcome.colorbar.tickprefix, outcome.colorbar.tickformat) == ("€", ",")
    assert outcome.hovertemplate.startswith("Hazard ratio of infection: %{x:,.4g}<br>Price per vial: %{y:,.4g}")
    assert "€%{z:,.0f}" in outcome.hovertemplate


def test_threshold_curve():
    curve = threshold_curve(pd.DataFrame({"wtp": [0.0, 50_000.0], "parameter": "price", "threshold": [np.nan, 93.0]}),
                            parameter_labels=PARAMETER_LABELS)
    assert list(curve.data[0].y)[1] == 93.0
    assert curve.layout.xaxis.title.text == "Willingness to pay (€ per QALY)" and curve.layout.xaxis.tickformat == ","
    assert curve.layout.yaxis.title.text == "Price per vial at INMB = 0"
    assert curve.layout.title.text.startswith("Threshold analysis: Price per vial<br>")


def test_gsa_bars_one_row_per_parameter_the_most_influential_on_top():
    sobol = pd.DataFrame({"parameter": ["hr", "b"], "S1": [0.6, 0.1], "S1_conf": [0.05, 0.02],
                          "ST": [0.7, 0.2], "ST_conf": [0.06, 0.03]})
    figure = gsa_bars(sobol, measure="incremental NMB", parameter_labels=PARAMETER_LABELS)
    s1, st = figure.data
    assert (s1.name, st.name, s1.orientation) == ("S1", "ST", "h")
    assert list(figure.layout.yaxis.ticktext) == ["b", "Hazard ratio of infection"]
    np.testing.assert_allclose(st.x, [0.2, 0.7])
    np.testing.assert_allclose(st.error_x.array, [0.03, 0.06])
    assert figure.layout.title.text == "Sobol' indices<br><sup>incremental NMB</sup>"
    morris = pd.DataFrame({"parameter": ["a"], "mu_star": [3.0], "mu_star_conf": [0.5], "sigma": [1.0]})
    assert [t.name for t in gsa_bars(morris).data] == ["μ*", "σ"]

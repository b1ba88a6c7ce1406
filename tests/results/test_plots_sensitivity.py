"""Figures of the sensitivity analyses draw exactly the tables they are given."""

import numpy as np
import pandas as pd

from hecon.results.plots import gsa_bars, threshold_curve, tornado, two_way_maps


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


def test_tornado_bars_run_from_the_base_case_widest_on_top():
    figure = tornado(one_way_table(), top=2, **ICER_META)
    low, high = (trace for trace in figure.data if trace.type == "bar")
    assert list(low.y) == ["hr (0.4 – 1.1)", "price (85 – 300)"]     # plotly draws the last row on top
    np.testing.assert_allclose(low.base, 60_000)
    np.testing.assert_allclose(np.asarray(low.x) + 60_000, [20_000, 40_000])
    np.testing.assert_allclose(np.asarray(high.x) + 60_000, [-3_000, 90_000])


def test_icer_tornado_marks_a_crossing_into_dominance_instead_of_a_negative_ratio():
    figure = tornado(one_way_table(icer=True), top=None, **ICER_META)
    bars = {t.name: t for t in figure.data if t.type == "bar"}
    marks = [t for t in figure.data if t.type == "scatter"]
    high = bars["parameter at high"]
    assert high.x[list(high.y).index("hr (0.4 – 1.1)")] == 0          # no bar to −3,000 €/QALY
    assert [m.strip() for trace in marks for m in trace.text] == ["dominated"]
    assert list(marks[-1].y) == ["hr (0.4 – 1.1)"] and marks[-1].x[0] == 60_000


def test_two_way_maps_show_the_grid_and_the_optimal_strategy():
    gx, gy = np.meshgrid([0.0, 1.0], [10.0, 20.0, 30.0], indexing="ij")
    grid = pd.DataFrame({"x_value": gx.ravel(), "y_value": gy.ravel(), "outcome": gx.ravel() - gy.ravel() / 20,
                         "x": "hr", "y": "price"})
    grid["optimal"] = np.where(grid.outcome > 0, "new", "old")
    outcome, optimal = two_way_maps(grid).data
    assert np.asarray(outcome.z).shape == (3, 2) and outcome.z[0][1] == 1.0 - 0.5
    assert list(optimal.colorbar.ticktext) == ["new", "old"] and optimal.z[0][1] == 0


def test_threshold_curve_and_gsa_bars():
    curve = threshold_curve(pd.DataFrame({"wtp": [0.0, 50_000.0], "parameter": "price", "threshold": [np.nan, 93.0]}))
    assert list(curve.data[0].y)[1] == 93.0
    sobol = pd.DataFrame({"parameter": ["a", "b"], "S1": [0.6, 0.1], "S1_conf": [0.05, 0.02],
                          "ST": [0.7, 0.2], "ST_conf": [0.06, 0.03]})
    assert [t.name for t in gsa_bars(sobol).data] == ["S1", "ST"]
    morris = pd.DataFrame({"parameter": ["a"], "mu_star": [3.0], "mu_star_conf": [0.5], "sigma": [1.0]})
    assert [t.name for t in gsa_bars(morris).data] == ["μ*", "σ"]


def test_sensitivity_figures_show_labels_and_separators():
    labels = {"hr": "Hazard ratio of infection", "price": "Price per vial", "new": "New drug", "old": "Usual care"}
    figure = tornado(one_way_table(), top=2, labels=labels, measure="incremental NMB at €50,000 per QALY, new drug vs usual care")
    assert list(figure.data[0].y) == ["Hazard ratio of infection (0.4 – 1.1)", "Price per vial (85 – 300)"]
    assert figure.layout.xaxis.tickformat == ","
    assert figure.layout.xaxis.title.text == "incremental NMB at €50,000 per QALY, new drug vs<br>usual care"  # wrapped
    gx, gy = np.meshgrid([0.0, 1.0], [10.0, 20.0], indexing="ij")
    grid = pd.DataFrame({"x_value": gx.ravel(), "y_value": gy.ravel(), "outcome": gx.ravel(), "x": "hr", "y": "price",
                         "optimal": ["old", "old", "new", "new"]})
    maps = two_way_maps(grid, labels=labels)
    assert list(maps.data[1].colorbar.ticktext) == ["New drug", "Usual care"]
    assert (maps.layout.xaxis.title.text, maps.layout.yaxis.title.text) == ("Hazard ratio of infection", "Price per vial")
    curve = threshold_curve(pd.DataFrame({"wtp": [0.0, 50_000.0], "parameter": "price", "threshold": [1.0, 93.0]}),
                            labels=labels)
    assert curve.layout.xaxis.title.text == "Willingness to pay (€ per QALY)" and curve.layout.xaxis.tickformat == ","
    assert curve.layout.yaxis.title.text == "Price per vial at INMB = 0"
    sobol = pd.DataFrame({"parameter": ["hr"], "S1": [0.6], "S1_conf": [0.05], "ST": [0.7], "ST_conf": [0.06]})
    assert list(gsa_bars(sobol, labels=labels).data[0].x) == ["Hazard ratio of infection"]

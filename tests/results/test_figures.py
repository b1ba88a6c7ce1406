"""The figure registry (hecon.results.figures): every table stem it knows draws from a minimal
table and its Result's meta; a figure drawn from a results folder (CSVs and manifest) is the
figure drawn from memory, for every stem (tests/results/test_write.py checks the decision
tables through the writer); parameters and strategies appear by their labels, escaped, and
money with its currency."""

import html
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.analysis.result import Result
from hecon.results.figures import FIGURES, escaped, figures, figures_of
from hecon.results.write import table_file, write

STRATEGIES = {"arm_old": "Usual care", "arm_new": "New drug"}
PARAMETERS = {"zz_hr": "Hazard ratio of infection", "zz_price": "Price per vial", "zz_age": "Mean age at admission"}
UNITS = {"currency": "€", "effect_unit": "QALY", "comparator": "arm_old", "labels": STRATEGIES}
WTP = [0.0, 20_000.0, 50_000.0]


def decision() -> Result:
    rng = np.random.default_rng(3)
    draws = pd.DataFrame({"draw": np.repeat(np.arange(5), 2), "strategy": list(STRATEGIES) * 5,
                          "cost": rng.normal(1000, 100, 10).round(2), "effect": rng.normal(5, 0.05, 10).round(4)})
    per_wtp = pd.DataFrame({"wtp": np.repeat(WTP, 2), "strategy": list(STRATEGIES) * 3})
    return Result("decision", {
        "ce_plane": draws,
        "ceac": per_wtp.assign(probability=[0.9, 0.1, 0.6, 0.4, 0.3, 0.7], on_frontier=[True, False] * 2 + [False, True]),
        "evpi": pd.DataFrame({"wtp": WTP, "evpi": [1.0, 250.0, 900.0]}),
        "evppi": pd.DataFrame({"wtp": np.repeat(WTP, 2), "parameter_or_group": ["zz_hr", "costs"] * 3,
                               "evppi": [0.0, 0.0, 120.0, 30.0, 600.0, 80.0], "se": [0.0, 0.0, 4.0, 2.0, 9.0, 3.0]}),
        "expected_loss": per_wtp.assign(expected_loss=[0.0, 400.0, 250.0, 260.0, 1200.0, 900.0]),
    }, {**UNITS, "report_wtp": [20_000.0], "parameter_labels": {"zz_hr": PARAMETERS["zz_hr"]}}, "ceac")


def one_way() -> Result:
    dsa = pd.DataFrame({"parameter": ["zz_price", "zz_hr", "zz_age"], "low": [85.0, 0.4, 55.0],
                        "high": [300.0, 1.1, 68.0], "outcome_at_low": [900.0, 400.0, -100.0],
                        "outcome_at_high": [-2_500.0, -800.0, -300.0], "range": [3_400.0, 1_200.0, 200.0]})
    return Result("one_way", {"dsa": dsa}, {
        **UNITS, "parameter_labels": PARAMETERS, "measure": "incremental NMB at €50,000 per QALY, New drug vs Usual care",
        "outcome": "inmb", "base_outcome": -187.0, "top": 15}, "dsa")


def two_way() -> Result:
    gx, gy = (g.ravel() for g in np.meshgrid([0.4, 1.1], [85.0, 192.5, 300.0], indexing="ij"))
    grid = pd.DataFrame({"x_value": gx, "y_value": gy, "outcome": 1000 * gx - gy, "x": "zz_hr", "y": "zz_price"})
    grid["optimal"] = np.where(grid.outcome > 0, "arm_old", "arm_new")
    return Result("two_way", {"twoway": grid}, {
        **UNITS, "parameter_labels": {p: PARAMETERS[p] for p in ("zz_hr", "zz_price")}, "x": "zz_hr", "y": "zz_price",
        "measure": "incremental cost (€), New drug vs Usual care", "outcome": "cost"}, "twoway")


def threshold() -> Result:
    curve = pd.DataFrame({"wtp": WTP, "parameter": "zz_price", "threshold": [np.nan, 93.5, 210.25],
                          "inmb_at_threshold": [np.nan, 0.0, 0.0], "reason": ["no threshold in [85, 300]", "", ""]})
    return Result("threshold", {"threshold_curve": curve},
                  {**UNITS, "parameter_labels": {"zz_price": PARAMETERS["zz_price"]}, "parameter": "zz_price"})


def gsa() -> Result:
    indices = pd.DataFrame({"parameter": ["zz_hr", "zz_age"], "S1": [0.6, 0.1], "S1_conf": [0.05, 0.02],
                            "ST": [0.7, 0.2], "ST_conf": [0.06, 0.03]})
    return Result("gsa", {"gsa": indices}, {**UNITS, "parameter_labels": PARAMETERS, "measure": "incremental NMB"})


def survival() -> Result:
    km = pd.DataFrame({"arm": "placebo", "curve": "Kaplan–Meier", "time": [0.0, 10.0, 20.0],
                       "survival": [1.0, 0.8, 0.7], "lower": [1.0, 0.7, 0.6], "upper": [1.0, 0.9, 0.8]})
    fit = pd.DataFrame({"arm": "placebo", "curve": "Weibull", "time": [0.0, 10.0, 20.0], "survival": [1.0, 0.82, 0.69]})
    return Result("survival", {"survival_curves": pd.concat([km, fit], ignore_index=True)}, {})


def effect_threshold() -> Result:
    curve = pd.DataFrame({"parameter": "zz_hr", "value": np.repeat([0.5, 1.0, 2.0], 2), "wtp": [20_000.0, 50_000.0] * 3,
                          "probability_cost_effective": [0.9, 0.95, 0.2, 0.4, 0.0, 0.01]})
    return Result("effect_threshold", {"effect_threshold_curve": curve},
                  {**UNITS, "parameter_labels": {"zz_hr": PARAMETERS["zz_hr"]}})


def value_of_sample_information() -> Result:
    evsi = pd.DataFrame({"n_per_arm": [50, 163, 50, 163], "wtp": [2e4, 2e4, 5e4, 5e4], "evsi": [1.0, 2.0, 0.5, 1.5],
                         "se": 0.1, "population_evsi": [1e6, 2e6, 5e5, 1.5e6], "population_limit": [3e6, 3e6, 2e6, 2e6]})
    enbs = pd.DataFrame({"n_per_arm": [50, 163, 50, 163], "wtp": [2e4, 2e4, 5e4, 5e4], "enbs": [5e5, 4e5, -1e5, 2e5],
                         "optimal": [True, False, False, True]})
    return Result("evsi", {"evsi": evsi, "enbs": enbs}, {**UNITS, "running_n_per_arm": 163})


RESULTS = [decision(), one_way(), two_way(), threshold(), gsa(), survival(), value_of_sample_information(), effect_threshold()]


def text(figure) -> str:
    """The figure as JSON, characters as written (plotly's JSON writes ``<`` as ``\\u003c``)."""
    return json.dumps(json.loads(figure.to_json())["data"] + [json.loads(figure.to_json())["layout"] | {"template": {}}],
                      ensure_ascii=False)


def test_every_stem_of_the_registry_draws_from_a_minimal_table():
    assert {stem for result in RESULTS for stem in result.tables()} == set(FIGURES)  # a new stem needs its case here
    for result in RESULTS:
        drawn = figures_of(result.tables(), result.meta)
        assert set(drawn) == {FIGURES[stem][0] for stem in result.tables()}, result.analysis


def test_the_figures_of_a_result_are_drawn_with_its_own_meta():
    """One-way and GSA both name a measure: each figure shows its own Result's."""
    assert figures(one_way())["tornado"].layout.xaxis.title.text.startswith("incremental NMB at €50,000")
    assert figures(gsa())["gsa"].layout.title.text == "Sobol' indices<br><sup>incremental NMB</sup>"


def test_a_figure_drawn_from_a_results_folder_is_the_figure_drawn_from_memory(tmp_path):
    out = write(tmp_path / "out", "m", *RESULTS, command="test")
    manifest = json.loads((out / "manifest.json").read_text())
    recorded, labels = manifest["results"], manifest["parameter_labels"]  # the labels written once
    for result in RESULTS:
        read_back = {stem: pd.read_csv(out / table_file(stem)) for stem in result.tables()}
        from_memory = figures_of(result.tables(), result.meta)
        from_folder = figures_of(read_back, {**recorded[result.analysis], "parameter_labels": labels})
        assert set(from_memory) == set(from_folder) and from_memory, result.analysis
        for stem, figure in from_memory.items():
            assert figure.to_json() == from_folder[stem].to_json(), stem
            assert (out / f"{stem}.html").exists()


#: figure stem → the labels it shows
NAMED = {"ce_plane": STRATEGIES, "ceac": STRATEGIES, "expected_loss": STRATEGIES, "evpi": {},
         "evppi": {"zz_hr": PARAMETERS["zz_hr"]}, "tornado": PARAMETERS,
         "twoway": {**STRATEGIES, "zz_hr": PARAMETERS["zz_hr"], "zz_price": PARAMETERS["zz_price"]},
         "threshold": {"zz_price": PARAMETERS["zz_price"]}, "gsa": {"zz_hr": PARAMETERS["zz_hr"], "zz_age": PARAMETERS["zz_age"]}}


@pytest.mark.parametrize("result", RESULTS[:5], ids=lambda r: r.analysis)
def test_figures_name_parameters_and_strategies_by_their_labels(result):
    for stem, figure in figures_of(result.tables(), result.meta).items():
        shown = text(figure)
        assert [label for label in NAMED[stem].values() if label not in shown] == [], stem
        assert [code for code in {**PARAMETERS, **STRATEGIES} if code in shown] == [], stem


def test_a_parameter_without_a_label_is_shown_by_its_code_name():
    result = one_way()
    figure = figures_of(result.tables(), {**result.meta, "parameter_labels": {"zz_hr": "Hazard ratio"}})["tornado"]
    assert [row.split("<br>")[0] for row in figure.layout.yaxis.ticktext] == ["zz_age", "Hazard ratio", "zz_price"]


def test_strategy_labels_never_name_parameters():
    """The tornado of a model whose strategy and parameter share a code name shows the parameter's label."""
    result = one_way()
    meta = {**result.meta, "labels": {"zz_hr": "A strategy"}}
    rows = figures_of(result.tables(), meta)["tornado"].layout.yaxis.ticktext
    assert any(row.startswith("Hazard ratio of infection") for row in rows)
    assert not any("A strategy" in row for row in rows)


def test_money_measures_carry_the_currency_and_other_measures_do_not():
    result = one_way()
    money = figures_of(result.tables(), result.meta)["tornado"]
    assert (money.layout.xaxis.tickprefix, money.layout.xaxis.tickformat) == ("€", ",")
    assert money.layout.title.text.endswith("base case €−187</sup>")
    assert "€" in money.data[0].hovertext[0]
    effect = figures_of(result.tables(), {**result.meta, "outcome": "effect", "base_outcome": 0.0125})["tornado"]
    assert effect.layout.xaxis.tickprefix is None and effect.layout.title.text.endswith("base case 0.0125</sup>")
    maps = figures_of(two_way().tables(), two_way().meta)["twoway"]
    assert maps.data[0].colorbar.tickprefix == "€"


MARKUP = "<script>alert(1)</script>"


def test_labels_and_names_with_markup_are_escaped():
    result = one_way()
    dsa = result.tables()["dsa"].assign(parameter=["zz_price", "zz_hr", f"{MARKUP}_code"])
    meta = {**result.meta, "parameter_labels": {"zz_hr": MARKUP, "zz_price": "Price <b>per</b> vial"},
            "labels": {**STRATEGIES, "arm_new": MARKUP}}
    figures = {**figures_of({"dsa": dsa}, meta), **figures_of(decision().tables(), {**decision().meta, **meta})}
    for stem, figure in figures.items():
        shown = text(figure)
        assert "<script>" not in shown and "<b>" not in shown, stem
    rows = figures["tornado"].layout.yaxis.ticktext
    assert {row.split("<br>")[0] for row in rows} == {"Price &lt;b&gt;per&lt;/b&gt; vial", "&lt;script&gt;alert(1)&lt;/script&gt;",
                                                      "&lt;script&gt;alert(1)&lt;/script&gt;_code"}
    assert figures["ce_plane"].layout.title.text == "Cost-effectiveness plane: &lt;script&gt;alert(1)&lt;/script&gt; versus Usual care"


CELLS = st.one_of(st.text(alphabet="ab<>&\"' ", max_size=4), st.none(), st.just(np.nan),
                  st.integers(-3, 3), st.floats(allow_nan=False, width=16))


@settings(max_examples=60, deadline=None)
@given(st.lists(CELLS, max_size=12), st.booleans())
def test_a_table_s_text_is_escaped_as_cell_by_cell(cells, as_string):
    column = pd.Series(cells, dtype=object)
    if as_string:
        column = pd.Series([c for c in cells if isinstance(c, str)], dtype="string")
    table = pd.DataFrame({"text": column, "x": np.arange(len(column))})
    expected = [html.escape(v) if isinstance(v, str) else v for v in column.tolist()]
    shown = escaped(table)
    assert [repr(v) for v in shown["text"].tolist()] == [repr(v) for v in expected]
    pd.testing.assert_series_equal(shown["x"], table["x"])
    assert table["text"].equals(column)  # the caller's table is left as it was

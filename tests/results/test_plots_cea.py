"""Decision-analysis figures and figure files (hecon.results.plots.cea, hecon.results.plots.io)."""

from __future__ import annotations

import numpy as np
import pytest

from hecon.analysis import cea, voi
from hecon.errors import InputError
from hecon.results import plots

rng = np.random.default_rng(0)
COSTS = rng.normal([1000, 1500, 1800], 100, (300, 3))
EFFECTS = rng.normal([1.0, 1.05, 1.08], 0.02, (300, 3))
WTP = cea.default_wtp_grid(50_000, 11)


def test_ce_plane_of_two_strategies_is_incremental():
    figure = plots.ce_plane(COSTS[:, :2], EFFECTS[:, :2], ["A", "B"], comparator="A", wtp=20_000)
    draws, mean, threshold = figure.data
    np.testing.assert_allclose(draws.x, EFFECTS[:, 1] - EFFECTS[:, 0])
    np.testing.assert_allclose(mean.y, [(COSTS[:, 1] - COSTS[:, 0]).mean()])
    assert threshold.y[1] / threshold.x[1] == pytest.approx(20_000)
    assert figure.layout.xaxis.title.text == "Incremental effect (QALY)"
    assert figure.layout.yaxis.title.text == "Incremental cost (€)"
    assert figure.layout.yaxis.tickformat == ","  # 1,000 €: thousands separators
    assert "ΔC €%{y:,.0f}" in draws.hovertemplate and threshold.name == "λ = €20,000 per QALY"
    assert {a.text[:2] for a in figure.layout.annotations} == {"NE", "NW", "SE", "SW"}


def test_figures_show_labels_not_code_names():
    labels = {"A": "Standard care", "B": "New drug", "parameter_1": "Utility of sick"}
    plane = plots.ce_plane(COSTS[:, :2], EFFECTS[:, :2], ["A", "B"], comparator="A", labels=labels)
    assert plane.layout.title.text == "Cost-effectiveness plane: New drug versus Standard care"
    several = plots.ce_plane(COSTS, EFFECTS, ["A", "B", "C"], labels=labels)
    assert [t.name for t in several.data] == ["Standard care", "New drug", "C", "Mean"]
    curves = plots.ceac_plot(cea.ceac(COSTS, EFFECTS, ["A", "B", "C"], WTP), labels=labels)
    assert [t.name for t in curves.data][:3] == ["Standard care", "New drug", "C"]
    assert set(curves.data[-1].text) <= {"Standard care", "New drug", "C"}
    loss = plots.expected_loss_plot(cea.expected_loss(COSTS, EFFECTS, ["A", "B", "C"], WTP), labels=labels)
    assert loss.data[1].name == "New drug"
    partial = voi.evppi(COSTS, EFFECTS, rng.normal(size=(300, 2)), WTP, n_se_samples=5)
    bars = plots.evppi_plot(partial, 20_000, parameter_labels=labels)
    assert "Utility of sick" in bars.layout.yaxis.ticktext and "Utility of sick" in bars.data[0].customdata


def test_ce_plane_of_several_strategies_is_absolute():
    figure = plots.ce_plane(COSTS, EFFECTS, ["A", "B", "C"], effect_unit="life year")
    assert [trace.name for trace in figure.data] == ["A", "B", "C", "Mean"]
    assert figure.layout.xaxis.title.text == "Effect (life year)"


def test_curves_and_bars_draw_the_frames():
    names = ["A", "B", "C"]
    curves = cea.ceac(COSTS, EFFECTS, names, WTP)
    figure = plots.ceac_plot(curves, currency="$")
    assert [t.name for t in figure.data] == ["A", "B", "C", "Frontier (CEAF)"]
    assert len(figure.data[-1].x) == WTP.size
    assert figure.layout.xaxis.title.text == "Willingness to pay ($ per QALY)"
    assert (figure.layout.xaxis.tickformat, figure.layout.yaxis.tickformat) == (",", ".0%")
    assert "$%{x:,.0f}" in figure.data[0].hovertemplate

    table = voi.evpi_table(COSTS, EFFECTS, WTP, voi.Population(100, 5))
    figure = plots.evpi_plot(table)
    assert [t.name for t in figure.data] == ["Per patient", "Population"]
    np.testing.assert_allclose(figure.data[0].y, table["evpi"])
    assert {axis.tickformat for axis in (figure.layout.xaxis, figure.layout.yaxis, figure.layout.yaxis2)} == {","}
    assert figure.layout.yaxis2.title.text == "Population EVPI (€)"

    loss = cea.expected_loss(COSTS, EFFECTS, names, WTP)
    assert plots.expected_loss_plot(loss).layout.yaxis.title.text == "Expected loss per patient (€)"

    partial = voi.evppi(COSTS, EFFECTS, rng.normal(size=(300, 2)), WTP, n_se_samples=5)
    bars = plots.evppi_plot(partial, 21_000)
    shown = partial[partial.wtp == 20_000].sort_values("evppi")
    assert list(bars.layout.yaxis.ticktext) == list(shown.parameter_or_group)   # the largest on top
    np.testing.assert_allclose(bars.data[0].x, shown.evppi)
    assert plots.evppi_plot(partial, 21_000).layout.title.text == "EVPPI at λ = €20,000 per QALY"


def test_write_figure(tmp_path):
    figure = plots.ceac_plot(cea.ceac(COSTS, EFFECTS, ["A", "B", "C"], WTP))
    (path,) = plots.write_figure(figure, tmp_path, "ceac")
    assert path == tmp_path / "ceac.html"
    text = path.read_text(encoding="utf-8")
    assert "<html>" in text and '<script src="http' not in text and 'src="plotly.min.js"' in text
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000  # plotly.js beside it: opens offline
    with pytest.raises(InputError, match="unknown figure format"):
        plots.write_figure(figure, tmp_path, "ceac", formats=("gif",))

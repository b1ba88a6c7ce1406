"""The survival figure (hecon.results.plots.survival) draws the curves it is given."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hecon.results.plots.survival import survival_plot
from hecon.trial import fit_parametric_models, kaplan_meier


def curves() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frames = []
    grid = np.linspace(0, 200, 41)
    for arm, scale in (("placebo", 150.0), ("treated", 200.0)):
        t = rng.exponential(scale, 300)
        time, event = np.minimum(t, 90), t <= 90
        km = kaplan_meier(time, event).frame()
        frames.append(km[["time", "survival", "lower", "upper"]].assign(arm=arm, curve="Kaplan–Meier"))
        frames += [pd.DataFrame({"time": grid, "survival": f.survival(grid), "arm": arm, "curve": f.distribution})
                   for f in fit_parametric_models(time, event, ("exponential", "weibull"))]
    return pd.concat(frames, ignore_index=True)


def test_one_panel_per_arm_with_the_curves_and_their_band():
    data = curves()
    figure = survival_plot(data, title="Survival")
    names = [trace.name for trace in figure.data]
    assert names.count("Kaplan–Meier") == 2 and names.count("weibull") == 2 and names.count("95 % interval") == 2
    assert [a.text for a in figure.layout.annotations] == ["placebo", "treated"]
    km = next(t for t in figure.data if t.name == "Kaplan–Meier")
    expected = data[(data["arm"] == "placebo") & (data["curve"] == "Kaplan–Meier")]["survival"]
    np.testing.assert_allclose(km.y, expected)
    assert km.line.shape == "hv" and next(t for t in figure.data if t.name == "weibull").line.dash == "dash"
    assert sum(t.showlegend is not False for t in figure.data) == 4  # legend entries once, not per panel
    assert figure.layout.title.text == "Survival"

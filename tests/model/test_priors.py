"""Named priors of the effect (hecon.model.priors): evidence synthesis, Spiegelhalter priors,
application to the parameter table and to a model."""

import math
import shutil
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hecon.errors import InputError
from hecon.model import Model
from hecon.model.priors import (
    FOLDER,
    bias_adjusted,
    lognormal_cells,
    model_priors,
    random_effects,
    read_priors,
    spiegelhalter,
    under_prior,
    without_prior,
)

#: BCG vaccine trials (Colditz et al. 1994; metafor's dat.bcg): tpos, tneg, cpos, cneg
BCG = np.array([[4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619],
                [33, 5036, 47, 5761], [180, 1361, 372, 1079], [8, 2537, 10, 619], [505, 87886, 499, 87892],
                [29, 7470, 45, 7232], [17, 1699, 65, 1600], [186, 50448, 141, 27197], [5, 2493, 3, 2338],
                [27, 16886, 29, 17825]], dtype=float)


def bcg_log_risk_ratios():
    a, b, c, d = BCG.T
    return np.log(a / (a + b)) - np.log(c / (c + d)), 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)


def test_dersimonian_laird_reproduces_metafor_on_the_bcg_trials():
    # metafor::rma(yi, vi, data = escalc("RR", ai=tpos, ...dat.bcg), method = "DL"):
    # estimate −0.7141, se 0.1787, tau² 0.3088
    pooled = random_effects(*bcg_log_risk_ratios())
    assert pooled.mean == pytest.approx(-0.7141, abs=5e-5)
    assert pooled.se == pytest.approx(0.1787, abs=5e-5)
    assert pooled.tau2 == pytest.approx(0.3088, abs=5e-5)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-2, 2), st.floats(0.01, 1)), min_size=2, max_size=8))
def test_dersimonian_laird_equals_statsmodels(studies):
    """statsmodels' combine_effects (method "dl"), its τ̂² truncated at 0 (then the fixed effect)."""
    from statsmodels.stats.meta_analysis import combine_effects

    y, v = map(np.array, zip(*studies, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # √ of a negative τ² before truncation
        fit = combine_effects(y, v, method_re="dl")
    pooled = random_effects(y, v)
    random = fit.tau2 > 0
    assert pooled.tau2 == pytest.approx(max(fit.tau2, 0.0), abs=1e-12)
    assert pooled.q == pytest.approx(fit.q, rel=1e-12, abs=1e-12)
    assert pooled.mean == pytest.approx(fit.mean_effect_re if random else fit.mean_effect_fe, rel=1e-9, abs=1e-12)
    assert pooled.se == pytest.approx(fit.sd_eff_w_re if random else fit.sd_eff_w_fe, rel=1e-9)
    assert pooled.predictive_sd == pytest.approx(math.sqrt(pooled.se ** 2 + pooled.tau2), rel=1e-12)


def test_bias_adjustment_shifts_by_the_bias_means_and_adds_their_variances():
    y, se = bias_adjusted([0.1, -0.2], [0.3, 0.4], [[0.05, 0.0, -0.02], [0, 0, 0]], [[0.2, 0.1, 0.0], [0, 0, 0]])
    assert y == pytest.approx([0.07, -0.2])
    assert se == pytest.approx([math.sqrt(0.09 + 0.04 + 0.01), 0.4])


def test_sceptical_and_enthusiastic_priors_meet_their_definitions():
    sceptical, enthusiastic = (spiegelhalter(kind, 1.0, 0.7, 0.05) for kind in ("sceptical", "enthusiastic"))
    for cells, centre, beyond in ((sceptical, 1.0, 0.7), (enthusiastic, 0.7, 1.0)):
        sdlog = (math.log(cells["ci_high"]) - math.log(cells["ci_low"])) / (2 * stats.norm.ppf(0.975))
        assert cells["value"] == pytest.approx(centre)
        tail = stats.norm.cdf(-abs(math.log(beyond) - math.log(centre)) / sdlog)
        assert tail == pytest.approx(0.05)  # P(HR ≤ 0.70) sceptical; P(HR ≥ 1) enthusiastic
    assert lognormal_cells(0.0, 0.25)["ci_high"] == pytest.approx(math.exp(1.959964 * 0.25), rel=1e-6)


def test_the_flagship_evidence_prior_is_the_pooled_predictive_distribution():
    priors = model_priors(Model("ifn_gamma"))
    assert list(priors) == ["design", "evidence", "sceptical", "enthusiastic", "harm"]
    synthesis = priors["evidence"].syntheses["hr_infection_ifn"]
    studies = synthesis.studies
    assert list(studies.study) == ["PREV-HAP", "GRID", "Polk 1992"]
    # by hand: log ratio less its bias, SE from the 95 % CI, plus the indirectness variances,
    # fixed-effect (Q < k − 1)
    y = np.log(studies.estimate.to_numpy()) - studies.bias.to_numpy()
    v = ((np.log(studies.ci_high) - np.log(studies.ci_low)) / 3.919928) ** 2 + studies.bias_sd ** 2
    mean, se = (y / v).sum() / (1 / v).sum(), (1 / v).sum() ** -0.5
    cells = priors["evidence"].cells["hr_infection_ifn"]
    assert cells["value"] == pytest.approx(math.exp(mean))
    assert cells["ci_high"] == pytest.approx(math.exp(mean + 1.959964 * se), rel=1e-6)
    assert synthesis.sensitivity["low"].se < synthesis.pooled.se < synthesis.sensitivity["high"].se


def test_a_model_under_a_prior_loads_its_distribution_everywhere_and_hashes_its_files():
    model = Model("ifn_gamma")
    under = under_prior(model, "sceptical")
    table = under.load_parameters()
    assert table["hr_infection_ifn"].value == pytest.approx(1.0)
    assert table.distribution_of("hr_infection_ifn").ppf(0.05) == pytest.approx(0.7, rel=1e-6)
    assert under.parameters["hr_infection_ifn"].value == pytest.approx(1.0)
    assert "priors" in under.input_files() and without_prior(under) is model
    assert under_prior(model, "design").load_parameters()["hr_infection_ifn"].value == model.parameters[
        "hr_infection_ifn"].value
    assert under_prior(model, None) is model


def test_an_unknown_prior_or_parameter_is_one_error_naming_the_file_and_row(tmp_path):
    with pytest.raises(InputError, match="no prior named 'optimistic'.*choose one of design, evidence"):
        under_prior(Model("ifn_gamma"), "optimistic")
    inputs = shutil.copytree(Model("ifn_gamma").input_dir, tmp_path / "inputs")
    path = inputs / FOLDER / "priors.csv"
    path.write_text(path.read_text().replace("sceptical,hr_infection_ifn", "sceptical,hr_infection_ifm"))
    with pytest.raises(InputError, match=r"priors.csv, row 4, column 'parameter': prior 'sceptical': unknown "
                                         r"parameter 'hr_infection_ifm'.*did you mean hr_infection_ifn"):
        under_prior(Model("ifn_gamma", inputs), "sceptical")


def test_malformed_priors_name_the_row(tmp_path):
    (tmp_path / "priors.csv").write_text(
        "prior,parameter,method,value,ci_low,ci_high,null,alternative,tail,description,source\n"
        "a,x,lognormal,0.8,0.5,,,,,d,s\n")
    with pytest.raises(InputError, match="row 2, column 'ci_high'"):
        read_priors(tmp_path)
    (tmp_path / "priors.csv").write_text(
        "prior,parameter,method,value,ci_low,ci_high,null,alternative,tail,description,source\n"
        "a,x,sceptical,0.8,,,1,0.7,0.05,d,s\n")
    with pytest.raises(InputError, match="row 2, column 'value': column 'value' is set but method sceptical"):
        read_priors(tmp_path)

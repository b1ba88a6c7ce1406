"""Trial estimates written into a parameter table, and the fit report (hecon.trial.fit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hecon.errors import ModelError
from hecon.model.distributions import Beta, Fixed, Gamma, LogNormal, Normal
from hecon.model.parameters import ParameterTable
from hecon.trial.estimate import Estimate, positive, proportion, ratio, sample_mean
from hecon.trial.fit import TrialFit, fit_report, fitted_table

TABLE = """name,description,value,unit,distribution,se,ci_low,ci_high,alpha,beta,lower,upper,low,high,group,price_year,status,source,notes
p_event,Probability of the event,0.3,probability,beta,0.05,,,,,,,0.2,0.4,tree,,assumption,expert opinion,
hr_effect,Hazard ratio of the treatment,0.8,HR,lognormal,,0.6,1.1,,,,,,,effect,,assumption,design hypothesis,
stay,Mean stay,10,days,gamma,2,,,,,,,,,stays,,verified,registry,
age,Mean age,60,years,normal,2,,,,,,,,,cohort,,assumption,registry,
age_sd,SD of age,12,years,fixed,,,,,,,,,,cohort,,assumption,registry,
cost_day,Cost of a day,1000,EUR,gamma,100,,,,,,,,,costs,2024,verified,tariff,
"""
SOURCE = "trial data, " + "ab" * 32


@pytest.fixture
def table_path(tmp_path):
    path = tmp_path / "parameters.csv"
    path.write_text(TABLE, encoding="utf-8")
    return path


def estimates() -> dict[str, Estimate]:
    return {
        "p_event": proportion(30, 120),
        "hr_effect": ratio(np.log(0.7), 0.15, 300, "Cox model"),
        "stay": positive(12.5, 1.1, 120, "restricted mean"),
        "age": sample_mean([50.0, 61.0, 70.0, 58.0]),
        "age_sd": Estimate(8.3, np.nan, np.nan, np.nan, 4, "sample standard deviation", Fixed(8.3)),
    }


def test_estimated_rows_are_replaced_and_the_others_kept(table_path):
    rows = fitted_table(table_path, estimates(), SOURCE)
    original = pd.read_csv(table_path, dtype=str, keep_default_na=False)
    assert list(rows.columns) == list(original.columns)
    assert rows.iloc[-1].equals(original.iloc[-1])  # cost_day: still from the literature
    fitted = rows.set_index("name")
    assert (fitted.loc[list(estimates()), "source"] == SOURCE).all()
    assert fitted.loc["p_event", ["distribution", "alpha", "beta", "se", "low", "high"]].tolist() == [
        "beta", "30.0", "90.0", "", "", ""]
    assert fitted.loc["p_event", "notes"] == "events / patients; n = 120"
    assert fitted.loc["hr_effect", ["description", "unit", "group"]].tolist() == [
        "Hazard ratio of the treatment", "HR", "effect"]


def test_the_fitted_table_loads_with_the_estimates_distributions(table_path, tmp_path):
    out = tmp_path / "fitted.csv"
    fitted_table(table_path, estimates(), SOURCE).to_csv(out, index=False)
    table = ParameterTable.load(out)
    expected = estimates()
    assert table.distribution_of("p_event") == Beta(30, 90)
    hr = table.distribution_of("hr_effect")
    assert isinstance(hr, LogNormal)
    assert hr.meanlog == pytest.approx(np.log(0.7)) and hr.sdlog == pytest.approx(0.15)
    stay = table.distribution_of("stay")
    assert isinstance(stay, Gamma) and stay.mean() == pytest.approx(12.5)
    assert stay.scipy.std() == pytest.approx(1.1)
    assert table.distribution_of("age") == Normal(expected["age"].value, expected["age"].se)
    assert table.distribution_of("age_sd") == Fixed(8.3)
    assert table["p_event"].value == pytest.approx(0.25) and table["p_event"].low < 0.25 < table["p_event"].high


def test_an_estimate_for_an_unknown_parameter_is_refused(table_path):
    with pytest.raises(ModelError, match="no parameter 'p_other'"):
        fitted_table(table_path, {"p_other": proportion(3, 10)}, SOURCE)


def test_the_report_and_the_files(table_path):
    report = fit_report("Trial → model", {"Data": "two files", "Estimates": pd.DataFrame({"x": [1.23456]})})
    assert report.startswith("# Trial → model\n\n## Data\n\ntwo files\n\n## Estimates\n\n```\n")
    assert "1.235" in report and report.endswith("```\n")
    fit = TrialFit(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), report, "ab")
    assert list(fit.tables()) == ["parameters", "estimates", "survival_models"]

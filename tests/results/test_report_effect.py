"""The report's lead on the effect and its sections (hecon.results.report_effect)."""

import re

import pandas as pd

from hecon.results.report_effect import _value


def section(page: str, anchor: str) -> str:
    return re.search(rf'<section id="{anchor}">(.*?)</section>', page, flags=re.S).group(1)


def test_the_report_leads_with_what_the_trial_must_show(quick_run):
    page = (quick_run / "report.html").read_text()
    lead = section(page, "results")
    thresholds = pd.read_csv(quick_run / "effect_threshold.csv")
    for row in thresholds.itertuples():
        assert (f"<strong>IFN-γ 1b is cost-effective at €{row.wtp:,.0f} per QALY if the trial shows a value below "
                f"{row.base_case:.3g} for the hazard ratio of a new secondary infection episode") in lead
        assert f"in {row.share_never:.0%} of draws no value from {row.low:.3g}" in lead
    assert lead.index("if the trial shows") < lead.index("Base case:")
    decisions = pd.read_csv(quick_run / "prior_decisions.csv").set_index("prior")
    assert f"evidence {decisions.loc['evidence', 'p_cost_effective_50000']:.0%}" in lead
    assert "PREV-HAP" in section(page, "priors") and 'id="figure-effect_threshold"' in page


def test_censored_thresholds_are_written_as_beyond_the_range():
    assert _value(float("-inf"), 0.45, 1.5) == "below 0.45"
    assert _value(float("inf"), 0.45, 1.5) == "above 1.5"
    assert _value(0.8123, 0.45, 1.5) == "0.812"

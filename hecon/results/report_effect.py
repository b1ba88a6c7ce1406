"""The report's parts about the treatment effect (:mod:`hecon.analysis.effect`): the lead
sentences "X is cost-effective at λ if the trial shows a value below θ*" and the decision under
each prior, and their sections in detail (``effect_threshold.csv``,
``effect_threshold_curve.csv``, ``prior_decisions.csv``, ``evidence_synthesis.csv``).

Each builder takes the report's :class:`~hecon.results.report.Results` and its table renderer
(``render(frame) -> html``), and returns "" when the run wrote no such table.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from hecon.results.labels import Number, amount, is_missing, number, with_interval


def _value(value: float, low: float, high: float) -> str:
    """A threshold of one draw or quantile: the value, or where it lies beyond the range."""
    if value == -np.inf:
        return f"below {number(low, 3)}"
    if value == np.inf:
        return f"above {number(high, 3)}"
    return number(value, 3)


def _name(results, parameter: str) -> str:
    text = results.labels.parameter(parameter)
    return text[:1].lower() + text[1:]


def effect_lead(results) -> str:
    """One sentence per report threshold: the value of the effect the trial must show, its
    interval over the PSA draws and the share of draws where no plausible value suffices; then
    the probability cost-effective under each prior."""
    table, labels = results.table("effect_threshold.csv"), results.labels
    items = []
    if table is not None:
        strategy = html.escape(labels.strategy(results.meta.get("strategy", "")))
        for row in table.itertuples():
            at = f"{html.escape(amount(row.wtp, labels.currency))} per {html.escape(labels.unit)}"
            name = html.escape(_name(results, row.parameter))
            if is_missing(row.base_case):
                head = f"At {at}, no value of the {name} from {number(row.low, 3)} to {number(row.high, 3)} changes the base-case decision"
            else:
                head = (f"<strong>{strategy} is cost-effective at {at} if the trial shows a value below "
                        f"{number(row.base_case, 3)} for the {name}</strong>")
            items.append(f"<li>{head} (base case). Over the {row.draws:,} PSA draws the threshold's median is "
                         f"{_value(row.median, row.low, row.high)} (95 % interval {_value(row.p2_5, row.low, row.high)} "
                         f"to {_value(row.p97_5, row.low, row.high)}); in {row.share_never:.0%} of draws no value "
                         f"from {number(row.low, 3)} to {number(row.high, 3)} makes it cost-effective.</li>")
    items += _prior_lead(results)
    return f"<ul class='lead'>{''.join(items)}</ul>" if items else ""


def _prior_lead(results) -> list[str]:
    """The probability cost-effective at the middle report threshold under each prior."""
    decisions, labels = results.table("prior_decisions.csv"), results.labels
    if decisions is None or decisions.empty:
        return []
    columns = [c for c in decisions.columns if c.startswith("p_cost_effective_")]
    column = columns[len(columns) // 2]
    wtp = float(column.removeprefix("p_cost_effective_"))
    shown = ", ".join(f"{html.escape(str(row.prior))} {getattr(row, column):.0%}" for row in decisions.itertuples())
    return [f"<li>Probability {html.escape(labels.strategy(decisions.strategy.iloc[0]))} is cost-effective at "
            f"{html.escape(amount(wtp, labels.currency))} per {html.escape(labels.unit)} under each prior of the "
            f"effect: {shown} (section “Decision under each prior of the effect”).</li>"]


def effect_threshold_section(results, render) -> str:
    """The thresholds by willingness to pay, then the probability cost-effective against the effect."""
    table, labels = results.table("effect_threshold.csv"), results.labels
    if table is None:
        return ""
    shown = pd.DataFrame({
        labels.heading("wtp"): table.wtp, "Parameter": table.parameter.map(labels.parameter),
        "Threshold, base case": table.base_case,
        "Threshold over the PSA draws: median (95 % interval)": [
            Number(f"{_value(r.median, r.low, r.high)} ({_value(r.p2_5, r.low, r.high)} to "
                   f"{_value(r.p97_5, r.low, r.high)})") for r in table.itertuples()],
        "Share of draws cost-effective at no value in the range": table.share_never,
        "Range searched": [Number(f"{number(r.low, 3)} to {number(r.high, 3)}") for r in table.itertuples()]})
    text = ("<p>The value of the effect at which the incremental net monetary benefit is zero: in the base case, "
            "and in each PSA draw with its other parameters held (grid over the range every prior finds plausible, "
            "the union of the priors' 95 % intervals, then interpolation; docs/priors.md).</p>")
    return text + render(shown) + results.figure("effect_threshold")


def priors_section(results, render) -> str:
    """The decision under each prior, then the evidence synthesis behind the evidence-based prior."""
    from hecon.results.report import QUADRANTS  # the report imports this module first

    decisions, labels = results.table("prior_decisions.csv"), results.labels
    if decisions is None:
        return ""
    shown = pd.DataFrame({
        "Prior": decisions.prior, "Definition": decisions.description,
        "Effect: median (95 % interval)": [with_interval(r.effect_median, r.effect_p2_5, r.effect_p97_5)
                                           for r in decisions.itertuples()] if "effect_median" in decisions else "",
        "Probability effect below 1": decisions.get("p_effect_below_1"),
        labels.heading("incremental_cost"): [with_interval(v, None, None, money=True) for v in decisions.incremental_cost],
        labels.heading("incremental_effect"): decisions.incremental_effect,
        labels.heading("icer"): decisions.icer, "Quadrant": decisions.status.map(lambda s: QUADRANTS.get(s, s))})
    for column in (c for c in decisions.columns if c.startswith("p_cost_effective_")):
        wtp = float(column.removeprefix("p_cost_effective_"))
        shown[f"Probability cost-effective at {amount(wtp, labels.currency)}"] = decisions[column]
    text = ("<p>Each prior replaces the effect's distribution; its PSA keeps the run's draws of every other "
            "parameter and re-draws the effect from the same random numbers (docs/priors.md).</p>")
    return text + render(shown) + _synthesis(results, render)


def _synthesis(results, render) -> str:
    synthesis = results.table("evidence_synthesis.csv")
    if synthesis is None:
        return ""
    studies, pooled = synthesis[synthesis.result == "study"], synthesis[synthesis.result != "study"]
    shown = pd.DataFrame({
        "Study": studies.study, "Measure": studies.measure,
        "Estimate (95 % CI)": [with_interval(r.estimate, r.ci_low, r.ci_high) for r in studies.itertuples()],
        "Endpoint": studies.endpoint, "Population": studies.population, "Intervention": studies.intervention,
        "Bias SD for indirectness (log scale)": studies.bias_sd, "Weight": studies.weight, "Source": studies.source})
    result = pd.DataFrame({
        "Pooled": pooled.study, "Median (95 % interval)": [with_interval(r.median, r.ci_low, r.ci_high)
                                                           for r in pooled.itertuples()],
        "Probability below 1": pooled.p_below_1, "Between-study variance": pooled.tau2})
    return ("<h3>Evidence synthesis behind the evidence-based prior</h3><p>Each study's log estimate is adjusted "
            "for its indirectness (Turner et al. 2009: its variance plus the bias variances of population, "
            "intervention and endpoint), then pooled by DerSimonian–Laird; the prior is the predictive "
            "distribution in a new setting.</p>" + render(shown) + render(result))

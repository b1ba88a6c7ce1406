"""The self-contained HTML report of a results folder (``hecon report DIR``; written by ``hecon run``).

The report leads with the results in plain words — the decision at each report threshold, the
base-case ICER with its 95 % interval from the PSA, the probability cost-effective and the
verification and validation checks that fail — then gives the methods (decision problem, model
structure, conventions), the detailed results (base case, PSA, value of information, one-way
analysis, scenarios, threshold price, every check), the parameter table as an appendix and the
CHEERS 2022 checklist last. Strategies, parameters and outcomes are shown by their labels, and
every column is headed in words with its unit (:mod:`hecon.results.labels`); the CSVs keep the code names.

**The ICER's 95 % interval.** The 2.5 % and 97.5 % quantiles of the incremental cost ΔC and of
the incremental effect ΔE over the PSA draws are always given. The interval of the ratio ΔC/ΔE
is given only when the interval of ΔE excludes 0; it is then the quantiles of ΔC/ΔE over the
draws on that side of 0 (at least 97.5 % of them), on which the ratio orders the draws by cost
per unit of effect. When the interval of ΔE includes 0 no interval of the ratio is meaningful:
near ΔE = 0 the ratio is unbounded, and it changes meaning with the sign of ΔE (a dearer, better
draw and a cheaper, worse one can have the same ratio), so the report says so and points to the
CEAC.

The report is rebuilt from the folder's files (CSV tables, ``manifest.json``), so it can be
regenerated at any time. It is one file that opens offline: plotly.js and the figures are
embedded compressed, and the page draws them (:mod:`hecon.results.page`).

Every value the page takes from the folder (table cells, manifest fields, names in figures) is
escaped: a folder edited by hand cannot put markup or script into the report.
"""

from __future__ import annotations

import html
import inspect
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hecon.analysis.result import merged_meta
from hecon.errors import InputError
from hecon.model import Model
from hecon.results.figures import FIGURES
from hecon.results.figures import figures_of as registry_figures
from hecon.results.labels import (
    Labels,
    Number,
    amount,
    is_number,
    labels_of,
    number,
    with_interval,
    words,
)
from hecon.results.page import figure_place, figure_scripts
from hecon.results.plots import diagram
from hecon.results.plots.style import house_template
from hecon.results.report_effect import effect_lead, effect_threshold_section, priors_section
from hecon.results.write import table_file

CHEERS_2022 = [
    (1, "Title", "header"), (2, "Abstract", "results"), (3, "Background and objectives", "decision-problem"),
    (4, "Health economic analysis plan", "not reported: no separate analysis plan; the analysis is defined by the model, its inputs and this run's options (manifest.json)"),
    (5, "Study population", "decision-problem"), (6, "Setting and location", "decision-problem"),
    (7, "Comparators", "decision-problem"), (8, "Perspective", "decision-problem"),
    (9, "Time horizon", "decision-problem"), (10, "Discount rate", "decision-problem"),
    (11, "Selection of outcomes", "base-case"), (12, "Measurement of outcomes", "parameters"),
    (13, "Valuation of outcomes", "parameters"), (14, "Measurement and valuation of resources and costs", "parameters"),
    (15, "Currency, price date, and conversion", "conventions"), (16, "Rationale and description of model", "model"),
    (17, "Analytics and assumptions", "model"), (18, "Characterizing heterogeneity", "scenarios"),
    (19, "Characterizing distributional effects", "not applicable: no distributional (equity) analysis was done"),
    (20, "Characterizing uncertainty", "psa"), (21, "Approach to engagement with patients and others affected by the study",
                                                 "not reported: no patient or public engagement in this model"),
    (22, "Study parameters", "parameters"), (23, "Summary of main results", "results"),
    (24, "Effect of uncertainty", "psa"), (25, "Effect of engagement with patients and others affected by the study",
                                           "not applicable: no engagement (item 21)"),
    (26, "Study findings, limitations, generalizability, and current knowledge", "checks"),
    (27, "Source of funding", "not reported: to be completed by the submitting organisation"),
    (28, "Conflicts of interest", "not reported: to be completed by the authors"),
]

#: wide tables fit the page: headings and text wrap, numbers do not; a table still too wide scrolls
STYLE = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em} h2{border-bottom:2px solid #4C78A8;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:1em 0;display:block;max-width:100%;overflow-x:auto;
  font-variant-numeric:tabular-nums}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right} th{background:#eef3f8;vertical-align:bottom}
th{min-width:6em;overflow-wrap:anywhere} td:not(.text){white-space:nowrap} td.text{min-width:8em;max-width:32em}
td.text,th.text{text-align:left} .pass{color:#1a7f37;font-weight:600} .fail{color:#b42318;font-weight:600}
nav a{margin-right:1em} .note{background:#f6f8fa;border-left:4px solid #4C78A8;padding:.5em 1em}
.lead li{margin:.4em 0} .part{color:#4C78A8;text-transform:uppercase;letter-spacing:.05em;margin-top:3em}
"""

#: the quadrant of an increment (``status`` of an ICER table), in words
QUADRANTS = {"NE: ICER": "costs more, more effective", "SW: ICER": "costs less, less effective",
             "dominant": "dominant: costs less, at least as effective",
             "dominated": "dominated: costs more, at most as effective", "no difference": "no difference"}
#: why a strategy in a quadrant without a meaningful ICER is, or is not, cost-effective
REASONS = {"dominant": "it costs less and is at least as effective (dominant)",
           "dominated": "it costs more and is at most as effective (dominated)",
           "no difference": "it has the same cost and effect"}
#: the status of a strategy in the full incremental analysis, in words
FRONTIER = {"ND": "on the frontier", "D": "dominated", "ED": "extendedly dominated"}


def recorded_meta(manifest: Mapping) -> dict:
    """The meta of every Result the manifest records, as one
    (:func:`~hecon.analysis.result.merged_meta`: labels united), with the parameters' labels
    the manifest writes once (:func:`hecon.results.write.recorded_results`)."""
    results = manifest.get("results")
    labels = manifest.get("parameter_labels")
    return merged_meta([*(recorded for recorded in (results.values() if isinstance(results, Mapping) else ())
                          if isinstance(recorded, Mapping)),
                        {"parameter_labels": labels} if isinstance(labels, Mapping) else {}])


# ---------------------------------------------------------------- the PSA's intervals


@dataclass(frozen=True)
class Increment:
    """A strategy's increments over the comparator across the PSA draws: the mean and 95 %
    interval of the incremental cost and effect, and the ICER's interval where one is
    meaningful (module docstring), else None."""

    draws: int
    cost: tuple[float, float, float]
    effect: tuple[float, float, float]
    icer: tuple[float, float] | None


def psa_increment(plane: pd.DataFrame, strategy: str, comparator: str) -> Increment:
    """The increments of ``strategy`` over ``comparator`` in the PSA draws of a CE plane table
    (``draw, strategy, cost, effect``); draws the model could not evaluate are left out."""
    wide = plane.pivot(index="draw", columns="strategy", values=["cost", "effect"])
    delta_cost = (wide["cost"][strategy] - wide["cost"][comparator]).to_numpy(dtype=float)
    delta_effect = (wide["effect"][strategy] - wide["effect"][comparator]).to_numpy(dtype=float)
    valid = np.isfinite(delta_cost) & np.isfinite(delta_effect)
    delta_cost, delta_effect = delta_cost[valid], delta_effect[valid]

    def summary(values: np.ndarray) -> tuple[float, float, float]:
        low, high = np.quantile(values, [0.025, 0.975])
        return float(values.mean()), float(low), float(high)

    cost, effect = summary(delta_cost), summary(delta_effect)
    icer = None
    if effect[1] > 0 or effect[2] < 0:
        side = delta_effect > 0 if effect[1] > 0 else delta_effect < 0
        icer = tuple(float(q) for q in np.quantile(delta_cost[side] / delta_effect[side], [0.025, 0.975]))
    return Increment(int(valid.sum()), cost, effect, icer)


# ---------------------------------------------------------------- the folder


def _shown(value, spec: str = "") -> str:
    """A value of the folder as HTML: a number in the format ``spec``, anything else as escaped text."""
    if is_number(value):
        return format(value, spec)
    return html.escape(str(value))


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    """The table ``name`` (``stem.csv``) of the folder, as the writer named it
    (:func:`hecon.results.write.table_file`), or None."""
    path = folder / table_file(name.removesuffix(".csv"))
    return pd.read_csv(path) if path.exists() else None


def state_diagram(model: Model, *, labels: Mapping[str, str] | None = None) -> go.Figure | None:
    """The model's states as boxes and its allowed transitions as arrows (``STATES``,
    ``EDGES`` and optional ``POSITIONS`` declared by the model), laid out so that no two boxes
    overlap (:func:`hecon.results.plots.diagram.state_diagram`); ``labels`` maps state names
    to labels."""
    if not model.states or not model.edges:
        return None
    return diagram.state_diagram(model.states, model.edges, model.positions or None, labels=labels)


def figures_of(folder: Path, model: Model, drawn: Mapping[str, go.Figure] | None = None) -> dict[str, go.Figure]:
    """Every figure of a results folder: the state diagram, then the figure registry's figures
    drawn from the folder's tables and the meta its manifest records — the same figures the
    commands draw from memory, which ``drawn`` gives when the writer has them already."""
    figures: dict[str, go.Figure] = {}
    with house_template():
        diagram_figure = state_diagram(model)
    if diagram_figure is not None:
        figures["state_diagram"] = diagram_figure
    if drawn is not None:
        return figures | dict(drawn)
    tables = {stem: table for stem in FIGURES if (table := _read(folder, f"{stem}.csv")) is not None}
    return figures | registry_figures(tables, recorded_meta(read_manifest(folder)))


def read_manifest(folder: Path) -> dict:
    """The ``manifest.json`` of a results folder: a JSON object naming the model."""
    path = folder / "manifest.json"
    if not path.is_file():
        raise InputError("not a results folder (no manifest.json)", file=folder,
                         fix="give a folder written by `hecon run`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"not valid JSON ({error})", file=path,
                         fix="rerun the analysis to write the folder again") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("model"), str):
        raise InputError("the manifest names no model", file=path,
                         fix="rerun the analysis to write the folder again")
    return manifest


class Results:
    """What the report reads: a results folder, its model, manifest, labels and figures; the
    figures a section places are embedded once, at the end of the page."""

    def __init__(self, folder: Path, model: Model, manifest: dict, figures: dict[str, go.Figure]):
        self.folder, self.model, self.manifest, self.figures = folder, model, manifest, figures
        options = manifest.get("options")
        self.options = options if isinstance(options, dict) else {}
        self.meta = recorded_meta(manifest)
        self.labels = labels_of(folder, model, self.meta)
        self.placed: dict[str, go.Figure] = {}

    def table(self, name: str) -> pd.DataFrame | None:
        """A CSV table of the folder, or None when the run did not write it."""
        return _read(self.folder, name)

    def figure(self, *stems: str) -> str:
        """The places of the figures present among ``stems``; they are drawn when the page has
        decompressed plotly.js (:mod:`hecon.results.page`)."""
        present = [stem for stem in stems if stem in self.figures]
        self.placed.update({stem: self.figures[stem] for stem in present})
        return "".join(figure_place(stem) for stem in present)

    @property
    def report_wtp(self) -> list[float]:
        """The report thresholds the run recorded."""
        values = self.meta.get("report_wtp") or self.options.get("report_wtp") or []
        return [float(v) for v in values if is_number(v)] if isinstance(values, list) else []

    def main_icers(self) -> pd.DataFrame | None:
        """The base-case ICERs of the main effect (the first of ``icers.csv``)."""
        icers = self.table("icers.csv")
        return None if icers is None or icers.empty else icers[icers.effect == icers.effect.iloc[0]]

    def draws(self) -> pd.DataFrame | None:
        """Each PSA draw's cost and effect per strategy (``ce_plane.csv.gz``)."""
        plane = self.table("ce_plane.csv")
        return None if plane is None or plane.empty else plane


# ---------------------------------------------------------------- HTML


def _table(frame: pd.DataFrame, digits: int = 4) -> str:
    """An HTML table: numbers right-aligned and rounded, text left-aligned, everything escaped."""
    head = "".join(f'<th class="text">{html.escape(str(c)).replace("_", "_<wbr>")}</th>' for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for value in row:
            if isinstance(value, bool | np.bool_):
                cells.append(f'<td class="{"pass" if value else "fail"}">{"yes" if value else "no"}</td>')
            elif isinstance(value, Number) or is_number(value):
                cells.append(f"<td>{html.escape(value if isinstance(value, Number) else number(value, digits))}</td>")
            else:
                cells.append(f'<td class="text">{html.escape(number(value))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _whole(values) -> list[Number]:
    """Money in whole units, as table cells."""
    return [with_interval(value, None, None, money=True) for value in values]


def build_report(folder: str | Path, drawn: Mapping[str, go.Figure] | None = None) -> Path:
    """Write ``report.html`` into a results folder from its files; return its path. ``drawn``:
    the registry's figures of the folder's tables, when its writer drew them already
    (:func:`hecon.results.write.write` passes them to its ``finish``)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    model = Model(manifest["model"])
    results = Results(folder, model, manifest, figures_of(folder, model, drawn))
    sections = _sections(results)
    nav = " ".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title, _ in sections)
    body, part = "", None
    for key, title, content in sections:
        if PARTS.get(key) != part:
            part = PARTS.get(key)
            body += f"<h2 class='part'>{part}</h2>" if part else ""
        body += f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>'

    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(model.title)}</title>"
            f"<style>{STYLE}</style></head><body>"
            f"<header id='header'><h1>{html.escape(model.title)}</h1><p>hecon {_shown(manifest.get('hecon_version'))}, "
            f"model <code>{html.escape(model.name)}</code>, run {_shown(manifest.get('created_utc'))} UTC, seed "
            f"{_shown(manifest.get('seed'))}.</p><nav>{nav}</nav></header>{body}{figure_scripts(results.placed)}</body></html>")
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _sections(results: Results) -> list[tuple[str, str, str]]:
    """The report's sections in order, as (anchor, title, HTML); a section whose files are
    absent from the folder is left out."""
    sections = [(key, title, build(results)) for key, title, build in SECTIONS]
    sections = [(key, title, content) for key, title, content in sections if content]
    titles = {"header": "Header", **{key: title for key, title, _ in sections}}
    return [*sections, ("cheers", "CHEERS 2022 checklist", _cheers(titles))]


# ---------------------------------------------------------------- (a) the results, in plain words


def _results(results: Results) -> str:
    """What the trial must show (the threshold of the effect) and the decision under each prior,
    the decision at each report threshold, the ICER with its interval, the failing checks."""
    return effect_lead(results) + _decisions(results) + _icer_paragraphs(results) + _failing_checks(results)


def _decisions(results: Results) -> str:
    icers, ceac = results.main_icers(), results.table("ceac.csv")
    if icers is None:
        return ""
    items = "".join(f"<li>{_decision(results, wtp, icers, ceac)}</li>" for wtp in results.report_wtp)
    return f"<ul class='lead'>{items}</ul>" if items else ""


def _decision(results: Results, wtp: float, icers: pd.DataFrame, ceac: pd.DataFrame | None) -> str:
    """One sentence: which strategy is cost-effective at ``wtp`` — the highest net monetary
    benefit of the base case, ``λ·ΔE − ΔC`` against the comparator — why, and how likely (CEAC)."""
    labels = results.labels
    benefit = {labels.comparator: 0.0} | {
        row.strategy: wtp * row.incremental_effect - row.incremental_cost for row in icers.itertuples()}
    best = max(benefit, key=benefit.get)
    at = f"At {html.escape(amount(wtp, labels.currency))} per {html.escape(labels.unit)}"
    if len(icers) == 1:
        row = icers.iloc[0]
        subject = row.strategy
        verdict = "is cost-effective" if best == subject else "is not cost-effective"
        text = (f"{at}, <strong>{html.escape(labels.strategy(subject))} {verdict}</strong> against "
                f"{html.escape(labels.strategy(row.comparator))}: {_reason(row, wtp, labels)}.")
    else:
        subject = best
        text = (f"{at}, <strong>{html.escape(labels.strategy(best))} is the cost-effective strategy</strong>: "
                "it has the highest net monetary benefit.")
    if ceac is not None:
        chance = ceac.probability[np.isclose(ceac.wtp, wtp) & (ceac.strategy == subject)]
        if len(chance):
            text += (f" Probability {html.escape(labels.strategy(subject))} is cost-effective: "
                     f"{_shown(chance.iloc[0], '.0%')}.")
    return text


def _reason(row, wtp: float, labels: Labels) -> str:
    """Why a strategy is or is not cost-effective at ``wtp``, from its quadrant."""
    icer, threshold = html.escape(amount(row.icer, labels.currency)), html.escape(amount(wtp, labels.currency))
    above = np.sign(row.icer - wtp) if row.status in ("NE: ICER", "SW: ICER") else 0
    if row.status == "NE: ICER":
        side = {-1: "below", 0: "equal to", 1: "above"}[above]
        return f"its ICER, {icer} per {html.escape(str(row.per))}, is {side} {threshold}"
    if row.status == "SW: ICER":
        side = {-1: "less than", 0: "as much as", 1: "more than"}[above]
        return f"it saves {icer} per {html.escape(str(row.unit))} forgone, {side} {threshold}"
    return html.escape(REASONS.get(row.status, str(row.status)))


def _icer_paragraphs(results: Results) -> str:
    """The base-case ICER of each strategy with its interval from the PSA (module docstring)."""
    icers, plane, labels = results.main_icers(), results.draws(), results.labels
    if icers is None:
        return ""
    paragraphs = []
    for row in icers.itertuples():
        name, versus = html.escape(labels.strategy(row.strategy)), html.escape(labels.strategy(row.comparator))
        text = f"Base case: against {versus}, {name} {_increments(row, labels)}; {_icer_words(row, labels)}"
        if plane is not None and {row.strategy, row.comparator} <= set(plane.strategy):
            text += _psa_words(psa_increment(plane, row.strategy, row.comparator), labels)
        else:
            text += "."
        paragraphs.append(text)
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _psa_words(psa: Increment, labels: Labels) -> str:
    """The ICER's interval, or why there is none, then the increments' intervals."""
    def money(value: float) -> str:
        return html.escape(amount(value, labels.currency))

    def effect(value: float) -> str:
        return html.escape(number(value, 3))

    if psa.icer is not None:
        text = f" (95 % interval {money(psa.icer[0])} to {money(psa.icer[1])} per {html.escape(labels.unit)})."
    else:
        text = (". No 95 % interval of the ICER is given: the interval of the incremental effect includes 0, "
                "where the ratio of cost to effect is unbounded and changes meaning with the sign of the "
                "effect (see Conventions); the probability cost-effective above shows the uncertainty.")
    return text + (f" Over the {psa.draws:,} PSA draws the incremental cost is {money(psa.cost[0])} (95 % "
                   f"interval {money(psa.cost[1])} to {money(psa.cost[2])}) and the incremental effect "
                   f"{effect(psa.effect[0])} {html.escape(labels.unit)} (95 % interval {effect(psa.effect[1])} "
                   f"to {effect(psa.effect[2])}).")


def _increments(row, labels: Labels) -> str:
    """``costs €898 more and gains 0.0142 QALY``."""
    cost = ("costs the same" if row.incremental_cost == 0 else
            f"costs {html.escape(amount(abs(row.incremental_cost), labels.currency))} "
            f"{'more' if row.incremental_cost > 0 else 'less'}")
    effect = ("has the same effect" if row.incremental_effect == 0 else
              f"{'gains' if row.incremental_effect > 0 else 'loses'} {number(abs(row.incremental_effect), 3)} "
              f"{html.escape(str(row.unit))}")
    return f"{cost} and {effect}"


def _icer_words(row, labels: Labels) -> str:
    """``ICER €63,115 per QALY gained``, or the quadrant in words where there is no ICER."""
    money = html.escape(amount(row.icer, labels.currency))
    if row.status == "NE: ICER":
        return f"ICER {money} per {html.escape(str(row.per))}"
    if row.status == "SW: ICER":
        return f"ICER {money} saved per {html.escape(str(row.unit))} forgone"
    return html.escape(QUADRANTS.get(row.status, str(row.status)))


def _failing_checks(results: Results) -> str:
    """The verification and validation checks that fail: model value against the target range."""
    checks = results.table("checks.csv")
    if checks is None or checks.empty:
        return ""
    failing = checks[checks.passed.astype(str).str.lower() != "true"]
    if failing.empty:
        return f"<p>All {len(checks)} verification and validation checks pass.</p>"
    items = "".join(
        f"<li>{html.escape(str(c.check))}: model {html.escape(number(c.model, 3))}, target "
        f"{html.escape(number(c.target, 3))} (range {html.escape(number(c.low, 3))} to "
        f"{html.escape(number(c.high, 3))}); {html.escape(str(c.source))}</li>" for c in failing.itertuples())
    return (f"<p><strong>{len(failing)} of {len(checks)} verification and validation checks fail</strong> "
            f"(model value outside the target range):</p><ul>{items}</ul>")


# ---------------------------------------------------------------- (b) methods


def _rate(value) -> str:
    """A rate per year as a percentage: ``2.5 %``."""
    return f"{value * 100:g} %" if is_number(value) else str(value)


def _discounting(options: Mapping) -> str | None:
    """``2.5 % (costs), 2.5 % (effects), then 1.5 % after 30 years``; None for a model without
    these options."""
    if "discount_rate_costs" not in options:
        return None
    text = (f"{_rate(options['discount_rate_costs'])} (costs), "
            f"{_rate(options.get('discount_rate_effects', '—'))} (effects)")
    if "discount_rate_after_switch" in options:
        text += (f", then {_rate(options['discount_rate_after_switch'])} after "
                 f"{number(options.get('discount_switch_years', '—'))} years")
    return text


def _decision_problem(results: Results) -> str:
    options, model, labels = results.options, results.model, results.labels
    horizon = options.get("horizon_years")
    settings = {
        "Strategies": "; ".join(labels.strategy(s) for s in model.strategies),
        "Comparator": labels.strategy(model.comparator),
        "Perspective": words(options["perspective"]) if "perspective" in options else None,
        "Time horizon": "lifetime" if horizon is None else f"{horizon} years",
        "Discount rate per year": _discounting(options),
        "Price year": options.get("price_year"),
        "Within-cycle correction": words(options["correction"]) if "correction" in options else None}
    settings = pd.DataFrame([(setting, str(value)) for setting, value in settings.items() if value is not None],
                            columns=["Setting", "Value"])
    timings = results.manifest.get("timings_seconds")
    run_time = ("<p>Run time: " + ", ".join(f"{_shown(k)} {_shown(v, '.1f')} s" for k, v in timings.items())
                + ".</p>") if isinstance(timings, dict) and timings else ""
    return f"<p>{html.escape(model.decision_problem)}</p>" + _table(settings) + run_time


def _structure(results: Results) -> str:
    """The model module's docstring and its state diagram."""
    return _docstring_html(results.model.module.__doc__ or "") + results.figure("state_diagram")


#: the reStructuredText inline markup of model docstrings, as HTML
INLINE_MARKUP = [(r":\w+:`([^`]+)`", r"<code>\1</code>"), (r"``([^`]+)``", r"<code>\1</code>"),
                 (r"\*\*([^*]+)\*\*", r"<strong>\1</strong>"), (r"\*([^*]+)\*", r"<em>\1</em>")]


def _inline(text: str) -> str:
    text = html.escape(text, quote=False)
    for pattern, replacement in INLINE_MARKUP:
        text = re.sub(pattern, replacement, text)
    return text


def _docstring_html(doc: str) -> str:
    """Paragraphs and numbered lists of a docstring as HTML, with its inline markup."""
    parts = []
    for paragraph in inspect.cleandoc(doc).split("\n\n"):
        items = re.split(r"(?m)^\d+\.\s+", paragraph)
        text = [_inline(" ".join(item.split())) for item in items]
        if len(items) > 1:
            parts.append((f"<p>{text[0]}</p>" if text[0] else "")
                         + "<ol>" + "".join(f"<li>{item}</li>" for item in text[1:]) + "</ol>")
        else:
            parts.append(f"<p>{text[0]}</p>")
    return "".join(parts)


def _conventions(results: Results) -> str:
    """How to read the numbers: units, differences, the decision rule and the intervals."""
    labels, year = results.labels, results.options.get("price_year")
    currency, unit = html.escape(labels.currency), html.escape(labels.unit)
    rules = [
        f"Costs are per patient in {currency}" + (f" of {_shown(year)}" if year is not None else "")
        + f", effects per patient in {unit}; both discounted as the decision problem states.",
        "A difference (an increment) is a strategy minus the comparator, "
        f"{html.escape(labels.strategy(labels.comparator))}.",
        "A strategy is cost-effective at a willingness to pay λ when its net monetary benefit λ·ΔE − ΔC is "
        "the highest of all strategies; against one comparator, when λ·ΔE − ΔC > 0: it costs more and its "
        "ICER is below λ, or it costs less and saves more than λ per unit of effect forgone.",
        "The probability cost-effective is the share of PSA draws in which the strategy has the highest net "
        "monetary benefit (the CEAC).",
        "A 95 % interval is the 2.5 % and 97.5 % quantiles of the PSA draws. The ICER's interval is given only "
        "when the incremental effect's interval excludes 0, as the quantiles of ΔC/ΔE over the draws on that "
        "side of 0; when it includes 0, the ratio is unbounded near ΔE = 0 and means opposite things on either "
        "side (a dearer, better draw and a cheaper, worse one can share a ratio), so no interval is meaningful.",
    ]
    return "<ul>" + "".join(f"<li>{rule}</li>" for rule in rules) + "</ul>"


# ---------------------------------------------------------------- (c) results in detail


def _base_case(results: Results) -> str:
    cc, labels = results.table("cost_consequence.csv"), results.labels
    if cc is None:
        return ""
    strategies = [s for s in results.model.strategies if s in cc.columns]
    versus = labels.strategy(labels.comparator)
    content = ""
    for kind, title in (("cost", f"Costs per patient ({labels.currency})"), ("consequence", "Consequences per patient")):
        rows, money = cc[cc.kind == kind], kind == "cost"
        shown = pd.DataFrame({"Outcome": rows.label})
        for s in strategies:
            shown[labels.strategy(s)] = _whole(rows[s]) if money else rows[s]
        for s in strategies:
            if f"difference_{s}" in rows:
                interval = f"difference_{s}_low" in rows and f"difference_{s}_high" in rows
                low, high = (rows.get(f"difference_{s}_{end}", [None] * len(rows)) for end in ("low", "high"))
                heading = f"Difference, {labels.strategy(s)} vs {versus}" + (" (95 % interval)" if interval else "")
                shown[heading] = [with_interval(v, lo, hi, money=money)
                                  for v, lo, hi in zip(rows[f"difference_{s}"], low, high, strict=True)]
        if not rows.empty:
            content += f"<h3>{html.escape(title)}</h3>" + _table(shown)
    return content + _icer_table(results)


def _icer_table(results: Results) -> str:
    icers, labels = results.table("icers.csv"), results.labels
    if icers is None:
        return ""
    currency = labels.currency
    shown = pd.DataFrame({
        "Effect measure": icers.per, "Strategy": icers.strategy.map(labels.strategy),
        "Comparator": icers.comparator.map(labels.strategy), f"Incremental cost ({currency})": _whole(icers.incremental_cost),
        "Incremental effect (unit of the measure)": icers.incremental_effect,
        f"ICER ({currency} per unit of the measure)": icers.icer,
        "Quadrant": icers.status.map(lambda s: QUADRANTS.get(s, s))})
    if icers.strategy.nunique() > 1:
        shown["Frontier status"] = icers.frontier_status.map(lambda s: FRONTIER.get(s, s))
    return "<h3>ICERs against the comparator</h3>" + _table(shown)


def _psa(results: Results) -> str:
    figures = results.figure("ce_plane", "ceac", "expected_loss")
    if not figures:
        return ""
    plane = results.draws()
    draws = plane.draw.nunique() if plane is not None else results.options.get("n", "")
    note = (f"<p class='note'>{_shown(draws, ',')} draws; {_shown(results.manifest.get('invalid_draws', 0))} could "
            "not be evaluated and were excluded (invalid_draws.csv).</p>")
    summary, labels = results.table("psa_summary.csv"), results.labels
    if summary is not None:
        main = summary[summary.outcome.isin(["total_cost", results.model.effects[0].outcome])]
        shown = pd.DataFrame({
            "Outcome": main.label, "Strategy or difference": main.strategy_or_increment.map(labels.strategy),
            "Mean (95 % interval)": [with_interval(m, lo, hi, money=o == "total_cost") for o, m, lo, hi
                                     in zip(main.outcome, main["mean"], main.p2_5, main.p97_5, strict=True)]})
        figures += "<h3>PSA summary: mean and 95 % interval</h3>" + _table(shown)
    return note + figures


def _scenarios(results: Results) -> str:
    scenarios, labels = results.table("scenarios.csv"), results.labels
    if scenarios is None:
        return ""
    rows = scenarios.dropna(subset=["status"])
    named = rows.description.fillna(rows.scenario) if "description" in rows else rows.scenario
    shown = pd.DataFrame({"Scenario": named, "Strategy": rows.strategy.map(labels.strategy)})
    shown[labels.heading("incremental_cost")] = _whole(rows.incremental_cost)
    for column in ("incremental_effect", "icer"):
        shown[labels.heading(column)] = rows[column]
    shown["Quadrant"] = rows.status.map(lambda s: QUADRANTS.get(s, s))
    for column in (c for c in rows.columns if c.startswith("inmb_")):
        shown[labels.heading(column)] = _whole(rows[column])
    return _table(shown)


def _threshold(results: Results) -> str:
    threshold, labels = results.table("threshold.csv"), results.labels
    if threshold is None:
        return ""
    shown = pd.DataFrame({labels.heading("wtp"): threshold.wtp, "Parameter": threshold.parameter.map(labels.parameter),
                          labels.heading("threshold"): threshold.threshold, "Note": threshold.reason})
    return _table(shown) + results.figure("threshold")


def _checks(results: Results) -> str:
    checks = results.table("checks.csv")
    if checks is None:
        return ""
    shown = pd.DataFrame({"Check": checks.check, "Kind": checks.kind, "Model value": checks.model,
                          "Target": checks.target,
                          "Target range": [Number(f"{number(lo)} to {number(hi)}") for lo, hi
                                           in zip(checks.low, checks.high, strict=True)],
                          "Passed": checks.passed, "Source": checks.source})
    return _table(shown)


# ---------------------------------------------------------------- appendix and checklist


def _parameters(results: Results) -> str:
    parameters = results.table("parameters.csv")
    if parameters is None:
        return ""
    shown = pd.DataFrame({"Parameter": parameters.name.map(results.labels.parameter)})
    if "description" in parameters:  # where it says more than the label
        shown["Description"] = parameters.description.where(parameters.description != shown.Parameter, "")
    for column, heading in (("value", "Value"), ("unit", "Unit"), ("uncertainty", "Distribution")):
        if column in parameters:
            shown[heading] = parameters[column]
    if {"low", "high"} <= set(parameters.columns):
        shown["One-way range"] = [Number(f"{number(lo)} to {number(hi)}") if pd.notna(lo) else Number("")
                                  for lo, hi in zip(parameters.low, parameters.high, strict=True)]
    for column, heading in (("status", "Evidence status"), ("source", "Source")):
        if column in parameters:
            shown[heading] = parameters[column]
    return _table(shown)


def _cheers(titles: Mapping[str, str]) -> str:
    """Each CHEERS 2022 item and the section that answers it, or the plain reason it is not."""
    def answer(where: str) -> str:
        if " " in where:
            return where
        return f"section “{titles[where]}”" if where in titles else "not reported: this run has no such results"

    rows = [(item_number, item, answer(where)) for item_number, item, where in CHEERS_2022]
    return _table(pd.DataFrame(rows, columns=["Item", "CHEERS 2022", "Where it is answered"]))


#: (anchor, title, builder) of each section, in the order of the report (the CHEERS map follows)
SECTIONS = [
    ("results", "Results", _results),
    ("decision-problem", "Decision problem", _decision_problem),
    ("model", "Model structure", _structure),
    ("conventions", "Conventions", _conventions),
    ("base-case", "Base case", _base_case),
    ("psa", "Probabilistic analysis", _psa),
    ("voi", "Value of information", lambda results: results.figure("evpi", "evppi")),
    ("effect-threshold", "What the trial must show: the threshold of the effect",
     lambda results: effect_threshold_section(results, _table)),
    ("priors", "Decision under each prior of the effect", lambda results: priors_section(results, _table)),
    ("dsa", "One-way sensitivity (tornado)", lambda results: results.figure("tornado")),
    ("scenarios", "Scenarios", _scenarios),
    ("threshold", "Threshold price", _threshold),
    ("checks", "Verification and validation (TECH-VER)", _checks),
    ("parameters", "Appendix: parameters and sources", _parameters),
]
#: section → the part of the report it belongs to (the results lead and the checklist stand alone)
PARTS = {**dict.fromkeys(("decision-problem", "model", "conventions"), "Methods"),
         **dict.fromkeys(("base-case", "psa", "voi", "effect-threshold", "priors", "dsa", "scenarios", "threshold",
                          "checks"), "Results in detail"),
         "parameters": "Appendix"}

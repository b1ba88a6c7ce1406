"""The self-contained HTML report of a results folder (``hecon report DIR``; written by ``hecon run``).

The report is rebuilt from the folder's files (CSV tables, ``psa.csv.gz``, ``manifest.json``),
so it can be regenerated at any time. plotly.js is embedded once in the page head; the page
makes no external request and opens offline.

Every value the page takes from the folder (table cells, manifest fields, names in figures) is
escaped: a folder edited by hand cannot put markup or script into the report.
"""

from __future__ import annotations

import html
import inspect
import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from hecon.errors import InputError
from hecon.model import Model
from hecon.results.figures import FIGURES
from hecon.results.figures import figures_of as registry_figures
from hecon.results.plots import diagram
from hecon.results.plots.io import for_display

CHEERS_2022 = [
    (1, "Title", "header"), (2, "Abstract", "summary"), (3, "Background and objectives", "decision-problem"),
    (4, "Health economic analysis plan", "not reported: no separate analysis plan; the analysis is defined by the model, its inputs and this run's options (manifest.json)"),
    (5, "Study population", "decision-problem"), (6, "Setting and location", "decision-problem"),
    (7, "Comparators", "decision-problem"), (8, "Perspective", "decision-problem"),
    (9, "Time horizon", "decision-problem"), (10, "Discount rate", "decision-problem"),
    (11, "Selection of outcomes", "base-case"), (12, "Measurement of outcomes", "parameters"),
    (13, "Valuation of outcomes", "parameters"), (14, "Measurement and valuation of resources and costs", "parameters"),
    (15, "Currency, price date, and conversion", "decision-problem"), (16, "Rationale and description of model", "model"),
    (17, "Analytics and assumptions", "model"), (18, "Characterizing heterogeneity", "scenarios"),
    (19, "Characterizing distributional effects", "not applicable: no distributional (equity) analysis was done"),
    (20, "Characterizing uncertainty", "psa"), (21, "Approach to engagement with patients and others affected by the study",
                                                 "not reported: no patient or public engagement in this model"),
    (22, "Study parameters", "parameters"), (23, "Summary of main results", "base-case"),
    (24, "Effect of uncertainty", "psa"), (25, "Effect of engagement with patients and others affected by the study",
                                           "not applicable: no engagement (item 21)"),
    (26, "Study findings, limitations, generalizability, and current knowledge", "checks"),
    (27, "Source of funding", "not reported: to be completed by the submitting organisation"),
    (28, "Conflicts of interest", "not reported: to be completed by the authors"),
]

STYLE = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em} h2{border-bottom:2px solid #4C78A8;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:1em 0;display:block;max-width:100%;overflow-x:auto;
  font-variant-numeric:tabular-nums}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right} th{background:#eef3f8;vertical-align:bottom}
td:not(.text){white-space:nowrap}
td.text,th.text{text-align:left} .pass{color:#1a7f37;font-weight:600} .fail{color:#b42318;font-weight:600}
nav a{margin-right:1em} .note{background:#f6f8fa;border-left:4px solid #4C78A8;padding:.5em 1em}
"""


def _shown(value, spec: str = "") -> str:
    """A value of the folder as HTML: a number in the format ``spec``, anything else as escaped text."""
    if isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_):
        return format(value, spec)
    return html.escape(str(value))


def _table(frame: pd.DataFrame, digits: int = 4) -> str:
    """An HTML table: numbers right-aligned and rounded, text left-aligned."""
    head = "".join(f'<th class="text">{html.escape(str(c)).replace("_", "_<wbr>")}</th>' for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for value in row:
            if isinstance(value, bool | np.bool_):
                cells.append(f'<td class="{"pass" if value else "fail"}">{"yes" if value else "no"}</td>')
            elif isinstance(value, int | float | np.number) and not isinstance(value, bool):
                text = "" if pd.isna(value) else (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}g}")
                cells.append(f"<td>{text}</td>")
            else:
                missing = pd.api.types.is_scalar(value) and pd.isna(value)
                cells.append(f'<td class="text">{html.escape("" if missing else str(value))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure(figure: go.Figure) -> str:
    return for_display(figure).to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def state_diagram(model: Model, *, labels: Mapping[str, str] | None = None) -> go.Figure | None:
    """The model's states as boxes and its allowed transitions as arrows (``STATES``,
    ``EDGES`` and optional ``POSITIONS`` declared by the model), laid out so that no two boxes
    overlap (:func:`hecon.results.plots.diagram.state_diagram`); ``labels`` maps state names
    to labels."""
    if not model.states or not model.edges:
        return None
    return diagram.state_diagram(model.states, model.edges, model.positions or None, labels=labels)


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / name
    return pd.read_csv(path) if path.exists() else None


def figures_of(folder: Path, model: Model) -> dict[str, go.Figure]:
    """Every figure of a results folder: the state diagram, then the figure registry's figures
    drawn from the folder's tables and the meta its manifest records — the same figures the
    commands draw from memory."""
    figures: dict[str, go.Figure] = {}
    diagram = state_diagram(model)
    if diagram is not None:
        figures["state_diagram"] = diagram
    tables = {stem: table for stem in FIGURES if (table := _read(folder, f"{stem}.csv")) is not None}
    meta: dict = {}
    for recorded in read_manifest(folder).get("results", {}).values():
        if isinstance(recorded, dict):
            meta.update(recorded)
    return figures | registry_figures(tables, meta)


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


def build_report(folder: str | Path) -> Path:
    """Write ``report.html`` into a results folder from its files; return its path."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    model = Model(manifest["model"])
    figures = figures_of(folder, model)
    sections = _sections(folder, model, manifest, figures)
    nav = " ".join(f'<a href="#{key}">{html.escape(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>' for key, title, content in sections)
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(model.title)}</title>"
            f"<style>{STYLE}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
            f"<header id='header'><h1>{html.escape(model.title)}</h1><p>hecon {_shown(manifest.get('hecon_version'))}, "
            f"model <code>{html.escape(model.name)}</code>, run {_shown(manifest.get('created_utc'))} UTC, seed "
            f"{_shown(manifest.get('seed'))}.</p><nav>{nav}</nav></header>{body}</body></html>")
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


class Results:
    """What the report reads: a results folder, its model, manifest and figures."""

    def __init__(self, folder: Path, model: Model, manifest: dict, figures: dict[str, go.Figure]):
        self.folder, self.model, self.manifest, self.figures = folder, model, manifest, figures
        self.options = manifest.get("options", {})

    def table(self, name: str) -> pd.DataFrame | None:
        """A CSV table of the folder, or None when the run did not write it."""
        return _read(self.folder, name)

    def figure(self, *stems: str) -> str:
        """The HTML of the figures present among ``stems`` (plotly.js not included)."""
        return "".join(_figure(self.figures[stem]) for stem in stems if stem in self.figures)


def _sections(folder: Path, model: Model, manifest: dict, figures: dict) -> list[tuple[str, str, str]]:
    """The report's sections in order, as (anchor, title, HTML); a section whose files are
    absent from the folder is left out."""
    results = Results(folder, model, manifest, figures)
    sections = [(key, title, build(results)) for key, title, build in SECTIONS]
    sections = [(key, title, content) for key, title, content in sections if content]
    present = {"header", *(key for key, _, _ in sections)}
    return [*sections, ("cheers", "CHEERS 2022 checklist", _cheers(present))]


def _summary(results: Results) -> str:
    parts = []
    icers, ceac = results.table("icers.csv"), results.table("ceac.csv")
    if icers is not None:
        main = icers.iloc[0]
        per = _shown(main["per"])
        parts.append(f"Base case: {_shown(main['strategy'])} vs {_shown(main['comparator'])}: "
                     f"incremental cost €{_shown(main['incremental_cost'], ',.0f')}, incremental effect "
                     f"{_shown(main['incremental_effect'], '.4f')} ({per}); {_shown(main['status'])}"
                     + (f", ICER €{_shown(main['icer'], ',.0f')} per {per}." if pd.notna(main["icer"]) else "."))
    if ceac is not None:
        rows = ceac[ceac.wtp.isin(results.options.get("report_wtp", [])) & ceac.strategy.ne(results.model.comparator)]
        parts += [f"Probability {_shown(r.strategy)} is cost-effective at €{_shown(r.wtp, ',.0f')}/QALY: "
                  f"{_shown(r.probability, '.0%')}." for r in rows.itertuples()]
    timings = results.manifest.get("timings_seconds")
    if timings:
        parts.append("Run time: " + ", ".join(f"{_shown(k)} {_shown(v, '.1f')} s" for k, v in timings.items()) + ".")
    return "".join(f"<p>{p}</p>" for p in parts)


def _decision_problem(results: Results) -> str:
    options, model = results.options, results.model
    horizon = options.get("horizon_years")
    settings = pd.DataFrame({
        "setting": ["strategies", "comparator", "perspective", "horizon", "discount rate (costs, effects)",
                    "price year", "within-cycle correction"],
        "value": [", ".join(model.strategies), model.comparator, options.get("perspective", "—"),
                  "lifetime" if horizon is None else f"{horizon} years after day 90",
                  f"{options.get('discount_rate_costs', '—')}, {options.get('discount_rate_effects', '—')} "
                  f"(then {options.get('discount_rate_after_switch', '—')} after "
                  f"{options.get('discount_switch_years', '—')} years)",
                  str(options.get("price_year", "—")), options.get("correction", "—")]})
    problem = model.decision_problem
    return f"<p>{html.escape(problem)}</p>" + _table(settings)


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


def _parameters(results: Results) -> str:
    parameters = results.table("parameters.csv")
    if parameters is None:
        return ""
    columns = [c for c in ("name", "description", "value", "unit", "uncertainty", "low", "high", "status", "source")
               if c in parameters]
    return _table(parameters[columns])


def _base_case(results: Results) -> str:
    cc, icers = results.table("cost_consequence.csv"), results.table("icers.csv")
    if cc is None:
        return ""
    content = "<h3>Cost-consequence table (costs in €)</h3>" + _table(cc.drop(columns=["outcome"], errors="ignore"))
    return content + ("<h3>ICERs</h3>" + _table(icers) if icers is not None else "")


def _psa(results: Results) -> str:
    figures = results.figure("ce_plane", "ceac", "expected_loss")
    if not figures:
        return ""
    note = (f"<p class='note'>{_shown(results.options.get('n', ''))} draws; "
            f"{_shown(results.manifest.get('invalid_draws', 0))} could not be "
            "evaluated and were excluded (invalid_draws.csv).</p>")
    summary = results.table("psa_summary.csv")
    if summary is not None:
        main = summary[summary.outcome.isin(["total_cost", results.model.effects[0].outcome])]
        figures += "<h3>PSA summary (mean and 95 % interval)</h3>" + _table(main)
    return note + figures


def _scenarios(results: Results) -> str:
    scenarios = results.table("scenarios.csv")
    if scenarios is None:
        return ""
    return _table(scenarios.dropna(subset=["status"]).drop(columns=["description"], errors="ignore"))


def _threshold(results: Results) -> str:
    threshold = results.table("threshold.csv")
    return "" if threshold is None else _table(threshold) + results.figure("threshold")


def _checks(results: Results) -> str:
    checks = results.table("checks.csv")
    return "" if checks is None else _table(checks)


def _cheers(present: set[str]) -> str:
    """Each CHEERS 2022 item and the section that answers it, or the plain reason it is not."""
    def answer(where: str) -> str:
        if " " in where:
            return where
        return f"section '{where}'" if where in present else "not reported: this run has no such results"

    rows = [(number, item, answer(where)) for number, item, where in CHEERS_2022]
    return _table(pd.DataFrame(rows, columns=["item", "CHEERS 2022", "where it is answered"]))


#: (anchor, title, builder) of each section, in the order of the report (the CHEERS map follows)
SECTIONS = [
    ("summary", "Summary", _summary),
    ("decision-problem", "Decision problem", _decision_problem),
    ("model", "Model structure", _structure),
    ("parameters", "Parameters and sources", _parameters),
    ("base-case", "Base case", _base_case),
    ("psa", "Probabilistic analysis", _psa),
    ("voi", "Value of information", lambda results: results.figure("evpi", "evppi")),
    ("dsa", "One-way sensitivity (tornado)", lambda results: results.figure("tornado")),
    ("scenarios", "Scenarios", _scenarios),
    ("threshold", "Threshold price", _threshold),
    ("checks", "Verification and validation (TECH-VER)", _checks),
]

"""Analyses end to end: compute, then write tables, figures and the manifest into an atomic
results folder. The command-line interface calls these; so can a script."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from hecon.analysis import memory
from hecon.analysis.basecase import base_case
from hecon.analysis.batch import IN_PROCESS
from hecon.analysis.effect import (
    effect_parameter,
    effect_threshold,
    plausible_range,
    prior_decisions,
)
from hecon.analysis.psa import PSA, psa_analysis, require_psa_memory, run_psa
from hecon.analysis.result import Result, model_meta
from hecon.analysis.scenarios import load_scenarios, run_scenarios
from hecon.analysis.sensitivity import Measure, one_way, threshold
from hecon.analysis.structures import read_structures, structural_psa, structure_analysis
from hecon.analysis.wtp import REPORT_WTP, WTP_MAX, WTP_STEP
from hecon.cli.inputs import input_files, parameter_table, parse_sets, prior_of, scenario_sources
from hecon.cli.progress import progress_bar
from hecon.model import Model
from hecon.model.priors import model_priors, without_prior
from hecon.results import page
from hecon.results.folder import check_out
from hecon.results.plots.io import browser_session
from hecon.results.report import build_report
from hecon.results.workbook import write_workbook
from hecon.results.write import results_writer, timed


def psa_draws(psa: PSA, table, notes: list[str]) -> Result:
    """A model's PSA draws as a Result, with the model's units, the labels of the strategies
    and of the parameters of ``table``, and the run's ``notes`` (the list itself: a note added
    later, by the decision analysis, is recorded too)."""
    return Result("psa", {"psa": psa.frame(), "psa_summary": psa.summary(), "invalid_draws": psa.invalid},
                  {**model_meta(psa.model, table), "seed": psa.seed, "invalid_draws": len(psa.invalid),
                   "notes": notes}, "psa_summary")


def write_psa(model: Model, out: str | Path, *, n: int, seed: int, chunk_size: int | None = 10_000,
              report_wtp: Sequence[float] | None = None, wtp_max: float = WTP_MAX,
              wtp_step: float = WTP_STEP, invalid: str = "drop", evppi: str = "groups",
              memory_gb: float = memory.DEFAULT_BUDGET_GB, sets: list[str] | None = None,
              sampler: str = "generator", quiet: bool = False, engine=IN_PROCESS,
              structures: Path | None = None) -> str:
    """`hecon psa`: run the PSA, analyse it, write the results folder; return a summary text.
    With a ``structures`` file, the PSA averages over the model's structures
    (:mod:`hecon.analysis.structures`) and adds their tables.
    A PSA whose memory exceeds ``memory_gb`` is refused before any draw
    (:func:`hecon.analysis.psa.require_psa_memory`). Its draws are evaluated on ``engine``
    (:mod:`hecon.analysis.batch`), which the manifest records as ``cluster``."""
    options = model.options()
    table = parameter_table(model, options, sets)
    require_psa_memory(model, table, options, n, memory.as_bytes(memory_gb), evppi=evppi != "none")
    notes: list[str] = []
    timings = Stopwatch()
    inputs = {**model.input_files(options), **({"structures": Path(structures)} if structures else {})}
    with results_writer(out, model.source, command="psa", inputs=inputs) as writer:
        averaged = []
        if structures is not None:
            chosen = read_structures(structures, model)
            with progress_bar(n, "PSA over structures", quiet) as advance:
                psa, assignment = timings.time("PSA", lambda: structural_psa(
                    model, table, chosen, n, seed, options=options, sampler=sampler, chunk_size=chunk_size,
                    invalid=invalid, engine=engine, progress=advance))
            averaged.append(structure_analysis(psa, chosen, assignment, report_wtp or REPORT_WTP))
        else:
            with progress_bar(n, "PSA", quiet) as advance:
                psa = timings.time("PSA", lambda: run_psa(
                    model, n, seed, options=options, table=table, chunk_size=chunk_size, invalid=invalid,
                    sampler=sampler, progress=advance, engine=engine))
        writer.add(psa_draws(psa, table, notes))  # psa.csv.gz is written while the EVPPI is computed
        analysis = timings.time("decision analysis and EVPPI", lambda: psa_analysis(
            psa, report_wtp, wtp_max=wtp_max, wtp_step=wtp_step, evppi=evppi, note=notes.append,
            memory_gb=memory_gb))
        writer.add(analysis.result(**model_meta(model, table)), *averaged)
        writer.close(seed=seed,
                     options={**vars(options), "n": n, "chunk_size": chunk_size, "invalid": invalid,
                              "report_wtp": analysis.report.tolist(), "evppi": evppi, "memory_gb": memory_gb,
                              "sampler": sampler, "set": parse_sets(sets), "prior": prior_of(model)},
                     extra={"invalid_draws": len(psa.invalid), "notes": notes, "cluster": engine.describe(),
                            "timings_seconds": timings})
    return psa_text(psa, analysis, notes)


def psa_text(psa: PSA, analysis, notes: Sequence[str] = ()) -> str:
    """A console summary of a PSA: invalid draws, the ICER table, probability cost-effective."""
    lines = [f"{psa.parameters.n} draws (seed {psa.seed}); "
             f"{len(psa.invalid)} could not be evaluated"
             + (" and were excluded (see invalid_draws.csv)" if len(psa.invalid) else "")]
    lines += [f"note: {text}" for text in notes]
    lines.append("\nICERs of the expected values (per QALY gained)")
    lines.append(analysis.icers.to_string(index=False))
    at_report = analysis.ceac[analysis.ceac["wtp"].isin(analysis.report)]
    table = at_report.pivot(index="wtp", columns="strategy", values="probability")
    lines.append("\nProbability cost-effective")
    lines.append(pd.DataFrame(table).to_string())
    return "\n".join(lines)


# ---------------------------------------------------------------- hecon run

DEFAULT_RUN_DRAWS = 2000
QUICK_DRAWS = 200


class Stopwatch(dict):
    """Wall-clock seconds of each named step of a run (kept in the manifest); ``advance(1)``
    moves a progress bar on after each step."""

    def __init__(self, advance=lambda k: None) -> None:
        super().__init__()
        self.advance = advance

    def time(self, name: str, task):
        """Run ``task()``, record its duration under ``name`` and return its result."""
        result = timed(self, name, task)
        self.advance(1)
        return result


def run_all(model: Model, out: str | Path, *, n: int | None = None, seed: int = 1, quick: bool = False,
            scenarios: Sequence[str] | None = None, memory_gb: float = memory.DEFAULT_BUDGET_GB,
            scenario_files: Sequence[Path] | None = None, sets: list[str] | None = None,
            sampler: str = "generator", quiet: bool = False, engine=IN_PROCESS) -> tuple[Path, list[str]]:
    """`hecon run`: base case, PSA with its decision analytics and EVPPI by parameter group,
    one-way DSA with tornado, the model's scenarios, the threshold price, TECH-VER checks; every
    table as CSV, every figure as HTML (and PNG/SVG where a browser is), report.html,
    results.xlsx and manifest.json, in one atomic results folder. ``quick``: 200 draws, no
    EVPPI, no PNG/SVG. A PSA whose memory exceeds ``memory_gb`` is refused before any work.
    The batches (PSA, DSA, scenarios, threshold) run on ``engine`` (:mod:`hecon.analysis.batch`),
    which the manifest records as ``cluster``.
    Returns the folder and the notes to show the user (e.g. why static figures were not
    written)."""
    n = n or (QUICK_DRAWS if quick else DEFAULT_RUN_DRAWS)
    options = model.options()
    chosen = load_scenarios(scenario_sources(model, scenario_files), model, scenarios)
    inputs = input_files(model, options, chosen)
    check_out(out, inputs.values())  # a bad --out fails before any work
    table = parameter_table(model, options, sets)
    require_psa_memory(model, table, options, n, memory.as_bytes(memory_gb), evppi=not quick,
                       option="--psa")
    notes: list[str] = []
    price = model.price_parameter
    priors = model_priors(model)
    page.prepare()  # the report's plotly.js is compressed beside the analyses, and the browser
    # of the PNG and SVG figures starts beside them; the bar's steps: base case, PSA, decision
    # analysis, DSA, scenarios, (threshold price), (priors, effect threshold), writing
    with (browser_session(not quick),
          progress_bar(6 + bool(price) + 2 * bool(priors), f"hecon run {model.name}", quiet) as advance,
          results_writer(out, model.source, command="run", inputs=inputs, note=notes.append) as writer):
        timings = Stopwatch(advance)

        def keep(result: Result) -> Result:
            """Each analysis's tables written, and its PNG and SVG figures drawn by the browser,
            beside the next analyses."""
            writer.add(result)
            writer.draw_ahead(result)
            return result

        results = _analyses(model, table, options, chosen, price, n=n, seed=seed, quick=quick,
                            sampler=sampler, timings=timings, notes=notes, memory_gb=memory_gb, engine=engine,
                            priors=priors, plain=parameter_table(without_prior(model), options, sets), keep=keep)
        timings.time("tables, figures, report and workbook", lambda: writer.close(
            seed=seed,
            options={**vars(options), "n": n, "quick": quick, "memory_gb": memory_gb, "sampler": sampler,
                     "report_wtp": list(REPORT_WTP), "scenarios": [s.name for s in chosen],
                     "set": parse_sets(sets), "prior": prior_of(model)},
            extra={"invalid_draws": len(results[1].frames["invalid_draws"]), "notes": notes,
                   "timings_seconds": timings, "cluster": engine.describe()},
            static=not quick,
            finish=lambda folder, figures: (build_report(folder, figures), write_workbook(folder))))
    return Path(out), notes


def _analyses(model: Model, table, options, scenarios, price: str | None, *, n: int, seed: int,
              quick: bool, sampler: str, timings: Stopwatch, notes: list[str], memory_gb: float, engine,
              priors=None, plain=None, keep: Callable[[Result], Result]) -> list[Result]:
    """Every analysis of `hecon run`, each within ``memory_gb``, as Results: base case (its
    cost-consequence differences with the PSA's 95 % intervals), PSA draws, decision analysis (its ICER table as ``icers_psa``: ``icers`` is the base case's),
    parameter table, one-way DSA, scenarios, for a model with a price the threshold price, and
    for a model with ``priors`` the decision under each prior (``plain``: the table without the
    run's prior) and the threshold of the effect (:func:`_effect_analyses`). Each Result goes
    to ``keep`` as soon as it is computed."""
    meta = model_meta(model, table)
    psa = timings.time("PSA", lambda: run_psa(model, n, seed, options=options, table=table, sampler=sampler,
                                              engine=engine))
    base = keep(timings.time("base case", lambda: base_case(model, options, table, psa.valid_outcomes())).result(**meta))
    draws = keep(psa_draws(psa, table, notes))
    analysis = timings.time("decision analysis and EVPPI", lambda: psa_analysis(
        psa, REPORT_WTP, evppi="none" if quick else "groups", note=notes.append, memory_gb=memory_gb))
    decision = analysis.result(**meta)
    decision_tables = {("icers_psa" if stem == "icers" else stem): t for stem, t in decision.frames.items()}
    results = [base, draws, keep(Result("decision", decision_tables, decision.meta, "icers_psa")),
               keep(Result("parameters", {"parameters": table.to_frame()}, meta))]
    results += [
        keep(timings.time("one-way DSA", lambda: one_way(model, table, options, Measure(model),
                                                         memory_gb=memory_gb, engine=engine))),
        keep(timings.time("scenarios", lambda: run_scenarios(model, scenarios, memory_gb=memory_gb,
                                                             engine=engine))),
    ]
    if price:
        results.append(keep(timings.time("threshold price", lambda: threshold(
            model, table, price, REPORT_WTP, options, bounds=(0.0, 20 * table[price].value), memory_gb=memory_gb,
            engine=engine))))
    return results + (_effect_analyses(model, table, plain, priors, options, psa, sampler=sampler, timings=timings,
                                       notes=notes, memory_gb=memory_gb, engine=engine, keep=keep) if priors else [])


def _effect_analyses(model: Model, table, plain, priors, options, psa: PSA, *, sampler: str, timings: Stopwatch,
                     notes: list[str], memory_gb: float, engine, keep: Callable[[Result], Result]) -> list[Result]:
    """The decision under each prior (the run's draws, the effect re-drawn: one PSA of n sets
    per prior) and, when the priors are about one uncertain parameter, its threshold at the
    report thresholds over the values a prior finds plausible (:mod:`hecon.analysis.effect`)."""
    results = [keep(timings.time("decision under each prior", lambda: prior_decisions(
        model, plain, psa, priors, options=options, sampler=sampler, engine=engine)))]
    parameter = effect_parameter(priors)
    if parameter is None or parameter not in table.uncertain:
        notes.append("no threshold of the effect: the priors name several parameters, or the run holds it fixed")
        timings.advance(1)
        return results
    bounds = plausible_range(plain, priors, parameter)
    return results + [keep(timings.time("threshold of the effect", lambda: effect_threshold(
        model, table, psa, parameter, bounds, REPORT_WTP, options=options, memory_gb=memory_gb, engine=engine)))]

"""`hecon run` (the whole analysis in one command) and `hecon report` (rebuild a report)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from hecon.analysis.memory import DEFAULT_BUDGET_GB
from hecon.cli._app import OUT_HELP, QuietOpt, SeedOpt, app, checked_out, say, user_errors
from hecon.cli.inputs import (
    InputsOpt,
    ParametersOpt,
    PriorOpt,
    SamplerOpt,
    ScenarioFileOpt,
    ScenariosOpt,
    SchedulerOpt,
    SetOpt,
    WorkersOpt,
    cluster,
    load_model,
)
from hecon.cli.sensitivity_commands import MemoryOpt


@app.command("run")
@user_errors
def run_command(
    model: Annotated[str, typer.Argument(help="Model name (see `hecon models`).")] = "ifn_gamma",
    out: Annotated[Path | None, typer.Option("--out", "-o", help=f"{OUT_HELP} Default: results/<model>-<timestamp>.", callback=checked_out)] = None,
    psa: Annotated[int | None, typer.Option("--psa", help="PSA draws (default 2000; 200 with --quick).", min=2)] = None,
    seed: SeedOpt = 1,
    scenarios: ScenariosOpt = None,
    scenario_file: ScenarioFileOpt = None,
    quick: Annotated[bool, typer.Option("--quick", help="Smoke run: 200 draws, no EVPPI, no PNG/SVG.")] = False,
    memory: MemoryOpt = DEFAULT_BUDGET_GB,
    sampler: SamplerOpt = "generator",
    inputs: InputsOpt = None,
    parameters: ParametersOpt = None,
    set_: SetOpt = None,
    prior: PriorOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """The default analysis: base case, PSA, CE plane, CEAC/CEAF, EVPI/EVPPI, tornado, scenarios,
    threshold price, TECH-VER checks, report.html and results.xlsx."""
    import time

    from hecon.cli.pipeline import run_all

    loaded = load_model(model, inputs, parameters, prior)
    out = out or Path("results") / f"{model}-{datetime.now():%Y%m%d-%H%M%S}"
    start = time.perf_counter()
    with cluster(workers, scheduler) as engine:
        folder, notes = run_all(loaded, out, n=psa, seed=seed, quick=quick, scenarios=scenarios,
                                scenario_files=scenario_file,
                                memory_gb=memory, sets=set_, sampler=sampler, quiet=quiet, engine=engine)
    for note in notes:
        say(quiet, f"note: {note}")
    say(quiet, f"Done in {time.perf_counter() - start:.1f} s. Open {folder / 'report.html'}")


@app.command("report")
@user_errors
def report_command(folder: Annotated[Path, typer.Argument(help="A results folder written by `hecon run`.")],
                   quiet: QuietOpt = False) -> None:
    """Rebuild report.html and results.xlsx of an existing results folder."""
    from hecon.results.folder import updated_results_folder
    from hecon.results.report import build_report
    from hecon.results.workbook import write_workbook

    with updated_results_folder(folder) as staging:
        build_report(staging)
        write_workbook(staging)
    say(quiet, f"Wrote {folder / 'report.html'} and {folder / 'results.xlsx'}")

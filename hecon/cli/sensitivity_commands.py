"""`hecon dsa`, `twoway`, `threshold`, `scenarios`, `gsa`: the sensitivity analyses."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

import typer

from hecon.analysis.memory import DEFAULT_BUDGET_GB
from hecon.analysis.wtp import DEFAULT_WTP
from hecon.cli._app import ModelArg, QuietOpt, SeedOpt, app, say, user_errors
from hecon.cli.inputs import (
    InputsOpt,
    ParametersOpt,
    PriorOpt,
    ScenarioFileOpt,
    ScenariosOpt,
    SchedulerOpt,
    SetOpt,
    WorkersOpt,
    cluster,
    input_files,
    load_model,
    parameter_table,
    parse_sets,
    prior_of,
    scenario_sources,
)
from hecon.cli.model_commands import OutOpt, default_out

WtpOpt = Annotated[float, typer.Option("--wtp", help="Willingness to pay, € per QALY.")]
ReportWtpOpt = Annotated[list[float] | None, typer.Option(
    "--wtp", help="Willingness to pay, € per QALY (repeatable). Default: 20000, 50000, 100000.")]
OutcomeOpt = Annotated[str, typer.Option("--outcome", help="inmb, inhb, icer, cost, effect, or any outcome of the model (its increment).")]
StrategyOpt = Annotated[str | None, typer.Option("--strategy", help="Strategy compared with the comparator (default: the first other one).")]
StaticOpt = Annotated[bool, typer.Option("--static/--no-static", help="Also write the figures as PNG and SVG (needs Chromium).")]
RangeOpt = Annotated[str, typer.Option("--range", help="'table' (the table's low/high) or 'ci95' (the distribution's 2.5 %/97.5 % quantiles).")]
MemoryOpt = Annotated[float, typer.Option("--memory", help="Memory budget in GB: the analysis is evaluated in chunks within it, or refused with its estimate.")]


def _loaded(model: str, inputs, parameters, sets, prior: str | None = None):
    """The model (from its name or file, with the user's inputs folder and parameter table,
    under its prior ``prior``), its options, and its parameter table with the ``--set`` values held."""
    loaded = load_model(model, inputs, parameters, prior)
    options = loaded.options()
    return loaded, options, parameter_table(loaded, options, sets)


class _BrowserAtFirstBatch:
    """An engine (:mod:`hecon.analysis.batch`) that starts the browser of the PNG and SVG
    figures (:func:`hecon.results.plots.io.open_browser`) as the analysis's first batch starts:
    the browser starts beside the batches, and only once the analysis has checked its inputs
    (a refused command starts none)."""

    def __init__(self, engine) -> None:
        self._engine = engine

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def run(self, *args, **kwargs):
        from hecon.results.plots import io  # plotly: not for --help

        io.open_browser()
        return self._engine.run(*args, **kwargs)


@contextlib.contextmanager
def engine_and_browser(static: bool, workers: int | None, scheduler: str | None) -> Iterator:
    """The analysis's engine (:func:`hecon.cli.inputs.cluster`); with ``static``, one that
    starts the browser of the PNG and SVG figures as its first batch starts
    (:class:`_BrowserAtFirstBatch`); the browser is closed after the figures are written."""
    with cluster(workers, scheduler) as engine:
        if not static:
            yield engine
            return
        try:
            yield _BrowserAtFirstBatch(engine)
        finally:
            from hecon.results.plots import io

            io.close_browser()


def _write(out, model, command: str, options, result, extra: dict | None = None,
           seed: int | None = None, static: bool = True, quiet: bool = False, scenarios=(), engine=None) -> None:
    """One Result through the one writer: its tables as CSV, the registry's figures (HTML, and
    PNG/SVG where a browser is), the manifest (hashing the model's inputs and ``scenarios``' files,
    and recording the ``engine`` that evaluated the batch as ``cluster``)."""
    from hecon.analysis.batch import IN_PROCESS
    from hecon.results.write import write

    write(out, model.source, result, command=command, inputs=input_files(model, options, scenarios), seed=seed,
          options={**vars(options), "prior": prior_of(model), **(extra or {})}, static=static, note=lambda line: say(quiet, line),
          extra={"cluster": (engine or IN_PROCESS).describe()})


@app.command("dsa")
@user_errors
def dsa_command(model: ModelArg, out: OutOpt = None, wtp: WtpOpt = DEFAULT_WTP, outcome: OutcomeOpt = "inmb",
                range_: RangeOpt = "table", strategy: StrategyOpt = None,
                top: Annotated[int, typer.Option("--top", help="Parameters shown in the tornado (0 = all).", min=0)] = 15,
                memory: MemoryOpt = DEFAULT_BUDGET_GB, inputs: InputsOpt = None, parameters: ParametersOpt = None,
                set_: SetOpt = None, prior: PriorOpt = None, static: StaticOpt = True,
                workers: WorkersOpt = None, scheduler: SchedulerOpt = None, quiet: QuietOpt = False) -> None:
    """One-way sensitivity analysis of every parameter, with a tornado diagram."""
    from dataclasses import replace

    from hecon.analysis.sensitivity import Measure, one_way

    loaded, options, table = _loaded(model, inputs, parameters, set_, prior)
    with engine_and_browser(static, workers, scheduler) as engine:
        result = one_way(loaded, table, options, Measure(loaded, outcome, wtp, strategy), range_, memory_gb=memory,
                         engine=engine)
        shown = replace(result, meta={**result.meta, "top": top})
        out = default_out(model, "dsa", out)
        _write(out, loaded, "dsa", options, shown, {"set": parse_sets(set_)}, static=static, quiet=quiet, engine=engine)
    say(quiet, f"{result.meta['measure']}: base case {result.meta['base_outcome']:,.2f}")
    say(quiet, result.table.head(top or None)[["parameter", "low", "high", "outcome_at_low", "outcome_at_high",
                                               "range"]].to_string(index=False))
    say(quiet, f"\nResults written to {out}")


@app.command("twoway")
@user_errors
def twoway_command(model: ModelArg, x: Annotated[str, typer.Option("--x", help="First parameter.")],
                   y: Annotated[str, typer.Option("--y", help="Second parameter.")], out: OutOpt = None,
                   steps: Annotated[int, typer.Option("--steps", help="Grid points per parameter (at least 2).")] = 21,
                   wtp: WtpOpt = DEFAULT_WTP, outcome: OutcomeOpt = "inmb", range_: RangeOpt = "table",
                   strategy: StrategyOpt = None, memory: MemoryOpt = DEFAULT_BUDGET_GB, inputs: InputsOpt = None,
                   parameters: ParametersOpt = None, set_: SetOpt = None, prior: PriorOpt = None,
                   static: StaticOpt = True, workers: WorkersOpt = None, scheduler: SchedulerOpt = None,
                   quiet: QuietOpt = False) -> None:
    """Two-way sensitivity analysis: a grid over two parameters, heat maps of the outcome and of the optimal strategy."""
    from hecon.analysis.sensitivity import Measure, two_way

    loaded, options, table = _loaded(model, inputs, parameters, set_, prior)
    with engine_and_browser(static, workers, scheduler) as engine:
        result = two_way(loaded, table, x, y, options, Measure(loaded, outcome, wtp, strategy), steps, range_, memory,
                         engine=engine)
        out = default_out(model, "twoway", out)
        _write(out, loaded, "twoway", options, result, {"set": parse_sets(set_)}, static=static, quiet=quiet,
               engine=engine)
    say(quiet, f"{steps}×{steps} grid of {x} and {y}; optimal strategies: "
               f"{', '.join(sorted(result.table.optimal.unique()))}")
    say(quiet, f"Results written to {out}")


@app.command("threshold")
@user_errors
def threshold_command(model: ModelArg, param: Annotated[str, typer.Option("--param", help="The parameter to vary (e.g. price_ifn_vial).")],
                      out: OutOpt = None, wtp: ReportWtpOpt = None,
                      low: Annotated[float | None, typer.Option("--low", help="Lower end of the search (default: the table's low).")] = None,
                      high: Annotated[float | None, typer.Option("--high", help="Upper end of the search (default: the table's high).")] = None,
                      strategy: StrategyOpt = None, memory: MemoryOpt = DEFAULT_BUDGET_GB, inputs: InputsOpt = None,
                      parameters: ParametersOpt = None, set_: SetOpt = None, prior: PriorOpt = None,
                      static: StaticOpt = True, workers: WorkersOpt = None, scheduler: SchedulerOpt = None,
                      quiet: QuietOpt = False) -> None:
    """The value of a parameter at which the decision changes, by willingness to pay (value-based price)."""
    import pandas as pd

    from hecon.analysis.sensitivity import threshold
    from hecon.analysis.wtp import REPORT_WTP

    loaded, options, table = _loaded(model, inputs, parameters, set_, prior)
    with engine_and_browser(static, workers, scheduler) as engine:
        result = threshold(loaded, table, param, wtp or REPORT_WTP, options, strategy, (low, high), memory_gb=memory,
                           engine=engine)
        out = default_out(model, "threshold", out)
        _write(out, loaded, "threshold", options, result, {"set": parse_sets(set_)}, static=static, quiet=quiet,
               engine=engine)
    with pd.option_context("display.max_colwidth", 120, "display.width", 200):
        say(quiet, result.table[["wtp", "threshold", "reason"]].to_string(index=False))
    say(quiet, f"\nResults written to {out}")


@app.command("scenarios")
@user_errors
def scenarios_command(model: ModelArg, out: OutOpt = None,
                      psa: Annotated[int | None, typer.Option("--psa", help="Also run a PSA of N draws per scenario (probability cost-effective; N ≥ 2).")] = None,
                      seed: SeedOpt = 1, scenarios: ScenariosOpt = None, scenario_file: ScenarioFileOpt = None,
                      inputs: InputsOpt = None, parameters: ParametersOpt = None, wtp: ReportWtpOpt = None,
                      memory: MemoryOpt = DEFAULT_BUDGET_GB, prior: PriorOpt = None,
                      workers: WorkersOpt = None, scheduler: SchedulerOpt = None, quiet: QuietOpt = False) -> None:
    """The base case and every scenario: the model's own (its inputs' scenarios/) and those of --scenario-file."""
    import pandas as pd

    from hecon.analysis.scenarios import load_scenarios, run_scenarios
    from hecon.analysis.wtp import REPORT_WTP

    loaded = load_model(model, inputs, parameters, prior)
    chosen = load_scenarios(scenario_sources(loaded, scenario_file), loaded, scenarios)
    with cluster(workers, scheduler) as engine:
        result = run_scenarios(loaded, chosen, wtp=wtp or REPORT_WTP, psa_n=psa, seed=seed, memory_gb=memory,
                               engine=engine)
        out = default_out(model, "scenarios", out)
        _write(out, loaded, "scenarios", loaded.options(), result, seed=seed if psa else None, quiet=quiet,
               scenarios=chosen, engine=engine)
    compared = result.table.dropna(subset=["status"])
    with pd.option_context("display.width", 200, "display.max_colwidth", 30):
        say(quiet, compared[["scenario", "strategy", "incremental_cost", "incremental_effect", "icer", "status"]].to_string(index=False))
    say(quiet, f"\nResults written to {out}")


@app.command("gsa")
@user_errors
def gsa_command(model: ModelArg,
                method: Annotated[str, typer.Option("--method", help="sobol or morris.")] = "sobol",
                n: Annotated[int, typer.Option("--n", help="Sobol: base sample size (a power of 2); Morris: trajectories (at least 2).")] = 256,
                out: OutOpt = None, outcome: OutcomeOpt = "inmb", wtp: WtpOpt = DEFAULT_WTP,
                strategy: StrategyOpt = None, seed: SeedOpt = 1, memory: MemoryOpt = DEFAULT_BUDGET_GB,
                inputs: InputsOpt = None, parameters: ParametersOpt = None, set_: SetOpt = None,
                prior: PriorOpt = None, static: StaticOpt = True, workers: WorkersOpt = None,
                scheduler: SchedulerOpt = None, quiet: QuietOpt = False) -> None:
    """Global sensitivity analysis with SALib (Sobol' indices or Morris elementary effects)."""
    from hecon.analysis.gsa import METHODS, design_points, global_sensitivity, problem
    from hecon.analysis.sensitivity import Measure
    from hecon.cli.progress import progress_bar

    loaded, options, table = _loaded(model, inputs, parameters, set_, prior)
    measure = Measure(loaded, outcome, wtp, strategy)
    points = design_points(problem(table), method, n) if method in METHODS else 0
    with engine_and_browser(static, workers, scheduler) as engine, progress_bar(points, method, quiet) as advance:
        result = global_sensitivity(loaded, table, measure, method, n, seed, options, memory, engine=engine,
                                    progress=advance)
        out = default_out(model, "gsa", out)
        _write(out, loaded, "gsa", options, result, {"set": parse_sets(set_)}, seed=seed, static=static, quiet=quiet,
               engine=engine)
    say(quiet, f"{method}: {result.meta['design_points']} model evaluations; "
               f"{result.meta['invalid_points']} could not be evaluated (set to the mean output)")
    say(quiet, result.table.head(15).to_string(index=False))
    say(quiet, f"\nResults written to {out}")

"""`hecon dsa`, `twoway`, `threshold`, `scenarios`, `gsa`: the sensitivity analyses."""

from __future__ import annotations

from typing import Annotated

import typer

from hecon.analysis.memory import DEFAULT_BUDGET_GB
from hecon.cli._app import ModelArg, QuietOpt, SeedOpt, app, say, user_errors
from hecon.cli.inputs import (
    ParametersOpt,
    ScenarioFileOpt,
    ScenariosOpt,
    SetOpt,
    parameter_table,
    parse_sets,
    scenario_sources,
)
from hecon.cli.model_commands import OutOpt, default_out

WtpOpt = Annotated[float, typer.Option("--wtp", help="Willingness to pay, € per QALY.")]
OutcomeOpt = Annotated[str, typer.Option("--outcome", help="inmb, inhb, icer, cost, effect, or any outcome of the model (its increment).")]
StrategyOpt = Annotated[str | None, typer.Option("--strategy", help="Strategy compared with the comparator (default: the first other one).")]
StaticOpt = Annotated[bool, typer.Option("--static/--no-static", help="Also write the figures as PNG and SVG (needs Chromium).")]
RangeOpt = Annotated[str, typer.Option("--range", help="'table' (the table's low/high) or 'ci95' (the distribution's 2.5 %/97.5 % quantiles).")]
MemoryOpt = Annotated[float, typer.Option("--memory", help="Memory budget in GB: the analysis is evaluated in chunks within it, or refused with its estimate.")]


def _write(out, model, command: str, options, result, extra: dict | None = None,
           seed: int | None = None, static: bool = True, quiet: bool = False) -> None:
    """One Result through the one writer: its tables as CSV, the registry's figures (HTML, and
    PNG/SVG where a browser is), the manifest."""
    from hecon.results.write import write

    write(out, model.source, result, command=command, inputs=model.input_files(options), seed=seed,
          options={**vars(options), **(extra or {})}, static=static, note=lambda line: say(quiet, line))


@app.command("dsa")
@user_errors
def dsa_command(model: ModelArg, out: OutOpt = None, wtp: WtpOpt = 50_000.0, outcome: OutcomeOpt = "inmb",
                range_: RangeOpt = "table", strategy: StrategyOpt = None,
                top: Annotated[int, typer.Option("--top", help="Parameters shown in the tornado (0 = all).", min=0)] = 15,
                memory: MemoryOpt = DEFAULT_BUDGET_GB, parameters: ParametersOpt = None, set_: SetOpt = None, static: StaticOpt = True, quiet: QuietOpt = False) -> None:
    """One-way sensitivity analysis of every parameter, with a tornado diagram."""
    from hecon.analysis.result import Result
    from hecon.analysis.sensitivity import Measure, one_way
    from hecon.model import Model

    loaded = Model(model, parameters=parameters)
    options = loaded.options()
    measure = Measure(loaded, outcome, wtp, strategy)
    result = one_way(loaded, parameter_table(loaded, options, set_), options, measure, range_, memory_gb=memory)
    out = default_out(model, "dsa", out)
    _write(out, loaded, "dsa", options, Result("one_way", {"dsa": result}, {**result.attrs, "top": top}, "dsa"),
           {"wtp": wtp, "outcome": outcome, "range": range_, "strategy": strategy, "set": parse_sets(set_)}, static=static, quiet=quiet)
    say(quiet, f"{result.attrs['measure']}: base case {result.attrs['base_outcome']:,.2f}")
    say(quiet, result.head(top or None)[["parameter", "low", "high", "outcome_at_low", "outcome_at_high", "range"]].to_string(index=False))
    say(quiet, f"\nResults written to {out}")


@app.command("twoway")
@user_errors
def twoway_command(model: ModelArg, x: Annotated[str, typer.Option("--x", help="First parameter.")],
                   y: Annotated[str, typer.Option("--y", help="Second parameter.")], out: OutOpt = None,
                   steps: Annotated[int, typer.Option("--steps", help="Grid points per parameter (at least 2).")] = 21,
                   wtp: WtpOpt = 50_000.0, outcome: OutcomeOpt = "inmb", range_: RangeOpt = "table",
                   strategy: StrategyOpt = None, memory: MemoryOpt = DEFAULT_BUDGET_GB, parameters: ParametersOpt = None, set_: SetOpt = None, static: StaticOpt = True,
                   quiet: QuietOpt = False) -> None:
    """Two-way sensitivity analysis: a grid over two parameters, heat maps of the outcome and of the optimal strategy."""
    from hecon.analysis.result import Result
    from hecon.analysis.sensitivity import Measure, two_way
    from hecon.model import Model

    loaded = Model(model, parameters=parameters)
    options = loaded.options()
    measure = Measure(loaded, outcome, wtp, strategy)
    grid = two_way(loaded, parameter_table(loaded, options, set_), x, y, options, measure, steps, range_, memory)
    out = default_out(model, "twoway", out)
    _write(out, loaded, "twoway", options, Result("two_way", {"twoway": grid}, {"measure": measure.label}, "twoway"),
           {"x": x, "y": y, "steps": steps, "wtp": wtp, "outcome": outcome, "set": parse_sets(set_)}, static=static, quiet=quiet)
    say(quiet, f"{steps}×{steps} grid of {x} and {y}; optimal strategies: {', '.join(sorted(grid.optimal.unique()))}")
    say(quiet, f"Results written to {out}")


@app.command("threshold")
@user_errors
def threshold_command(model: ModelArg, param: Annotated[str, typer.Option("--param", help="The parameter to vary (e.g. price_ifn_vial).")],
                      out: OutOpt = None,
                      wtp: Annotated[list[float] | None, typer.Option("--wtp", help="Willingness to pay, € per QALY (repeatable). Default: 30000, 50000, 100000, 150000.")] = None,
                      low: Annotated[float | None, typer.Option("--low", help="Lower end of the search (default: the table's low).")] = None,
                      high: Annotated[float | None, typer.Option("--high", help="Upper end of the search (default: the table's high).")] = None,
                      strategy: StrategyOpt = None, memory: MemoryOpt = DEFAULT_BUDGET_GB, parameters: ParametersOpt = None, set_: SetOpt = None, static: StaticOpt = True,
                      quiet: QuietOpt = False) -> None:
    """The value of a parameter at which the decision changes, by willingness to pay (value-based price)."""
    import numpy as np
    import pandas as pd

    from hecon.analysis.result import Result
    from hecon.analysis.sensitivity import REPORT_WTP, threshold, threshold_bounds
    from hecon.model import Model

    loaded = Model(model, parameters=parameters)
    options = loaded.options()
    table = parameter_table(loaded, options, set_)
    bounds = threshold_bounds(table, param, low, high)
    chosen = wtp or list(REPORT_WTP)
    curve = np.union1d(np.linspace(0, 200_000, 41), chosen)
    result = threshold(loaded, table, param, curve, options, strategy, bounds, memory_gb=memory)
    out = default_out(model, "threshold", out)
    tables = {"threshold": result[result.wtp.isin(chosen)], "threshold_curve": result}
    _write(out, loaded, "threshold", options, Result("threshold", tables, {"currency": "€"}, "threshold"),
           {"param": param, "bounds": bounds, "wtp": chosen, "set": parse_sets(set_)},
           static=static, quiet=quiet)
    with pd.option_context("display.max_colwidth", 120, "display.width", 200):
        say(quiet, result[result.wtp.isin(chosen)][["wtp", "threshold", "reason"]].to_string(index=False))
    say(quiet, f"\nResults written to {out}")


@app.command("scenarios")
@user_errors
def scenarios_command(model: ModelArg, out: OutOpt = None,
                      psa: Annotated[int | None, typer.Option("--psa", help="Also run a PSA of N draws per scenario (probability cost-effective; N ≥ 2).")] = None,
                      seed: SeedOpt = 1,
                      scenarios: ScenariosOpt = None, scenario_file: ScenarioFileOpt = None,
                      parameters: ParametersOpt = None,
                      wtp: Annotated[list[float] | None, typer.Option("--wtp", help="Willingness to pay, € per QALY (repeatable). Default: 30000, 50000, 100000, 150000.")] = None,
                      memory: MemoryOpt = DEFAULT_BUDGET_GB, quiet: QuietOpt = False) -> None:
    """The base case and every scenario: the model's own (inputs/<model>/scenarios/) and those of --scenario-file."""
    import pandas as pd

    from hecon.analysis.result import Result
    from hecon.analysis.scenarios import load_scenarios, run_scenarios
    from hecon.analysis.sensitivity import REPORT_WTP
    from hecon.model import Model

    loaded = Model(model, parameters=parameters)
    chosen = load_scenarios(scenario_sources(loaded, scenario_file), loaded, scenarios)
    table = run_scenarios(loaded, chosen, wtp=wtp or REPORT_WTP, psa_n=psa, seed=seed, memory_gb=memory)
    out = default_out(model, "scenarios", out)
    options = loaded.options()
    _write(out, loaded, "scenarios", options, Result("scenarios", {"scenarios": table}, {}, "scenarios"),
           {"psa": psa, "scenarios": [s.name for s in chosen],
            "scenario_files": {s.name: str(s.source) for s in chosen}}, seed=seed if psa else None)
    compared = table.dropna(subset=["status"])
    with pd.option_context("display.width", 200, "display.max_colwidth", 30):
        say(quiet, compared[["scenario", "strategy", "incremental_cost", "incremental_effect", "icer", "status"]].to_string(index=False))
    say(quiet, f"\nResults written to {out}")


@app.command("gsa")
@user_errors
def gsa_command(model: ModelArg,
                method: Annotated[str, typer.Option("--method", help="sobol or morris.")] = "sobol",
                n: Annotated[int, typer.Option("--n", help="Sobol: base sample size (a power of 2); Morris: trajectories (at least 2).")] = 256,
                out: OutOpt = None, outcome: OutcomeOpt = "inmb", wtp: WtpOpt = 50_000.0,
                strategy: StrategyOpt = None, seed: SeedOpt = 1, memory: MemoryOpt = DEFAULT_BUDGET_GB, parameters: ParametersOpt = None, set_: SetOpt = None,
                static: StaticOpt = True, quiet: QuietOpt = False) -> None:
    """Global sensitivity analysis with SALib (Sobol' indices or Morris elementary effects)."""
    from hecon.analysis.gsa import global_sensitivity
    from hecon.analysis.result import Result
    from hecon.analysis.sensitivity import Measure
    from hecon.model import Model

    loaded = Model(model, parameters=parameters)
    options = loaded.options()
    measure = Measure(loaded, outcome, wtp, strategy)
    indices = global_sensitivity(loaded, parameter_table(loaded, options, set_), measure, method, n, seed, options, memory)
    out = default_out(model, "gsa", out)
    _write(out, loaded, "gsa", options, Result("gsa", {"gsa": indices}, dict(indices.attrs), "gsa"),
           {"method": method, "n": n, "outcome": outcome, "wtp": wtp, "set": parse_sets(set_)}, seed=seed,
           static=static, quiet=quiet)
    say(quiet, f"{method}: {indices.attrs['design_points']} model evaluations; "
               f"{indices.attrs['invalid_points']} could not be evaluated (set to the mean output)")
    say(quiet, indices.head(15).to_string(index=False))
    say(quiet, f"\nResults written to {out}")

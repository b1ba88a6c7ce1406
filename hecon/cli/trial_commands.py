"""`hecon trial simulate | fit | cea`: from patient-level trial data to model inputs, and the
within-trial cost-effectiveness analysis.

A model takes part through its companion module ``_<model>_trial.py`` beside it (simulate its
trial, fit its parameters, price its patients); see ``docs/trial.md``.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from hecon.analysis.memory import DEFAULT_BUDGET_GB
from hecon.analysis.wtp import WTP_MAX, WTP_STEP
from hecon.cli._app import OutOpt, QuietOpt, SeedOpt, WtpMaxOpt, WtpStepOpt, app, say, user_errors
from hecon.cli.sensitivity_commands import MemoryOpt

trial_app = typer.Typer(
    name="trial",
    help="Trial data: simulate a trial, fit the model's parameters to it, within-trial cost-effectiveness.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(trial_app, name="trial")

ModelOpt = Annotated[str, typer.Option("--model", help="The model whose trial this is (see `hecon models`).")]
DataArg = Annotated[Path, typer.Argument(help="Trial folder: patients.csv, infections.csv and optionally resource_use.csv.")]
ParametersOpt = Annotated[Path | None, typer.Option("--parameters", help="Parameter table to use instead of the model's own (CSV in the model's schema).")]


def trial_module(model: str) -> ModuleType:
    """The model's trial companion (``_<model>_trial.py`` beside it, :attr:`Model.trial`)."""
    from hecon.errors import InputError
    from hecon.model import Model

    loaded = Model(model)
    if loaded.trial is None:
        raise InputError(f"model '{loaded.name}' has no trial module",
                         fix=f"add _{loaded.name}_trial.py beside the model (see docs/trial.md)")
    return loaded.trial


@trial_app.command("simulate")
@user_errors
def simulate_command(
    out: OutOpt,
    n: Annotated[int, typer.Option("--n", help="Patients randomised (1:1).", min=2)] = 326,
    seed: SeedOpt = 1,
    dropout: Annotated[float, typer.Option("--dropout", help="Probability of loss to follow-up by the horizon (0 = none).")] = 0.0,
    model: ModelOpt = "ifn_gamma",
    parameters: ParametersOpt = None,
    memory: MemoryOpt = DEFAULT_BUDGET_GB,
    quiet: QuietOpt = False,
) -> None:
    """Simulate a trial from the model's own hazards: patients.csv, infections.csv, resource_use.csv."""
    from hecon.analysis.result import Result
    from hecon.model import Model
    from hecon.results.write import write
    from hecon.trial.schema import trial_tables

    module = trial_module(model)
    loaded = Model(model)
    options = loaded.options()
    table = module.load_table(parameters, options)
    patients, infections, resource_use = module.simulate(n, seed, dropout=dropout, table=table, options=options,
                                                         memory_gb=memory)
    inputs = loaded.input_files(options) | ({"parameters": parameters} if parameters else {})
    simulated = Result("trial_simulation", trial_tables(patients, infections, resource_use),
                       {"n": n, "dropout": dropout}, "patients")
    write(out, model, simulated, command="trial simulate", inputs=inputs, seed=seed,
          options={**vars(options), "n": n, "dropout": dropout})
    counts = patients.groupby("arm").size().to_dict()
    say(quiet, f"Simulated {n} patients ({', '.join(f'{k}: {v}' for k, v in counts.items())}), "
               f"{len(infections)} infection episodes.")
    say(quiet, f"Wrote {', '.join(f'{stem}.csv' for stem in simulated.frames)}, manifest.json to {out}")


@trial_app.command("fit")
@user_errors
def fit_command(
    data_dir: DataArg,
    out: OutOpt,
    model: ModelOpt = "ifn_gamma",
    parameters: ParametersOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Estimate the model's parameters from trial data: a results folder with the fitted
    parameters.csv (usable as --parameters), the estimates, the survival models, a report and
    the survival figure."""
    from hecon.analysis.result import Result
    from hecon.model import Model
    from hecon.results.folder import check_out
    from hecon.results.write import write
    from hecon.trial import load_trial

    module = trial_module(model)
    loaded = Model(model)
    options = loaded.options()
    table_path = parameters or loaded.input_files(options)["parameters"]
    check_out(out, [data_dir, table_path])
    data = load_trial(data_dir, loaded.strategies)
    result = module.fit(data, table_path, options)
    fitted = Result("trial_fit", {**result.tables(), "survival_curves": result.curves}, {}, "estimates")
    write(out, model, fitted, command="trial fit", inputs={**data.files, "parameters": table_path},
          also_inputs=[data_dir], options=vars(options),
          extra={"data_sha256": result.digest,
                 "estimated": result.estimates["parameter"].loc[lambda p: p != ""].tolist()},
          finish=lambda folder, _figures: (folder / "report.md").write_text(result.report, encoding="utf-8"))
    estimated = (result.estimates["parameter"] != "").sum()
    say(quiet, f"{len(data.patients)} patients, {len(data.infections)} infection episodes; "
               f"{estimated} parameters estimated from the trial.")
    say(quiet, f"Wrote {out / 'parameters.csv'}, its estimates, report and survival figure")


@trial_app.command("cea")
@user_errors
def cea_command(
    data_dir: DataArg,
    out: OutOpt,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates (stratified by arm).", min=1)] = 1000,
    seed: SeedOpt = 1,
    effect: Annotated[str | None, typer.Option("--effect", help="Outcome of the CE plane and CEAC: infection_episodes, patients_infected (default: per patient kept free of infection) or day90_deaths.")] = None,
    wtp: Annotated[list[float] | None, typer.Option("--wtp", help="Report willingness to pay per unit of the effect (repeatable).")] = None,
    wtp_max: WtpMaxOpt = WTP_MAX,
    wtp_step: WtpStepOpt = WTP_STEP,
    model: ModelOpt = "ifn_gamma",
    parameters: ParametersOpt = None,
    memory: MemoryOpt = DEFAULT_BUDGET_GB,
    quiet: QuietOpt = False,
) -> None:
    """Within-trial cost-effectiveness to the horizon: costs, outcomes, bootstrap intervals, ICERs, CE plane, CEAC."""
    from hecon.analysis.decision import wtp_grid
    from hecon.analysis.result import Result
    from hecon.errors import InputError
    from hecon.model import Model
    from hecon.results.folder import check_out
    from hecon.results.write import write
    from hecon.trial import load_trial

    module = trial_module(model)
    loaded = Model(model)
    options = loaded.options()
    by_name = {e.outcome: e for e in module.EFFECTS}
    chosen = effect or module.MAIN_EFFECT
    if chosen not in by_name:
        raise InputError(f"unknown effect '{chosen}'", fix=f"choose one of: {', '.join(by_name)}")
    check_out(out, [data_dir])
    data = load_trial(data_dir, loaded.strategies)
    grid, report = wtp_grid(wtp, wtp_max, wtp_step)
    analysis = module.within_trial_analysis(data, bootstrap, seed, module.load_table(parameters, options), options,
                                            memory_gb=memory)
    main = analysis.decision(by_name[chosen], grid, report)
    tables = {
        "cost_consequence": analysis.cost_consequence(loaded.comparator),
        "icers_by_outcome": analysis.icers(module.EFFECTS, loaded.comparator),
        "missing_data": analysis.missing,
        "per_patient": analysis.per_patient,
        "bootstrap": analysis.replicate_frame(),
    }
    within = Result("within_trial", tables, {"effect": chosen}, "icers_by_outcome")
    decision = main.result(currency="€", effect_unit=by_name[chosen].unit, comparator=loaded.comparator)
    inputs = {**data.files, **({"parameters": parameters} if parameters else loaded.input_files(options))}
    write(out, model, within, decision, command="trial cea", inputs=inputs, also_inputs=[data_dir], seed=seed,
          options={**vars(options), "bootstrap": bootstrap, "effect": chosen, "report_wtp": report.tolist(),
                   "wtp_max": wtp_max, "wtp_step": wtp_step}, extra={"data_sha256": data.digest()})
    missing = analysis.missing
    say(quiet, "Complete-case analysis: " + "; ".join(
        f"{r.arm} {r.analysed} of {r.randomised} analysed ({r.excluded} excluded)" for r in missing.itertuples()))
    icer_table = tables["icers_by_outcome"][["per", "strategy", "incremental_cost", "incremental_effect", "icer", "status"]]
    say(quiet, icer_table.to_string(index=False))
    say(quiet, f"\nResults written to {out}")

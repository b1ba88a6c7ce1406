"""`hecon evsi` (the value of a trial's information, ENBS, the optimal size) and `hecon trial
update` (the decision once the trial reports); both rest on the model's ``TRIAL_ENDPOINTS``
(``docs/evsi.md``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hecon.analysis.memory import DEFAULT_BUDGET_GB
from hecon.cli._app import ModelArg, OutOpt, QuietOpt, SeedOpt, app, say, user_errors
from hecon.cli.inputs import InputsOpt, ParametersOpt, PriorOpt, SchedulerOpt, SetOpt, WorkersOpt
from hecon.cli.psa_commands import WtpOpt
from hecon.cli.sensitivity_commands import MemoryOpt
from hecon.cli.trial_commands import DataArg, trial_app

DrawsOpt = Annotated[int, typer.Option("--n", help="PSA draws (the prior).", min=21)]
EndpointsOpt = Annotated[str | None, typer.Option("--endpoints", help="Comma-separated endpoints the trial measures (default: every one the model declares in TRIAL_ENDPOINTS, e.g. infection,mortality).")]
SETTING_HELP = " Default: the model's inputs/<model>/evsi.csv (sourced)."


def _endpoints(text: str | None) -> list[str] | None:
    return [e.strip() for e in text.split(",") if e.strip()] if text else None


def _setting(value: float | None, settings: dict[str, float], name: str, option: str) -> float:
    """An option's value, else the model's sourced setting, else an error naming both."""
    from hecon.analysis.evsi import SETTINGS_FILE
    from hecon.errors import InputError

    if value is not None:
        return value
    if name not in settings:
        raise InputError(f"no {option} given and the model's {SETTINGS_FILE} sets no {name}",
                         fix=f"give {option}, or add a sourced row {name} to the model's {SETTINGS_FILE}")
    return settings[name]


def _prior_psa(loaded, n: int, seed: int, sets, memory: float, quiet: bool, workers, scheduler):
    """The PSA of the model's table (its prior), within the memory budget, in process or on the
    cluster of ``--workers`` / ``--scheduler``; and that cluster's description for the manifest."""
    from hecon.analysis import memory as budget
    from hecon.analysis.psa import require_psa_memory, run_psa
    from hecon.cli.inputs import cluster, parameter_table
    from hecon.cli.progress import progress_bar

    options = loaded.options()
    table = parameter_table(loaded, options, sets)
    require_psa_memory(loaded, table, options, n, budget.as_bytes(memory), evppi=True)
    with cluster(workers, scheduler) as engine, progress_bar(n, "PSA", quiet) as advance:
        psa = run_psa(loaded, n, seed, options=options, table=table, progress=advance, engine=engine)
        return psa, table, options, engine.describe()


@app.command("evsi")
@user_errors
def evsi_command(
    model: ModelArg,
    out: OutOpt,
    n_per_arm: Annotated[str, typer.Option("--n-per-arm", help="Comma-separated trial sizes, patients per arm.")] = "50,100,163,250,500,1000",
    endpoints: EndpointsOpt = None,
    n: DrawsOpt = 10_000,
    seed: SeedOpt = 1,
    method: Annotated[str, typer.Option("--method", help="'regression' (Strong et al. 2015) or 'moment-matching' (Heath et al. 2018).")] = "regression",
    wtp: WtpOpt = None,
    incidence: Annotated[float | None, typer.Option("--incidence", help="Patients concerned per year." + SETTING_HELP)] = None,
    horizon: Annotated[float | None, typer.Option("--horizon", help="Decision horizon in years." + SETTING_HELP)] = None,
    discount: Annotated[float | None, typer.Option("--discount", help="Annual discount rate of the population." + SETTING_HELP)] = None,
    fixed_cost: Annotated[float | None, typer.Option("--fixed-cost", help="Trial's fixed cost (€)." + SETTING_HELP)] = None,
    cost_per_patient: Annotated[float | None, typer.Option("--cost-per-patient", help="Trial's cost per randomised patient, every arm counted (€)." + SETTING_HELP)] = None,
    memory: MemoryOpt = DEFAULT_BUDGET_GB,
    inputs: InputsOpt = None,
    parameters: ParametersOpt = None,
    set_: SetOpt = None,
    prior: PriorOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """EVSI of a trial with one arm per strategy over sample sizes, population EVSI, ENBS and the optimal size."""
    from hecon.analysis import evsi as value
    from hecon.analysis.result import model_meta
    from hecon.analysis.voi import Population
    from hecon.analysis.wtp import REPORT_WTP
    from hecon.cli.inputs import load_model, parse_sets, prior_of
    from hecon.errors import InputError
    from hecon.results.write import write

    if method not in value.EVSI_METHODS:
        raise InputError(f"unknown --method '{method}'", fix=f"use one of: {', '.join(value.EVSI_METHODS)}")
    sizes = value.sample_sizes(_parse_sizes(n_per_arm))
    loaded = load_model(model, inputs, parameters, prior)
    value.chosen_endpoints(loaded, _endpoints(endpoints))  # a model with no trial fails before any work
    settings_file = loaded.input_dir / value.SETTINGS_FILE
    settings = value.read_settings(settings_file)
    population = Population(_setting(incidence, settings, "annual_incidence", "--incidence"),
                            _setting(horizon, settings, "horizon_years", "--horizon"),
                            _setting(discount, settings, "discount_rate", "--discount"))
    psa, table, options, cluster_used = _prior_psa(loaded, n, seed, set_, memory, quiet, workers, scheduler)
    costs_, effects = psa.costs_effects(loaded.effects[0])
    design = value.trial_design(loaded, psa.valid_outcomes(), _endpoints(endpoints))
    trial_costs = value.TrialCosts(_setting(fixed_cost, settings, "fixed_cost", "--fixed-cost"),
                                   _setting(cost_per_patient, settings, "cost_per_patient", "--cost-per-patient"),
                                   arms=len(design.arms))
    thresholds = wtp or list(REPORT_WTP)
    notes: list[str] = []
    frame = value.evsi(costs_, effects, design, sizes, thresholds, method=method, seed=seed, note=notes.append)
    limit = value.trial_evppi(costs_, effects, design, thresholds, seed=seed)
    result = value.evsi_result(frame, limit, population, trial_costs, method=method, endpoints=list(design.endpoints),
                               running_n_per_arm=settings.get("running_n_per_arm"), report_wtp=list(thresholds),
                               **model_meta(loaded))
    files = loaded.input_files(options) | ({"evsi_settings": settings_file} if settings else {})
    write(out, loaded.source, result, command="evsi", inputs=files, seed=seed,
          options={**vars(options), "n": n, "n_per_arm": sizes, "method": method, "endpoints": list(design.endpoints),
                   "set": parse_sets(set_), "prior": prior_of(loaded)}, extra={"notes": notes, "invalid_draws": len(psa.invalid), "cluster": cluster_used})
    for text in notes:
        say(quiet, f"note: {text}")
    shown = result.tables()["evsi"][["n_per_arm", "wtp", "evsi", "se", "population_evsi"]]
    say(quiet, shown.to_string(index=False))
    say(quiet, "\nOptimal trial size (patients per arm; 0: no trial worth its cost)")
    say(quiet, result.tables()["optimal_sample_size"].to_string(index=False))
    say(quiet, f"\nResults written to {Path(out)}")


def _parse_sizes(text: str) -> list[float]:
    from hecon.errors import InputError
    from hecon.model.files import parse_number

    cells = [cell.strip() for cell in text.split(",")]
    if not all(cells):
        raise InputError(f"--n-per-arm: cannot read {text!r}", fix="write e.g. --n-per-arm 50,100,163")
    return [parse_number(cell, file="--n-per-arm") for cell in cells]


@trial_app.command("update")
@user_errors
def update_command(
    model: ModelArg,
    data_dir: DataArg,
    out: OutOpt,
    n: DrawsOpt = 10_000,
    seed: SeedOpt = 1,
    endpoints: EndpointsOpt = None,
    min_ess: Annotated[float, typer.Option("--min-ess", help="Fewest effective draws the posterior may rest on.", min=1)] = 200,
    wtp: WtpOpt = None,
    memory: MemoryOpt = DEFAULT_BUDGET_GB,
    inputs: InputsOpt = None,
    parameters: ParametersOpt = None,
    set_: SetOpt = None,
    prior: PriorOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """The trial's data turn the PSA (the prior) into a posterior; the decision analyses re-run on it."""
    from hecon.analysis import evsi as value
    from hecon.analysis import update
    from hecon.analysis.decision import decision_analysis, wtp_grid
    from hecon.analysis.result import model_meta
    from hecon.cli.inputs import load_model, parse_sets, prior_of
    from hecon.cli.trial_commands import trial_module
    from hecon.errors import InputError
    from hecon.results.folder import check_out
    from hecon.results.write import write
    from hecon.trial import load_trial

    loaded = load_model(model, inputs, parameters, prior)
    value.chosen_endpoints(loaded, _endpoints(endpoints))
    check_out(out, [data_dir])
    data = load_trial(data_dir, loaded.strategies)
    psa, table, options, cluster_used = _prior_psa(loaded, n, seed, set_, memory, quiet, workers, scheduler)
    design = value.trial_design(loaded, psa.valid_outcomes(), _endpoints(endpoints))
    companion = trial_module(model)
    if not hasattr(companion, "endpoint_counts"):
        raise InputError(f"the trial module of model '{loaded.name}' has no endpoint_counts(data, options)",
                         fix="declare it beside simulate and fit: the events and patients of each arm and "
                             "endpoint (docs/evsi.md)")
    counts = companion.endpoint_counts(data, options)
    counts = counts[counts["endpoint"].isin(design.endpoints)]
    weights = update.posterior_weights(design, counts, min_ess=min_ess)
    chosen = update.systematic_resample(weights, seed)
    costs_, effects = psa.costs_effects(loaded.effects[0])
    grid, report = wtp_grid(wtp)
    posterior = decision_analysis(costs_[chosen], effects[chosen], loaded.strategies, grid, report, seed=seed)
    meta = model_meta(loaded, table, list(psa.uncertain))
    result = update.update_result(psa.valid_parameters(), design, counts, weights, **meta)
    write(out, loaded.source, result, posterior.result(**meta), command="trial update",
          inputs={**loaded.input_files(options), **data.files}, also_inputs=[data_dir], seed=seed,
          options={**vars(options), "n": n, "min_ess": min_ess, "endpoints": list(design.endpoints),
                   "set": parse_sets(set_), "prior": prior_of(loaded)}, extra={"data_sha256": data.digest(), "cluster": cluster_used})
    say(quiet, f"Posterior on {update.effective_sample_size(weights):,.0f} effective draws of {weights.size:,}.")
    say(quiet, result.tables()["trial_endpoints"].to_string(index=False))
    say(quiet, "\nICERs on the posterior")
    say(quiet, posterior.icers.to_string(index=False))
    say(quiet, f"\nResults written to {Path(out)}")

"""`hecon psa`: probabilistic sensitivity analysis of a model, with its decision analytics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hecon.analysis.memory import DEFAULT_BUDGET_GB
from hecon.analysis.wtp import WTP_MAX, WTP_STEP
from hecon.cli._app import ModelArg, QuietOpt, SeedOpt, WtpMaxOpt, WtpStepOpt, app, say, user_errors
from hecon.cli.inputs import (
    InputsOpt,
    ParametersOpt,
    PriorOpt,
    SamplerOpt,
    SchedulerOpt,
    SetOpt,
    WorkersOpt,
    cluster,
    load_model,
)
from hecon.cli.model_commands import OutOpt, default_out
from hecon.cli.sensitivity_commands import MemoryOpt

WtpOpt = Annotated[list[float] | None, typer.Option("--wtp", help="Report willingness to pay, € per QALY (repeatable). Default: 20000, 50000, 100000.")]


@app.command("psa")
@user_errors
def psa_command(
    model: ModelArg,
    n: Annotated[int, typer.Option("--n", help="Number of PSA draws. EVPPI needs 21 or more (more than the 20 coefficients of its regression); with fewer it is skipped with a note.", min=2)] = 1000,
    seed: SeedOpt = 1,
    out: OutOpt = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Parameter sets evaluated at once (bounds memory; results do not depend on it).", min=1)] = 10_000,
    wtp: WtpOpt = None,
    wtp_max: WtpMaxOpt = WTP_MAX,
    wtp_step: WtpStepOpt = WTP_STEP,
    invalid: Annotated[str, typer.Option("--invalid", help="Draws the model cannot evaluate: 'drop' (exclude and report them) or 'error' (stop).")] = "drop",
    evppi: Annotated[str, typer.Option("--evppi", help="EVPPI of the parameter table's groups ('groups'), of every parameter alone too ('all'), or none ('none').")] = "groups",
    memory: MemoryOpt = DEFAULT_BUDGET_GB,
    sampler: SamplerOpt = "generator",
    inputs: InputsOpt = None,
    parameters: ParametersOpt = None,
    set_: SetOpt = None,
    prior: PriorOpt = None,
    structures: Annotated[bool, typer.Option("--structures", help="Average over the model's structures: each draw picks one with the weights of its inputs' structures.yaml; adds results by structure and the EVPPI of the structural choice (docs/priors.md).")] = False,
    structures_file: Annotated[Path | None, typer.Option("--structures-file", help="A structures YAML file instead of the model's own (implies --structures).")] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """PSA: N seeded draws, evaluated in chunks; CE plane, CEAC/CEAF, EVPI, EVPPI by parameter group."""
    from hecon.analysis.psa import EVPPI_CHOICES, INVALID_POLICIES
    from hecon.analysis.structures import STRUCTURES_FILE
    from hecon.cli.pipeline import write_psa
    from hecon.errors import InputError

    if invalid not in INVALID_POLICIES:
        raise InputError(f"--invalid must be one of {', '.join(INVALID_POLICIES)}, not '{invalid}'")
    if evppi not in EVPPI_CHOICES:
        raise InputError(f"--evppi must be one of {', '.join(EVPPI_CHOICES)}, not '{evppi}'")
    loaded = load_model(model, inputs, parameters, prior)
    chosen = structures_file or (loaded.input_dir / STRUCTURES_FILE if structures else None)
    out = default_out(model, "psa", out)
    with cluster(workers, scheduler) as engine:
        summary = write_psa(loaded, out, n=n, seed=seed, chunk_size=chunk_size, report_wtp=wtp, sets=set_,
                            wtp_max=wtp_max, wtp_step=wtp_step, invalid=invalid, evppi=evppi, memory_gb=memory,
                            sampler=sampler, quiet=quiet, engine=engine, structures=chosen)
    say(quiet, summary)
    say(quiet, f"\nResults written to {Path(out)}")

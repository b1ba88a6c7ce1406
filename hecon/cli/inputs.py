"""The user's own inputs on the analysis commands: ``--inputs DIR``, ``--parameters FILE``,
``--set NAME=VALUE``, ``--prior NAME``, ``--scenario-file`` and the one scenario filter ``--scenarios``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

InputsOpt = Annotated[Path | None, typer.Option(
    "--inputs", help="The model's inputs folder (parameters.csv, scenarios/, data files). Default: the "
                     "model's own (inputs/<model>/ beside the model file).")]
ParametersOpt = Annotated[Path | None, typer.Option(
    "--parameters", help="A whole parameter table (CSV in the model's schema) instead of the model's own.")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="NAME=VALUE (repeatable): hold a parameter at VALUE in every analysis (it must lie "
                  "in its distribution's support); a Dirichlet member takes VALUE as its share and "
                  "its siblings are rescaled.")]


def checked_sampler(value: str) -> str:
    """Callback of ``--sampler``: refuse an unknown sampler before any work."""
    from hecon.model.distributions import SAMPLERS

    if value not in SAMPLERS:
        raise typer.BadParameter(f"unknown sampler '{value}': use one of {', '.join(SAMPLERS)}")
    return value


SamplerOpt = Annotated[str, typer.Option(
    "--sampler", callback=checked_sampler, help="PSA draws by numpy's Generator method of each distribution ('generator') or by "
                      "inversion of its quantile function ('inversion', the draws of earlier hecon "
                      "versions): different, equally valid samples.")]
PriorOpt = Annotated[str | None, typer.Option(
    "--prior", help="Run under the model's prior of this name (its inputs' priors/priors.csv; the "
                    "flagship's: design, evidence, sceptical, enthusiastic, harm; docs/priors.md). "
                    "Default: the parameter table's own distributions.")]
ScenarioFileOpt = Annotated[list[Path] | None, typer.Option(
    "--scenario-file", help="A scenario YAML file, or a folder of them (repeatable), read beside "
                            "the model's own scenarios.")]
ScenariosOpt = Annotated[list[str] | None, typer.Option(
    "--scenarios", help="Run only the scenario of this name (repeatable). Default: all.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="Evaluate the chunks on a Dask cluster of N worker processes on this machine "
                             "(one thread each); the results are identical to a run without it "
                             "(docs/distributed.md).")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Evaluate the chunks on the existing Dask cluster whose scheduler is at ADDRESS "
                        "(e.g. tcp://10.0.0.5:8786), or whose scheduler wrote the JSON file ADDRESS "
                        "(dask scheduler --scheduler-file): SLURM, PBS, Kubernetes; docs/distributed.md.")]


def cluster(workers: int | None, scheduler: str | None):
    """The engine of ``--workers`` / ``--scheduler`` (a context manager: the local cluster is
    closed on exit); without either the run stays in this process and dask is not imported
    (:func:`hecon.analysis.batch.engine`)."""
    from hecon.analysis.batch import engine

    return engine(workers, scheduler)


def load_model(source, inputs: Path | None = None, parameters: Path | None = None, prior: str | None = None):
    """The model of ``source`` with the user's inputs folder and parameter table, under its
    prior ``prior`` (:func:`hecon.model.priors.under_prior`: every table it loads has the
    prior's distributions)."""
    from hecon.model import Model
    from hecon.model.priors import under_prior

    return under_prior(Model(source, inputs, parameters), prior)


def prior_of(model) -> str | None:
    """The name of the prior a model runs under (recorded in the manifest), or None."""
    from hecon.model.priors import ModelUnderPrior

    return model.prior.name if isinstance(model, ModelUnderPrior) else None


def scenario_sources(model, files: list[Path] | None) -> list[Path]:
    """The model's own scenario folder (when it has one) and the user's files and folders."""
    own = model.input_dir / "scenarios"
    return ([own] if own.is_dir() else []) + list(files or [])


def input_files(model, options, scenarios=()) -> dict[str, Path]:
    """Every file a run reads, role → path, for the manifest to hash: the model's inputs
    (parameter table, data files) and each scenario's file (``scenario:<name>``)."""
    return {**model.input_files(options),
            **{f"scenario:{s.name}": s.source for s in scenarios if s.source is not None}}


def parse_sets(specs: list[str] | None) -> dict[str, float]:
    """``["a=1", "b=2.5e3"]`` → ``{"a": 1.0, "b": 2500.0}``; a malformed or repeated
    setting is one clear error."""
    from hecon.errors import InputError
    from hecon.model.files import parse_number

    values: dict[str, float] = {}
    for spec in specs or []:
        name, sep, text = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--set: cannot read {spec!r}", fix="write --set NAME=VALUE, e.g. --set price=85")
        if name in values:
            raise InputError(f"--set: {name} is set twice", fix="set each parameter once")
        values[name] = parse_number(text.strip(), file="--set", row=None, column=name)
    return values


def parameter_table(model, options, sets: list[str] | None):
    """The model's parameter table with the ``--set`` values held (the manifest records them
    among the options)."""
    table = model.load_parameters(options)
    values = parse_sets(sets)
    return table.with_values(values) if values else table

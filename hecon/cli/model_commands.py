"""`hecon models`, `hecon new-model`, `hecon validate`, `hecon base`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hecon.cli._app import (
    OUT_HELP,
    ModelArg,
    QuietOpt,
    app,
    checked_out,
    say,
    user_errors,
)
from hecon.cli.inputs import (
    InputsOpt,
    ParametersOpt,
    PriorOpt,
    SetOpt,
    load_model,
    parameter_table,
    parse_sets,
    prior_of,
)

OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help=f"{OUT_HELP} Default: results/<model>-<command>.",
                                            callback=checked_out)]


def default_out(model: str, command: str, out: Path | None) -> Path:
    return out if out is not None else Path("results") / f"{model}-{command}"


@app.command("models")
@user_errors
def models_command() -> None:
    """List the models, with their strategies."""
    from hecon.model import Model, available_models

    for name in available_models():
        model = Model(name)
        typer.echo(f"{name}: {model.title} (strategies: {', '.join(model.strategies)})")


@app.command("new-model")
@user_errors
def new_model_command(
    name: Annotated[str, typer.Argument(help="The new model's name (an identifier: my_model).")],
    folder: Annotated[Path, typer.Option("--dir", help="Folder to write it in (created if missing).")] = Path("."),
    quiet: QuietOpt = False,
) -> None:
    """Write a runnable new model: NAME.py, inputs/NAME/ (parameters, a scenario) and test_NAME.py."""
    from hecon.model.skeleton import write_skeleton

    written = write_skeleton(name, folder)
    say(quiet, "\n".join(f"wrote {path}" for path in written))
    say(quiet, f"\nRun it:  hecon base {written[0]} --out results/{name}-base\n"
               f"Test it: python -m pytest {written[1]}")


@app.command("validate")
@user_errors
def validate_command(
    target: Annotated[str, typer.Argument(help="A model name, a model file (my_model.py), or the path of a parameter CSV.")],
    inputs: InputsOpt = None,
    prior: PriorOpt = None,
) -> None:
    """Validate a parameter table (the model's, under its prior ``--prior``) and print it."""
    import pandas as pd

    from hecon.model.parameters import ParameterTable

    path = Path(target)
    is_table = path.suffix == ".csv" or (path.suffix != ".py" and path.exists())
    table = ParameterTable.load(path) if is_table else load_model(target, inputs, prior=prior).parameters
    frame = table.to_frame()
    columns = [c for c in ("name", "value", "unit", "distribution", "low", "high", "status") if c in frame]
    with pd.option_context("display.max_rows", None, "display.width", 160, "display.max_colwidth", 40):
        typer.echo(frame[columns].to_string(index=False))
    typer.echo(f"\n{len(frame)} parameters, valid.")


@app.command("base")
@user_errors
def base_command(model: ModelArg, out: OutOpt = None, inputs: InputsOpt = None, parameters: ParametersOpt = None,
                 set_: SetOpt = None, prior: PriorOpt = None,
                 quiet: QuietOpt = False) -> None:
    """Base case: cost-consequence table, ICERs per effect, traces and manifest."""
    from hecon.analysis.basecase import base_case
    from hecon.analysis.result import model_meta
    from hecon.results.text import console_table
    from hecon.results.write import write

    loaded = load_model(model, inputs, parameters, prior)
    options = loaded.options()
    table = parameter_table(loaded, options, set_)
    result = base_case(loaded, options, table)
    out = default_out(loaded.name, "base", out)
    write(out, loaded.source, result.result(**model_meta(loaded, table)),
          command="base", inputs=loaded.input_files(options),
          options={**vars(options), "set": parse_sets(set_), "prior": prior_of(loaded)})
    say(quiet, console_table(result, loaded.strategy_labels))
    say(quiet, f"\nResults written to {out}")

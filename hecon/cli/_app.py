"""The typer application and what every command shares: error handling, options, output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated

import typer

from hecon import __version__

app = typer.Typer(
    name="hecon",
    help="Health-economic evaluation: base case, PSA, value of information, sensitivity analyses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ModelArg = Annotated[str, typer.Argument(help="Model name (see `hecon models`).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the random draws (integer ≥ 0).", min=0)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
WtpMaxOpt = Annotated[float, typer.Option("--wtp-max", help="Largest willingness to pay of the curves (€ per unit of effect).")]
WtpStepOpt = Annotated[float, typer.Option("--wtp-step", help="Step of the willingness-to-pay grid (€).")]


def fail(message: str, code: int = 2) -> None:
    """End the command with one line on stderr and a non-zero exit code."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def user_errors(command: Callable) -> Callable:
    """Turn the library's InputError / ModelError into one line on stderr and exit code 2."""
    from hecon.errors import InputError, ModelError

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (InputError, ModelError) as error:
            fail(str(error))
        except KeyboardInterrupt:
            fail("interrupted; nothing was written", code=130)

    return wrapper


def say(quiet: bool, message: str = "") -> None:
    """Print to stdout unless --quiet."""
    if not quiet:
        typer.echo(message)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"hecon {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """hecon: every analysis is a batch of parameter sets through one vectorised model."""


def main() -> None:
    """Console entry point."""
    try:
        app()
    except SystemExit as exit_:
        sys.exit(exit_.code)

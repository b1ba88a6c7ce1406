"""The typer application and what every command shares: error handling, options, output."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from typer.core import TyperGroup

from hecon import __version__


class OneLineErrors(TyperGroup):
    """The command group whose usage errors (an unknown option, a missing value, text where a
    number is expected) end, like every other mistake, in one line on stderr and exit code 2."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except typer.TyperException as error:
            if not standalone_mode:
                raise
            if type(error).__name__ == "NoArgsIsHelpError":
                error.show()  # `hecon` alone asks for its help: shown whole, as click shows it
                sys.exit(2)
            context = getattr(error, "ctx", None)
            command = context.command_path if context is not None else "hecon"
            error_line(f"{error.format_message()} (fix: see '{command} --help')")
            sys.exit(2)
        except typer.Abort:
            if not standalone_mode:
                raise
            error_line("interrupted; nothing was written")
            sys.exit(130)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    name="hecon",
    help="Health-economic evaluation: base case, PSA, value of information, sensitivity analyses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ModelArg = Annotated[str, typer.Argument(help="Model name (see `hecon models`) or path of a model file (my_model.py).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the random draws (integer ≥ 0).", min=0)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
WtpMaxOpt = Annotated[float, typer.Option("--wtp-max", help="Largest willingness to pay of the curves (€ per unit of effect).")]
OUT_HELP = ("Results folder, written atomically. An existing folder is replaced only if it is a "
            "hecon results folder (or empty).")
WtpStepOpt = Annotated[float, typer.Option("--wtp-step", help="Step of the willingness-to-pay grid (€).")]


def error_line(message: str) -> None:
    """Print ``error: message`` as one line on stderr."""
    from hecon.errors import one_line

    typer.echo(f"error: {one_line(message)}", err=True)


def fail(message: str, code: int = 2) -> None:
    """End the command with one line on stderr and a non-zero exit code."""
    error_line(message)
    raise typer.Exit(code)


def checked_out(value: Path | None) -> Path | None:
    """Callback of every ``--out`` option: refuse, at parse time and so before any work, an
    output folder that hecon may not replace (see :func:`hecon.results.folder.check_out`)."""
    if value is None:
        return None
    from hecon.errors import InputError
    from hecon.results.folder import check_out

    try:
        check_out(value)
    except InputError as error:
        fail(str(error))
    return value


OutOpt = Annotated[Path, typer.Option("--out", "-o", help=OUT_HELP, callback=checked_out)]


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
    """Run the command line on ``sys.argv``; raise SystemExit with the command's exit code."""
    try:
        app()
    except SystemExit as exit_:
        sys.exit(exit_.code)


def console() -> NoReturn:
    """The ``hecon`` program (and ``python -m hecon``): :func:`main`, then :func:`exit_now`
    with its exit code."""
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    exit_now(code)


def exit_now(code: int | str | None) -> NoReturn:
    """End the process with ``code`` (as ``sys.exit`` takes it) without the interpreter's teardown.

    The teardown frees, object by object, every imported module and the command's arrays:
    ≈ 0.25 s after ``hecon psa``, longer than ``hecon --help`` takes whole. The operating system
    frees the process at once instead. What must happen at exit still does: the atexit functions
    run (logging, temporary folders, coverage) and the standard streams are flushed. While a
    thread that is not a daemon is still at work, the interpreter ends as usual (it joins it).
    """
    if any(thread.is_alive() and not thread.daemon and thread is not threading.main_thread()
           for thread in threading.enumerate()):
        sys.exit(code)
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # sys.exit("message"): the message, and exit code 1
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (hecon … | head): as Python ends then
            code = code or 120
    os._exit(code or 0)

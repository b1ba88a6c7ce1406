"""Command-line interface: thin typer commands that parse, call the library and print."""

import hecon.cli.cea_commands  # noqa: F401  (registers the commands)
import hecon.cli.evsi_commands  # noqa: F401  (registers the commands)
import hecon.cli.export_commands  # noqa: F401  (registers the commands)
import hecon.cli.trial_commands  # noqa: F401  (registers the commands)
from hecon.cli import model_commands, psa_commands, run_commands, sensitivity_commands  # noqa: F401  (registers the commands)
from hecon.cli._app import app, console, main

__all__ = ["app", "console", "main"]

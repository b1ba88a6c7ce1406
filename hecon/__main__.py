"""``python -m hecon`` runs the command-line interface."""

from hecon.cli import console

console()

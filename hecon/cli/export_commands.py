"""`hecon export`: PSA draws as the wide matrices R's dampack and BCEA read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hecon.analysis.memory import DEFAULT_BUDGET_GB
from hecon.cli._app import OutOpt, QuietOpt, app, say, user_errors
from hecon.cli.cea_commands import CostOpt
from hecon.cli.sensitivity_commands import MemoryOpt

SourceArg = Annotated[Path, typer.Argument(help="Results folder of `hecon psa` or `hecon run` (its psa.csv.gz), or a PSA file (CSV, long or wide layout, or .xlsx).")]
ToOpt = Annotated[str, typer.Option("--to", help="R package to export for: dampack or bcea.")]
EffectOpt = Annotated[str | None, typer.Option("--effect", help="Effect: for a results folder, one of the model's declared effects (default: its main effect, e.g. qalys_disc); for a PSA file, its effect column (long layout) or token (wide layout).")]
ReferenceOpt = Annotated[str | None, typer.Option("--reference", help="Reference strategy (BCEA's ref). Default: the model's comparator, or the file's first strategy.")]


@app.command("export")
@user_errors
def export_command(
    source: SourceArg,
    to: ToOpt,
    out: OutOpt,
    effect: EffectOpt = None,
    cost: CostOpt = None,
    reference: ReferenceOpt = None,
    memory: MemoryOpt = DEFAULT_BUDGET_GB,
    quiet: QuietOpt = False,
) -> None:
    """PSA draws for R: cost and effect matrices (draws × strategies) and the uncertain
    parameters' draws, as dampack's make_psa_obj or BCEA's bcea and evppi read them."""
    from hecon.results import export

    export.check_format(to)
    draws = export.read_draws(source, effect=effect, cost=cost, reference=reference, memory_gb=memory)
    written = export.write_export(out, draws, to)
    say(quiet, export.describe(draws))
    say(quiet, f"\nWrote {', '.join(written)}, manifest.json to {out} "
               "(R code: docs/cea.md, \"R users\")")

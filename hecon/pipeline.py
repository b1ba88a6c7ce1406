"""Analyses end to end: compute, then write tables, figures and the manifest into an atomic
results folder. The command-line interface calls these; so can a script."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from hecon.decision import decision_analysis, wtp_grid
from hecon.io import manifest, results_folder, write_csv, write_manifest
from hecon.model import Model
from hecon.plots import decision_figures, write_figure
from hecon.progress import progress_bar
from hecon.psa import PSA, run_psa

EVPPI_CHOICES = ("groups", "all", "none")


def evppi_groups(psa: PSA) -> dict[str, list[str]]:
    """The parameter table's groups, restricted to the parameters the PSA varies."""
    table = psa.model.load_parameters()
    varied = set(psa.uncertain)
    groups = {name: [p for p in members if p in varied] for name, members in table.groups.items()}
    return {name: members for name, members in groups.items() if members}


def psa_analysis(psa: PSA, report_wtp: Sequence[float] | None = None, *, wtp_max: float = 200_000.0,
                 wtp_step: float = 1_000.0, evppi: str = "groups", note=None):
    """The decision analysis of a model's PSA on its main effect (QALYs): EVPPI of the
    parameter table's groups (``evppi="groups"``), of every parameter (``"all"``) or none."""
    grid, report = wtp_grid(report_wtp, wtp_max, wtp_step)
    costs, effects = psa.costs_effects(psa.model.effects[0])
    parameters = psa.valid_parameters() if evppi != "none" else None
    return decision_analysis(costs, effects, psa.model.strategies, grid, report,
                             parameters=parameters, groups=evppi_groups(psa) if evppi != "none" else None,
                             singles=evppi == "all", seed=psa.seed, note=note)


def write_psa_files(folder: Path, psa: PSA, analysis) -> list[Path]:
    """Write the PSA's tables and figures into ``folder``."""
    written = [
        write_csv(psa.frame(), folder / "psa.csv.gz", compression={"method": "gzip", "compresslevel": 1}),
        write_csv(psa.summary(), folder / "psa_summary.csv"),
        write_csv(psa.invalid, folder / "invalid_draws.csv"),
    ]
    written += [write_csv(table, folder / f"{name}.csv") for name, table in analysis.tables().items()]
    effect = psa.model.effects[0]
    figures = decision_figures(analysis, comparator=psa.model.comparator,
                               effect_unit=effect.label.removesuffix(" gained"))
    for stem, figure in figures.items():
        written += write_figure(figure, folder, stem)
    return written


def write_psa(model: Model, out: str | Path, *, n: int, seed: int, chunk_size: int | None = 10_000,
              report_wtp: Sequence[float] | None = None, wtp_max: float = 200_000.0,
              wtp_step: float = 1_000.0, invalid: str = "drop", evppi: str = "groups",
              quiet: bool = False) -> str:
    """`hecon psa`: run the PSA, analyse it, write the results folder; return a summary text."""
    options = model.options()
    notes: list[str] = []
    with progress_bar(n, "PSA", quiet) as advance:
        psa = run_psa(model, n, seed, options=options, chunk_size=chunk_size, invalid=invalid,
                      progress=advance)
    analysis = psa_analysis(psa, report_wtp, wtp_max=wtp_max, wtp_step=wtp_step, evppi=evppi,
                            note=notes.append)
    with results_folder(out) as folder:
        write_psa_files(folder, psa, analysis)
        write_manifest(folder, manifest(
            model=model.name, command="psa", inputs=model.input_files(options), seed=seed,
            options={**vars(options), "n": n, "chunk_size": chunk_size, "invalid": invalid,
                     "report_wtp": analysis.report.tolist(), "evppi": evppi},
            extra={"invalid_draws": len(psa.invalid), "notes": notes}))
    return psa_text(psa, analysis, notes)


def psa_text(psa: PSA, analysis, notes: Sequence[str] = ()) -> str:
    """A console summary of a PSA: invalid draws, the ICER table, probability cost-effective."""
    lines = [f"{psa.parameters.n} draws (seed {psa.seed}); "
             f"{len(psa.invalid)} could not be evaluated"
             + (" and were excluded (see invalid_draws.csv)" if len(psa.invalid) else "")]
    lines += [f"note: {text}" for text in notes]
    lines.append("\nICERs of the expected values (per QALY gained)")
    lines.append(analysis.icers.to_string(index=False))
    at_report = analysis.ceac[analysis.ceac["wtp"].isin(analysis.report)]
    table = at_report.pivot(index="wtp", columns="strategy", values="probability")
    lines.append("\nProbability cost-effective")
    lines.append(pd.DataFrame(table).to_string())
    return "\n".join(lines)

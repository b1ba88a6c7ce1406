"""`hecon cea` and `hecon voi`: decision analytics of a PSA file produced anywhere.

Willingness to pay: the curves (CEAC, EVPI, expected loss) cover the grid 0, step, …, max
plus the report thresholds (``--wtp``, repeatable; by default 20,000, 50,000 and 100,000
per unit of effect, common reference values where no official threshold exists). The NMB
table and the EVPPI are given at the report thresholds and at the grid threshold where the
EVPI peaks (where decision uncertainty costs the most), which keeps the EVPPI's one
regression per parameter cheap.

Draws the model could not evaluate (a missing cost or effect: an empty cell, NA, NaN) are left
out, counted in a note and in the manifest, when the file is a ``psa.csv.gz`` that hecon wrote
(its SHA-256 is the one its results folder's manifest records) or on ``--drop-unevaluated``;
in any other file a missing value is refused, naming the row.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hecon.analysis.memory import DEFAULT_BUDGET_GB
from hecon.analysis.wtp import WTP_MAX, WTP_STEP
from hecon.cli._app import OutOpt, QuietOpt, SeedOpt, WtpMaxOpt, WtpStepOpt, app, say, user_errors
from hecon.cli.sensitivity_commands import MemoryOpt

if TYPE_CHECKING:

    from hecon.analysis.psafile import PSA
    from hecon.analysis.voi import Population

PsaArg = Annotated[Path, typer.Argument(help="PSA results: CSV (long or wide layout) or .xlsx.")]
EffectOpt = Annotated[str | None, typer.Option("--effect", help="Effect column (long layout, e.g. qaly) or the effect token joined to strategy names (wide layout, e.g. LYs).")]
CostOpt = Annotated[str | None, typer.Option("--cost", help="Cost column (long layout) or cost token (wide layout).")]
WtpOpt = Annotated[list[float] | None, typer.Option("--wtp", help="Report willingness to pay per unit of effect (repeatable). Default: 20000, 50000, 100000.")]
CurrencyOpt = Annotated[str, typer.Option("--currency", help="Currency label of the figures.")]
DropOpt = Annotated[bool, typer.Option("--drop-unevaluated", help="Leave out the draws whose cost or effect is missing (empty, NA, NaN): draws the model could not evaluate. Automatic for a psa.csv.gz hecon wrote.")]
UnitOpt = Annotated[str | None, typer.Option("--effect-unit", help="Unit of effect in the figures (default: from the file's effect name, else QALY).")]


def effect_unit_of(psa: PSA, unit: str | None) -> str:
    """The figures' unit of effect: the one given, else read from the file's effect name."""
    if unit:
        return unit
    name = psa.effect_name.lower()
    if name.startswith("qaly"):
        return "QALY"
    if name.startswith(("ly", "life")):
        return "life year"
    return "QALY" if name in ("effect", "effects", "eff", "e") else psa.effect_name


def read_psa_file(path: Path, effect: str | None, cost: str | None, memory_gb: float,
               drop_unevaluated: bool) -> PSA:
    """The PSA file, without the draws the model could not evaluate when it is hecon's own
    or ``drop_unevaluated`` is asked."""
    from hecon.analysis.psafile import read_psa
    from hecon.results.folder import written_by_hecon

    return read_psa(path, effect=effect, cost=cost, memory_gb=memory_gb,
                    drop_unevaluated=drop_unevaluated or written_by_hecon(path))


def parse_groups(specs: list[str] | None) -> dict[str, list[str]]:
    """``NAME=p1,p2`` → ``{NAME: [p1, p2]}``; the name is an identifier (a row of the EVPPI table)."""
    from hecon.errors import InputError
    from hecon.model.files import check_identifier, shown

    groups = {}
    for spec in specs or []:
        name, sep, members = spec.partition("=")
        columns = [m.strip() for m in members.split(",") if m.strip()]
        if not sep or not name.strip() or not columns:
            raise InputError(f"cannot read the group {shown(spec)}", fix="write --group NAME=p1,p2")
        groups[check_identifier(name.strip(), "--group name", fix="write --group NAME=p1,p2")] = columns
    return groups


def population_of(size: float | None, incidence: float | None, horizon: float | None,
                  discount: float) -> Population | None:
    """The population of the population EVPI, from --population or --incidence/--horizon."""
    from hecon.analysis import voi
    from hecon.analysis.voi import Population
    from hecon.errors import InputError

    if size is not None and (incidence is not None or horizon is not None):
        raise InputError("give either --population or --incidence with --horizon, not both",
                         fix="keep one way of stating the population")
    if size is not None:
        if not 0 <= size <= voi.MAX_ANNUAL_INCIDENCE:
            raise InputError(f"--population must be a number from 0 to {voi.MAX_ANNUAL_INCIDENCE:g} "
                             f"(about the world's population), not {size:g}",
                             fix="give the effective (discounted) number of patients concerned")
        return Population(annual_incidence=size, horizon_years=1.0)
    if (incidence is None) != (horizon is None):
        raise InputError("--incidence and --horizon go together",
                         fix="give both, e.g. --incidence 5000 --horizon 10")
    if incidence is None:
        return None
    return Population(annual_incidence=incidence, horizon_years=horizon, discount_rate=discount)


@app.command("cea")
@user_errors
def cea_command(
    psa_file: PsaArg,
    out: OutOpt,
    effect: EffectOpt = None,
    cost: CostOpt = None,
    wtp: WtpOpt = None,
    wtp_max: WtpMaxOpt = WTP_MAX,
    wtp_step: WtpStepOpt = WTP_STEP,
    currency: CurrencyOpt = "€",
    effect_unit: UnitOpt = None,
    drop_unevaluated: DropOpt = False,
    seed: SeedOpt = 0,
    memory: MemoryOpt = DEFAULT_BUDGET_GB,
    quiet: QuietOpt = False,
) -> None:
    """Decision analytics of a PSA file: ICERs, NMB, CEAC/CEAF, EVPI, EVPPI, expected loss."""
    from hecon.analysis.decision import decision_analysis, wtp_grid
    from hecon.results.folder import check_out

    check_out(out, [psa_file])
    psa = read_psa_file(psa_file, effect, cost, memory, drop_unevaluated)
    grid, report = wtp_grid(wtp, wtp_max, wtp_step)
    unit = effect_unit_of(psa, effect_unit)
    notes = _notes(psa)
    analysis = decision_analysis(psa.costs, psa.effects, psa.strategies, grid, report,
                                 parameters=psa.parameters, seed=seed, note=notes.append, memory_gb=memory)
    icers = analysis.icers
    _write(out, psa, analysis.result(currency=currency, effect_unit=unit), "cea", seed, {
        "effect": effect, "cost": cost, "report_wtp": report.tolist(), "wtp_max": wtp_max,
        "wtp_step": wtp_step, "currency": currency, "effect_unit": unit,
        "drop_unevaluated": drop_unevaluated}, notes)
    say(quiet, _summary(psa, notes))
    say(quiet, icers.to_string(index=False))
    say(quiet, f"\nResults written to {out}")


@app.command("voi")
@user_errors
def voi_command(
    psa_file: PsaArg,
    out: OutOpt,
    group: Annotated[list[str] | None, typer.Option("--group", help="Parameter group NAME=p1,p2 (repeatable); each parameter alone is always included.")] = None,
    population: Annotated[float | None, typer.Option("--population", help="Effective population (already discounted) for the population EVPI.")] = None,
    incidence: Annotated[float | None, typer.Option("--incidence", help="Patients concerned per year.")] = None,
    horizon: Annotated[float | None, typer.Option("--horizon", help="Decision horizon in years.")] = None,
    discount: Annotated[float, typer.Option("--discount", help="Annual discount rate of the population (0.025 for 2.5 %).")] = 0.0,
    effect: EffectOpt = None,
    cost: CostOpt = None,
    wtp: WtpOpt = None,
    wtp_max: WtpMaxOpt = WTP_MAX,
    wtp_step: WtpStepOpt = WTP_STEP,
    currency: CurrencyOpt = "€",
    effect_unit: UnitOpt = None,
    drop_unevaluated: DropOpt = False,
    seed: SeedOpt = 0,
    memory: MemoryOpt = DEFAULT_BUDGET_GB,
    quiet: QuietOpt = False,
) -> None:
    """Value of information of a PSA file: EVPI (per patient and population) and EVPPI."""
    import numpy as np

    from hecon.analysis import voi
    from hecon.analysis.decision import partial_information, wtp_grid
    from hecon.analysis.result import Result
    from hecon.results.folder import check_out

    check_out(out, [psa_file])
    psa = read_psa_file(psa_file, effect, cost, memory, drop_unevaluated)
    groups = parse_groups(group)
    people = population_of(population, incidence, horizon, discount)
    grid, report = wtp_grid(wtp, wtp_max, wtp_step)
    unit = effect_unit_of(psa, effect_unit)
    perfect = voi.evpi_table(psa.costs, psa.effects, grid, people)
    partial = None
    notes = _notes(psa)
    if not psa.parameters.empty:
        peak = perfect["wtp"].to_numpy()[perfect["evpi"].to_numpy().argmax()]
        partial = partial_information(psa.costs, psa.effects, psa.parameters,
                                      np.union1d(report, [peak]), groups=groups, seed=seed,
                                      note=notes.append, memory_gb=memory)
    meta = {"currency": currency, "effect_unit": unit, "report_wtp": report.tolist()}
    result = Result("voi", {"evpi": perfect, "evppi": partial}, meta, "evpi")
    _write(out, psa, result, "voi", seed, {
        "effect": effect, "cost": cost, "groups": groups, "report_wtp": report.tolist(),
        "wtp_max": wtp_max, "wtp_step": wtp_step, "population": people and vars(people),
        "effective_population": people and people.size(), "currency": currency,
        "effect_unit": unit, "drop_unevaluated": drop_unevaluated}, notes)
    say(quiet, _summary(psa, notes))
    at_report = perfect[perfect["wtp"].isin(report)]
    say(quiet, at_report.to_string(index=False))
    say(quiet, f"\nResults written to {out}")


def _notes(psa: PSA) -> list[str]:
    """The notes of an analysis of ``psa`` (shown and kept in the manifest), to which the
    analysis adds its own (an EVPPI skipped or clipped)."""
    notes = []
    if psa.excluded:
        notes.append(f"{psa.excluded} draw{'s' if psa.excluded > 1 else ''} the model could not evaluate "
                     f"(no cost or effect) left out: the analysis uses the other {psa.n_draws}")
    if psa.parameters.empty:
        notes.append("no parameter columns: EVPPI skipped")
    return notes


def _write(out: Path, psa: PSA, result, command: str, seed: int, options: dict, notes: list[str]) -> None:
    """The Result of an analysis of a PSA file through the one writer."""
    from hecon.results.write import write

    write(out, "psa-file", result, command=command, inputs={"psa": psa.source}, seed=seed,
          options=options, extra={
                     "psa": {"format": psa.format, "strategies": list(psa.strategies),
                             "draws": psa.n_draws, "excluded_draws": psa.excluded, "cost": psa.cost_name,
                             "effect": psa.effect_name,
                             "parameters": list(map(str, psa.parameters.columns)),
                             "ignored_columns": list(psa.ignored)},
                     "notes": notes})


def _summary(psa: PSA, notes: list[str]) -> str:
    ignored = f"; ignored derived columns: {', '.join(psa.ignored)}" if psa.ignored else ""
    return "".join(f"note: {text}\n" for text in notes) + (
        f"{psa.source.name}: {psa.format} layout, {psa.n_draws} draws, strategies "
        f"{', '.join(psa.strategies)}, {len(psa.parameters.columns)} parameters{ignored}\n")

"""The decision analytics of a PSA, in one call: what `hecon cea`, `hecon psa` and `hecon run`
write. Pure computation on ``[draws, strategies]`` arrays; its Result's tables are drawn by
the figure registry (:mod:`hecon.results.figures`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.analysis import cea, memory, voi
from hecon.analysis.metamodel import SPLINE_BASIS_SIZE
from hecon.analysis.result import Result
from hecon.analysis.wtp import REPORT_WTP, WTP_MAX, WTP_STEP
from hecon.errors import InputError

MAX_GRID_POINTS = 100_001


def wtp_grid(report: Sequence[float] | None, wtp_max: float = WTP_MAX,
             wtp_step: float = WTP_STEP) -> tuple[np.ndarray, np.ndarray]:
    """The curves' grid 0 … ``wtp_max`` (with the report thresholds in it) and the report
    thresholds themselves."""
    if not (0 < wtp_max <= cea.LARGEST_VALUE and 0 < wtp_step <= cea.LARGEST_VALUE):
        raise InputError(f"--wtp-max and --wtp-step must be positive numbers, at most {cea.LARGEST_VALUE:g}",
                         fix="give e.g. --wtp-max 200000 --wtp-step 1000")
    if wtp_max / wtp_step >= MAX_GRID_POINTS:
        raise InputError(f"the grid would hold more than {MAX_GRID_POINTS:,} thresholds",
                         fix="increase --wtp-step")
    chosen = cea.wtp_values(report if report else REPORT_WTP)
    grid = np.arange(0.0, wtp_max + wtp_step / 2, wtp_step)
    return np.union1d(grid, chosen), np.unique(chosen)


@dataclass(frozen=True)
class DecisionAnalysis:
    """ICERs, NMB, CEAC/CEAF, EVPI, EVPPI and expected loss of one PSA."""

    strategies: tuple[str, ...]
    costs: np.ndarray
    effects: np.ndarray
    grid: np.ndarray
    report: np.ndarray
    icers: pd.DataFrame
    nmb: pd.DataFrame
    ceac: pd.DataFrame
    evpi: pd.DataFrame
    expected_loss: pd.DataFrame
    evppi: pd.DataFrame | None

    def tables(self) -> dict[str, pd.DataFrame]:
        """File stem → table, for the tables that exist; ``ce_plane`` holds each draw's cost
        and effect by strategy (``draw, strategy, cost, effect``), the points of the CE plane."""
        n_draws = self.costs.shape[0]
        plane = pd.DataFrame({"draw": np.repeat(np.arange(n_draws), len(self.strategies)),
                              "strategy": np.tile(np.asarray(self.strategies, dtype=object), n_draws),
                              "cost": self.costs.ravel(), "effect": self.effects.ravel()})
        tables = {"icers": self.icers, "nmb": self.nmb, "ceac": self.ceac, "evpi": self.evpi,
                  "evppi": self.evppi, "expected_loss": self.expected_loss, "ce_plane": plane}
        return {name: table for name, table in tables.items() if table is not None}

    def result(self, **meta) -> Result:
        """The analysis as a :class:`~hecon.analysis.result.Result`; ``meta`` adds the units,
        the comparator and labels (the report thresholds are recorded as ``report_wtp``)."""
        return Result("decision", self.tables(), {"report_wtp": self.report.tolist(), **meta}, "icers")


def partial_information(costs, effects, parameters: pd.DataFrame, thresholds: np.ndarray, *,
                        groups: Mapping[str, Sequence[str]] | None = None, singles: bool = True,
                        seed: int = 0, note: Callable[[str], None] | None = None,
                        memory_gb: float = memory.DEFAULT_BUDGET_GB) -> pd.DataFrame | None:
    """EVPPI of each parameter alone (if ``singles``) and of each group, at ``thresholds``.

    With no subset to estimate, fewer than :data:`~hecon.analysis.voi.MIN_EVPPI_DRAWS` draws, or a
    regression whose working memory (:func:`~hecon.analysis.voi.evppi_bytes`) exceeds ``memory_gb``,
    the EVPPI is skipped (None) and ``note`` says why; warnings of the regression (an estimate
    set to the EVPI) go to ``note`` too. The regressions run side by side, one per core, as many
    at once as the budget holds.
    """
    note = note if note is not None else (lambda text: None)
    if not (singles or groups):
        note("EVPPI skipped: no parameter group to estimate it for (the parameter table has none)")
        return None
    n_draws = len(parameters)
    if n_draws < voi.MIN_EVPPI_DRAWS:
        note(f"EVPPI skipped: its regression needs more draws than the {SPLINE_BASIS_SIZE} "
             f"coefficients of its spline, at least {voi.MIN_EVPPI_DRAWS}, and the PSA has {n_draws}")
        return None
    needed, budget = voi.evppi_bytes(n_draws, np.atleast_2d(costs).shape[1]), memory.as_bytes(memory_gb)
    if needed > budget:
        note(f"EVPPI skipped: its regression on {n_draws:,} draws needs about {needed / memory.GIB:,.1f} GiB "
             f"of memory, more than the budget of {budget / memory.GIB:,.1f} GiB (raise --memory)")
        return None
    from hecon.analysis.threads import cores

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", voi.EVPPIClippedWarning)
        frames = []
        workers = min(cores(), budget // needed)  # side by side, one per core, within the budget
        if singles:
            frames.append(voi.evppi(costs, effects, parameters, thresholds, seed=seed, workers=workers))
        if groups:
            frames.append(voi.evppi(costs, effects, parameters, thresholds, groups=groups, seed=seed,
                                    workers=workers))
    for warning in caught:
        note(str(warning.message))
    return pd.concat(frames, ignore_index=True)


def decision_analysis(costs, effects, strategies: Sequence[str], grid: np.ndarray,
                      report: np.ndarray, *, parameters: pd.DataFrame | None = None,
                      groups: Mapping[str, Sequence[str]] | None = None, singles: bool = True,
                      population: voi.Population | None = None, seed: int = 0,
                      note: Callable[[str], None] | None = None,
                      memory_gb: float = memory.DEFAULT_BUDGET_GB) -> DecisionAnalysis:
    """Every decision analytic of a PSA: the ICER table of the expected values, NMB at the
    report thresholds, CEAC (with CEAF), EVPI (population too, if given) and expected loss
    over the grid, and EVPPI at the report thresholds and where the EVPI peaks (when
    parameter draws are given; see :func:`partial_information` for when it is skipped)."""
    names = list(strategies)
    perfect = voi.evpi_table(costs, effects, grid, population)
    partial = None
    if parameters is not None and not parameters.empty:
        peak = perfect["wtp"].to_numpy()[perfect["evpi"].to_numpy().argmax()]
        partial = partial_information(costs, effects, parameters, np.union1d(report, [peak]),
                                      groups=groups, singles=singles, seed=seed, note=note,
                                      memory_gb=memory_gb)
    return DecisionAnalysis(
        tuple(names), np.asarray(costs), np.asarray(effects), grid, report,
        icers=cea.icer_table(costs, effects, names),
        nmb=cea.nmb_table(costs, effects, names, report),
        ceac=cea.ceac(costs, effects, names, grid),
        evpi=perfect,
        expected_loss=cea.expected_loss(costs, effects, names, grid),
        evppi=partial,
    )

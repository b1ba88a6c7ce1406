"""Probabilistic sensitivity analysis of a model: seeded draws, chunked evaluation, summaries.

Each chunk of the n parameter sets is drawn where it is evaluated (one seeded stream per
parameter and block of draws, see :meth:`hecon.model.parameters.ParameterTable.sample`), in
this process or on a Dask cluster (:mod:`hecon.analysis.batch`); a set's outcomes depend only on
its own parameters, so the results are identical whatever the chunk size and the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from hecon.analysis import memory
from hecon.analysis.batch import DaskEngine, Draws, InProcess, evaluate_batch
from hecon.analysis.decision import decision_analysis, wtp_grid
from hecon.analysis.voi import evppi_bytes
from hecon.analysis.wtp import WTP_MAX, WTP_STEP
from hecon.errors import ModelError
from hecon.model import Effect, Model
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterSets, ParameterTable

INVALID_POLICIES = ("drop", "error")


@dataclass(frozen=True)
class PSA:
    """The draws of a PSA and the model's outcomes for them.

    ``outcomes.problems`` lists the draws the model could not evaluate; with the ``drop``
    policy they are excluded from every summary (:meth:`valid_outcomes`) and reported.
    The draws' parameter sets (:attr:`parameters`) are sampled again when first asked for,
    so that a PSA run on a cluster never holds them all on the client until then.
    """

    model: Model
    draws: Draws
    outcomes: Outcomes

    @property
    def seed(self) -> int:
        return self.draws.seed

    @property
    def uncertain(self) -> tuple[str, ...]:
        return tuple(self.draws.table.uncertain)

    @cached_property
    def parameters(self) -> ParameterSets:
        """Every draw's parameter set: the very sets evaluated (:meth:`ParameterTable.sample`)."""
        return self.draws.sets(0, self.draws.n)

    @property
    def invalid(self) -> pd.DataFrame:
        """Draws the model could not evaluate: ``draw, reason``."""
        return self.outcomes.problems.rename(columns={"set": "draw"})

    def valid_outcomes(self) -> Outcomes:
        return self.outcomes.take(self.outcomes.valid)

    def valid_parameters(self) -> pd.DataFrame:
        """The uncertain parameters' draws of the valid sets (for EVPPI)."""
        frame = self.parameters.to_frame()[list(self.uncertain)]
        return frame[self.outcomes.valid].reset_index(drop=True)

    def costs_effects(self, effect: Effect) -> tuple[np.ndarray, np.ndarray]:
        """Total costs and the effect ("more is better") of the valid draws, ``[draws, strategies]``."""
        valid = self.valid_outcomes()
        return valid.total_cost, effect.of(valid)

    def frame(self) -> pd.DataFrame:
        """One row per draw and strategy: every parameter, cost component and consequence."""
        wide = self.outcomes.wide().rename(columns={"set": "draw"})
        params = self.parameters.to_frame()
        params.insert(0, "draw", np.arange(self.parameters.n))
        return wide.merge(params, on="draw", how="left")

    def summary(self) -> pd.DataFrame:
        """Per strategy and per increment vs the comparator: mean, 2.5 % and 97.5 % quantiles
        of every cost and consequence over the valid draws."""
        valid = self.valid_outcomes()
        ref = valid.strategies.index(self.model.comparator)
        rows = []
        for name in valid.names:
            values = valid[name]
            series = {s: values[:, j] for j, s in enumerate(valid.strategies)}
            series |= {f"{s} - {self.model.comparator}": values[:, j] - values[:, ref]
                       for j, s in enumerate(valid.strategies) if j != ref}
            for label, draws in series.items():
                low, high = np.quantile(draws, [0.025, 0.975])
                rows.append({"outcome": name, "label": valid.label(name), "strategy_or_increment": label,
                             "mean": draws.mean(), "p2_5": low, "p97_5": high})
        return pd.DataFrame(rows)


def psa_bytes(n: int, parameters: int, strategies: int, outcomes: int, *, evppi: bool = True) -> int:
    """Peak memory (bytes) of a PSA of ``n`` draws, estimated before sampling.

    Kept throughout: the sampled parameters and every outcome of every strategy,
    8 · n · (P + S · O) (:func:`hecon.analysis.memory.batch_bytes`). On top, the larger of the EVPPI's
    regression (:func:`hecon.analysis.voi.evppi_bytes`, when asked for) and the long table of
    ``psa.csv.gz`` (one row per draw and strategy: draw, strategy, O outcomes and P parameters,
    held twice while it is built), 2 · 8 · n · S · (P + O + 2). The model's own working memory
    is bounded by its chunk size.
    """
    kept = memory.batch_bytes(n, parameters, strategies, outcomes)
    table = 2 * memory.FLOAT_BYTES * n * strategies * (parameters + outcomes + 2)
    return kept + max(table, evppi_bytes(n, strategies) if evppi else 0)


def require_psa_memory(model: Model, table: ParameterTable, options, n: int, budget_bytes: int, *,
                       evppi: bool = True, option: str = "--n") -> None:
    """Refuse, before any draw is sampled, a PSA whose :func:`psa_bytes` exceed the budget,
    with the estimate and the largest number of draws that fits. The model's outcomes are
    counted on its base case (one set)."""
    base = model.evaluate(table.base_case(), options)
    size = (len(table.names), len(base.strategies), len(base.names))
    per_draw = psa_bytes(1, *size, evppi=evppi)
    largest = budget_bytes // per_draw
    memory.require(psa_bytes(n, *size, evppi=evppi), budget_bytes,
                   f"a PSA of {option} {n:,} draws ({per_draw / 1024:,.1f} KiB a draw)",
                   fix=f"use {option} {largest:,} or fewer, or a larger --memory")


def run_psa(
    model: Model,
    n: int,
    seed: int,
    *,
    options=None,
    table: ParameterTable | None = None,
    chunk_size: int | None = 10_000,
    invalid: str = "drop",
    sampler: str = "generator",
    progress: Callable[[int], None] | None = None,
    engine: InProcess | DaskEngine | None = None,
) -> PSA:
    """Draw ``n`` parameter sets with ``seed`` and evaluate them in chunks of ``chunk_size``
    (None: one chunk), each drawn where it is evaluated: in this process, or on the Dask
    cluster of ``engine`` (:func:`hecon.analysis.batch.engine`), with identical results.

    ``sampler``: ``generator`` (numpy's Generator method of each distribution) or
    ``inversion`` (each quantile function of uniform draws): two different, equally valid
    samples of the same distributions (:meth:`ParameterTable.sample`); either is identical
    whatever ``chunk_size``.

    ``invalid``: what to do with draws the model cannot evaluate (e.g. an infeasible
    calibration): ``drop`` excludes them from every summary and reports them (count, draw
    numbers and reasons); ``error`` stops with a ModelError naming them.
    """
    if invalid not in INVALID_POLICIES:
        raise ValueError(f"invalid must be one of {INVALID_POLICIES}")
    options = model.options() if options is None else options
    table = model.load_parameters(options) if table is None else table
    draws = Draws(table, n, seed, sampler)
    outcomes = evaluate_batch(model, options, draws, chunk_size=chunk_size, engine=engine, progress=progress)
    require_evaluable(outcomes, n, invalid)
    return PSA(model, draws, outcomes)


def require_evaluable(outcomes: Outcomes, n: int, invalid: str) -> None:
    """Apply the ``invalid`` policy to the draws the model could not evaluate: with ``error``
    any such draw stops the run, with ``drop`` only all of them do (a ModelError naming them)."""
    if invalid not in INVALID_POLICIES:
        raise ValueError(f"invalid must be one of {INVALID_POLICIES}")
    bad = outcomes.problems
    if len(bad) and invalid == "error":
        raise ModelError(f"{len(bad)} of {n} PSA draws cannot be evaluated (first: draw "
                         f"{int(bad['set'].iloc[0])}: {bad['reason'].iloc[0]}); rerun with "
                         "--invalid drop to exclude and report them", sets=bad["set"].to_numpy())
    if len(bad) == n:
        raise ModelError(f"none of the {n} PSA draws can be evaluated: {bad['reason'].iloc[0]}")


# ---------------------------------------------------------------- its decision analysis

EVPPI_CHOICES = ("groups", "all", "none")


def evppi_groups(psa: PSA) -> dict[str, list[str]]:
    """The parameter table's groups, restricted to the parameters the PSA varies."""
    table = psa.model.load_parameters()
    varied = set(psa.uncertain)
    groups = {name: [p for p in members if p in varied] for name, members in table.groups.items()}
    return {name: members for name, members in groups.items() if members}


def psa_analysis(psa: PSA, report_wtp: Sequence[float] | None = None, *, wtp_max: float = WTP_MAX,
                 wtp_step: float = WTP_STEP, evppi: str = "groups", note=None,
                 memory_gb: float = memory.DEFAULT_BUDGET_GB):
    """The decision analysis of a model's PSA on its main effect (QALYs): EVPPI of the
    parameter table's groups (``evppi="groups"``), of every parameter (``"all"``) or none,
    within a memory budget of ``memory_gb``."""
    grid, report = wtp_grid(report_wtp, wtp_max, wtp_step)
    costs, effects = psa.costs_effects(psa.model.effects[0])
    parameters = psa.valid_parameters() if evppi != "none" else None
    return decision_analysis(costs, effects, psa.model.strategies, grid, report,
                             parameters=parameters, groups=evppi_groups(psa) if evppi != "none" else None,
                             singles=evppi == "all", seed=psa.seed, note=note, memory_gb=memory_gb)

"""Within-trial cost-effectiveness: arm means of per-patient costs and outcomes, their
differences with stratified bootstrap intervals, ICERs per natural outcome, CE plane and CEAC.

The bootstrap replicates take the place of PSA draws: they are held as
:class:`~hecon.model.outcomes.Outcomes` (sets = replicates), so the cost-consequence table, the
ICERs and the decision analytics are exactly those of a model's PSA
(:mod:`hecon.analysis.tables`, :mod:`hecon.analysis.decision`).

Missing data: complete-case analysis — a patient enters if every cost and outcome is known;
the number excluded, by arm and by reason (missing column), is reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.analysis import memory
from hecon.analysis.decision import DecisionAnalysis, decision_analysis
from hecon.analysis.tables import cost_consequence, icers
from hecon.errors import InputError
from hecon.model import Effect
from hecon.model.outcomes import Outcomes
from hecon.trial.bootstrap import stratified_means


@dataclass(frozen=True)
class WithinTrial:
    """A within-trial analysis: the analysed patients, the arm means (``point``, one set)
    and their bootstrap replicates (``replicates``, one set per replicate)."""

    strategies: tuple[str, ...]
    per_patient: pd.DataFrame
    point: Outcomes
    replicates: Outcomes
    missing: pd.DataFrame
    seed: int

    def cost_consequence(self, comparator: str) -> pd.DataFrame:
        """Every cost and outcome per arm, the difference from ``comparator`` and its 95 %
        bootstrap percentile interval."""
        return cost_consequence(self.point, comparator, psa=self.replicates)

    def icers(self, effects: Sequence[Effect], comparator: str) -> pd.DataFrame:
        """ICERs of the arm means, per effect (natural outcomes: episodes avoided, …)."""
        return icers(self.point, effects, comparator)

    def decision(self, effect: Effect, grid: np.ndarray, report: np.ndarray) -> DecisionAnalysis:
        """ICERs, NMB, CEAC/CEAF, EVPI and expected loss over the bootstrap replicates for one
        effect (the replicates play the part of PSA draws)."""
        return decision_analysis(self.replicates.total_cost, effect.of(self.replicates),
                                 self.strategies, grid, report, seed=self.seed)

    def replicate_frame(self) -> pd.DataFrame:
        """One row per replicate and arm: every cost and outcome."""
        return self.replicates.wide().rename(columns={"set": "replicate"})


def _missing_table(per_patient: pd.DataFrame, arm: str, columns: Sequence[str],
                   complete: np.ndarray, strategies: Sequence[str]) -> pd.DataFrame:
    by_arm = per_patient.groupby(arm, sort=False)
    table = pd.DataFrame({
        "randomised": by_arm.size(),
        "analysed": pd.Series(complete).groupby(per_patient[arm].to_numpy()).sum(),
    }).reindex(list(strategies), fill_value=0)
    table["excluded"] = table["randomised"] - table["analysed"]
    for column in columns:
        table[f"missing_{column}"] = per_patient[column].isna().groupby(per_patient[arm]).sum()
    return table.fillna(0).astype(int).rename_axis("arm").reset_index()


def bootstrap_bytes(n_replicates: int, strategies: int, columns: int) -> int:
    """Memory (bytes) the bootstrap keeps: the replicates' arm means [B, S, C] and the long
    table of ``bootstrap.csv.gz`` (one row per replicate and arm: C values and two keys), held
    twice while it is built, 8 · B · S · (C + 2 · (C + 2))."""
    return memory.FLOAT_BYTES * n_replicates * strategies * (columns + 2 * (columns + 2))


def within_trial(per_patient: pd.DataFrame, strategies: Sequence[str], costs: Sequence[str],
                 consequences: Sequence[str], *, arm: str = "arm",
                 labels: Mapping[str, str] | None = None, n_replicates: int = 1000,
                 seed: int = 0, block_size: int | None = None,
                 memory_gb: float = memory.DEFAULT_BUDGET_GB) -> WithinTrial:
    """Arm means and their stratified bootstrap replicates, complete cases only.

    Parameters
    ----------
    per_patient:
        One row per randomised patient: the ``arm`` column, each cost component and each
        outcome (NaN where unknown).
    strategies:
        The arms, in the order of the outcome arrays' second axis.
    costs, consequences:
        The columns that are cost components and outcomes.
    n_replicates, seed, block_size:
        Bootstrap replicates, their seed, and the replicates resampled at once
        (:func:`hecon.trial.bootstrap.stratified_means`).
    memory_gb:
        Budget: a bootstrap whose :func:`bootstrap_bytes` exceed it is refused before any
        replicate is drawn.
    """
    strategies = tuple(strategies)
    columns = [*costs, *consequences]
    budget = memory.as_bytes(memory_gb)
    per_replicate = bootstrap_bytes(1, len(strategies), len(columns))
    memory.require(n_replicates * per_replicate, budget, f"a bootstrap of {n_replicates:,} replicates",
                   fix=f"use --bootstrap {budget // per_replicate:,} or fewer, or a larger --memory")
    complete = per_patient[columns].notna().all(axis=1).to_numpy()
    missing = _missing_table(per_patient, arm, columns, complete, strategies)
    empty = missing.loc[missing["analysed"] == 0, "arm"].tolist()
    if empty:
        row = missing.set_index("arm").loc[empty[0]]
        counts = row[[f"missing_{c}" for c in columns]]
        worst = counts.idxmax().removeprefix("missing_")
        raise InputError(f"no patient of arm '{empty[0]}' has complete costs and outcomes ({worst} "
                         f"is unknown for {counts.max()} of {row['randomised']} patients)",
                         fix="check resource_use.csv, the patients' records and the follow-up to the horizon")
    analysed = per_patient[complete].reset_index(drop=True)
    strata = pd.Categorical(analysed[arm], categories=strategies).codes
    values = analysed[columns].to_numpy(dtype=float)
    point = np.stack([values[strata == s].mean(axis=0) for s in range(len(strategies))])[None]
    replicates = stratified_means(values, strata, n_replicates, seed, len(strategies), block_size)

    def outcomes(means: np.ndarray) -> Outcomes:
        arrays = {name: means[:, :, j] for j, name in enumerate(columns)}
        return Outcomes(strategies, {c: arrays[c] for c in costs},
                        {c: arrays[c] for c in consequences}, dict(labels or {}))

    return WithinTrial(strategies, per_patient.assign(analysed=complete), outcomes(point),
                       outcomes(replicates), missing, seed)

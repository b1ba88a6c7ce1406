"""Outcomes of a model: every cost component and consequence, per parameter set and strategy.

Arrays are shaped ``[sets, strategies]``. ``Outcomes`` converts to the tidy pandas frames the
rest of the toolkit (and a notebook) reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Outcomes:
    """Costs and consequences of every strategy for a batch of parameter sets.

    Attributes
    ----------
    strategies:
        Strategy names, in the order of the second array axis.
    costs:
        Cost component name -> array ``[sets, strategies]``; ``total_cost`` is their sum.
    consequences:
        Consequence name -> array ``[sets, strategies]`` (episodes, deaths, life years, QALYs…).
    labels:
        Optional readable label per outcome name, for tables and figures.
    details:
        Optional extra results a model keeps for one batch (e.g. its traces as DataFrames);
        not concatenated across chunks.
    problems:
        Parameter sets the model could not evaluate (e.g. an infeasible calibration), with the
        reason: columns ``set, reason``. Their outcomes are NaN; nothing is dropped silently.
    """

    strategies: tuple[str, ...]
    costs: Mapping[str, np.ndarray]
    consequences: Mapping[str, np.ndarray]
    labels: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, object] = field(default_factory=dict, compare=False)
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"set": [], "reason": []}),
                                   compare=False)

    def __post_init__(self) -> None:
        shapes = {name: np.shape(a) for name, a in {**self.costs, **self.consequences}.items()}
        expected = {(self.n_sets, len(self.strategies))}
        if set(shapes.values()) != expected:
            raise ValueError(f"every outcome must be shaped [sets, {len(self.strategies)}]: {shapes}")
        if set(self.costs) & set(self.consequences):
            raise ValueError("a name is both a cost and a consequence")

    @property
    def n_sets(self) -> int:
        first = next(iter({**self.costs, **self.consequences}.values()))
        return int(np.shape(first)[0])

    @property
    def total_cost(self) -> np.ndarray:
        """Sum of the cost components, ``[sets, strategies]``."""
        return np.sum([np.asarray(c) for c in self.costs.values()], axis=0)

    def __getitem__(self, name: str) -> np.ndarray:
        """One outcome by name (a cost component, ``total_cost`` or a consequence)."""
        if name == "total_cost":
            return self.total_cost
        if name in self.costs:
            return np.asarray(self.costs[name])
        if name in self.consequences:
            return np.asarray(self.consequences[name])
        raise KeyError(f"unknown outcome '{name}'; known: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        """All outcome names: cost components, ``total_cost``, consequences."""
        return [*self.costs, "total_cost", *self.consequences]

    @property
    def valid(self) -> np.ndarray:
        """[sets] True where the model evaluated the set (see ``problems``)."""
        ok = np.ones(self.n_sets, dtype=bool)
        ok[self.problems["set"].to_numpy(dtype=int)] = False
        return ok

    def label(self, name: str) -> str:
        return self.labels.get(name, name.replace("_", " "))

    def take(self, index: Sequence[int] | np.ndarray) -> Outcomes:
        """The outcomes of a subset of the parameter sets (renumbered 0 … m − 1)."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        renumber = {int(old): new for new, old in enumerate(index)}
        kept = self.problems[self.problems["set"].isin(renumber)]
        return Outcomes(
            self.strategies,
            {k: np.asarray(v)[index] for k, v in self.costs.items()},
            {k: np.asarray(v)[index] for k, v in self.consequences.items()},
            self.labels,
            problems=kept.assign(set=kept["set"].map(renumber)).reset_index(drop=True),
        )

    @classmethod
    def concat(cls, parts: Sequence[Outcomes]) -> Outcomes:
        """Join the outcomes of consecutive chunks of parameter sets."""
        first = parts[0]
        if len(parts) == 1:
            return first
        offsets = np.cumsum([0] + [p.n_sets for p in parts[:-1]])
        problems = pd.concat([p.problems.assign(set=p.problems["set"] + o)
                              for p, o in zip(parts, offsets, strict=True)], ignore_index=True)
        return cls(
            first.strategies,
            {k: np.concatenate([p.costs[k] for p in parts]) for k in first.costs},
            {k: np.concatenate([p.consequences[k] for p in parts]) for k in first.consequences},
            first.labels,
            problems=problems,
        )

    def wide(self) -> pd.DataFrame:
        """One row per (set, strategy); one column per outcome, ``total_cost`` included."""
        n, k = self.n_sets, len(self.strategies)
        frame = pd.DataFrame({
            "set": np.repeat(np.arange(n), k),
            "strategy": np.tile(np.asarray(self.strategies, dtype=object), n),
        })
        for name in self.names:
            frame[name] = self[name].reshape(-1)
        return frame

    def tidy(self) -> pd.DataFrame:
        """Long form: ``set, strategy, outcome, kind, value`` (kind: cost or consequence)."""
        wide = self.wide()
        long = wide.melt(id_vars=["set", "strategy"], var_name="outcome", value_name="value")
        kinds = dict.fromkeys([*self.costs, "total_cost"], "cost")
        long["kind"] = long["outcome"].map(kinds).fillna("consequence")
        return long[["set", "strategy", "outcome", "kind", "value"]]

    def mean(self) -> pd.DataFrame:
        """Mean of every outcome over the sets: rows = outcomes, columns = strategies."""
        return pd.DataFrame(
            {s: [self[name][:, j].mean() for name in self.names] for j, s in enumerate(self.strategies)},
            index=pd.Index(self.names, name="outcome"),
        )

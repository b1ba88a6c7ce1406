"""Structural uncertainty inside the PSA: model averaging over a model's structural options.

A structure is a set of model options (e.g. how infection consequences are applied, the form of
post-ICU mortality) with a weight, the probability that it is the right one. Each PSA draw
picks a structure with these probabilities (its own seeded stream, so the parameter draws are
those of the plain PSA); the draws of each structure are evaluated with its options and the
outcomes merged in draw order. The averaged PSA is then an ordinary PSA (Bojke et al. 2009,
Value Health 12:739–49: "model averaging" of structural uncertainty; Jackson, Bojke, Thompson,
Claxton & Sharples 2011, Med Decis Making 31:662–74). With all the weight on one structure the
PSA is the plain PSA of that structure's options, draw for draw.

The value of knowing the right structure is the EVPPI of the categorical choice, in closed form
(the conditional expectation given a category is its mean, so no regression is needed):

    EVPPI(λ) = Σₖ p̂ₖ · maxⱼ E[NBⱼ(λ) | k] − maxⱼ E[NBⱼ(λ)],

p̂ₖ the share of the draws in structure k. It is ≥ 0 (Jensen), and 0 when one strategy is the
best in every structure. It is computed for the structure as a whole and for each option the
structures vary (a category of its own).

A model's structures are in ``<inputs>/structures.yaml`` (:func:`read_structures`): for each
option varied, each of its values with a weight and a reason; the structures are every
combination, weighted by the product of their options' weights (the options taken as
independent).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.analysis.batch import Draws, Sets, evaluate_batch
from hecon.analysis.cea import increment_rows
from hecon.analysis.psa import PSA, require_evaluable
from hecon.analysis.result import Result, model_meta
from hecon.analysis.sensitivity import willingness_to_pay
from hecon.analysis.wtp import REPORT_WTP
from hecon.errors import InputError
from hecon.model import Model
from hecon.model.files import check_type, read_yaml
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterTable

STRUCTURES_FILE = "structures.yaml"
#: the second entropy word of the structures' stream: SeedSequence([seed, STRUCTURE_STREAM])
STRUCTURE_STREAM = 0x5354525543
WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Structure:
    """A structure: its options (overrides of the model's defaults), weight and reasons."""

    name: str
    options: Mapping[str, object]
    weight: float
    reason: str = ""


def read_structures(path: str | Path, model: Model) -> list[Structure]:
    """The structures of a YAML file (module docstring)::

        choices:
          infection_effects:
            attributable: {weight: 0.6, reason: calibrated to the French excess stay}
            hazard_ratios: {weight: 0.4, reason: Melsen 2013's hazard ratios}

    Each option's weights must sum to one; unknown options or values fail as in a scenario."""
    path = Path(path)
    content = read_yaml(path, "structures")
    choices = content.get("choices") if isinstance(content, dict) else None
    if not isinstance(choices, dict) or not choices:
        raise InputError("a structures file is a mapping 'choices: {option: {value: {weight, reason}}}'", file=path)
    levels = []
    for option, values in choices.items():
        if not isinstance(values, dict) or len(values) < 2:
            raise InputError(f"option '{option}' needs at least two values, each with a weight", file=path,
                             column=f"choices.{option}")
        entries = []
        for value, spec in values.items():
            key = f"choices.{option}.{value}"
            if not isinstance(spec, dict) or set(spec) - {"weight", "reason"} or "weight" not in spec:
                raise InputError(f"{key}: give a weight and a reason", file=path, column=key)
            weight = check_type(spec["weight"], float, key=f"{key}.weight", file=path)
            if not 0 <= weight <= 1:
                raise InputError(f"{key}: the weight {weight:g} is not a probability", file=path, column=key)
            model.options({option: value}, source=str(path))  # an unknown option or value fails here
            entries.append((option, value, weight, str(spec.get("reason", ""))))
        total = sum(e[2] for e in entries)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise InputError(f"the weights of option '{option}' sum to {total:g}", file=path,
                             column=f"choices.{option}", fix="make them sum to 1")
        levels.append(entries)
    return [Structure("+".join(str(e[1]) for e in combo), {e[0]: e[1] for e in combo},
                      math.prod(e[2] for e in combo), "; ".join(f"{e[1]}: {e[3]}" for e in combo if e[3]))
            for combo in itertools.product(*levels)]


def assign(n: int, weights: Sequence[float], seed: int) -> np.ndarray:
    """Each draw's structure [n]: categorical with probabilities ``weights`` (normalised), by
    inversion of uniforms from the stream SeedSequence([seed, STRUCTURE_STREAM])."""
    weights = np.asarray(weights, dtype=float)
    if weights.size == 0 or np.any(weights < 0) or not weights.sum() > 0:
        raise InputError("structure weights must be non-negative with a positive sum")
    cumulative = np.cumsum(weights) / weights.sum()
    u = np.random.default_rng([seed, STRUCTURE_STREAM]).random(n)
    return np.minimum(np.searchsorted(cumulative, u, side="right"), weights.size - 1)


def merged(parts: Sequence[tuple[np.ndarray, Outcomes]], n: int) -> Outcomes:
    """The outcomes of disjoint sets of draws (``index``, outcomes) put back in draw order."""
    first = parts[0][1]

    def spread(name: str, kind: str) -> np.ndarray:
        out = np.full((n, len(first.strategies)), np.nan)
        for index, outcomes in parts:
            out[index] = np.asarray(getattr(outcomes, kind)[name])
        return out

    problems = pd.concat([o.problems.assign(set=index[o.problems["set"].to_numpy(dtype=int)]) for index, o in parts],
                         ignore_index=True).sort_values("set", kind="stable").reset_index(drop=True)
    return Outcomes(first.strategies, {k: spread(k, "costs") for k in first.costs},
                    {k: spread(k, "consequences") for k in first.consequences}, first.labels, problems=problems)


def structural_psa(model: Model, table: ParameterTable, structures: Sequence[Structure], n: int, seed: int, *,
                   options=None, sampler: str = "generator", chunk_size: int | None = 10_000,
                   invalid: str = "drop", engine=None, progress=None) -> tuple[PSA, np.ndarray]:
    """The model-averaged PSA and each draw's structure (index into ``structures``). The
    structures' options override ``options`` (default: the model's). Each structure's draws are
    evaluated in chunks on ``engine`` (:func:`hecon.analysis.batch.evaluate_batch`); draws the
    model cannot evaluate follow the ``invalid`` policy of :func:`~hecon.analysis.psa.run_psa`."""
    options = model.options() if options is None else options
    draws = Draws(table, n, seed, sampler)
    sets = draws.sets(0, n)
    assignment = assign(n, [s.weight for s in structures], seed)
    parts = []
    for k, structure in enumerate(structures):
        index = np.flatnonzero(assignment == k)
        if index.size:
            chosen = model.options({**_changed(model, options), **structure.options})
            parts.append((index, evaluate_batch(model, chosen, Sets(sets.take(index)), chunk_size=chunk_size,
                                                engine=engine, progress=progress)))
    outcomes = merged(parts, n)
    require_evaluable(outcomes, n, invalid)
    return PSA(model, draws, outcomes), assignment


def _changed(model: Model, options) -> dict:
    """The fields of ``options`` that differ from the model's defaults (the inputs folder aside)."""
    defaults = vars(model.options())
    return {k: v for k, v in vars(options).items() if defaults[k] != v}


def categorical_evppi(nb: np.ndarray, category: np.ndarray) -> np.ndarray:
    """EVPPI of a categorical input, per willingness to pay: nb [draws, strategies, wtp],
    category [draws] (module docstring), written Σₖ p̂ₖ·(maxⱼ E[NBⱼ | k] − E[NBⱼ* | k]) with j* the
    best strategy overall, so that each term is ≥ 0 and exactly 0 where j* is best in k."""
    best = nb.mean(0).argmax(0)                                   # [wtp]: the decision without the choice
    columns = np.arange(nb.shape[2])
    return sum((category == level).mean() * (means.max(0) - means[best, columns])
               for level in np.unique(category) for means in [nb[category == level].mean(0)])


def structure_analysis(psa: PSA, structures: Sequence[Structure], assignment: np.ndarray,
                       wtp: Sequence[float] = REPORT_WTP) -> Result:
    """Results by structure and averaged (table ``structure_summary``), the structures and their
    draws (``structures``), and the EVPPI of the structural choice and of each option it varies
    (``structure_evppi``: ``wtp, choice, evppi``)."""
    model, wtp = psa.model, willingness_to_pay(wtp)
    valid = psa.outcomes.valid
    outcomes = psa.outcomes.take(valid)
    costs, effects, chosen = outcomes.total_cost, model.effects[0].of(outcomes), assignment[valid]
    rows = _summary_rows(model, "averaged", costs, effects, wtp)
    for k, structure in enumerate(structures):
        if (chosen == k).any():
            rows += _summary_rows(model, structure.name, costs[chosen == k], effects[chosen == k], wtp)
    nb = wtp[None, None, :] * effects[:, :, None] - costs[:, :, None]
    varied = [o for o in structures[0].options if len({s.options[o] for s in structures}) > 1]
    choices = {"structure": chosen} | {o: np.array([str(structures[k].options[o]) for k in chosen]) for o in varied}
    evppi = pd.DataFrame([{"wtp": lam, "choice": name, "evppi": value}
                          for name, category in choices.items()
                          for lam, value in zip(wtp, categorical_evppi(nb, category), strict=True)])
    described = pd.DataFrame({"structure": [s.name for s in structures], "weight": [s.weight for s in structures],
                              "draws": [int((assignment == k).sum()) for k in range(len(structures))],
                              "evaluated": [int((chosen == k).sum()) for k in range(len(structures))],
                              "options": [", ".join(f"{k}={v}" for k, v in s.options.items()) for s in structures],
                              "reason": [s.reason for s in structures]})
    meta = {**model_meta(model), "report_wtp": wtp.tolist(), "seed": psa.seed,
            "structures": {s.name: {"options": dict(s.options), "weight": s.weight} for s in structures}}
    return Result("structures", {"structure_summary": pd.DataFrame(rows), "structure_evppi": evppi,
                                 "structures": described}, meta, "structure_summary")


def _summary_rows(model: Model, name: str, costs: np.ndarray, effects: np.ndarray, wtp: np.ndarray) -> list[dict]:
    """The structure ``name`` and, per strategy against the comparator, the increments over
    its draws (:func:`hecon.analysis.cea.increment_rows`)."""
    return [{"structure": name, **row}
            for row in increment_rows(costs, effects, model.strategies, model.comparator, wtp)]

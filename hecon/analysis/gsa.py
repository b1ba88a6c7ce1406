"""Global sensitivity analysis with SALib: Sobol' indices and Morris elementary effects.

SALib samples the unit hypercube, one column per uncertain parameter of the table; the
columns go through each parameter's quantile function (:meth:`ParameterTable.from_unit`), so
every parameter follows its own PSA distribution; the design is evaluated as one batch, in
chunks, in this process or on a Dask cluster (:mod:`hecon.analysis.batch`, each chunk mapped
and reduced to the measure where it is evaluated); SALib analyses the outputs. The members of a Dirichlet group are one SALib *group*
(one factor: their unit columns drive the group jointly through normalised gamma quantiles),
so the group's index is that of the whole multinomial row.

:func:`global_sensitivity` runs either method on a model: it checks the options, refuses a
design whose unit samples and outputs alone exceed the memory budget (``hecon.analysis.memory``), and
evaluates the design in chunks within it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from hecon.analysis import memory
from hecon.analysis.batch import DaskEngine, Design, InProcess, chunk_bounds, evaluate_batch
from hecon.analysis.result import Result
from hecon.analysis.sensitivity import SETS_PER_CHUNK, Measure, base_outcomes
from hecon.errors import InputError
from hecon.model import Model
from hecon.model.parameters import ParameterSets, ParameterTable

#: unit samples are kept inside (ε, 1 − ε): unbounded distributions have infinite 0 and 1 quantiles
EDGE = 1e-9
METHODS = ("sobol", "morris")
#: indices, points of the design, points the model could not evaluate
Indices = tuple[pd.DataFrame, int, int]
#: bootstrap resamples of SALib's Sobol' confidence intervals (its default)
RESAMPLES = 100
#: the output at each point of a unit design [points, factors]
Outputs = Callable[[np.ndarray], np.ndarray]


def problem(table: ParameterTable) -> dict:
    """The SALib problem: every uncertain parameter on [0, 1], Dirichlet members grouped."""
    names = table.uncertain
    if not names:
        raise InputError("the parameter table has no uncertain parameter to analyse")
    group_of = {n: g for g, members in table.dirichlet_groups.items() for n in members}
    spec = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if group_of:
        spec["groups"] = [group_of.get(n, n) for n in names]
    return spec


def _factors(spec: dict) -> list[str]:
    """Factor names in SALib's output order (groups in order of first appearance)."""
    return list(dict.fromkeys(spec.get("groups", spec["names"])))


def design_points(spec: dict, method: str, n: int, second_order: bool = False) -> int:
    """Model evaluations of a design over g factors (a Dirichlet group counts once): Saltelli's
    n·(g + 2), or n·(2g + 2) with second-order indices; Morris's n·(g + 1)."""
    factors = len(_factors(spec))
    if method == "morris":
        return n * (factors + 1)
    return n * (2 * factors + 2 if second_order else factors + 2)


def design_bytes(spec: dict, method: str, n: int) -> int:
    """Bytes a design keeps whatever the chunks: its unit samples (Morris: its grid too) and
    one output per point, plus SALib's Sobol' bootstrap (4 arrays of n × ``RESAMPLES``)."""
    points, columns = design_points(spec, method, n), spec["num_vars"]
    if method == "morris":
        return memory.FLOAT_BYTES * points * (2 * columns + 1)
    return memory.FLOAT_BYTES * (points * (columns + 1) + 4 * n * RESAMPLES)


def global_sensitivity(model: Model, table: ParameterTable, measure: Measure, method: str = "sobol",
                       n: int = 256, seed: int = 1, options=None,
                       memory_gb: float = memory.DEFAULT_BUDGET_GB,
                       engine: InProcess | DaskEngine | None = None,
                       progress: Callable[[int], None] | None = None) -> Result:
    """Sobol' indices or Morris elementary effects of ``measure`` (:func:`sobol`, :func:`morris`),
    as the Result's table ``gsa``; its meta holds the design's size (``design_points``) and the
    points the model could not evaluate (``invalid_points``).

    Before any evaluation: the method, the memory the design keeps (:func:`design_bytes`,
    refused above the budget), and the measure against the base case; the design is then
    evaluated in chunks of what the rest of the budget holds, in this process or on the Dask
    cluster of ``engine`` (identical indices); ``progress(k)`` follows the points evaluated.
    """
    if method not in METHODS:
        raise InputError(f"--method: unknown method '{method}'", fix="use sobol or morris")
    if n < 2:
        raise InputError(f"--n {n}: a design needs at least 2 samples", fix="pass --n 2 or more")
    if method == "sobol" and n & (n - 1):
        below = 1 << (n.bit_length() - 1)
        raise InputError(f"--n {n}: Saltelli's Sobol' design keeps its balance only at a power of 2",
                         fix=f"use --n {below} or {2 * below}")
    options = model.options() if options is None else options
    budget = memory.as_bytes(memory_gb)
    spec = problem(table)
    kept = design_bytes(spec, method, n)
    largest = max(2, n * budget // kept)
    if method == "sobol":
        largest = 1 << (largest.bit_length() - 1)
    memory.require(kept, budget, f"a {method} design of --n {n} ({design_points(spec, method, n):,} model evaluations)",
                   fix=f"use a smaller --n (about {largest:,} fits), or a larger --memory")
    base = base_outcomes(model, table, options, measure)
    per_set = memory.batch_bytes(1, len(table.names) + spec["num_vars"], len(base.strategies), len(base.names))
    chunk = min(SETS_PER_CHUNK, memory.chunk_size(per_set, budget - kept))
    analyse = sobol if method == "sobol" else morris

    def outputs(units: np.ndarray) -> np.ndarray:
        return evaluate_batch(model, options, Design(table, units), chunk_size=chunk, engine=engine,
                              summary=measure.summary, progress=progress)

    indices, points, invalid = analyse(table, outputs, n, seed)
    meta = {**measure.meta(table), "method": method, "n": n, "seed": seed, "design_points": points,
            "invalid_points": invalid}
    return Result("gsa", {"gsa": indices}, meta, "gsa")


def outputs_of(table: ParameterTable, evaluate: Callable[[ParameterSets], np.ndarray],
               chunk_size: int | None = None) -> Outputs:
    """The outputs of a unit design through ``evaluate`` (the output per parameter set), in
    this process, in chunks of ``chunk_size`` points (default: one batch)."""
    def outputs(units: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(evaluate(table.from_unit(units[start:stop])), dtype=float)
                               for start, stop in chunk_bounds(len(units), chunk_size or len(units))])
    return outputs


def sobol(table: ParameterTable, outputs: Outputs, n: int, seed: int = 1, second_order: bool = False) -> Indices:
    """First-order and total Sobol' indices with their 95 % confidence intervals.

    Saltelli's design of ``n·(k + 2)`` points (``n`` a power of two), through ``outputs``
    (:func:`outputs_of` a function of the parameter sets, or the model on a cluster).
    Returns the indices (columns ``parameter, S1, S1_conf, ST, ST_conf``), the number of
    points and the number the model could not evaluate.
    Reference: Saltelli et al., Comput Phys Commun 2010;181:259–270.
    """
    spec = problem(table)
    units = sobol_sample.sample(spec, n, calc_second_order=second_order, seed=seed)
    y, invalid = _evaluate(outputs, units)
    indices = sobol_analyze.analyze(spec, y, calc_second_order=second_order, seed=seed)
    frame = pd.DataFrame({"parameter": _factors(spec), "S1": indices["S1"], "S1_conf": indices["S1_conf"],
                          "ST": indices["ST"], "ST_conf": indices["ST_conf"]}
                         ).sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    return frame, len(y), invalid


def morris(table: ParameterTable, outputs: Outputs, n: int, seed: int = 1, levels: int = 4) -> Indices:
    """Morris elementary effects: ``mu_star`` (mean |effect|), its CI, and ``sigma`` (with the
    number of points and of points the model could not evaluate, as :func:`sobol`).

    ``n`` trajectories on a grid of ``levels`` levels; level l of L is mapped to the
    probability (l + ½)/L, the middle of the l-th of L equally likely bins of the parameter's
    distribution (so 0 and 1 never reach an unbounded quantile function). Effects are per
    unit of probability. Reference: Campolongo, Cariboni & Saltelli 2007.
    """
    spec = problem(table)
    design = morris_sample.sample(spec, n, num_levels=levels, seed=seed)
    units = (np.rint(design * (levels - 1)) + 0.5) / levels
    y, invalid = _evaluate(outputs, units)
    indices = morris_analyze.analyze(spec, design, y, num_levels=levels, seed=seed)
    frame = pd.DataFrame({"parameter": list(indices["names"]), "mu_star": indices["mu_star"],
                          "mu_star_conf": indices["mu_star_conf"], "sigma": indices["sigma"]}
                         ).sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True)
    return frame, len(y), invalid


def _evaluate(outputs: Outputs, units: np.ndarray) -> tuple[np.ndarray, int]:
    """Outputs of the design, its unit samples moved inside (ε, 1 − ε) (:data:`EDGE`), and how
    many points the model could not evaluate.

    SALib's estimators need an output at every point of the design: points the model cannot
    evaluate (an infeasible calibration) take the mean of the others, and their number is
    reported with the indices (``invalid_points``); above 1 % of the design this
    is an error, since the indices would then be unreliable.
    """
    y = np.asarray(outputs(np.clip(units, EDGE, 1 - EDGE, out=units)), dtype=float)
    bad = ~np.isfinite(y)
    if bad.mean() > 0.01:
        raise InputError(f"the model gave no finite output for {int(bad.sum())} of {y.size} points "
                         "of the design (e.g. an infeasible calibration)",
                         fix="analyse an outcome defined everywhere (incremental NMB) or narrow the distributions")
    y[bad] = y[~bad].mean()
    return y, int(bad.sum())

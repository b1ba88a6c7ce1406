"""Global sensitivity analysis with SALib: Sobol' indices and Morris elementary effects.

SALib samples the unit hypercube, one column per uncertain parameter of the table; the
columns go through each parameter's quantile function (:meth:`ParameterTable.from_unit`), so
every parameter follows its own PSA distribution; the whole design is evaluated in one
batch; SALib analyses the outputs. The members of a Dirichlet group are one SALib *group*
(one factor: their unit columns drive the group jointly through normalised gamma quantiles),
so the group's index is that of the whole multinomial row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from hecon.errors import InputError
from hecon.parameters import ParameterSets, ParameterTable

#: unit samples are kept inside (ε, 1 − ε): unbounded distributions have infinite 0 and 1 quantiles
EDGE = 1e-9


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


def sobol(table: ParameterTable, evaluate: Callable[[ParameterSets], np.ndarray], n: int,
          seed: int = 1, second_order: bool = False) -> pd.DataFrame:
    """First-order and total Sobol' indices with their 95 % confidence intervals.

    Saltelli's design of ``n·(k + 2)`` points (``n`` a power of two), one batched
    ``evaluate`` returning the output per set. Columns ``parameter, S1, S1_conf, ST, ST_conf``.
    Reference: Saltelli et al., Comput Phys Commun 2010;181:259–270.
    """
    spec = problem(table)
    units = sobol_sample.sample(spec, n, calc_second_order=second_order, seed=seed)
    y, invalid = _evaluate(table, evaluate, units)
    indices = sobol_analyze.analyze(spec, y, calc_second_order=second_order, seed=seed)
    frame = pd.DataFrame({"parameter": _factors(spec), "S1": indices["S1"], "S1_conf": indices["S1_conf"],
                          "ST": indices["ST"], "ST_conf": indices["ST_conf"]}
                         ).sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    frame.attrs.update(invalid_points=invalid, design_points=len(y))
    return frame


def morris(table: ParameterTable, evaluate: Callable[[ParameterSets], np.ndarray], n: int,
           seed: int = 1, levels: int = 4) -> pd.DataFrame:
    """Morris elementary effects: ``mu_star`` (mean |effect|), its CI, and ``sigma``.

    ``n`` trajectories on a grid of ``levels`` levels; level l of L is mapped to the
    probability (l + ½)/L, the middle of the l-th of L equally likely bins of the parameter's
    distribution (so 0 and 1 never reach an unbounded quantile function). Effects are per
    unit of probability. Reference: Campolongo, Cariboni & Saltelli 2007.
    """
    spec = problem(table)
    design = morris_sample.sample(spec, n, num_levels=levels, seed=seed)
    units = (np.rint(design * (levels - 1)) + 0.5) / levels
    y, invalid = _evaluate(table, evaluate, units)
    indices = morris_analyze.analyze(spec, design, y, num_levels=levels, seed=seed)
    frame = pd.DataFrame({"parameter": list(indices["names"]), "mu_star": indices["mu_star"],
                          "mu_star_conf": indices["mu_star_conf"], "sigma": indices["sigma"]}
                         ).sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True)
    frame.attrs.update(invalid_points=invalid, design_points=len(y))
    return frame


def _evaluate(table: ParameterTable, evaluate, units: np.ndarray) -> tuple[np.ndarray, int]:
    """Outputs of the design, and how many points the model could not evaluate.

    SALib's estimators need an output at every point of the design: points the model cannot
    evaluate (an infeasible calibration) take the mean of the others, and their number is
    reported with the indices (``attrs["invalid_points"]``); above 1 % of the design this
    is an error, since the indices would then be unreliable.
    """
    y = np.asarray(evaluate(table.from_unit(np.clip(units, EDGE, 1 - EDGE))), dtype=float)
    bad = ~np.isfinite(y)
    if bad.mean() > 0.01:
        raise InputError(f"the model gave no finite output for {int(bad.sum())} of {y.size} points "
                         "of the design (e.g. an infeasible calibration)",
                         fix="analyse an outcome defined everywhere (incremental NMB) or narrow the distributions")
    y[bad] = y[~bad].mean()
    return y, int(bad.sum())

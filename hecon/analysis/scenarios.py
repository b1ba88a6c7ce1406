"""Scenario analyses: small YAML files of named overrides, run beside the base case.

A scenario file (``scenarios/<name>.yaml`` in the model's inputs folder, read by :func:`hecon.model.files.read_yaml`:
no aliases, no duplicate keys, plain numbers)::

    name: sceptical_effect
    description: IFN-γ has no effect on infections (GRID; PREV-HAP any infection OR 0.89)
    parameters:
      hr_infection_ifn: 1.0                     # a new base value
      effect_window_days:                       # or value and/or a new distribution
        value: 10
        distribution: uniform
        lower: 7
        upper: 14
    options:
      discount_rate_costs: 0.0

A new distribution replaces the row's old arguments. The name (by default the file's stem)
is an identifier, unique among the folder's scenarios. Unknown keys, parameters or options,
and a value of the wrong type (``discount_rate: high``), end in an error naming the file and
the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.analysis import memory
from hecon.analysis.batch import DaskEngine, InProcess
from hecon.analysis.cea import ceac, describe_increment
from hecon.analysis.psa import run_psa
from hecon.analysis.result import Result, model_meta
from hecon.analysis.sensitivity import SETS_PER_CHUNK, willingness_to_pay
from hecon.analysis.wtp import REPORT_WTP
from hecon.errors import InputError
from hecon.model import Model
from hecon.model.files import check_identifier, check_type, read_yaml, shown
from hecon.model.parameters import ARGUMENTS, ParameterSets, ParameterTable

TOP_LEVEL = ("name", "description", "parameters", "options")
CELLS = ("value", "distribution", *ARGUMENTS, "low", "high")


@dataclass(frozen=True)
class Scenario:
    """Named overrides of parameter values or distributions and of model options."""

    name: str
    description: str = ""
    values: Mapping[str, float] = field(default_factory=dict)
    distributions: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    options: Mapping[str, object] = field(default_factory=dict)
    source: Path | None = None

    def table(self, model: Model, options) -> ParameterTable:
        """The model's parameter table with this scenario's changes (re-validated)."""
        return model.load_parameters(options).with_changes(self.values, self.distributions, file=self.source)

    def model_options(self, model: Model):
        return model.options(self.options, source=self.source)


BASE_CASE = Scenario("base_case", "The base case")


def load_scenario(path: str | Path, model: Model) -> Scenario:
    """Read and check one scenario file against the model's parameters and options."""
    path = Path(path)
    content = read_yaml(path, "scenario")
    if not isinstance(content, dict):
        raise InputError("a scenario must be a mapping with keys name, description, parameters, options",
                         file=path)
    unknown = [k for k in content if k not in TOP_LEVEL]
    if unknown:
        raise InputError(f"unknown key {shown(unknown[0])}", file=path, fix=f"use only {', '.join(TOP_LEVEL)}")
    name = check_identifier(content.get("name", path.stem), "scenario name", file=path, column="name",
                            fix="a free-text label goes in description")
    if name == BASE_CASE.name:
        raise InputError(f"'{name}' names the base case itself", file=path, column="name",
                         fix="give the scenario another name")
    description = check_type(content.get("description", ""), str, key="description", file=path)
    values, distributions = _parameters(content.get("parameters") or {}, path, model)
    options = content.get("options") or {}
    if not isinstance(options, dict):
        raise InputError("'options' must be a mapping of option: value", file=path, column="options")
    for key in options:
        check_identifier(key, "option", file=path, column="options")
    scenario = Scenario(name, description, values, distributions, options, path)
    defaults = scenario.model_options(model)  # unknown or invalid options fail here
    scenario.table(model, defaults)           # unknown parameters or impossible distributions here
    return scenario


def _parameters(spec, path: Path, model: Model):
    if not isinstance(spec, dict):
        raise InputError("'parameters' must be a mapping of parameter: value", file=path, column="parameters")
    values, distributions = {}, {}
    table = model.parameters
    for name, change in spec.items():
        if name not in table:
            raise table.unknown(str(name), path)
        if isinstance(change, dict):
            bad = [k for k in change if k not in CELLS]
            if bad:
                raise InputError(f"parameter '{name}': unknown key {shown(bad[0])}", file=path,
                                 column=f"parameters.{name}", fix=f"use {', '.join(CELLS)}")
            if "value" in change:
                values[name] = _number(change["value"], path, f"parameters.{name}.value")
            cells = {k: v for k, v in change.items() if k != "value"}
            for key, cell in cells.items():
                check_type(cell, str if key == "distribution" else float, key=f"parameters.{name}.{key}", file=path)
            if cells:
                distributions[name] = cells
        else:
            values[name] = _number(change, path, f"parameters.{name}")
    return values, distributions


def _number(value, path: Path, key: str) -> float:
    return check_type(value, float, key=key, file=path)


def load_scenarios(sources: str | Path | Sequence[str | Path], model: Model,
                   only: Sequence[str] | None = None) -> list[Scenario]:
    """Every scenario of ``sources`` — YAML files, and folders whose ``*.yaml`` files are read
    in name order — or the ones named in ``only``. Two scenarios may not share a name."""
    sources = [sources] if isinstance(sources, str | Path) else list(sources)
    paths: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            paths += sorted(source.glob("*.yaml"))
        elif source.is_file():
            paths.append(source)
        else:
            raise InputError("no such scenario file or folder", file=source,
                             fix="check the path given to --scenario-file")
    scenarios = [load_scenario(p, model) for p in paths]
    files: dict[str, Path] = {}
    for scenario in scenarios:
        if scenario.name in files:
            raise InputError(f"scenario name '{scenario.name}' is also the name in {files[scenario.name]}",
                             file=scenario.source, column="name", fix="give every scenario its own name")
        files[scenario.name] = scenario.source
    if only:
        names = {s.name for s in scenarios}
        missing = [n for n in only if n not in names]
        if missing:
            raise InputError(f"--scenarios: no scenario named '{missing[0]}'",
                             fix=f"the scenarios read are: {', '.join(sorted(names)) or 'none'}")
        scenarios = [s for s in scenarios if s.name in only]
    return scenarios


def run_scenarios(model: Model, scenarios: Sequence[Scenario], *, wtp: Sequence[float] = REPORT_WTP,
                  psa_n: int | None = None, seed: int = 1,
                  memory_gb: float = memory.DEFAULT_BUDGET_GB, engine: InProcess | DaskEngine | None = None) -> Result:
    """The base case and every scenario (table ``scenarios``): costs and main effect per
    strategy, the increment of each strategy over the comparator with its ICER and status,
    incremental NMB at each WTP, and with ``psa_n`` the probability each strategy is
    cost-effective at each WTP.

    Each scenario is one parameter set, evaluated here; with ``psa_n``, each scenario's PSA
    keeps its draws and outcomes, so one that exceeds the memory budget is refused before the
    first one runs, and runs in this process or on the Dask cluster of ``engine``."""
    wtp = willingness_to_pay(wtp)
    budget = memory.as_bytes(memory_gb)
    if psa_n is not None and psa_n < 2:
        raise InputError(f"--psa {psa_n}: a PSA needs at least 2 draws", fix="pass --psa 2 or more")
    effect, ref = model.effects[0], model.strategies.index(model.comparator)
    rows = []
    for scenario, options, table, (cost, gain, n_outcomes) in _base_cases(model, [BASE_CASE, *scenarios]):
        probability = None
        if psa_n:
            per_draw = memory.batch_bytes(1, len(table.names), len(model.strategies), n_outcomes)
            memory.require(psa_n * per_draw, budget, f"a PSA of {psa_n:,} draws per scenario",
                           fix="pass fewer --psa draws or a larger --memory")
            chunk = min(SETS_PER_CHUNK, memory.chunk_size(per_draw, budget))
            probability = _probability_cost_effective(model, table, options, wtp, psa_n, seed, chunk, engine)
        for j, strategy in enumerate(model.strategies):
            row = {"scenario": scenario.name, "description": scenario.description, "strategy": strategy,
                   "cost": cost[j], effect.outcome: gain[j]}
            if j != ref:
                row["incremental_cost"], row["incremental_effect"] = cost[j] - cost[ref], gain[j] - gain[ref]
                row["icer"], row["status"] = describe_increment(row["incremental_cost"], row["incremental_effect"])
                for lam in wtp:
                    row[f"inmb_{lam:.0f}"] = lam * row["incremental_effect"] - row["incremental_cost"]
            if probability is not None:
                for lam, p in zip(wtp, probability[:, j], strict=True):
                    row[f"p_cost_effective_{lam:.0f}"] = p
            rows.append(row)
    meta = {**model_meta(model), "report_wtp": wtp.tolist(), "psa": psa_n, "seed": seed if psa_n else None,
            "scenarios": [s.name for s in scenarios],
            "scenario_files": {s.name: str(s.source) for s in scenarios}}
    return Result("scenarios", {"scenarios": pd.DataFrame(rows)}, meta, "scenarios")


def _base_cases(model: Model, scenarios: Sequence[Scenario]) -> list[tuple]:
    """Each scenario with its options, its table and its base case's (cost [strategies], effect
    [strategies], number of outcomes): the scenarios that share options evaluated in one batch
    (the model is vectorised over sets, and a set's outcomes do not depend on the batch)."""
    effect = model.effects[0]
    prepared = [(scenario, options, scenario.table(model, options))
                for scenario in scenarios for options in [scenario.model_options(model)]]
    batches: list[list[int]] = []  # the scenarios of equal options (dataclasses compare by field)
    for i, (_, options, _) in enumerate(prepared):
        same = next((members for members in batches if prepared[members[0]][1] == options), None)
        if same is None:
            batches.append(same := [])
        same.append(i)
    found: dict[int, tuple] = {}
    for members in batches:
        options, bases = prepared[members[0]][1], [prepared[i][2].base_case() for i in members]
        sets = ParameterSets({name: np.concatenate([base[name] for base in bases]) for name in bases[0]})
        outcomes = model.evaluate(sets, options)
        if len(outcomes.problems):
            first = outcomes.problems.iloc[0]
            scenario = prepared[members[int(first["set"])]][0]
            raise InputError(f"scenario '{scenario.name}' cannot be evaluated: {first['reason']}", file=scenario.source)
        cost, gain = outcomes.total_cost, effect.of(outcomes)
        for k, i in enumerate(members):
            found[i] = (cost[k], gain[k], len(outcomes.names))
    return [(*prepared[i], found[i]) for i in range(len(prepared))]


def _probability_cost_effective(model, table, options, wtp, n, seed, chunk_size, engine) -> np.ndarray:
    psa = run_psa(model, n, seed, options=options, table=table, chunk_size=chunk_size, engine=engine)
    costs, effects = psa.costs_effects(model.effects[0])
    curve = ceac(costs, effects, model.strategies, np.asarray(wtp, dtype=float))
    return curve.pivot(index="wtp", columns="strategy", values="probability")[list(model.strategies)].to_numpy()

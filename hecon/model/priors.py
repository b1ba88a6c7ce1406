"""Named priors for a model's effect parameters: a prior replaces the distribution (and the
base value) of named rows of the parameter table, so that every analysis runs under it.

A model's priors are in ``<inputs>/priors/priors.csv``, one row per prior and parameter::

    prior, parameter, method, value, ci_low, ci_high, null, alternative, tail, description, source

``method`` says how the row's distribution is obtained (``docs/priors.md``):

- ``table``: the parameter table's own row, unchanged (e.g. the trial's design hypothesis);
- ``lognormal``: LogNormal with median ``value`` and 95 % interval ``ci_low``–``ci_high``;
- ``sceptical`` / ``enthusiastic`` (Spiegelhalter, Freedman & Parmar 1994, JRSS A 157:357–416;
  Spiegelhalter, Abrams & Myles 2004, §5.5): on the log scale, normal with the same spread σ =
  |ln alternative − ln null| / z₁₋tail; the sceptical prior is centred on ``null`` (no effect)
  with probability ``tail`` of an effect beyond ``alternative``; the enthusiastic prior is
  centred on ``alternative`` with probability ``tail`` of no effect or worse;
- ``meta_analysis``: a random-effects meta-analysis of earlier studies (``priors/studies.csv``)
  on the log scale, each study's estimate adjusted for its indirectness
  (``priors/indirectness.csv``, :func:`bias_adjusted`), pooled by DerSimonian–Laird
  (:func:`random_effects`); the prior is the predictive distribution of the effect in a new
  setting, N(μ̂, SE(μ̂)² + τ̂²) (Higgins, Thompson & Spiegelhalter 2009, JRSS A 172:137–59).

Every prior but ``table`` gives a LogNormal (the parameters are ratios). The priors are applied
by :meth:`Prior.apply` (a new, re-validated table) and to a model by :func:`under_prior`
(a model whose ``load_parameters`` applies the prior, so scenarios, value of information and
validation see it too). A parameter the table does not hold is an InputError naming the file
and row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from hecon.errors import InputError
from hecon.model.contract import Model
from hecon.model.files import check_identifier, iter_csv_rows, parse_number, shown
from hecon.model.parameters import ParameterTable

FOLDER = "priors"
PRIORS_FILE = "priors.csv"
STUDIES_FILE = "studies.csv"
INDIRECTNESS_FILE = "indirectness.csv"
COLUMNS = ("prior", "parameter", "method", "value", "ci_low", "ci_high", "null", "alternative", "tail",
           "description", "source")
#: method → the numeric cells it needs
METHODS = {"table": (), "lognormal": ("value", "ci_low", "ci_high"),
           "sceptical": ("null", "alternative", "tail"), "enthusiastic": ("null", "alternative", "tail"),
           "meta_analysis": ()}
STUDY_COLUMNS = ("prior", "parameter", "study", "measure", "estimate", "ci_low", "ci_high", "endpoint",
                 "population", "intervention", "source", "status")
INDIRECTNESS_COLUMNS = ("study", "dimension", "bias", "bias_sd", "bias_sd_low", "bias_sd_high", "reason")
#: the dimensions of indirectness a study is discounted for (Turner et al. 2009's external bias)
DIMENSIONS = ("population", "intervention", "endpoint")
Z95 = 1.959963984540054  # Φ⁻¹(0.975), written out: scipy.stats costs every command ≈ 1 s to import


# ---------------------------------------------------------------- evidence synthesis

@dataclass(frozen=True)
class Pooled:
    """A random-effects pooled estimate on the log scale: mean μ̂, its standard error, the
    between-study variance τ̂², Cochran's Q and the number of studies."""

    mean: float
    se: float
    tau2: float
    q: float
    k: int

    @property
    def predictive_sd(self) -> float:
        """SD of the effect in a new setting: √(SE(μ̂)² + τ̂²)."""
        return math.sqrt(self.se ** 2 + self.tau2)


def random_effects(estimates, variances) -> Pooled:
    """DerSimonian–Laird random-effects meta-analysis (DerSimonian & Laird, Control Clin Trials
    1986;7:177–188): wᵢ = 1/vᵢ, ȳ_w = Σwᵢyᵢ/Σwᵢ, Q = Σwᵢ(yᵢ − ȳ_w)², τ̂² = max(0, (Q − (k − 1)) /
    (Σwᵢ − Σwᵢ²/Σwᵢ)), μ̂ = Σyᵢ/(vᵢ + τ̂²) / Σ1/(vᵢ + τ̂²), SE(μ̂) = (Σ1/(vᵢ + τ̂²))^−½; with
    τ̂² = 0 the fixed-effect estimate.

    statsmodels' ``combine_effects(method_re="dl")`` after truncating its τ̂² at 0, to 1e-9 (a
    test compares them; Q here by the centred sum, statsmodels' Σwy² − (Σwy)²/Σw differs in the
    last digits), written out because importing statsmodels' meta-analysis costs every command
    with a prior about 1 s for these few sums."""
    y, v = np.asarray(estimates, dtype=float), np.asarray(variances, dtype=float)
    w = 1 / v
    q = float((w * (y - (w * y).sum() / w.sum()) ** 2).sum())
    spread = w.sum() - (w ** 2).sum() / w.sum()
    tau2 = max(0.0, (q - (y.size - 1)) / spread) if y.size > 1 else 0.0  # one study: no τ²
    w_star = 1 / (v + tau2)
    return Pooled(float((w_star * y).sum() / w_star.sum()), float(w_star.sum() ** -0.5), tau2, q, y.size)


def bias_adjusted(log_estimate, se, bias, bias_sd) -> tuple[np.ndarray, np.ndarray]:
    """A study's log estimate adjusted for additive bias (Turner, Spiegelhalter, Smith &
    Thompson 2009, JRSS A 172:21–47): with biases δ_d ~ N(b_d, s_d²) for each dimension of
    indirectness d, y' = y − Σ b_d and SE' = √(SE² + Σ s_d²). ``bias`` and ``bias_sd`` are
    [studies, dimensions]; the study keeps the share SE²/SE'² of its weight."""
    bias, bias_sd = np.atleast_2d(bias), np.atleast_2d(bias_sd)
    return (np.asarray(log_estimate) - bias.sum(1),
            np.sqrt(np.asarray(se) ** 2 + (bias_sd ** 2).sum(1)))


def log_se(ci_low, ci_high) -> np.ndarray:
    """The standard error of a log ratio from its 95 % interval: (ln U − ln L) / (2 × 1.96)."""
    return (np.log(ci_high) - np.log(ci_low)) / (2 * Z95)


@dataclass(frozen=True)
class Synthesis:
    """The studies behind a ``meta_analysis`` prior, adjusted for indirectness, and their
    pooled estimate (``pooled``; ``sensitivity``: pooled with every bias SD at the low and at
    the high end of its reasoned range)."""

    studies: pd.DataFrame
    pooled: Pooled
    sensitivity: Mapping[str, Pooled]

    def cells(self) -> dict[str, float]:
        """The prior's LogNormal as table cells: median exp(μ̂), 95 % interval exp(μ̂ ± 1.96·σ),
        σ the predictive SD."""
        return lognormal_cells(self.pooled.mean, self.pooled.predictive_sd)

    def table(self) -> pd.DataFrame:
        """One row per study (estimate, adjusted estimate, weight) and one per pooled result."""
        rows = self.studies.assign(result="study")
        pooled = [{"result": name, "study": label, "adjusted_log_estimate": p.mean, "adjusted_se": p.se,
                   "tau2": p.tau2, "q": p.q, "predictive_sd": p.predictive_sd,
                   "median": math.exp(p.mean), "ci_low": math.exp(p.mean - Z95 * p.predictive_sd),
                   "ci_high": math.exp(p.mean + Z95 * p.predictive_sd),
                   "p_below_1": 0.5 * math.erfc(p.mean / (p.predictive_sd * math.sqrt(2)))}
                  for name, label, p in [("pooled", "random-effects prior", self.pooled),
                                         *[(f"pooled_bias_sd_{end}", f"bias SDs at the {end} end", q)
                                           for end, q in self.sensitivity.items()]]]
        return pd.concat([rows, pd.DataFrame(pooled)], ignore_index=True)


def lognormal_cells(meanlog: float, sdlog: float) -> dict[str, float]:
    """LogNormal(μ, σ) as parameter-table cells: value = e^μ (the median), 95 % interval e^(μ ± 1.96σ)."""
    return {"value": math.exp(meanlog), "ci_low": math.exp(meanlog - Z95 * sdlog),
            "ci_high": math.exp(meanlog + Z95 * sdlog)}


def synthesis(folder: Path, prior: str, parameter: str) -> Synthesis:
    """The meta-analysis of the studies of ``folder/studies.csv`` for ``prior`` and
    ``parameter``, each adjusted by its rows of ``folder/indirectness.csv``."""
    path = folder / STUDIES_FILE
    studies = []
    for line, cells in iter_csv_rows(path, STUDY_COLUMNS, only=True):
        row = dict(zip(STUDY_COLUMNS, cells, strict=True))
        if (row["prior"], row["parameter"]) != (prior, parameter):
            continue
        numbers = {c: parse_number(row[c], file=path, row=line, column=c) for c in ("estimate", "ci_low", "ci_high")}
        if not 0 < numbers["ci_low"] <= numbers["estimate"] <= numbers["ci_high"]:
            raise InputError(f"study '{row['study']}': the ratio and its interval must satisfy 0 < ci_low ≤ "
                             "estimate ≤ ci_high", file=path, row=line, column="estimate")
        studies.append({**row, **numbers, "row": line})
    if not studies:
        raise InputError(f"no study for prior '{prior}' and parameter '{parameter}'", file=path,
                         fix="add the earlier studies' estimates, one row each")
    frame = pd.DataFrame(studies)
    frame["log_estimate"], frame["se"] = np.log(frame.estimate), log_se(frame.ci_low, frame.ci_high)
    biases = _indirectness(folder / INDIRECTNESS_FILE, frame)
    pooled = {}
    for column, name in (("bias_sd", "pooled"), ("bias_sd_low", "low"), ("bias_sd_high", "high")):
        y, se = bias_adjusted(frame.log_estimate, frame.se, biases["bias"], biases[column])
        pooled[name] = random_effects(y, se ** 2)
        if column == "bias_sd":
            frame["bias"], frame["bias_sd"] = biases["bias"].sum(1), np.sqrt((biases[column] ** 2).sum(1))
            frame["adjusted_log_estimate"], frame["adjusted_se"] = y, se
            weights = 1 / (se ** 2 + pooled[name].tau2)
            frame["weight"] = weights / weights.sum()
    columns = ["study", "measure", "estimate", "ci_low", "ci_high", "endpoint", "population", "intervention",
               "log_estimate", "se", "bias", "bias_sd", "adjusted_log_estimate", "adjusted_se", "weight", "source",
               "status"]
    return Synthesis(frame[columns], pooled.pop("pooled"), pooled)


def _indirectness(path: Path, studies: pd.DataFrame) -> dict[str, np.ndarray]:
    """Bias mean and SDs [studies, dimensions] of every study, from its rows of ``path`` (one per
    dimension of :data:`DIMENSIONS`; each is required, so every discount is stated)."""
    found: dict[tuple[str, str], dict[str, float]] = {}
    for line, cells in iter_csv_rows(path, INDIRECTNESS_COLUMNS, only=True):
        row = dict(zip(INDIRECTNESS_COLUMNS, cells, strict=True))
        if row["dimension"] not in DIMENSIONS:
            raise InputError(f"unknown dimension {shown(row['dimension'])}", file=path, row=line, column="dimension",
                             fix=f"use one of {', '.join(DIMENSIONS)}")
        numbers = {c: parse_number(row[c], file=path, row=line, column=c) for c in INDIRECTNESS_COLUMNS[2:6]}
        if not 0 <= numbers["bias_sd_low"] <= numbers["bias_sd"] <= numbers["bias_sd_high"]:
            raise InputError("the bias SDs must satisfy 0 ≤ bias_sd_low ≤ bias_sd ≤ bias_sd_high", file=path,
                             row=line, column="bias_sd")
        if not row["reason"]:
            raise InputError("no reason", file=path, row=line, column="reason", fix="say why the discount is what it is")
        found[(row["study"], row["dimension"])] = numbers
    result = {c: np.zeros((len(studies), len(DIMENSIONS))) for c in INDIRECTNESS_COLUMNS[2:6]}
    for i, study in enumerate(studies.study):
        for j, dimension in enumerate(DIMENSIONS):
            if (study, dimension) not in found:
                raise InputError(f"study '{study}' has no {dimension} row", file=path,
                                 fix=f"state its {dimension} discount (bias 0, bias_sd 0 if it is direct), with a reason")
            for column, value in found[(study, dimension)].items():
                result[column][i, j] = value
    return result


# ---------------------------------------------------------------- priors

@dataclass(frozen=True)
class Prior:
    """A named prior: new LogNormal cells (``value``, ``ci_low``, ``ci_high``) for some
    parameters (none for a ``table`` prior), where they come from, and the files it read."""

    name: str
    description: str
    source: str
    cells: Mapping[str, Mapping[str, float]]
    methods: Mapping[str, str]
    rows: Mapping[str, int]
    path: Path | None = None
    syntheses: Mapping[str, Synthesis] = field(default_factory=dict)

    @property
    def files(self) -> dict[str, Path]:
        """The files the prior was read from (for the manifest's hashes)."""
        if self.path is None:
            return {}
        folder = self.path.parent
        files = {"priors": self.path}
        if self.syntheses:
            files |= {"prior_studies": folder / STUDIES_FILE, "prior_indirectness": folder / INDIRECTNESS_FILE}
        return files

    def apply(self, table: ParameterTable) -> ParameterTable:
        """``table`` with each parameter of the prior given its LogNormal (base value: the
        prior's median; one-way range: its 95 % interval), re-validated."""
        for name, row in self.rows.items():
            if name not in table:
                error = table.unknown(name)
                raise InputError(f"prior '{self.name}': {error.message}", file=self.path, row=row,
                                 column="parameter", fix=error.fix)
        if not self.cells:
            return table
        values = {name: cells["value"] for name, cells in self.cells.items()}
        distributions = {name: {"distribution": "lognormal", "ci_low": cells["ci_low"],
                                "ci_high": cells["ci_high"], "low": None, "high": None}
                         for name, cells in self.cells.items()}
        return table.with_changes(values, distributions, file=self.path)


def read_priors(folder: Path) -> dict[str, Prior]:
    """Every prior of ``folder/priors.csv`` by name, in file order; {} when there is no file."""
    path = folder / PRIORS_FILE
    if not path.is_file():
        return {}
    found: dict[str, dict] = {}
    for line, cells in iter_csv_rows(path, COLUMNS, only=True):
        row = dict(zip(COLUMNS, cells, strict=True))
        name = check_identifier(row["prior"], "prior name", file=path, row=line, column="prior")
        parameter = check_identifier(row["parameter"], "parameter name", file=path, row=line, column="parameter")
        prior = found.setdefault(name, {"description": row["description"], "source": row["source"],
                                        "cells": {}, "methods": {}, "rows": {}, "syntheses": {}})
        if parameter in prior["rows"]:
            raise InputError(f"prior '{name}' names '{parameter}' twice (first on row {prior['rows'][parameter]})",
                             file=path, row=line, column="parameter", fix="give one row per prior and parameter")
        prior["rows"][parameter], prior["methods"][parameter] = line, row["method"]
        cells = _prior_cells(row, path, line, folder)
        if isinstance(cells, Synthesis):
            prior["syntheses"][parameter], cells = cells, cells.cells()
        if cells is not None:
            prior["cells"][parameter] = cells
    return {name: Prior(name, path=path, **content) for name, content in found.items()}


def _prior_cells(row: Mapping[str, str], path: Path, line: int, folder: Path):
    """The LogNormal cells of one row (None for ``table``; a Synthesis for ``meta_analysis``)."""
    method = row["method"]
    if method not in METHODS:
        raise InputError(f"unknown method {shown(method)}", file=path, row=line, column="method",
                         fix=f"use one of {', '.join(METHODS)}")
    if not row["source"]:
        raise InputError("no source", file=path, row=line, column="source",
                         fix="every prior needs its source (or 'assumption: <reason>')")
    numbers = {c: parse_number(row[c], file=path, row=line, column=c) for c in METHODS[method]}
    unused = [c for c in ("value", "ci_low", "ci_high", "null", "alternative", "tail")
              if row[c] and c not in METHODS[method]]
    if unused:
        raise InputError(f"column '{unused[0]}' is set but method {method} does not use it", file=path, row=line,
                         column=unused[0], fix=f"{method} takes {', '.join(METHODS[method]) or 'no number'}")
    if method == "table":
        return None
    if method == "meta_analysis":
        return synthesis(folder, row["prior"], row["parameter"])
    if method == "lognormal":
        if not 0 < numbers["ci_low"] <= numbers["value"] <= numbers["ci_high"]:
            raise InputError("a LogNormal needs 0 < ci_low ≤ value ≤ ci_high", file=path, row=line, column="value")
        return numbers
    return spiegelhalter(method, numbers["null"], numbers["alternative"], numbers["tail"], file=path, row=line)


def spiegelhalter(kind: str, null: float, alternative: float, tail: float, *, file=None, row=None) -> dict[str, float]:
    """The sceptical or enthusiastic prior of a ratio as LogNormal cells (module docstring):
    σ = |ln alternative − ln null| / Φ⁻¹(1 − tail); centred on ln null (sceptical) or ln
    alternative (enthusiastic)."""
    if not (null > 0 and alternative > 0 and null != alternative and 0 < tail < 0.5):
        raise InputError("a sceptical or enthusiastic prior needs positive, different null and alternative "
                         "ratios and 0 < tail < 0.5", file=file, row=row, column="tail")
    sdlog = abs(math.log(alternative) - math.log(null)) / NormalDist().inv_cdf(1 - tail)
    return lognormal_cells(math.log(null if kind == "sceptical" else alternative), sdlog)


def model_priors(model: Model) -> dict[str, Prior]:
    """The priors of a model's inputs folder (``<inputs>/priors/priors.csv``), or {}."""
    return read_priors(model.input_dir / FOLDER)


def choose_prior(model: Model, name: str) -> Prior:
    """The prior ``name`` of the model's priors file, or an InputError listing the names."""
    priors = model_priors(model)
    if name not in priors:
        where = model.input_dir / FOLDER / PRIORS_FILE
        raise InputError(f"--prior: no prior named {shown(name)}", file=where,
                         fix=f"choose one of {', '.join(priors)}" if priors else
                         "write the model's priors file (docs/priors.md), or leave out --prior")
    return priors[name]


class ModelUnderPrior(Model):
    """A model whose parameter table is transformed by a prior: ``load_parameters`` (and so
    every analysis, scenarios and value of information included) sees the prior's
    distributions, and ``input_files`` lists the prior's files for the manifest."""

    def __init__(self, model: Model, prior: Prior) -> None:
        cached = ("parameters",)
        self.__dict__.update({k: v for k, v in vars(model).items() if k not in cached})
        self.prior, self.base = prior, model

    def load_parameters(self, options=None) -> ParameterTable:
        return self.prior.apply(super().load_parameters(options))

    def input_files(self, options=None) -> dict[str, Path]:
        return {**super().input_files(options), **self.prior.files}

    @cached_property
    def parameters(self) -> ParameterTable:
        return self.load_parameters()


def without_prior(model: Model) -> Model:
    """The model a :class:`ModelUnderPrior` was made from (any other model itself)."""
    return model.base if isinstance(model, ModelUnderPrior) else model


def under_prior(model: Model, name: str | None) -> Model:
    """``model`` under its prior ``name`` (:class:`ModelUnderPrior`), or unchanged for None."""
    if name is None:
        return model
    under = ModelUnderPrior(model, choose_prior(model, name))
    under.load_parameters()  # an unknown parameter fails now, before any work
    return under

"""Expected value of sample information (EVSI) of a trial, and the expected net benefit of sampling.

A trial of n patients per arm yields data X; after it the decision maker picks the strategy with
the highest posterior expected net benefit, so

    EVSI(n, λ) = E_X[max_s E(NB_s | X)] − max_s E(NB_s),

(Raiffa & Schlaifer 1961; Ades, Lu & Claxton, Med Decis Making 2004;24:207–227). Two estimators
from one PSA, neither re-running the model:

- **Regression** (Strong, Oakley, Brennan & Breeze, Med Decis Making 2015;35:570–583): simulate one
  data set X_i from each draw θ_i, reduce it to low-dimensional summary statistics T(X_i), and
  regress each strategy's incremental costs and effects on T (a penalised spline, additive over
  the statistics: the GAM ``s(T1) + … + s(Tk)`` of Strong et al., with one smoothing parameter
  for all its smooths, :func:`~hecon.analysis.metamodel.fit_additive_spline`); the fitted values estimate
  E(NB | X_i), and the EVSI is the EVPI formula applied to them, with the standard error of the
  fitted values' posterior (Strong et al. 2014).
- **Moment matching** (Heath, Manolopoulos & Baio, Med Decis Making 2018;38:163–173): the
  preposterior means μ(X) of the increments have covariance Σ_pre = Σ_prior − E_X[Σ_post(X)]
  (law of total variance). E_X[Σ_post] is averaged over Q data sets simulated from Q draws, each
  posterior taken by importance weights w_i ∝ L(X_q | θ_i) on the PSA draws (the same
  likelihood as the regression's data). The draws' increments are then rescaled,
  μ̃_i = ȳ + Σ_pre^{1/2} Σ_prior^{−1/2} (y_i − ȳ), so that every net benefit λ·ΔE − ΔC has its
  preposterior variance, and the EVSI is the EVPI formula applied to μ̃. Standard error:
  bootstrap over the Q data sets. (A variant of Heath et al., who rescale the fitted values of
  the EVPPI regression on the informed parameters: the same for normal net benefit.)

The data-generating model (:class:`BinomialTrial`) is the model's: each draw implies, for every
arm and every endpoint the model declares (``TRIAL_ENDPOINTS``), the probability p that a patient
has the event by the trial's horizon; the trial observes x ~ Binomial(n, p) per arm and endpoint,
the endpoints independent given θ. As the data depend on θ only through these probabilities φ,
EVSI ≤ EVPPI(φ), and EVSI → EVPPI(φ) as n → ∞.

The expected net benefit of sampling of a trial of n per arm in a population of N (discounted)
patients is ENBS(n) = N · EVSI(n) − (fixed cost + per-patient cost × arms × n): the per-patient
cost counts every randomised patient, both arms (Conti & Claxton, Med Decis Making 2009).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.analysis import voi
from hecon.analysis.cea import outcome_matrices, wtp_values
from hecon.analysis.metamodel import fit_additive_spline, fit_spline
from hecon.analysis.result import Result
from hecon.errors import InputError
from hecon.model.files import parse_number, read_csv_cells

EVSI_METHODS = ("regression", "moment-matching")
#: Largest trial considered (patients per arm): beyond it, every binomial count is its mean
MAX_N_PER_ARM = 10_000_000
#: Data sets simulated for moment matching (Heath et al. 2018 use 30–50 with MCMC; importance
#: weights on the PSA draws make each one cheap, so more are used)
MM_DATASETS = 200
MM_BOOTSTRAP = 200
#: A moment-matching posterior resting on fewer effective draws than this is reported
LOW_ESS = 50
_PROBABILITY_FLOOR = 1e-12


# --------------------------------------------------------------------------- data models


def _nested(sizes: Sequence[int], more: Callable[[int], np.ndarray]) -> list[np.ndarray]:
    """Sufficient statistics (sums) of nested trials of each size (ascending): ``more(k)`` draws
    the sums of k more patients, added to the previous trial's."""
    totals, done, out = 0.0, 0, []
    for n in sizes:
        totals = totals + more(n - done)
        done = n
        out.append(totals)
    return out


@dataclass(frozen=True)
class BinomialTrial:
    """A trial with one arm per strategy and binary endpoints, as each PSA draw implies it.

    ``probabilities[i, a, e]`` is, in draw i, the probability that a patient of arm a has
    endpoint e by the trial's horizon. Counts per arm and endpoint are sufficient statistics:
    log L(x | θ_i) = Σ_{a,e} x_ae log p_iae + (n_ae − x_ae) log(1 − p_iae) (+ a constant).
    """

    probabilities: np.ndarray
    arms: tuple[str, ...]
    endpoints: tuple[str, ...]

    def __post_init__(self) -> None:
        p = np.asarray(self.probabilities, dtype=float)
        if p.ndim != 3 or p.shape[1:] != (len(self.arms), len(self.endpoints)):
            raise InputError("trial probabilities must be shaped [draws, arms, endpoints]")
        if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
            raise InputError("an endpoint's probability is not in [0, 1]",
                             fix="TRIAL_ENDPOINTS must name outcomes that are per-patient probabilities")

    @property
    def statistics(self) -> tuple[str, ...]:
        """The summary statistics' names: ``<endpoint>_<arm>`` (the share of patients with the event)."""
        return tuple(f"{e}_{a}" for a in self.arms for e in self.endpoints)

    @property
    def n_draws(self) -> int:
        return self.probabilities.shape[0]

    def _flat(self) -> np.ndarray:
        return np.clip(self.probabilities.reshape(self.n_draws, -1), _PROBABILITY_FLOOR, 1 - _PROBABILITY_FLOOR)

    def simulate(self, sizes: Sequence[int], rng: np.random.Generator) -> list[np.ndarray]:
        """Event counts ``[draws, statistics]`` of trials of each size (ascending), nested: the
        trial of n₂ patients per arm holds the n₁ of the smaller one and n₂ − n₁ more."""
        p = self._flat()
        return _nested(sizes, lambda k: rng.binomial(k, p))

    def summary(self, counts: np.ndarray, patients) -> np.ndarray:
        """The shares x / n."""
        return counts / patients

    def log_likelihood(self, counts: np.ndarray, patients) -> np.ndarray:
        """``[data sets, draws]`` log-likelihood of counts ``[data sets, statistics]`` observed in
        ``patients`` (a number, or one per statistic) under each draw."""
        p = self._flat()
        counts = np.atleast_2d(counts)
        return counts @ np.log(p).T + (patients - counts) @ np.log1p(-p).T


@dataclass(frozen=True)
class NormalMean:
    """A study observing n values ~ N(θ, σ²) of one parameter θ (σ known): voi's ``normal_known``.

    Sufficient statistic: the sum S of the n values; log L = −(S − nθ)² / (2nσ²).
    """

    theta: np.ndarray
    sd: float = 1.0
    statistics: tuple[str, ...] = ("mean",)

    @property
    def n_draws(self) -> int:
        return len(self.theta)

    def simulate(self, sizes: Sequence[int], rng: np.random.Generator) -> list[np.ndarray]:
        theta = np.asarray(self.theta, dtype=float)[:, None]
        return _nested(sizes, lambda k: rng.normal(k * theta, self.sd * np.sqrt(k)))

    def summary(self, sums: np.ndarray, n) -> np.ndarray:
        return sums / n

    def log_likelihood(self, sums: np.ndarray, n) -> np.ndarray:
        theta = np.asarray(self.theta, dtype=float)[None, :]
        return -((np.atleast_2d(sums) - n * theta) ** 2) / (2 * n * self.sd**2)


# --------------------------------------------------------------------------- inputs

#: The model's EVSI settings file in its inputs folder (optional): ``name, value, unit, source, status``
SETTINGS_FILE = "evsi.csv"
#: What it may set: the population (``--incidence``, ``--horizon``, ``--discount``), the trial's
#: costs (``--fixed-cost``, ``--cost-per-patient``) and the size of the running trial per arm
SETTINGS = ("annual_incidence", "horizon_years", "discount_rate", "fixed_cost", "cost_per_patient",
            "running_n_per_arm")


def read_settings(path) -> dict[str, float]:
    """The settings of a model's ``evsi.csv`` (each row sourced), name → value; {} without the file."""
    path = Path(path)
    if not path.exists():
        return {}
    rows, lines = read_csv_cells(path, ["name", "value", "source"])
    settings: dict[str, float] = {}
    for row, line in zip(rows, lines, strict=True):
        name = row["name"].strip()
        if name not in SETTINGS or name in settings:
            raise InputError(f"unknown or repeated setting '{name}'", file=path, row=line, column="name",
                             fix=f"use each of: {', '.join(SETTINGS)} at most once")
        if not row["source"].strip():
            raise InputError(f"setting '{name}' has no source", file=path, row=line, column="source",
                             fix="cite the source, or write 'assumption' with a reasoned range")
        settings[name] = parse_number(row["value"], file=path, row=line, column="value")
    return settings


def sample_sizes(values) -> list[int]:
    """Sample sizes per arm, sorted: whole numbers from 1 to :data:`MAX_N_PER_ARM`, each once."""
    sizes = np.atleast_1d(np.asarray(values, dtype=float))
    if sizes.ndim != 1 or sizes.size == 0:
        raise InputError("no sample size given", fix="give e.g. --n-per-arm 50,100,163,250,500,1000")
    bad = ~np.isfinite(sizes) | (sizes < 1) | (sizes > MAX_N_PER_ARM) | (sizes != np.round(sizes))
    if bad.any():
        raise InputError(f"sample size {sizes[bad][0]:g} is not a whole number of patients per arm "
                         f"from 1 to {MAX_N_PER_ARM:,}", fix="give e.g. --n-per-arm 50,100,163")
    if np.unique(sizes).size != sizes.size:
        raise InputError("a sample size is given twice", fix="give each sample size once")
    return sorted(int(n) for n in sizes)


def _increments(costs, effects) -> tuple[np.ndarray, int]:
    """Incremental costs then effects of every strategy vs the first, ``[draws, 2(S − 1)]``."""
    cost, effect = outcome_matrices(costs, effects)
    return np.hstack([cost[:, 1:] - cost[:, :1], effect[:, 1:] - effect[:, :1]]), cost.shape[1]


def _check_design(design, n_draws: int) -> None:
    if design.n_draws != n_draws:
        raise InputError(f"the trial's data model has {design.n_draws} draws for {n_draws} draws of the outputs",
                         fix="build it from the same PSA draws")


# --------------------------------------------------------------------------- the two methods


def evsi_regression(costs, effects, design, n_per_arm, wtp, *, seed: int = 0,
                    n_se_samples: int = 50, note: Callable[[str], None] | None = None) -> pd.DataFrame:
    """EVSI by nonparametric regression on simulated summary statistics (Strong et al. 2015).

    One regression per sample size (spline for one statistic, additive spline for several),
    trials nested across sizes. Returns
    ``n_per_arm, wtp, evsi, se``.
    """
    sizes = sample_sizes(n_per_arm)
    cost, effect = outcome_matrices(costs, effects)
    _check_design(design, cost.shape[0])
    rng = np.random.default_rng([seed, 1])
    tables = []
    for n, data in zip(sizes, design.simulate(sizes, rng), strict=True):
        statistics = pd.DataFrame(design.summary(data, n), columns=list(design.statistics))
        tables.append(_regression_voi(cost, effect, statistics, wtp, seed, n_se_samples, note)
                      .assign(n_per_arm=n))
    return pd.concat(tables, ignore_index=True)[["n_per_arm", "wtp", "evsi", "se"]]


def _regression_voi(cost, effect, inputs: pd.DataFrame, wtp, seed: int, n_se_samples: int,
                    note: Callable[[str], None] | None) -> pd.DataFrame:
    """The value of learning ``inputs`` (statistics or probabilities): the incremental costs and
    effects regressed on them (:func:`~hecon.analysis.metamodel.fit_spline` for one input,
    :func:`~hecon.analysis.metamodel.fit_additive_spline` for several), the EVPI formula on the
    fitted values, the SE over their posterior draws; an estimate above the EVPI is set to it
    (with a line to ``note``). Columns ``wtp, evsi, se``."""
    lam = wtp_values(wtp)
    responses, n_strategies = _increments(cost, effect)
    rng = np.random.default_rng([seed, 3])
    x = inputs.to_numpy(dtype=float)
    model = (fit_spline(x[:, 0], responses, n_posterior=n_se_samples, rng=rng) if x.shape[1] == 1
             else fit_additive_spline(x, responses, n_posterior=n_se_samples, rng=rng))
    estimate, se = voi.evppi_of_metamodel(model, n_strategies, lam)
    perfect = voi.evpi(cost, effect, lam)
    if note is not None and (estimate - perfect > np.fmax(2 * se, 0.01 * perfect)).any():
        note(f"the EVSI exceeded the EVPI by up to {(estimate - perfect).max():.4g} and was set to it")
    return pd.DataFrame({"wtp": lam, "evsi": np.clip(estimate, 0.0, perfect), "se": se})


def evsi_moment_matching(costs, effects, design, n_per_arm, wtp, *, seed: int = 0,
                         n_datasets: int = MM_DATASETS, n_bootstrap: int = MM_BOOTSTRAP) -> pd.DataFrame:
    """EVSI by moment matching (Heath et al. 2018), posteriors by importance weights on the draws.

    Returns ``n_per_arm, wtp, evsi, se, ess`` (``ess``: the median over the data sets of the
    effective sample size 1 / Σ w_i² of the importance weights; the posterior variances rest on it).
    """
    sizes = sample_sizes(n_per_arm)
    increments, n_strategies = _increments(costs, effects)
    _check_design(design, increments.shape[0])
    lam = wtp_values(wtp)
    rng = np.random.default_rng([seed, 2])
    rows = rng.choice(design.n_draws, size=min(n_datasets, design.n_draws), replace=False)
    centred = increments - increments.mean(axis=0)
    tables = []
    for n, data in zip(sizes, design.simulate(sizes, rng), strict=True):
        weights = importance_weights(design.log_likelihood(data[rows], n))
        means = weights @ centred                                   # [Q, m] posterior means
        second = np.einsum("qi,ij,ik->qjk", weights, centred, centred, optimize=True)
        posterior = second - np.einsum("qj,qk->qjk", means, means)  # [Q, m, m] posterior covariances
        estimate = _matched_evsi(centred, increments.mean(axis=0), posterior.mean(axis=0), n_strategies, lam)
        resampled = rng.integers(0, len(rows), size=(n_bootstrap, len(rows)))
        replicates = [_matched_evsi(centred, increments.mean(axis=0), posterior[r].mean(axis=0), n_strategies, lam)
                      for r in resampled]
        tables.append(pd.DataFrame({"n_per_arm": n, "wtp": lam, "evsi": estimate,
                                    "se": np.std(replicates, axis=0, ddof=1),
                                    "ess": float(np.median(1 / (weights**2).sum(axis=1)))}))
    return pd.concat(tables, ignore_index=True)


def importance_weights(log_likelihood: np.ndarray) -> np.ndarray:
    """Normalised weights ``[data sets, draws]`` from log-likelihoods (each row sums to 1)."""
    shifted = np.exp(log_likelihood - log_likelihood.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _symmetric_power(matrix: np.ndarray, power: float) -> np.ndarray:
    """``matrix^power`` of a symmetric positive semi-definite matrix; eigenvalues below 1e-12 of
    the largest count as 0 (a pseudo-inverse for negative powers)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    keep = values > 1e-12 * max(values.max(), 0.0)
    scaled = np.where(keep, np.where(keep, values, 1.0) ** power, 0.0)
    return (vectors * scaled) @ vectors.T


def _matched_evsi(centred: np.ndarray, mean: np.ndarray, posterior: np.ndarray, n_strategies: int,
                  lam: np.ndarray) -> np.ndarray:
    """EVSI from the mean posterior covariance: rescale the centred increments to the
    preposterior covariance Σ_prior − E[Σ_post] and apply the EVPI formula."""
    prior = centred.T @ centred / centred.shape[0]
    preposterior = _symmetric_power(prior - posterior, 1.0)  # clip negative eigenvalues
    transform = _symmetric_power(preposterior, 0.5) @ _symmetric_power(prior, -0.5)
    return np.maximum(voi._evppi_of_fit(mean + centred @ transform.T, n_strategies, lam), 0.0)


def evsi(costs, effects, design, n_per_arm, wtp, *, method: str = "regression", seed: int = 0,
         note: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Per-patient EVSI ``n_per_arm, wtp, evsi, se`` by ``method`` (see :data:`EVSI_METHODS`)."""
    if method == "regression":
        return evsi_regression(costs, effects, design, n_per_arm, wtp, seed=seed, note=note)
    if method == "moment-matching":
        table = evsi_moment_matching(costs, effects, design, n_per_arm, wtp, seed=seed)
        low = table.loc[table["ess"] < LOW_ESS, "n_per_arm"].unique()
        if len(low) and note is not None:
            note(f"moment matching: the posteriors of trials of {', '.join(map(str, low))} per arm rest on "
                 f"fewer than {LOW_ESS} effective draws; run more draws (--n) or use the regression")
        return table
    raise InputError(f"unknown EVSI method '{method}'", fix=f"use one of: {', '.join(EVSI_METHODS)}")


def trial_evppi(costs, effects, design: BinomialTrial, wtp, *, seed: int = 0) -> pd.DataFrame:
    """EVPPI of the probabilities the trial observes (the limit of the EVSI as n → ∞, and its
    upper bound): ``wtp, evppi, se``."""
    cost, effect = outcome_matrices(costs, effects)
    inputs = pd.DataFrame(design.probabilities.reshape(design.n_draws, -1), columns=list(design.statistics))
    return _regression_voi(cost, effect, inputs, wtp, seed, 50, None).rename(columns={"evsi": "evppi"})


# --------------------------------------------------------------------------- ENBS


@dataclass(frozen=True)
class TrialCosts:
    """What a trial costs: ``fixed`` (set-up, coordination, analysis) plus ``per_patient`` for
    every randomised patient, in every one of ``arms`` arms: C(n) = fixed + per_patient · arms · n."""

    fixed: float
    per_patient: float
    arms: int = 2

    def __post_init__(self) -> None:
        for name in ("fixed", "per_patient"):
            value = getattr(self, name)
            if not (np.isfinite(value) and 0 <= value <= 1e15):
                raise InputError(f"the trial's {name.replace('_', ' ')} cost must be a number from 0 to 1e15, "
                                 f"not {value:g}", fix="give e.g. --fixed-cost 500000 --cost-per-patient 5000")

    def of(self, n_per_arm) -> np.ndarray:
        return self.fixed + self.per_patient * self.arms * np.asarray(n_per_arm, dtype=float)


def enbs_table(evsi_frame: pd.DataFrame, population: voi.Population, costs: TrialCosts) -> pd.DataFrame:
    """``n_per_arm, wtp, population_evsi, trial_cost, enbs, optimal``: ENBS = N · EVSI − C(n),
    ``optimal`` marking the n of largest ENBS at each threshold (none when no ENBS is positive:
    then no trial of these sizes is worth its cost)."""
    table = evsi_frame[["n_per_arm", "wtp"]].reset_index(drop=True)
    table["population_evsi"] = evsi_frame["evsi"].to_numpy() * population.size()
    table["trial_cost"] = costs.of(table["n_per_arm"])
    table["enbs"] = table["population_evsi"] - table["trial_cost"]
    best = table.groupby("wtp")["enbs"].idxmax()
    table["optimal"] = table.index.isin(best) & (table["enbs"] > 0)
    return table


def optimal_sample_size(enbs: pd.DataFrame) -> pd.DataFrame:
    """The optimal trial at each threshold: ``wtp, n_per_arm, enbs, population_evsi,
    trial_cost`` (``n_per_arm`` 0 and ENBS 0 when no trial size has a positive ENBS)."""
    rows = []
    for lam, group in enbs.groupby("wtp", sort=True):
        chosen = group[group["optimal"]]
        if len(chosen):
            row = chosen.iloc[0]
            rows.append({"wtp": lam, "n_per_arm": int(row["n_per_arm"]), "enbs": row["enbs"],
                         "population_evsi": row["population_evsi"], "trial_cost": row["trial_cost"]})
        else:
            rows.append({"wtp": lam, "n_per_arm": 0, "enbs": 0.0, "population_evsi": 0.0, "trial_cost": 0.0})
    return pd.DataFrame(rows)


def evsi_result(evsi_frame: pd.DataFrame, limit: pd.DataFrame | None, population: voi.Population,
                costs: TrialCosts, **meta) -> Result:
    """The EVSI analysis as a Result: ``evsi`` (per patient and for the population, with SEs,
    and, given ``limit`` (:func:`trial_evppi`), the EVSI's limit as n grows), ``enbs`` and
    ``optimal_sample_size``, the population and the trial's costs in the meta."""
    size = population.size()
    table = evsi_frame.assign(population_evsi=evsi_frame["evsi"] * size, population_se=evsi_frame["se"] * size)
    if limit is not None:
        by_wtp = limit.set_index("wtp")["evppi"]
        table = table.assign(limit=table["wtp"].map(by_wtp), population_limit=table["wtp"].map(by_wtp) * size)
    enbs = enbs_table(evsi_frame, population, costs)
    frames = {"evsi": table, "enbs": enbs[["n_per_arm", "wtp", "enbs", "population_evsi", "trial_cost", "optimal"]],
              "optimal_sample_size": optimal_sample_size(enbs)}
    return Result("evsi", frames, {
        "population_size": size, "annual_incidence": population.annual_incidence,
        "horizon_years": population.horizon_years, "population_discount_rate": population.discount_rate,
        "trial_fixed_cost": costs.fixed, "trial_cost_per_patient": costs.per_patient, "trial_arms": costs.arms,
        **meta}, "evsi")


def chosen_endpoints(model, endpoints: Sequence[str] | None = None) -> list[str]:
    """The endpoints a trial of ``model`` measures: ``endpoints`` (default: every one of its
    ``TRIAL_ENDPOINTS``), each one the model declares; checked before any draw is evaluated."""
    declared = model.trial_endpoints
    if not declared:
        raise InputError(f"model '{model.name}' declares no TRIAL_ENDPOINTS",
                         fix="declare the binary endpoints its trial observes (see docs/evsi.md)")
    chosen = list(dict.fromkeys(endpoints)) if endpoints else list(declared)
    unknown = [e for e in chosen if e not in declared]
    if unknown:
        raise InputError(f"unknown endpoint '{unknown[0]}'", fix=f"choose among: {', '.join(declared)}")
    return chosen


def trial_design(model, outcomes, endpoints: Sequence[str] | None = None) -> BinomialTrial:
    """The trial of ``model`` (one arm per strategy) for its PSA ``outcomes``: the probabilities
    of the chosen endpoints (:func:`chosen_endpoints`), draw by draw."""
    declared, chosen = model.trial_endpoints, chosen_endpoints(model, endpoints)
    missing = [declared[e] for e in chosen if declared[e] not in outcomes.names]
    if missing:
        raise InputError(f"TRIAL_ENDPOINTS names '{missing[0]}', which the model's evaluate does not return",
                         file=model.source, fix=f"name one of: {', '.join(outcomes.names)}")
    probabilities = np.stack([outcomes[declared[e]] for e in chosen], axis=-1)
    return BinomialTrial(probabilities, tuple(outcomes.strategies), tuple(chosen))

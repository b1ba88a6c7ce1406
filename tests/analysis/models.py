"""Models with known answers for the analysis tests: a linear model, a recording wrapper."""

import csv

import numpy as np

from hecon.model import Effect
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import COLUMNS, ParameterTable

COEFFICIENTS = {"a": 100.0, "b": -40.0}   # incremental cost = Σ c_i p_i ; effect = 0.01·a
WTP = 50_000.0


class LinearModel:
    """Two strategies; the new one's incremental cost is linear in a and b, its incremental
    QALYs are 0.01·a, and parameter 'unused' enters nothing."""

    name, strategies, comparator = "linear", ("old", "new"), "old"
    effects = (Effect("qalys", "QALY gained", "QALY"),)
    strategy_labels = {"old": "Old care", "new": "New drug"}

    def __init__(self, coefficients=COEFFICIENTS):
        self.coefficients = coefficients

    def options(self, overrides=None, source=None):
        return None

    def evaluate(self, sets, options=None, chunk_size=None, progress=None):
        cost = self.coefficients["a"] * sets["a"] + self.coefficients["b"] * sets["b"]
        zero = np.zeros(sets.n)
        return Outcomes(self.strategies, {"cost": np.stack([zero, cost], 1)},
                        {"qalys": np.stack([zero, 0.01 * sets["a"]], 1)})


def linear_table(folder) -> ParameterTable:
    """The table of :class:`LinearModel`: a uniform, b normal, 'unused' beta."""
    rows = [
        {"name": "a", "value": "2", "distribution": "uniform", "lower": "1", "upper": "3", "low": "1", "high": "3", "source": "test"},
        {"name": "b", "value": "5", "distribution": "normal", "se": "1", "low": "4", "high": "7", "source": "test"},
        {"name": "unused", "value": "0.5", "distribution": "beta", "alpha": "5", "beta": "5", "source": "test"},
    ]
    path = folder / "linear.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows([{c: r.get(c, "") for c in COLUMNS} for r in rows])
    return ParameterTable.load(path)


class Recording:
    """A model that records every batch it evaluates (sizes and parameter sets)."""

    def __init__(self, model):
        self.model, self.batches = model, []

    def __getattr__(self, name):
        return getattr(self.model, name)

    def evaluate(self, sets, options=None, chunk_size=None, progress=None):
        self.batches.append(sets)
        return self.model.evaluate(sets, options, chunk_size=chunk_size)

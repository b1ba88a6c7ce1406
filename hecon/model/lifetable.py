"""General-population life tables: mortality by single year of age and sex.

A period life table gives, for each integer age x, the probability q_x of dying between exact
ages x and x + 1. hecon reads it as a piecewise-constant force of mortality,
μ(a) = −ln(1 − q_⌊a⌋), so that the cumulative hazard between any two (fractional) ages is an
exact integral and survival is smooth in the starting age (which a PSA samples).
Ages beyond the table's last row of data are extrapolated by a Gompertz law fitted to its last
15 ages, up to the closing age (110), where everyone dies. A final row with q = 1 (an open
interval closed by construction, as INSEE's 100+) is not data and is replaced by the tail.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hecon.errors import InputError

SEXES = ("male", "female")
#: force of mortality used for q = 1 (exp(−50) ≈ 2e−22 survive a year)
CLOSING_HAZARD = 50.0


@dataclass(frozen=True)
class LifeTable:
    """Forces of mortality by sex for ages 0 … ``closing_age`` (the last one closes the table).

    ``hazard[s][x]`` is the constant force of mortality between exact ages x and x + 1 for
    sex ``SEXES[s]``.
    """

    hazard: np.ndarray  # [2, closing_age + 1]
    source: Path | None = None

    @property
    def closing_age(self) -> int:
        return self.hazard.shape[1] - 1

    @classmethod
    def load(cls, path: str | Path, closing_age: int = 110) -> LifeTable:
        """Read a CSV with columns ``age, sex, qx`` (other columns ignored)."""
        path = Path(path)
        try:
            frame = pd.read_csv(path)
        except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read the life table ({error})", file=path) from None
        missing = {"age", "sex", "qx"} - set(frame.columns)
        if missing:
            raise InputError(f"missing column(s) {', '.join(sorted(missing))}", file=path,
                             fix="a life table needs columns age, sex, qx")
        rows = []
        for sex in SEXES:
            part = frame[frame["sex"] == sex].sort_values("age")
            if part.empty:
                raise InputError(f"no rows for sex '{sex}'", file=path, column="sex")
            ages = part["age"].to_numpy()
            if not np.array_equal(ages, np.arange(ages[0], ages[0] + len(ages))) or ages[0] != 0:
                raise InputError(f"ages for {sex} must run 0, 1, 2, … without gaps", file=path,
                                 column="age")
            qx = pd.to_numeric(part["qx"], errors="coerce").to_numpy()
            bad = np.flatnonzero(~((qx >= 0) & (qx <= 1)))
            if bad.size:
                line = int(part.index[bad[0]]) + 2
                raise InputError("qx must be a probability in [0, 1]", file=path, row=line,
                                 column="qx")
            if qx[-1] == 1.0:
                qx = qx[:-1]
            rows.append(_extend(qx[: closing_age + 1], closing_age))
        return cls(np.vstack(rows), path)

    def cumulative_hazard(self, age: np.ndarray, sex: int) -> np.ndarray:
        """Λ(a) = ∫₀ᵃ μ(x) dx for (fractional) ages; ages past the table keep the closing force."""
        h = self.hazard[sex]
        knots = np.concatenate([[0.0], np.cumsum(h)])
        age = np.clip(np.asarray(age, dtype=float), 0.0, None)
        whole = np.minimum(np.floor(age).astype(int), self.closing_age)
        return knots[whole] + (age - whole) * h[whole]

    def life_expectancy(self, age: int, sex: int) -> float:
        """Period life expectancy at integer age x: e_x = 1/2 + Σ_{k≥1} l_{x+k} / l_x.

        The usual life-table approximation (deaths at mid-year), with l from the table's q_x.
        """
        q = 1 - np.exp(-self.hazard[sex][age:])
        survivors = np.cumprod(1 - q)
        return 0.5 + float(survivors.sum())


def _extend(qx: np.ndarray, closing_age: int) -> np.ndarray:
    """Forces of mortality 0 … closing_age: the table's, a Gompertz tail, then closure."""
    with np.errstate(divide="ignore"):
        hazard = -np.log1p(-qx)
    hazard = np.where(np.isfinite(hazard), hazard, CLOSING_HAZARD)
    last = len(hazard) - 1
    if last < closing_age:
        fit_ages = np.arange(last - 14, last + 1)
        slope, intercept = np.polyfit(fit_ages, np.log(hazard[fit_ages]), 1)
        tail = np.exp(intercept + slope * np.arange(last + 1, closing_age + 1))
        hazard = np.concatenate([hazard, tail])
    hazard = hazard[: closing_age + 1].copy()
    hazard[closing_age] = CLOSING_HAZARD
    return hazard

"""Price indices: converting costs between price years.

A cost of c in euros of year y₀ is c · I(y₁)/I(y₀) in euros of year y₁, with I a consumer
price index (for France, INSEE's annual CPI; see ``hecon_models/inputs/ifn_gamma/france_cpi.SOURCE.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hecon.errors import InputError


@dataclass(frozen=True)
class PriceIndex:
    """Annual index values of one series, by year."""

    values: dict[int, float]
    series: str | None = None
    source: Path | None = None

    @classmethod
    def load(cls, path: str | Path, series: str | None = "all_items") -> PriceIndex:
        """Read a CSV with columns ``year, index`` (and ``series``, to pick one of several)."""
        path = Path(path)
        try:
            frame = pd.read_csv(path)
        except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read the price index ({error})", file=path) from None
        missing = {"year", "index"} - set(frame.columns)
        if missing:
            raise InputError(f"missing column(s) {', '.join(sorted(missing))}", file=path,
                             fix="a price index needs columns year, index")
        if "series" in frame.columns:
            known = sorted(frame["series"].unique())
            if series not in known:
                raise InputError(f"no series '{series}' in the price index", file=path,
                                 column="series", fix=f"choose one of {', '.join(known)}")
            frame = frame[frame["series"] == series]
        year = pd.to_numeric(frame["year"], errors="coerce")
        index = pd.to_numeric(frame["index"], errors="coerce")
        checks = [("year", ~(year == year.round()), "years must be whole numbers"),
                  ("year", year.duplicated(), "a year appears twice in the series"),
                  ("index", ~(index > 0) | ~index.lt(float("inf")), "index values must be positive numbers")]
        for column, bad, message in checks:
            if bad.any():
                raise InputError(message, file=path, row=int(frame.index[bad.to_numpy()][0]) + 2,
                                 column=column)
        if frame.empty:
            raise InputError("the price index has no rows", file=path)
        return cls(dict(zip(year.astype(int), index.astype(float), strict=True)), series, path)

    def factor(self, from_year: int, to_year: int) -> float:
        """I(to_year) / I(from_year): multiply a cost of ``from_year`` by it."""
        for year in (from_year, to_year):
            if year not in self.values:
                raise InputError(
                    f"no price index for {year}", file=self.source,
                    fix=f"years available: {min(self.values)}–{max(self.values)}")
        return self.values[to_year] / self.values[from_year]

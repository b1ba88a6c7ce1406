"""Speed of the trial commands on simulated IFN-γ trials.

- `hecon trial simulate` of 326 and 100,000 patients;
- `hecon trial fit` on each (reading and validating the files, every estimator, the
  parametric survival models, the table, report and figure);
- `hecon trial cea` on the 326-patient trial with 5,000 bootstrap replicates (and, for
  scale, on the 100,000-patient trial with 200).

Each command runs in-process through the command-line application, so the times include
reading and writing the files. Run: python benchmarks/trial.py
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from hecon.cli import app

runner = CliRunner()


def timed(*arguments: object) -> float:
    start = time.perf_counter()
    result = runner.invoke(app, ["trial", *[str(a) for a in arguments], "--quiet"])
    elapsed = time.perf_counter() - start
    if result.exit_code != 0:
        raise SystemExit(f"hecon trial {' '.join(map(str, arguments))} failed:\n{result.output}")
    return elapsed


def main() -> None:
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for n in (326, 100_000):
            data = root / f"trial-{n}"
            print(f"\n{n:,} patients")
            print(f"  {'trial simulate':<32}{timed('simulate', '--n', n, '--seed', 1, '--dropout', 0.05, '--out', data):8.2f} s")
            print(f"  {'trial fit':<32}{timed('fit', data, '--out', root / f'fitted-{n}.csv'):8.2f} s")
            replicates = 5_000 if n < 1_000 else 200
            label = f"trial cea, {replicates:,} bootstrap"
            print(f"  {label:<32}{timed('cea', data, '--out', root / f'cea-{n}', '--bootstrap', replicates):8.2f} s")


if __name__ == "__main__":
    main()

"""Speed and memory of ``ParameterTable.load`` on large tables, against a bare CSV read.

Generates valid parameter tables of 10,000 and 100,000 rows in a temporary folder — a
realistic mix of beta (counts and mean/SE), gamma, lognormal (ratio and 95 % CI), normal
and fixed rows, with a three-category Dirichlet group every hundred rows — then measures,
for each size:

- ``ParameterTable.load`` time (best of 3) and its peak traced memory (``tracemalloc``, in a
  fresh subprocess, so the figure is the load's own allocations, not the interpreter's);
- the same for a bare ``csv.reader`` + ``float()`` of every number cell (the floor: reading
  the text, without validation or distributions).

Targets (issue "Safe by construction"): ≤ 1 s at 10k rows, ≤ 10 s at 100k rows, peak memory
≤ 10 × the file size. Loading is linear in the number of rows.

Run: ``.venv/bin/python benchmarks/parameters.py [--rows 10000 100000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hecon.model.parameters import COLUMNS, NUMBERS, ParameterTable

#: one block of twenty rows: (distribution, value, the argument cells, low, high)
BLOCK = (
    *[("beta", "0.315", {"alpha": "17", "beta": "37"})] * 4,
    *[("beta", "0.4", {"se": "0.06"})] * 2,
    *[("gamma", "1425", {"se": "285"})] * 4,
    *[("lognormal", "0.7", {"ci_low": "0.45", "ci_high": "1.1"})] * 3,
    *[("normal", "62", {"se": "3.5"})] * 2,
    *[("fixed", "0.025", {})] * 2,
    ("fixed", "0.025", {"low": "0", "high": "0.05"}),
)
DESCRIPTIONS = {"beta": "Probability of infection within 28 days", "gamma": "Cost of one ICU day",
                "lognormal": "Hazard ratio of infection, drug versus placebo",
                "normal": "Mean age at admission", "fixed": "Annual discount rate"}
UNITS = {"beta": "probability", "gamma": "EUR per day", "lognormal": "HR", "normal": "years",
         "fixed": "per year"}
SOURCES = ("Smith et al. 2019, Crit Care Med 47:1021", "National cost study 2022",
           "assumption: expert opinion")
DIRICHLET = (("0.2", "20"), ("0.05", "5"), ("0.75", "75"))
DIRICHLET_EVERY = 100


def write_table(path: Path, rows: int) -> None:
    """A valid parameter table of ``rows`` rows (see the module docstring for the mix)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        i = 0
        while i < rows:
            if i % DIRICHLET_EVERY == 0 and i + len(DIRICHLET) <= rows:
                for j, (value, alpha) in enumerate(DIRICHLET):
                    writer.writerow({"name": f"p_exit_{i}_{j}", "description": f"Exit {j} of group {i}",
                                     "value": value, "unit": "probability", "distribution": "dirichlet",
                                     "alpha": alpha, "group": f"exits_{i}", "status": "verified",
                                     "source": "Cohort Y"})
                i += len(DIRICHLET)
                continue
            kind, value, cells = BLOCK[i % len(BLOCK)]
            writer.writerow({"name": f"{kind}_{i}", "description": f"{DESCRIPTIONS[kind]} (subgroup {i})",
                             "value": value, "unit": UNITS[kind], "distribution": kind, **cells,
                             "status": "verified", "source": SOURCES[i % len(SOURCES)],
                             "notes": "from table 2" if i % 3 == 0 else ""})
            i += 1


def bare_read(path: Path) -> list[list[float | None]]:
    """The floor: every row's number cells through ``float()`` and kept, no validation."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        positions = [header.index(c) for c in NUMBERS]
        return [[float(cells[p]) if cells[p] else None for p in positions] for cells in reader]


LOADERS = {"ParameterTable.load": ParameterTable.load, "csv.reader + float()": bare_read}


def best_time(load, path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        load(path)
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(loader: str, path: Path) -> int:
    """Peak traced memory (bytes) of one load, measured in a fresh interpreter."""
    code = ("import sys, tracemalloc; sys.path.insert(0, sys.argv[1]); import parameters as b; "
            "from pathlib import Path; load = b.LOADERS[sys.argv[2]]; load(Path(sys.argv[3])); "
            "tracemalloc.start(); load(Path(sys.argv[3])); print(tracemalloc.get_traced_memory()[1])")
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), loader, str(path)],
                         check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.rows:
            path = Path(folder) / f"parameters_{rows}.csv"
            write_table(path, rows)
            size = path.stat().st_size
            for loader, load in LOADERS.items():
                seconds = best_time(load, path, args.repeat)
                peak = peak_memory(loader, path)
                figures.append({"rows": rows, "loader": loader, "file_mb": size / 2**20, "seconds": seconds,
                                "peak_mb": peak / 2**20, "peak_over_file": peak / size})
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    print(f"{'rows':>8} {'loader':<22} {'file MB':>8} {'time s':>8} {'peak MB':>8} {'peak/file':>9}")
    for f in figures:
        print(f"{f['rows']:>8} {f['loader']:<22} {f['file_mb']:>8.2f} {f['seconds']:>8.3f} "
              f"{f['peak_mb']:>8.1f} {f['peak_over_file']:>9.1f}")


if __name__ == "__main__":
    main()

"""Speed and memory of ``ParameterTable.load`` on large tables, against a bare CSV read, and
speed of ``ParameterTable.sample`` with its two samplers.

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

Sampling: ``table.sample(n, seed, method)`` of a one-row table of each family (a
three-category group for the Dirichlet) and of a table with all of them, for 1k, 10k and 100k
draws, with numpy's ``Generator`` methods (``"generator"``) and by inversion (``"inversion"``):
the minimum of ``--repeat-sampling`` rounds, every cell timed once a round (interleaved), the
time per value drawn and the ratio inversion / generator.

Run: ``.venv/bin/python benchmarks/parameters.py [--rows 10000 100000] [--repeat 3]
[--draws 1000 10000 100000] [--repeat-sampling 5] [--only load|sampling]``
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hecon.model.distributions import SAMPLERS
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
#: the sampling benchmark's rows, one family each (argument cells; the Dirichlet is a group)
FAMILIES = {
    "beta": [{"value": "0.315", "alpha": "17", "beta": "37"}],
    "gamma": [{"value": "1425", "se": "285"}],
    "lognormal": [{"value": "0.7", "ci_low": "0.45", "ci_high": "1.1"}],
    "normal": [{"value": "62", "se": "3.5"}],
    "truncnormal": [{"value": "0.5", "se": "0.2", "lower": "0", "upper": "1"}],
    "uniform": [{"value": "21", "lower": "10", "upper": "30"}],
    "triangular": [{"value": "6", "lower": "4", "upper": "8"}],
    "pert": [{"value": "4.5", "lower": "3", "upper": "5"}],
    "dirichlet": [{"value": value, "alpha": alpha, "group": "exits"} for value, alpha in DIRICHLET],
}


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


def write_family_table(path: Path, families: list[str]) -> ParameterTable:
    """A table of the :data:`FAMILIES` rows of ``families``, loaded."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        for family in families:
            for j, cells in enumerate(FAMILIES[family]):
                writer.writerow({"name": f"{family}_{j}", "distribution": family, **cells, "source": "benchmark"})
    return ParameterTable.load(path)


def sampling_times(folder: Path, draws: list[int], repeat: int) -> list[dict]:
    """Best time of ``table.sample(n, 1, method)`` for every family table, n and sampler,
    the cells interleaved within each of ``repeat`` rounds."""
    tables = {family: write_family_table(folder / f"{family}.csv", [family]) for family in FAMILIES}
    tables["all families"] = write_family_table(folder / "all.csv", list(FAMILIES))
    cells = [(name, n, method) for name in tables for n in draws for method in SAMPLERS]
    times = dict.fromkeys(cells, math.inf)
    for _ in range(repeat):
        for name, n, method in cells:
            start = time.perf_counter()
            tables[name].sample(n, 1, method)
            times[name, n, method] = min(times[name, n, method], time.perf_counter() - start)
    return [{"table": name, "draws": n, "values": n * len(table.uncertain),
             **{method: times[name, n, method] for method in SAMPLERS}}
            for name, table in tables.items() for n in draws]


def print_sampling(figures: list[dict]) -> None:
    print(f"{'table':<13} {'draws':>7} {'generator ms':>12} {'inversion ms':>12} "
          f"{'generator ns/value':>18} {'inversion ns/value':>18} {'ratio':>6}")
    for f in figures:
        generator, inversion = f["generator"], f["inversion"]
        print(f"{f['table']:<13} {f['draws']:>7} {generator * 1e3:>12.2f} {inversion * 1e3:>12.2f} "
              f"{generator / f['values'] * 1e9:>18.1f} {inversion / f['values'] * 1e9:>18.1f} "
              f"{inversion / generator:>6.1f}")


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


def load_figures(rows_list: list[int], repeat: int) -> list[dict]:
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        for rows in rows_list:
            path = Path(folder) / f"parameters_{rows}.csv"
            write_table(path, rows)
            size = path.stat().st_size
            for loader, load in LOADERS.items():
                seconds = best_time(load, path, repeat)
                peak = peak_memory(loader, path)
                figures.append({"rows": rows, "loader": loader, "file_mb": size / 2**20, "seconds": seconds,
                                "peak_mb": peak / 2**20, "peak_over_file": peak / size})
    return figures


def print_load(figures: list[dict]) -> None:
    print(f"{'rows':>8} {'loader':<22} {'file MB':>8} {'time s':>8} {'peak MB':>8} {'peak/file':>9}")
    for f in figures:
        print(f"{f['rows']:>8} {f['loader']:<22} {f['file_mb']:>8.2f} {f['seconds']:>8.3f} "
              f"{f['peak_mb']:>8.1f} {f['peak_over_file']:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--draws", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat-sampling", type=int, default=5)
    parser.add_argument("--only", choices=("load", "sampling"), help="Run one of the two benchmarks.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    figures = {}
    if args.only != "sampling":
        figures["load"] = load_figures(args.rows, args.repeat)
    if args.only != "load":
        with tempfile.TemporaryDirectory() as folder:
            figures["sampling"] = sampling_times(Path(folder), args.draws, args.repeat_sampling)
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    if "load" in figures:
        print_load(figures["load"])
    if "sampling" in figures:
        print_sampling(figures["sampling"])


if __name__ == "__main__":
    main()

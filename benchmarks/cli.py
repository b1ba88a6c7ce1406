"""Wall time of each command of the command line, as a whole process (start-up and imports
included), the best of several runs, with the step timings the results folder's manifest
records (``timings_seconds``) for the best run.

Beside them, the floor: Python importing numpy, pandas, scipy.linalg and scipy.special, which
every analysis command needs. Targets on a 2-core machine: ``hecon --help`` ≤ 0.3 s;
``hecon psa ifn_gamma --n 10000`` ≤ 3 s (EVPPI of the parameter groups included); ``hecon run``
≤ 10 s (every figure as HTML, PNG and SVG). The machine's load average is printed too: other work on the same cores slows every row.
The commands run with Python's bytecode cache on, as an installed hecon does (an environment
setting ``PYTHONDONTWRITEBYTECODE`` would make every start-up compile hecon's modules again:
≈ 0.2 s); the first of the runs writes the cache.

Run: python benchmarks/cli.py [--repeat 5] [--only help --only psa --only run] [--baseline DIR]
(``--baseline``: an earlier checkout, e.g. ``git archive HEAD | tar -x -C DIR``, timed in turn.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hecon.results.write import BESIDE_STEP

#: name → (arguments after ``hecon``, whether it writes a results folder into ``--out``)
COMMANDS: dict[str, tuple[list[str], bool]] = {
    "help": (["--help"], False),
    "psa": (["psa", "ifn_gamma", "--n", "10000"], True),
    "run": (["run"], True),
    "base": (["base", "ifn_gamma"], True),
    "dsa": (["dsa", "ifn_gamma"], True),
    "twoway": (["twoway", "ifn_gamma", "--x", "price_ifn_vial", "--y", "hr_infection_ifn",
                "--steps", "11"], True),
    "threshold": (["threshold", "ifn_gamma", "--param", "price_ifn_vial"], True),
    "scenarios": (["scenarios", "ifn_gamma"], True),
    "gsa": (["gsa", "ifn_gamma", "--n", "64"], True),
    "validate": (["validate", "ifn_gamma"], False),
}
#: the bare floor beside them: Python importing the numerical libraries every analysis needs
FLOOR = ["-c", "import numpy, pandas, scipy.linalg, scipy.special"]
TARGETS = {"help": 0.3, "psa": 3.0, "run": 10.0}


class CommandFailed(Exception):
    """A command ended with a non-zero exit code (its last line of stderr)."""


def timed(arguments: list[str], out: Path | None, source: Path | None = None) -> tuple[float, float, dict[str, float]]:
    """Wall seconds of ``hecon <arguments>`` (or of Python with the :data:`FLOOR` arguments) in
    a new process (hecon imported from ``source``, a checkout, when given), its CPU seconds
    (user and system, the browser's excluded) and the manifest's step timings."""
    command = [sys.executable, *(arguments if arguments == FLOOR else ["-m", "hecon", *arguments])]
    if out is not None:
        command += ["--out", str(out), "--quiet"]
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if source:
        environment["PYTHONPATH"] = str(source)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    finished = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=environment, cwd=source)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        raise CommandFailed(finished.stderr.strip().splitlines()[-1] if finished.stderr.strip() else "no message")
    steps = json.loads((out / "manifest.json").read_text()).get("timings_seconds", {}) if out else {}
    return seconds, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime, steps


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir())


def best_runs(arguments: list[str], writes: bool, repeat: int, sources: dict[str, Path | None]) -> dict:
    """For each source, the fastest of ``repeat`` runs (wall s, CPU s, steps) and its folder's
    size; the sources take turns, so that other work on the machine slows them alike."""
    runs: dict[str, list] = {label: [] for label in sources}
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(repeat):
            for label, source in sources.items():
                out = Path(scratch) / f"{label}{i}" if writes else None
                try:
                    runs[label].append((*timed(arguments, out, source), folder_bytes(out) if out else None))
                except CommandFailed as error:
                    failed[label] = str(error)
    return {label: failed.get(label) or min(found, key=lambda run: run[0]) for label, found in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (the best is shown)")
    parser.add_argument("--only", action="append", choices=list(COMMANDS), help="time only these commands")
    parser.add_argument("--baseline", type=Path, help="a checkout of an earlier hecon (e.g. `git archive HEAD`) "
                                                      "timed in turn with this one")
    chosen = parser.parse_args()
    sources = {"before": chosen.baseline.resolve(), "now": None} if chosen.baseline else {"now": None}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f} at the start")
    print(f"{'command':<60} {'best s':>7} {'cpu s':>7} {'target':>7}")
    floor = best_runs(FLOOR, False, chosen.repeat, {"now": None})["now"]
    print(f"{'python ' + ' '.join(FLOOR):<60} {floor[0]:7.2f} {floor[1]:7.2f}")
    for name in chosen.only or COMMANDS:
        arguments, writes = COMMANDS[name]
        target = f"{TARGETS[name]:.1f}" if name in TARGETS else ""
        for label, best in best_runs(arguments, writes, chosen.repeat, sources).items():
            shown = f"hecon {' '.join(arguments)}" + (f" [{label}]" if chosen.baseline else "")
            if isinstance(best, str):
                print(f"{shown:<60} failed: {best[:80]}")
                continue
            seconds, cpu, steps, size = best
            print(f"{shown:<60} {seconds:7.2f} {cpu:7.2f} {target:>7}" + (f"  ({size / 1e6:.2f} MB)" if size else ""))
            for step, step_seconds in steps.items():
                print(f"    {step:<56} {step_seconds:7.2f}")
            if steps:  # the steps one after another (not the tables, written beside them)
                after = sum(value for step, value in steps.items() if step != BESIDE_STEP)
                print(f"    {'start-up, loading and the rest':<56} {seconds - after:7.2f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()

"""Wall time of `hecon run` with its default options, end to end, and of its report step alone.

Run: python benchmarks/run.py
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

from hecon.cli.pipeline import run_all
from hecon.model import Model
from hecon.results.report import build_report
from hecon.results.workbook import write_workbook


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "run"
        start = time.perf_counter()
        _, notes = run_all(Model("ifn_gamma"), out, quiet=True)
        total = time.perf_counter() - start
        timings = json.loads((out / "manifest.json").read_text())["timings_seconds"]
        print(f"  hecon run (default: 2,000 PSA draws)   {total:6.1f} s")
        for step, seconds in timings.items():
            print(f"    {step:<36} {seconds:6.2f} s")
        start = time.perf_counter()
        build_report(out)
        write_workbook(out)
        print(f"  report.html + results.xlsx alone       {time.perf_counter() - start:6.2f} s")
        for note in notes:
            print(f"  note: {note}")


if __name__ == "__main__":
    main()

"""The fuzz corpus's table: per input kind, cases tried and how each ended.

    .venv/bin/python scripts/fuzz_tally.py            # the CI profile (derandomised)
    HYPOTHESIS_PROFILE=long .venv/bin/python scripts/fuzz_tally.py

Runs ``pytest tests/fuzz`` with ``HECON_FUZZ_TALLY`` set (see ``tests/fuzz/conftest.py``),
then prints a Markdown table: clear errors, tracebacks, crashes, silent wrong results,
unclear (multi-line or other exit code) errors, and files left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

OUTCOMES = ("clear error", "traceback", "crash", "silent wrong result", "unclear error",
            "files left behind")


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        tally = Path(folder) / "tally.jsonl"
        run = subprocess.run([sys.executable, "-m", "pytest", "tests/fuzz", "-q", "-p", "no:cacheprovider"],
                             cwd=root, env={**os.environ, "HECON_FUZZ_TALLY": str(tally)})
        records = [json.loads(line) for line in tally.read_text().splitlines()] if tally.exists() else []
    counts = Counter((r["kind"], r["outcome"]) for r in records)
    kinds = sorted({r["kind"] for r in records})
    print("| input kind | cases | " + " | ".join(OUTCOMES) + " |")
    print("|---|---:|" + "---:|" * len(OUTCOMES))
    for kind in kinds:
        row = [counts[kind, outcome] for outcome in OUTCOMES]
        print(f"| {kind.replace('_', ' ')} | {sum(row)} | " + " | ".join(map(str, row)) + " |")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())

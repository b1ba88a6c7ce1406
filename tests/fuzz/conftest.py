"""The fuzz corpus's contract: hostile input ends in one clear line, exit 2, nothing written.

``refused(args, ...)`` runs ``hecon`` in process from an empty working folder and asserts
what every malformed input must give (issue "Safe by construction"):

- exit code 2 and exactly one line on stderr, starting ``error:``;
- no traceback, no uncaught exception;
- no file written or changed in the working folder or any watched folder;
- every input file byte-identical afterwards.

Hypothesis runs derandomised with a bounded number of examples in CI (profile ``ci``, the
default); ``HYPOTHESIS_PROFILE=long`` runs many more locally.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from hecon.cli import app

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.register_profile("long", max_examples=1_000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def snapshot(*folders: Path) -> dict[str, str]:
    """Every file below ``folders`` (hidden ones included) → SHA-256 of its bytes."""
    files = {}
    for folder in folders:
        if not folder.exists():
            continue
        paths = [folder] if folder.is_file() else sorted(folder.rglob("*"))
        for path in paths:
            if path.is_file() and not path.is_symlink():
                files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.is_dir():
                files[str(path)] = "<dir>"
    return files


def refused(args: Sequence[object], *, watch: Iterable[Path] = (), contains: str | None = None) -> str:
    """Run ``hecon args`` in process from the current folder and assert a clean refusal.

    ``watch`` lists the folders and input files that must be unchanged (the working folder
    always is). Returns the one error line, so a test can check what it names; ``contains``
    is a text the line must hold.
    """
    watched = [Path.cwd(), *map(Path, watch)]
    before = snapshot(*watched)
    result = CliRunner().invoke(app, [str(a) for a in args])
    _tally(result, before != snapshot(*watched))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}")
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in result.stderr, line
    if contains is not None:
        assert contains in line, line
    assert snapshot(*watched) == before, "a refused run wrote or changed a file"
    return line


def _outcome(result, changed: bool) -> str:
    """How a run that should have been refused ended, in the closing note's categories."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return "traceback"
    if "Traceback" in result.stderr:
        return "traceback"
    if result.exit_code < 0 or result.exit_code > 128:
        return "crash"
    if result.exit_code == 0:
        return "silent wrong result"
    if changed:
        return "files left behind"
    if len(result.stderr.strip().splitlines()) != 1 or result.exit_code != 2:
        return "unclear error"
    return "clear error"


def _tally(result, changed: bool) -> None:
    """With ``HECON_FUZZ_TALLY=FILE``, append this case's input kind (its test module) and
    outcome to FILE as one JSON line; ``scripts/fuzz_tally.py`` makes the table of them."""
    path = os.environ.get("HECON_FUZZ_TALLY")
    if path:
        kind = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[0].rsplit("/", 1)[-1]
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"kind": kind.removeprefix("test_").removesuffix(".py"),
                                     "outcome": _outcome(result, changed)}) + "\n")

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
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
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


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """An empty working folder for the run (the CLI's relative paths land here)."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def refused(args: Sequence[object], *, watch: Iterable[Path] = (), contains: str | None = None) -> str:
    """Run ``hecon args`` in process from the current folder and assert a clean refusal.

    ``watch`` lists the folders and input files that must be unchanged (the working folder
    always is). Returns the one error line, so a test can check what it names; ``contains``
    is a text the line must hold.
    """
    watched = [Path.cwd(), *map(Path, watch)]
    before = snapshot(*watched)
    result = CliRunner().invoke(app, [str(a) for a in args])
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

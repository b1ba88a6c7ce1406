"""Fixtures shared by several test files."""

import pytest
from typer.testing import CliRunner

from hecon.cli import app


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """One `hecon run --quick` of the flagship model for the whole session (read-only: a test
    that changes the folder works on a copy)."""
    out = tmp_path_factory.mktemp("quick_run") / "ifn_gamma"
    result = CliRunner().invoke(app, ["run", "--quick", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder for the run (the CLI's relative paths land here)."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder

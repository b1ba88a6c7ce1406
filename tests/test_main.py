"""`python -m hecon` (hecon.__main__) runs the command-line interface, exit codes included."""

from __future__ import annotations

import subprocess
import sys

from hecon import __version__


def python_m_hecon(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hecon", *arguments], capture_output=True, text=True,
                          timeout=60)


def test_help_exits_0_and_names_the_program_as_it_was_run():
    result = python_m_hecon("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: python -m hecon [OPTIONS] COMMAND [ARGS]...")
    assert "psa" in result.stdout and result.stderr == ""


def test_version_and_a_usage_error_keep_their_exit_codes():
    assert python_m_hecon("--version").stdout == f"hecon {__version__}\n"
    result = python_m_hecon("psa", "example_sick", "--n", "abc")
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
    assert "Invalid value for '--n'" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.endswith("(fix: see 'python -m hecon psa --help')\n")

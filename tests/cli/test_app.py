"""What every command shares (hecon.cli._app): a mistake ends in one `error:` line and exit
code 2, an interruption in exit code 130, `--out` is checked before any work, and the root
options `--version` and `--help`.

A scratch application built with the same pieces shows the behaviour without running an
analysis; the real one is checked for its root options.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from hecon import __version__
from hecon.cli import app, main
from hecon.cli._app import OneLineErrors, OutOpt, checked_out, error_line, say, user_errors
from hecon.errors import InputError, ModelError

runner = CliRunner()


def scratch_app() -> tuple[typer.Typer, list]:
    """An application of two commands: `raise KIND` raises a mistake of that kind, `write`
    records the --out it was given. Returns it with the list of --out values the body saw."""
    scratch = typer.Typer(cls=OneLineErrors, add_completion=False, pretty_exceptions_enable=False,
                          rich_markup_mode=None)
    seen: list = []
    mistakes = {
        "input": InputError("a probability above 1", file="parameters.csv", row=3, column="value",
                            fix="give a value in [0, 1]"),
        "model": ModelError("a transition row does not sum to one", sets=[2]),
        "interrupt": KeyboardInterrupt(),
        "abort": typer.Abort(),
    }

    @scratch.command("raise")
    @user_errors
    def raise_command(kind: str) -> None:
        raise mistakes[kind]

    @scratch.command("write")
    @user_errors
    def write_command(out: OutOpt = None) -> None:
        seen.append(out)
        say(False, f"wrote {out}")

    return scratch, seen


def one_error_line(result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# ---------------------------------------------------------------- mistakes and interruptions


def test_an_input_error_is_one_line_naming_file_row_column_and_fix():
    result = runner.invoke(scratch_app()[0], ["raise", "input"])
    assert result.exit_code == 2
    assert one_error_line(result) == ("error: parameters.csv, row 3, column 'value': a probability above 1 "
                                      "(fix: give a value in [0, 1])")


def test_a_model_error_is_one_line_and_exit_code_2():
    result = runner.invoke(scratch_app()[0], ["raise", "model"])
    assert result.exit_code == 2
    assert one_error_line(result) == "error: a transition row does not sum to one"


@pytest.mark.parametrize("kind", ["interrupt", "abort"])
def test_an_interruption_says_nothing_was_written_and_exits_130(kind):
    result = runner.invoke(scratch_app()[0], ["raise", kind])
    assert result.exit_code == 130
    assert one_error_line(result) == "error: interrupted; nothing was written"


@pytest.mark.parametrize(("arguments", "line"), [
    (["write", "--bogus"], "No such option: --bogus (Possible options: --out) (fix: see 'root write --help')"),
    (["raise"], "Missing argument 'kind'. (fix: see 'root raise --help')"),
    (["nothing"], "No such command 'nothing'. (fix: see 'root --help')"),
])
def test_a_usage_error_is_one_line_pointing_to_the_help_of_its_command(arguments, line):
    result = runner.invoke(scratch_app()[0], arguments)
    assert result.exit_code == 2
    assert one_error_line(result) == f"error: {line}"


def test_outside_standalone_mode_errors_are_raised_and_values_returned():
    command = typer.main.get_command(scratch_app()[0])
    with pytest.raises(typer.TyperException):
        command.main(["write", "--bogus"], prog_name="root", standalone_mode=False)
    with pytest.raises(typer.Abort):
        command.main(["raise", "abort"], prog_name="root", standalone_mode=False)
    assert command.main(["write"], prog_name="root", standalone_mode=False) is None


def test_user_errors_keeps_the_command_s_name_and_result():
    @user_errors
    def compute(x: int) -> int:
        """Twice x."""
        return 2 * x

    assert compute(21) == 42 and compute.__name__ == "compute" and compute.__doc__ == "Twice x."


def test_an_error_line_escapes_line_breaks(capsys):
    error_line("two\nlines")
    assert capsys.readouterr().err == "error: two\\nlines\n"


def test_quiet_says_nothing(capsys):
    say(True, "the ICER table")
    say(False, "the ICER table")
    assert capsys.readouterr().out == "the ICER table\n"


# ---------------------------------------------------------------- --out, checked at parse time


def test_an_out_folder_of_the_user_s_files_is_refused_before_the_command_runs(tmp_path):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.docx").write_text("years of work")
    scratch, seen = scratch_app()
    result = runner.invoke(scratch, ["write", "--out", str(folder)])
    assert result.exit_code == 2 and seen == []
    assert "not a hecon results folder" in one_error_line(result)
    assert (folder / "chapter1.docx").read_text() == "years of work"


def test_a_new_out_folder_reaches_the_command_as_given(tmp_path):
    scratch, seen = scratch_app()
    result = runner.invoke(scratch, ["write", "--out", str(tmp_path / "new")])
    assert result.exit_code == 0 and seen == [tmp_path / "new"]
    assert result.stdout == f"wrote {tmp_path / 'new'}\n"
    assert checked_out(None) is None


# ---------------------------------------------------------------- the real application


def test_version_prints_the_version_and_exits_0():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"hecon {__version__}\n"


def test_help_lists_the_commands_and_exits_0():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert {"base", "psa", "dsa", "cea", "voi", "run", "export", "trial"} <= listed


def test_hecon_alone_shows_its_help_whole():
    result = runner.invoke(app, [])
    assert result.exit_code == 2  # as click does: the help on stderr, no command run
    assert result.stderr.startswith("Usage: hecon [OPTIONS] COMMAND [ARGS]...\n")
    assert "\\n" not in result.stderr and "Commands:" in result.stderr


def test_main_exits_with_the_command_s_code(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["hecon", "--version"])
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 0 and capsys.readouterr().out == f"hecon {__version__}\n"
    monkeypatch.setattr(sys, "argv", ["hecon", "base", "example_sick", "--bogus"])
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 2 and capsys.readouterr().err.startswith("error: No such option: --bogus")


def _program(code: str) -> subprocess.CompletedProcess:
    """A Python program ending with hecon's ``exit_now`` (as the ``hecon`` program ends)."""
    return subprocess.run([sys.executable, "-c", "import atexit, sys, threading, time\n"
                           "from hecon.cli._app import exit_now\n" + code],
                          capture_output=True, text=True, timeout=60)


def test_the_program_ends_with_the_command_s_code_and_output():
    done = subprocess.run([sys.executable, "-m", "hecon", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == f"hecon {__version__}\n"
    done = subprocess.run([sys.executable, "-m", "hecon", "base", "example_sick", "--bogus"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("error: No such option: --bogus")


def test_exit_now_runs_the_exit_functions_and_flushes_what_was_printed():
    done = _program("atexit.register(lambda: print('exit function ran'))\n"
                    "sys.stdout.write('x' * 100_000)\nexit_now(3)")
    assert done.returncode == 3 and done.stdout == "x" * 100_000 + "exit function ran\n"


def test_exit_now_takes_what_sys_exit_takes():
    assert _program("exit_now(None)").returncode == 0
    done = _program("exit_now('a message')")
    assert done.returncode == 1 and done.stderr == "a message\n"


def test_exit_now_waits_for_a_thread_still_at_work():
    done = _program("threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
                    "exit_now(0)")
    assert done.returncode == 0 and done.stdout == "thread done\n"

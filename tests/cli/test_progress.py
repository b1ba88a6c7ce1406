"""Progress bars of long steps (hecon.cli.progress): on stderr when it is a terminal, never on
stdout (where results and summaries go), silent with --quiet or without a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from hecon.cli.progress import progress_bar


class Stream(io.StringIO):
    """A text stream that says whether it is a terminal."""

    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.fixture
def streams(monkeypatch):
    """Replace stdout and stderr; return a function that makes them terminals or not."""
    monkeypatch.setenv("TERM", "xterm-256color")
    for variable in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(variable, raising=False)

    def make(stdout_terminal: bool, stderr_terminal: bool) -> tuple[Stream, Stream]:
        out, err = Stream(stdout_terminal), Stream(stderr_terminal)
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        return out, err

    return make


def run(total: int, steps: list[int], **options) -> None:
    with progress_bar(total, "PSA", **options) as advance:
        for k in steps:
            advance(k)


@pytest.mark.parametrize("stdout_terminal", [True, False])
def test_on_a_terminal_the_bar_is_drawn_on_stderr_only(streams, stdout_terminal):
    out, err = streams(stdout_terminal=stdout_terminal, stderr_terminal=True)
    run(10, [4, 6])
    assert out.getvalue() == ""
    assert "PSA" in err.getvalue() and "10/10" in err.getvalue()


def test_quiet_draws_nothing(streams):
    out, err = streams(stdout_terminal=True, stderr_terminal=True)
    run(10, [4, 6], quiet=True)
    assert out.getvalue() == err.getvalue() == ""


def test_without_a_terminal_nothing_is_drawn(streams):
    out, err = streams(stdout_terminal=True, stderr_terminal=False)
    run(10, [4, 6])
    assert out.getvalue() == err.getvalue() == ""


def test_the_advance_function_accepts_any_number_of_steps_when_silent(streams):
    streams(stdout_terminal=False, stderr_terminal=False)
    with progress_bar(3, "PSA") as advance:
        assert advance(0) is None and advance(5) is None  # more than the total is harmless

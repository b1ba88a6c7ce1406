"""Fuzz: hostile --out values and malformed option combinations on every command.

Each must end in one ``error:`` line on stderr, exit 2, nothing written (``refused``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import refused

#: every command that writes a results folder, with the arguments it needs besides --out
WRITERS = {
    "base": ["base", "example_sick"],
    "psa": ["psa", "example_sick", "--n", "20", "--evppi", "none"],
    "dsa": ["dsa", "example_sick", "--no-static"],
    "twoway": ["twoway", "example_sick", "--x", "c_drug_a", "--y", "c_drug_b", "--no-static"],
    "threshold": ["threshold", "example_sick", "--param", "c_drug_a", "--no-static"],
    "scenarios": ["scenarios", "example_sick"],
    "gsa": ["gsa", "example_sick", "--method", "morris", "--n", "4", "--no-static"],
    "run": ["run", "example_sick", "--quick"],
    "trial simulate": ["trial", "simulate", "--n", "10"],
}


def unsafe_outs(workdir: Path) -> list[object]:
    """--out values that name what hecon did not write, in words a user might type."""
    return ["", ".", "./", "..", "../..", "/", "~", str(workdir), str(workdir.parent),
            str(Path.home()), "/proc/hecon", "/sys/hecon", "/dev/null", "/etc/hostname/x"]


@pytest.mark.parametrize("command", list(WRITERS))
def test_every_writer_refuses_every_unsafe_out(command, workdir):
    (workdir / "thesis.tex").write_text("mine\n")
    for out in unsafe_outs(workdir):
        refused([*WRITERS[command], "--out", out], watch=[workdir.parent])


@given(name=st.text(st.characters(codec="utf-8", exclude_characters="\x00/"), min_size=1, max_size=12))
def test_any_folder_of_the_user_s_files_is_refused_by_name(workdir, name):
    folder = workdir / "user" / name
    if folder.name in ("", ".", ".."):
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.csv").write_text("a\n1\n")
    refused(["base", "example_sick", "--out", folder], contains="not a hecon results folder")


BAD_OPTIONS = [
    ["psa", "example_sick", "--n", "abc"],
    ["psa", "example_sick", "--n", "-5"],
    ["psa", "example_sick", "--n"],
    ["psa", "example_sick", "--seed", "1.5"],
    ["psa", "example_sick", "--chunk-size", "0"],
    ["psa", "example_sick", "--bogus"],
    ["dsa"],
    ["dsa", "example_sick", "--top", "-1"],
    ["twoway", "example_sick", "--x", "c_drug_a"],
    ["threshold", "example_sick"],
    ["cea"],
    ["voi", "--out", "x"],
    ["trial", "fit"],
    ["trial", "bogus"],
    ["bogus"],
    ["run", "example_sick", "--psa", "1"],
]


@pytest.mark.parametrize("args", BAD_OPTIONS, ids=[" ".join(a) for a in BAD_OPTIONS])
def test_usage_errors_are_one_line(workdir, args):
    refused(args, contains="--help")


COMMANDS = [["base", "example_sick"], ["psa", "example_sick"], ["dsa", "example_sick"],
            ["cea"], ["trial", "simulate"], ["run"]]
OPTION_NAMES = ["--n", "--seed", "--wtp", "--steps", "--top", "--chunk-size", "--psa", "--x",
                "--bogus", "-z", "--out"]


@given(command=st.sampled_from(COMMANDS),
       options=st.lists(st.tuples(st.sampled_from(OPTION_NAMES),
                                  st.sampled_from(["", "-1", "nan", "1e999", "abc", "=1+1", "\t"])),
                        min_size=1, max_size=3))
def test_malformed_option_values_are_one_line(workdir, command, options):
    args = [*command, *(part for pair in options for part in pair)]
    refused(args)

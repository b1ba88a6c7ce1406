"""Safe input reading: the number parser, declared names, CSV cells, the strict YAML loader."""

import dataclasses
import math
import os
import resource
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.model.files import (
    CSV_MAX_LINE,
    IDENTIFIER,
    NUMBER,
    YAML_MAX_BYTES,
    YAML_MAX_DEPTH,
    check_identifier,
    check_types,
    iter_csv_rows,
    parse_number,
    parse_numbers,
    read_yaml,
)

FAST = settings(max_examples=200, deadline=None)
NON_ASCII_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳४५६০১২๑๒１２３𝟘𝟙"


def where(text: str, row: int = 7) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_number(text, file="table.csv", row=row, column="value")
    assert str(caught.value).startswith(f"table.csv, row {row}, column 'value': ")
    assert "\n" not in str(caught.value)
    return caught.value


# ---------------------------------------------------------------- numbers

@FAST
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_round_trips_through_its_repr(number):
    assert parse_number(repr(number)) == number
    assert parse_number(f"{number:.17e}") == number


@FAST
@given(st.integers(-(10**300), 10**300))
def test_integers_in_range_are_read(integer):
    assert parse_number(str(integer)) == float(integer)


@FAST
@given(st.text(alphabet="0123456789.e+-", max_size=6), st.text(alphabet="0123456789", min_size=1, max_size=4))
def test_any_text_with_an_underscore_is_refused(left, right):
    error = where(f"{left}_{right}")
    assert "not a number" in error.message


@FAST
@given(st.text(alphabet="0123456789.", max_size=4), st.sampled_from(NON_ASCII_DIGITS),
       st.text(alphabet="0123456789", max_size=3))
def test_non_ascii_digits_are_refused(left, digit, right):
    error = where(left + digit + right)
    assert "not a number" in error.message
    assert float(digit) == float(digit)  # Python's float() would have read it


@FAST
@given(st.text(max_size=30).filter(lambda text: not NUMBER.fullmatch(text.strip())))
def test_garbage_is_refused_with_file_row_and_column(text):
    where(text, row=12)


@pytest.mark.parametrize("text", ["nan", "NaN", "-nan", "inf", "+inf", "-Infinity", "infinity", "1e999", "-1e309",
                                  "1" * 400, "0x1F", "1,5", "1.5.2", "", " ", "1e", "e5", "--1", "١٢", "1 000", "½"])
def test_hostile_numbers_are_refused(text):
    where(text)


def test_the_fix_matches_the_mistake():
    assert "underscores" in where("1_000").fix
    assert "0-9" in where("١٢").fix
    assert "decimal separator" in where("0,25").fix
    assert "finite" in where("nan").fix
    assert "floating-point range" in where("9" * 400).message


@pytest.mark.parametrize(("text", "number"), [("12", 12.0), ("-0.25", -0.25), (".5", 0.5), ("3.", 3.0),
                                              ("1.5e-3", 0.0015), ("+2E+2", 200.0), (" 7 ", 7.0), ("1e-400", 0.0)])
def test_plain_and_scientific_notation_are_read(text, number):
    assert parse_number(text) == number


@FAST
@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False).map(repr),
                          st.text(max_size=6), st.just("1" * 400)), max_size=12))
def test_vectorised_parse_agrees_with_the_parser(texts):
    values = parse_numbers(texts)
    for text, value in zip(texts, values, strict=True):
        try:
            expected = parse_number(text)
        except InputError as error:
            assert np.isinf(value) if "beyond the floating-point range" in error.message else np.isnan(value)
        else:
            assert value == expected


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("name", ["=cmd|' /C calc'!A0", "+1", "-x", "@SUM(A1)", "\tname", "\rname", "1st",
                                  "a b", "é", "x-y", "", "name\n"])
def test_names_that_could_be_formulas_are_refused(name):
    with pytest.raises(InputError, match="is not an identifier") as caught:
        check_identifier(name, "parameter name", file="t.csv", row=3, column="name")
    assert "\n" not in str(caught.value) and "row 3" in str(caught.value)


@FAST
@given(st.from_regex(IDENTIFIER, fullmatch=True))
def test_identifiers_are_accepted(name):
    assert check_identifier(name, "name") == name


def test_the_fix_suggests_a_clean_name():
    with pytest.raises(InputError, match="rename it 'drug_price'"):
        check_identifier("drug price", "scenario name")


# ---------------------------------------------------------------- CSV

def test_csv_rows_keep_their_lines_across_quoted_line_breaks(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('b,a\n1,"two\nlines"\n\n3,4\n', encoding="utf-8")
    assert list(iter_csv_rows(path, ["a", "b"])) == [(2, ("two\nlines", "1")), (5, ("4", "3"))]


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.mkdir(), "this is a folder"),
    (lambda p: p.write_bytes(b"a,b\n\xff\xfe,1\n"), "not a UTF-8 text file"),
    (lambda p: p.write_bytes(b"a,b\n1\x00,2\n"), "row 2: a NUL character: this is a binary file"),
    (lambda p: p.write_bytes(b"a,b\n" + b"x" * 200_000 + b",1\n"), "malformed CSV .*field larger"),
    (lambda p: None, "file not found"),
    (lambda p: os.mkfifo(p), "a device or a pipe"),
    (lambda p: p.write_text("a,b\n" + "x" * (CSV_MAX_LINE + 1)), "row 2: a line longer than"),
])
def test_unreadable_csv_is_one_line(tmp_path, make, message):
    path = tmp_path / "t.csv"
    make(path)
    with pytest.raises(InputError, match=message) as caught:
        list(iter_csv_rows(path, ["a", "b"]))
    assert "\n" not in str(caught.value)


# ---------------------------------------------------------------- YAML

def yaml_file(tmp_path, text: str | bytes, name="input.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else textwrap.dedent(text).encode())
    return path


def refused(path, message: str) -> InputError:
    with pytest.raises(InputError, match=message) as caught:
        read_yaml(path, "scenario")
    assert caught.value.file == str(path) and "\n" not in str(caught.value)
    return caught.value


BILLION_LAUGHS = "".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)])


def test_billion_laughs_is_refused_fast_and_in_bounded_memory(tmp_path):
    """In a subprocess with 1 GiB of address space and a timeout: a regression that expands
    the aliases fails this test instead of hanging or killing pytest."""
    path = yaml_file(tmp_path, BILLION_LAUGHS)
    code = ("import resource, sys\nfrom hecon.errors import InputError\nfrom hecon.model.files import read_yaml\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "try:\n    read_yaml(sys.argv[1], 'scenario')\nexcept InputError as error:\n    print(error)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    child = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                           timeout=120, preexec_fn=limit)
    assert child.returncode == 0, child.stderr[-2000:]
    message, growth_kib = child.stdout.strip().splitlines()
    assert "anchors and aliases" in message and "row 1" in message
    assert int(growth_kib) < 50_000  # the peak grows by less than 50 MB while it is read


@pytest.mark.parametrize("text", ["a: &x 1\n", "a: 1\nb: *x\n", "a: &x {b: 1}\nc:\n  <<: *x\n",
                                  "- &x [1]\n- *x\n"])
def test_any_anchor_or_alias_is_refused(tmp_path, text):
    refused(yaml_file(tmp_path, text), "anchors and aliases")


def test_deep_nesting_is_refused_before_python_recursion(tmp_path):
    flow = yaml_file(tmp_path, "x: " + "[" * 20_000 + "]" * 20_000 + "\n")
    refused(flow, f"nested more than {YAML_MAX_DEPTH} levels deep")
    block = yaml_file(tmp_path, "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n", "b.yaml")
    assert refused(block, "nested").row == YAML_MAX_DEPTH + 1


def test_nesting_up_to_the_limit_is_read(tmp_path):
    path = yaml_file(tmp_path, "[" * YAML_MAX_DEPTH + "1" + "]" * YAML_MAX_DEPTH + "\n")
    value = read_yaml(path, "tree")
    for _ in range(YAML_MAX_DEPTH):
        value = value[0]
    assert value == 1


def test_duplicate_keys_are_named_with_their_lines(tmp_path):
    error = refused(yaml_file(tmp_path, """\
        name: a
        parameters:
          p_event: 0.1
          p_event: 0.2
        """), "duplicate key 'p_event' \\(first on line 3\\)")
    assert error.row == 4


def test_devices_and_folders_are_refused_before_reading(tmp_path):
    refused(tmp_path, "this is a folder, not a scenario file")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    refused(fifo, "a device or a pipe")


def test_size_is_capped(tmp_path):
    refused(yaml_file(tmp_path, "a: 1\n#" + "x" * YAML_MAX_BYTES), "larger than 1 MiB")
    assert read_yaml(yaml_file(tmp_path, "a: 1\n#" + "x" * (YAML_MAX_BYTES - 10), "ok.yaml"), "tree") == {"a": 1}


def test_non_utf8_names_the_file_and_the_fix(tmp_path):
    error = refused(yaml_file(tmp_path, "name: caf\xe9\n".encode("latin-1")), "not a UTF-8 text file")
    assert error.fix == "save it as UTF-8 text"


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\n---\nb: 2\n", "not valid YAML"),
    ("a: [1\n", "not valid YAML"),
    ("a: \x07\n", "character #x0007"),
    ("1: a\n", "the key '1' is not a text"),
    ("? [a]\n: 1\n", "not valid YAML"),
    ("a: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ("a: " + "9" * 400 + "\n", "floating-point range"),
])
def test_malformed_yaml_is_one_line(tmp_path, text, message):
    refused(yaml_file(tmp_path, text), message)


def test_scalars_follow_yaml_1_2(tmp_path):
    path = yaml_file(tmp_path, """\
        booleans: [true, False, yes, no, on, off]
        numbers: [12, -3, 010, 1.5, .5, 1e5, 2E-3]
        texts: [1_000, 0x1F, 0o17, 1:30, .inf, .nan, =, 2024-01-01]
        empty: [~, null]
        """)
    assert read_yaml(path, "scenario") == {
        "booleans": [True, False, "yes", "no", "on", "off"],
        "numbers": [12, -3, 10, 1.5, 0.5, 100000.0, 0.002],
        "texts": ["1_000", "0x1F", "0o17", "1:30", ".inf", ".nan", "=", "2024-01-01"],
        "empty": [None, None],
    }


# ---------------------------------------------------------------- typed values

@dataclasses.dataclass(frozen=True)
class Options:
    rate: float = 0.025
    cycles: int = 40
    horizon: float | None = None
    label: str = "x"
    days: tuple[int, ...] = (1, 3)
    flag: bool = False


@pytest.mark.parametrize(("values", "expected"), [
    ({"rate": 0, "cycles": 10, "horizon": None, "days": [2, 4], "flag": True},
     {"rate": 0.0, "cycles": 10, "horizon": None, "days": (2, 4), "flag": True}),
    ({"horizon": 5}, {"horizon": 5.0}),
])
def test_types_are_checked_and_converted(values, expected):
    checked = check_types(Options, values)
    assert checked == expected and all(type(checked[k]) is type(v) for k, v in expected.items())


@pytest.mark.parametrize(("values", "message"), [
    ({"rate": "high"}, "option 'rate' must be a number, not 'high' (a text)"),
    ({"rate": True}, "option 'rate' must be a number, not 'True' (true or false)"),
    ({"rate": math.inf}, "option 'rate' must be a number, not 'inf' (a number)"),
    ({"cycles": 2.5}, "option 'cycles' must be a whole number, not '2.5' (a number)"),
    ({"horizon": "life"}, "option 'horizon' must be a number or empty (null), not 'life'"),
    ({"label": 3}, "option 'label' must be a text, not '3' (a whole number)"),
    ({"days": [1, "x"]}, "option 'days[1]' must be a whole number, not 'x'"),
    ({"days": 3}, "option 'days' must be a list of values, each a whole number, not '3'"),
    ({"flag": "yes"}, "option 'flag' must be true or false, not 'yes'"),
])
def test_wrong_types_name_the_key_the_type_and_the_value(values, message):
    with pytest.raises(InputError) as caught:
        check_types(Options, values, file="s.yaml")
    assert message in str(caught.value) and str(caught.value).startswith("s.yaml: ")

"""Tables of one row per draw (hecon.results.draws): the text pandas writes, written faster."""

import gzip

import hypothesis.extra.numpy as hnp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.results import draws
from hecon.results.draws import MAX_PRECISION, fast_path, write_gzip_csv

FORMAT = "%.13g"


def pandas_text(frame: pd.DataFrame, float_format: str | None = FORMAT) -> str:
    return frame.to_csv(index=False, float_format=float_format)


def written_text(frame: pd.DataFrame, path, float_format: str | None = FORMAT) -> str:
    write_gzip_csv(frame, path, float_format)
    return gzip.decompress(path.read_bytes()).decode("utf-8")


floats = hnp.arrays(np.float64, st.integers(0, 30), elements=st.floats(allow_nan=True, allow_infinity=True))
plain_words = st.text(st.characters(blacklist_characters=',"\r\n', blacklist_categories=("Cs",)), max_size=8)


@settings(max_examples=150, deadline=None)
@given(values=floats, words=st.lists(plain_words, min_size=30, max_size=30), repeat=st.integers(1, 3),
       block=st.integers(1, 50), digits=st.none() | st.integers(1, MAX_PRECISION),
       integers=st.lists(st.integers(-2**63, 2**63 - 1), min_size=30, max_size=30))
def test_the_text_is_the_text_pandas_writes(values, words, repeat, block, digits, integers, tmp_path_factory,
                                            monkeypatch_module):
    """Any floats (NaN, ±inf, −0.0, subnormal, huge, float32) to any number of digits or every
    digit (no format: the shortest round-trip text), integers, booleans and text needing no
    quotes, a draw's values repeated on several rows, in blocks of any size."""
    monkeypatch_module.setattr(draws, "CELLS_PER_BLOCK", block)
    n = len(values)
    with np.errstate(over="ignore", invalid="ignore"):
        frame = pd.DataFrame({
            "draw": np.repeat(np.arange(n), repeat),
            "strategy": np.tile(np.array(words[:repeat], dtype=object), n),
            "cost": np.repeat(values, repeat) * np.tile(np.arange(1, repeat + 1), n),
            "p_event": np.repeat(values, repeat),
            "small": np.repeat(values, repeat).astype(np.float32),
            "on_frontier": np.repeat(values > 0, repeat),
            "count": np.resize(np.array(integers, dtype=np.int64), n * repeat),
        })
    assert fast_path(frame)
    float_format = None if digits is None else f"%.{digits}g"
    path = tmp_path_factory.mktemp("draws") / "psa.csv.gz"
    assert written_text(frame, path, float_format) == pandas_text(frame, float_format)


#: floats where the arithmetic of the fast path is at its limits: powers of ten and their
#: neighbours (log10 rounds to the next integer), decimal halves at every digit (the rounding
#: is a tie or nearly one), values that round up to the next power (a carry), the boundaries of
#: fixed notation (10^−5, 10^−4, 10^(P−1), 10^P), subnormal, the largest and −0.0
POWERS = 10.0 ** np.arange(-320, 309)
EDGES = np.concatenate([
    POWERS, np.nextafter(POWERS, 0), np.nextafter(POWERS, np.inf),
    [float(f"1.{'2' * k}5e{e}") for k in range(16) for e in (-7, -5, 0, 3, 12)],
    [float(f"{'9' * k}.5e-{k}") for k in range(1, 16)], [1 - 2.0**-53, 9.9999999999949996, 99999999999.5],
    [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0, 0.0, 1 / 3, -2 / 3, np.nan, np.inf],
])


@pytest.mark.parametrize("float_format", [None, *(f"%.{digits}g" for digits in range(1, MAX_PRECISION + 1))])
def test_floats_at_the_limits_of_the_arithmetic_are_written_as_pandas_writes_them(float_format, tmp_path):
    with np.errstate(over="ignore"):  # beyond float32: inf
        single = EDGES.astype(np.float32)
    frame = pd.DataFrame({"value": EDGES, "negative": -EDGES, "single": single})
    assert written_text(frame, tmp_path / "edges.csv.gz", float_format) == pandas_text(frame, float_format)


def test_numpy_decides_nearly_every_float():
    """Python writes a float only within 10^P·2⁻⁵⁰ of a tie: 2 in 10,000 at 11 digits."""
    values = np.random.default_rng(1).lognormal(0.0, 8.0, 100_000)
    _, _, told = draws._scientific(values, 11)
    assert np.count_nonzero(~told) < 100


@pytest.mark.parametrize("float_format", ["%.3f", "%g", f"%.{MAX_PRECISION + 1}g"])
def test_another_float_format_goes_through_pandas_with_the_same_text(float_format, tmp_path):
    frame = pd.DataFrame({"draw": [0, 1], "cost": [1 / 3, -2e-5]})
    assert written_text(frame, tmp_path / "t.csv.gz", float_format) == pandas_text(frame, float_format)


def test_the_file_is_plain_gzip_that_pandas_reads_back(tmp_path):
    frame = pd.DataFrame({"draw": np.arange(5000), "cost": np.random.default_rng(2).normal(1e4, 1e3, 5000)})
    path = write_gzip_csv(frame, tmp_path / "psa.csv.gz")
    assert path.read_bytes()[:3] == b"\x1f\x8b\x08"  # a gzip member, deflate
    pd.testing.assert_frame_equal(pd.read_csv(path), frame)  # every digit: the same floats


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"strategy": ["a,b", "c"], "cost": [1.0, 2.0]}),  # a comma: quoted
    pd.DataFrame({"strategy": ['say "x"', "c"], "cost": [1.0, 2.0]}),
    pd.DataFrame({"strategy": ["two\nlines", "c"], "cost": [1.0, 2.0]}),
    pd.DataFrame({"cost": [1.0, np.nan]}),  # one column: an empty cell is quoted
    pd.DataFrame({"mixed": [1.5, "text"], "cost": [1.0, 2.0]}),  # not all text
    pd.DataFrame({"cost": pd.array([1.0, None], dtype="Float64"), "n": [1, 2]}),  # pandas' own dtype
], ids=["comma", "quote", "line-feed", "one-column", "mixed", "nullable"])
def test_a_table_csv_must_quote_goes_through_pandas_with_the_same_text(frame, tmp_path):
    assert not fast_path(frame)
    assert written_text(frame, tmp_path / "t.csv.gz") == pandas_text(frame)


def test_missing_text_and_strings_dtype_are_empty_cells(tmp_path):
    frame = pd.DataFrame({"strategy": pd.array(["a", None, "b"], dtype="string"), "cost": [1.0, 2.0, np.nan]})
    assert fast_path(frame)
    assert written_text(frame, tmp_path / "t.csv.gz") == pandas_text(frame) == "strategy,cost\na,1\n,2\nb,\n"


def test_the_same_table_gives_the_same_bytes(tmp_path):
    frame = pd.DataFrame({"draw": [0, 1], "cost": [0.1, 1 / 3]})
    first, second = write_gzip_csv(frame, tmp_path / "a.csv.gz", FORMAT), write_gzip_csv(frame, tmp_path / "b.csv.gz", FORMAT)
    assert first.read_bytes() == second.read_bytes()  # no time stamp in the gzip header


def test_a_failing_write_raises_its_error(tmp_path):
    frame = pd.DataFrame({"draw": np.arange(1000), "cost": np.linspace(0.0, 1.0, 1000)})
    with pytest.raises(OSError):
        write_gzip_csv(frame, tmp_path / "no such folder" / "psa.csv.gz", FORMAT)

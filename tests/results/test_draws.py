"""Tables of one row per draw (hecon.results.draws): the text pandas writes, written faster."""

import gzip

import hypothesis.extra.numpy as hnp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.results import draws
from hecon.results.draws import fast_path, write_gzip_csv

FORMAT = "%.13g"


def pandas_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, float_format=FORMAT)


def written_text(frame: pd.DataFrame, path) -> str:
    write_gzip_csv(frame, path, FORMAT)
    return gzip.decompress(path.read_bytes()).decode("utf-8")


floats = hnp.arrays(np.float64, st.integers(0, 30), elements=st.floats(allow_nan=True, allow_infinity=True))
plain_words = st.text(st.characters(blacklist_characters=',"\r\n', blacklist_categories=("Cs",)), max_size=8)


@settings(max_examples=150, deadline=None)
@given(values=floats, words=st.lists(plain_words, min_size=30, max_size=30), repeat=st.integers(1, 3),
       block=st.integers(1, 50))
def test_the_text_is_the_text_pandas_writes(values, words, repeat, block, tmp_path_factory, monkeypatch_module):
    """Any floats (NaN, ±inf, −0.0, subnormal, huge), integers, booleans and text needing no
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
        })
    assert fast_path(frame)
    assert written_text(frame, tmp_path_factory.mktemp("draws") / "psa.csv.gz") == pandas_text(frame)


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


def test_a_failing_compressor_stops_the_writing_with_its_error(tmp_path):
    frame = pd.DataFrame({"draw": np.arange(1000), "cost": np.linspace(0.0, 1.0, 1000)})
    with pytest.raises(OSError):
        write_gzip_csv(frame, tmp_path / "no such folder" / "psa.csv.gz", FORMAT)

"""Tables of one row per draw (``psa.csv.gz``, ``bootstrap.csv.gz``): gzip-compressed CSV,
written fast.

pandas formats every cell of a CSV through several Python calls (≈ 3 s for the 20,000 rows ×
91 columns of a 10,000-draw PSA of the flagship, measured) and then compresses in the same
thread. Here each column of a block of rows is formatted once per distinct value (a draw's
parameters repeat on the row of every strategy), the rows are joined, and the text is
compressed in a second thread (zlib releases the GIL) while the next block is formatted.
The text is the text pandas writes (``to_csv(index=False, float_format=…)``, a test checks
it on arbitrary tables); a table this path does not cover (a text cell that CSV must quote,
a column of another type) goes through pandas.
"""

from __future__ import annotations

import gzip
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

#: cells formatted at once: bounds the memory of the text (≈ 60 bytes a cell)
CELLS_PER_BLOCK = 200_000
#: gzip level of the tables: 6 (zlib's default) keeps ``hecon run``'s folder under 10 MB
GZIP_LEVEL = 6
#: characters a CSV must quote; a text cell holding one goes through pandas
_QUOTED = (",", '"', "\r", "\n")


def _plain_text(values) -> bool:
    """True when no value needs quoting in a CSV (its text holds no comma, quote or line end)."""
    return not any(c in str(v) for v in values if isinstance(v, str) for c in _QUOTED)


def fast_path(frame: pd.DataFrame) -> bool:
    """True when :func:`csv_blocks` writes ``frame``: two columns or more, of numbers, booleans
    or text that needs no quoting, under names that need none."""
    if frame.shape[1] < 2 or not _plain_text(map(str, frame.columns)):
        return False
    for column in frame.columns:
        series = frame[column]
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiub":
            continue
        if not (pd.api.types.is_string_dtype(series.dtype) and _plain_text(series.dropna())
                and series.dropna().map(type).eq(str).all()):
            return False
    return True


def _formatted(values: np.ndarray, float_format: str) -> np.ndarray:
    """The CSV text of one block of a column, as pandas writes it: floats by ``float_format``
    and missing ones empty, integers and booleans by ``str``; each distinct value (bit for bit,
    so that −0.0 stays ``-0``) formatted once."""
    if values.dtype.kind == "f":
        values = values.astype(np.float64)
        distinct, where = np.unique(values.view(np.int64), return_inverse=True)
        floats = distinct.view(np.float64).tolist()
        text = ["" if x != x else float_format % x for x in floats]
    elif values.dtype.kind in "iub":
        distinct, where = np.unique(values, return_inverse=True)
        text = list(map(str, distinct.tolist()))
    else:
        return np.array(["" if v is None or v is pd.NA or v != v else str(v) for v in values], dtype=object)
    return np.array(text, dtype=object)[where]


def csv_blocks(frame: pd.DataFrame, float_format: str) -> Iterator[str]:
    """The CSV text of ``frame`` (header first, no index, ``\\n`` line ends), a block of rows
    at a time (:data:`CELLS_PER_BLOCK`)."""
    yield ",".join(map(str, frame.columns)) + "\n"
    columns = [frame[c].to_numpy() for c in frame.columns]
    rows = max(1, CELLS_PER_BLOCK // len(columns))
    for start in range(0, len(frame), rows):
        block = [_formatted(values[start:start + rows], float_format) for values in columns]
        yield "\n".join(map(",".join, zip(*block, strict=True))) + "\n"


def write_gzip_csv(frame: pd.DataFrame, path: Path, float_format: str) -> Path:
    """Write ``frame`` as gzip-compressed CSV (level :data:`GZIP_LEVEL`, neither time stamp nor
    file name in its header, so the same table gives the same bytes): formatted here while a
    second thread compresses."""
    if not fast_path(frame):
        frame.to_csv(path, index=False, float_format=float_format,
                     compression={"method": "gzip", "compresslevel": GZIP_LEVEL, "mtime": 0})
        return path
    blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def compress() -> None:
        try:
            with open(path, "wb") as file, gzip.GzipFile("", "wb", GZIP_LEVEL, file, mtime=0) as handle:
                while (block := blocks.get()) is not None:
                    handle.write(block)
        except BaseException as error:  # e.g. a full disk: kept for the caller, the queue drained
            failure.append(error)
            while blocks.get() is not None:
                pass

    compressor = threading.Thread(target=compress, name=f"gzip {path.name}")
    compressor.start()
    try:
        for text in csv_blocks(frame, float_format):
            if failure:
                break
            blocks.put(text.encode("utf-8"))
    finally:
        blocks.put(None)
        compressor.join()
    if failure:
        raise failure[0]
    return path

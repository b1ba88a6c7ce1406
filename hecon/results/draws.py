"""Tables of one row per draw (``psa.csv.gz``, ``bootstrap.csv.gz``, ``ce_plane.csv.gz``):
gzip-compressed CSV, written fast.

pandas formats every cell of a CSV through several Python calls (≈ 3 s for the 20,000 rows ×
100 columns of a 10,000-draw PSA of the flagship), and ``'%.11g' % x`` alone costs ≈ 0.4 µs a
cell. Here numpy writes the floats of a block of rows in whole-array operations:

1. x ≠ 0 rounded to the P significant digits of the format ``%.Pg`` is D·10^(X−P+1),
   10^(P−1) ≤ D < 10^P (as C's ``%.(P−1)e``): X = ⌊log₁₀|x|⌋ and D = rint(|x|·10^(P−1−X)).
   The product is within 2⁻⁵² of the exact one (relative: 10^k and the product are each
   correctly rounded), so D is exact unless the product lies within 10^P·2⁻⁵⁰ of a half; such
   a cell, and x infinite, missing or beyond 10^±307, is formatted by Python.
2. ``%.Pg`` writes D's digits without trailing zeros, in fixed notation when −4 ≤ X < P, else
   as d.ddd followed by e±XX (C99 §7.19.6.1). A cell is a row of byte slots — sign, leading
   ``0``, integer digits, point, zeros, fraction digits, exponent — taken from a template per
   (X, last significant digit, sign), the digits OR-ed in; the slots the cell leaves empty
   hold :data:`PAD`.
3. The slots of the columns are put side by side with the separators, and the PAD bytes
   dropped.

Without a float format (every digit: a figure's table), a float is its shortest round-trip
text, which pandas takes from numpy (``astype(str)``); numpy writes it here too, as bytes.
Integers, booleans and text are formatted by ``str`` once per distinct value. The text is the
text pandas writes (``to_csv(index=False, float_format=…)``; a test checks it on arbitrary
tables); a table this path does not cover (a text cell that CSV must quote, a column of another
type, a float format other than ``%.Pg``) goes through pandas. Two threads format the
next blocks while the caller compresses (numpy and ISA-L release the GIL).
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from isal import igzip

#: cells formatted at once: bounds the memory of a block (≈ 100 bytes a cell)
CELLS_PER_BLOCK = 100_000
#: threads formatting blocks while the caller compresses the one before
FORMATTERS = 2
#: gzip level of the tables: ISA-L's best (``isal``, Intel's deflate, whose output any gzip reader
#: reads). The 20,000 rows × 100 columns of a 10,000-draw PSA of the flagship (22 MB of text):
#: 0.08 s and 6.78 MB, where zlib took 1.3 s at its default level 6 (6.79 MB), 0.24 s at level 1
#: (7.33 MB)
GZIP_LEVEL = 3
#: characters a CSV must quote; a text cell holding one goes through pandas
_QUOTED = (",", '"', "\r", "\n")
#: a byte UTF-8 never uses: fills the slots a cell leaves empty, dropped from the text
PAD = 0xFF
#: largest P of ``%.Pg`` written by numpy: D < 10^P is exact in a float64, and the margin
#: 10^P·2⁻⁵⁰ left to Python stays below a tenth
MAX_PRECISION = 14
#: decimal exponents of the finite normal floats
_EXPONENTS = np.arange(-308, 309)
#: 10^k for k = −307…308 (10^−308 is subnormal), each correctly rounded (as Python's division
#: of integers is)
_POWERS_OF_TEN = np.array([10**k / 1 if k >= 0 else 1 / 10**-k for k in range(-307, 309)])
#: the 4 ASCII digits of c (0 ≤ c < 10,000) as one group of 4 slots, and the index (0…3) of
#: the last of them that is not 0 (−100 for c = 0)
_FOURS = np.arange(10_000)
_DIGIT_GROUP = (_FOURS[:, None] // [1000, 100, 10, 1] % 10 + ord("0")).astype(np.uint8).view(np.uint32).ravel()
_LAST_DIGIT = np.where(_FOURS == 0, -100, 3 - sum(_FOURS % 10**t == 0 for t in (1, 2, 3))).astype(np.int16)
#: the longest shortest round-trip text of a float64 (−2.2250738585072014e−308): 24 characters
SHORTEST_WIDTH = 24


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


def _precision(float_format: str) -> int | None:
    """P of a float format ``%.Pg`` with 1 ≤ P ≤ :data:`MAX_PRECISION`; None for another format."""
    match = re.fullmatch(r"%\.(\d+)g", float_format)
    return int(match[1]) if match and 1 <= int(match[1]) <= MAX_PRECISION else None


def _text_slots(texts: list[str], width: int = 4) -> np.ndarray:
    """(w/4, n) groups of 4 slots (uint32) of ``texts``: the UTF-8 bytes of the j-th text down
    column j, then :data:`PAD`; w is ``width`` or the longest text, rounded up to a multiple of 4."""
    encoded = [text.encode("utf-8") for text in texts]
    lengths = np.fromiter(map(len, encoded), np.intp, len(encoded))
    width = max(width, -(-lengths.max(initial=0) // 4) * 4)
    table = np.array(encoded, dtype=f"S{width}").view(np.uint8).reshape(len(encoded), width)
    return np.where(np.arange(width) < lengths[:, None], table, np.uint8(PAD)).view(np.uint32).T


def _listed_slots(values: np.ndarray) -> np.ndarray:
    """The slots of a column of integers, booleans or text: each distinct value written once
    by ``str``, a missing text empty."""
    codes, distinct = pd.factorize(values)
    return _text_slots([*map(str, distinct.tolist()), ""]).take(codes, axis=1)  # code −1: missing


def _scientific(values: np.ndarray, digits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D (int64) and X of |x| = D·10^(X−P+1) rounded to P = ``digits`` significant digits, and
    whether numpy could tell them (D = X = 0 where not, and for x = 0, told)."""
    magnitude = np.abs(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(magnitude))
        # 10^(P−1−X) from the table, not told beyond it (x = 0, ±inf, NaN, 10^±307 and further)
        # nor where log10 errs by one (the product falls outside [10^(P−1), 10^P))
        power = digits - 1 - exponent + 307
        table = np.fmin(np.fmax(power, 0), len(_POWERS_OF_TEN) - 1)
        scaled = magnitude * _POWERS_OF_TEN.take(table.astype(np.intp))
        rounded = np.rint(scaled)
        told = ((table == power) & (scaled >= 10.0 ** (digits - 1)) & (scaled < 10.0**digits)
                & (np.abs(scaled - rounded) < 0.5 - 10.0**digits * 2.0**-50))
    carry = rounded == 10.0**digits  # 99…9.5 and above: one more digit before the point
    rounded[carry] = 10.0 ** (digits - 1)
    exponent += carry
    rounded[~told] = exponent[~told] = 0
    return rounded.astype(np.int64), exponent.astype(np.intp), told | (values == 0)


def _digit_groups(mantissa: np.ndarray, digits: int) -> tuple[np.ndarray, np.ndarray]:
    """(g, n) groups of 4 ASCII digits (uint32) of the P-digit integers ``mantissa``
    (P = ``digits``, g = ⌈P/4⌉), the most significant first, zeros after the P-th; and the
    index of the last digit that is not 0 (0 for 0)."""
    groups = -(-digits // 4)
    quotient = mantissa * 10 ** (4 * groups - digits)
    rows, last = [], np.zeros(len(mantissa), np.int16)
    for group in reversed(range(groups)):
        four = quotient - (quotient := quotient // 10_000) * 10_000
        rows.append(_DIGIT_GROUP.take(four))
        np.maximum(last, _LAST_DIGIT.take(four) + 4 * group, out=last)
    return np.stack(rows[::-1]), last


@functools.cache
def _templates(digits: int) -> np.ndarray:
    """(2g + 4, shapes) groups of 4 slots (uint32) of ``%.Pg`` (P = ``digits``, g = ⌈P/4⌉) for
    the shapes ((X + 308)·P + last)·2 + negative, X the decimal exponent and last the index of
    the last significant digit: sign, leading 0 and 2 unused; 4g integer digits; point and 3
    zeros; 4g fraction digits; ``e``, exponent sign, 3 exponent digits and 3 unused. A digit
    slot holds 0 where the digit is written (OR-ed in), :data:`PAD` where not."""
    exponent, last, negative = (a.ravel() for a in np.meshgrid(_EXPONENTS, np.arange(digits), [False, True],
                                                                indexing="ij"))
    fixed = (exponent >= -4) & (exponent < digits)
    point = np.where(fixed, exponent, 0)  # digits 0…point come before the point
    size = np.abs(exponent)
    unused = np.zeros_like(fixed)
    places = range(-(-digits // 4) * 4)

    def slot(written, byte=0):
        return np.where(written, byte, PAD)

    return np.stack([
        slot(negative, ord("-")), slot(fixed & (exponent < 0), ord("0")), slot(unused), slot(unused),
        *(slot(j <= point) for j in places),
        slot(last > point, ord(".")), *(slot(fixed & (exponent < -1 - zeros), ord("0")) for zeros in range(3)),
        *(slot((j > point) & (j <= last)) for j in places),
        slot(~fixed, ord("e")), slot(~fixed, np.where(exponent < 0, ord("-"), ord("+"))),
        slot(~fixed & (size >= 100), ord("0") + size // 100), slot(~fixed, ord("0") + size // 10 % 10),
        slot(~fixed, ord("0") + size % 10), slot(unused), slot(unused), slot(unused),
    ], axis=1).astype(np.uint8).view(np.uint32).T.copy()


def _float_slots(values: np.ndarray, float_format: str) -> np.ndarray:
    """(2g + 4, n) groups of 4 slots of the floats ``values`` written by ``float_format``
    (``%.Pg``, g = ⌈P/4⌉), a missing value empty."""
    digits = _precision(float_format)
    mantissa, exponent, told = _scientific(values, digits)
    digit_groups, last = _digit_groups(mantissa, digits)
    shape = ((exponent - _EXPONENTS[0]) * digits + last) * 2
    slots = _templates(digits).take(shape + np.signbit(values), axis=1)
    groups = len(digit_groups)
    slots[1:groups + 1] |= digit_groups
    slots[groups + 2:2 * groups + 2] |= digit_groups
    untold = np.flatnonzero(~told)
    if untold.size:
        texts = ["" if x != x else float_format % x for x in values[untold].tolist()]
        slots[:, untold] = _text_slots(texts, 4 * len(slots))
    return slots


def _shortest_slots(values: np.ndarray) -> np.ndarray:
    """(w/4, n) groups of 4 slots of the floats ``values`` written as numpy and pandas write a
    float without a format: the shortest text that reads back as the same value (numpy's
    Dragon4 in its "unique" mode, in the precision of the values' own type), a missing value
    empty; the groups no value uses dropped."""
    text = values.astype(f"S{SHORTEST_WIDTH}").view(np.uint8).reshape(len(values), SHORTEST_WIDTH)
    text[text == 0] = PAD
    text[np.isnan(values)] = PAD
    groups = text.view(np.uint32).T
    return groups[groups.min(axis=1) != 0xFFFF_FFFF]


def _block_text(block: list[np.ndarray], float_format: str | None) -> bytes:
    """The CSV lines of a block of rows, given by its columns."""
    floats = [j for j, values in enumerate(block) if values.dtype.kind == "f"]
    slots = {}
    if float_format is None:
        slots = {j: _shortest_slots(block[j]) for j in floats}
    elif floats:
        stacked = np.stack([block[j] for j in floats]).astype(np.float64, copy=False)
        cells = _float_slots(stacked.ravel(), float_format).reshape(-1, *stacked.shape)
        written = cells.min(axis=2) != 0xFFFF_FFFF  # the groups of slots a column uses here
        slots = {j: cells[written[:, k], k] for k, j in enumerate(floats)}
    comma, line_end = (np.broadcast_to(_text_slots([end]), (1, len(block[0]))) for end in (",", "\n"))
    line = []
    for j, values in enumerate(block):
        line += [slots[j] if j in slots else _listed_slots(values), comma if j < len(block) - 1 else line_end]
    return np.concatenate(line).T.tobytes().translate(None, bytes([PAD]))


def csv_blocks(frame: pd.DataFrame, float_format: str | None) -> Iterator[bytes]:
    """The CSV text of ``frame`` in UTF-8 (header first, no index, ``\\n`` line ends), a block
    of rows at a time (:data:`CELLS_PER_BLOCK`), floats by ``float_format`` (``%.Pg``; None:
    their shortest round-trip text, as pandas writes them without a format); the
    blocks formatted by :data:`FORMATTERS` threads (numpy releases the GIL), a few ahead."""
    yield (",".join(map(str, frame.columns)) + "\n").encode("utf-8")
    columns = [frame[c].to_numpy() for c in frame.columns]
    rows = max(1, CELLS_PER_BLOCK // len(columns))
    pending: deque[Future[bytes]] = deque()
    with ThreadPoolExecutor(FORMATTERS, thread_name_prefix="csv") as formatters:
        for start in range(0, len(frame), rows):
            block = [values[start:start + rows] for values in columns]
            pending.append(formatters.submit(_block_text, block, float_format))
            if len(pending) > FORMATTERS:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def write_gzip_csv(frame: pd.DataFrame, path: Path, float_format: str | None = None) -> Path:
    """Write ``frame`` as gzip-compressed CSV (:data:`GZIP_LEVEL`; neither time stamp nor file
    name in its header, so the same table gives the same bytes), floats by ``float_format``
    (None: every digit, as pandas writes them by default): compressed here (ISA-L releases the
    GIL) while other threads format the next blocks (:func:`csv_blocks`); a table off the fast
    path (:func:`fast_path`) as pandas writes it."""
    with open(path, "wb") as file, igzip.IGzipFile("", "wb", GZIP_LEVEL, file, mtime=0) as handle:
        if fast_path(frame) and (float_format is None or _precision(float_format)):
            for text in csv_blocks(frame, float_format):
                handle.write(text)
        else:
            handle.write(frame.to_csv(index=False, float_format=float_format).encode("utf-8"))
    return path

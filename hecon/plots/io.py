"""Writing figures to a results folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import plotly.graph_objects as go

from hecon.errors import InputError


def _write_html(figure: go.Figure, path: Path) -> None:
    """Standalone HTML: plotly.js is embedded, so the file opens without a network."""
    figure.write_html(path, include_plotlyjs=True, full_html=True)


# Format (file suffix) → writer; a static format is one more entry here.
WRITERS: dict[str, Callable[[go.Figure, Path], None]] = {"html": _write_html}


def write_figure(figure: go.Figure, folder: str | Path, stem: str,
                 formats: Sequence[str] = ("html",)) -> list[Path]:
    """Write ``figure`` as ``folder/stem.<format>`` for each format; return the paths written."""
    unknown = [f for f in formats if f not in WRITERS]
    if unknown:
        raise InputError(f"unknown figure format(s): {', '.join(unknown)}",
                         fix=f"choose among: {', '.join(WRITERS)}")
    paths = []
    for suffix in formats:
        path = Path(folder) / f"{stem}.{suffix}"
        WRITERS[suffix](figure, path)
        paths.append(path)
    return paths

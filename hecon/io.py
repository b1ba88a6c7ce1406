"""Results folders: written atomically, each with its manifest.

A results folder is built in a temporary sibling folder and renamed into place only when
every file is written, so an interrupted or failed run leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from hecon import __version__
from hecon.errors import InputError


def sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hexadecimal."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_writable_parent(out: Path) -> None:
    parent = out.parent
    if parent.exists() and not parent.is_dir():
        raise InputError("the parent of the output folder is not a folder", file=out,
                         fix="choose another --out")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder's parent ({error.strerror})",
                         file=out, fix="choose a writable --out") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError("the output folder's parent is not writable", file=out,
                         fix="choose a writable --out")


@contextlib.contextmanager
def results_folder(out: str | Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary folder to write results into; on success it replaces ``out``.

    On any exception the temporary folder is removed and ``out`` is left untouched.
    An existing ``out`` is replaced only when ``overwrite`` is true (it is first moved
    aside, then deleted once the new folder is in place).
    """
    out = Path(out).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise InputError("the output path exists and is not a folder", file=out,
                         fix="choose another --out")
    if out.exists() and not overwrite:
        raise InputError("the output folder already exists", file=out,
                         fix="remove it or choose another --out")
    _check_writable_parent(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    staging.chmod(0o755)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_csv(frame: pd.DataFrame, path: Path, **kwargs: Any) -> Path:
    """Write a table as CSV (index dropped unless asked) and return its path."""
    frame.to_csv(path, index=kwargs.pop("index", False), **kwargs)
    return path


def manifest(
    *,
    model: str,
    command: str,
    inputs: Mapping[str, str | Path] | None = None,
    seed: int | None = None,
    options: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a results folder: what was run, on which inputs, how.

    ``inputs`` maps a role ("parameters", "life_table", …) to a file; each is recorded with
    its SHA-256 so a reader can tell whether the inputs changed since.
    """
    return {
        "hecon_version": __version__,
        "model": model,
        "command": command,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "seed": seed,
        "options": dict(options or {}),
        "inputs": {
            role: {"path": str(Path(path)), "sha256": sha256(path)}
            for role, path in (inputs or {}).items()
        },
        **dict(extra or {}),
    }


def write_manifest(folder: Path, content: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` into a results folder."""
    path = folder / "manifest.json"
    path.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
    return path

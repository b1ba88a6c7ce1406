"""Results folders: safe to replace, written atomically, each with its manifest.

Safety (hecon never deletes what it did not write):

- an existing ``--out`` is replaced only when it is a hecon results folder — its
  ``manifest.json`` names hecon (``"tool": "hecon"``) and the command, and the folder holds
  nothing but the files that manifest lists — or an empty folder;
- the working folder and every folder above it, the home folder and ``/``, a folder that
  holds an input of the run, a symbolic link and an empty path are refused before any work.

Atomicity: results are written in a staging folder ``.<name>.XXXXXXXX/results`` beside
``out``; the staging folder carries a marker (``.hecon-staging``: the writing process's id
and start time). When every file is written, the staging results and ``out`` are exchanged
in one ``renameat2(RENAME_EXCHANGE)`` system call (Linux; elsewhere, two renames), so
``kill -9`` at any moment leaves ``out`` holding either the old results or the new ones,
never a mix. Staging folders whose process is gone are removed by the next run into the
same parent, with one line saying so.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import errno
import hashlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from importlib import metadata
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


TOOL = "hecon"
STAGING_MARKER = ".hecon-staging"
_STAGING_SUFFIX = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}$")


def _refuse(message: str, out: Path | str, fix: str = "choose another --out") -> InputError:
    return InputError(message, file=out, fix=fix)


def _written_files(folder: Path) -> dict[str, str] | None:
    """File → SHA-256 of what hecon wrote in ``folder``, from its manifest; None when the
    folder has no hecon manifest (naming hecon, the command and the files)."""
    try:
        content = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(content, dict) or content.get("tool") != TOOL or not content.get("command"):
        return None
    listed = content.get("files")
    return listed if isinstance(listed, dict) else None


def is_results_folder(folder: Path) -> bool:
    """True when ``folder`` is a hecon results folder holding only the files it wrote.

    Its ``manifest.json`` names hecon and the command, and lists (``files``) every other file
    in the folder; anything else in it (a file the user added) makes it not hecon's to delete.
    """
    listed = _written_files(folder)
    if listed is None:
        return False
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir()}
    return present <= {*listed, "manifest.json"}


def written_by_hecon(path: str | Path) -> bool:
    """Whether ``path`` is a file a hecon results folder wrote, unchanged since: the manifest of
    the folder holding it records the file's SHA-256."""
    path = Path(path)
    listed = _written_files(path.parent)
    return listed is not None and path.is_file() and listed.get(path.name) == sha256(path)


def check_out(out: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """The absolute ``--out`` folder, or one clear :class:`InputError` if replacing it could
    destroy anything hecon did not write (see the module docstring). Call it before any work;
    :func:`results_folder` calls it again before it writes."""
    if str(out).strip() in ("", "."):
        raise _refuse("the output folder is empty or the working folder", out or "''",
                      "give a new folder, e.g. --out results/run1")
    path = Path(out).expanduser()
    if path.is_symlink():
        raise _refuse("the output folder is a symbolic link", path, "give the real path of a new folder")
    path = path.resolve()
    guarded = {Path.cwd().resolve(), Path.home().resolve()}
    if any(path == g or path in g.parents for g in guarded) or path == Path(path.anchor):
        raise _refuse("the output folder is the working folder, the home folder, / or a folder "
                      "above them; replacing it would delete them", path,
                      "give a new folder below the working folder, e.g. --out results/run1")
    for item in inputs:
        source = Path(item).expanduser().resolve()
        if source == path or path in source.parents:
            raise _refuse(f"the output folder holds an input of this run ({source})", path)
    if path.exists() and not path.is_dir():
        raise _refuse("the output path exists and is not a folder", path)
    _probe_writable(path)
    if path.is_dir() and any(path.iterdir()) and not is_results_folder(path):
        raise _refuse("the output folder exists and is not a hecon results folder (no hecon "
                      "manifest, or files hecon did not write); hecon replaces only its own "
                      "results", path, "choose a new or empty folder, or move its files away")
    return path


def _probe_writable(path: Path) -> None:
    """Refuse a folder whose nearest existing ancestor cannot hold a new folder (read-only,
    /proc, /sys, not a folder): tried by creating and removing an empty probe folder."""
    ancestor = next(p for p in (path, *path.parents) if p.exists())
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".hecon-probe-", dir=ancestor))
    except OSError as error:
        raise _refuse(f"cannot write there ({error.strerror})", path, "choose a writable --out") from None


def _writable_parent(out: Path) -> None:
    parent = out.parent
    if parent.exists() and not parent.is_dir():
        raise _refuse("the parent of the output folder is not a folder", out)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _refuse(f"cannot create the output folder's parent ({error.strerror})", out,
                      "choose a writable --out") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _refuse("the output folder's parent is not writable", out, "choose a writable --out")


def _process_start(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), or
    None when no such process runs; with the pid it names one process even if pids recycle."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(marker: str) -> bool:
    pid, _, started = marker.partition(" ")
    if not pid.isdigit():
        return True  # not a marker this version wrote: leave it alone
    if Path("/proc/self/stat").exists():
        return _process_start(int(pid)) == started
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_abandoned_staging(parent: Path) -> list[Path]:
    """Remove the staging folders in ``parent`` left by runs that were killed: only folders
    named ``.<name>.XXXXXXXX`` that carry hecon's staging marker and whose process is gone."""
    removed = []
    try:
        candidates = [p for p in parent.iterdir() if _STAGING_SUFFIX.match(p.name)]
    except OSError:
        return removed
    for folder in candidates:
        marker = folder / STAGING_MARKER
        try:
            owner = marker.read_text(encoding="ascii").strip()
        except (OSError, ValueError):
            continue
        if folder.is_dir() and not folder.is_symlink() and not _alive(owner):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _exchange(staged: Path, out: Path) -> None:
    """Swap ``staged`` and ``out`` atomically (both exist; same filesystem)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(staged), at_fdcwd, os.fsencode(out), rename_exchange) == 0:
            return
        error = ctypes.get_errno()
        if error not in (errno.EINVAL, errno.ENOSYS):
            raise OSError(error, os.strerror(error), str(out))
    aside = staged.with_name(staged.name + ".old")  # no atomic swap here: move aside, then in
    out.rename(aside)
    staged.rename(out)
    aside.rename(staged)


def _record_files(results: Path) -> None:
    """Add to the manifest every file the run wrote, with its SHA-256."""
    path = results / "manifest.json"
    if not path.exists():
        raise RuntimeError("a results folder must have its manifest.json written before it closes")
    content = json.loads(path.read_text(encoding="utf-8"))
    content["files"] = {str(p.relative_to(results)): sha256(p) for p in sorted(results.rglob("*"))
                        if p.is_file() and p.name != "manifest.json"}
    write_manifest(results, content)


@contextlib.contextmanager
def results_folder(out: str | Path, *, inputs: Iterable[str | Path] = (),
                   note: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Yield a staging folder to write results into; on success it replaces ``out`` atomically.

    ``out`` is checked by :func:`check_out` against ``inputs`` (every input file of the run)
    first. On any exception the staging folder is removed and ``out`` is left untouched. The
    body must write ``manifest.json`` (see :func:`manifest`); the files written are recorded in
    it on close. ``note`` receives one line when abandoned staging folders are removed.
    """
    out = check_out(out, inputs)
    _writable_parent(out)
    removed = remove_abandoned_staging(out.parent)
    if removed:
        (note or _stderr)(f"removed {len(removed)} staging folder(s) left by an interrupted run: "
                          + ", ".join(p.name for p in removed))
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        (staging / STAGING_MARKER).write_text(f"{os.getpid()} {_process_start(os.getpid()) or ''}\n",
                                              encoding="ascii")
        results = staging / "results"
        results.mkdir()
    except OSError as error:
        raise _refuse(f"cannot write there ({error.strerror})", out, "choose a writable --out") from None
    try:
        yield results
        _record_files(results)
        results.chmod(0o777 & ~_umask())
        if out.exists():
            _exchange(results, out)
        else:
            results.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def updated_results_folder(folder: str | Path, *, note: Callable[[str], None] | None = None
                           ) -> Iterator[Path]:
    """Yield a copy of an existing hecon results folder to change (e.g. to rebuild its report);
    on success the copy replaces the folder atomically, with its manifest's file list renewed."""
    folder = Path(folder)
    if not folder.is_dir() or not is_results_folder(folder):
        raise InputError("not a hecon results folder (no hecon manifest.json, or files hecon did "
                         "not write)", file=folder, fix="give a folder written by hecon")
    with results_folder(folder, note=note) as staging:
        shutil.copytree(folder, staging, dirs_exist_ok=True)
        yield staging


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def write_csv(frame: pd.DataFrame, path: Path, **kwargs: Any) -> Path:
    """Write a table as CSV (index dropped unless asked) and return its path.

    A text cell holding a carriage return is quoted (the csv module quotes line feeds but not a
    lone CR under a ``\n`` line ending, which a reader would take for a line break)."""
    text = frame.select_dtypes(include=["object", "string"])
    if any(text[c].astype(str).str.contains("\r", regex=False).any() for c in text):
        kwargs.setdefault("quoting", csv.QUOTE_NONNUMERIC)
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
        "tool": TOOL,
        "hecon_version": __version__,
        "versions": library_versions(),
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


#: the libraries whose versions a manifest records beside hecon's
LIBRARIES = ("numpy", "scipy", "pandas", "SALib", "plotly")


def library_versions() -> dict[str, str]:
    """The installed versions of the libraries the results depend on."""
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def write_manifest(folder: Path, content: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` into a results folder (through a temporary file renamed into
    place, so a reader never sees half a manifest)."""
    path = folder / "manifest.json"
    partial = folder / ".manifest.json.partial"
    partial.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path

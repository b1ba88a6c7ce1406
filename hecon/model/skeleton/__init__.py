"""``hecon new-model``: the files of a runnable new model, from the templates in this folder.

:func:`write_skeleton` writes, for a model ``NAME`` in folder ``DIR``::

    DIR/NAME.py                              the model (a three-state cohort Markov model)
    DIR/inputs/NAME/parameters.csv           its parameter table, each row with a source
    DIR/inputs/NAME/scenarios/no_discounting.yaml
    DIR/test_NAME.py                         a pytest file that loads the model by its path

so that ``hecon base DIR/NAME.py`` runs at once (the loader's rule: a model file's inputs are
``inputs/<name>/`` beside it). It never overwrites: if one of these exists, nothing is written.
"""

from __future__ import annotations

import keyword
from importlib import resources
from pathlib import Path
from string import Template

from hecon.errors import InputError
from hecon.model.files import check_identifier

SCENARIO = "no_discounting"


def skeleton_files(name: str, folder: str | Path) -> dict[Path, str]:
    """Path → text of every file of the new model ``name`` in ``folder``."""
    check_identifier(name, "model name", fix="the name is the model's module and inputs folder")
    if keyword.iskeyword(name) or name.startswith("_"):
        raise InputError(f"model name {name!r} is a Python keyword or starts with an underscore",
                         fix="choose a plain name such as my_model")
    folder = Path(folder)
    inputs = folder / "inputs" / name
    templates = resources.files(__name__)

    def text(template: str) -> str:
        return Template(templates.joinpath(template).read_text(encoding="utf-8")).substitute(name=name)

    return {folder / f"{name}.py": text("model.py.tmpl"),
            folder / f"test_{name}.py": text("test_model.py.tmpl"),
            inputs / "parameters.csv": text("parameters.csv"),
            inputs / "scenarios" / f"{SCENARIO}.yaml": text("scenario.yaml")}


def write_skeleton(name: str, folder: str | Path) -> list[Path]:
    """Write the new model's files (see the module docstring); return their paths.

    Refused, with nothing written, when the model file, its test or its inputs folder exists.
    """
    files = skeleton_files(name, folder)
    inputs = Path(folder) / "inputs" / name
    taken = next((p for p in (*files, inputs) if p.exists() or p.is_symlink()), None)
    if taken is not None:
        raise InputError("already exists; new-model never overwrites", file=taken,
                         fix="choose another name or --dir, or move the existing files away")
    if Path(folder).exists() and not Path(folder).is_dir():
        raise InputError("not a folder", file=folder, fix="give --dir a folder (it is created if missing)")
    new_folders = {parent for path in files for parent in path.parents if not parent.exists()}
    written: list[Path] = []
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:  # "x": never replace a file
                written.append(path)
                handle.write(content)
    except OSError as error:  # a folder that cannot be written: take back what was written
        for path in written:
            path.unlink(missing_ok=True)
        for made in sorted(new_folders, key=lambda f: len(f.parts), reverse=True):  # deepest first
            if made.is_dir() and not any(made.iterdir()):
                made.rmdir()
        raise InputError(f"cannot write the new model: {error.strerror or error}", file=error.filename or folder,
                         fix="choose a folder you can write to") from None
    return written

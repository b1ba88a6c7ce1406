"""hecon is installable: the built wheel, installed into a fresh venv outside the repository,
runs the flagship model from an empty folder (its inputs are package data, its models found
through the ``hecon.models`` entry points).

Marked ``wheel``: it builds the wheel from a copy of the sources (``pip wheel
--no-build-isolation``, so setuptools ≥ 77 from the test extras, no network), creates a venv
without pip whose dependencies are the project venv's (one ``.pth`` line), installs the wheel
there with ``--no-deps --no-index``, and runs ``hecon`` from an empty folder. About 20 s;
``pytest -m "not wheel"`` skips it.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).parents[1]
SOURCES = ("hecon", "hecon_models", "pyproject.toml", "README.md")


def run(args, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a command with no PYTHONPATH, so nothing but the venv's own packages is importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    child = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=timeout)
    assert child.returncode == 0, f"{args}\n{child.stdout[-2000:]}\n{child.stderr[-2000:]}"
    return child


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv, outside the repository, with the wheel built from the sources installed."""
    base = tmp_path_factory.mktemp("wheel")
    sources = base / "src"
    sources.mkdir()
    for name in SOURCES:  # a copy: the build writes build/ and *.egg-info beside the sources
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, sources / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, sources / name)
    run([sys.executable, "-m", "pip", "wheel", sources, "--no-deps", "--no-build-isolation", "--no-index",
         "-w", base / "dist", "-q"], cwd=base)
    wheel = next((base / "dist").glob("hecon-*.whl"))
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base).stdout.strip())
    (site / "_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], cwd=base)
    return venv


@pytest.fixture
def empty(tmp_path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_the_installed_package_is_the_wheel_with_its_inputs(venv, empty):
    code = ("import hecon, hecon_models; from hecon.model import Model, available_models; "
            "print(hecon.__file__); print(Model('ifn_gamma').input_dir); print(available_models())")
    printed = run([venv / "bin" / "python", "-c", code], cwd=empty).stdout.splitlines()
    assert all(line.startswith(str(venv)) for line in printed[:2]), printed
    assert printed[2] == "['example_sick', 'ifn_gamma']"
    assert (Path(printed[1]) / "parameters.csv").is_file() and (Path(printed[1]) / "scenarios").is_dir()


def test_hecon_base_from_an_empty_folder(venv, empty):
    run([venv / "bin" / "hecon", "base", "ifn_gamma", "--out", "X", "--quiet"], cwd=empty)
    manifest = json.loads((empty / "X" / "manifest.json").read_text())
    assert {"cost_consequence.csv", "icers.csv", "trace.csv"} <= {p.name for p in (empty / "X").iterdir()}
    assert all(entry["path"].startswith(str(venv)) for entry in manifest["inputs"].values())


def test_hecon_run_from_an_empty_folder(venv, empty):
    run([venv / "bin" / "hecon", "run", "--quick", "--out", "Y", "--quiet"], cwd=empty, timeout=120)
    written = {p.name for p in (empty / "Y").iterdir()}
    assert {"report.html", "results.xlsx", "scenarios.csv", "manifest.json"} <= written


def test_new_model_from_the_installed_templates(venv, empty):
    hecon = venv / "bin" / "hecon"
    run([hecon, "new-model", "my_model", "--dir", "work", "--quiet"], cwd=empty)
    run([hecon, "base", "work/my_model.py", "--out", "Z", "--quiet"], cwd=empty)
    assert (empty / "Z" / "icers.csv").is_file()

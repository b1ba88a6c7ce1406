"""`hecon new-model NAME --dir DIR` (hecon.model.skeleton): a runnable model, its inputs and
its test, that every analysis command runs by the model file's path; never an overwrite."""

import json
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from hecon.cli import app
from hecon.errors import InputError
from hecon.model import Model
from hecon.model.skeleton import skeleton_files, write_skeleton

runner = CliRunner()


@pytest.fixture(scope="module")
def new_model(tmp_path_factory):
    """The folder of one new model, written through the command line."""
    folder = tmp_path_factory.mktemp("new") / "work"
    result = runner.invoke(app, ["new-model", "my_model", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"hecon base {folder / 'my_model.py'}" in result.output
    return folder


def test_new_model_writes_the_model_its_inputs_a_scenario_and_a_test(new_model):
    written = sorted(str(p.relative_to(new_model)) for p in new_model.rglob("*") if p.is_file())
    assert written == ["inputs/my_model/parameters.csv", "inputs/my_model/scenarios/no_discounting.yaml",
                       "my_model.py", "test_my_model.py"]
    table = pd.read_csv(new_model / "inputs" / "my_model" / "parameters.csv")
    assert ((table["status"] == "assumption") | table["source"].notna()).all()


def test_the_new_model_is_a_textbook_markov_model(new_model):
    model = Model(new_model / "my_model.py")
    assert model.strategies == ("standard_care", "new_treatment") and model.comparator == "standard_care"
    assert [(e.outcome, e.unit) for e in model.effects] == [("qalys_disc", "QALY"), ("life_years_disc", "life year")]
    assert {"discount_rate_costs", "discount_rate_effects", "horizon_years"} <= set(vars(model.options()))
    run = model.module.cohort(model.parameters.sample(100, seed=3), model.options())
    assert np.allclose(run.trace.sum(axis=-1), 1) and (np.diff(run.trace[..., 2], axis=-1) >= 0).all()  # the dead stay dead


def test_hecon_base_runs_the_new_model_by_its_path(new_model, tmp_path):
    out = tmp_path / "base"
    result = runner.invoke(app, ["base", str(new_model / "my_model.py"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    icers = pd.read_csv(out / "icers.csv")
    assert list(icers["unit"]) == ["QALY", "life year"] and (icers["incremental_effect"] > 0).all()
    assert json.loads((out / "manifest.json").read_text())["model"] == str(new_model / "my_model.py")


@pytest.mark.parametrize("command", [["dsa"], ["psa", "--n", "60", "--evppi", "none"], ["scenarios"]])
def test_the_analyses_run_the_new_model_by_its_path(new_model, tmp_path, command):
    out = tmp_path / command[0]
    result = runner.invoke(app, [command[0], str(new_model / "my_model.py"), *command[1:], "--out", str(out),
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()


def test_the_new_model_s_own_test_passes(new_model):
    child = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(new_model / "test_my_model.py")], cwd=new_model, capture_output=True, text=True,
                           timeout=120)
    assert child.returncode == 0, child.stdout[-2000:] + child.stderr[-2000:]
    assert "3 passed" in child.stdout


@pytest.mark.parametrize("existing", ["my_model.py", "test_my_model.py", "inputs/my_model"])
def test_new_model_never_overwrites(tmp_path, existing):
    (tmp_path / "inputs").mkdir()
    target = tmp_path / existing
    target.mkdir() if existing.startswith("inputs") else target.write_text("mine")
    before = sorted(tmp_path.rglob("*"))
    result = runner.invoke(app, ["new-model", "my_model", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == f"error: {target}: already exists; new-model never overwrites (fix: choose another " \
                            "name or --dir, or move the existing files away)\n"
    assert sorted(tmp_path.rglob("*")) == before
    assert existing.startswith("inputs") or target.read_text() == "mine"


@given(st.text(max_size=20))
def test_a_name_is_a_plain_identifier_or_refused_on_one_line(name):
    try:
        files = skeleton_files(name, "somewhere")
    except InputError as error:
        assert len(str(error).splitlines()) == 1 and str(error).startswith("model name")
    else:
        assert name.isidentifier() and name.isascii() and not name.startswith("_")
        assert all(name in str(path) for path in files)


@pytest.mark.parametrize("name", ["class", "_private", "my-model", "2nd", ""])
def test_names_that_cannot_be_a_module_are_refused(tmp_path, name):
    with pytest.raises(InputError, match="^model name"):
        write_skeleton(name, tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_dir_that_is_a_file_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot write the new model|not a folder"):
        write_skeleton("my_model", blocker)
    assert blocker.read_text() == ""


def test_a_write_that_fails_half_way_takes_everything_back(tmp_path, monkeypatch):
    opened = pathlib.Path.open

    def failing(path, *args, **kwargs):
        if path.name == "parameters.csv" and tmp_path in path.parents:
            raise OSError(28, "No space left on device", str(path))
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", failing)
    with pytest.raises(InputError, match="parameters.csv: cannot write the new model: No space left on device"):
        write_skeleton("my_model", tmp_path / "new" / "work")
    assert not any(tmp_path.iterdir())


def test_inputs_from_another_folder(new_model, tmp_path):
    """--inputs DIR: the parameter table (and scenarios) from DIR, recorded in the manifest."""
    other = tmp_path / "other"
    shutil.copytree(new_model / "inputs" / "my_model", other)
    table = other / "parameters.csv"
    table.write_text(table.read_text().replace("cost_new_treatment,Yearly cost of the new treatment while alive,1000",
                                               "cost_new_treatment,Yearly cost of the new treatment while alive,1100"))
    icers = {}
    for name, extra in (("own", []), ("other", ["--inputs", str(other)])):
        result = runner.invoke(app, ["base", str(new_model / "my_model.py"), "--out", str(tmp_path / f"out_{name}"), *extra])
        assert result.exit_code == 0, result.output
        icers[name] = pd.read_csv(tmp_path / f"out_{name}" / "icers.csv")["incremental_cost"]
    assert (icers["other"] > icers["own"]).all()
    manifest = json.loads((tmp_path / "out_other" / "manifest.json").read_text())
    assert manifest["inputs"]["parameters"]["path"] == str(table)
    printed = runner.invoke(app, ["validate", str(new_model / "my_model.py"), "--inputs", str(other)]).output
    assert "1100" in printed and "9 parameters, valid." in printed

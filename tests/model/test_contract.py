"""The model contract (hecon.model.contract): what a model declares, checked when it loads, and
the loader — a registered name (entry-point group ``hecon.models``), a path to a ``.py`` file,
its inputs beside it or in a folder given.

Throw-away model files are written to a temporary folder and loaded by their path, the way a
user's own model is.
"""

import itertools
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.model import Effect, Model, available_models, contract

ROOT = Path(__file__).parents[2]
VALID = {
    "STRATEGIES": '("standard_care", "drug_a")',
    "COMPARATOR": '"standard_care"',
    "EFFECTS": '(Effect("qalys_disc", "QALY gained", "QALY"),)',
    "OPTIONS": "discount_rate: float = 0.035",
    "STATES": '("healthy", "sick", "dead")',
    "MORE": "",
}
TEMPLATE = '''
from dataclasses import dataclass
from hecon.model import Effect

TITLE = "A throw-away model"
STRATEGIES = {STRATEGIES}
COMPARATOR = {COMPARATOR}
EFFECTS = {EFFECTS}
STATES = {STATES}
{MORE}


@dataclass(frozen=True)
class Options:
    {OPTIONS}


def evaluate(params, options):
    raise NotImplementedError
'''
TABLE = ("name,description,value,unit,distribution,se,ci_low,ci_high,alpha,beta,lower,upper,low,high,group,"
         "price_year,status,source,notes\n"
         "price_drug_a,Price of drug A,100,EUR,fixed,,,,,,,,80,120,costs,2024,assumption,test,\n")
NAMES = itertools.count()


@pytest.fixture
def write_model(tmp_path):
    """Write a model file with some declarations changed (and a parameter table beside it);
    return its path."""

    def write(**changes):
        path = tmp_path / f"scratch_model_{next(NAMES)}.py"
        path.write_text(TEMPLATE.format(**{**VALID, **changes}), encoding="utf-8")
        inputs = tmp_path / "inputs" / path.stem
        inputs.mkdir(parents=True)
        (inputs / "parameters.csv").write_text(TABLE, encoding="utf-8")
        return path

    return write


def refusal(source, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        Model(source, **kwargs)
    line = str(caught.value)
    assert len(line.splitlines()) == 1, line
    return line


# ---------------------------------------------------------------- the shipped models, by name

def test_the_shipped_models_are_registered_as_entry_points():
    registered = {e.name: e.value for e in metadata.entry_points(group="hecon.models")}
    assert registered["ifn_gamma"] == "hecon_models.ifn_gamma" and registered["example_sick"] == "hecon_models.example_sick"
    assert {"ifn_gamma", "example_sick"} <= set(available_models())


@pytest.mark.parametrize("name", available_models())
def test_every_shipped_model_loads_with_its_inputs_beside_it(name):
    model = Model(name)
    assert model.comparator in model.strategies and len(set(model.strategies)) == len(model.strategies) >= 2
    assert model.input_dir == ROOT / "hecon_models" / "inputs" / name
    assert (model.input_dir / "parameters.csv").is_file() and (model.input_dir / "scenarios").is_dir()
    assert all(effect.unit and effect.label for effect in model.effects)
    assert set(model.strategy_labels) == set(model.strategies)
    assert model.source == name and model.name == name


def test_the_flagship_declares_its_optional_attributes():
    model = Model("ifn_gamma")
    assert model.price_parameter == "price_ifn_vial" and model.price_parameter in model.parameters
    assert len(model.states) == 8 and set(model.positions) == set(model.states)
    assert ("icu_never_infected", "icu_infected") in model.edges
    assert model.decision_problem.startswith("Adults in ICU")
    assert [e.unit for e in model.effects][:3] == ["QALY", "life year", "infection episode"]
    assert model.trial is not None and model.trial.__name__ == "hecon_models._ifn_gamma_trial"
    assert set(model.input_files()) == {"parameters", "life_table", "price_index", "validation_targets"}
    assert model.options().input_dir == str(model.input_dir)


def test_undeclared_optional_attributes_have_their_defaults(write_model):
    model = Model(write_model(STATES="()"))
    assert model.strategy_labels == {"standard_care": "standard_care", "drug_a": "drug_a"}
    assert model.states == () and model.edges == () and model.positions == {}
    assert model.price_parameter is None and model.decision_problem == model.title
    assert model.trial is None
    assert Model("example_sick").trial is None


def test_a_shipped_model_loads_the_same_by_its_path():
    by_path = Model(ROOT / "hecon_models" / "example_sick.py")
    by_name = Model("example_sick")
    assert by_path.name == "example_sick" and by_path.source == str(ROOT / "hecon_models" / "example_sick.py")
    assert by_path.input_dir == by_name.input_dir and by_path.strategies == by_name.strategies
    outcomes = [m.evaluate(m.parameters.base_case()) for m in (by_path, by_name)]
    assert (outcomes[0]["qalys_disc"] == outcomes[1]["qalys_disc"]).all()


# ---------------------------------------------------------------- names the loader does not know

def test_an_unknown_name_suggests_the_close_one():
    assert refusal("ifn_gama").startswith("unknown model 'ifn_gama' (fix: did you mean ifn_gamma?")
    assert "known models: example_sick, ifn_gamma; or give the path of a model file" in refusal("zzz")


def test_no_registered_model_says_how_to_register_them(monkeypatch):
    monkeypatch.setattr(contract.metadata, "entry_points", lambda group: [])
    assert "no model is registered: install hecon (pip install -e .)" in refusal("ifn_gamma")


def test_a_name_registered_twice_is_refused(monkeypatch):
    entries = [metadata.EntryPoint("twice", value, contract.ENTRY_POINT_GROUP) for value in ("a.m", "b.m")]
    monkeypatch.setattr(contract.metadata, "entry_points", lambda group: entries)
    assert refusal("twice").startswith("model 'twice' is registered twice (a.m, b.m) (fix: uninstall one")


def test_an_installed_model_that_does_not_import_is_one_line(monkeypatch):
    entries = [metadata.EntryPoint("broken", "no_such_package.model", contract.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(contract.metadata, "entry_points", lambda group: entries)
    line = refusal("broken")
    assert line.startswith("no_such_package.model: the model does not load: ModuleNotFoundError"), line


@given(st.text(max_size=30))
def test_any_source_text_loads_a_model_or_is_one_line(source):
    try:
        model = Model(source)
    except InputError as error:
        assert len(str(error).splitlines()) == 1
    else:
        assert model.name in available_models()


# ---------------------------------------------------------------- model files

@pytest.mark.parametrize(("name", "message"), [
    ("absent.py", "no such model file (fix: give the path of a .py file, or a registered model's name)"),
    ("folder.py", "this is a folder, not a model file"),
    ("model.txt", "a model file is a Python file ending in .py"),
    ("my-model.py", "model file name 'my-model' is not an identifier"),
])
def test_a_path_that_is_not_a_model_file_is_refused(tmp_path, name, message):
    (tmp_path / "folder.py").mkdir()
    (tmp_path / "model.txt").write_text("TITLE = 'x'")
    (tmp_path / "my-model.py").write_text("TITLE = 'x'")
    assert refusal(tmp_path / name).startswith(f"{tmp_path / name}: {message}")


@pytest.mark.parametrize(("more", "row", "message"), [
    ("def broken(:\n    pass", 10, "SyntaxError: invalid syntax"),
    ("import no_such_module_anywhere", 10, "ModuleNotFoundError: No module named 'no_such_module_anywhere'"),
    ('EXTRA = Effect("qalys", "QALY gained")', 10, "TypeError: Effect.__init__() missing 1 required positional argument: 'unit'"),
    ("raise RuntimeError('boom\\nsecond line')", 10, "RuntimeError: boom\\nsecond line"),
])
def test_a_model_file_that_does_not_run_is_one_line_with_its_row(write_model, more, row, message):
    path = write_model(MORE=more)
    line = refusal(path)
    assert line.startswith(f"{path}, row {row}: the model does not load: {message}"), line
    assert "(fix: correct the module" in line


def test_a_model_file_is_read_again_when_it_changes(write_model):
    path = write_model()
    assert Model(path).title == "A throw-away model"
    path.write_text(path.read_text().replace("A throw-away model", "Edited"))
    assert Model(path).title == "Edited"


def test_inputs_are_beside_the_file_or_in_the_folder_given(write_model, tmp_path):
    path = write_model()
    assert Model(path).input_dir == tmp_path / "inputs" / path.stem
    assert Model(path).parameters.names == ["price_drug_a"]
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "parameters.csv").write_text(TABLE.replace("price_drug_a", "price_other"), encoding="utf-8")
    assert Model(path, inputs=other).parameters.names == ["price_other"]
    assert refusal(path, inputs=tmp_path / "nowhere").startswith(f"{tmp_path / 'nowhere'}: no such inputs folder")


def test_a_missing_parameter_table_names_the_folder_rule(write_model):
    path = write_model()
    (path.parent / "inputs" / path.stem / "parameters.csv").unlink()
    with pytest.raises(InputError) as caught:
        Model(path).load_parameters()
    assert "no parameter table (fix: write the model's parameters.csv in" in str(caught.value)
    assert "or give --inputs DIR" in str(caught.value)


def test_the_loader_passes_the_inputs_folder_to_the_model(write_model, tmp_path):
    path = write_model(MORE='''
from hecon.model.parameters import ParameterTable

def load_parameters(options, input_dir, table_file):
    return ParameterTable.load(table_file)

def input_files(options, input_dir):
    return {"parameters": input_dir / "parameters.csv", "notes": input_dir / "notes.txt"}
''')
    model = Model(path, inputs=path.parent / "inputs" / path.stem)
    assert model.parameters.names == ["price_drug_a"]
    assert model.input_files() == {"parameters": model.input_dir / "parameters.csv",
                                   "notes": model.input_dir / "notes.txt"}


def test_the_loader_sets_the_inputs_folder_in_the_options_that_declare_it(write_model, tmp_path):
    path = write_model(OPTIONS='discount_rate: float = 0.035\n    input_dir: str = ""')
    assert Model(path).options().input_dir == str(tmp_path / "inputs" / path.stem)
    assert Model(path, inputs=tmp_path).options({"discount_rate": 0.0}).input_dir == str(tmp_path)
    with pytest.raises(InputError, match="'input_dir' is the inputs folder, not an option .fix: give the folder with --inputs DIR"):
        Model(path).options({"input_dir": "elsewhere"})
    assert vars(Model(write_model()).options()) == {"discount_rate": 0.035}  # no such field: no folder


def test_a_model_registered_by_another_package_loads_with_its_inputs_beside_it(write_model, tmp_path, monkeypatch):
    """A package on the path registering a model in the entry-point group (as ``pip install``
    would): the model is found by its name, its inputs beside its module."""
    package = tmp_path / "someone_elses_models"
    (package / "inputs").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    module = write_model()
    module.rename(package / "their_model.py")
    (tmp_path / "inputs" / module.stem).rename(package / "inputs" / "their_model")
    monkeypatch.syspath_prepend(str(tmp_path))
    entries = [metadata.EntryPoint("their_model", "someone_elses_models.their_model", contract.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(contract.metadata, "entry_points", lambda group: entries)
    model = Model("their_model")
    assert model.module.__name__ == "someone_elses_models.their_model" and model.source == "their_model"
    assert model.input_dir == package / "inputs" / "their_model" and model.parameters.names == ["price_drug_a"]


def test_a_trial_companion_beside_a_model_file_is_found(write_model):
    path = write_model()
    path.with_name(f"_{path.stem}_trial.py").write_text("ARMS = ('standard_care', 'drug_a')\n")
    assert Model(path).trial.ARMS == ("standard_care", "drug_a")


# ---------------------------------------------------------------- declarations

def test_a_well_declared_model_loads(write_model):
    model = Model(write_model(EFFECTS='(Effect("qalys_disc", "=QALY gained, <b>free text</b>", "QALY"),)'))
    assert model.strategies == ("standard_care", "drug_a") and model.effects[0].label.startswith("=")
    assert model.effects == (Effect("qalys_disc", "=QALY gained, <b>free text</b>", "QALY"),)


@pytest.mark.parametrize(("attribute", "declaration", "bad"), [
    ("STRATEGIES", '("standard_care", "=HYPERLINK(\\"http://x\\",\\"y\\")")', '=HYPERLINK("http://x","y")'),
    ("STRATEGIES", '("standard_care", "drug a")', "drug a"),
    ("STRATEGIES", '("standard_care", "+1+1")', "+1+1"),
    ("STRATEGIES", '("standard_care", "-2+3")', "-2+3"),
    ("STRATEGIES", '("standard_care", "@SUM(A1)")', "@SUM(A1)"),
    ("STRATEGIES", '("standard_care", "\\t=1")', "\t=1"),
    ("STRATEGIES", '("standard_care", "\\r=1")', "\r=1"),
    ("STRATEGIES", '("standard_care", "drug\\nb")', "drug\nb"),
    ("STRATEGIES", '("standard_care", "2nd_line")', "2nd_line"),
    ("STRATEGIES", '("standard_care", "")', ""),
    ("STRATEGIES", '("standard_care", "médicament")', "médicament"),
    ("STRATEGIES", '("standard_care", 3)', "3"),
    ("EFFECTS", '(Effect("qalys disc", "QALY gained", "QALY"),)', "qalys disc"),
    ("EFFECTS", '(Effect("<script>", "QALY gained", "QALY"),)', "<script>"),
    ("STATES", '("healthy", "dead (ICU)")', "dead (ICU)"),
])
def test_a_declared_name_that_is_not_an_identifier_is_refused_on_one_line(write_model, attribute, declaration,
                                                                          bad):
    path = write_model(**{attribute: declaration})
    line = refusal(path)
    where = {"STRATEGIES": "STRATEGIES:", "EFFECTS": "EFFECTS: outcome", "STATES": "STATES:"}[attribute]
    assert line.startswith(f"{path}: {where} {bad!r} is not an identifier"), line
    assert "(fix: rename it" in line


def test_an_option_named_outside_ascii_is_refused(write_model):
    path = write_model(OPTIONS="taux_d_actualisation_é: float = 0.04")
    assert refusal(path).startswith(f"{path}: Options: field 'taux_d_actualisation_é' is not an identifier")


def test_the_fix_suggests_the_identifier_it_could_be(write_model):
    path = write_model(STRATEGIES='("standard_care", "drug-a (new)")')
    assert "(fix: rename it 'drug_a_new'; a strategy is a name, not a description)" in refusal(path)


@pytest.mark.parametrize(("changes", "message"), [
    ({"STRATEGIES": '("standard_care", "drug_a", "standard_care")'}, "STRATEGIES: 'standard_care' is declared twice"),
    ({"COMPARATOR": '"placebo"'}, "COMPARATOR: 'placebo' is not one of the STRATEGIES (standard_care, drug_a)"),
    ({"COMPARATOR": '"=1+1"'}, "COMPARATOR: '=1+1' is not one of the STRATEGIES"),
    ({"STRATEGIES": '("standard_care",)'}, "STRATEGIES declares 1: a decision compares at least two strategies"),
    ({"STRATEGIES": '"standard_care"'}, "STRATEGIES is a str, not a tuple of strategy names"),
    ({"EFFECTS": "()"}, "EFFECTS is not a non-empty tuple of Effect"),
    ({"EFFECTS": '("qalys_disc",)'}, "EFFECTS is not a non-empty tuple of Effect"),
    ({"EFFECTS": '(Effect("qalys_disc", "QALY gained", ""),)'}, "EFFECTS: the unit of 'qalys_disc' is '', not a line of text"),
    ({"EFFECTS": '(Effect("qalys_disc", None, "QALY"),)'}, "EFFECTS: the label of 'qalys_disc' is 'None'"),
    ({"EFFECTS": '(Effect("qalys_disc", "QALY gained", "QALY", "yes"),)'}, "EFFECTS: higher_is_better of 'qalys_disc' is 'yes'"),
    ({"EFFECTS": '(Effect("q", "QALY gained", "QALY"), Effect("q", "QALY", "QALY"))'}, "EFFECTS: 'q' is declared twice"),
    ({"OPTIONS": "discount_rate: float"}, "Options: field 'discount_rate' has no default"),
    ({"OPTIONS": "input_dir: int = 0"}, "Options: field 'input_dir' is not declared a str (fix: declare input_dir: str"),
    ({"STATES": '("healthy", "sick", "healthy")'}, "STATES: 'healthy' is declared twice"),
    ({"MORE": 'TITLE = ""'}, "TITLE is '', not a line of text"),
    ({"MORE": 'STRATEGY_LABELS = {"drug_b": "Drug B"}'}, "STRATEGY_LABELS: 'drug_b' is not one of the STRATEGIES"),
    ({"MORE": 'STRATEGY_LABELS = {"drug_a": 3}'}, "STRATEGY_LABELS['drug_a'] is '3', not a line of text"),
    ({"MORE": 'STRATEGY_LABELS = ["Drug A"]'}, "STRATEGY_LABELS is not a mapping"),
    ({"MORE": 'EDGES = (("healthy", "cured"),)'}, "EDGES: 'cured' is not one of the STATES"),
    ({"MORE": 'EDGES = ("healthy", "sick")'}, "EDGES is not a tuple of (from, to) state pairs"),
    ({"MORE": 'POSITIONS = {"healthy": (0, 0), "sick": (1, 0)}'}, "POSITIONS does not place exactly the STATES (differs on dead)"),
    ({"MORE": 'POSITIONS = {"healthy": (0, 0), "sick": (1, 0), "dead": "top"}'}, "POSITIONS['dead'] is 'top', not an (x, y) of numbers"),
    ({"MORE": 'PRICE_PARAMETER = "price of drug A"'}, "PRICE_PARAMETER: 'price of drug A' is not an identifier"),
    ({"MORE": "DECISION_PROBLEM = 42"}, "DECISION_PROBLEM is '42', not a line of text"),
    ({"MORE": "load_parameters = 3"}, "load_parameters is not a function (fix: declare def load_parameters(options, input_dir, table_file))"),
    ({"MORE": "def load_parameters(options):\n    pass"}, "load_parameters does not take the arguments (options, input_dir, table_file)"),
    ({"MORE": "def validation(table):\n    pass"}, "validation does not take the arguments (table, options)"),
])
def test_what_a_model_declares_is_checked_when_it_loads(write_model, changes, message):
    path = write_model(**changes)
    assert refusal(path).startswith(f"{path}: {message}")


def test_a_module_that_is_not_a_model_names_every_missing_declaration(write_model, tmp_path):
    path = tmp_path / "notes.py"
    path.write_text("x = 1\n")
    assert refusal(path).startswith(f"{path}: the model declares no TITLE, STRATEGIES, COMPARATOR, EFFECTS, Options, "
                                    "evaluate (fix: a model module declares")


def test_a_missing_declaration_is_named(write_model):
    path = write_model(STATES='("healthy", "dead")\ndel TITLE')
    assert refusal(path).startswith(f"{path}: the model declares no TITLE (fix: a model module declares TITLE, ")


def test_a_price_parameter_outside_the_table_is_named_when_the_table_loads(write_model):
    path = write_model(MORE='PRICE_PARAMETER = "price_drug_b"')
    model = Model(path)
    with pytest.raises(InputError, match=r"PRICE_PARAMETER 'price_drug_b' is not a row of .*parameters.csv"):
        model.load_parameters()
    assert Model(write_model(MORE='PRICE_PARAMETER = "price_drug_a"')).parameters["price_drug_a"].value == 100


def test_a_user_s_own_models_package_does_not_hide_the_shipped_ones(tmp_path):
    """The shipped models live in ``hecon_models``: a folder holding a package named ``models``
    (a common name for one's own) runs them as well as anywhere."""
    import subprocess
    import sys

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("")
    (tmp_path / "models" / "ifn_gamma.py").write_text("raise ImportError('the user's own module')\n")
    done = subprocess.run([sys.executable, "-m", "hecon", "models"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ifn_gamma: IFN-γ 1b vs placebo" in done.stdout


def test_a_parameter_table_is_read_once_per_options_and_again_once_its_file_changes(tmp_path):
    """Scenarios and priors ask for the table many times: it is parsed once per options, and an
    edited parameters.csv is read again (by its modification time)."""
    import os
    import shutil

    inputs = Path(shutil.copytree(Model("example_sick").input_dir, tmp_path / "inputs"))
    model = Model("example_sick", inputs=inputs)
    first = model.load_parameters()
    assert model.load_parameters() is first and model.load_parameters(model.options()) is first
    table = inputs / "parameters.csv"
    table.write_text(table.read_text().replace("Yearly cost while sick", "Yearly cost when sick"))
    os.utime(table, ns=(table.stat().st_atime_ns, table.stat().st_mtime_ns + 1_000_000))
    again = model.load_parameters()
    assert again is not first and again.labels["cost_sick"] == "Yearly cost when sick"

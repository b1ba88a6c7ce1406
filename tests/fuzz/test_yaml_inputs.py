"""Fuzz: malformed scenario and decision-tree YAML.

Scenarios go through the command line: ``hecon scenarios MODEL`` reads every ``*.yaml`` in
the model's ``inputs/<model>/scenarios/`` (it takes no path), so the tests run it on a copy of
the ``example_sick`` model file and its inputs in a temporary folder (loaded by its path), the
scenarios folder holding the hostile file. Each must end in one ``error:`` line, exit 2, nothing written, the inputs
unchanged. No command reads a tree file, so trees go through ``hecon.model.tree.load_tree``, which
must raise one one-line :class:`InputError` naming the file.

The billion-laughs file runs in a subprocess with 1 GiB of address space and a timeout, so
that a regression fails the test instead of taking the machine down.
"""

import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.model import Model
from hecon.model.files import IDENTIFIER, YAML_MAX_BYTES
from hecon.model.tree import Decision, load_tree
from tests.fuzz.conftest import refused

SHIPPED = Model("example_sick")
VALID = {"name": "no_effect", "description": "Drug B does nothing",
         "parameters": {"rr_relapse_drug_b": 0.8}, "options": {"discount_rate": 0.0}}
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)
NOT_NUMBERS = st.one_of(TEXT, st.booleans(), st.none(), st.lists(st.integers(), max_size=2),
                        st.sampled_from([".inf", "-.inf", ".nan", "1_0", "0x10", "١"]))
BAD_NAMES = st.one_of(
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(["=", "+", "-", "@", "\t", "\r", " 1"]),
              st.from_regex(r"[a-z_]{1,8}", fullmatch=True)),
    TEXT.filter(lambda t: not IDENTIFIER.fullmatch(t)),
)
BILLION_LAUGHS = "name: laughs\n" + "".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)])


@pytest.fixture
def scenarios(tmp_path) -> Path:
    """An empty scenarios folder in a copy of the example_sick model and inputs, which the CLI then reads."""
    return copy_model(tmp_path).parent / "inputs" / "example_sick" / "scenarios"


def copy_model(folder: Path) -> Path:
    """A copy of the example_sick model file in ``folder``, its inputs beside it without scenarios."""
    shutil.copytree(SHIPPED.input_dir, folder / "inputs" / "example_sick", ignore=shutil.ignore_patterns("*.yaml"))
    return Path(shutil.copy(SHIPPED.module.__file__, folder / "example_sick.py"))


def refused_scenario(folder: Path, text: str | bytes, contains: str | None = None, name="hostile.yaml") -> str:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    model = folder.parents[2] / "example_sick.py"
    line = refused(["scenarios", str(model), "--out", Path.cwd() / "out"], watch=[folder.parent],
                   contains=contains)
    assert str(path) in line or name in line, line
    return line


def dumped(content) -> str:
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False)


@st.composite
def malformed_scenarios(draw) -> str:
    """A scenario with one mistake of type, name or value."""
    content = {key: (dict(value) if isinstance(value, dict) else value) for key, value in VALID.items()}
    mistake = draw(st.sampled_from(["option_type", "horizon_type", "correction_type", "unknown_option",
                                    "parameter_type", "unknown_parameter", "distribution_type",
                                    "impossible_distribution", "probability", "name", "top_level",
                                    "description_type", "cell"]))
    if mistake == "option_type":
        content["options"]["discount_rate"] = draw(NOT_NUMBERS)
    elif mistake == "horizon_type":
        content["options"]["horizon_years"] = draw(st.one_of(NOT_NUMBERS, st.floats(0.5, 99.5).filter(lambda x: x % 1)))
    elif mistake == "correction_type":
        content["options"]["correction"] = draw(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans()))
    elif mistake == "unknown_option":
        content["options"][draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(
            lambda k: k not in ("discount_rate", "horizon_years", "correction")))] = 1
    elif mistake == "parameter_type":
        content["parameters"]["rr_relapse_drug_b"] = draw(NOT_NUMBERS.filter(lambda v: not isinstance(v, dict)))
    elif mistake == "unknown_parameter":
        content["parameters"][draw(TEXT.filter(lambda k: k not in ("rr_relapse_drug_a", "rr_relapse_drug_b")))] = 1.0
    elif mistake == "distribution_type":
        content["parameters"]["rr_relapse_drug_b"] = {"distribution": draw(st.one_of(st.integers(), TEXT.filter(
            lambda t: t not in ("lognormal", "fixed", "normal", "gamma", "uniform", "triangular", "pert",
                                "beta", "truncnormal", "dirichlet"))))}
    elif mistake == "impossible_distribution":
        low = draw(st.floats(0.1, 10))
        content["parameters"]["rr_relapse_drug_b"] = {"value": 0.5, "distribution": "lognormal",
                                                      "ci_low": low * 2, "ci_high": low}
    elif mistake == "probability":
        content["parameters"]["p_response_standard"] = draw(st.floats(1.0001, 1e300))
    elif mistake == "name":
        content["name"] = draw(BAD_NAMES)
    elif mistake == "top_level":
        content[draw(st.from_regex(r"[a-z]{1,10}", fullmatch=True).filter(lambda k: k not in VALID))] = 1
    elif mistake == "description_type":
        content["description"] = draw(st.one_of(st.integers(), st.lists(TEXT, min_size=1, max_size=2)))
    else:
        content["parameters"]["rr_relapse_drug_b"] = {draw(st.sampled_from(["se", "ci_low", "alpha", "value"])):
                                                      draw(NOT_NUMBERS)}
    return dumped(content)


def test_the_scenario_the_fuzzer_corrupts_is_valid(workdir, scenarios):
    from typer.testing import CliRunner

    from hecon.cli import app

    (scenarios / "valid.yaml").write_text(dumped(VALID), encoding="utf-8")
    result = CliRunner().invoke(app, ["scenarios", "example_sick", "--out", str(workdir / "out"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (workdir / "out" / "scenarios.csv").exists()


@given(malformed_scenarios())
def test_malformed_scenarios_are_refused(workdir, scenarios, text):
    refused_scenario(scenarios, text)


@given(st.sampled_from(["a: &x 1\nb: *x\n", "name: x\nname: y\n", "[1, 2]\n", "just text\n", "",
                        "name: x\noptions: [discount_rate]\n", "name: x\nparameters: 3\n",
                        "name: x\n  bad: indentation\n", "name: x\n---\nname: y\n"]),
       st.sampled_from(["", "# comment\n"]))
def test_malformed_yaml_structure_is_refused(workdir, scenarios, text, prefix):
    refused_scenario(scenarios, prefix + text)


# ---------------------------------------------------------------- the hand-written hostile files

HOSTILE = {
    "small_laughs": ("name: laughs\na: &a [lol, lol, lol]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n",
                     "anchors and aliases"),
    "deep_nesting": ("name: deep\nparameters: " + "[" * 20_000 + "]" * 20_000 + "\n",
                     "nested more than 50 levels deep"),
    "duplicate_key": ("name: twice\noptions:\n  discount_rate: 0.0\n  discount_rate: 0.05\n",
                      "duplicate key 'discount_rate' (first on line 3)"),
    "discount_rate_high": ("name: high\noptions: {discount_rate: high}\n",
                           "option 'discount_rate' must be a number, not 'high' (a text)"),
    "horizon_text": ("name: h\noptions: {horizon_years: forty}\n", "option 'horizon_years' must be a whole number"),
    "underscore_number": ("name: u\nparameters: {rr_relapse_drug_b: 1_0}\n", "must be a number, not '1_0'"),
    "huge_integer": ("name: h\nparameters: {cost_sick: " + "9" * 400 + "}\n", "beyond the floating-point range"),
    "infinity": ("name: i\nparameters: {cost_sick: .inf}\n", "must be a number, not '.inf'"),
    "formula_name": ("name: '=HYPERLINK(\"http://evil\")'\n", "scenario name '=HYPERLINK"),
    "plus_name": ("name: '+cmd'\n", "scenario name '+cmd' is not an identifier"),
    "probability_above_one": ("name: p\nparameters: {p_response_standard: 1.5}\n", "p_response_standard"),
    "python_tag": ("name: x\noptions: !!python/object/apply:os.system ['echo hacked']\n", "not valid YAML"),
    "control_character": ("name: x\ndescription: \"a\x07b\"\n", "is not allowed"),
    "size": ("name: big\n#" + "x" * YAML_MAX_BYTES + "\n", "larger than 1 MiB"),
    "non_utf8": ("name: caf\xe9\n".encode("latin-1"), "not a UTF-8 text file"),
    "line_break_in_an_option": ('name: x\noptions: {"a\\nb": 1}\n', "option 'a\\nb' is not an identifier"),
    "line_break_in_a_parameter": ('name: x\nparameters: {"a\\rb": 1}\n', "unknown parameter 'a\\rb'"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hand_written_hostile_scenarios(workdir, scenarios, case):
    text, expected = HOSTILE[case]
    refused_scenario(scenarios, text, expected)


def test_two_files_with_one_scenario_name(workdir, scenarios):
    (scenarios / "a.yaml").write_text(dumped(VALID), encoding="utf-8")
    line = refused_scenario(scenarios, dumped(VALID), "is also the name in", name="b.yaml")
    assert "a.yaml" in line and "b.yaml" in line


def test_billion_laughs_through_the_command_line_in_bounded_memory(tmp_path):
    model = copy_model(tmp_path)
    (tmp_path / "inputs" / "example_sick" / "scenarios" / "laughs.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    code = "import sys\nfrom hecon.cli import app\napp(['scenarios', sys.argv[1], '--out', sys.argv[2]])\n"

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    child = subprocess.run([sys.executable, "-c", code, str(model), str(tmp_path / "out")], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert child.returncode == 2, child.stderr[-2000:]
    assert child.stderr.count("\n") == 1 and "anchors and aliases" in child.stderr, child.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- decision trees

TREE = {"decision": "policy", "options": {
    "screen": {"chance": "test", "branches": {
        "positive": {"probability": "p_positive", "payoffs": {"cost": "cost_test"},
                     "terminal": {"state": "ill", "payoffs": {"qaly": 0.5}}},
        "negative": {"probability": "complement", "terminal": {"state": "well", "payoffs": {"qaly": 0.95}}}}},
    "no_screen": {"terminal": {"name": "untested", "state": "well", "payoffs": {"qaly": 0.93}}}}}


def tree_refused(tmp_path, text: str | bytes, contains: str | None = None) -> InputError:
    path = tmp_path / "tree.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(InputError) as caught:
        load_tree(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message and "\r" not in message, message
    assert contains is None or contains in message, message
    return caught.value


@st.composite
def malformed_trees(draw) -> str:
    """The example tree with one mistake: a name, a reference, a probability, a key or a type."""
    tree = yaml.safe_load(yaml.safe_dump(TREE))
    screen = tree["options"]["screen"]
    positive = screen["branches"]["positive"]
    mistake = draw(st.sampled_from(["strategy", "branch", "chance", "state", "payoff_name", "reference",
                                    "probability", "probability_type", "unknown_key", "missing_key",
                                    "decision_type", "no_options"]))
    if mistake == "strategy":
        tree["options"][draw(BAD_NAMES)] = {"terminal": {"name": "x"}}
    elif mistake == "branch":
        screen["branches"][draw(BAD_NAMES)] = screen["branches"].pop("negative")
    elif mistake == "chance":
        screen["chance"] = draw(BAD_NAMES)
    elif mistake == "state":
        positive["terminal"]["state"] = draw(BAD_NAMES)
    elif mistake == "payoff_name":
        positive["payoffs"] = {draw(BAD_NAMES): 1.0}
    elif mistake == "reference":
        positive["probability"] = draw(BAD_NAMES.filter(lambda t: t.strip() and t != "complement"
                                                        and not t.startswith("fn:")))
    elif mistake == "probability":
        positive["probability"] = draw(st.one_of(st.floats(1.0001, 1e300), st.floats(-1e300, -1e-9)))
    elif mistake == "probability_type":
        positive["probability"] = draw(st.one_of(st.booleans(), st.none(), st.lists(st.integers(), max_size=2)))
    elif mistake == "unknown_key":
        positive[draw(st.from_regex(r"[a-z]{1,10}", fullmatch=True).filter(
            lambda k: k not in ("probability", "payoffs", "terminal", "chance", "branches")))] = 1
    elif mistake == "missing_key":
        del positive["probability"]
    elif mistake == "decision_type":
        tree["decision"] = draw(st.one_of(st.integers(), st.lists(TEXT, min_size=1, max_size=2)))
    else:
        tree["options"] = {}
    return dumped(tree)


def test_the_tree_the_fuzzer_corrupts_is_valid(tmp_path):
    path = tmp_path / "tree.yaml"
    path.write_text(dumped(TREE), encoding="utf-8")
    assert list(load_tree(path).options) == ["screen", "no_screen"]


@given(malformed_trees())
def test_malformed_trees_are_refused(tmp_path_factory, text):
    tree_refused(tmp_path_factory.mktemp("tree"), text)


@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=12))
def test_any_yaml_document_is_a_tree_or_a_clear_refusal(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("tree") / "tree.yaml"
    path.write_text(dumped(content), encoding="utf-8")
    try:
        assert isinstance(load_tree(path), Decision)
    except InputError as error:
        assert "\n" not in str(error) and str(error).startswith(str(path))


HOSTILE_TREES = {
    "laughs": ("decision: &d policy\noptions: {a: {terminal: {name: *d}}}\n", "anchors and aliases"),
    "deep": ("decision: policy\noptions: " + "{a: " * 20_000 + "1" + "}" * 20_000 + "\n", "nested more than 50"),
    "duplicate_strategy": ("decision: policy\noptions:\n  a: {terminal: {}}\n  a: {terminal: {}}\n",
                           "duplicate key 'a' (first on line 3)"),
    "huge_payoff": ("decision: policy\noptions:\n  a: {terminal: {payoffs: {cost: 1e400}}}\n",
                    "beyond the floating-point range"),
    "formula_strategy": ("decision: policy\noptions:\n  '=cmd': {terminal: {}}\n", "strategy '=cmd' is not an identifier"),
    "non_utf8": (b"decision: caf\xe9\n", "not a UTF-8 text file"),
    "line_break_in_a_key": ('decision: policy\noptions:\n  "a\\nb": {terminal: {}}\n', "column 'options.a\\nb'"),
    "line_break_top_level": ('"x\\ry": 1\n', "unknown key 'x\\ry'"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TREES))
def test_hand_written_hostile_trees(tmp_path, case):
    text, expected = HOSTILE_TREES[case]
    tree_refused(tmp_path, text if isinstance(text, bytes) else textwrap.dedent(text), expected)

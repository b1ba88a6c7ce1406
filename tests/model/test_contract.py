"""What a model declares, checked when it loads (hecon.model.check_declarations).

Throw-away model modules are written to a temporary folder that is added to the ``models``
package's path, so they are loaded by the real loader, ``Model(name)``, like a shipped model.
"""

import itertools
import sys

import pytest

import models
from hecon.errors import InputError
from hecon.model import Model, available_models

VALID = {
    "STRATEGIES": '("standard_care", "drug_a")',
    "COMPARATOR": '"standard_care"',
    "EFFECTS": '(Effect("qalys_disc", "QALY gained"),)',
    "OPTIONS": "discount_rate: float = 0.035",
    "STATES": '("healthy", "sick", "dead")',
}
TEMPLATE = '''
from dataclasses import dataclass
from hecon.model import Effect

TITLE = "A throw-away model"
STRATEGIES = {STRATEGIES}
COMPARATOR = {COMPARATOR}
EFFECTS = {EFFECTS}
STATES = {STATES}


@dataclass(frozen=True)
class Options:
    {OPTIONS}


def evaluate(params, options):
    raise NotImplementedError
'''
NAMES = itertools.count()


@pytest.fixture
def write_model(tmp_path, monkeypatch):
    """Write a model module with some declarations changed; return its name and file."""
    monkeypatch.setattr(models, "__path__", [*models.__path__, str(tmp_path)])
    written = []

    def write(**changes):
        name = f"scratch_model_{next(NAMES)}"
        path = tmp_path / f"{name}.py"
        path.write_text(TEMPLATE.format(**{**VALID, **changes}), encoding="utf-8")
        written.append(name)
        return name, path

    yield write
    for name in written:
        sys.modules.pop(f"models.{name}", None)


def refusal(name: str) -> str:
    with pytest.raises(InputError) as caught:
        Model(name)
    line = str(caught.value)
    assert len(line.splitlines()) == 1, line
    return line


@pytest.mark.parametrize("name", available_models())
def test_every_shipped_model_declares_identifiers(name):
    model = Model(name)
    assert model.comparator in model.strategies and len(set(model.strategies)) == len(model.strategies) >= 2


def test_a_well_declared_model_loads(write_model):
    name, _ = write_model(EFFECTS='(Effect("qalys_disc", "=QALY gained, <b>free text</b>"),)')
    model = Model(name)
    assert model.strategies == ("standard_care", "drug_a") and model.effects[0].label.startswith("=")


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
    ("EFFECTS", '(Effect("qalys disc", "QALY gained"),)', "qalys disc"),
    ("EFFECTS", '(Effect("<script>", "QALY gained"),)', "<script>"),
    ("STATES", '("healthy", "dead (ICU)")', "dead (ICU)"),
])
def test_a_declared_name_that_is_not_an_identifier_is_refused_on_one_line(write_model, attribute, declaration,
                                                                          bad):
    name, path = write_model(**{attribute: declaration})
    line = refusal(name)
    where = {"STRATEGIES": "STRATEGIES:", "EFFECTS": "EFFECTS: outcome", "STATES": "STATES:"}[attribute]
    assert line.startswith(f"{path}: {where} {bad!r} is not an identifier"), line
    assert "(fix: rename it" in line


def test_an_option_named_outside_ascii_is_refused(write_model):
    name, path = write_model(OPTIONS="taux_d_actualisation_é: float = 0.04")
    line = refusal(name)
    assert line.startswith(f"{path}: Options: field 'taux_d_actualisation_é' is not an identifier"), line


def test_the_fix_suggests_the_identifier_it_could_be(write_model):
    name, _ = write_model(STRATEGIES='("standard_care", "drug-a (new)")')
    assert "(fix: rename it 'drug_a_new'; a strategy is a name, not a description)" in refusal(name)


@pytest.mark.parametrize(("changes", "message"), [
    ({"STRATEGIES": '("standard_care", "drug_a", "standard_care")'}, "STRATEGIES: 'standard_care' is declared twice"),
    ({"COMPARATOR": '"placebo"'}, "COMPARATOR: 'placebo' is not one of the STRATEGIES (standard_care, drug_a)"),
    ({"COMPARATOR": '"=1+1"'}, "COMPARATOR: '=1+1' is not one of the STRATEGIES"),
    ({"STRATEGIES": '("standard_care",)'}, "STRATEGIES declares 1: a decision compares at least two strategies"),
    ({"STRATEGIES": '"standard_care"'}, "STRATEGIES is a str, not a tuple of strategy names"),
    ({"EFFECTS": "()"}, "EFFECTS is not a non-empty tuple of Effect"),
    ({"EFFECTS": '("qalys_disc",)'}, "EFFECTS is not a non-empty tuple of Effect"),
])
def test_strategies_unique_comparator_among_them_and_a_main_effect(write_model, changes, message):
    name, path = write_model(**changes)
    assert refusal(name).startswith(f"{path}: {message}")


def test_a_missing_declaration_is_named(write_model):
    name, path = write_model(STATES='("healthy", "dead")\ndel TITLE')
    assert refusal(name).startswith(f"{path}: the model declares no TITLE (fix: a model module declares TITLE, ")

"""The model protocol and the loader that finds models by name.

A model is a module in the ``models`` package (``models/<name>.py``) with its inputs in
``inputs/<name>/``. It declares:

``TITLE``
    One line saying what decision the model informs.
``STRATEGIES``
    Strategy names; the second axis of every outcome array.
``COMPARATOR``
    The reference strategy (increments are ``strategy − comparator``).
``EFFECTS``
    The effect measures ICERs are reported against, a tuple of :class:`Effect`; the first
    is the main one (QALYs, usually), used for net benefit, CEACs and value of information.
``Options``
    A frozen dataclass of the model's options (discounting, horizon, perspective…), every
    field with a default.
``evaluate(params, options) -> Outcomes``
    The model itself: a pure, vectorised function of a :class:`~hecon.model.parameters.ParameterSets`.

and optionally ``load_parameters(options) -> ParameterTable`` (default: read
``inputs/<name>/parameters.csv``), ``input_files(options) -> {role: path}`` (default: the
parameter table), whose hashes go into every manifest, ``validation(table, options) ->
DataFrame`` (TECH-VER checks: ``check, kind, model, target, low, high, passed, source``) and
``STATES`` (the health states, for the report's diagram).

Every name a model declares (strategies, effect outcomes, option fields, states) is an
identifier: letters, digits and underscores, not starting with a digit. These names become
column headers, CSV cells and workbook cells; free text belongs in a label (``Effect.label``).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

from hecon.errors import InputError
from hecon.model.files import check_identifier, check_types, shown
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterSets, ParameterTable

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INPUTS = PROJECT_ROOT / "inputs"
#: what every model module declares
REQUIRED = ("TITLE", "STRATEGIES", "COMPARATOR", "EFFECTS", "Options", "evaluate")


@dataclass(frozen=True)
class Effect:
    """An effect measure for ICERs and net benefit.

    ``outcome`` names a consequence; when ``higher_is_better`` is false (infection episodes,
    deaths) the effect is the number avoided, so that every ICER reads "cost per unit gained".
    """

    outcome: str
    label: str
    higher_is_better: bool = True

    def of(self, outcomes: Outcomes):
        """The effect as "more is better": the outcome, or its negative."""
        value = outcomes[self.outcome]
        return value if self.higher_is_better else -value


def check_declarations(module: ModuleType) -> None:
    """Check what a model module declares, when it loads: every required attribute present,
    every declared name an identifier, at least two unique strategies, the comparator one of
    them, and a main effect."""
    file = getattr(module, "__file__", None) or module.__name__
    missing = [attribute for attribute in REQUIRED if not hasattr(module, attribute)]
    if missing:
        raise InputError(f"the model declares no {', '.join(missing)}", file=file,
                         fix=f"a model module declares {', '.join(REQUIRED)}")
    _check_strategies(module.STRATEGIES, module.COMPARATOR, file)
    effects = module.EFFECTS
    if not isinstance(effects, tuple | list) or not effects or not all(isinstance(e, Effect) for e in effects):
        raise InputError("EFFECTS is not a non-empty tuple of Effect (the first is the main effect)",
                         file=file, fix='declare e.g. EFFECTS = (Effect("qalys_disc", "QALY gained"),)')
    for effect in effects:
        check_identifier(effect.outcome, "EFFECTS: outcome", file=file,
                         fix="a free-text name goes in the Effect's label")
    if not dataclasses.is_dataclass(module.Options):
        raise InputError("Options is not a dataclass", file=file,
                         fix="declare @dataclass(frozen=True) class Options, with a default for every field")
    for field in dataclasses.fields(module.Options):
        check_identifier(field.name, "Options: field", file=file, fix="an option is named like a variable")
    for state in getattr(module, "STATES", ()):
        check_identifier(state, "STATES:", file=file, fix="a state is a name, not a description")


def _check_strategies(strategies: object, comparator: object, file: str) -> None:
    """At least two strategies, each an identifier and declared once; the comparator one of them."""
    example = 'declare e.g. STRATEGIES = ("standard_care", "new_drug")'
    if not isinstance(strategies, tuple | list):
        raise InputError(f"STRATEGIES is a {type(strategies).__name__}, not a tuple of strategy names",
                         file=file, fix=example)
    if len(strategies) < 2:
        raise InputError(f"STRATEGIES declares {len(strategies)}: a decision compares at least two strategies",
                         file=file, fix=example)
    for name in strategies:
        check_identifier(name, "STRATEGIES:", file=file, fix="a strategy is a name, not a description")
    repeated = next((name for i, name in enumerate(strategies) if name in strategies[:i]), None)
    if repeated is not None:
        raise InputError(f"STRATEGIES: '{repeated}' is declared twice", file=file,
                         fix="give each strategy its own name")
    if comparator not in strategies:
        raise InputError(f"COMPARATOR: {shown(comparator)} is not one of the STRATEGIES ({', '.join(strategies)})",
                         file=file, fix="name one of the strategies")


def available_models() -> list[str]:
    """Names of the models in the ``models`` package."""
    import models

    return sorted(m.name for m in pkgutil.iter_modules(models.__path__) if not m.name.startswith("_"))


class Model:
    """A loaded model: its module, inputs and options, and a chunked ``evaluate``."""

    def __init__(self, name: str) -> None:
        known = available_models()
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else f"known models: {', '.join(known)}"
            raise InputError(f"unknown model '{name}'", fix=hint)
        self.name = name
        self.module: ModuleType = importlib.import_module(f"models.{name}")
        check_declarations(self.module)

    @property
    def title(self) -> str:
        return self.module.TITLE

    @property
    def strategies(self) -> tuple[str, ...]:
        return tuple(self.module.STRATEGIES)

    @property
    def comparator(self) -> str:
        return self.module.COMPARATOR

    @property
    def effects(self) -> tuple[Effect, ...]:
        return tuple(self.module.EFFECTS)

    @property
    def input_dir(self) -> Path:
        return INPUTS / self.name

    def options(self, overrides: Mapping[str, Any] | None = None, *, source: str | None = None):
        """The model's options with named overrides; an unknown name is an InputError."""
        defaults = self.module.Options()
        overrides = dict(overrides or {})
        fields = {f.name: f for f in dataclasses.fields(defaults)}
        for key in overrides:
            if key not in fields:
                close = difflib.get_close_matches(key, fields, n=3)
                raise InputError(
                    f"unknown option '{key}' for model {self.name}", file=source,
                    fix=(f"did you mean {', '.join(close)}?" if close
                         else f"options are: {', '.join(fields)}"),
                )
        overrides = check_types(type(defaults), overrides, file=source)
        try:
            return dataclasses.replace(defaults, **overrides)
        except (TypeError, ValueError) as error:
            raise InputError(str(error), file=source) from None

    def load_parameters(self, options=None) -> ParameterTable:
        """The model's parameter table (for its options: a model may convert prices)."""
        options = self.options() if options is None else options
        loader = getattr(self.module, "load_parameters", None)
        if loader is not None:
            return loader(options)
        return ParameterTable.load(self.input_dir / "parameters.csv")

    def input_files(self, options=None) -> dict[str, Path]:
        """Input files whose SHA-256 goes into the manifest."""
        options = self.options() if options is None else options
        files = getattr(self.module, "input_files", None)
        if files is not None:
            return dict(files(options))
        return {"parameters": self.input_dir / "parameters.csv"}

    def validation(self, table: ParameterTable | None = None, options=None):
        """The model's verification and validation checks of its base case, or None."""
        checks = getattr(self.module, "validation", None)
        if checks is None:
            return None
        options = self.options() if options is None else options
        return checks(self.load_parameters(options) if table is None else table, options)

    @cached_property
    def parameters(self) -> ParameterTable:
        """The parameter table for the default options."""
        return self.load_parameters()

    def evaluate(self, params: ParameterSets, options=None, *, chunk_size: int | None = None,
                 progress=None) -> Outcomes:
        """Evaluate the model on a batch, in chunks of ``chunk_size`` sets to bound memory.

        The result does not depend on the chunk size: parameter sets are independent rows.
        ``progress`` is an optional callable receiving the number of sets done after each chunk.
        """
        options = self.options() if options is None else options
        if chunk_size is None or chunk_size >= params.n:
            outcomes = self.module.evaluate(params, options)
            if progress is not None:
                progress(params.n)
            return outcomes
        parts = []
        for chunk in params.chunks(chunk_size):
            parts.append(self.module.evaluate(chunk, options))
            if progress is not None:
                progress(chunk.n)
        return Outcomes.concat(parts)

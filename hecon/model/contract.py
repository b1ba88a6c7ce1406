"""The model contract — what a model module declares — and the loader that finds a model.

Where a model comes from
------------------------
``Model(source, inputs=None)`` loads:

- a **name** (``"ifn_gamma"``): a module registered in the entry-point group ``hecon.models``
  by an installed package (``[project.entry-points."hecon.models"] my_model =
  "my_package.my_model"``). hecon's own models are registered the same way, in its
  ``pyproject.toml``; the loader knows no model by heart;
- a **path** to a ``.py`` file (``"work/my_model.py"``, anything ending in ``.py`` or holding a
  ``/``): the file is loaded as a module; the model's name is the file's stem.

Its inputs (``parameters.csv``, ``scenarios/*.yaml``, validation targets, data files) are in
``<folder of the module's file>/inputs/<name>/`` — for the shipped models
``hecon_models/inputs/<name>/`` — or in the folder ``inputs`` names (``--inputs DIR``).

What a model declares
---------------------
Required:

``TITLE: str``
    One line saying what decision the model informs.
``STRATEGIES: tuple[str, ...]``
    Strategy names (identifiers, at least two, each once); the second axis of every outcome array.
``COMPARATOR: str``
    The reference strategy, one of ``STRATEGIES`` (increments are ``strategy − comparator``).
``EFFECTS: tuple[Effect, ...]``
    The effect measures ICERs are reported against, each with a label and a unit; the first
    is the main one (QALYs, usually), used for net benefit, CEACs and value of information.
``Options``
    A frozen dataclass of the model's options (discounting, horizon, perspective…), every
    field an identifier with a default. A field ``input_dir: str`` is not an option: the loader
    sets it to the run's inputs folder (:attr:`Model.input_dir`), so that ``evaluate`` and
    ``validation`` read their data files (life tables, validation targets) from the folder the
    run was given (``--inputs DIR``); a scenario cannot set it.
``evaluate(params, options) -> Outcomes``
    The model itself: a pure, vectorised function of a :class:`~hecon.model.parameters.ParameterSets`.

Optional (each read through a property of :class:`Model`, never by ``getattr``):

``STRATEGY_LABELS: Mapping[str, str]``
    Strategy → label shown in figures, reports and workbooks (default: the code name).
``STATES: tuple[str, ...]``, ``EDGES: tuple[tuple[str, str], ...]``, ``POSITIONS: Mapping[str, tuple[float, float]]``
    The health states, the allowed transitions between them and their (x, y) layout, for the
    report's state diagram (no diagram without STATES and EDGES; default layout: a circle).
``PRICE_PARAMETER: str``
    The parameter whose threshold (value-based) price ``hecon run`` computes.
``DECISION_PROBLEM: str``
    The decision problem in plain words, for the report (default: ``TITLE``).
``TRIAL_ENDPOINTS: Mapping[str, str]``
    Endpoint → the consequence of :func:`evaluate` that is, per strategy, the probability that a
    patient has it by the trial's horizon (``{"infection": "patients_infected"}``): the binary
    endpoints a trial with one arm per strategy observes, for ``hecon evsi`` and
    ``hecon trial update`` (``docs/evsi.md``).
``load_parameters(options, input_dir, table_file) -> ParameterTable``
    Default: read ``table_file`` (``input_dir/parameters.csv``, or ``--parameters FILE``). A
    model that converts prices or reads more files.
``input_files(options, input_dir) -> {role: path}``
    Every file the model reads, each from ``input_dir``; their SHA-256 goes into every manifest
    (default: the parameter table).
``validation(table, options) -> DataFrame``
    Verification and validation checks of the base case (TECH-VER), columns ``check, kind,
    model, target, low, high, passed, source``. External targets are an input file,
    ``validation_targets.csv`` (columns ``check, target, low, high, unit, source, notes``, read
    by :func:`hecon.model.validation.read_validation_targets`), listed by ``input_files``.
A companion module ``_<module>_trial.py`` beside the model's file
    Its trial mapping (``hecon trial … --model NAME``): :attr:`Model.trial` (None without one).

Every name a model declares (strategies, effect outcomes, option fields, states) is an
identifier: letters, digits and underscores, not starting with a digit. These names become
column headers, CSV cells and workbook cells; free text belongs in a label.
Everything is checked when the model loads; a mistake is one :class:`~hecon.errors.InputError`
naming the file, the attribute and the fix. ``docs/models.md`` says the same, with examples.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import importlib.util
import inspect
import sys
import traceback
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from hecon.errors import InputError
from hecon.model.files import check_identifier, check_types, shown
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterSets, ParameterTable

#: the entry-point group that registers models by name
ENTRY_POINT_GROUP = "hecon.models"
#: what every model module declares
REQUIRED = ("TITLE", "STRATEGIES", "COMPARATOR", "EFFECTS", "Options", "evaluate")
#: the field of ``Options`` the loader sets to the run's inputs folder (not an option)
INPUTS_FIELD = "input_dir"
#: optional functions of a model module, with the arguments they are called with
FUNCTIONS = {"evaluate": ("params", "options"), "load_parameters": ("options", "input_dir", "table_file"),
             "input_files": ("options", "input_dir"), "validation": ("table", "options")}


@dataclass(frozen=True)
class Effect:
    """An effect measure for ICERs and net benefit.

    ``outcome`` names a consequence of :func:`evaluate`; ``label`` is how a reader sees the
    effect ("QALY gained") and ``unit`` what one of it is ("QALY"), used on axes and in
    "€ per <unit>". When ``higher_is_better`` is false (infection episodes, deaths) the effect
    is the number avoided, so that every ICER reads "cost per unit gained".
    """

    outcome: str
    label: str
    unit: str
    higher_is_better: bool = True

    def of(self, outcomes: Outcomes):
        """The effect as "more is better": the outcome, or its negative."""
        value = outcomes[self.outcome]
        return value if self.higher_is_better else -value


# ---------------------------------------------------------------- the checks

def check_declarations(module: ModuleType) -> None:
    """Check what a model module declares, when it loads: every required attribute present,
    every declared name an identifier, at least two unique strategies, the comparator one of
    them, effects with labels and units, options with defaults, the functions' arguments, and
    the optional attributes' types (see the module docstring)."""
    file = getattr(module, "__file__", None) or module.__name__
    missing = [attribute for attribute in REQUIRED if not hasattr(module, attribute)]
    if missing:
        raise InputError(f"the model declares no {', '.join(missing)}", file=file,
                         fix=f"a model module declares {', '.join(REQUIRED)} (see docs/models.md)")
    _check_text(module.TITLE, "TITLE", file)
    _check_strategies(module.STRATEGIES, module.COMPARATOR, file)
    _check_effects(module.EFFECTS, file)
    _check_options(module.Options, file)
    for name, arguments in FUNCTIONS.items():
        if hasattr(module, name):
            _check_function(getattr(module, name), name, arguments, file)
    _check_optional(module, file)


def _check_text(value: object, attribute: str, file: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{attribute} is {shown(value)}, not a line of text", file=file,
                         fix=f"declare {attribute} as a non-empty string")


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
    _check_unique(strategies, "STRATEGIES", file)
    if comparator not in strategies:
        raise InputError(f"COMPARATOR: {shown(comparator)} is not one of the STRATEGIES ({', '.join(strategies)})",
                         file=file, fix="name one of the strategies")


def _check_unique(names, attribute: str, file: str) -> None:
    repeated = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if repeated is not None:
        raise InputError(f"{attribute}: {shown(repeated)} is declared twice", file=file,
                         fix="give each its own name")


def _check_effects(effects: object, file: str) -> None:
    """A non-empty tuple of Effect, outcomes identifiers declared once, labels and units text."""
    if not isinstance(effects, tuple | list) or not effects or not all(isinstance(e, Effect) for e in effects):
        raise InputError("EFFECTS is not a non-empty tuple of Effect (the first is the main effect)",
                         file=file, fix='declare e.g. EFFECTS = (Effect("qalys_disc", "QALY gained", "QALY"),)')
    for effect in effects:
        check_identifier(effect.outcome, "EFFECTS: outcome", file=file,
                         fix="a free-text name goes in the Effect's label")
        for field in ("label", "unit"):
            _check_text(getattr(effect, field), f"EFFECTS: the {field} of {effect.outcome!r}", file)
        if not isinstance(effect.higher_is_better, bool):
            raise InputError(f"EFFECTS: higher_is_better of {effect.outcome!r} is {shown(effect.higher_is_better)}",
                             file=file, fix="write True (QALYs) or False (deaths, infections)")
    _check_unique([e.outcome for e in effects], "EFFECTS", file)


def _check_options(options: object, file: str) -> None:
    """A dataclass whose every field is an identifier with a default."""
    if not (isinstance(options, type) and dataclasses.is_dataclass(options)):
        raise InputError("Options is not a dataclass", file=file,
                         fix="declare @dataclass(frozen=True) class Options, with a default for every field")
    for field in dataclasses.fields(options):
        check_identifier(field.name, "Options: field", file=file, fix="an option is named like a variable")
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise InputError(f"Options: field {field.name!r} has no default", file=file,
                             fix="give every option a default (the base case)")
    declared = {field.name for field in dataclasses.fields(options)}
    if INPUTS_FIELD in declared and typing.get_type_hints(options)[INPUTS_FIELD] is not str:
        raise InputError(f"Options: field {INPUTS_FIELD!r} is not declared a str", file=file,
                         fix=f"declare {INPUTS_FIELD}: str = str(<the model's inputs folder>); the loader sets it")


def _check_function(function: object, name: str, arguments: tuple[str, ...], file: str) -> None:
    """A callable that accepts the loader's positional arguments."""
    wanted = f"{name}({', '.join(arguments)})"
    if not callable(function):
        raise InputError(f"{name} is not a function", file=file, fix=f"declare def {wanted}")
    try:
        inspect.signature(function).bind(*arguments)
    except TypeError:
        raise InputError(f"{name} does not take the arguments ({', '.join(arguments)})", file=file,
                         fix=f"declare def {wanted}") from None
    except ValueError:  # a builtin without a signature: trusted
        pass


def _check_optional(module: ModuleType, file: str) -> None:
    """Types and cross-references of the optional declarations."""
    strategies = tuple(module.STRATEGIES)
    labels = getattr(module, "STRATEGY_LABELS", {})
    if not isinstance(labels, Mapping):
        raise InputError("STRATEGY_LABELS is not a mapping", file=file,
                         fix='declare e.g. STRATEGY_LABELS = {"new_drug": "New drug"}')
    for strategy, label in labels.items():
        if strategy not in strategies:
            raise InputError(f"STRATEGY_LABELS: {shown(strategy)} is not one of the STRATEGIES", file=file,
                             fix="label the declared strategies")
        _check_text(label, f"STRATEGY_LABELS[{strategy!r}]", file)
    states = getattr(module, "STATES", ())
    if not isinstance(states, tuple | list):
        raise InputError(f"STATES is a {type(states).__name__}, not a tuple of state names", file=file,
                         fix='declare e.g. STATES = ("healthy", "sick", "dead")')
    for state in states:
        check_identifier(state, "STATES:", file=file, fix="a state is a name, not a description")
    _check_unique(states, "STATES", file)
    for source, target in _pairs(getattr(module, "EDGES", ()), file):
        for state in (source, target):
            if state not in states:
                raise InputError(f"EDGES: {shown(state)} is not one of the STATES", file=file,
                                 fix="an edge joins two declared states")
    _check_positions(getattr(module, "POSITIONS", {}), states, file)
    for attribute in ("PRICE_PARAMETER", "DECISION_PROBLEM"):
        if hasattr(module, attribute):
            _check_text(getattr(module, attribute), attribute, file)
    if hasattr(module, "PRICE_PARAMETER"):
        check_identifier(module.PRICE_PARAMETER, "PRICE_PARAMETER:", file=file, fix="name a parameter of the table")
    _check_trial_endpoints(getattr(module, "TRIAL_ENDPOINTS", {}), file)


def _check_trial_endpoints(endpoints: object, file: str) -> None:
    """A mapping of endpoint names to consequence names, both identifiers."""
    if not isinstance(endpoints, Mapping):
        raise InputError("TRIAL_ENDPOINTS is not a mapping of endpoint to outcome", file=file,
                         fix='declare e.g. TRIAL_ENDPOINTS = {"mortality": "day90_deaths"}')
    for endpoint, outcome in endpoints.items():
        check_identifier(endpoint, "TRIAL_ENDPOINTS:", file=file, fix="an endpoint is a name, not a description")
        check_identifier(outcome, f"TRIAL_ENDPOINTS[{endpoint!r}]:", file=file,
                         fix="name a consequence the model's evaluate returns")


def _pairs(edges: object, file: str) -> list[tuple[object, object]]:
    example = 'declare e.g. EDGES = (("healthy", "sick"), ("sick", "dead"))'
    if not isinstance(edges, tuple | list) or not all(isinstance(e, tuple | list) and len(e) == 2 for e in edges):
        raise InputError("EDGES is not a tuple of (from, to) state pairs", file=file, fix=example)
    return [tuple(edge) for edge in edges]


def _check_positions(positions: object, states, file: str) -> None:
    """Every declared state placed at an (x, y) of numbers, and nothing else."""
    example = 'declare e.g. POSITIONS = {"healthy": (0, 0), "sick": (1, 0), "dead": (0.5, 1)}'
    if not isinstance(positions, Mapping):
        raise InputError("POSITIONS is not a mapping of state to (x, y)", file=file, fix=example)
    if not positions:
        return
    if set(positions) != set(states):
        odd = sorted(map(str, set(positions) ^ set(states)))
        raise InputError(f"POSITIONS does not place exactly the STATES (differs on {', '.join(odd)})",
                         file=file, fix="give one (x, y) for each state")
    for state, xy in positions.items():
        if not (isinstance(xy, tuple | list) and len(xy) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in xy)):
            raise InputError(f"POSITIONS[{state!r}] is {shown(xy)}, not an (x, y) of numbers", file=file,
                             fix=example)


# ---------------------------------------------------------------- the loader

def registered_models() -> dict[str, list[metadata.EntryPoint]]:
    """Model name → the entry points of the group ``hecon.models`` that register it."""
    found: dict[str, list[metadata.EntryPoint]] = {}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.value not in (e.value for e in found.get(entry.name, [])):
            found.setdefault(entry.name, []).append(entry)
    return found


def available_models() -> list[str]:
    """Names of the registered models (entry-point group ``hecon.models``)."""
    return sorted(registered_models())


def is_model_file(source: str | Path) -> bool:
    """Whether ``source`` names a model file (a path) rather than a registered model."""
    text = str(source)
    return isinstance(source, Path) or text.endswith(".py") or "/" in text or "\\" in text


def _load_registered(name: str) -> ModuleType:
    """The module registered under ``name``; an unknown or doubly registered name is an InputError."""
    registered = registered_models()
    entries = registered.get(name)
    if not entries:
        known = sorted(registered)
        close = difflib.get_close_matches(name, known, n=3)
        if close:
            hint = f"did you mean {', '.join(close)}?"
        elif known:
            hint = f"known models: {', '.join(known)}; or give the path of a model file (my_model.py)"
        else:
            hint = ("no model is registered: install hecon (pip install -e .) or give the path of a "
                    "model file (my_model.py)")
        raise InputError(f"unknown model {shown(name)}", fix=hint)
    if len(entries) > 1:
        raise InputError(f"model {shown(name)} is registered twice ({', '.join(e.value for e in entries)})",
                         fix=f"uninstall one of the packages registering it in {ENTRY_POINT_GROUP}")
    try:
        module = entries[0].load()
    except Exception as error:  # an installed model that does not import
        raise _load_error(error, entries[0].value) from None
    if not isinstance(module, ModuleType):
        raise InputError(f"the entry point {entries[0].value!r} is not a module", file=entries[0].value,
                         fix=f'register a module: {name} = "package.module"')
    return module


def load_file(path: Path) -> ModuleType:
    """The module a ``.py`` file defines, executed afresh (an edited file is read again).

    It is registered in ``sys.modules`` as ``hecon_model_<stem>`` while and after it runs, as
    dataclasses need; a file that does not run is one InputError naming its line.
    """
    if path.suffix != ".py":
        raise InputError("a model file is a Python file ending in .py", file=path, fix="give the path of a .py file")
    if not path.is_file():
        what = "this is a folder, not a model file" if path.is_dir() else "no such model file"
        raise InputError(what, file=path, fix="give the path of a .py file, or a registered model's name")
    check_identifier(path.stem, "model file name", file=path, fix="the file's stem is the model's name")
    name = f"hecon_model_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the user's code: any mistake becomes one line
        sys.modules.pop(name, None)
        raise _load_error(error, path) from None
    return module


def _load_error(error: Exception, where: str | Path) -> InputError:
    """One line for a model module that does not run: the error and the line of the model's file."""
    row = error.lineno if isinstance(error, SyntaxError) else None
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == Path(where)]
    row = frames[-1].lineno if frames else row
    message = str(error.msg if isinstance(error, SyntaxError) else error)
    message = message if len(message) <= 200 else f"{message[:200]}…"
    return InputError(f"the model does not load: {type(error).__name__}: {message}", file=where,
                      row=row, fix="correct the module (run it with python to see the whole traceback)")


class Model:
    """A loaded model: its module, inputs and options, and a chunked ``evaluate``.

    ``Model("ifn_gamma")`` loads a registered model, ``Model("work/my_model.py")`` a model
    file; ``inputs`` replaces the inputs folder (default ``<folder of the module>/inputs/<name>/``)
    and ``parameters`` the parameter table (default ``<inputs>/parameters.csv``; ``--parameters``).
    """

    def __init__(self, source: str | Path, inputs: str | Path | None = None,
                 parameters: str | Path | None = None) -> None:
        if is_model_file(source):
            path = Path(source)
            self.module: ModuleType = load_file(path)
            self.name = path.stem
            self.source = str(path.resolve())
        else:
            self.module = _load_registered(str(source))
            self.name = self.source = str(source)
        check_declarations(self.module)
        self._inputs = None if inputs is None else _inputs_folder(Path(inputs))
        self._table_file = None if parameters is None else Path(parameters)
        self._tables: dict[tuple, ParameterTable] = {}  # read tables, by options and input files' state

    def __repr__(self) -> str:
        return f"Model({self.source!r})"

    # ------------------------------------------------------------ declarations

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
    def strategy_labels(self) -> dict[str, str]:
        """Strategy → its label (``STRATEGY_LABELS``; the code name where none is declared)."""
        labels = getattr(self.module, "STRATEGY_LABELS", {})
        return {s: labels.get(s, s) for s in self.strategies}

    @property
    def states(self) -> tuple[str, ...]:
        """The health states (``STATES``), or none."""
        return tuple(getattr(self.module, "STATES", ()))

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """The allowed transitions (``EDGES``), or none."""
        return tuple(tuple(edge) for edge in getattr(self.module, "EDGES", ()))

    @property
    def positions(self) -> dict[str, tuple[float, float]]:
        """Each state's (x, y) in the state diagram (``POSITIONS``), or empty."""
        return {state: tuple(xy) for state, xy in getattr(self.module, "POSITIONS", {}).items()}

    @property
    def price_parameter(self) -> str | None:
        """The parameter whose threshold price ``hecon run`` computes (``PRICE_PARAMETER``), or None."""
        return getattr(self.module, "PRICE_PARAMETER", None)

    @property
    def decision_problem(self) -> str:
        """The decision problem in plain words (``DECISION_PROBLEM``; default the title)."""
        return getattr(self.module, "DECISION_PROBLEM", self.title)

    @property
    def trial_endpoints(self) -> dict[str, str]:
        """Endpoint → the consequence a trial observes (``TRIAL_ENDPOINTS``), or empty."""
        return dict(getattr(self.module, "TRIAL_ENDPOINTS", {}))

    @property
    def input_dir(self) -> Path:
        """The inputs folder: ``inputs`` if given, else ``<folder of the module>/inputs/<name>/``."""
        if self._inputs is not None:
            return self._inputs
        return Path(self.module.__file__).parent / "inputs" / self.name

    @cached_property
    def trial(self) -> ModuleType | None:
        """The trial companion ``_<module>_trial.py`` beside the model's file, or None.

        In a package it is imported by name (as the model was), else loaded from its file.
        """
        file = Path(self.module.__file__)
        companion = file.with_name(f"_{file.stem}_trial.py")
        if not companion.is_file():
            return None
        package = self.module.__spec__.parent if self.module.__spec__ else ""
        return importlib.import_module(f"{package}.{companion.stem}") if package else load_file(companion)

    # ------------------------------------------------------------ inputs and options

    def options(self, overrides: Mapping[str, Any] | None = None, *, source: str | None = None):
        """The model's options with named overrides (an unknown name is an InputError), and
        the inputs folder in ``input_dir`` if the model's Options declares it."""
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
        if INPUTS_FIELD in overrides:
            raise InputError(f"'{INPUTS_FIELD}' is the inputs folder, not an option", file=source,
                             fix="give the folder with --inputs DIR (in Python, Model(..., inputs=DIR))")
        overrides = check_types(type(defaults), overrides, file=source)
        if INPUTS_FIELD in fields:
            overrides[INPUTS_FIELD] = str(self.input_dir)
        try:
            return dataclasses.replace(defaults, **overrides)
        except (TypeError, ValueError) as error:
            raise InputError(str(error), file=source) from None

    def load_parameters(self, options=None) -> ParameterTable:
        """The model's parameter table (for its options: a model may convert prices); it holds
        the ``PRICE_PARAMETER`` if one is declared. A table is read once per options and state of
        the model's input files (one edited since is read again): an analysis that asks for it
        per scenario or per prior does not parse the files each time."""
        options = self.options() if options is None else options
        key = (repr(options), *((str(path), path.stat().st_mtime_ns)
                                for path in Model.input_files(self, options).values() if path.is_file()))
        if key not in self._tables:
            self._tables[key] = self._read_parameters(options)
        return self._tables[key]

    def _read_parameters(self, options) -> ParameterTable:
        loader = getattr(self.module, "load_parameters", None)
        if loader is not None:
            table = loader(options, self.input_dir, self.table_file)
        else:
            path = self.table_file
            if not path.exists() and self._table_file is not None:
                raise InputError("file not found", file=path, fix="check the path given to --parameters")
            if not path.exists():
                raise InputError("no parameter table", file=path,
                                 fix=f"write the model's parameters.csv in {self.input_dir} "
                                     "(inputs/<name>/ beside the model file), or give --inputs DIR")
            table = ParameterTable.load(path)
        if self.price_parameter is not None and self.price_parameter not in table:
            raise InputError(f"PRICE_PARAMETER {shown(self.price_parameter)} is not a row of {table.path}",
                             file=self.module.__file__, fix="name a parameter of the table")
        return table

    @property
    def table_file(self) -> Path:
        """The parameter table read: ``--parameters FILE``, else ``<inputs>/parameters.csv``."""
        return self._table_file if self._table_file is not None else self.input_dir / "parameters.csv"

    def input_files(self, options=None) -> dict[str, Path]:
        """Input files whose SHA-256 goes into the manifest (the parameter table read among them)."""
        options = self.options() if options is None else options
        files = getattr(self.module, "input_files", None)
        found = {} if files is None else {role: Path(p) for role, p in files(options, self.input_dir).items()}
        return {**found, "parameters": self.table_file}

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

    # ------------------------------------------------------------ evaluation

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


def _inputs_folder(folder: Path) -> Path:
    """An inputs folder given by the user (``--inputs DIR``): it must be a folder."""
    if not folder.is_dir():
        raise InputError("no such inputs folder" if not folder.exists() else "not a folder", file=folder,
                         fix="give the folder holding the model's parameters.csv (and scenarios/)")
    return folder

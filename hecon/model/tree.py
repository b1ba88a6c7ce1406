"""Decision trees declared as data, rolled back over a batch of parameter sets.

A tree is a :class:`Decision` whose options (the strategies) are subtrees of :class:`Chance`
nodes and :class:`Terminal` nodes. Rolling back a chance node gives, for every parameter set,
the expected payoff

    E[node] = Σ_b p_b · (payoff_b + E[child_b]),

payoffs accruing along the path (branch payoffs, then the terminal's). A terminal may name the
Markov state its path enters, so that the tree hands a cohort model its initial state
distribution (the usual tree → Markov hybrid; Briggs, Claxton & Sculpher 2006, *Decision
Modelling for Health Economic Evaluation*, ch. 2–3). Probabilities and payoffs are
:data:`ParamRef`: a parameter name (looked up, never evaluated), a constant, or a function of
the parameter sets written in a model module.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hecon.errors import InputError, ModelError
from hecon.model.files import IDENTIFIER, check_identifier, read_yaml, shown

__all__ = [
    "COMPLEMENT",
    "Branch",
    "Chance",
    "Decision",
    "ParamRef",
    "Terminal",
    "TreeResult",
    "load_tree",
    "rollback",
]

ParamRef = str | float | Callable[[Mapping[str, np.ndarray]], np.ndarray]

#: The branch probability that makes its chance node sum to one (at most one per node).
COMPLEMENT = "complement"

#: Tolerance on the sum of a chance node's probabilities, and on a probability outside [0, 1].
SUM_ATOL = 1e-9
ENTRY_ATOL = 1e-12


def _check_ref(ref: Any, what: str) -> None:
    if isinstance(ref, bool) or not isinstance(ref, str | int | float) and not callable(ref):
        raise InputError(f"{what} must be a parameter name, a number or a function, not {ref!r}")


@dataclass(frozen=True)
class Terminal:
    """An end of the tree, with its payoffs and, for a tree → Markov hybrid, the state it enters."""

    name: str
    payoffs: Mapping[str, ParamRef] = field(default_factory=dict)
    state: str | None = None

    def __post_init__(self) -> None:
        for key, ref in self.payoffs.items():
            _check_ref(ref, f"payoff '{key}' of terminal '{self.name}'")


@dataclass(frozen=True)
class Branch:
    """A branch of a chance node: its probability, the payoffs it accrues, and where it leads."""

    name: str
    probability: ParamRef
    node: Chance | Terminal
    payoffs: Mapping[str, ParamRef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_ref(self.probability, f"the probability of branch '{self.name}'")
        if isinstance(self.probability, int | float) and not 0 <= self.probability <= 1:
            raise InputError(f"the probability of branch '{self.name}' is {self.probability}, "
                             "outside [0, 1]", fix="give a probability between 0 and 1")
        for key, ref in self.payoffs.items():
            _check_ref(ref, f"payoff '{key}' of branch '{self.name}'")


@dataclass(frozen=True)
class Chance:
    """A chance node: branches whose probabilities sum to one."""

    name: str
    branches: tuple[Branch, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "branches", tuple(self.branches))
        names = [b.name for b in self.branches]
        if not names:
            raise InputError(f"chance node '{self.name}' has no branches")
        if len(set(names)) < len(names):
            raise InputError(f"chance node '{self.name}' has two branches of the same name",
                             fix="name every branch of a node differently")
        if sum(b.probability == COMPLEMENT for b in self.branches) > 1:
            raise InputError(f"chance node '{self.name}' has more than one '{COMPLEMENT}' branch",
                             fix="give every branch but one an explicit probability")


@dataclass(frozen=True)
class Decision:
    """The decision: strategy name -> the subtree that follows choosing it."""

    name: str
    options: Mapping[str, Chance | Terminal]

    def __post_init__(self) -> None:
        if not self.options:
            raise InputError(f"decision '{self.name}' has no options")


@dataclass
class TreeResult:
    """What :func:`rollback` returns.

    Attributes
    ----------
    strategies:
        The decision's options, in the order of the second array axis.
    payoffs:
        Expected payoff per name, ``[sets, strategies]`` (0 where a strategy never accrues it).
    state_distribution:
        ``[sets, strategies, n_states]``: probability of entering each Markov state (in the
        order of ``rollback``'s ``states``), the initial distribution of a cohort model; rows
        sum to one. ``None`` when no states were given.
    path_probabilities:
        Strategy -> path (branch names joined by "/") -> probability of the path ``[sets]``.
    """

    strategies: tuple[str, ...]
    payoffs: dict[str, np.ndarray]
    state_distribution: np.ndarray | None
    path_probabilities: dict[str, dict[str, np.ndarray]]

    @cached_property
    def paths(self) -> pd.DataFrame:
        """Tidy frame of path probabilities: columns ``set, strategy, path, probability``."""
        keys = [(s, path) for s in self.strategies for path in self.path_probabilities[s]]
        probability = np.stack([self.path_probabilities[s][path] for s, path in keys], axis=1)
        n_sets = probability.shape[0]
        return pd.DataFrame({
            "set": np.repeat(np.arange(n_sets), len(keys)),
            "strategy": np.tile([s for s, _ in keys], n_sets),
            "path": np.tile([path for _, path in keys], n_sets),
            "probability": probability.ravel(),
        })


@dataclass
class _Rolled:
    """A subtree rolled back: expected payoffs and its paths' conditional probabilities."""

    payoffs: dict[str, np.ndarray]
    paths: dict[str, tuple[np.ndarray, Terminal]]


class _Resolver:
    """Turns ParamRefs into arrays over the parameter sets ([sets] or scalars)."""

    def __init__(self, params: Mapping[str, np.ndarray]) -> None:
        self.params = params

    def __call__(self, ref: ParamRef, where: str) -> np.ndarray:
        if callable(ref):
            value = ref(self.params)
        elif isinstance(ref, str):
            value = self._lookup(ref, where)
        else:
            value = ref
        value = np.asarray(value, dtype=float)
        if value.ndim > 1:
            raise InputError(f"{where} has shape {value.shape}",
                             fix="give one value per parameter set, shaped [sets]")
        return value

    def _lookup(self, name: str, where: str) -> np.ndarray:
        try:
            return self.params[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.params), n=3)
            raise InputError(
                f"{where} names parameter '{name}', which the parameter sets do not hold",
                fix=f"did you mean {', '.join(close)}?" if close else "add it to the parameter table",
            ) from None


def rollback(tree: Decision, params: Mapping[str, np.ndarray], *,
             states: Sequence[str] | None = None, n_sets: int | None = None) -> TreeResult:
    """Roll the tree back over every parameter set at once.

    Parameters
    ----------
    tree:
        The decision; its options are the strategies.
    params:
        Parameter name -> values ``[sets]``.
    states:
        Markov state names: every terminal must then name one, and the result holds the
        distribution over them (the initial distribution of the cohort model).
    n_sets:
        Number of parameter sets (needed when every probability and payoff is a constant);
        by default, the length of the parameter arrays the tree uses.

    Returns
    -------
    TreeResult

    Raises
    ------
    ModelError
        A chance node's probabilities outside [0, 1] (to within 1e-12) or not summing to one
        (to within 1e-9) for some sets; ``sets`` lists them.
    InputError
        A parameter name the sets do not hold, a terminal without a known state.
    """
    resolve = _Resolver(params)
    strategies = tuple(tree.options)
    rolled = {s: _roll(node, resolve, s, ()) for s, node in tree.options.items()}
    n = n_sets if n_sets is not None else _batch_size(rolled)

    def per_set(value: np.ndarray) -> np.ndarray:
        try:
            return np.broadcast_to(value, (n,))
        except ValueError:
            raise InputError(f"tree values of length {value.shape[0]} for {n} parameter sets",
                             fix="give every parameter one value per set") from None

    names = dict.fromkeys(name for r in rolled.values() for name in r.payoffs)
    zero = np.zeros(n)
    payoffs = {name: np.stack([per_set(rolled[s].payoffs.get(name, zero)) for s in strategies], axis=1)
               for name in names}
    path_probabilities = {s: {path: per_set(p) for path, (p, _) in rolled[s].paths.items()}
                          for s in strategies}
    distribution = None
    if states is not None:
        distribution = np.stack([_state_distribution(rolled[s], tuple(states), per_set, s)
                                 for s in strategies], axis=1)
    return TreeResult(strategies, payoffs, distribution, path_probabilities)


def _batch_size(rolled: Mapping[str, _Rolled]) -> int:
    shapes = [np.shape(p) for r in rolled.values() for p, _ in r.paths.values()]
    shapes += [np.shape(v) for r in rolled.values() for v in r.payoffs.values()]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise InputError("the tree's parameters have different numbers of values",
                         fix="give every parameter one value per set") from None
    return shape[0] if shape else 1


def _roll(node: Chance | Terminal, resolve: _Resolver, strategy: str,
          path: tuple[str, ...]) -> _Rolled:
    """Expected payoffs and path probabilities of ``node``, conditional on reaching it."""
    where = f"strategy '{strategy}'" + (f", after '{'/'.join(path)}'" if path else "")
    if isinstance(node, Terminal):
        payoffs = {key: resolve(ref, f"{where}, terminal '{node.name}', payoff '{key}'")
                   for key, ref in node.payoffs.items()}
        return _Rolled(payoffs, {"/".join(path) or node.name: (np.ones(()), node)})
    probabilities = _branch_probabilities(node, resolve, strategy, where)
    payoffs: dict[str, np.ndarray] = {}
    paths: dict[str, tuple[np.ndarray, Terminal]] = {}
    for branch, p in zip(node.branches, probabilities, strict=True):
        child = _roll(branch.node, resolve, strategy, (*path, branch.name))
        accrued = {key: resolve(ref, f"{where}, branch '{branch.name}', payoff '{key}'")
                   for key, ref in branch.payoffs.items()}
        for key in accrued.keys() | child.payoffs.keys():
            value = accrued.get(key, 0.0) + child.payoffs.get(key, 0.0)
            payoffs[key] = payoffs.get(key, 0.0) + p * value
        paths.update({key: (p * q, terminal) for key, (q, terminal) in child.paths.items()})
    return _Rolled(payoffs, paths)


def _branch_probabilities(node: Chance, resolve: _Resolver, strategy: str,
                          where: str) -> list[np.ndarray]:
    """The branch probabilities, the complement filled in; ModelError where they are invalid."""
    given = {b.name: resolve(b.probability, f"{where}, branch '{b.name}', probability")
             for b in node.branches if b.probability != COMPLEMENT}
    total = sum(given.values(), np.zeros(()))
    probabilities = [given.get(b.name, 1 - total) for b in node.branches]
    context = f"chance node '{node.name}' ({where})"
    for branch, p in zip(node.branches, probabilities, strict=True):
        _refuse(~((p >= -ENTRY_ATOL) & (p <= 1 + ENTRY_ATOL)), p,
                f"{context}: the probability of branch '{branch.name}' is {{:.12g}}, outside [0, 1],")
    if len(given) == len(node.branches):
        _refuse(~(np.abs(total - 1) <= SUM_ATOL), total,
                f"{context}: the branch probabilities sum to {{:.12g}}, not 1,")
    return probabilities


def _refuse(bad: np.ndarray, value: np.ndarray, template: str) -> None:
    """Raise ModelError with ``template`` filled with the first offending value, listing the sets."""
    if not np.any(bad):
        return
    if np.ndim(bad) == 0:
        raise ModelError(template.format(float(value)).rstrip(","), sets=None)
    sets = np.flatnonzero(bad)
    first = np.broadcast_to(value, np.shape(bad))[sets[0]]
    shown = ", ".join(str(s) for s in sets[:5]) + (", …" if len(sets) > 5 else "")
    raise ModelError(f"{template.format(first)} in parameter set(s) {shown} ({len(sets)} in all)",
                     sets=sets)


def _state_distribution(rolled: _Rolled, states: tuple[str, ...], per_set, strategy: str) -> np.ndarray:
    """[sets, n_states]: the probability of entering each Markov state."""
    columns = [np.zeros(()) for _ in states]
    for path, (p, terminal) in rolled.paths.items():
        if terminal.state is None or terminal.state not in states:
            close = difflib.get_close_matches(terminal.state or "", states, n=3)
            what = "names no state" if terminal.state is None else f"names unknown state '{terminal.state}'"
            raise InputError(
                f"strategy '{strategy}', terminal '{terminal.name}' (path '{path}') {what}",
                fix=f"did you mean {', '.join(close)}?" if close else f"give one of: {', '.join(states)}",
            )
        index = states.index(terminal.state)
        columns[index] = columns[index] + p
    return np.stack([per_set(c) for c in columns], axis=-1)


# ---------------------------------------------------------------- YAML

_NODE_KEYS = {"chance", "branches", "terminal"}
_BRANCH_KEYS = _NODE_KEYS | {"probability", "payoffs"}
_TERMINAL_KEYS = {"name", "state", "payoffs"}
_TREE_KEYS = {"decision", "options"}
FUNCTION_PREFIX = "fn:"


def load_tree(path: str | Path, functions: Mapping[str, Callable] | None = None) -> Decision:
    """Read a decision tree from a YAML file (:func:`hecon.model.files.read_yaml`; see ``docs/tree.md``).

    Probabilities and payoffs are numbers, parameter names, the word ``complement``
    (probabilities only), or ``fn:<name>``, looked up in ``functions``. Every name the file
    declares (decision, strategies, nodes, branches, terminals, states, payoffs) and every
    parameter it refers to is an identifier. An unknown key, a missing one, a name that is
    not an identifier or an unknown function raises :class:`~hecon.errors.InputError` naming
    the file and the key (as a dotted path, in the ``column`` field).
    """
    path = Path(path)
    document = read_yaml(path, "tree")
    return _TreeReader(path, functions or {}).decision(document)


def _printable(key: str) -> str:
    """A dotted key path for a message, its line breaks and control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in key)


@dataclass(frozen=True)
class _TreeReader:
    """Builds the tree dataclasses from the parsed YAML, naming the file and key on a mistake."""

    file: Path
    functions: Mapping[str, Callable]

    def error(self, message: str, key: str, fix: str | None = None) -> InputError:
        return InputError(message, file=self.file, column=_printable(key) or None, fix=fix)

    def name(self, value: Any, key: str, what: str) -> str:
        """A declared name, checked to be an identifier (it reaches tables and workbooks)."""
        return check_identifier(value, what, file=self.file, column=_printable(key) or None,
                                fix="free text goes in a YAML comment (# …)")

    def mapping(self, value: Any, key: str, allowed: set[str] | None = None,
                required: Sequence[str] = ()) -> dict:
        """``value`` checked to be a mapping with only ``allowed`` keys (any if None) and the required ones."""
        if not isinstance(value, dict):
            raise self.error("expected a mapping of keys to values", key)
        for name in value:
            if allowed is not None and name not in allowed:
                close = difflib.get_close_matches(str(name), sorted(allowed), n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(sorted(allowed))}"
                raise self.error(f"unknown key {shown(name)}", f"{key}.{name}".lstrip("."), hint)
        for name in required:
            if name not in value:
                raise self.error(f"missing key '{name}'", key, f"add '{name}:'")
        return value

    def decision(self, document: Any) -> Decision:
        spec = self.mapping(document, "", _TREE_KEYS, ("decision", "options"))
        options = self.mapping(spec["options"], "options")
        if not options:
            raise self.error("the decision has no options", "options", "list the strategies under 'options:'")
        decision = self.name(spec["decision"], "decision", "decision name")
        return self.built(lambda: Decision(decision, {
            self.name(name, f"options.{name}", "strategy"):
                self.node(self.mapping(sub, f"options.{name}", _NODE_KEYS), f"options.{name}", name)
            for name, sub in options.items()
        }), "decision")

    def node(self, spec: dict, key: str, name: str) -> Chance | Terminal:
        """A chance node (``chance`` + ``branches``) or a terminal (``terminal``); keys already checked."""
        if "terminal" in spec:
            if {"chance", "branches"} & spec.keys():
                raise self.error("a node is either a terminal or a chance node, not both", key)
            terminal = self.mapping(spec["terminal"] or {}, f"{key}.terminal", _TERMINAL_KEYS)
            payoffs = self.payoffs(terminal.get("payoffs"), f"{key}.terminal.payoffs")
            state = terminal.get("state")
            label = self.name(terminal.get("name", name), f"{key}.terminal.name", "terminal name")
            state = None if state is None else self.name(state, f"{key}.terminal.state", "state")
            return self.built(lambda: Terminal(label, payoffs, state), key)
        self.mapping(spec, key, _NODE_KEYS, ("chance", "branches"))
        branches = spec["branches"]
        if not isinstance(branches, dict) or not branches:
            raise self.error("expected a mapping of branch names to branches", f"{key}.branches")
        chance = self.name(spec["chance"], f"{key}.chance", "chance node name")
        return self.built(lambda: Chance(chance, tuple(
            self.branch(sub, f"{key}.branches.{b}", self.name(b, f"{key}.branches.{b}", "branch name"))
            for b, sub in branches.items()
        )), key)

    def branch(self, spec: Any, key: str, name: str) -> Branch:
        spec = self.mapping(spec, key, _BRANCH_KEYS, ("probability",))
        probability = self.ref(spec["probability"], f"{key}.probability", complement=True)
        payoffs = self.payoffs(spec.get("payoffs"), f"{key}.payoffs")
        node = self.node({k: v for k, v in spec.items() if k in _NODE_KEYS}, key, name)
        return self.built(lambda: Branch(name, probability, node, payoffs), key)

    def payoffs(self, spec: Any, key: str) -> dict[str, ParamRef]:
        if spec is None:
            return {}
        spec = self.mapping(spec, key)
        return {self.name(name, f"{key}.{name}", "payoff name"): self.ref(value, f"{key}.{name}")
                for name, value in spec.items()}

    def ref(self, value: Any, key: str, complement: bool = False) -> ParamRef:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"expected a number or a parameter name, not {shown(value)}", key)
        if value == COMPLEMENT and not complement:
            raise self.error(f"'{COMPLEMENT}' is only a branch probability", key)
        if value.startswith(FUNCTION_PREFIX):
            name = value.removeprefix(FUNCTION_PREFIX)
            if name not in self.functions:
                known = ", ".join(sorted(self.functions)) or "none"
                raise self.error(f"unknown function {shown(name)}", key, f"functions available: {known}")
            return self.functions[name]
        if not IDENTIFIER.fullmatch(value):
            raise self.error(f"{shown(value)} is neither a number nor a parameter name (an identifier)", key,
                             f"write a number, a parameter name, {COMPLEMENT} or {FUNCTION_PREFIX}<function>")
        return value

    def built(self, make: Callable[[], Any], key: str) -> Any:
        """Call a dataclass constructor, giving its InputError the file and key."""
        try:
            return make()
        except InputError as error:
            if error.file is not None:
                raise
            raise self.error(error.message, error.column or key, error.fix) from None

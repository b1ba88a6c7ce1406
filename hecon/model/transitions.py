"""Transitions declared as edges: the fast way to give the Markov engine its matrices.

Most entries of a transition matrix are zero, and the diagonal is a complement. A model that
declares only its edges — from state ``i`` to state ``j``, with a probability or a hazard per
edge — lets the engine fill one reused ``[..., S, S]`` buffer in place at each cycle, instead
of building a fresh ``[sets, strategies, cycles, S, S]`` array:

    probabilities   P_ij = p_ij (j ≠ i),            P_ii = 1 − Σ_{j≠i} p_ij,

    hazards         P_ij = h_ij / H_i · (1 − e^{−H_i·Δ}),   P_ii = e^{−H_i·Δ},
                    H_i = Σ_{j≠i} h_ij  (competing risks: constant annual hazards within a cycle
                    of Δ years; Briggs, Claxton & Sculpher 2006, §3.3),

and a state without exits is absorbing (P_ii = 1). A state's exits are all probabilities or
all hazards. The competing-risks formula lets a member make at most one move a cycle; with
``method="generator"`` the hazards form the generator Q of a continuous-time chain (Q_ij = h_ij,
Q_ii = −H_i) and P = e^{QΔ}, the matrix exponential, which lets members move on within the
cycle (exact for constant hazards; e.g. a daily ICU model where infection, then death, can
happen on the same day). An edge's value broadcasts to the batch (conventionally ``[sets, strategies]``:
``params["p"][:, None]`` for one value per set) or is a callable ``cycle -> value`` for
time-dependent transitions (e.g. Gompertz background mortality, a waning effect).

Checking is one pass over the declared values only (each probability in [0, 1] and each
complement ≥ 0; each hazard finite and ≥ 0): rows sum to one by construction. Constant edges
are filled and checked once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from hecon.errors import InputError, ModelError

#: Tolerance on a transition-matrix row sum (rows built from probabilities that are themselves
#: rounded, e.g. read from a table to 9 digits, sum to one only to about that precision).
ROW_SUM_ATOL = 1e-9
#: Tolerance on a transition probability (or a state share) outside [0, 1]: rounding only.
ENTRY_ATOL = 1e-12

#: How hazards become the probabilities of one cycle (see the module docstring).
METHODS = ("competing-risks", "generator")
#: An edge's value: an array broadcasting to the batch, or ``cycle -> array``.
EdgeValue = ArrayLike | Callable[[int], ArrayLike]
Edge = tuple[str, str]


@dataclass(frozen=True)
class Transitions:
    """A model's transitions as edges between named states.

    Parameters
    ----------
    states:
        The state names, in the order of the trace.
    probabilities:
        (from, to) → probability of moving in one cycle (the rest of the row stays).
    hazards:
        (from, to) → annual hazard; a state's hazards are competing risks over a cycle.
    cycle_length:
        Δ in years, for the hazards.
    method:
        ``"competing-risks"`` (each state's exits over one cycle) or ``"generator"`` (the matrix
        exponential of the hazards' generator; hazards only).
    """

    states: Sequence[str]
    probabilities: Mapping[Edge, EdgeValue] = field(default_factory=dict)
    hazards: Mapping[Edge, EdgeValue] = field(default_factory=dict)
    cycle_length: float = 1.0
    method: str = "competing-risks"

    def __post_init__(self) -> None:
        object.__setattr__(self, "states", tuple(self.states))
        if len(set(self.states)) != len(self.states):
            raise InputError("state names must be distinct", fix="rename the repeated state")
        for edges, kind in ((self.probabilities, "probability"), (self.hazards, "hazard")):
            for source, target in edges:
                for state in (source, target):
                    if state not in self.states:
                        raise InputError(f"the {kind} edge {source} → {target} names an unknown state "
                                         f"'{state}'", fix=f"use one of {', '.join(self.states)}")
                if source == target:
                    raise InputError(f"the {kind} edge {source} → {target} stays in its state",
                                     fix="declare exits only: staying is the complement")
        mixed = {s for s, _ in self.probabilities} & {s for s, _ in self.hazards}
        if mixed:
            raise InputError(f"state '{sorted(mixed)[0]}' has exits by probability and by hazard",
                             fix="give each state's exits all as probabilities or all as hazards")
        if not (np.isfinite(self.cycle_length) and self.cycle_length > 0):
            raise InputError(f"cycle_length {self.cycle_length} must be a positive number of years")
        if self.method not in METHODS:
            raise InputError(f"unknown transition method '{self.method}'", fix=f"use one of {', '.join(METHODS)}")
        if self.method == "generator" and self.probabilities:
            raise InputError("the generator method takes hazards only",
                             fix="give every exit as a hazard, or use method='competing-risks'")

    def matrices(self, batch: tuple[int, ...], cycle: int = 0) -> np.ndarray:
        """The explicit matrices ``[*batch, S, S]`` of ``cycle`` (for inspection and tests)."""
        filler = Filler(self, batch, Where(batch, self.states, None), check=True)
        return filler.at(cycle).copy()


@dataclass(frozen=True)
class Where:
    """The batch shape and the names used in error messages (states; strategies = batch axis 1)."""

    batch: tuple[int, ...]
    states: tuple[str, ...]
    strategies: tuple[str, ...] | None

    def strategy(self, index: tuple[int, ...]) -> str:
        """' for strategy …' for a batch index, or '' when the batch has no strategy axis."""
        if len(index) < 2:
            return ""
        name = self.strategies[index[1]] if self.strategies else str(index[1])
        return f" for strategy '{name}'"


class Filler:
    """Fills one ``[*batch, S, S]`` buffer with the matrices of each cycle, in place."""

    def __init__(self, transitions: Transitions, batch: tuple[int, ...], where: Where, check: bool) -> None:
        self.where, self.check = where, check
        self.index = {name: i for i, name in enumerate(transitions.states)}
        self.delta = transitions.cycle_length
        self.generator = transitions.method == "generator"
        self.buffer = np.zeros((*batch, len(self.index), len(self.index)))
        self.rates = np.zeros_like(self.buffer) if self.generator else self.buffer
        exits: dict[str, list[tuple[str, EdgeValue]]] = {}
        for (source, target), value in [*transitions.probabilities.items(), *transitions.hazards.items()]:
            exits.setdefault(source, []).append((target, value))
        self.by_hazard = {source for source, _ in transitions.hazards}
        if not self.generator:
            for state in set(self.index) - set(exits):
                self.buffer[..., self.index[state], self.index[state]] = 1.0  # absorbing
        varying = {s for s, edges in exits.items() if any(callable(v) for _, v in edges)}
        self.varying = {s: exits[s] for s in varying}
        self._fill_states({s: exits[s] for s in set(exits) - varying}, None)
        if self.generator and not self.varying:
            self._exponentiate()

    def at(self, cycle: int) -> np.ndarray:
        """P_k, filled in the buffer (valid until the next call)."""
        self._fill_states(self.varying, cycle)
        if self.generator and self.varying:
            self._exponentiate()
        return self.buffer

    def _fill_states(self, states: dict[str, list[tuple[str, EdgeValue]]], cycle: int | None) -> None:
        """The rows of ``states``: their values at ``cycle``, checked together (one smallest and
        one largest value over all the hazards, one smallest over all the probabilities; the
        offending edge is looked for only when a check fails), then filled row by row."""
        values = {state: [self._value(state, target, value, cycle) for target, value in edges]
                  for state, edges in states.items()}
        if self.check:
            for hazard in (True, False):
                kind = [state for state in values if (state in self.by_hazard) == hazard]
                if kind and not _within(np.concatenate([v.ravel() for s in kind for v in values[s]]), hazard):
                    for state in kind:
                        self._fail_edge(state, states[state], values[state], cycle)
        for state, edges in states.items():
            self._fill(state, edges, values[state], cycle)

    def _exponentiate(self) -> None:
        """P = e^{QΔ}, Q the generator held in ``rates`` (:func:`exponential`)."""
        self.buffer[...] = exponential(self.rates, self.delta)[0]

    def _fill(self, state: str, edges: list[tuple[str, EdgeValue]], values: list[np.ndarray],
              cycle: int | None) -> None:
        """Row ``state``: its exits, then its complement (probabilities; checked ≥ 0, which bounds
        every exit by 1) or its survival (hazards)."""
        i = self.index[state]
        total = sum(values[1:], values[0])
        if self.generator:  # row i of Q: the hazards, and minus their sum on the diagonal
            row = self.rates[..., i, :]
            for (target, _), hazard in zip(edges, values, strict=True):
                row[..., self.index[target]] = hazard
            np.negative(total, out=row[..., i])
            return
        row = self.buffer[..., i, :]
        if state in self.by_hazard:
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(total > 0, -np.expm1(-total * self.delta) / total, self.delta)
            for (target, _), hazard in zip(edges, values, strict=True):
                np.multiply(hazard, share, out=row[..., self.index[target]])
            np.exp(-total * self.delta, out=row[..., i])
            return
        for (target, _), probability in zip(edges, values, strict=True):
            row[..., self.index[target]] = probability
        np.subtract(1.0, total, out=row[..., i])
        if self.check and not row[..., i].min() >= -ENTRY_ATOL:
            self._fail_edge(state, edges, values, cycle)
            self._fail_complement(state, row[..., i], cycle)

    def _value(self, state: str, target: str, value: EdgeValue, cycle: int | None) -> np.ndarray:
        """An edge's value at ``cycle``, an array broadcasting to the batch."""
        array = np.asarray(value(cycle) if callable(value) else value, dtype=float)
        try:
            np.broadcast_shapes(array.shape, self.where.batch)
        except ValueError:
            raise InputError(f"the edge {state} → {target} has shape {array.shape}, which does not "
                             f"broadcast to the batch {self.where.batch}",
                             fix="shape it like the batch, e.g. [sets, 1] or [sets, strategies]") from None
        return array

    def _fail_edge(self, state: str, edges: list[tuple[str, EdgeValue]], values: list[np.ndarray],
                   cycle: int | None) -> None:
        """Raise for the first edge of ``state`` with a value outside its kind's bounds (a
        probability in [0, 1], a hazard finite and ≥ 0), naming the strategy and the sets."""
        hazard = state in self.by_hazard
        kind, bounds = ("hazard", "a finite number ≥ 0") if hazard else ("probability", "in [0, 1]")
        for (target, _), array in zip(edges, values, strict=True):
            batch = np.broadcast_to(array, self.where.batch)
            if hazard:
                bad = ~(np.isfinite(batch) & (batch >= 0))
            else:
                bad = ~((batch >= -ENTRY_ATOL) & (batch <= 1 + ENTRY_ATOL))
            if bad.any():
                index = tuple(int(i) for i in np.argwhere(bad)[0])
                raise_for_sets(f"the transition {kind} from state '{state}' to '{target}' is "
                               f"{batch[index]:.6g}, not {bounds}{self.where.strategy(index)}{_when(cycle)}", bad)

    def _fail_complement(self, state: str, stay: np.ndarray, cycle: int | None) -> None:
        """Raise for the exits of ``state`` summing above one (each exit within [0, 1])."""
        bad = ~(stay >= -ENTRY_ATOL)
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise_for_sets(f"transition probabilities out of state '{state}' sum to {1 - stay[index]:.12g}, "
                       f"above 1{self.where.strategy(index)}{_when(cycle)}", bad)


# ---------------------------------------------------------------- the matrix exponential

#: Scaling bound: each matrix is halved s times until ‖B‖₁ = ‖Qt‖₁/2ˢ ≤ 1/2
SCALED_NORM = 0.5
#: Degree of the series of ∫₀¹ e^{Bu} du = Σ Bʲ/(j+1)!, j ≤ 13; e^B = I + B·(that series) then
#: has degree 14, its first omitted term below 2⁻¹⁵/15! ≈ 2e-17, under the double precision of the result
SERIES_DEGREE = 13
#: Matrices exponentiated together: a block's working arrays stay in the processor's cache
BLOCK = 1024


def exponential(Q: np.ndarray, t: float | np.ndarray = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """e^{Qt} and ∫₀ᵗ e^{Qs} ds for a batch of matrices ``Q`` [..., S, S] (``t`` a number or an
    array broadcasting to the batch).

    For a generator Q (rates between states), e^{Qt} is the transition matrix over t and
    m₀·∫₀ᵗ e^{Qs} ds the expected time spent in each state, so that the expected number of
    i → j moves is that time in i × the hazard Q_ij. Scaling and squaring (Moler & Van Loan,
    SIAM Rev 2003): with B = Qt/2ˢ and ‖B‖₁ ≤ ½, F = Σ_{j≤13} Bʲ/(j+1)!
    (:func:`_integral_series`; ∫₀^{t/2ˢ} e^{Qs} ds = (t/2ˢ)·F) and E = e^B = I + B·F, then s doublings
    J ← J + E·J, E ← E·E. Every step is a batched matrix product, so a batch of small matrices
    costs a few products of the whole batch — unlike ``scipy.linalg.expm``, which exponentiates
    them one at a time. Each matrix has its own s (from its own norm) and every product is one
    matrix's, so a matrix's exponential does not depend on the other matrices of the batch
    (results identical whatever the chunk size).
    """
    Q = np.asarray(Q, dtype=float)
    A = Q * (np.asarray(t, dtype=float)[..., None, None] if np.ndim(t) else float(t))
    norm = np.abs(A).sum(axis=-2).max(axis=-1)
    if not np.isfinite(norm).all():
        raise ModelError("the generator holds a non-finite rate: its exponential is undefined", sets=None)
    squarings = np.ceil(np.log2(np.maximum(norm, SCALED_NORM) / SCALED_NORM)).astype(int).ravel()
    span = np.broadcast_to(np.asarray(t, dtype=float), norm.shape).ravel()
    matrices = np.ascontiguousarray(A).reshape(-1, *A.shape[-2:])
    E, J = np.empty_like(matrices), np.empty_like(matrices)
    for start in range(0, len(matrices), BLOCK):
        block = slice(start, start + BLOCK)
        E[block], J[block] = _scaled_and_squared(matrices[block], squarings[block], span[block])
    return E.reshape(A.shape), J.reshape(A.shape)


def _scaled_and_squared(A: np.ndarray, squarings: np.ndarray, span: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """e^A and ∫₀¹ e^{Au} du·``span`` of the matrices A [n, S, S], each halved ``squarings`` times
    (:func:`exponential`); the doublings of a matrix that needs no more act on the others only."""
    scale = np.ldexp(1.0, -squarings)[:, None, None]
    B = A * scale
    F = _integral_series(B)
    E = B @ F
    _diagonal(E)[...] += 1.0
    J = F
    J *= span[:, None, None] * scale
    for k in range(int(squarings.max(initial=0))):
        more = np.flatnonzero(squarings > k)
        if more.size == len(E):
            J += E @ J
            E = E @ E
        else:
            doubled, time = E[more], J[more]
            J[more] = time + doubled @ time
            E[more] = doubled @ doubled
    return E, J


def _integral_series(B: np.ndarray) -> np.ndarray:
    """F = Σ_{j≤13} Bʲ/(j+1)! [n, S, S] by Paterson & Stockmeyer's rule (SIAM J Comput 1973):
    F = P₀ + B⁴·(P₁ + B⁴·(P₂ + B⁴·P₃)) with P_i = Σ_{r<4} c_{4i+r}·Bʳ, c_j = 1/(j+1)!, so 6
    matrix products (B², B³, B⁴ and three by B⁴) instead of Horner's 13."""
    coefficients = 1.0 / np.cumprod(np.arange(1.0, SERIES_DEGREE + 2))
    powers = [B, B @ B]
    powers.append(powers[1] @ B)
    fourth = powers[1] @ powers[1]

    def part(i: int) -> np.ndarray:
        terms = coefficients[4 * i: 4 * i + 4]
        P = powers[0] * terms[1]
        for power, coefficient in zip(powers[1:], terms[2:], strict=False):  # P₃: c₁₂ + c₁₃B
            P += power * coefficient
        _diagonal(P)[...] += terms[0]
        return P

    F = part(SERIES_DEGREE // 4)
    for i in reversed(range(SERIES_DEGREE // 4)):
        F = fourth @ F
        F += part(i)
    return F


def _diagonal(matrices: np.ndarray) -> np.ndarray:
    """The diagonals [n, S] of matrices [n, S, S] (C order), as a view to write into."""
    n, size, _ = matrices.shape
    return matrices.reshape(n, size * size)[:, :: size + 1]


def _within(values: np.ndarray, hazard: bool) -> bool:
    """Every value a hazard (finite, ≥ 0) or a probability (≥ 0 within rounding; NaN fails)."""
    if hazard:
        return bool(values.min(initial=0.0) >= 0.0 and values.max(initial=0.0) < np.inf)
    return bool(values.min(initial=0.0) >= -ENTRY_ATOL)


def _when(cycle: int | None) -> str:
    return " at every cycle" if cycle is None else f" at cycle {cycle}"


# ---------------------------------------------------------------- checking explicit matrices

def row_sums(P: np.ndarray) -> np.ndarray:
    """Σ_j P_ij, as one matrix–vector product over all rows (faster than a short-axis sum)."""
    n = P.shape[-1]
    return (np.reshape(P, (-1, n)) @ np.ones(n)).reshape(P.shape[:-1])


def check_matrices(P: np.ndarray, where: Where, *, by_cycle: bool = False, cycle: int | None = None) -> None:
    """Raise ModelError unless every row of P is a probability distribution.

    ``P`` is ``[..., S, S]`` for one cycle (``cycle``; ``None`` = every cycle), or
    ``[..., n_cycles, S, S]`` when ``by_cycle``. One pass: the row sums and the smallest entry
    (NaN propagates); the entries are examined one by one only when something is wrong.
    """
    sums = row_sums(P)
    lowest, smallest_sum, largest_sum = P.min(), sums.min(), sums.max()
    rows_ok = smallest_sum >= 1 - ROW_SUM_ATOL and largest_sum <= 1 + ROW_SUM_ATOL
    # Non-negative entries of rows summing to at most 1 + ENTRY_ATOL are all ≤ 1 + ENTRY_ATOL,
    # which spares a pass over P in the usual case.
    if rows_ok and lowest >= 0 and largest_sum <= 1 + ENTRY_ATOL:
        return
    if rows_ok and lowest >= -ENTRY_ATOL and P.max() <= 1 + ENTRY_ATOL:
        return
    shape = (*where.batch, *P.shape[-3 if by_cycle else -2:])
    P = np.broadcast_to(P, shape)
    sums = np.broadcast_to(sums, shape[:-1])
    entries_ok = (P >= -ENTRY_ATOL) & (P <= 1 + ENTRY_ATOL)
    bad_rows = ~(np.abs(sums - 1) <= ROW_SUM_ATOL) | ~entries_ok.all(-1)
    if by_cycle:  # the earliest cycle with a problem, then the first set, strategy and row
        cycle, *batch_index, row = (int(i) for i in np.argwhere(np.moveaxis(bad_rows, -2, 0))[0])
        index = (*batch_index, cycle, row)
    else:
        *batch_index, row = index = tuple(int(i) for i in np.argwhere(bad_rows)[0])
    state = where.states[row]
    if np.isnan(P[index]).any():
        problem = f"from state '{state}' contain NaN"
    elif not entries_ok[index].all():
        column = int(np.argmin(entries_ok[index]))
        problem = (f"from state '{state}' to '{where.states[column]}' is "
                   f"{P[index][column]:.6g}, outside [0, 1]")
    else:
        problem = f"from state '{state}' sum to {sums[index]:.12g}, not 1 (tolerance {ROW_SUM_ATOL:g})"
    offending = bad_rows.any(-1)
    if by_cycle:
        offending = offending.any(-1)
    raise_for_sets(f"transition probabilities {problem}{where.strategy(tuple(batch_index))}{_when(cycle)}",
                   offending)


def check_distribution(initial: np.ndarray, where: Where) -> None:
    """Raise ModelError unless the initial state distribution has shares in [0, 1] summing to one."""
    sums = initial.sum(-1)
    bad = (~(np.abs(sums - 1) <= ROW_SUM_ATOL)
           | ~((initial >= -ENTRY_ATOL) & (initial <= 1 + ENTRY_ATOL)).all(-1))
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    if np.isnan(initial[index]).any():
        problem = "contains NaN"
    elif abs(sums[index] - 1) <= ROW_SUM_ATOL:
        problem = "has a share outside [0, 1]"
    else:
        problem = f"sums to {sums[index]:.12g}, not 1"
    raise_for_sets(f"the initial state distribution {problem}{where.strategy(index)}", bad)


def raise_for_sets(message: str, offending: np.ndarray) -> None:
    """Raise ModelError listing the offending parameter sets (batch axis 0, if any)."""
    if offending.ndim == 0:
        raise ModelError(message, sets=None)
    sets = np.unique(np.nonzero(offending)[0])
    shown = ", ".join(str(s) for s in sets[:5]) + (", …" if len(sets) > 5 else "")
    raise ModelError(f"{message}: parameter set(s) {shown} ({len(sets)} in all)", sets=sets)

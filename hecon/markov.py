"""Cohort state-transition (Markov) engine, vectorised over a batch of parameter sets.

A cohort's state membership ``m_k`` (a row vector over the ``S`` states) at the trace points
``t_k = k·Δ`` (``k = 0 … n``, ``Δ`` the cycle length in years) follows

    m_{k+1} = m_k · P_k,

with ``P_k`` the (row-stochastic) transition matrix of cycle ``k``. A reward ``r`` per cycle
spent in a state (a cost, a utility × Δ, Δ itself for life years) totals

    Σ_k w_k · D(t_k) · Σ_s m_{k,s} · r_{k,s},

where ``w_k`` are the weights of the within-cycle correction (:func:`cycle_weights`) and
``D(t)`` the discount factor (:class:`DiscountSchedule`). A reward ``R_ij`` per unit of cohort
moving from ``i`` to ``j`` (an event count, a one-off cost) is counted at the end of the cycle:
``Σ_k D(t_{k+1}) · Σ_i m_{k,i} Σ_j P_{k,ij} R_{k,ij}``.

Every array carries a leading batch shape (conventionally ``[sets, strategies]``); the loop
runs over cycles only. References: Sonnenberg & Beck, *Med Decis Making* 1993;13:322–338
(Markov models in medical decision making); Siebert et al., *Value Health* 2012;15:812–820
(ISPOR–SMDM state-transition modelling); Elbasha & Chhatwal, *Med Decis Making*
2016;36:115–126 (within-cycle corrections).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from hecon.errors import InputError, ModelError

__all__ = [
    "CORRECTIONS",
    "DAY",
    "WEEK",
    "YEAR",
    "DiscountSchedule",
    "MarkovResult",
    "Tunnel",
    "cycle_weights",
    "expand_tunnel",
    "run_cohort",
]

DAY = 1 / 365.25
WEEK = 7 / 365.25
YEAR = 1.0

#: Tolerance on a transition-matrix row sum (rows built from probabilities that are themselves
#: rounded, e.g. read from a table to 9 digits, sum to one only to about that precision).
ROW_SUM_ATOL = 1e-9
#: Tolerance on a transition probability (or a state share) outside [0, 1]: rounding only.
ENTRY_ATOL = 1e-12

CORRECTIONS = ("none", "half-cycle", "trapezoid", "simpson")

Transitions = ArrayLike | Callable[[int], ArrayLike]


# ---------------------------------------------------------------- discounting

@dataclass(frozen=True)
class DiscountSchedule:
    """Piecewise-constant annual discount rates.

    ``rates[i]`` applies from ``breakpoints[i-1]`` to ``breakpoints[i]`` years (the first from
    0, the last without end); e.g. ``DiscountSchedule((0.025, 0.015), (30,))`` is the HAS
    reference case (2.5 % a year, 1.5 % beyond 30 years).
    """

    rates: tuple[float, ...]
    breakpoints: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", tuple(float(r) for r in self.rates))
        object.__setattr__(self, "breakpoints", tuple(float(b) for b in self.breakpoints))
        if len(self.rates) != len(self.breakpoints) + 1:
            raise InputError(f"{len(self.rates)} discount rate(s) for {len(self.breakpoints)} "
                             "breakpoint(s)", fix="give one more rate than breakpoints")
        if any(not r > -1 for r in self.rates):
            raise InputError(f"discount rates must exceed −1: {self.rates}",
                             fix="give annual rates as fractions, e.g. 0.025 for 2.5 %")
        edges = (0.0, *self.breakpoints)
        if any(not b > a for a, b in zip(edges, edges[1:], strict=False)):
            raise InputError(f"discount breakpoints must be positive and increasing: {self.breakpoints}",
                             fix="give the years at which the rate changes, in increasing order")

    @classmethod
    def constant(cls, rate: float) -> DiscountSchedule:
        """One annual rate for the whole horizon."""
        return cls((rate,))

    def factor(self, t_years: ArrayLike) -> np.ndarray:
        """Discount factor at time ``t`` (years).

        D(t) = Π_i (1 + r_i)^(−τ_i(t)), with τ_i(t) the time spent in segment i before t:
        continuous-time compounding of the annual rates, so that at whole years under one rate
        D(k) = 1/(1 + r)^k, the usual factor. Times before 0 compound the first rate backwards.
        """
        t = np.asarray(t_years, dtype=float)
        lower = np.array((-np.inf, *self.breakpoints))
        upper = np.array((*self.breakpoints, np.inf))
        years_in_segment = np.clip(t[..., None], lower, upper) - np.maximum(lower, 0.0)
        return np.exp(-(years_in_segment @ np.log1p(self.rates)))


def _schedule(discount: DiscountSchedule | float | None) -> DiscountSchedule:
    if discount is None:
        return DiscountSchedule.constant(0.0)
    if isinstance(discount, DiscountSchedule):
        return discount
    return DiscountSchedule.constant(discount)


# ---------------------------------------------------------------- within-cycle correction

def cycle_weights(n_cycles: int, correction: str) -> np.ndarray:
    """Quadrature weights ``w_k`` on the trace points ``t_k = k·Δ``, ``k = 0 … n_cycles``.

    The time integral of a reward over the horizon is approximated by
    ∫ m(t) r(t) dt ≈ Δ Σ_k w_k m_k r_k; rewards are amounts per cycle, so Δ is inside them.

    ``none``
        (1, …, 1, 0): membership counted at the start of each cycle (left Riemann sum; the
        cohort is assumed to stay a whole cycle where it starts it). First order in Δ.
    ``half-cycle``
        (½, 1, …, 1): Sonnenberg & Beck's (1993) half-cycle correction of end-of-cycle
        counting — members counted at the end of each cycle plus half a cycle of the initial
        cohort, without the matching end correction. Second order when the cohort is (nearly)
        absorbed at the horizon; first order otherwise, by Δ·m_n·r_n/2.
    ``trapezoid``
        (½, 1, …, 1, ½): the life-table (trapezoidal) method. Second order.
    ``simpson``
        Composite Simpson's 1/3 rule, (1, 4, 2, 4, …, 2, 4, 1)/3, for an even number of cycles;
        for an odd number, Simpson's 1/3 on the first n − 3 intervals and Simpson's 3/8,
        (1, 3, 3, 1)·3/8, on the last three (one cycle: trapezoid). Fourth order.

    Reference: Elbasha & Chhatwal, *Med Decis Making* 2016;36:115–126.
    """
    if correction not in CORRECTIONS:
        raise InputError(f"unknown within-cycle correction '{correction}'",
                         fix=f"use one of {', '.join(CORRECTIONS)}")
    n = _n_cycles(n_cycles)
    weights = np.ones(n + 1)
    if correction == "none":
        weights[-1] = 0.0
    elif correction == "half-cycle":
        weights[0] = 0.5
    elif correction == "trapezoid" or n == 1:
        weights[[0, -1]] = 0.5
    else:
        n_third = n if n % 2 == 0 else n - 3
        weights[:] = 0.0
        weights[:n_third + 1] = _simpson_third(n_third)
        if n_third < n:
            weights[n_third:] += np.array([1.0, 3.0, 3.0, 1.0]) * 3 / 8
    return weights


def _simpson_third(n_intervals: int) -> np.ndarray:
    """Composite Simpson 1/3 weights on n_intervals + 1 points (n_intervals even, possibly 0)."""
    weights = np.where(np.arange(n_intervals + 1) % 2 == 1, 4.0, 2.0) / 3
    weights[[0, -1]] = 1 / 3 if n_intervals else 0.0
    return weights


def _n_cycles(n_cycles: int) -> int:
    if int(n_cycles) != n_cycles or n_cycles < 1:
        raise InputError(f"the number of cycles must be a positive integer, not {n_cycles!r}",
                         fix="give the horizon as a whole number of cycles ≥ 1")
    return int(n_cycles)


# ---------------------------------------------------------------- the cohort run

@dataclass
class MarkovResult:
    """What :func:`run_cohort` returns.

    Attributes
    ----------
    trace:
        State membership ``[..., n_cycles + 1, S]`` at the trace points ``t_k = k·Δ`` (``None``
        when run with ``keep_trace=False``).
    undiscounted, discounted:
        Reward name -> total over the horizon, shaped like the batch ``[...]``.
    state_names:
        The ``S`` state names, in the order of the last axis of ``trace``.
    cycle_length:
        Δ in years.
    """

    trace: np.ndarray | None
    undiscounted: dict[str, np.ndarray]
    discounted: dict[str, np.ndarray]
    state_names: tuple[str, ...]
    cycle_length: float



@dataclass(frozen=True)
class _Context:
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


def run_cohort(
    transitions: Transitions,
    initial: ArrayLike,
    n_cycles: int,
    *,
    state_names: Sequence[str] | None = None,
    strategy_names: Sequence[str] | None = None,
    state_rewards: Mapping[str, ArrayLike] | None = None,
    transition_rewards: Mapping[str, ArrayLike] | None = None,
    cycle_length: float = YEAR,
    discount: DiscountSchedule | float | None = None,
    correction: str = "half-cycle",
    keep_trace: bool = True,
    check: bool = True,
) -> MarkovResult:
    """Run a cohort through a state-transition model and total its rewards.

    Parameters
    ----------
    transitions:
        Transition matrices, rows = from, columns = to: ``[..., S, S]`` (time-homogeneous),
        ``[..., n_cycles, S, S]`` (one per model cycle; told apart by having the batch's
        number of leading axes plus three), or a callable ``cycle -> [..., S, S]`` for
        cycles 0 … n_cycles − 1. Leading axes broadcast to the batch.
    initial:
        State distribution at t = 0, ``[..., S]``. Its leading shape is the batch shape
        (conventionally ``[sets, strategies]``).
    n_cycles:
        Number of cycles n; the horizon is n·Δ.
    state_names, strategy_names:
        Names of the states and of the strategies (batch axis 1), used in results and errors.
    state_rewards:
        Name -> amount per cycle spent in each state: ``[..., S]`` (constant) or
        ``[..., n_cycles + 1, S]`` (value at each trace point, told apart by having the
        batch's number of leading axes plus two); leading axes broadcast to the batch.
    transition_rewards:
        Name -> amount per unit of cohort moving i → j in a cycle, ``[..., S, S]`` or
        ``[..., n_cycles, S, S]``; counted at the end of the cycle (discounted at t_{k+1}),
        without within-cycle correction. A matrix of ones on the edges into a state counts
        entries into it (e.g. infection episodes).
    cycle_length:
        Δ in years (:data:`DAY`, :data:`WEEK`, :data:`YEAR` or any other value).
    discount:
        A :class:`DiscountSchedule`, a constant annual rate, or ``None`` (no discounting).
    correction:
        Within-cycle correction, one of :data:`CORRECTIONS` (see :func:`cycle_weights`).
    keep_trace:
        Keep the trace; ``False`` bounds memory to a few cycles' worth.
    check:
        Validate the inputs: the initial distribution and every transition row must be
        free of NaN, with entries in [0, 1] (to within 1e-12) and sums equal to one (to within
        1e-9, the precision of probabilities read from tables). A failure raises
        :class:`~hecon.errors.ModelError` naming the strategy, state, cycle and parameter
        sets, with ``sets`` listing every offending set (among the matrices checked: all
        cycles of an array, the failing cycle of a callable).

    Returns
    -------
    MarkovResult
        The trace and the undiscounted and discounted totals of every reward.
    """
    initial = np.asarray(initial, dtype=float)
    if initial.ndim == 0:
        raise InputError("the initial state distribution must be an array [..., states]")
    n_cycles = _n_cycles(n_cycles)
    batch, n_states = initial.shape[:-1], initial.shape[-1]
    context = _Context(batch, _names(state_names, n_states, "state"),
                       None if strategy_names is None else tuple(strategy_names))
    weights = cycle_weights(n_cycles, correction)
    discount_at = _schedule(discount).factor(np.arange(n_cycles + 1) * cycle_length)
    matrices = _TransitionMatrices(transitions, n_cycles, context, check)
    if check:
        _check_distribution(initial, context)
    constant, varying = _state_rewards(state_rewards or {}, batch, n_states, n_cycles)
    flows = _transition_rewards(transition_rewards or {}, batch, n_states, n_cycles)
    _unique_names(constant, varying, flows)

    trace = np.empty((n_cycles + 1, *batch, n_states)) if keep_trace else None
    undiscounted = {name: np.zeros(batch) for name in (*varying, *flows)}
    discounted = {name: np.zeros(batch) for name in (*varying, *flows)}
    occupancy, occupancy_discounted = np.zeros(initial.shape), np.zeros(initial.shape)
    membership = initial
    if trace is not None:
        trace[0] = initial
    for k in range(n_cycles + 1):
        w, wd = weights[k], weights[k] * discount_at[k]
        occupancy += w * membership
        occupancy_discounted += wd * membership
        for name, reward in varying.items():
            amount = np.vecdot(membership, reward[..., k, :])
            undiscounted[name] += w * amount
            discounted[name] += wd * amount
        if k == n_cycles:
            break
        P = matrices.at(k)
        for name, reward in flows.items():
            amount = reward.amount(membership, P, k)
            undiscounted[name] += amount
            discounted[name] += discount_at[k + 1] * amount
        membership = np.vecmat(membership, P, out=None if trace is None else trace[k + 1])
    for name, reward in constant.items():
        undiscounted[name] = np.vecdot(occupancy, reward)
        discounted[name] = np.vecdot(occupancy_discounted, reward)
    return MarkovResult(
        trace=None if trace is None else np.moveaxis(trace, 0, -2),
        undiscounted=undiscounted,
        discounted=discounted,
        state_names=context.states,
        cycle_length=float(cycle_length),
    )


def _names(names: Sequence[str] | None, n: int, what: str) -> tuple[str, ...]:
    if names is None:
        return tuple(f"{what}_{i}" for i in range(n))
    names = tuple(names)
    if len(names) != n:
        raise InputError(f"{len(names)} {what} names for {n} {what}s",
                         fix=f"give one name per {what}")
    return names


def _conform(value: ArrayLike, batch: tuple[int, ...], core: tuple[int, ...], what: str) -> np.ndarray:
    """``value`` as a float array whose leading axes broadcast to ``batch`` and core axes are ``core``."""
    array = np.asarray(value, dtype=float)
    expected = (*batch, *core)
    try:
        fits = np.broadcast_shapes(array.shape, expected) == expected
    except ValueError:
        fits = False
    if not fits or array.shape[len(array.shape) - len(core):] != core:
        raise InputError(f"{what} has shape {array.shape}, which does not fit [batch {batch}, {core}]",
                         fix="shape it [..., " + ", ".join(map(str, core)) + "] with leading axes "
                             "that broadcast to the initial distribution's")
    return array


def _has_time_axis(value: ArrayLike, batch: tuple[int, ...], n_core: int) -> bool:
    return np.ndim(value) == len(batch) + n_core + 1


def _unique_names(*groups: Mapping[str, object]) -> None:
    seen: set[str] = set()
    for group in groups:
        clash = seen & set(group)
        if clash:
            raise InputError(f"reward name(s) used twice: {', '.join(sorted(clash))}",
                             fix="give state and transition rewards distinct names")
        seen |= set(group)


def _state_rewards(rewards: Mapping[str, ArrayLike], batch, n_states: int, n_cycles: int):
    """Split state rewards into constant ``[..., S]`` and per-trace-point ``[..., n+1, S]``."""
    constant, varying = {}, {}
    for name, value in rewards.items():
        if _has_time_axis(value, batch, 1):
            varying[name] = _conform(value, batch, (n_cycles + 1, n_states), f"state reward '{name}'")
        else:
            constant[name] = _conform(value, batch, (n_states,), f"state reward '{name}'")
    return constant, varying


@dataclass(frozen=True)
class _TransitionReward:
    """A reward per unit moving i → j: the cycle's amount is Σ_i m_i Σ_j P_ij R_ij.

    A reward matrix that is the same for every set and cycle (e.g. ones on the edges into a
    state, to count entries) is kept as its non-zero edges, so each cycle costs one product
    per edge instead of a pass over every [S, S] matrix of the batch.
    """

    matrix: np.ndarray        # [..., S, S] or [..., n_cycles, S, S]
    by_cycle: bool

    @cached_property
    def edges(self) -> tuple[tuple[int, int, float], ...] | None:
        if self.by_cycle or self.matrix.ndim != 2:
            return None
        return tuple((int(i), int(j), float(self.matrix[i, j])) for i, j in zip(*np.nonzero(self.matrix), strict=True))

    def amount(self, membership: np.ndarray, P: np.ndarray, cycle: int) -> np.ndarray:
        if self.edges is not None:
            return sum((r * membership[..., i] * P[..., i, j] for i, j, r in self.edges),
                       np.zeros(membership.shape[:-1]))
        reward = self.matrix[..., cycle, :, :] if self.by_cycle else self.matrix
        return np.vecdot(membership, np.einsum("...ij,...ij->...i", P, reward))


def _transition_rewards(rewards: Mapping[str, ArrayLike], batch, n_states: int, n_cycles: int):
    flows = {}
    for name, value in rewards.items():
        by_cycle = _has_time_axis(value, batch, 2)
        core = (n_cycles, n_states, n_states) if by_cycle else (n_states, n_states)
        flows[name] = _TransitionReward(_conform(value, batch, core, f"transition reward '{name}'"),
                                        by_cycle)
    return flows


class _TransitionMatrices:
    """The transition matrices of each cycle, from an array or a callable, each checked once."""

    def __init__(self, transitions: Transitions, n_cycles: int, context: _Context, check: bool) -> None:
        self.context, self.check = context, check
        self.core = (len(context.states), len(context.states))
        self.function = transitions if callable(transitions) else None
        self.by_cycle = self.function is None and _has_time_axis(transitions, context.batch, 2)
        if self.function is None:
            core = (n_cycles, *self.core) if self.by_cycle else self.core
            self.array = _conform(transitions, context.batch, core, "the transition array")
            if check:
                _check_transitions(self.array, context, by_cycle=self.by_cycle)

    def at(self, cycle: int) -> np.ndarray:
        """P_k, the matrices of cycle k, ``[..., S, S]``."""
        if self.function is None:
            return self.array[..., cycle, :, :] if self.by_cycle else self.array
        P = _conform(self.function(cycle), self.context.batch, self.core,
                     f"the transition matrices of cycle {cycle}")
        if self.check:
            _check_transitions(P, self.context, cycle=cycle)
        return P


# ---------------------------------------------------------------- validation

def _row_sums(P: np.ndarray) -> np.ndarray:
    """Σ_j P_ij, as one matrix–vector product over all rows (faster than a short-axis sum)."""
    n = P.shape[-1]
    return (np.reshape(P, (-1, n)) @ np.ones(n)).reshape(P.shape[:-1])


def _check_transitions(P: np.ndarray, context: _Context, *, by_cycle: bool = False,
                       cycle: int | None = None) -> None:
    """Raise ModelError unless every row of P is a probability distribution.

    ``P`` is ``[..., S, S]`` for one cycle (``cycle``; ``None`` = every cycle), or
    ``[..., n_cycles, S, S]`` when ``by_cycle``.
    """
    sums = _row_sums(P)
    lowest, smallest_sum, largest_sum = P.min(), sums.min(), sums.max()  # NaN propagates
    rows_ok = smallest_sum >= 1 - ROW_SUM_ATOL and largest_sum <= 1 + ROW_SUM_ATOL
    # Non-negative entries of rows summing to at most 1 + ENTRY_ATOL are all ≤ 1 + ENTRY_ATOL,
    # which spares a pass over P in the usual case.
    if rows_ok and lowest >= 0 and largest_sum <= 1 + ENTRY_ATOL:
        return
    if rows_ok and lowest >= -ENTRY_ATOL and P.max() <= 1 + ENTRY_ATOL:
        return
    shape = (*context.batch, *P.shape[-3 if by_cycle else -2:])
    P = np.broadcast_to(P, shape)
    sums = np.broadcast_to(sums, shape[:-1])
    entries_ok = (P >= -ENTRY_ATOL) & (P <= 1 + ENTRY_ATOL)
    bad_rows = ~(np.abs(sums - 1) <= ROW_SUM_ATOL) | ~entries_ok.all(-1)
    if by_cycle:  # the earliest cycle with a problem, then the first set, strategy and row
        cycle, *batch_index, row = (int(i) for i in np.argwhere(np.moveaxis(bad_rows, -2, 0))[0])
        index = (*batch_index, cycle, row)
    else:
        *batch_index, row = index = tuple(int(i) for i in np.argwhere(bad_rows)[0])
    state = context.states[row]
    if np.isnan(P[index]).any():
        problem = f"from state '{state}' contain NaN"
    elif not entries_ok[index].all():
        column = int(np.argmin(entries_ok[index]))
        problem = (f"from state '{state}' to '{context.states[column]}' is "
                   f"{P[index][column]:.6g}, outside [0, 1]")
    else:
        problem = f"from state '{state}' sum to {sums[index]:.12g}, not 1 (tolerance {ROW_SUM_ATOL:g})"
    when = "at every cycle" if cycle is None else f"at cycle {cycle}"
    offending = bad_rows.any(-1)
    if by_cycle:
        offending = offending.any(-1)
    _raise(f"transition probabilities {problem}{context.strategy(tuple(batch_index))} {when}",
           offending)


def _check_distribution(initial: np.ndarray, context: _Context) -> None:
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
    _raise(f"the initial state distribution {problem}{context.strategy(index)}", bad)


def _raise(message: str, offending: np.ndarray) -> None:
    """Raise ModelError listing the offending parameter sets (batch axis 0, if any)."""
    if offending.ndim == 0:
        raise ModelError(message, sets=None)
    sets = np.unique(np.nonzero(offending)[0])
    shown = ", ".join(str(s) for s in sets[:5]) + (", …" if len(sets) > 5 else "")
    raise ModelError(f"{message}: parameter set(s) {shown} ({len(sets)} in all)", sets=sets)


# ---------------------------------------------------------------- tunnel states

@dataclass(frozen=True)
class Tunnel:
    """A model whose state ``state`` is expanded into tunnel states by time spent in it.

    Attributes
    ----------
    transitions:
        The expanded matrices ``[..., S + D − 1, S + D − 1]``.
    state_names:
        Expanded names: the original order, with ``state`` replaced by ``state_1 … state_D``.
    state:
        Index of the tunnelled state in the original model.
    n_tunnel:
        D, the number of durations (the last one absorbing).
    """

    transitions: np.ndarray
    state_names: tuple[str, ...]
    state: int
    n_tunnel: int

    @property
    def tunnel(self) -> slice:
        """Positions of ``state_1 … state_D`` in the expanded model."""
        return slice(self.state, self.state + self.n_tunnel)

    def initial(self, distribution: ArrayLike) -> np.ndarray:
        """Expand an initial distribution ``[..., S]``: members of the state start in ``state_1``."""
        distribution = np.asarray(distribution, dtype=float)
        zeros = np.zeros((*distribution.shape[:-1], self.n_tunnel - 1))
        return np.concatenate([distribution[..., :self.state + 1], zeros,
                               distribution[..., self.state + 1:]], axis=-1)

    def repeat(self, values: ArrayLike) -> np.ndarray:
        """Expand per-state values ``[..., S]`` (e.g. a reward) to every duration of the state."""
        values = np.asarray(values, dtype=float)
        return np.repeat(values, self._copies(values.shape[-1]), axis=-1)

    def collapse(self, trace: ArrayLike) -> np.ndarray:
        """Sum an expanded trace ``[..., S + D − 1]`` back over the durations: ``[..., S]``."""
        trace = np.asarray(trace, dtype=float)
        tunnel = trace[..., self.tunnel].sum(-1, keepdims=True)
        return np.concatenate([trace[..., :self.state], tunnel, trace[..., self.tunnel.stop:]], axis=-1)

    def _copies(self, n_states: int) -> np.ndarray:
        copies = np.ones(n_states, dtype=int)
        copies[self.state] = self.n_tunnel
        return copies


def expand_tunnel(transitions_by_duration: ArrayLike, state: int | str,
                  state_names: Sequence[str]) -> Tunnel:
    """Expand a state whose exits depend on the time spent in it into D tunnel states.

    Parameters
    ----------
    transitions_by_duration:
        ``[..., D, S, S]``: slice ``d`` is the transition matrix for members who have spent
        ``d`` whole cycles in ``state`` (d = 0 on entry; the last slice applies to D − 1 cycles
        or more, so ``state_D`` is absorbing in duration). Only row ``state`` is read per
        duration; the rows of the other states are read from slice 0.
    state:
        The state to expand, by index or name.
    state_names:
        The S original state names.

    Returns
    -------
    Tunnel
        The expanded matrices ``[..., S + D − 1, S + D − 1]``: entries into ``state`` go to
        ``state_1``; from ``state_d`` the probability of staying leads to ``state_{d+1}``
        (``state_D`` to itself) and the exits are those of duration d − 1.
    """
    P = np.asarray(transitions_by_duration, dtype=float)
    names = tuple(state_names)
    if P.ndim < 3 or P.shape[-1] != P.shape[-2] or P.shape[-1] != len(names):
        raise InputError(f"transitions by duration have shape {P.shape}",
                         fix=f"shape them [..., durations, {len(names)}, {len(names)}]")
    x = names.index(state) if isinstance(state, str) else int(state)
    n_durations, n = P.shape[-3], len(names)
    new = np.concatenate([np.arange(x + 1), np.arange(x + 1, n) + n_durations - 1])  # old -> new index
    others = np.delete(np.arange(n), x)
    durations = np.arange(n_durations)
    expanded = np.zeros((*P.shape[:-3], n + n_durations - 1, n + n_durations - 1))
    expanded[..., new[others, None], new[None, :]] = P[..., 0, others, :]
    exits = P[..., durations, x, :]                                            # [..., D, S]
    expanded[..., x + durations[:, None], new[None, others]] = exits[..., others]
    expanded[..., x + durations, x + np.minimum(durations + 1, n_durations - 1)] = exits[..., x]
    expanded_names = (*names[:x], *(f"{names[x]}_{d + 1}" for d in durations), *names[x + 1:])
    return Tunnel(expanded, expanded_names, x, n_durations)

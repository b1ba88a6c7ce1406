"""Cohort state-transition (Markov) engine, vectorised over a batch of parameter sets.

A cohort's state membership ``m_k`` (a row vector over the ``S`` states) at the trace points
``t_k = k·Δ`` (``k = 0 … n``, ``Δ`` the cycle length in years) follows

    m_{k+1} = m_k · P_k,

with ``P_k`` the (row-stochastic) transition matrix of cycle ``k``, from ``t_k`` to
``t_{k+1}``. A reward ``r`` per cycle spent in a state (a cost, a utility × Δ, Δ itself for
life years) totals

    undiscounted   Σ_k w_k · Σ_s m_{k,s} · r_{k,s},
    discounted     Σ_k ŵ_k · Σ_s m_{k,s} · r_{k,s},

with ``w_k`` the within-cycle correction's weight of trace point ``k`` (:func:`cycle_weights`)
and ``ŵ_k`` that weight discounted by ``D(t)`` (:class:`DiscountSchedule`) when the discount
timing (:data:`DISCOUNT_TIMINGS`) says:

    trace-time     ŵ_k = w_k · D(t_k)                     (TreeAge, DARTH, hesim)
    cycle-start    ŵ_k = Σ_c C_{c,k} · D(t_c)             (heemod: cycle c + 1 by (1 + r)^−c)
    cycle-end      ŵ_k = Σ_c C_{c,k} · D(t_{c+1})         (rdecision)

``C_{c,k}`` is the share of trace point ``k`` in the corrected value of cycle ``c``
(:func:`cycle_allocation`, ``Σ_c C_{c,k} = w_k``): the cycle timings discount each cycle's
corrected value as a whole. A reward ``R_ij`` per unit of cohort moving from ``i`` to ``j`` in
a cycle (an event count, a one-off cost) is counted once at the end of its cycle,

    Σ_k u_k · Σ_i m_{k,i} Σ_j P_{k,ij} R_{k,ij},    u_k = 1, discounted at D(t_{k+1})
                                                     (at D(t_k) under cycle-start),

or, with ``correct_transitions=True`` (DARTH's convention), like a state reward of the trace
point ``t_{k+1}`` that ends the cycle: ``u_k = w_{k+1}``, discounted ``ŵ_{k+1}``.

Every array carries a leading batch shape (conventionally ``[sets, strategies]``); the loop
runs over cycles only. References: Sonnenberg & Beck, *Med Decis Making* 1993;13:322–338
(Markov models in medical decision making); Siebert et al., *Value Health* 2012;15:812–820
(ISPOR–SMDM state-transition modelling); Elbasha & Chhatwal, *Med Decis Making*
2016;36:115–126 (within-cycle corrections); ``docs/markov.md`` maps each convention to its
name in TreeAge, heemod, hesim, DARTH and rdecision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from hecon.errors import InputError
from hecon.model.transitions import Filler, Transitions, Where, check_distribution, check_matrices

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CORRECTIONS",
    "DAY",
    "DISCOUNT_TIMINGS",
    "WEEK",
    "YEAR",
    "DiscountSchedule",
    "MarkovResult",
    "PerCycle",
    "Transitions",
    "Tunnel",
    "cycle_allocation",
    "cycle_weights",
    "expand_tunnel",
    "run_cohort",
]

DAY = 1 / 365.25
WEEK = 7 / 365.25
YEAR = 1.0

#: The named within-cycle corrections (:func:`cycle_weights`).
CORRECTIONS = ("none", "end", "half-cycle", "trapezoid", "simpson")
#: When a reward is discounted: at its trace point, or with its cycle, at the cycle's start or end.
DISCOUNT_TIMINGS = ("trace-time", "cycle-start", "cycle-end")

#: Explicit matrices (an array, or ``cycle -> array``), or the model's edges (:class:`Transitions`).
Matrices = ArrayLike | Callable[[int], ArrayLike] | Transitions
#: A correction name, weights over the n + 1 trace points, or each cycle's shares [n, n + 1].
Correction = str | ArrayLike
#: An annual rate, or an array of them with the batch's axes (one per parameter set).
Rate = float | ArrayLike


# ---------------------------------------------------------------- discounting

@dataclass(frozen=True, eq=False)
class DiscountSchedule:
    """Piecewise-constant annual discount rates.

    ``rates[i]`` applies from ``breakpoints[i-1]`` to ``breakpoints[i]`` years (the first from
    0, the last without end); e.g. ``DiscountSchedule((0.025, 0.015), (30,))`` is the HAS
    reference case (2.5 % a year, 1.5 % beyond 30 years). A rate may be an array with the
    batch's axes — ``[sets, 1]`` for one rate per parameter set — so that a one-way analysis
    on the discount rate runs as one batch.
    """

    rates: tuple[float | np.ndarray, ...]
    breakpoints: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", tuple(_annual_rate(r) for r in self.rates))
        object.__setattr__(self, "breakpoints", tuple(_years(b) for b in self.breakpoints))
        if len(self.rates) != len(self.breakpoints) + 1:
            raise InputError(f"{len(self.rates)} discount rate(s) for {len(self.breakpoints)} "
                             "breakpoint(s)", fix="give one more rate than breakpoints")
        edges = (0.0, *self.breakpoints)
        if any(not b > a for a, b in zip(edges, edges[1:], strict=False)):
            raise InputError(f"discount breakpoints must be positive and increasing: {self.breakpoints}",
                             fix="give the years at which the rate changes, in increasing order")
        if _broadcast(*(np.shape(r) for r in self.rates)) is None:
            raise InputError("the arrays of discount rates have shapes "
                             f"{[np.shape(r) for r in self.rates]}, which do not broadcast together",
                             fix="give every array of rates the batch's axes, e.g. [sets, 1]")

    @classmethod
    def constant(cls, rate: Rate) -> DiscountSchedule:
        """One annual rate (or one per parameter set) for the whole horizon."""
        return cls((rate,))

    @cached_property
    def shape(self) -> tuple[int, ...]:
        """The batch shape of the rates: ``()`` when every parameter set shares them."""
        return _broadcast(*(np.shape(r) for r in self.rates))

    def factor(self, t_years: ArrayLike) -> np.ndarray:
        """Discount factor at time ``t`` (years), shaped ``[*self.shape, *t.shape]``.

        D(t) = Π_i (1 + r_i)^(−τ_i(t)), with τ_i(t) the time spent in segment i before t:
        continuous-time compounding of the annual rates, so that at whole years under one rate
        D(k) = 1/(1 + r)^k, the usual factor. Times before 0 compound the first rate backwards.
        """
        t = np.asarray(t_years, dtype=float)
        lower = np.array((-np.inf, *self.breakpoints))
        upper = np.array((*self.breakpoints, np.inf))
        years_in_segment = np.clip(t[..., None], lower, upper) - np.maximum(lower, 0.0)
        if not self.shape:
            return np.exp(-(years_in_segment @ np.log1p(self.rates)))
        log_growth = np.stack(np.broadcast_arrays(*(np.log1p(r) for r in self.rates)), axis=-1)
        return np.exp(-np.tensordot(log_growth, years_in_segment, axes=(-1, -1)))


def _annual_rate(rate: Rate) -> float | np.ndarray:
    """A discount rate checked finite and above −1: a float, or a read-only array of them."""
    if isinstance(rate, str | bytes | bool | np.bool_):
        raise InputError(f"a discount rate must be a number, not {rate!r}",
                         fix="give annual rates as fractions, e.g. 0.025 for 2.5 %")
    try:
        array = np.array(rate, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"a discount rate must be a number or an array of numbers, not {type(rate).__name__}",
                         fix="give annual rates as fractions, e.g. 0.025 for 2.5 %") from None
    ok = np.isfinite(array) & (array > -1)
    if array.size == 0 or not ok.all():
        shown = "an empty array" if array.size == 0 else f"{array[~ok].flat[0]:g}"
        raise InputError(f"discount rates must be finite numbers above −1, not {shown}",
                         fix="give annual rates as fractions, e.g. 0.025 for 2.5 %")
    if array.ndim == 0:
        return float(array)
    array.setflags(write=False)
    return array


def _years(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"a discount breakpoint must be a number of years, not {value!r}",
                         fix="give the years at which the rate changes, e.g. (30,)") from None


def _broadcast(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    """The broadcast of ``shapes``, or None if they do not broadcast together."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


def _schedule(discount: DiscountSchedule | Rate | None) -> DiscountSchedule:
    if discount is None:
        return DiscountSchedule.constant(0.0)
    if isinstance(discount, DiscountSchedule):
        return discount
    return DiscountSchedule.constant(discount)


def _schedules(discount, names: Sequence[str], batch: tuple[int, ...]) -> dict[str, DiscountSchedule]:
    """Each reward's discount schedule: one for all, or one per reward name from a mapping
    (which must name every reward, so that none is left undiscounted by omission)."""
    if isinstance(discount, Mapping):
        unknown = [str(name) for name in discount if name not in names]
        missing = [name for name in names if name not in discount]
        if unknown:
            raise InputError(f"discount given for unknown reward(s): {', '.join(unknown)}",
                             fix="key the mapping by reward name: " + ", ".join(names))
        if missing:
            raise InputError(f"no discount given for reward(s): {', '.join(missing)}",
                             fix="give every reward a schedule or a rate (0 or None for none)")
        schedules = {}
        for name in names:
            try:
                schedules[name] = _schedule(discount[name])
            except InputError as error:
                raise InputError(f"discount of '{name}': {error.message}", fix=error.fix) from None
        for name, schedule in schedules.items():
            _check_fits(schedule, batch, f"the discount rates of '{name}'")
        return schedules
    schedule = _schedule(discount)
    _check_fits(schedule, batch, "the discount rates")
    return dict.fromkeys(names, schedule)


def _check_fits(schedule: DiscountSchedule, batch: tuple[int, ...], what: str) -> None:
    """Rates varying across the batch must have the batch's axes (each of its size or 1)."""
    shape = schedule.shape
    if shape and (len(shape) != len(batch) or _broadcast(shape, batch) != batch):
        raise InputError(f"{what} have shape {shape}, which does not fit the batch {batch}",
                         fix="give one rate, or an array with the batch's axes "
                             "(e.g. [sets, 1] for one rate per parameter set)")


# ---------------------------------------------------------------- within-cycle correction

def cycle_weights(n_cycles: int, correction: Correction) -> np.ndarray:
    """Quadrature weights ``w_k`` on the trace points ``t_k = k·Δ``, ``k = 0 … n_cycles``.

    The time integral of a reward over the horizon is approximated by
    ∫ m(t) r(t) dt ≈ Δ Σ_k w_k m_k r_k; rewards are amounts per cycle, so Δ is inside them.

    ``none``
        (1, …, 1, 0): membership counted at the start of each cycle (left Riemann sum; the
        cohort is assumed to stay a whole cycle where it starts it). First order in Δ.
    ``end``
        (0, 1, …, 1): membership counted at the end of each cycle, cycles 1 … n (right Riemann
        sum; TreeAge without half-cycle correction, many textbooks). First order.
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
    weights
        Any n + 1 finite weights (e.g. DARTH's ``gen_wcc`` vector), returned as given; or a
        matrix ``[n, n + 1]`` of each cycle's shares (:func:`cycle_allocation`), whose column
        sums are the weights.

    Reference: Elbasha & Chhatwal, *Med Decis Making* 2016;36:115–126.
    """
    return _within_cycle(correction, _n_cycles(n_cycles)).weights.copy()


def cycle_allocation(n_cycles: int, correction: Correction) -> np.ndarray:
    """``C[c, k]``, the share of trace point ``t_k`` in the corrected value of cycle ``c``.

    A cycle's corrected value is ``Σ_k C[c, k]·m_k·r_k``; the column sums are
    :func:`cycle_weights`. The cycle-start and cycle-end discount timings discount each cycle's
    corrected value with the cycle's factor. ``none`` counts ``m_c`` in cycle ``c``, ``end``
    ``m_{c+1}``, ``half-cycle`` ``m_{c+1}`` plus ``m_0/2`` in the first cycle, ``trapezoid``
    ``(m_c + m_{c+1})/2`` (heemod's life-table counts); ``simpson`` the integral over the cycle
    of the parabola through its panel's three points — (5, 8, −1)/12 and (−1, 8, 5)/12 in the
    two cycles of a 1/3 panel — or of the cubic through the four points of the 3/8 panel —
    (9, 19, −5, 1)/24, (−1, 13, 13, −1)/24, (1, −5, 19, 9)/24. A weight vector over the trace
    points does not say which cycle each weight belongs to and has no allocation. The result is
    a dense ``[n, n + 1]`` matrix, for inspection.
    """
    n = _n_cycles(n_cycles)
    shares = _within_cycle(correction, n).shares
    if shares is None:
        raise InputError("a vector of weights over the trace points has no cycle allocation",
                         fix=f"give a named rule or a matrix [{n}, {n + 1}] of each cycle's shares")
    return shares.matrix()


def _named_weights(n: int, correction: str) -> np.ndarray:
    weights = np.ones(n + 1)
    if correction == "none":
        weights[-1] = 0.0
    elif correction == "end":
        weights[0] = 0.0
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


#: Each cycle's shares of a Simpson panel's points, by offset from the cycle's start: the
#: integrals over the cycle of the interpolating parabola (1/3 panel, ×1/12) and cubic (3/8, ×1/24).
_SIMPSON_THIRD = ({0: 5, 1: 8, 2: -1}, {-1: -1, 0: 8, 1: 5})
_SIMPSON_THREE_EIGHTHS = ({0: 9, 1: 19, 2: -5, 3: 1}, {-1: -1, 0: 13, 1: 13, 2: -1},
                          {-2: 1, -1: -5, 0: 19, 1: 9})


@dataclass(frozen=True)
class _CycleShares:
    """``C[c, c + offset]`` stored by diagonal (the named rules touch at most four points)."""

    n: int
    diagonals: Mapping[int, np.ndarray]     # offset -> shares of cycles 0 … n − 1

    @classmethod
    def named(cls, n: int, correction: str) -> _CycleShares:
        diagonals: defaultdict[int, np.ndarray] = defaultdict(lambda: np.zeros(n))
        if correction == "none":
            diagonals[0][:] = 1.0
        elif correction == "end":
            diagonals[1][:] = 1.0
        elif correction == "half-cycle":
            diagonals[1][:] = 1.0
            diagonals[0][0] = 0.5
        elif correction == "trapezoid" or n == 1:
            diagonals[0][:] = diagonals[1][:] = 0.5
        else:
            n_third = n if n % 2 == 0 else n - 3
            for first, stencil in enumerate(_SIMPSON_THIRD):
                for offset, share in stencil.items():
                    diagonals[offset][first:n_third:2] += share / 12
            for cycle, stencil in enumerate(_SIMPSON_THREE_EIGHTHS if n_third < n else (), n_third):
                for offset, share in stencil.items():
                    diagonals[offset][cycle] += share / 24
        return cls(n, dict(diagonals))

    @classmethod
    def from_matrix(cls, matrix: np.ndarray) -> _CycleShares:
        n = matrix.shape[0]
        diagonals = {}
        for offset in range(1 - n, n + 1):
            shares = np.zeros(n)
            band = np.diagonal(matrix, offset)
            shares[max(0, -offset):max(0, -offset) + band.size] = band
            if shares.any():
                diagonals[offset] = shares
        return cls(n, diagonals)

    def _cycles(self, offset: int) -> slice:
        """The cycles c whose point c + offset is a trace point (0 ≤ c + offset ≤ n)."""
        return slice(max(0, -offset), min(self.n, self.n + 1 - offset))

    def spread(self, per_cycle: np.ndarray) -> np.ndarray:
        """Σ_c f_c·C[c, k] for per-cycle values ``f`` ``[..., n]``: ``[..., n + 1]``."""
        out = np.zeros((*per_cycle.shape[:-1], self.n + 1))
        for offset, shares in self.diagonals.items():
            cycles = self._cycles(offset)
            out[..., cycles.start + offset:cycles.stop + offset] += shares[cycles] * per_cycle[..., cycles]
        return out

    def matrix(self) -> np.ndarray:
        matrix = np.zeros((self.n, self.n + 1))
        for offset, shares in self.diagonals.items():
            cycles = np.arange(self.n)[self._cycles(offset)]
            matrix[cycles, cycles + offset] = shares[cycles]
        return matrix


@dataclass(frozen=True)
class _WithinCycle:
    """A within-cycle correction on n cycles: the trace-point weights and, when known, each
    cycle's shares (a bare weight vector does not say which cycle a weight belongs to)."""

    weights: np.ndarray
    shares: _CycleShares | None


def _within_cycle(correction: Correction, n: int) -> _WithinCycle:
    if isinstance(correction, str):
        if correction not in CORRECTIONS:
            raise InputError(f"unknown within-cycle correction '{correction}'",
                             fix=f"use one of {', '.join(CORRECTIONS)}, or an array of weights")
        return _WithinCycle(_named_weights(n, correction), _CycleShares.named(n, correction))
    fix = (f"give one of {', '.join(CORRECTIONS)}, {n + 1} weights (one per trace point "
           f"t_0 … t_{n}), or a matrix [{n}, {n + 1}] of each cycle's shares of the trace points")
    try:
        weights = np.array(correction, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"the within-cycle correction is neither a name nor an array of "
                         f"numbers ({type(correction).__name__})", fix=fix) from None
    if weights.shape not in ((n + 1,), (n, n + 1)):
        raise InputError(f"within-cycle weights of shape {weights.shape} for {n} cycles", fix=fix)
    if not np.isfinite(weights).all():
        raise InputError("within-cycle weights must be finite numbers", fix=fix)
    weights.setflags(write=False)
    if weights.ndim == 1:
        return _WithinCycle(weights, None)
    shares = _CycleShares.from_matrix(weights)
    return _WithinCycle(weights.sum(axis=0), shares)


def _n_cycles(n_cycles: int) -> int:
    try:
        whole = not isinstance(n_cycles, bool) and int(n_cycles) == n_cycles and n_cycles >= 1
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise InputError(f"the number of cycles must be a positive integer, not {n_cycles!r}",
                         fix="give the horizon as a whole number of cycles ≥ 1")
    return int(n_cycles)


# ---------------------------------------------------------------- counting and discounting

@dataclass(frozen=True)
class _Counting:
    """What each trace point's state rewards (``points``, ``[..., n + 1]``) and each cycle's
    transition rewards (``flows``, ``[..., n]``) count for, under one discounting."""

    points: np.ndarray
    flows: np.ndarray


def _counting(within: _WithinCycle, factors: np.ndarray | None, timing: str,
              correct_transitions: bool) -> _Counting:
    """The weights ``w_k`` and ``u_k`` (``factors=None``) or, with the discount factors
    ``D(t_k)`` ``[..., n + 1]``, their discounted ``ŵ_k`` and ``û_k`` (module docstring)."""
    n = within.weights.size - 1
    if factors is None:
        points = within.weights
        flows = points[1:] if correct_transitions else np.ones(n)
        return _Counting(points, flows)
    at_cycle = factors[..., :-1] if timing == "cycle-start" else factors[..., 1:]
    points = within.weights * factors if timing == "trace-time" else within.shares.spread(at_cycle)
    return _Counting(points, points[..., 1:] if correct_transitions else at_cycle)


def _check_timing(timing: str, within: _WithinCycle) -> None:
    if not isinstance(timing, str) or timing not in DISCOUNT_TIMINGS:
        raise InputError(f"unknown discount timing {timing!r}",
                         fix=f"use one of {', '.join(DISCOUNT_TIMINGS)}")
    if timing != "trace-time" and within.shares is None:
        raise InputError(f"{timing} discounting needs each cycle's share of the within-cycle "
                         "weights, which a vector of weights over the trace points does not give",
                         fix="give the correction as a named rule or a matrix [cycles, trace points] "
                             "(see cycle_allocation), or discount at trace time")


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be True or False, not {value!r}")
    return bool(value)


def _cycle_length(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not 0 < value < np.inf:
        raise InputError(f"the cycle length must be a positive number of years, not {value!r}",
                         fix="give it in years, e.g. hecon.model.markov.DAY or 1/12")
    return float(value)


def _strategy_names(names: Sequence[str] | None, batch: tuple[int, ...]) -> tuple[str, ...] | None:
    """The strategy names, one per entry of batch axis 1."""
    if names is None:
        return None
    if len(batch) < 2:
        raise InputError(f"strategy names given for a batch {batch} without a strategy axis",
                         fix="shape the initial distribution [sets, strategies, states]")
    return _names(names, batch[1], "strategy", "strategies")


# ---------------------------------------------------------------- the cohort run

@dataclass(frozen=True)
class PerCycle:
    """Rewards counted at each trace point ``t_k``: ``[..., n_cycles + 1]`` per reward.

    Entry ``k`` holds the state rewards of the members at ``t_k`` times their weight (``w_k``;
    ``ŵ_k`` in ``discounted``) plus the transition rewards of the cycle that ends at ``t_k``;
    the entries of a reward sum to its total.
    """

    undiscounted: dict[str, np.ndarray]
    discounted: dict[str, np.ndarray]


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
    strategy_names:
        The names of the strategies (batch axis 1), when given.
    per_cycle:
        What each trace point adds to each reward (:class:`PerCycle`), when run with
        ``per_cycle=True``; :meth:`per_cycle_frame` tabulates it.
    """

    trace: np.ndarray | None
    undiscounted: dict[str, np.ndarray]
    discounted: dict[str, np.ndarray]
    state_names: tuple[str, ...]
    cycle_length: float
    strategy_names: tuple[str, ...] | None = None
    per_cycle: PerCycle | None = None

    def per_cycle_frame(self) -> pd.DataFrame:
        """The per-cycle rewards as a tidy table, one row per trace point, batch cell and reward.

        Columns: ``cycle`` (k), ``time`` (t_k in years), ``set`` and ``strategy`` (batch axes 0
        and 1, when the batch has them; strategy names when given), ``reward``,
        ``undiscounted``, ``discounted``.
        """
        import pandas as pd

        if self.per_cycle is None:
            raise InputError("this run kept no per-cycle rewards", fix="run it with per_cycle=True")
        columns = ["cycle", "time", "reward", "undiscounted", "discounted"]
        if not self.per_cycle.undiscounted:
            return pd.DataFrame(columns=columns)
        shape = next(iter(self.per_cycle.undiscounted.values())).shape
        index = np.indices(shape).reshape(len(shape), -1)
        cells = {"cycle": index[-1], "time": index[-1] * self.cycle_length}
        axes = ("set", "strategy", *(f"axis_{i}" for i in range(2, len(shape) - 1)))
        cells.update(zip(axes, index[:-1], strict=False))
        if self.strategy_names is not None and "strategy" in cells:
            cells["strategy"] = np.asarray(self.strategy_names, dtype=object)[cells["strategy"]]
        table = pd.DataFrame(cells)
        return pd.concat([table.assign(reward=name, undiscounted=values.ravel(),
                                       discounted=self.per_cycle.discounted[name].ravel())
                          for name, values in self.per_cycle.undiscounted.items()],
                         ignore_index=True)


class _Tally:
    """Reward totals, undiscounted and discounted, and (when asked) each trace point's part."""

    def __init__(self, names: Sequence[str], batch: tuple[int, ...], n_points: int | None) -> None:
        self.undiscounted = {name: np.zeros(batch) for name in names}
        self.discounted = {name: np.zeros(batch) for name in names}
        self.points = None if n_points is None else {
            name: (np.zeros((n_points, *batch)), np.zeros((n_points, *batch))) for name in names}

    def add(self, name: str, point: int, weight, discounted_weight, amount: np.ndarray) -> None:
        undiscounted, discounted = weight * amount, discounted_weight * amount
        self.undiscounted[name] += undiscounted
        self.discounted[name] += discounted
        if self.points is not None:
            self.points[name][0][point] = undiscounted
            self.points[name][1][point] = discounted

    def per_cycle(self) -> PerCycle | None:
        if self.points is None:
            return None
        undiscounted = {name: np.moveaxis(parts[0], 0, -1) for name, parts in self.points.items()}
        discounted = {name: np.moveaxis(parts[1], 0, -1) for name, parts in self.points.items()}
        return PerCycle(undiscounted, discounted)


def run_cohort(
    transitions: Matrices,
    initial: ArrayLike,
    n_cycles: int,
    *,
    state_names: Sequence[str] | None = None,
    strategy_names: Sequence[str] | None = None,
    state_rewards: Mapping[str, ArrayLike] | None = None,
    transition_rewards: Mapping[str, ArrayLike] | None = None,
    cycle_length: float = YEAR,
    discount: DiscountSchedule | Rate | Mapping[str, DiscountSchedule | Rate | None] | None = None,
    discount_timing: str = "trace-time",
    correction: Correction = "half-cycle",
    correct_transitions: bool = False,
    keep_trace: bool = True,
    per_cycle: bool = False,
    check: bool = True,
) -> MarkovResult:
    """Run a cohort through a state-transition model and total its rewards.

    Parameters
    ----------
    transitions:
        Transition matrices, rows = from, columns = to: ``[..., S, S]`` (time-homogeneous),
        ``[..., n_cycles, S, S]`` (one per model cycle; told apart by having the batch's
        number of leading axes plus three), or a callable ``cycle -> [..., S, S]`` for
        cycles 0 … n_cycles − 1. Leading axes broadcast to the batch. Or the model's edges,
        :class:`~hecon.model.transitions.Transitions` (probabilities or competing hazards per
        edge, complements computed): the fast path, one buffer filled in place each cycle.
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
        ``[..., n_cycles, S, S]``; counted at the end of the cycle. A matrix of ones on the
        edges into a state counts entries into it (e.g. infection episodes).
    cycle_length:
        Δ in years (:data:`DAY`, :data:`WEEK`, :data:`YEAR` or any other positive value).
    discount:
        A :class:`DiscountSchedule`, an annual rate, an array of rates with the batch's axes
        (``[sets, 1]``: one per parameter set), ``None`` (no discounting) — or a mapping
        reward name -> any of these, naming every reward (e.g. the Dutch 4 % for costs and
        1.5 % for effects).
    discount_timing:
        One of :data:`DISCOUNT_TIMINGS` (module docstring): ``trace-time`` discounts what is
        counted at ``t_k`` by ``D(t_k)``; ``cycle-start`` and ``cycle-end`` discount each
        cycle's corrected value by the factor of the cycle's start (heemod: cycle c + 1 by
        (1 + r)^−c, the first cycle undiscounted) or end (rdecision).
    correction:
        Within-cycle correction: one of :data:`CORRECTIONS` (see :func:`cycle_weights`), or
        weights over the n + 1 trace points (trace-time discounting only), or each cycle's
        shares ``[n, n + 1]`` (see :func:`cycle_allocation`).
    correct_transitions:
        Count transition rewards like state rewards of the trace point that ends their cycle,
        with its correction weight and discount (DARTH); by default they count once,
        unweighted.
    keep_trace:
        Keep the trace; ``False`` bounds memory to a few cycles' worth.
    per_cycle:
        Also return what each trace point adds to each reward (:class:`PerCycle`).
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
    initial = _float_array(initial, "the initial state distribution")
    if initial.ndim == 0:
        raise InputError("the initial state distribution must be an array [..., states]")
    n_cycles = _n_cycles(n_cycles)
    batch, n_states = initial.shape[:-1], initial.shape[-1]
    context = Where(batch, _names(state_names, n_states, "state"),
                       _strategy_names(strategy_names, batch))
    within = _within_cycle(correction, n_cycles)
    _check_timing(discount_timing, within)
    correct_transitions = _flag(correct_transitions, "correct_transitions")
    per_cycle = _flag(per_cycle, "per_cycle")
    cycle_length = _cycle_length(cycle_length)
    matrices = _TransitionMatrices(transitions, n_cycles, context, check)
    if check:
        check_distribution(initial, context)
    constant, varying = _state_rewards(state_rewards or {}, batch, n_states, n_cycles)
    flows = _transition_rewards(transition_rewards or {}, batch, n_states, n_cycles)
    _unique_names(constant, varying, flows)
    schedules = _schedules(discount, (*constant, *varying, *flows), batch)
    times = np.arange(n_cycles + 1) * cycle_length
    counted = _counting(within, None, discount_timing, correct_transitions)
    distinct = {id(s): s for s in schedules.values()}
    discounting = {key: _counting(within, s.factor(times), discount_timing, correct_transitions)
                   for key, s in distinct.items()}
    if per_cycle:  # count constant rewards trace point by trace point, like time-varying ones
        varying |= {name: np.broadcast_to(r[..., None, :], (*r.shape[:-1], n_cycles + 1, n_states))
                    for name, r in constant.items()}
        constant = {}
    # discounted weights indexed by trace point (state rewards) or cycle (transition rewards)
    point_weight = {name: np.moveaxis(discounting[id(schedules[name])].points, -1, 0)
                    for name in varying}
    flow_weight = {name: np.moveaxis(discounting[id(schedules[name])].flows, -1, 0) for name in flows}
    member_weight = {id(schedules[name]): _per_member(discounting[id(schedules[name])].points)
                     for name in constant}

    tally = _Tally((*varying, *flows), batch, n_cycles + 1 if per_cycle else None)
    trace = np.empty((n_cycles + 1, *batch, n_states)) if keep_trace else None
    occupancy = np.zeros(initial.shape)
    occupancy_discounted = {key: np.zeros(initial.shape) for key in member_weight}
    membership = initial
    if trace is not None:
        trace[0] = initial
    for k in range(n_cycles + 1):
        w = counted.points[k]
        occupancy += w * membership
        for key, weights in member_weight.items():
            occupancy_discounted[key] += weights[k] * membership
        for name, reward in varying.items():
            tally.add(name, k, w, point_weight[name][k], np.vecdot(membership, reward[..., k, :]))
        if k == n_cycles:
            break
        P = matrices.at(k)
        for name, reward in flows.items():
            tally.add(name, k + 1, counted.flows[k], flow_weight[name][k], reward.amount(membership, P, k))
        membership = np.vecmat(membership, P, out=None if trace is None else trace[k + 1])
    for name, reward in constant.items():
        tally.undiscounted[name] = np.vecdot(occupancy, reward)
        tally.discounted[name] = np.vecdot(occupancy_discounted[id(schedules[name])], reward)
    return MarkovResult(
        trace=None if trace is None else np.moveaxis(trace, 0, -2),
        undiscounted=tally.undiscounted,
        discounted=tally.discounted,
        state_names=context.states,
        cycle_length=cycle_length,
        strategy_names=context.strategies,
        per_cycle=tally.per_cycle(),
    )


def _per_member(weights: np.ndarray) -> np.ndarray:
    """Discounted point weights ``[..., n + 1]`` indexed by point first, each entry shaped to
    multiply a membership ``[..., S]``: ``[n + 1]`` (scalars) or ``[n + 1, ..., 1]``."""
    return weights if weights.ndim == 1 else np.moveaxis(weights, -1, 0)[..., None]


def _names(names: Sequence[str] | None, n: int, what: str, plural: str | None = None) -> tuple[str, ...]:
    if names is None:
        return tuple(f"{what}_{i}" for i in range(n))
    names = tuple(names)
    if len(names) != n:
        raise InputError(f"{len(names)} {what} names for {n} {plural or what + 's'}",
                         fix=f"give one name per {what}")
    return names


def _float_array(value: ArrayLike, what: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} is not an array of numbers ({type(value).__name__})",
                         fix="give numbers (floats) only") from None


def _conform(value: ArrayLike, batch: tuple[int, ...], core: tuple[int, ...], what: str) -> np.ndarray:
    """``value`` as a float array whose leading axes broadcast to ``batch`` and core axes are ``core``."""
    array = _float_array(value, what)
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
    """The transition matrices of each cycle — from an array, a callable or the model's edges
    (:class:`~hecon.model.transitions.Transitions`, filled in one reused buffer) — each checked once."""

    def __init__(self, transitions: Matrices, n_cycles: int, context: Where, check: bool) -> None:
        self.context, self.check = context, check
        self.core = (len(context.states), len(context.states))
        self.edges = None
        if isinstance(transitions, Transitions):
            if len(transitions.states) != len(context.states):
                raise InputError(f"the transitions name {len(transitions.states)} states, the initial "
                                 f"distribution has {len(context.states)}", fix="give one share per state")
            self.edges = Filler(transitions, context.batch, context, check)
            return
        self.function = transitions if callable(transitions) else None
        self.by_cycle = self.function is None and _has_time_axis(transitions, context.batch, 2)
        if self.function is None:
            core = (n_cycles, *self.core) if self.by_cycle else self.core
            self.array = _conform(transitions, context.batch, core, "the transition array")
            if check:
                check_matrices(self.array, context, by_cycle=self.by_cycle)

    def at(self, cycle: int) -> np.ndarray:
        """P_k, the matrices of cycle k, ``[..., S, S]``."""
        if self.edges is not None:
            return self.edges.at(cycle)
        if self.function is None:
            return self.array[..., cycle, :, :] if self.by_cycle else self.array
        P = _conform(self.function(cycle), self.context.batch, self.core,
                     f"the transition matrices of cycle {cycle}")
        if self.check:
            check_matrices(P, self.context, cycle=cycle)
        return P


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

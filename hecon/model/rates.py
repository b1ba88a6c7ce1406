"""Rates, probabilities, odds and relative effects, vectorised over parameter sets.

Every function takes NumPy arrays (or scalars) that broadcast together and returns an array.
Under a constant hazard ``r`` over a period ``t`` the probability of the event is
``p = 1 − exp(−r t)`` (Briggs, Claxton & Sculpher 2006, *Decision Modelling for Health
Economic Evaluation*, §3.2; Fleurence & Hollenbeak 2007, *PharmacoEconomics* 25:3–6).
Invalid arithmetic — a negative rate, a probability outside [0, 1] or a NaN, a result that
leaves [0, 1] — raises :class:`~hecon.errors.ModelError`, whose ``sets`` lists the indices
(along the first axis) of the offending parameter sets.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from hecon.errors import ModelError

__all__ = [
    "apply_hr",
    "apply_or",
    "apply_rr",
    "competing_risks",
    "convert_prob",
    "odds",
    "prob_from_odds",
    "prob_to_rate",
    "rate_to_prob",
]


def _refuse(bad: np.ndarray, values: np.ndarray, what: str) -> None:
    """Raise ModelError if any element of ``bad`` is true, naming the first offending value."""
    if not np.any(bad):
        return
    bad = np.broadcast_to(bad, np.broadcast_shapes(bad.shape, values.shape))
    first = np.broadcast_to(values, bad.shape)[bad].flat[0]
    sets = np.unique(np.nonzero(bad)[0]) if bad.ndim else None
    raise ModelError(f"{what}: {first:g} ({np.count_nonzero(bad)} value(s))", sets=sets)


def _probability(prob: ArrayLike, name: str = "probability") -> np.ndarray:
    prob = np.asarray(prob, dtype=float)
    _refuse(~((prob >= 0) & (prob <= 1)), prob, f"{name} outside [0, 1] or NaN")
    return prob


def _non_negative(value: ArrayLike, name: str) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    _refuse(~(value >= 0), value, f"negative or NaN {name}")
    return value


def _positive(value: ArrayLike, name: str) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    _refuse(~(value > 0), value, f"{name} must be positive")
    return value


def _result(prob: np.ndarray, what: str) -> np.ndarray:
    _refuse(~((prob >= 0) & (prob <= 1)), prob, f"{what} gives a probability outside [0, 1]")
    return prob


def rate_to_prob(rate: ArrayLike, time: ArrayLike = 1.0) -> np.ndarray:
    """Probability of at least one event over ``time`` under a constant ``rate``:
    p = 1 − exp(−r·t)."""
    rate = _non_negative(rate, "rate")
    time = _non_negative(time, "time")
    return -np.expm1(-rate * time)


def prob_to_rate(prob: ArrayLike, time: ArrayLike = 1.0) -> np.ndarray:
    """Constant rate giving probability ``prob`` over ``time``: r = −ln(1 − p) / t
    (infinite for p = 1)."""
    prob = _probability(prob)
    time = _positive(time, "time")
    with np.errstate(divide="ignore"):
        return -np.log1p(-prob) / time


def convert_prob(prob: ArrayLike, from_time: ArrayLike, to_time: ArrayLike) -> np.ndarray:
    """Probability over ``to_time`` equivalent, under a constant rate, to ``prob`` over
    ``from_time``: p' = 1 − (1 − p)^(to_time / from_time).

    For example a 5-year survival probability to an annual one: ``convert_prob(p, 5, 1)``.
    """
    prob = _probability(prob)
    ratio = _non_negative(to_time, "to_time") / _positive(from_time, "from_time")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(prob == 1, np.where(ratio > 0, 1.0, 0.0), -np.expm1(np.log1p(-prob) * ratio))


def odds(prob: ArrayLike) -> np.ndarray:
    """Odds p / (1 − p) (infinite for p = 1)."""
    prob = _probability(prob)
    with np.errstate(divide="ignore"):
        return prob / (1 - prob)


def prob_from_odds(odds: ArrayLike) -> np.ndarray:
    """Probability o / (1 + o) from odds o ≥ 0 (1 for infinite odds)."""
    odds = _non_negative(odds, "odds")
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(odds), 1.0, odds / (1 + odds))


def apply_rr(prob: ArrayLike, rr: ArrayLike) -> np.ndarray:
    """Probability under a relative risk: p' = p·RR; a result above 1 is a ModelError
    (prefer :func:`apply_hr` or :func:`apply_or` when p·RR may exceed 1)."""
    prob = _probability(prob)
    rr = _non_negative(rr, "relative risk")
    return _result(prob * rr, "relative risk")


def apply_hr(prob: ArrayLike, hr: ArrayLike, time: ArrayLike = 1.0) -> np.ndarray:
    """Probability under a hazard ratio, assuming proportional hazards.

    With ``prob`` the probability over one period, p' = 1 − (1 − p)^(HR·t) is the probability
    over ``time`` periods when the hazard is multiplied by HR (t = 1: the same period,
    p' = 1 − (1 − p)^HR; Briggs, Claxton & Sculpher 2006, §3.2).
    """
    prob = _probability(prob)
    exponent = _non_negative(hr, "hazard ratio") * _non_negative(time, "time")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(prob == 1, np.where(exponent > 0, 1.0, 0.0),
                        -np.expm1(np.log1p(-prob) * exponent))


def apply_or(prob: ArrayLike, or_: ArrayLike) -> np.ndarray:
    """Probability under an odds ratio: p' = OR·o / (1 + OR·o) with o = p / (1 − p)."""
    prob = _probability(prob)
    or_ = _non_negative(or_, "odds ratio")
    with np.errstate(invalid="ignore"):
        return np.where(prob == 1, np.where(or_ > 0, 1.0, 0.0),
                        or_ * prob / (1 - prob + or_ * prob))


def competing_risks(hazards: ArrayLike, time: ArrayLike = 1.0) -> np.ndarray:
    """Probabilities of leaving a state by each of k competing exits over ``time``.

    ``hazards`` is shaped ``[..., k]`` (constant cause-specific hazards hᵢ); the result has the
    same shape:

        pᵢ = hᵢ / H · (1 − exp(−H t)),   H = Σᵢ hᵢ   (pᵢ = 0 where H = 0),

    and the probability of staying is 1 − Σᵢ pᵢ = exp(−H t). Converting each hazard on its
    own with 1 − exp(−hᵢ t) overstates the exits, because it ignores that leaving by one
    cause removes the patient from the risk of the others (Putter, Fiocco & Geskus 2007,
    *Statistics in Medicine* 26:2389–2430; Briggs, Claxton & Sculpher 2006, §3.2).
    ``time`` broadcasts against ``hazards[..., 0]``.
    """
    hazards = _non_negative(hazards, "hazard")
    time = _non_negative(time, "time")
    total = hazards.sum(axis=-1, keepdims=True)
    leave = -np.expm1(-total * np.expand_dims(time, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, hazards / total * leave, 0.0)

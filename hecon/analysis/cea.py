"""Incremental cost-effectiveness analysis: ICER table, net benefit, CEAC, CEAF, expected loss.

Conventions shared by every function here:

- ``costs`` and ``effects`` are arrays shaped ``[draws, strategies]`` (a deterministic result
  is one draw; a 1-D array is read as one draw);
- ``strategies`` holds the strategy names, in the order of the second axis;
- ``wtp`` is the willingness to pay λ (currency per unit of effect), a scalar or a 1-D grid.

The net monetary benefit of strategy *s* in draw *i* is ``NMB = λ·E − C`` and the net health
benefit ``NHB = E − C/λ`` (Stinnett & Mullahy, Med Decis Making 1998;18:S68–S80). The
strategy that maximises *expected* NMB is the optimal decision under current information;
the CEAC gives the probability that each strategy has the highest NMB, the CEAF marks the
optimal strategy on it (Fenwick, Claxton & Sculpher, Health Econ 2001;10:779–787), and the
expected loss of a strategy is ``E[max_s NMB_s − NMB_s]`` (Eckermann & Willan 2008;
Alarid-Escudero et al., Med Decis Making 2019;39:75–87).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hecon.analysis.wtp import WTP_MAX
from hecon.errors import InputError

NON_DOMINATED = "ND"
DOMINATED = "D"
EXTENDEDLY_DOMINATED = "ED"

DOMINANT = "dominant"
DOMINATED_INCREMENT = "dominated"
NORTH_EAST = "NE: ICER"
SOUTH_WEST = "SW: ICER"
NO_DIFFERENCE = "no difference"

ICER_COLUMNS = [
    "strategy", "cost", "effect", "incremental_cost", "incremental_effect", "icer", "status", "note",
]

#: Largest magnitude of a cost, an effect or a willingness to pay: far beyond any real one, and
#: small enough that net benefits λ·E − C, their sums over draws and the products ΔC·ΔE of the
#: ICER comparisons stay within the floating-point range (about 1.8e308).
LARGEST_VALUE = 1e100

# Largest [strategies, wtp, draws] block of net benefits held in memory at once (doubles);
# small enough to stay in cache, which is faster than one large array.
_CHUNK_ELEMENTS = 1 << 20
# Relative tolerance under which two ICERs along the frontier count as equal.
_ICER_RTOL = 1e-12


# --------------------------------------------------------------------------- inputs


def outcome_matrices(costs, effects) -> tuple[np.ndarray, np.ndarray]:
    """Costs and effects as float arrays ``[draws, strategies]``, checked for shape and finiteness.

    A 1-D array is one draw. Raises :class:`~hecon.errors.InputError` when the shapes differ,
    an array has more than two dimensions, there is no strategy, or a value is not finite.
    """
    cost = np.asarray(costs, dtype=float)
    effect = np.asarray(effects, dtype=float)
    cost, effect = np.atleast_2d(cost), np.atleast_2d(effect)
    if cost.ndim != 2 or effect.ndim != 2:
        raise InputError("costs and effects must be arrays shaped [draws, strategies]",
                         fix="pass one row per draw and one column per strategy")
    if cost.shape != effect.shape:
        raise InputError(f"costs {cost.shape} and effects {effect.shape} differ in shape",
                         fix="give one cost and one effect per draw and strategy")
    if cost.size == 0:
        raise InputError("costs and effects are empty", fix="give at least one draw and strategy")
    for name, values in (("costs", cost), ("effects", effect)):
        if not np.isfinite(values).all():
            draw, strategy = np.argwhere(~np.isfinite(values))[0]
            raise InputError(f"{name} hold a missing or infinite value (draw {draw + 1}, "
                             f"strategy {strategy + 1})", fix="check the model outputs")
        if (np.abs(values) > LARGEST_VALUE).any():
            draw, strategy = np.argwhere(np.abs(values) > LARGEST_VALUE)[0]
            raise InputError(f"{name} hold a value beyond ±{LARGEST_VALUE:g} (draw {draw + 1}, "
                             f"strategy {strategy + 1}): net benefits would overflow",
                             fix="check the model outputs or express them in a larger unit")
    return cost, effect


def wtp_values(wtp) -> np.ndarray:
    """Willingness-to-pay values as a 1-D float array (≥ 0 and at most :data:`LARGEST_VALUE`)."""
    values = np.atleast_1d(np.asarray(wtp, dtype=float))
    if values.ndim != 1 or values.size == 0:
        raise InputError("the willingness to pay must be a number or a 1-D list of numbers",
                         fix="give e.g. 20000 or a grid such as default_wtp_grid()")
    if not ((values >= 0) & (values <= LARGEST_VALUE)).all():
        raise InputError(f"willingness-to-pay values must be finite and ≥ 0, at most {LARGEST_VALUE:g}",
                         fix="remove negative, infinite or missing thresholds")
    return values


def strategy_names(strategies: Sequence[str], n_strategies: int) -> list[str]:
    """Strategy names as strings, one per column, without duplicates."""
    names = [str(name) for name in strategies]
    if len(names) != n_strategies:
        raise InputError(f"{len(names)} strategy names for {n_strategies} strategies",
                         fix="give one name per column of costs and effects")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputError(f"duplicate strategy names: {', '.join(duplicates)}",
                         fix="give every strategy a distinct name")
    return names


def default_wtp_grid(max_wtp: float = WTP_MAX, n: int = 201) -> np.ndarray:
    """Evenly spaced willingness-to-pay grid ``0, …, max_wtp`` with ``n`` values."""
    if not np.isfinite(max_wtp) or max_wtp <= 0:
        raise InputError("the largest willingness to pay must be a positive number",
                         fix="give e.g. --wtp-max 100000")
    if int(n) < 2:
        raise InputError("a willingness-to-pay grid needs at least 2 values",
                         fix="increase the number of grid points")
    return np.linspace(0.0, float(max_wtp), int(n))


# --------------------------------------------------------------------------- ICER table


def _expected_outcomes(costs, effects) -> tuple[np.ndarray, np.ndarray]:
    """Expected cost and effect per strategy: the values themselves (1-D) or column means (2-D)."""
    cost, effect = outcome_matrices(costs, effects)
    return cost.mean(axis=0), effect.mean(axis=0)


def _strong_dominance(cost: np.ndarray, effect: np.ndarray) -> np.ndarray:
    """``dominates[i, j]``: strategy i costs no more and is no less effective than j, and
    is strictly better on one of the two."""
    no_dearer = cost[:, None] <= cost[None, :]
    no_worse = effect[:, None] >= effect[None, :]
    strictly = (cost[:, None] < cost[None, :]) | (effect[:, None] > effect[None, :])
    return no_dearer & no_worse & strictly


def _icer_exceeds(cost: np.ndarray, effect: np.ndarray, a: int, b: int, c: int) -> bool:
    """Whether ICER(a → b) exceeds ICER(b → c), for effects rising from a to b to c.

    Compared by cross-multiplication, so no division by a small effect difference:
    ``ΔC_ab·ΔE_bc > ΔC_bc·ΔE_ab``.
    """
    left = (cost[b] - cost[a]) * (effect[c] - effect[b])
    right = (cost[c] - cost[b]) * (effect[b] - effect[a])
    return left > right + _ICER_RTOL * max(abs(left), abs(right))


def _efficiency_frontier(cost: np.ndarray, effect: np.ndarray, candidates: list[int]) -> list[int]:
    """Remove extendedly dominated strategies from candidates sorted by rising effect.

    Candidates are free of strong dominance, so cost rises with effect. A strategy is
    extendedly dominated when its ICER against the previous frontier strategy exceeds the
    next strategy's ICER against it (Cantor, Med Decis Making 1994;14:259–265): a mixture of
    its two neighbours would buy more effect for less. Scanning by rising effect and
    dropping the last frontier strategy while that holds is the iterative textbook procedure
    done in one pass (the lower convex hull of the cost-effect plane).
    """
    frontier: list[int] = []
    for strategy in candidates:
        while len(frontier) >= 2 and _icer_exceeds(cost, effect, frontier[-2], frontier[-1],
                                                   strategy):
            frontier.pop()
        frontier.append(strategy)
    return frontier


def icer_table(costs, effects, strategies: Sequence[str]) -> pd.DataFrame:
    """Incremental cost-effectiveness table with strong and extended dominance.

    Parameters
    ----------
    costs, effects:
        Expected cost and effect per strategy (1-D), or PSA draws ``[draws, strategies]``
        whose column means are used.
    strategies:
        Strategy names.

    Returns
    -------
    DataFrame with columns ``strategy, cost, effect, incremental_cost, incremental_effect,
    icer, status, note``, one row per strategy, sorted by effect then cost (then input order).

    Notes
    -----
    Following Drummond et al. (*Methods for the Economic Evaluation of Health Care
    Programmes*, 4th ed., 2015, ch. 4):

    1. ``D`` (strongly dominated): another strategy costs no more and is no less effective,
       and is strictly better on one of the two. ``note`` names the dominating frontier
       strategy (the cheapest non-dominated one that dominates it).
    2. Ties: when several strategies have exactly the same cost and effect, the first in
       input order is kept and the others are marked ``D`` with the note
       ``same cost and effect as <first>``.
    3. ``ED`` (extendedly dominated): among the rest, sorted by effect, a strategy whose
       ICER versus the previous frontier strategy exceeds the ICER of the next one is removed,
       until the ICERs rise along the frontier (Cantor 1994). Strategies on a straight line
       between two frontier strategies (equal ICERs, to a relative 1e-12) stay ``ND``.
       ``note`` names the two frontier strategies that bracket it.
    4. ``ND`` strategies form the efficiency frontier. Increments and ICERs are versus the
       previous ``ND`` strategy; the least effective ``ND`` strategy is the reference and has
       NaN increments. ``D`` and ``ED`` rows have NaN increments and ICER: they are not
       compared with anything, their note says why they are excluded.
    """
    cost, effect = _expected_outcomes(costs, effects)
    names = strategy_names(strategies, cost.size)
    n = cost.size
    status = np.full(n, NON_DOMINATED, dtype=object)
    note = np.full(n, "", dtype=object)

    dominates = _strong_dominance(cost, effect)
    dominated = dominates.any(axis=0)
    same = (cost[:, None] == cost[None, :]) & (effect[:, None] == effect[None, :])
    earlier_twin = np.triu(same, k=1)  # earlier_twin[i, j]: i < j with identical outcomes
    for j in np.flatnonzero(dominated):
        dominators = np.flatnonzero(dominates[:, j] & ~dominated)
        first = dominators[np.lexsort((dominators, cost[dominators]))[0]]
        status[j], note[j] = DOMINATED, f"dominated by {names[first]}"
    for j in np.flatnonzero(~dominated & earlier_twin.any(axis=0)):
        status[j], note[j] = DOMINATED, f"same cost and effect as {names[earlier_twin[:, j].argmax()]}"

    order = np.lexsort((np.arange(n), cost, effect))
    candidates = [int(s) for s in order if status[s] == NON_DOMINATED]
    frontier = _efficiency_frontier(cost, effect, candidates)
    for s in sorted(set(candidates) - set(frontier)):
        lower = max((f for f in frontier if effect[f] < effect[s]), key=lambda f: effect[f])
        upper = min((f for f in frontier if effect[f] > effect[s]), key=lambda f: effect[f])
        status[s] = EXTENDEDLY_DOMINATED
        note[s] = f"extendedly dominated by a mix of {names[lower]} and {names[upper]}"

    incremental_cost = np.full(n, np.nan)
    incremental_effect = np.full(n, np.nan)
    incremental_cost[frontier[1:]] = np.diff(cost[frontier])
    incremental_effect[frontier[1:]] = np.diff(effect[frontier])
    table = pd.DataFrame({
        "strategy": names,
        "cost": cost,
        "effect": effect,
        "incremental_cost": incremental_cost,
        "incremental_effect": incremental_effect,
        "icer": incremental_cost / incremental_effect,
        "status": status.astype(str),
        "note": note.astype(str),
    })
    return table.iloc[order].reset_index(drop=True)


def describe_increments(delta_cost, delta_effect) -> tuple[np.ndarray, np.ndarray]:
    """Quadrant of the cost-effectiveness plane and ICER of pairwise increments (vectorised).

    Parameters
    ----------
    delta_cost, delta_effect:
        ΔC and ΔE of a strategy versus its comparator (arrays of equal shape, or scalars).

    Returns
    -------
    (icer, label):
        ``icer = ΔC/ΔE`` where it is meaningful, NaN otherwise; ``label`` is

        - ``"dominant"``: ΔC ≤ 0 and ΔE ≥ 0, not both zero (cheaper and/or better);
        - ``"dominated"``: ΔC ≥ 0 and ΔE ≤ 0, not both zero (dearer and/or worse);
        - ``"NE: ICER"``: ΔC > 0 and ΔE > 0, the ICER is the cost per unit gained;
        - ``"SW: ICER"``: ΔC < 0 and ΔE < 0, the ICER is the saving per unit lost (the
          strategy is preferred when the ICER exceeds the willingness to pay);
        - ``"no difference"``: ΔC = ΔE = 0.
    """
    delta_cost = np.asarray(delta_cost, dtype=float)
    delta_effect = np.asarray(delta_effect, dtype=float)
    if not (np.isfinite(delta_cost).all() and np.isfinite(delta_effect).all()):
        raise InputError("increments must be finite numbers", fix="check the costs and effects")
    delta_cost, delta_effect = np.broadcast_arrays(delta_cost, delta_effect)
    conditions = [
        (delta_cost == 0) & (delta_effect == 0),
        (delta_cost <= 0) & (delta_effect >= 0),
        (delta_cost >= 0) & (delta_effect <= 0),
        delta_cost > 0,
    ]
    label = np.select(conditions, [NO_DIFFERENCE, DOMINANT, DOMINATED_INCREMENT, NORTH_EAST],
                      default=SOUTH_WEST)
    quadrant = (label == NORTH_EAST) | (label == SOUTH_WEST)
    icer = np.divide(delta_cost, delta_effect, out=np.full(delta_cost.shape, np.nan),
                     where=quadrant)
    return icer, label


def describe_increment(delta_cost: float, delta_effect: float) -> tuple[float, str]:
    """ICER (or NaN) and quadrant label of one pairwise comparison; see :func:`describe_increments`."""
    icer, label = describe_increments(delta_cost, delta_effect)
    return float(icer), str(label)


# --------------------------------------------------------------------------- net benefit


def net_monetary_benefit(costs, effects, wtp) -> np.ndarray:
    """Net monetary benefit ``NMB = λ·E − C``, shaped ``wtp.shape + [draws, strategies]``.

    A scalar ``wtp`` gives ``[draws, strategies]``; a grid gives ``[wtp, draws, strategies]``.
    """
    cost, effect = outcome_matrices(costs, effects)
    lam = wtp_values(wtp).reshape(np.shape(wtp))
    return lam[..., None, None] * effect - cost


def net_health_benefit(costs, effects, wtp) -> np.ndarray:
    """Net health benefit ``NHB = E − C/λ`` (λ > 0), shaped like :func:`net_monetary_benefit`."""
    cost, effect = outcome_matrices(costs, effects)
    lam = wtp_values(wtp).reshape(np.shape(wtp))
    if (lam <= 0).any():
        raise InputError("the net health benefit needs a willingness to pay above 0",
                         fix="drop λ = 0 from the grid or use the net monetary benefit")
    return effect - cost / lam[..., None, None]


@dataclass(frozen=True)
class NetBenefitSummary:
    """Summaries of the NMB over draws at each willingness to pay (arrays over ``wtp``).

    Attributes
    ----------
    wtp:
        The thresholds λ, ``[wtp]``.
    expected_nmb:
        ``E[NMB_s]``, ``[wtp, strategies]``.
    expected_max_nmb:
        ``E[max_s NMB_s]`` (the expected NMB under perfect information), ``[wtp]``.
    probability_best:
        Probability that each strategy has the highest NMB, ``[wtp, strategies]``; a draw in
        which k strategies tie for the highest NMB counts 1/k for each. None when not asked.
    """

    wtp: np.ndarray
    expected_nmb: np.ndarray
    expected_max_nmb: np.ndarray
    probability_best: np.ndarray | None

    @property
    def optimal(self) -> np.ndarray:
        """Index of the strategy with the highest expected NMB (the first on ties), ``[wtp]``."""
        return self.expected_nmb.argmax(axis=1)

    @property
    def evpi(self) -> np.ndarray:
        """``E[max_s NMB_s] − max_s E[NMB_s]``, ``[wtp]``."""
        return self.expected_max_nmb - self.expected_nmb.max(axis=1)


def summarise_net_benefit(costs, effects, wtp, *, probability: bool = True) -> NetBenefitSummary:
    """Expected NMB, expected maximum NMB and the CEAC probabilities over a WTP grid.

    The NMB of each strategy ``[wtp, draws]`` is built for a block of thresholds at a time,
    so memory stays bounded (about 8 MB) and the arrays stay in cache; every threshold is
    computed independently of the block it falls in, so results do not depend on the block
    size.
    """
    cost, effect = outcome_matrices(costs, effects)
    lam = wtp_values(wtp)
    draws, n_strategies = cost.shape
    effect_t, cost_t = np.ascontiguousarray(effect.T), np.ascontiguousarray(cost.T)
    expected = np.empty((lam.size, n_strategies))
    expected_max = np.empty(lam.size)
    best_share = np.empty((lam.size, n_strategies)) if probability else None
    block = max(1, _CHUNK_ELEMENTS // (draws * n_strategies))
    buffer = np.empty((n_strategies, min(block, lam.size), draws))
    for start in range(0, lam.size, block):
        rows = slice(start, start + block)
        nmb = buffer[:, : lam[rows].size]
        for s in range(n_strategies):
            np.multiply(lam[rows, None], effect_t[s], out=nmb[s])
            nmb[s] -= cost_t[s]
        highest = nmb[0].copy()
        for values in nmb[1:]:
            np.maximum(highest, values, out=highest)
        expected[rows] = np.column_stack([values.mean(axis=1) for values in nmb])
        expected_max[rows] = highest.mean(axis=1)
        if best_share is not None:
            best_share[rows] = _share_of_best([values == highest for values in nmb])
    return NetBenefitSummary(lam, expected, expected_max, best_share)


def _share_of_best(is_best: list[np.ndarray]) -> np.ndarray:
    """Share of draws in which each strategy is best, ``[w, S]``, from one ``[w, draws]``
    indicator per strategy; a draw where k strategies tie counts 1/k for each."""
    ties = np.sum(is_best, axis=0)
    if ties.max() == 1:
        return np.column_stack([np.count_nonzero(best, axis=1) for best in is_best]) / ties.shape[1]
    return np.column_stack([(best / ties).mean(axis=1) for best in is_best])


def nmb_table(costs, effects, strategies: Sequence[str], wtp) -> pd.DataFrame:
    """Expected net monetary and net health benefit per strategy and threshold.

    Columns ``wtp, strategy, expected_nmb, expected_nhb``; ``expected_nhb = E[NMB]/λ`` is
    NaN at λ = 0.
    """
    summary = summarise_net_benefit(costs, effects, wtp, probability=False)
    names = strategy_names(strategies, summary.expected_nmb.shape[1])
    lam = summary.wtp[:, None]
    nhb = np.divide(summary.expected_nmb, lam, out=np.full_like(summary.expected_nmb, np.nan),
                    where=lam > 0)
    return _long_frame(summary.wtp, names, expected_nmb=summary.expected_nmb, expected_nhb=nhb)


def ceac(costs, effects, strategies: Sequence[str], wtp) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves, with the frontier (CEAF) marked.

    Columns ``wtp, strategy, probability, on_frontier``: ``probability`` is the share of
    draws in which the strategy has the highest NMB (ties split equally, so the
    probabilities sum to 1 at every λ); ``on_frontier`` is True for the strategy with the
    highest *expected* NMB at that λ (the first in input order on ties).
    """
    summary = summarise_net_benefit(costs, effects, wtp)
    names = strategy_names(strategies, summary.expected_nmb.shape[1])
    on_frontier = np.arange(len(names))[None, :] == summary.optimal[:, None]
    return _long_frame(summary.wtp, names, probability=summary.probability_best,
                       on_frontier=on_frontier)


def increment_rows(costs, effects, strategies: Sequence[str], comparator: str, wtp) -> list[dict]:
    """One row per strategy against ``comparator`` over the draws ``[draws, strategies]``: the
    draws, the mean incremental cost and effect, the ICER of the means with its status
    (:func:`describe_increment`), and at each ``wtp`` λ the INMB λ·ΔE − ΔC and the probability
    the strategy is the cost-effective one (:func:`ceac`)."""
    costs, effects = outcome_matrices(costs, effects)
    lam = wtp_values(wtp)
    probability = ceac(costs, effects, strategies, lam)
    ref = list(strategies).index(comparator)
    rows = []
    for j, strategy in enumerate(strategies):
        if j == ref:
            continue
        d_cost, d_effect = float((costs[:, j] - costs[:, ref]).mean()), float((effects[:, j] - effects[:, ref]).mean())
        icer, status = describe_increment(d_cost, d_effect)
        row = {"strategy": strategy, "draws": len(costs), "incremental_cost": d_cost,
               "incremental_effect": d_effect, "icer": icer, "status": status}
        row |= {f"inmb_{x:.0f}": x * d_effect - d_cost for x in lam}
        chosen = probability[probability.strategy == strategy].set_index("wtp")["probability"]
        row |= {f"p_cost_effective_{x:.0f}": float(chosen.loc[x]) for x in lam}
        rows.append(row)
    return rows


def ceaf(costs, effects, strategies: Sequence[str], wtp) -> pd.DataFrame:
    """Cost-effectiveness acceptability frontier: the optimal strategy at each threshold.

    Columns ``wtp, strategy, probability``: the strategy with the highest expected NMB (the
    first in input order on ties) and its probability of being cost-effective.
    """
    summary = summarise_net_benefit(costs, effects, wtp)
    names = strategy_names(strategies, summary.expected_nmb.shape[1])
    optimal = summary.optimal
    return pd.DataFrame({
        "wtp": summary.wtp,
        "strategy": np.asarray(names, dtype=object)[optimal],
        "probability": summary.probability_best[np.arange(optimal.size), optimal],
    })


def expected_loss(costs, effects, strategies: Sequence[str], wtp) -> pd.DataFrame:
    """Expected loss of choosing each strategy: ``E[max_s' NMB_s' − NMB_s]``.

    Columns ``wtp, strategy, expected_loss``. The smallest expected loss at each λ is that of
    the optimal strategy and equals the EVPI (Alarid-Escudero et al. 2019).
    """
    summary = summarise_net_benefit(costs, effects, wtp, probability=False)
    names = strategy_names(strategies, summary.expected_nmb.shape[1])
    loss = summary.expected_max_nmb[:, None] - summary.expected_nmb
    return _long_frame(summary.wtp, names, expected_loss=loss)


def _long_frame(wtp: np.ndarray, names: list[str], **columns: np.ndarray) -> pd.DataFrame:
    """Tidy frame: one row per (wtp, strategy), wtp-major, from ``[wtp, strategies]`` arrays."""
    return pd.DataFrame({
        "wtp": np.repeat(wtp, len(names)),
        "strategy": np.tile(np.asarray(names, dtype=object), wtp.size),
        **{name: np.asarray(values).ravel() for name, values in columns.items()},
    })

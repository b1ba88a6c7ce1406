"""The tables of a base case and of a PSA: cost-consequence and ICERs per effect measure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hecon.analysis.cea import describe_increment, icer_table
from hecon.model import Effect
from hecon.model.outcomes import Outcomes


def cost_consequence(outcomes: Outcomes, comparator: str, psa: Outcomes | None = None) -> pd.DataFrame:
    """Every cost component, the total cost and every consequence, per strategy, with the
    difference of each strategy from the comparator.

    ``outcomes`` is the base case (one set; or a PSA, whose means are then shown). With
    ``psa``, each difference carries its 95 % interval (2.5 % and 97.5 % quantiles of the
    PSA draws' differences) and the PSA mean.
    """
    ref = outcomes.strategies.index(comparator)
    rows = []
    for name in outcomes.names:
        values = np.nanmean(outcomes[name], axis=0)
        row = {"outcome": name, "label": outcomes.label(name),
               "kind": "cost" if name in outcomes.costs or name == "total_cost" else "consequence"}
        row.update({s: values[j] for j, s in enumerate(outcomes.strategies)})
        for j, s in enumerate(outcomes.strategies):
            if j == ref:
                continue
            row[f"difference_{s}"] = values[j] - values[ref]
            if psa is not None:
                draws = psa[name][:, j] - psa[name][:, ref]
                draws = draws[np.isfinite(draws)]
                row[f"psa_mean_difference_{s}"] = draws.mean()
                row[f"difference_{s}_low"], row[f"difference_{s}_high"] = np.quantile(draws, [0.025, 0.975])
        rows.append(row)
    return pd.DataFrame(rows)


def icers(outcomes: Outcomes, effects: Sequence[Effect], comparator: str) -> pd.DataFrame:
    """ICERs of every strategy against the comparator, for each effect measure.

    Effects where fewer is better (episodes, deaths) are counted as avoided, so every ratio
    reads "cost per unit gained". Each comparison is labelled: ``dominant`` (cheaper and
    better), ``dominated`` (dearer and worse), or the ICER with its quadrant (NE: dearer and
    better; SW: cheaper and worse, the ICER is then the saving per unit forgone), never a bare
    negative ratio. With more than two strategies the full incremental analysis (strong and
    extended dominance) is added per effect: column ``frontier_status``.
    """
    cost = np.nanmean(outcomes.total_cost, axis=0)
    ref = outcomes.strategies.index(comparator)
    rows = []
    for effect in effects:
        gain = np.nanmean(effect.of(outcomes), axis=0)
        frontier = icer_table(cost, gain, outcomes.strategies).set_index("strategy")["status"]
        for j, s in enumerate(outcomes.strategies):
            if j == ref:
                continue
            d_cost, d_effect = cost[j] - cost[ref], gain[j] - gain[ref]
            ratio, status = describe_increment(d_cost, d_effect)
            rows.append({"effect": effect.outcome, "per": effect.label, "unit": effect.unit, "strategy": s,
                         "comparator": comparator, "incremental_cost": d_cost,
                         "incremental_effect": d_effect, "icer": ratio, "status": status,
                         "frontier_status": frontier[s]})
    return pd.DataFrame(rows)

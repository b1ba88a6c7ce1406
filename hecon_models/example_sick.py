"""Example model: a healthy–sick–dead cohort with a decision tree in front, three strategies.

A teaching example (no real disease) that exercises every part of the toolkit: a tree whose
terminal nodes hand the Markov model its starting states, a Dirichlet row (the exits of the
sick state), relative risks by strategy, yearly cycles with costs and utilities, HAS-style
discounting. Numbers are illustrative; see ``hecon_models/inputs/example_sick/parameters.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hecon.model import Effect
from hecon.model.markov import CORRECTIONS, YEAR, DiscountSchedule, run_cohort
from hecon.model.outcomes import Outcomes
from hecon.model.parameters import ParameterSets
from hecon.model.tree import COMPLEMENT, Branch, Chance, Decision, Terminal, rollback

TITLE = "Example: standard care vs drug A vs drug B in a healthy–sick–dead model"
STRATEGIES = ("standard_care", "drug_a", "drug_b")
COMPARATOR = "standard_care"
EFFECTS = (Effect("qalys_disc", "QALY gained", "QALY"), Effect("life_years_disc", "life year gained", "life year"))
STRATEGY_LABELS = {"standard_care": "Standard care", "drug_a": "Drug A", "drug_b": "Drug B"}
STATES = ("healthy", "sick", "dead")

#: strategy -> (response parameter, relapse relative risk parameter or None, drug cost parameter or None)
ARMS = {
    "standard_care": ("p_response_standard", None, None),
    "drug_a": ("p_response_drug_a", "rr_relapse_drug_a", "cost_drug_a"),
    "drug_b": ("p_response_drug_b", "rr_relapse_drug_b", "cost_drug_b"),
}

TREE = Decision("strategy", {
    name: Chance("initial_episode", (
        Branch("responds", response, Terminal("responds", state="healthy")),
        Branch("does_not_respond", COMPLEMENT, Terminal("does_not_respond", state="sick")),
    ))
    for name, (response, _, _) in ARMS.items()
})


@dataclass(frozen=True)
class Options:
    """Discount rate (the same for costs and effects), horizon in years, within-cycle correction."""

    discount_rate: float = 0.025
    horizon_years: int = 40
    correction: str = "half-cycle"

    def __post_init__(self) -> None:
        if not 0 <= self.discount_rate < 1:
            raise ValueError("discount_rate must be in [0, 1)")
        if not 1 <= self.horizon_years <= 100:
            raise ValueError("horizon_years must be between 1 and 100")
        if self.correction not in CORRECTIONS:
            raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}")


def _strategy_values(params: ParameterSets, column: int, default: float) -> np.ndarray:
    """[sets, strategies] array of one ARMS column's parameter (default where None)."""
    return np.stack([params[arm[column]] if arm[column] else np.full(params.n, default)
                     for arm in ARMS.values()], axis=1)


def transitions(params: ParameterSets) -> np.ndarray:
    """Yearly transition matrices [sets, strategies, 3, 3]; the drug lowers relapse by its RR."""
    n, k = params.n, len(STRATEGIES)
    relapse = params["p_healthy_to_sick"][:, None] * _strategy_values(params, 1, 1.0)
    P = np.zeros((n, k, 3, 3))
    P[..., 0, 1] = relapse
    P[..., 0, 2] = params["p_healthy_to_dead"][:, None]
    P[..., 0, 0] = 1 - P[..., 0, 1] - P[..., 0, 2]
    P[..., 1, 0] = params["p_sick_recover"][:, None]
    P[..., 1, 2] = params["p_sick_die"][:, None]
    P[..., 1, 1] = params["p_sick_stay"][:, None]
    P[..., 2, 2] = 1.0
    return P


def evaluate(params: ParameterSets, options: Options) -> Outcomes:
    tree = rollback(TREE, params, states=STATES, n_sets=params.n)
    drug_cost = _strategy_values(params, 2, 0.0)
    alive = np.array([1.0, 1.0, 0.0])
    rewards = {
        "cost_health_states": np.stack([params["cost_healthy"], params["cost_sick"], np.zeros(params.n)], -1)[:, None, :],
        "cost_drug": drug_cost[..., None] * alive,
        "qalys": np.stack([params["utility_healthy"], params["utility_sick"], np.zeros(params.n)], -1)[:, None, :],
        "life_years": np.broadcast_to(alive, (params.n, 1, 3)),
    }
    run = run_cohort(transitions(params), tree.state_distribution, options.horizon_years,
                     state_names=STATES, strategy_names=STRATEGIES, state_rewards=rewards,
                     cycle_length=YEAR, discount=DiscountSchedule.constant(options.discount_rate),
                     correction=options.correction)
    initial = np.broadcast_to(params["cost_initial_episode"][:, None], (params.n, len(STRATEGIES)))
    costs = {"initial_episode": initial, "health_states": run.discounted["cost_health_states"],
             "drug": run.discounted["cost_drug"]}
    consequences = {"life_years": run.undiscounted["life_years"], "life_years_disc": run.discounted["life_years"],
                    "qalys": run.undiscounted["qalys"], "qalys_disc": run.discounted["qalys"]}
    return Outcomes(STRATEGIES, costs, consequences)

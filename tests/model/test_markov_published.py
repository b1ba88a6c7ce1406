"""Each counting and discounting convention of ``hecon.model.markov`` against a published example of
the package or book that uses it, to the precision of the published figures.

| convention                                   | published example                          |
|----------------------------------------------|--------------------------------------------|
| ``trapezoid`` + ``cycle-start``, 2 schedules | heemod's HIV vignette (Chancellor 1997)    |
| ``end`` + ``trace-time`` / ``cycle-end``     | Briggs et al. 2006, HIV model (ex. 2.5)    |
| ``none`` + ``cycle-start``, 6 % / 1.5 %      | Briggs et al. 2006, hip replacement (3.5)  |
| custom weights (DARTH's ``gen_wcc``)         | DARTH introductory tutorial, Sick-Sicker   |
| custom weights + ``correct_transitions``     | DARTH time-dependent tutorial, Sick-Sicker |

Each model is rebuilt from its published inputs; the docstrings give the source of the inputs
and of the figures. Nothing here is fitted: the totals follow from the conventions alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from hecon.model.markov import cycle_weights, run_cohort


def icer(costs, effects) -> float:
    return float((costs[1] - costs[0]) / (effects[1] - effects[0]))


def rounds_to(value, published: float, decimals: int) -> bool:
    """``value`` printed to ``decimals`` places reads ``published``."""
    return round(float(value), decimals) == pytest.approx(published, abs=10.0 ** -(decimals + 6))


def complement_diagonal(P: np.ndarray) -> np.ndarray:
    """Set each row's diagonal to 1 − the sum of its other entries (heemod's ``C``)."""
    P = np.array(P, dtype=float)
    rows = np.arange(P.shape[-1])
    P[..., rows, rows] = 0.0
    P[..., rows, rows] = 1 - P.sum(axis=-1)
    return P


# ---------------------------------------------------------------- heemod: life-table, per-cycle discounting

def test_heemod_hiv_vignette_life_table_with_per_cycle_discounting():
    """heemod's "Simple Markov Models (Homogeneous)" vignette (``c_homogeneous``): the
    monotherapy vs combined therapy HIV model of Chancellor et al. (PharmacoEconomics
    1997;12:54–66), 50 yearly cycles, 1000 persons starting in A, heemod's default counting
    method ``life-table`` (hecon ``trapezoid``), costs discounted at 6 % with heemod's
    ``discount()`` — cycle k by 1/1.06^(k−1), the first cycle undiscounted (hecon
    ``cycle-start``) — and life years undiscounted.

    Inputs and the published summary: the rendered vignette of heemod's pkgdown site,
    aphp/heemod ``articles/c_homogeneous.html``: cost_health 33891136 and 48739757,
    cost_drugs 14870957 and 44245091, cost_total 48762093 and 92984848, life_year 8585.843
    and 17256.937 (mono, comb), ICER 5100.02.
    """
    mono = np.array([[.721, .202, .067, .010], [0, .581, .407, .012], [0, 0, .750, .250], [0, 0, 0, 1]])
    comb = complement_diagonal(np.triu(mono, 1) * 0.509)
    comb[3, 3] = 1.0
    alive = np.array([1.0, 1.0, 1.0, 0.0])
    rewards = {"cost_health": [2756.0, 3052.0, 9007.0, 0.0],
               "cost_drugs": np.array([[2278.0], [2278.0 + 2086.0]]) * alive,
               "life_year": alive}
    discount = {"cost_health": 0.06, "cost_drugs": 0.06, "life_year": None}
    run = run_cohort(np.stack([mono, comb]), np.tile([1.0, 0.0, 0.0, 0.0], (2, 1)), 50,
                     state_rewards=rewards, discount=discount, discount_timing="cycle-start",
                     correction="trapezoid")
    per_1000 = {name: 1000 * value for name, value in run.discounted.items()}
    cost_total = per_1000["cost_health"] + per_1000["cost_drugs"]
    published = {"cost_health": (33891136, 48739757), "cost_drugs": (14870957, 44245091)}
    for name, values in published.items():
        for value, figure in zip(per_1000[name], values, strict=True):
            assert rounds_to(value, figure, 0)
    assert [round(c) for c in cost_total] == [48762093, 92984848]
    assert [round(e, 3) for e in per_1000["life_year"]] == [8585.843, 17256.937]
    assert round(icer(cost_total, per_1000["life_year"]), 2) == 5100.02
    # the same totals discounted at trace time miss the published ones by about 3 %
    at_trace_time = run_cohort(mono, [1.0, 0, 0, 0], 50, state_rewards={"c": [2756.0, 3052.0, 9007.0, 0.0]},
                               discount=0.06, correction="trapezoid")
    assert 1000 * float(at_trace_time.discounted["c"]) < 33891136 * 0.98


# ---------------------------------------------------------------- Briggs et al.: counting at the end of each cycle

def hiv_dmhee(**options):
    """Briggs, Claxton & Sculpher, *Decision Modelling for Health Economic Evaluation* (OUP
    2006), Exercise 2.5: the HIV model of Chancellor et al. 1997 as in the book's Excel model —
    transition probabilities as counts over totals, 20 yearly cycles, lamivudine (£2086.50 a
    year, relative risk 0.509 on every transition) for the first two cycles only, costs at 6 %,
    life years undiscounted, state membership counted at the end of cycles 1 … 20."""
    mono = np.array([[1251, 350, 116, 17], [0, 731, 512, 15], [0, 0, 1312, 437], [0, 0, 0, 1]],
                    dtype=float)
    mono /= mono.sum(axis=1, keepdims=True)
    comb = complement_diagonal(np.triu(mono, 1) * 0.509)
    comb[3, 3] = 1.0
    P = np.stack([np.repeat(mono[None], 20, axis=0), np.repeat(mono[None], 20, axis=0)])
    P[1, :2] = comb                                    # [strategies, cycles, S, S]
    alive = np.array([1.0, 1.0, 1.0, 0.0])
    cost = np.tile([2756.0, 3052.0, 9007.0, 0.0] + 2278.0 * alive, (2, 21, 1))
    cost[1, 1:3] += 2086.5 * alive                     # lamivudine in the first two cycles
    return run_cohort(P, np.tile([1.0, 0, 0, 0], (2, 1)), 20, correction="end",
                      state_rewards={"cost": cost, "life_years": alive},
                      discount={"cost": 0.06, "life_years": None}, **options)


@pytest.mark.parametrize("timing", ["trace-time", "cycle-end"])
def test_briggs_hiv_model_counted_at_the_end_of_each_cycle(timing):
    """Briggs et al. 2006, Exercise 2.5 (see :func:`hiv_dmhee`). Published figures of the
    book's Excel model, to seven decimals, as transcribed in heemod's test of its reproduction
    (pierucci/heemod ``tests/testthat/test_dmhee.R``, "exactly match HIV model"): costs
    £44,663.4535637 (mono) and £50,601.6513312 (comb), life years 7.9912066 and 8.9373889,
    ICER £6,275.95560 per life year. Counting at the end of cycle k and discounting it by
    1/1.06^k is both trace-time and cycle-end discounting of ``end`` counting."""
    run = hiv_dmhee(discount_timing=timing)
    cost, life_years = run.discounted["cost"], run.discounted["life_years"]
    assert cost == pytest.approx([44663.4535637, 50601.6513312], abs=5e-8)
    assert life_years == pytest.approx([7.9912066, 8.9373889], abs=5e-8)
    assert icer(cost, life_years) == pytest.approx(6275.95560, abs=5e-6)


def hip_replacement(prosthesis: str):
    """Briggs et al. 2006, Exercise 3.5: total hip replacement with the standard or the NP1
    prosthesis, women aged 60, yearly cycles, as rebuilt in heemod's reproduction
    (pierucci/heemod ``tests/testthat/test_dmhee.R``, "Exactly match THR model"): 61 cycles
    counted at their start (heemod ``method = "end"``, hecon ``none``), costs at 6 % and QALYs
    at 1.5 % with heemod's ``discount()`` (cycle k by (1 + r)^−(k−1), hecon ``cycle-start``),
    the primary operation costed undiscounted. Revision risk in cycle k (1-based)
    1 − exp(λ·((k − 1)^γ − k^γ)), λ = exp(−5.490935 − 0.0367022·60) (× exp(−1.344474) for
    NP1), γ = exp(0.3740968); background mortality from the book's female life table at age
    60 + k, ages binned down to 35, 45, … 85; operative mortality 2 %, re-revision 4 %."""
    n = 61
    cycle = np.arange(1, n + 1)
    lam = np.exp(-5.490935 - 0.0367022 * 60) * (np.exp(-1.344474) if prosthesis == "np1" else 1.0)
    gamma = np.exp(0.3740968)
    revision = 1 - np.exp(lam * ((cycle - 1) ** gamma - cycle ** gamma))
    female = {35: .99e-3, 45: 2.6e-3, 55: 6.7e-3, 65: 19.3e-3, 75: 53.5e-3, 85: 154.8e-3}
    death = np.array([female[min(85, 35 + 10 * ((60 + k - 35) // 10))] for k in cycle])
    primary, success, revised, success_after, dead = range(5)
    P = np.zeros((n, 5, 5))
    P[:, primary, [success, dead]] = [0.98, 0.02]
    P[:, success, revised], P[:, success, dead] = revision, death
    P[:, revised, success_after], P[:, revised, dead] = 1 - (0.02 + death), 0.02 + death
    P[:, success_after, revised], P[:, success_after, dead] = 0.04, death
    P[:, success, success] = 1 - revision - death
    P[:, success_after, success_after] = 1 - 0.04 - death
    P[:, dead, dead] = 1.0
    return run_cohort(P, [1.0, 0, 0, 0, 0], n, correction="none", discount_timing="cycle-start",
                      state_rewards={"cost_primary": [394.0 if prosthesis == "standard" else 579.0, 0, 0, 0, 0],
                                     "cost_revision": [0, 0, 5294.0, 0, 0],
                                     "qalys": [0, 0.85, 0.30, 0.75, 0]},
                      discount={"cost_primary": None, "cost_revision": 0.06, "qalys": 0.015})


def test_briggs_hip_replacement_two_rates_discounted_per_cycle():
    """Briggs et al. 2006, Exercise 3.5 (see :func:`hip_replacement`). Published figures of
    the book's Excel model as transcribed in heemod's reproduction test (pierucci/heemod
    ``tests/testthat/test_dmhee.R``): standard £512.434658 and 14.6531896 QALYs, NP1
    £610.311818 and 14.69770986 QALYs, ICER £2,198.486665 per QALY. Costs at 6 % and QALYs at
    1.5 % in one run."""
    totals = {}
    for prosthesis in ("standard", "np1"):
        run = hip_replacement(prosthesis)
        totals[prosthesis] = (float(run.discounted["cost_primary"] + run.discounted["cost_revision"]),
                              float(run.discounted["qalys"]))
    assert totals["standard"][0] == pytest.approx(512.434658, abs=5e-7)
    assert totals["standard"][1] == pytest.approx(14.6531896, abs=5e-8)
    assert totals["np1"][0] == pytest.approx(610.311818, abs=5e-7)
    assert totals["np1"][1] == pytest.approx(14.69770986, abs=5e-9)
    costs, qalys = zip(*totals.values(), strict=True)
    assert icer(costs, qalys) == pytest.approx(2198.486665, abs=5e-7)


# ---------------------------------------------------------------- DARTH: their weights, transition rewards weighted



def darth_wcc(n_cycles: int) -> np.ndarray:
    """DARTH's ``gen_wcc(n_cycles, method = "Simpson1/3")`` (DARTH-git/cohort-modeling-tutorial-intro
    ``R/Functions.R``, also darthtools) transcribed: over R's 1-based ``v_cycles = 1 … n + 1``,
    2/3 at even and 4/3 at odd positions, 1/3 at both ends. Position k + 1 is trace point k, so
    the interior weights run 2/3, 4/3, 2/3, … — Simpson's rule has 4/3 at odd k — and the end
    weights are 1/3 whatever the parity of n."""
    v_cycles = np.arange(1, n_cycles + 2)
    weights = np.where(v_cycles % 2 == 0, 2 / 3, 4 / 3)
    weights[[0, -1]] = 1 / 3
    return weights


def sick_sicker(mortality_rate: np.ndarray) -> np.ndarray:
    """The Sick-Sicker transition matrices [strategies, (cycles,) 4, 4] of the DARTH tutorials
    (healthy, sick, sicker, dead): rates 0.15 (onset), 0.5 (recovery), 0.105 (progression;
    × 0.6 under treatment B), death at the background rate × 1, 3, 10, converted by
    p = 1 − exp(−r); transitions between the living conditional on surviving."""
    def p(rate):
        return 1 - np.exp(-rate)
    p_death = p(np.multiply.outer(np.asarray(mortality_rate), [1.0, 3.0, 10.0]))   # [..., 3]
    alive = 1 - p_death
    P = np.zeros((4, *p_death.shape[:-1], 4, 4))
    for strategy, hr_progression in enumerate((1.0, 1.0, 0.6, 0.6)):
        onset, recovery, progression = p(0.15), p(0.5), p(0.105 * hr_progression)
        Q = P[strategy]
        Q[..., 0, 0], Q[..., 0, 1], Q[..., 0, 3] = alive[..., 0] * (1 - onset), alive[..., 0] * onset, p_death[..., 0]
        Q[..., 1, 0] = alive[..., 1] * recovery
        Q[..., 1, 1] = alive[..., 1] * (1 - (recovery + progression))
        Q[..., 1, 2], Q[..., 1, 3] = alive[..., 1] * progression, p_death[..., 1]
        Q[..., 2, 2], Q[..., 2, 3] = alive[..., 2], p_death[..., 2]
        Q[..., 3, 3] = 1.0
    return P


#: State costs and utilities by strategy (treatment A: $12,000 a year, utility 0.95 when sick;
#: treatment B: $13,000 a year), for the four states.
SICK_SICKER_COSTS = np.array([[2000, 4000, 15000, 0], [2000, 16000, 27000, 0],
                              [2000, 17000, 28000, 0], [2000, 29000, 40000, 0]], dtype=float)
SICK_SICKER_UTILITIES = np.array([[1, 0.75, 0.5, 0], [1, 0.95, 0.5, 0],
                                  [1, 0.75, 0.5, 0], [1, 0.95, 0.5, 0]])


def assert_darth_table(costs, qalys, published_costs, published_qalys, icers):
    """The published table: costs to the dollar, QALYs to three decimals, and the ICERs of
    strategy B against standard of care and of AB against B to the dollar."""
    assert [round(c) for c in costs] == list(published_costs)
    assert [round(q, 3) for q in qalys] == pytest.approx(published_qalys, abs=1e-9)
    soc, _, b, ab = range(4)
    assert round(icer(costs[[soc, b]], qalys[[soc, b]])) == icers[0]
    assert round(icer(costs[[b, ab]], qalys[[b, ab]])) == icers[1]


def test_darth_introductory_tutorial_with_their_weights():
    """Alarid-Escudero, Krijkamp, Enns, Yang, Hunink, Pechlivanoglou, Jalal, "An introductory
    tutorial on cohort state-transition models in R using a cost-effectiveness analysis
    example", *Med Decis Making* 2023;43(1):3–20 — the time-independent Sick-Sicker model:
    75 yearly cycles from age 25, background mortality 0.002 a year, costs and QALYs at 3 %
    discounted at trace time, 1/(1 + d)^(0:n), with DARTH's weights (:func:`darth_wcc`).
    Published (the paper's CEA table, DARTH-git/cohort-modeling-tutorial-intro
    ``manuscript/cSTM_Tutorial_Intro.tex``): costs $151,580, $284,805, $259,100, $378,875 and
    QALYs 20.711, 21.499, 22.184, 23.137 (SoC, A, B, AB); ICERs $72,988 (B vs SoC) and
    $125,764 (AB vs B) per QALY, incremental $107,521 / 1.473 and $119,775 / 0.952 QALYs."""
    weights = darth_wcc(75)
    run = run_cohort(sick_sicker(0.002), np.tile([1.0, 0, 0, 0], (4, 1)), 75, correction=weights,
                     state_rewards={"cost": SICK_SICKER_COSTS, "qalys": SICK_SICKER_UTILITIES},
                     discount=0.03)
    costs, qalys = run.discounted["cost"], run.discounted["qalys"]
    assert_darth_table(costs, qalys, (151580, 284805, 259100, 378875),
                       (20.711, 21.499, 22.184, 23.137), (72988, 125764))
    assert [round(costs[2] - costs[0]), round(qalys[2] - qalys[0], 3)] == [107521, 1.473]
    assert [round(costs[3] - costs[2]), round(qalys[3] - qalys[2], 3)] == [119775, 0.952]
    # their vector is not Simpson's rule, and Simpson's rule does not give their table
    assert not np.allclose(weights, cycle_weights(75, "simpson"))
    simpson = run_cohort(sick_sicker(0.002), np.tile([1.0, 0, 0, 0], (4, 1)), 75, correction="simpson",
                         state_rewards={"cost": SICK_SICKER_COSTS}, discount=0.03)
    assert round(float(simpson.discounted["cost"][0])) != 151580


#: US all-cause mortality rates 2015, ages 25 … 99 (column ``Total`` of
#: DARTH-git/cohort-modeling-tutorial-timedep ``data/LifeTable_USA_Mx_2015.csv``, the Human
#: Mortality Database table the tutorial uses; the same file ships with the packDAMipd package,
#: ``inst/extdata/LifeTable_USA_Mx_2015.csv``, from which these values are copied).
US_MORTALITY_2015_AGE_25_TO_99 = np.array([
    0.001014, 0.000999, 0.00107, 0.001087, 0.001162, 0.001167, 0.001213, 0.001289, 0.001331,
    0.001375, 0.00142, 0.00149, 0.00155, 0.001616, 0.001657, 0.001747, 0.001902, 0.002052,
    0.002173, 0.002395, 0.002559, 0.002807, 0.003023, 0.003349, 0.003712, 0.004085, 0.00449,
    0.004905, 0.005364, 0.005806, 0.006253, 0.006775, 0.007395, 0.007895, 0.008418, 0.008974,
    0.009666, 0.010456, 0.011384, 0.011838, 0.012667, 0.013593, 0.0147, 0.015732, 0.01734,
    0.018758, 0.020967, 0.022917, 0.024913, 0.026767, 0.029707, 0.032412, 0.035982, 0.039238,
    0.043595, 0.048727, 0.053735, 0.059911, 0.066618, 0.074051, 0.08219, 0.090754, 0.103968,
    0.115093, 0.124341, 0.137872, 0.154177, 0.172393, 0.1941, 0.212654, 0.243752, 0.259087,
    0.287781, 0.316429, 0.339149])


def test_darth_time_dependent_tutorial_weights_transition_rewards():
    """Alarid-Escudero, Krijkamp, Enns, Yang, Hunink, Pechlivanoglou, Jalal, "A tutorial on
    time-dependent cohort state-transition models in R using a cost-effectiveness analysis
    example" (*Med Decis Making*, 2023) — the simulation-time-dependent Sick-Sicker model:
    age-specific background mortality (:data:`US_MORTALITY_2015_AGE_25_TO_99`), transition
    rewards of $1,000 and a disutility of 0.01 on becoming sick and $2,000 on dying, weighted
    and discounted like the state rewards of the trace point that ends their cycle (the
    tutorial multiplies its transition-dynamics array by the reward array, then applies
    DARTH's weights and 1/1.03^(0:n) to every slice). Published (the paper's CEA table,
    DARTH-git/cohort-modeling-tutorial-timedep ``manuscript/cSTM_Tutorial_TimeDep.tex``): costs
    $116,374, $218,789, $202,536, $296,300 and QALYs 18.879, 19.636, 20.199, 21.097 (SoC, A,
    B, AB); ICERs $65,288 (B vs SoC) and $104,461 (AB vs B), incremental $86,162 / 1.320 and
    $93,764 / 0.898."""
    onset, death = np.zeros((4, 4)), np.zeros((4, 4))
    onset[0, 1] = 1.0
    death[:3, 3] = 1.0

    def run(**options):
        return run_cohort(sick_sicker(US_MORTALITY_2015_AGE_25_TO_99), np.tile([1.0, 0, 0, 0], (4, 1)),
                          75, correction=darth_wcc(75), discount=0.03,
                          state_rewards={"cost": SICK_SICKER_COSTS, "qalys": SICK_SICKER_UTILITIES},
                          transition_rewards={"cost_events": 1000 * onset + 2000 * death,
                                              "qaly_events": -0.01 * onset}, **options)

    weighted = run(correct_transitions=True)
    costs = weighted.discounted["cost"] + weighted.discounted["cost_events"]
    qalys = weighted.discounted["qalys"] + weighted.discounted["qaly_events"]
    assert_darth_table(costs, qalys, (116374, 218789, 202536, 296300),
                       (18.879, 19.636, 20.199, 21.097), (65288, 104461))
    assert [round(costs[2] - costs[0]), round(qalys[2] - qalys[0], 3)] == [86162, 1.320]
    assert [round(costs[3] - costs[2]), round(qalys[3] - qalys[2], 3)] == [93764, 0.898]
    # counted once, unweighted (hecon's default), the transition costs differ
    once = run()
    assert round(float(once.discounted["cost"][0] + once.discounted["cost_events"][0])) != 116374

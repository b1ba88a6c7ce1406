"""The flagship's hospital phase (hecon_models._ifn_gamma_hospital): its generator, its closed
forms against the chain itself, the calibration, the continuous-time day against a 0.01-day
reference, and counting events as time × hazard."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.model.transitions import exponential
from hecon_models import _ifn_gamma_hospital as hospital

T = 90
#: placebo hazards of one set, per day (a plausible ICU: exit 1/20 a day, 22 % dying)
HAZARDS = hospital.Hazards(
    first_infection=np.array([0.03]), recurrence=np.array([0.02]), icu_death=np.array([0.011]),
    icu_discharge=np.array([0.039]), hr_death_infected=np.array([1.3]), hr_discharge_infected=np.array([0.7]),
    ward_death=np.array([0.004]), ward_discharge=np.array([0.05]), home_death=np.array([0.0006]),
    episode_days=np.array([8.0]), ward_infection=np.array([0.0075]), ward_extra_days=np.array([4.0]),
    ward_attributable_death=np.array([0.02]), readmission=np.array([0.0034]),
    readmission_infection_share=np.array([0.15]))


def no_effect(n_sets: int = 1, strategies: int = 2) -> hospital.TreatmentEffect:
    return hospital.TreatmentEffect(np.ones(n_sets), np.full(n_sets, 21.0), np.array([0.0, 1.0][:strategies]))


def chain_outcomes(hz: hospital.Hazards, horizon: int, step: float = 1.0) -> dict[str, float]:
    """The ICU outcomes of one set from the chain itself, stepping e^{QΔ} over ``horizon`` days
    (time × hazard for the events), to compare with the closed forms."""
    Q = hospital.generator(hz)[0]
    P, J = exponential(Q[None, : len(hospital.CHAIN), : len(hospital.CHAIN)], step)
    m = np.zeros(len(hospital.CHAIN))
    m[hospital.N] = 1.0
    time = np.zeros_like(m)
    for _ in range(int(round(horizon / step))):
        time += m @ J[0]
        m = m @ P[0]
    dead_icu = Q[: len(hospital.CHAIN), len(hospital.CHAIN)]
    first = time[hospital.N] * hz.first_infection[0]
    episodes = first + time[hospital.A] * hz.recurrence[0]
    return {"first": first, "episodes": episodes, "icu_death": time @ dead_icu,
            "icu_days": time[hospital.ICU].sum()}


def test_the_generator_s_rows_sum_to_zero_and_its_dead_states_absorb():
    Q = hospital.generator(HAZARDS)[0]
    np.testing.assert_allclose(Q.sum(-1), 0.0, atol=1e-15)
    assert not Q[len(hospital.CHAIN):].any()
    assert (Q - np.diag(np.diag(Q)) >= 0).all()


def test_the_closed_forms_are_the_chain_s_own():
    closed = hospital.icu_outcomes(*(getattr(HAZARDS, name)[0] for name in (
        "first_infection", "recurrence", "icu_death", "icu_discharge", "hr_death_infected",
        "hr_discharge_infected", "episode_days")), T)
    by_day_90, stay = chain_outcomes(HAZARDS, T), chain_outcomes(HAZARDS, 3000)  # 3,000 days: the whole ICU stay
    assert closed[0] == pytest.approx(by_day_90["first"], rel=1e-10)
    assert closed[2] == pytest.approx(by_day_90["icu_death"], rel=1e-10)
    assert closed[3] == pytest.approx(by_day_90["icu_days"], rel=1e-10)
    assert closed[1] == pytest.approx(stay["episodes"] / stay["first"] - 1, rel=1e-9)
    clean = chain_outcomes(hospital.Hazards(**{**vars(HAZARDS), "first_infection": np.zeros(1)}), 3000)
    assert closed[4] == pytest.approx((stay["icu_days"] - clean["icu_days"]) / stay["episodes"], rel=1e-9)
    assert closed[5] == pytest.approx((stay["icu_death"] - clean["icu_death"]) / stay["first"], rel=1e-9)


def test_a_day_in_continuous_time_equals_a_001_day_reference():
    """Incidence, ICU mortality and ICU stay of daily steps e^Q (time in each state integrated
    exactly) against 0.01-day steps: within 0.5 % (they agree to rounding)."""
    daily, fine = chain_outcomes(HAZARDS, T), chain_outcomes(HAZARDS, T, step=0.01)
    for name in daily:
        assert daily[name] == pytest.approx(fine[name], rel=1e-9)


def test_one_move_a_day_was_an_artefact_of_the_discrete_chain():
    """The v1 chain (competing risks, one move a day, half-cycle counting) overstated the ICU
    stay against the continuous-time reference; e^Q does not."""
    from hecon.model.rates import competing_risks

    Q = hospital.generator(HAZARDS)[0][: len(hospital.CHAIN)]
    P = np.zeros((len(hospital.CHAIN), len(hospital.CHAIN)))
    for i, row in enumerate(Q):
        exits = np.flatnonzero(np.arange(Q.shape[1]) != i)
        probabilities = competing_risks(row[exits][None])[0]
        inside = exits < len(hospital.CHAIN)
        P[i, exits[inside]] = probabilities[inside]
        P[i, i] = 1 - probabilities.sum()
    m, days = np.eye(len(hospital.CHAIN))[hospital.N], 0.0
    for day in range(T + 1):
        days += (0.5 if day == 0 else 1.0) * m[hospital.ICU].sum()
        m = m @ P
    reference = chain_outcomes(HAZARDS, T, step=0.01)["icu_days"]
    assert days / reference - 1 > 0.02  # at least 2 % more ICU days from moving once a day


@settings(max_examples=25, deadline=None)
@given(st.floats(0.2, 0.55), st.floats(0.1, 0.6), st.floats(0.12, 0.35), st.floats(12, 30),
       st.floats(2.0, 7.0), st.floats(0.02, 0.12))
def test_the_calibration_reproduces_any_plausible_targets(first, recurrences, death, stay, extra, attributable):
    params = parameters(1)
    targets = np.array([[first, recurrences, death, stay, extra, attributable, 20.0, 0.077]])
    calibration = hospital.calibrate(params, targets, np.array([0.0006]), attributable=True, horizon_days=T)
    if not calibration.converged[0]:
        assert calibration.reasons[0]  # a reason, never a clipped value
        return
    hz = calibration.hazards
    values = hospital.icu_outcomes(hz.first_infection, hz.recurrence, hz.icu_death, hz.icu_discharge,
                                   hz.hr_death_infected, hz.hr_discharge_infected, hz.episode_days, T)[0]
    np.testing.assert_allclose(values, targets[0, :6], rtol=1e-7, atol=1e-9)
    run = hospital.hospital_phase(hz, no_effect(), T, {})
    time = run.time["undiscounted"][0, 0]
    icu_first = run.events["first_episodes"]["undiscounted"] - hz.ward_infection * run.time["undiscounted"][..., hospital.W_NEVER]
    assert icu_first[0, 0] == pytest.approx(first, rel=1e-9)                  # the chain's own, to day 90
    assert time[hospital.ICU].sum() == pytest.approx(stay, rel=1e-9)
    assert run.deaths[0, 0, 0] == pytest.approx(death, rel=1e-9)
    # the ward's two were solved with discharges at mid-day: to within minutes and 1e-4
    assert time[hospital.WARD].sum() == pytest.approx(20.0, abs=0.01)
    left_icu_alive = 1 - run.deaths[0, 0, 0] - run.trace[0, 0, T, hospital.ICU].sum()
    assert run.deaths[0, 0, 1] / left_icu_alive == pytest.approx(targets[0, 7], abs=1e-4)


def test_equal_arms_and_no_infection_hazard():
    run = hospital.hospital_phase(HAZARDS, no_effect(), T, {"costs": np.full(T, 0.99)})
    np.testing.assert_allclose(run.trace[:, 0], run.trace[:, 1], rtol=1e-13, atol=1e-16)  # to rounding
    none = hospital.Hazards(**{**vars(HAZARDS), "first_infection": np.zeros(1), "recurrence": np.zeros(1),
                               "ward_infection": np.zeros(1)})
    quiet = hospital.hospital_phase(none, no_effect(), T, {})
    assert quiet.events["episodes"]["undiscounted"].max() == 0
    assert quiet.time["undiscounted"][..., [*hospital.INFECTED, hospital.W_INFECTED]].max() == 0
    total = run.trace[..., T, :].sum(-1) + run.deaths.sum(-1)  # the living and the dead: everyone
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    assert run.time["costs"].sum() == pytest.approx(0.99 * run.time["undiscounted"].sum(), rel=1e-12)


def test_ifn_gamma_s_effect_acts_inside_its_window_only():
    effect = hospital.TreatmentEffect(np.array([0.5]), np.array([10.4]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(effect.day(9)[0], [1.0, 0.5])
    np.testing.assert_allclose(effect.day(10)[0], [1.0, 1 + 0.4 * (0.5 - 1)])  # 0.4 of day 10 inside
    np.testing.assert_allclose(effect.day(11)[0], [1.0, 1.0])
    run = hospital.hospital_phase(HAZARDS, effect, T, {})
    first = run.events["first_episodes"]["undiscounted"]
    assert first[0, 1] < first[0, 0]
    later = hospital.hospital_phase(HAZARDS, hospital.TreatmentEffect(np.array([0.5]), np.array([20.0]),
                                                                      np.array([0.0, 1.0])), T, {})
    assert later.events["first_episodes"]["undiscounted"][0, 1] < first[0, 1]  # a longer window prevents more


def parameters(n: int):
    from hecon.model.parameters import ParameterSets

    return ParameterSets({"episode_duration_mean": np.full(n, 8.0), "hr_icu_death_infected": np.full(n, 1.13),
                          "hr_icu_discharge_infected": np.full(n, 0.74), **WARD_EVENTS(n)}, n=n)


def WARD_EVENTS(n: int) -> dict[str, np.ndarray]:  # noqa: N802 - the table's parameters, as constants
    return {"ward_infection_hazard_ratio": np.full(n, 0.25), "ward_infection_extra_days": np.full(n, 4.0),
            "ward_infection_attributable_death": np.full(n, 0.02), "p_icu_readmission": np.full(n, 0.063),
            "readmission_infection_share": np.full(n, 0.15)}


def test_a_direct_effect_on_icu_death_is_counted_as_the_full_chain_moves_it():
    effect = hospital.TreatmentEffect(np.array([0.7]), np.array([12.5]), np.array([0.0, 1.0]), np.array([0.6]))
    run = hospital.hospital_phase(HAZARDS, effect, T, {}, daily=True)
    full = hospital.DayMatrices(HAZARDS.column(), effect, len(hospital.CHAIN) + len(hospital.PLACES))
    m = np.zeros((1, 2, len(hospital.CHAIN) + len(hospital.PLACES)))
    m[..., hospital.N] = 1.0
    for day in range(T):
        m = np.vecmat(m, full.transitions(day))
    dead = m[0, :, len(hospital.CHAIN):]  # the chain's own mass in the dead states at day 90
    np.testing.assert_allclose(run.deaths[0], dead, rtol=1e-10)
    np.testing.assert_allclose(run.daily_deaths[0].sum(1), dead, rtol=1e-10)
    assert run.deaths[0, 1, 0] < run.deaths[0, 0, 0]  # fewer ICU deaths in the treated arm


def test_ward_infections_are_time_on_the_ward_times_their_hazard_and_the_treatment_moves_them():
    """Episodes acquired on the ward are h_w × ward days; in the never-infected ward state they
    are first episodes; IFN-γ (HR 0.5 over the whole horizon) prevents some, and with them the
    ward days and deaths they cause (ω_h·(1 − f·h_w·x_w)/(1 − h_w·x_w), ω_d − (1 − f)·h_w·a_w)
    and the readmissions they cause (a share s_R)."""
    effect = hospital.TreatmentEffect(np.array([0.5]), np.array([float(T)]), np.array([0.0, 1.0]))
    run = hospital.hospital_phase(HAZARDS, effect, T, {})
    time, events = run.time["undiscounted"][0], {k: v["undiscounted"][0] for k, v in run.events.items()}
    ward_time = time[:, hospital.WARD].sum(-1)
    np.testing.assert_allclose(events["ward_episodes"][0], 0.0075 * ward_time[0], rtol=1e-12)
    np.testing.assert_allclose(events["ward_episodes"][1], 0.5 * 0.0075 * ward_time[1], rtol=1e-12)
    np.testing.assert_allclose(events["readmissions"][1], 0.0034 * (0.85 + 0.5 * 0.15) * ward_time[1], rtol=1e-12)
    assert events["first_episodes"][0] > 0.0075 * time[0, hospital.W_NEVER]   # the ICU's first episodes too
    death, discharge = hospital.ward_hazards(HAZARDS, 0.5)
    assert death[0] == pytest.approx(0.004 - 0.5 * 0.0075 * 0.02)
    assert discharge[0] == pytest.approx(0.05 * (1 - 0.5 * 0.03) / (1 - 0.03))
    everyone = run.trace[0, :, T].sum(-1) + run.deaths[0].sum(-1)
    np.testing.assert_allclose(everyone, 1.0, atol=1e-12)
    # with no infection in the ICU, the arms differ on the ward only: fewer ward days and deaths
    ward_only = hospital.Hazards(**{**vars(HAZARDS), "first_infection": np.zeros(1), "recurrence": np.zeros(1)})
    run = hospital.hospital_phase(ward_only, effect, T, {})
    ward_time = run.time["undiscounted"][0][:, hospital.WARD].sum(-1)
    assert ward_time[1] < ward_time[0] and run.deaths[0, 1, 1] < run.deaths[0, 0, 1]
    np.testing.assert_array_equal(run.deaths[0, 1, 0], run.deaths[0, 0, 0])


def test_infeasible_ward_events_are_reported():
    """Ward infections whose deaths exceed all the ward's deaths, or that add a ward day per ward
    day, are reported as infeasible, never clipped."""
    targets = np.array([[0.4, 0.3, 0.22, 20.0, 5.0, 0.05, 20.0, 0.077]] * 3)
    params = parameters(3)
    params = params.__class__({**{k: params[k] for k in params},
                               "ward_infection_attributable_death": np.array([0.02, 0.9, 0.02]),
                               "ward_infection_extra_days": np.array([4.0, 4.0, 400.0])}, n=3)
    calibration = hospital.calibrate(params, targets, np.full(3, 0.0006), attributable=True, horizon_days=T)
    assert calibration.converged.tolist() == [True, False, False]
    assert "exceed all deaths on the ward" in calibration.reasons[1]
    assert "more ward days than a ward day" in calibration.reasons[2]

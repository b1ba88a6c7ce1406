"""The flagship model's hospital phase: a continuous-time chain from randomisation to day 90.

Every patient starts in the ICU, never infected (``N``). Hazards are per day and constant
within each phase of the chain:

    N  → I₁ (a first infection, h_f)      → dead in ICU (μ)          → ward, never infected (γ)
    I_j → I_{j+1}, I_k → A (k/d each)     → dead in ICU (θ_d·μ)      → ward, infected (θ_g·γ)
    A  → I₁ (a recurrence, h_r)           → dead in ICU (θ_d·μ)      → ward, infected (θ_g·γ)
    ward, never infected → ward, infected (a first ward infection, h_w)
    either ward → dead on the ward (ω_d)  → home (ω_h)
    home → dead at home (η)

An episode I₁ … I_k lasts d days on average, an Erlang(k, k/d) time (k = ``EPISODE_PHASES``
tunnel phases: a duration that varies about its mean, never the memoryless stay of a single
state). The infected-state hazard ratios θ_d and θ_g of ICU death and discharge hold from the
onset of the first infection until ICU exit (``icu_after_infection`` keeps them), as in the
multistate analyses they come from (Melsen 2013, Pouwels 2018, Nguile-Makao 2010: infection is
a time-dependent exposure with no return to the uninfected state).

**The ward.** Its two states share their hazards and differ only by infection history, so that
the trial's primary endpoint (patients with a secondary infection to day 90, wherever it was
acquired) is counted. Ward-acquired infections occur at h_w = r_w·h_f per ward day (r_w, the
ward-to-ICU ratio of infection hazards) in both ward states. The ward's death and discharge
hazards are calibrated to observed stays and deaths, which contain the ward infections; an
infection adds x_w ward days and a_w deaths per episode, so that the hazards decompose into a
part free of ward infection and the infections' part: ω_d = ω_d⁰ + h_w·a_w, and, each ward day
bringing h_w·x_w more, ω_h = ω_h⁰·(1 − h_w·x_w). IFN-γ's factor f on the infection hazards moves
the infections' part: ω_d(f) = ω_d − (1 − f)·h_w·a_w, ω_h(f) = ω_h·(1 − f·h_w·x_w)/(1 − h_w·x_w).
Readmissions to the ICU occur at ρ = p_R·ω per ward day (p_R readmissions per ward stay, ω the
ward's exit hazard), a share s_R of them caused by ward infections (ρ(f) = ρ·(1 − s_R + f·s_R));
their days and deaths are within the calibrated hospital stay and mortality, so they are events
(counted and costed as ICU days instead of ward days), not a state.

The chain runs in continuous time: each day's transition matrix is the exponential of the
generator, P = e^Q, so a patient may be infected and die on the same day; the expected time in
each state is the exact integral m_k·∫₀¹ e^{Qs} ds of each day, and events (infection
episodes, readmissions, deaths by place) are counted as time in their state × their hazard
(:func:`hecon.model.transitions.exponential`). IFN-γ multiplies the infection hazards by its
hazard ratio from randomisation to the end of the effect window (a day the window ends in
takes the share of the day inside it).

The placebo hazards are calibrated for every parameter set (:func:`calibrate`): the ICU's six
from closed forms of the chain (first-infection incidence, ICU mortality and ICU days to day 90,
the trial's measures; over the ICU stay, recurrences per infected patient, the extra ICU days of
an episode and the ICU deaths attributable to infection, the last two against the same patients
never infected — the multistate estimands of Ohannessian 2018 and Nguile-Makao 2010), then the
ward's two from the hospital days after the ICU and the deaths on the ward after the ICU, which
are linear in the ward's share of its exits that are deaths.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from hecon.model.calibration import solve
from hecon.model.parameters import ParameterSets
from hecon.model.transitions import exponential

#: Erlang phases of an infection episode (coefficient of variation of its duration 1/√k = 0.5)
EPISODE_PHASES = 4
CHAIN = ("icu_never_infected", *(f"icu_infected_{j + 1}" for j in range(EPISODE_PHASES)),
         "icu_after_infection", "ward_never_infected", "ward_infected", "home")
N, A = 0, EPISODE_PHASES + 1
W_NEVER, W_INFECTED, H = EPISODE_PHASES + 2, EPISODE_PHASES + 3, EPISODE_PHASES + 4
INFECTED = list(range(1, EPISODE_PHASES + 1))
ICU = [N, *INFECTED, A]
WARD = [W_NEVER, W_INFECTED]
PLACES = ("icu", "ward", "home")
#: the reported states: the chain's, the infection phases summed, and the dead by place
REPORTED = ("icu_never_infected", "icu_infected", "icu_after_infection", "ward", "home",
            "dead_icu", "dead_ward", "dead_home")

#: ICU targets of the calibration, in the order of :func:`icu_outcomes` (incidence, ICU deaths and
#: days to day 90; recurrences, extra days and attributable deaths over the ICU stay)
ICU_TARGETS = ("first_infection", "recurrences_per_infected", "icu_death", "icu_los",
               "extra_icu_days_per_episode", "attributable_icu_mortality")
#: tolerances: 1e-10 on proportions and episodes, 1e-8 day on stays
ICU_TOLERANCE = np.array([1e-10, 1e-10, 1e-10, 1e-8, 1e-8, 1e-10])


@dataclass(frozen=True)
class Hazards:
    """Daily hazards of the hospital phase (placebo), arrays broadcasting to the batch."""

    first_infection: np.ndarray
    recurrence: np.ndarray
    icu_death: np.ndarray
    icu_discharge: np.ndarray
    hr_death_infected: np.ndarray
    hr_discharge_infected: np.ndarray
    ward_death: np.ndarray
    ward_discharge: np.ndarray
    home_death: np.ndarray
    episode_days: np.ndarray
    ward_infection: np.ndarray | float = 0.0          # h_w
    ward_extra_days: np.ndarray | float = 0.0         # x_w, ward days per ward episode
    ward_attributable_death: np.ndarray | float = 0.0  # a_w, deaths per ward episode
    readmission: np.ndarray | float = 0.0             # ρ, ICU readmissions per ward day
    readmission_infection_share: np.ndarray | float = 0.0  # s_R

    def column(self) -> Hazards:
        """The hazards as [sets, 1], to broadcast against strategies."""
        return Hazards(*(_column(getattr(self, f.name)) for f in fields(self)))

    def where(self, ok: np.ndarray, fill: float = 0.01) -> Hazards:
        """The hazards of the sets ``ok``, ``fill`` elsewhere (sets whose calibration failed)."""
        return Hazards(*(np.where(ok, getattr(self, f.name), fill) for f in fields(self)))


def _column(value):
    return np.asarray(value)[:, None] if np.ndim(value) else value


def ward_hazards(hz: Hazards, infection_factor=1.0) -> tuple:
    """The ward's death and discharge hazards when its infection hazard is × ``infection_factor``
    (f): ω_d − (1 − f)·h_w·a_w and ω_h·(1 − f·h_w·x_w)/(1 − h_w·x_w) (the module's docstring)."""
    load = hz.ward_infection * hz.ward_extra_days
    return (hz.ward_death - (1 - infection_factor) * hz.ward_infection * hz.ward_attributable_death,
            hz.ward_discharge * (1 - infection_factor * load) / (1 - load))


def generator(hz: Hazards, infection_factor=1.0, death_factor=1.0) -> np.ndarray:
    """The generator Q [..., 9 + k, 9 + k] of the chain and the dead states (dead in ICU, on
    the ward, at home, last): Q_ij the hazard of i → j, Q_ii minus their sum. The infection
    hazards (ICU and ward) are × ``infection_factor``, the ward's hazards move with them
    (:func:`ward_hazards`), and the ICU death hazards are × ``death_factor`` (IFN-γ's hazard
    ratios, by strategy)."""
    k = EPISODE_PHASES
    dead = {place: len(CHAIN) + j for j, place in enumerate(PLACES)}
    progress = k / hz.episode_days
    icu_death = hz.icu_death * death_factor
    infected_death, infected_discharge = icu_death * hz.hr_death_infected, hz.icu_discharge * hz.hr_discharge_infected
    ward_death, ward_discharge = ward_hazards(hz, infection_factor)
    exits = {
        N: [(INFECTED[0], hz.first_infection * infection_factor), (dead["icu"], icu_death),
            (W_NEVER, hz.icu_discharge)],
        A: [(INFECTED[0], hz.recurrence * infection_factor), (dead["icu"], infected_death),
            (W_INFECTED, infected_discharge)],
        W_NEVER: [(W_INFECTED, hz.ward_infection * infection_factor), (dead["ward"], ward_death),
                  (H, ward_discharge)],
        W_INFECTED: [(dead["ward"], ward_death), (H, ward_discharge)],
        H: [(dead["home"], hz.home_death)],
    }
    for j, phase in enumerate(INFECTED):
        exits[phase] = [(INFECTED[j + 1] if j + 1 < k else A, progress), (dead["icu"], infected_death),
                        (W_INFECTED, infected_discharge)]
    shape = np.broadcast_shapes(*(np.shape(rate) for rows in exits.values() for _, rate in rows))
    Q = np.zeros((*shape, len(CHAIN) + len(PLACES), len(CHAIN) + len(PLACES)))
    for source, rows in exits.items():
        for target, rate in rows:
            Q[..., source, target] = rate
            Q[..., source, source] -= rate
    return Q


def death_hazards(hz: Hazards) -> np.ndarray:
    """[..., chain states, places]: the hazard of death in the ICU, on the ward and at home of
    each state of the chain (the columns of the generator into the dead states)."""
    return generator(hz)[..., : len(CHAIN), len(CHAIN):]


# ---------------------------------------------------------------- calibration

def icu_outcomes(h_f, h_r, mu, gamma, hr_death, hr_discharge, episode_days, horizon_days) -> np.ndarray:
    """The ICU targets [..., 6] in closed form (ICU_TARGETS order), from the placebo hazards.

    Before infection the ICU is left at e₀ = μ + γ, after it at e₁ = θ_d·μ + θ_g·γ (the same in
    an episode and after it, so ICU exit after infection is memoryless). With a = h_f + e₀ and
    p = h_f/a the chance of a first infection in the ICU, to day T:
    first infection p·(1 − e^{−aT});
    ICU days ∫₀ᵀ S(t) dt = (1 − e^{−aT})/a + h_f·I(T), where the infected still in the ICU at t
    are h_f(e^{−e₁t} − e^{−at})/(a − e₁) and I(T) = [(1 − e^{−e₁T})/e₁ − (1 − e^{−aT})/a]/(a − e₁);
    ICU deaths μ(1 − e^{−aT})/a + θ_d·μ·h_f·I(T) (the trial's day-90 measures);
    recurrences per infected patient qρ/(1 − qρ), q = (1 + e₁d/k)^{−k} the chance an episode
    ends in the ICU (Erlang's Laplace transform), ρ = h_r/(h_r + e₁) the chance of another;
    and, over the whole ICU stay as the multistate studies measure them, the extra ICU days per
    episode (1/a + p/e₁ − 1/e₀)/(p·(1 + recurrences)) and the ICU deaths attributable to
    infection per infected patient (μ/a + p·θ_d·μ/e₁ − μ/e₀)/p, against the same patients
    never infected.
    """
    e0, e1 = mu + gamma, mu * hr_death + gamma * hr_discharge
    a = h_f + e0
    p = h_f / a
    before = -np.expm1(-a * horizon_days) / a
    gap = a - e1
    with np.errstate(divide="ignore", invalid="ignore"):
        infected = np.where(np.abs(gap) > 1e-12 * a, (-np.expm1(-e1 * horizon_days) / e1 - before) / gap,
                            (before - horizon_days * np.exp(-a * horizon_days)) / a)
    q = (1 + e1 * episode_days / EPISODE_PHASES) ** -EPISODE_PHASES
    again = q * h_r / (h_r + e1)
    recurrences = again / (1 - again)
    stay, death = 1 / a + p / e1, mu / a + p * mu * hr_death / e1
    return np.stack([p * -np.expm1(-a * horizon_days), recurrences, mu * before + hr_death * mu * h_f * infected,
                     before + h_f * infected, (stay - 1 / e0) / (p * (1 + recurrences)), (death - mu / e0) / p],
                    axis=-1)


@dataclass(frozen=True)
class Calibration:
    hazards: Hazards
    converged: np.ndarray   # [sets] bool
    reasons: np.ndarray     # [sets] str, "" where calibrated


def calibrate(params: ParameterSets, targets: np.ndarray, home_death: np.ndarray, *, attributable: bool,
              horizon_days: int) -> Calibration:
    """The placebo hazards of every set from its targets [sets, 8]: the six ICU targets
    (:data:`ICU_TARGETS`; with ``attributable=False`` the infected-state hazard ratios are the
    table's and the last two targets are not used), then post-ICU hospital days per patient and
    deaths on the ward per patient leaving the ICU alive, both to day 90; the ward's infection and
    readmission hazards follow (:func:`_ward_events`). Targets that no hazards reproduce are
    reported with the reason."""
    n_icu = 6 if attributable else 4
    episode_days = params["episode_duration_mean"]
    fixed = None if attributable else np.stack([params["hr_icu_death_infected"], params["hr_icu_discharge_infected"]], -1)
    reasons = _feasibility(targets, horizon_days)
    feasible = np.flatnonzero(reasons == "")

    def icu(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        rates = np.exp(np.clip(x, -30, 5))
        ratios = rates[:, 4:6] if attributable else fixed[feasible[rows]]
        return icu_outcomes(*rates[:, :4].T, *ratios.T, episode_days[feasible[rows]],
                            horizon_days)[:, :n_icu] - targets[feasible[rows], :n_icu]

    x = np.full((len(targets), n_icu), np.nan)
    if feasible.size:
        solution = solve(icu, _icu_guess(targets[feasible], n_icu), tol=ICU_TOLERANCE[:n_icu])
        x[feasible] = solution.x
        for row, residual in zip(feasible[~solution.converged], solution.residual[~solution.converged], strict=True):
            worst = int(np.nanargmax(np.abs(residual)))
            reasons[row] = (f"no ICU hazards reproduce these targets: closest {ICU_TARGETS[worst]} "
                            f"{targets[row, worst] + residual[worst]:.4g} for a target of {targets[row, worst]:.4g}")
    with np.errstate(over="ignore"):  # an unconverged solution may run off: its set is reported above
        rates = np.exp(x)
    ratios = rates[:, 4:6] if attributable else fixed
    hz = Hazards(*rates[:, :4].T, *ratios.T, np.nan, np.nan, home_death, episode_days)
    ward_death, ward_discharge, ward_reasons = _ward_hazards(hz, targets, horizon_days, reasons == "")
    hz = replace(hz, ward_death=ward_death, ward_discharge=ward_discharge)
    reasons = np.where(reasons == "", ward_reasons, reasons)
    hz, event_reasons = _ward_events(hz, params)
    reasons = np.where(reasons == "", event_reasons, reasons)
    return Calibration(hz, reasons == "", reasons)


def _ward_events(hz: Hazards, params: ParameterSets) -> tuple[Hazards, np.ndarray]:
    """The ward's infection hazard h_w = r_w·h_f and readmission hazard ρ = p_R·(ω_d + ω_h), with
    the consequences of a ward infection; reasons where the calibrated ward hazards cannot hold
    them (the deaths a_w·h_w its infections cause above all ward deaths, or ward days that never
    end, h_w·x_w ≥ 1)."""
    hz = replace(hz, ward_infection=params["ward_infection_hazard_ratio"] * hz.first_infection,
                 ward_extra_days=params["ward_infection_extra_days"],
                 ward_attributable_death=params["ward_infection_attributable_death"],
                 readmission=params["p_icu_readmission"] * (hz.ward_death + hz.ward_discharge),
                 readmission_infection_share=params["readmission_infection_share"])
    checks = [(hz.ward_infection * hz.ward_attributable_death > hz.ward_death,
               "the deaths ward infections cause (hazard x attributable deaths) exceed all deaths on the ward"),
              (hz.ward_infection * hz.ward_extra_days >= 1,
               "ward infections add more ward days than a ward day (hazard x extra days >= 1)")]
    reasons = np.full(len(hz.first_infection), "", dtype=object)
    for failed, message in reversed(checks):
        reasons[failed] = message
    return hz, reasons


def _icu_guess(targets: np.ndarray, n_icu: int) -> np.ndarray:
    """Starting log hazards: exit 1/stay split by mortality; infection from its incidence; a
    recurrence hazard from the recurrences; hazard ratios 1.2 (death) and 0.7 (discharge)."""
    first, recurrences, death, stay = targets[:, :4].T
    exit_rate = 1 / stay
    guess = [first / np.maximum(1 - first, 1e-6) * exit_rate, recurrences / (1 + recurrences) * exit_rate * 2,
             death * exit_rate, (1 - death) * exit_rate, np.full(len(targets), 1.2), np.full(len(targets), 0.7)]
    return np.log(np.maximum(np.stack(guess[:n_icu], -1), 1e-8))


def _feasibility(targets: np.ndarray, horizon_days: int) -> np.ndarray:
    """Reasons why targets cannot be reproduced by any hazards, "" where they can be tried."""
    first, recurrences, death, stay, _, _, after_icu, ward_death = targets.T
    checks = [
        (~((first > 0) & (first < 1)), "first-infection incidence must be in (0, 1)"),
        (~(recurrences > 0), "recurrences per infected patient must be > 0"),
        (~((death > 0) & (death < 1)), "ICU mortality must be in (0, 1)"),
        (~((stay > 0) & (stay < horizon_days)), f"ICU stay must be in (0, {horizon_days}) days"),
        (~(after_icu > 0), "hospital days after the ICU must be > 0"),
        (~((ward_death > 0) & (ward_death < 1)), "deaths on the ward after the ICU must be in (0, 1)"),
    ]
    reasons = np.full(len(targets), "", dtype=object)
    for failed, message in reversed(checks):
        reasons[failed] = message
    return reasons


def _ward_hazards(hz: Hazards, targets: np.ndarray, horizon_days: int, ok: np.ndarray):
    """Ward death and discharge hazards ω_d, ω_h from the hospital days after the ICU and the
    deaths on the ward per patient leaving the ICU alive, both to day T. With D_t the patients
    leaving the ICU alive on day t (at mid-day, τ = T − t − ½ days before day T) and ω = ω_d + ω_h:
    days on the ward Σ_t D_t·(1 − e^{−ωτ})/ω, decreasing in ω (solved by Newton's method);
    deaths on the ward s·Σ_t D_t·(1 − e^{−ωτ}), linear in the share s = ω_d/ω of the ward's
    exits that are deaths, so s = p_w·Σ_t D_t / Σ_t D_t·(1 − e^{−ωτ})."""
    after_icu, ward_death = targets[:, 6], targets[:, 7]
    discharged = _icu_discharges(hz.where(ok), horizon_days)            # [sets, days]
    tau = horizon_days - (np.arange(horizon_days) + 0.5)[None, :]
    reasons = np.where(ok & ~(after_icu < (discharged * tau).sum(1)),
                       "no ward hazards give this many hospital days after the ICU by day 90 (more than if "
                       "nobody left the ward)", "")
    omega = _ward_exit_rate(discharged, tau, np.where(reasons == "", after_icu, 1.0))
    leaving = (discharged * -np.expm1(-omega[:, None] * tau)).sum(1)
    share = ward_death * discharged.sum(1) / leaving
    reasons = np.where(ok & (reasons == "") & ~(share < 1),
                       "no ward hazards give this many deaths on the ward by day 90 with this hospital stay "
                       "(more than all who leave the ward by then)", reasons)
    return share * omega, (1 - share) * omega, reasons


def _ward_exit_rate(discharged: np.ndarray, tau: np.ndarray, days: np.ndarray) -> np.ndarray:
    """ω with Σ_t D_t·(1 − e^{−ωτ_t})/ω = ``days``, by Newton's method from the untruncated
    ω₀ = Σ D_t / days (the function decreases and is convex in ω, so the iterates rise to the
    root)."""
    omega = discharged.sum(1) / days
    active = np.arange(len(omega))  # a set stops when its own step is negligible: its result is the batch's
    for _ in range(50):
        rate, exposed = omega[active, None], discharged[active]
        leave = -np.expm1(-rate * tau)                                      # 1 − e^{−ωτ}
        value = (exposed * leave).sum(1) / rate[:, 0] - days[active]
        slope = (exposed * (tau * (1 - leave) - leave / rate) / rate).sum(1)
        step = value / slope
        omega[active] -= step
        active = active[~(np.abs(step) <= 1e-13 * omega[active])]
        if not active.size:
            break
    return omega


def _icu_discharges(hz: Hazards, horizon_days: int) -> np.ndarray:
    """Live ICU discharges of each day [sets, T] of the placebo chain's ICU block, from its
    daily exponential and the exact time in each state (time × discharge hazard)."""
    Q = generator(hz)[..., : len(ICU), : len(ICU)]
    P, J = exponential(Q, 1.0)
    discharge = hz.icu_discharge[:, None] * np.where(np.arange(len(ICU)) == N, 1.0, hz.hr_discharge_infected[:, None])
    # discharges of day d from N: e_N·P^d·(J·δ), so one matrix-vector product a day, u ← P·u,
    # written out over the states with the sets last (elementwise, in a fixed order: per set)
    by_state = np.ascontiguousarray(np.moveaxis(P, 0, -1))                 # [S, S, sets]
    ahead = np.ascontiguousarray(np.matvec(J, discharge).T)                # [S, sets]
    discharged = np.empty((horizon_days, len(Q)))
    for day in range(horizon_days):
        discharged[day] = ahead[N]
        following = by_state[:, 0] * ahead[0]
        for j in range(1, len(ICU)):
            following += by_state[:, j] * ahead[j]
        ahead = following
    return np.ascontiguousarray(discharged.T)


# ---------------------------------------------------------------- the chain by day

@dataclass(frozen=True)
class HospitalPhase:
    """The chain from day 0 to day T for every set and strategy.

    ``trace`` [sets, strategies, T + 1, chain]: membership at the start of each day (and at T);
    ``time[w]`` [sets, strategies, chain]: days spent in each state, each day weighted by
    ``w`` (``undiscounted``, or a discount factor per day); ``events[name][w]`` [sets,
    strategies]: the :data:`EVENTS` (infection episodes anywhere, those acquired on the ward,
    first episodes, i.e. patients infected at least once, and ICU readmissions), weighted the
    same way; ``deaths`` [sets, strategies, places]: deaths by day T in the ICU, on the ward, at
    home; ``daily_deaths`` [sets, strategies, T, places] when asked (for the trace of one set).
    """

    trace: np.ndarray
    time: dict[str, np.ndarray]
    events: dict[str, dict[str, np.ndarray]]
    deaths: np.ndarray
    daily_deaths: np.ndarray | None


#: the events counted as time × hazard
EVENTS = ("episodes", "ward_episodes", "first_episodes", "readmissions")


def count_events(time: np.ndarray, hz: Hazards, moved_by_treatment: bool = False) -> dict[str, np.ndarray]:
    """The :data:`EVENTS` as time in their states × their hazards ([..., chain] → [...]), from
    ``hz.column()``: episodes h_f·t_N + h_r·t_A + h_w·t_ward, of which h_w·t_ward on the ward,
    first episodes h_f·t_N + h_w·t_(ward, never infected), readmissions ρ·t_ward. With
    ``moved_by_treatment``, only the part IFN-γ's factor f on the infection hazards multiplies
    (a treated day's count is placebo + (f − 1)·that part): all but readmissions' ρ·(1 − s_R).
    Each sum is written out, in a fixed order, so a set's counts do not depend on its batch."""
    ward_time = time[..., W_NEVER] + time[..., W_INFECTED]
    ward = hz.ward_infection * ward_time
    readmission = hz.readmission * (hz.readmission_infection_share if moved_by_treatment else 1.0)
    return {"episodes": hz.first_infection * time[..., N] + hz.recurrence * time[..., A] + ward,
            "ward_episodes": ward,
            "first_episodes": hz.first_infection * time[..., N] + hz.ward_infection * time[..., W_NEVER],
            "readmissions": readmission * ward_time}


@dataclass(frozen=True)
class TreatmentEffect:
    """IFN-γ's hazard ratios on the infection hazards, ``hazard_ratio``, and on the ICU death
    hazards, ``death_ratio`` (a direct effect, 1 in the base case) [sets], from randomisation to
    the end of the effect window, ``window_days`` [sets], in the arms ``treated`` [strategies]
    (1 treated, 0 not)."""

    hazard_ratio: np.ndarray
    window_days: np.ndarray
    treated: np.ndarray
    death_ratio: np.ndarray | float = 1.0

    def factors(self, share: np.ndarray | float, ratio: np.ndarray | None = None) -> np.ndarray:
        """The factor on the infection hazards (or on those of ``ratio``) [sets, strategies] of a
        day ``share`` of which lies inside the window: 1 + share·(HR − 1) in the treated arms,
        1 in the others."""
        ratio = self.hazard_ratio if ratio is None else np.broadcast_to(ratio, np.shape(self.hazard_ratio))
        share = np.asarray(share, dtype=float)
        return 1.0 + (share * (ratio - 1.0))[:, None] * self.treated[None, :]

    def share(self, day: int) -> np.ndarray:
        """The share of ``day`` inside the window [sets], clip(window − day, 0, 1): the window's
        length acts smoothly."""
        return np.clip(self.window_days - day, 0.0, 1.0)

    def day(self, day: int) -> np.ndarray:
        """The factor on the infection hazards of ``day`` [sets, strategies]."""
        return self.factors(self.share(day))


def hospital_phase(hz: Hazards, effect: TreatmentEffect, horizon_days: int, weights: dict[str, np.ndarray],
                   daily: bool = False) -> HospitalPhase:
    """Run the chain day by day for the placebo hazards ``hz`` [sets] and IFN-γ's ``effect``,
    with per-day ``weights`` (name → [T]: discount factors) for the time and the events.

    The loop only moves the membership, m_{d+1} = m_d·P_d. The time spent is linear in it:
    Σ_d w_d·m_d·J = (Σ_d w_d·m_d)·J for the days sharing J = ∫₀¹ e^{Qs} ds (every arm after
    IFN-γ's effect window, the untreated arms always), so it is one weighted sum of the trace
    then one product; the treated arms' days inside the window add their difference. Events
    and deaths are time × placebo hazard, and each window day adds (f_d − 1) × its time × the
    part of the hazard IFN-γ moves (:func:`event_hazards`; the ICU death hazards by the direct
    effect's factor, the ward's by the infections' part a_w·h_w).
    """
    column = hz.column()
    n_sets, n_strategies = len(effect.hazard_ratio), len(effect.treated)
    matrices = DayMatrices(column, effect)
    trace = np.zeros((horizon_days + 1, n_sets, n_strategies, len(CHAIN)))  # day first: each day contiguous
    trace[0, ..., N] = 1.0
    for day in range(horizon_days):
        matrices.move(trace[day], day, out=trace[day + 1])
    names = ["undiscounted", *weights]
    weight = np.stack([np.ones(horizon_days), *weights.values()])                   # [weights, T]
    J = matrices.after[1]                                                           # [sets, S, S]
    # Σ_d w_d·m_d by einsum's own loop, in day order: BLAS (tensordot) would sum a set's days in
    # an order that depends on the batch's size
    time = np.einsum("wt,t...->w...", weight, trace[:-1]) @ J                       # [weights, sets, arms, S]
    daily_time = trace[:-1] @ J if daily else None                                  # [T, sets, arms, S]
    dying = death_hazards(column)                                                   # [sets, 1, chain, places]
    treated = matrices.treated
    extra = {name: np.zeros((len(names), n_sets, len(treated))) for name in EVENTS}
    extra_deaths = np.zeros((n_sets, len(treated), len(PLACES)))
    daily_extra_deaths = np.zeros((n_sets, len(treated), horizon_days, len(PLACES))) if daily else None
    for day, spent, surplus_time in matrices.window_time(trace):                    # [sets, treated, S]
        time[:, :, treated] += weight[:, day, None, None, None] * surplus_time
        surplus = effect.day(day)[:, treated] - 1.0                                 # the window's factors − 1
        for name, count in count_events(spent, column, moved_by_treatment=True).items():
            extra[name] += weight[:, day, None, None] * surplus * count
        death_surplus = effect.factors(effect.share(day), effect.death_ratio)[:, treated] - 1.0
        ward_time = spent[..., W_NEVER] + spent[..., W_INFECTED]
        icu_deaths = column.icu_death * (spent[..., N] + column.hr_death_infected * spent[..., N + 1:A + 1].sum(-1))
        day_deaths = np.stack([death_surplus * icu_deaths,
                               surplus * column.ward_infection * column.ward_attributable_death * ward_time,
                               np.zeros_like(surplus)], axis=-1)
        extra_deaths += day_deaths
        if daily:
            daily_time[day][:, treated] += surplus_time
            daily_extra_deaths[:, :, day] = day_deaths
    events = {}
    for name, count in count_events(time, column).items():
        count = np.array(count)
        count[:, :, treated] += extra[name]
        events[name] = dict(zip(names, count, strict=True))
    time = dict(zip(names, time, strict=True))
    deaths = (time["undiscounted"][..., None, :] @ dying)[..., 0, :]
    deaths[:, treated] += extra_deaths
    daily_deaths = None
    if daily:
        daily_deaths = np.moveaxis(daily_time, 0, -2) @ dying
        daily_deaths[:, treated] += daily_extra_deaths
    return HospitalPhase(np.moveaxis(trace, 0, -2), time, events, deaths, daily_deaths)


class DayMatrices:
    """Each day's e^Q and ∫₀¹ e^{Qs} ds over the first ``states`` states (the chain; or the
    chain and the dead by place): after the effect window, one pair per set [sets, S, S];
    in the treated arms, also a pair for the days inside the window (before ⌊window⌋) and one
    for the day it ends in [sets, treated, S, S]."""

    def __init__(self, column: Hazards, effect: TreatmentEffect, states: int = len(CHAIN)) -> None:
        self.ends = np.floor(effect.window_days).astype(int)[:, None, None]          # [sets, 1, 1]
        self.treated = np.flatnonzero(effect.treated)
        self.after = tuple(matrix[:, 0] for matrix in exponential(generator(column)[..., :states, :states], 1.0))
        self.window = [exponential(generator(column, effect.factors(share)[:, self.treated],
                                             effect.factors(share, effect.death_ratio)[:, self.treated])
                                   [..., :states, :states], 1.0)
                       for share in (1.0, effect.window_days - np.floor(effect.window_days))]
        self.shape = (len(effect.window_days), len(effect.treated), states, states)
        self.last = int(self.ends.max(initial=-1))

    def move(self, membership: np.ndarray, day: int, out: np.ndarray) -> None:
        """The next day's membership, membership·e^Q, into ``out``: every arm's by the matrices
        after the window, then, while the window lasts, the treated arms' by their own."""
        # every product is one set's [arms, S] @ [S, S] (the same kernel for every arm and matrix,
        # so that arms with equal hazards stay equal to the last bit; per set, so batch invariant)
        np.matmul(membership, self.after[0], out=out)
        if day <= self.last:
            self._window(membership, day, 0, out)

    def _window(self, membership: np.ndarray, day: int, which: int, out: np.ndarray) -> None:
        """The treated arms' rows of ``out`` by the window's e^Q (``which`` 0) or ∫₀¹ e^{Qs} ds (1):
        the inside pair for the sets whose window goes on after ``day`` (most sets: every set's
        product, kept where inside), the ending pair for the few whose window ends in it."""
        (inside, ending), ends = self.window, self.ends[:, 0, 0]
        last_day = np.flatnonzero(ends == day)
        for i, arm in enumerate(self.treated):
            np.copyto(out[:, i if which else arm], np.matmul(membership, inside[which][:, i])[:, arm],
                      where=(ends > day)[:, None])
            out[last_day, i if which else arm] = np.matmul(membership[last_day], ending[which][last_day, i])[:, arm]

    def window_time(self, trace: np.ndarray):
        """(day, time, extra) for the days of the effect window: the treated arms' time spent
        that day by their own ∫₀¹ e^{Qs} ds, and that minus the after-window one [sets, treated, S]."""
        for day in range(min(self.last + 1, len(trace) - 1)):  # a window may outlast the horizon
            after = np.matmul(trace[day], self.after[1])[:, self.treated]
            spent = after.copy()
            self._window(trace[day], day, 1, spent)
            yield day, spent, spent - after

    def transitions(self, day: int) -> np.ndarray:
        """e^Q of ``day``: its transition matrices [sets, strategies, S, S]."""
        P = np.broadcast_to(self.after[0][:, None], self.shape).copy()
        if day <= self.last:
            (inside, _), (ending, _) = self.window
            P[:, self.treated] = np.where((day < self.ends)[..., None], inside,
                                          np.where((day == self.ends)[..., None], ending, P[:, self.treated]))
        return P

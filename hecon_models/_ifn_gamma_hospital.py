"""The flagship model's hospital phase: a continuous-time chain from randomisation to day 90.

Every patient starts in the ICU, never infected (``N``). Hazards are per day and constant
within each phase of the chain:

    N  → I₁ (a first infection, h_f)      → dead in ICU (μ)          → ward (γ)
    I_j → I_{j+1}, I_k → A (k/d each)     → dead in ICU (θ_d·μ)      → ward (θ_g·γ)
    A  → I₁ (a recurrence, h_r)           → dead in ICU (θ_d·μ)      → ward (θ_g·γ)
    ward → dead on the ward (ω_d)         → home (ω_h)
    home → dead at home (η)

An episode I₁ … I_k lasts d days on average, an Erlang(k, k/d) time (k = ``EPISODE_PHASES``
tunnel phases: a duration that varies about its mean, never the memoryless stay of a single
state). The infected-state hazard ratios θ_d and θ_g of ICU death and discharge hold from the
onset of the first infection until ICU exit (``icu_after_infection`` keeps them), as in the
multistate analyses they come from (Melsen 2013, Pouwels 2018, Nguile-Makao 2010: infection is
a time-dependent exposure with no return to the uninfected state).

The chain runs in continuous time: each day's transition matrix is the exponential of the
generator, P = e^Q, so a patient may be infected and die on the same day; the expected time in
each state is the exact integral m_k·∫₀¹ e^{Qs} ds of each day, and events (infection
episodes, deaths by place) are counted as time in their state × their hazard
(:func:`hecon.model.transitions.exponential`). IFN-γ multiplies the infection hazards by its
hazard ratio from randomisation to the end of the effect window (a day the window ends in
takes the share of the day inside it).

The placebo hazards are calibrated for every parameter set (:func:`calibrate`): the ICU's six
from closed forms of the chain (first-infection incidence, ICU mortality and ICU days to day 90,
the trial's measures; over the ICU stay, recurrences per infected patient, the extra ICU days of
an episode and the ICU deaths attributable to infection, the last two against the same patients
never infected — the multistate estimands of Ohannessian 2018 and Nguile-Makao 2010), then the
ward's two from the hospital days after the ICU and day-90 mortality, which is linear in the
ward's share of deaths.
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
         "icu_after_infection", "ward", "home")
N, A, W, H = 0, EPISODE_PHASES + 1, EPISODE_PHASES + 2, EPISODE_PHASES + 3
INFECTED = list(range(1, EPISODE_PHASES + 1))
ICU = [N, *INFECTED, A]
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

    def column(self) -> Hazards:
        """The hazards as [sets, 1], to broadcast against strategies."""
        return Hazards(*(np.asarray(getattr(self, f.name))[:, None] for f in fields(self)))

    def where(self, ok: np.ndarray, fill: float = 0.01) -> Hazards:
        """The hazards of the sets ``ok``, ``fill`` elsewhere (sets whose calibration failed)."""
        return Hazards(*(np.where(ok, getattr(self, f.name), fill) for f in fields(self)))


def generator(hz: Hazards, infection_factor=1.0, death_factor=1.0) -> np.ndarray:
    """The generator Q [..., 8 + k, 8 + k] of the chain and the dead states (dead in ICU, on
    the ward, at home, last): Q_ij the hazard of i → j, Q_ii minus their sum. The infection
    hazards are × ``infection_factor`` and the ICU death hazards × ``death_factor`` (IFN-γ's
    hazard ratios, by strategy)."""
    k = EPISODE_PHASES
    dead = {place: len(CHAIN) + j for j, place in enumerate(PLACES)}
    progress = k / hz.episode_days
    icu_death = hz.icu_death * death_factor
    infected_death, infected_discharge = icu_death * hz.hr_death_infected, hz.icu_discharge * hz.hr_discharge_infected
    exits = {
        N: [(INFECTED[0], hz.first_infection * infection_factor), (dead["icu"], icu_death), (W, hz.icu_discharge)],
        A: [(INFECTED[0], hz.recurrence * infection_factor), (dead["icu"], infected_death), (W, infected_discharge)],
        W: [(dead["ward"], hz.ward_death), (H, hz.ward_discharge)],
        H: [(dead["home"], hz.home_death)],
    }
    for j, phase in enumerate(INFECTED):
        exits[phase] = [(INFECTED[j + 1] if j + 1 < k else A, progress), (dead["icu"], infected_death),
                        (W, infected_discharge)]
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
    day-90 mortality. Targets that no hazards reproduce are reported with the reason."""
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
    rates = np.exp(x)
    ratios = rates[:, 4:6] if attributable else fixed
    hz = Hazards(*rates[:, :4].T, *ratios.T, np.nan, np.nan, home_death, episode_days)
    ward_death, ward_discharge, ward_reasons = _ward_hazards(hz, targets, horizon_days, reasons == "")
    reasons = np.where(reasons == "", ward_reasons, reasons)
    return Calibration(replace(hz, ward_death=ward_death, ward_discharge=ward_discharge), reasons == "", reasons)


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
    first, recurrences, death, stay, _, _, after_icu, day90 = targets.T
    checks = [
        (~((first > 0) & (first < 1)), "first-infection incidence must be in (0, 1)"),
        (~(recurrences > 0), "recurrences per infected patient must be > 0"),
        (~((death > 0) & (death < 1)), "ICU mortality must be in (0, 1)"),
        (~((stay > 0) & (stay < horizon_days)), f"ICU stay must be in (0, {horizon_days}) days"),
        (~(after_icu > 0), "hospital days after the ICU must be > 0"),
        (~((day90 > 0) & (day90 < 1)), "day-90 mortality must be in (0, 1)"),
    ]
    reasons = np.full(len(targets), "", dtype=object)
    for failed, message in reversed(checks):
        reasons[failed] = message
    return reasons


def _ward_hazards(hz: Hazards, targets: np.ndarray, horizon_days: int, ok: np.ndarray):
    """Ward death and discharge hazards ω_d, ω_h from the hospital days after the ICU and
    day-90 mortality, both to day T. With D_t the patients leaving the ICU alive on day t (at
    mid-day, τ = T − t − ½ days before day T) and ω = ω_d + ω_h:
    days on the ward Σ_t D_t·(1 − e^{−ωτ})/ω, decreasing in ω (solved by Newton's method);
    day-90 mortality, linear in the ward's share s = ω_d/ω: the ICU deaths by day T plus
    Σ_t D_t·[s·F_w(τ) + (1 − s)·F_h(τ)], F_w(τ) = 1 − e^{−ωτ},
    F_h(τ) = 1 − e^{−ωτ} − ω·e^{−ητ}(1 − e^{−(ω−η)τ})/(ω − η) (discharged home, then dead at η)."""
    clean = hz.where(ok)
    after_icu, day90 = targets[:, 6], targets[:, 7]
    icu_deaths, discharged = _icu_exits(clean, horizon_days)            # [sets], [sets, days]
    tau = horizon_days - (np.arange(horizon_days) + 0.5)[None, :]
    reasons = np.where(ok & ~(after_icu < (discharged * tau).sum(1)),
                       "no ward hazards give this many hospital days after the ICU by day 90 (more than if "
                       "nobody left the ward)", "")
    omega = _ward_exit_rate(discharged, tau, np.where(reasons == "", after_icu, 1.0))
    eta = clean.home_death
    leave = -np.expm1(-omega[:, None] * tau)
    gap = (omega - eta)[:, None]
    home = leave - omega[:, None] * np.exp(-eta[:, None] * tau) * -np.expm1(-gap * tau) / gap
    ward_part, home_part = (discharged * leave).sum(1), (discharged * home).sum(1)
    share = (day90 - icu_deaths - home_part) / (ward_part - home_part)
    reasons = np.where(ok & (reasons == "") & ~((share > 0) & (share < 1)),
                       "no ward hazards reproduce day-90 mortality with this hospital stay "
                       "(the deaths it needs after the ICU are below those at home or above all who leave it)", reasons)
    return share * omega, (1 - share) * omega, reasons


def _ward_exit_rate(discharged: np.ndarray, tau: np.ndarray, days: np.ndarray) -> np.ndarray:
    """ω with Σ_t D_t·(1 − e^{−ωτ_t})/ω = ``days``, by Newton's method from the untruncated
    ω₀ = Σ D_t / days (the function decreases and is convex in ω, so the iterates rise to the
    root)."""
    omega = discharged.sum(1) / days
    done = np.zeros(omega.shape, dtype=bool)
    for _ in range(50):  # a set stops when its own step is negligible: its result is the batch's
        decay = np.exp(-omega[:, None] * tau)
        value = (discharged * -np.expm1(-omega[:, None] * tau)).sum(1) / omega - days
        slope = (discharged * (tau * decay / omega[:, None] + np.expm1(-omega[:, None] * tau) / omega[:, None] ** 2)).sum(1)
        step = np.where(done, 0.0, value / slope)
        omega = omega - step
        done |= np.abs(step) <= 1e-13 * omega
        if done.all():
            break
    return omega


def _icu_exits(hz: Hazards, horizon_days: int) -> tuple[np.ndarray, np.ndarray]:
    """ICU deaths by day T [sets] and live ICU discharges of each day [sets, T] of the placebo
    chain's ICU block, from its daily exponential and the exact time in each state."""
    Q = generator(hz)[..., : len(ICU), : len(ICU)]
    P, J = exponential(Q, 1.0)
    death = hz.icu_death[:, None] * np.where(np.arange(len(ICU)) == N, 1.0, hz.hr_death_infected[:, None])
    discharge = hz.icu_discharge[:, None] * np.where(np.arange(len(ICU)) == N, 1.0, hz.hr_discharge_infected[:, None])
    membership = np.zeros(Q.shape[:-1])
    membership[..., N] = 1.0
    deaths, discharged = np.zeros(len(Q)), np.empty((len(Q), horizon_days))
    for day in range(horizon_days):
        time = np.vecmat(membership, J)
        deaths += np.vecdot(time, death)
        discharged[:, day] = np.vecdot(time, discharge)
        membership = np.vecmat(membership, P)
    return deaths, discharged


# ---------------------------------------------------------------- the chain by day

@dataclass(frozen=True)
class HospitalPhase:
    """The chain from day 0 to day T for every set and strategy.

    ``trace`` [sets, strategies, T + 1, chain]: membership at the start of each day (and at T);
    ``time[w]`` [sets, strategies, chain]: days spent in each state, each day weighted by
    ``w`` (``undiscounted``, or a discount factor per day); ``episodes[w]``: infection
    episodes, weighted the same way; ``first_episodes``: patients infected at least once;
    ``deaths`` [sets, strategies, places]: deaths by day T in the ICU, on the ward, at home;
    ``daily_deaths`` [sets, strategies, T, places] when asked (for the trace of one set).
    """

    trace: np.ndarray
    time: dict[str, np.ndarray]
    episodes: dict[str, np.ndarray]
    first_episodes: np.ndarray
    deaths: np.ndarray
    daily_deaths: np.ndarray | None


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
    with per-day ``weights`` (name → [T]: discount factors) for the time and the episodes.

    The loop only moves the membership, m_{d+1} = m_d·P_d. The time spent is linear in it:
    Σ_d w_d·m_d·J = (Σ_d w_d·m_d)·J for the days sharing J = ∫₀¹ e^{Qs} ds (every arm after
    IFN-γ's effect window, the untreated arms always), so it is one weighted sum of the trace
    then one product; the treated arms' days inside the window add their difference. Events
    are time × hazard, and the window's factor on the infection hazards adds (f_d − 1)·events.
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
    time = np.tensordot(weight, trace[:-1], axes=1) @ J                             # [weights, sets, arms, S]
    daily_time = trace[:-1] @ J if daily else None                                  # [T, sets, arms, S]
    rates = np.zeros((n_sets, 1, len(CHAIN)))
    rates[..., N], rates[..., A] = column.first_infection, column.recurrence
    treated = matrices.treated
    dying = death_hazards(column)                                                   # [sets, 1, chain, places]
    extra_episodes = np.zeros((len(names), n_sets, len(treated)))
    extra_first, extra_deaths = np.zeros((n_sets, len(treated))), np.zeros((n_sets, len(treated)))
    daily_extra_deaths = np.zeros((n_sets, len(treated), horizon_days)) if daily else None
    for day, spent, extra in matrices.window_time(trace):                           # [sets, treated, S]
        time[:, :, treated] += weight[:, day, None, None, None] * extra
        surplus = effect.day(day)[:, treated] - 1.0                                 # the window's factors − 1
        extra_episodes += weight[:, day, None, None] * surplus * np.vecdot(spent, rates)
        extra_first += surplus * spent[..., N] * column.first_infection
        deaths_surplus = (effect.factors(effect.share(day), effect.death_ratio)[:, treated] - 1.0) \
            * np.vecdot(spent, dying[..., 0])
        extra_deaths += deaths_surplus
        if daily_time is not None:
            daily_time[day][:, treated] += extra
            daily_extra_deaths[..., day] = deaths_surplus
    episodes = np.vecdot(time, rates)
    episodes[:, :, treated] += extra_episodes
    first = time[0, ..., N] * column.first_infection
    first[:, treated] += extra_first
    time, episodes = dict(zip(names, time, strict=True)), dict(zip(names, episodes, strict=True))
    deaths = (time["undiscounted"][..., None, :] @ dying)[..., 0, :]
    deaths[:, treated, 0] += extra_deaths                                           # IFN-γ's direct effect
    daily_deaths = None if daily_time is None else np.moveaxis(daily_time, 0, -2) @ dying
    if daily_deaths is not None:
        daily_deaths[:, treated, :, 0] += daily_extra_deaths
    return HospitalPhase(np.moveaxis(trace, 0, -2), time, episodes, first, deaths, daily_deaths)


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
        np.matmul(membership, self.after[0], out=out)  # [sets, arms, S] @ [sets, S, S]: all arms at once
        if day <= self.last:
            treated = membership[:, self.treated]
            for (P, _), here in zip(self.window, (day < self.ends, day == self.ends), strict=True):
                out[:, self.treated] = np.where(here, np.vecmat(treated, P), out[:, self.treated])

    def window_time(self, trace: np.ndarray):
        """(day, time, extra) for the days of the effect window: the treated arms' time spent
        that day by their own ∫₀¹ e^{Qs} ds, and that minus the after-window one [sets, treated, S]."""
        for day in range(self.last + 1):
            treated = trace[day][:, self.treated]
            after = treated @ self.after[1]
            spent = after
            for (_, J), here in zip(self.window, (day < self.ends, day == self.ends), strict=True):
                spent = np.where(here, np.vecmat(treated, J), spent)
            yield day, spent, spent - after

    def transitions(self, day: int) -> np.ndarray:
        """e^Q of ``day``: its transition matrices [sets, strategies, S, S]."""
        P = np.broadcast_to(self.after[0][:, None], self.shape).copy()
        if day <= self.last:
            (inside, _), (ending, _) = self.window
            P[:, self.treated] = np.where((day < self.ends)[..., None], inside,
                                          np.where((day == self.ends)[..., None], ending, P[:, self.treated]))
        return P

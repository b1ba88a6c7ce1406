"""The IFN-γ trial: simulation from the model, round trip through the fit, within-trial costing
(hecon_models/_ifn_gamma_trial.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hecon.errors import InputError
from hecon.trial import events, load_trial, write_trial
from hecon_models import _ifn_gamma_hospital as chain
from hecon_models import _ifn_gamma_trial as trial
from hecon_models import ifn_gamma as model

N_LARGE = 20_000
OPTIONS = model.Options()
TRUTH = model.load_parameters(OPTIONS)
#: the day-90 outcomes a trial observes, model name → trial name (the simulated trial holds the
#: ICU's episodes and the first one acquired on the ward: patients infected, the primary endpoint,
#: is complete; the episodes are compared in the ICU)
OUTCOMES = {"icu_infection_episodes": "icu_episodes", "patients_infected": "infected", "icu_deaths": "icu_death",
            "day90_deaths": "death", "icu_days": "icu_days", "hospital_days": "hospital_days"}


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A 20,000-patient trial simulated from the base case, and its fit."""
    folder = tmp_path_factory.mktemp("large")
    write_trial(folder, *trial.simulate(N_LARGE, 1))
    data = load_trial(folder, trial.ARMS)
    return data, trial.fit(data)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    write_trial(folder, *trial.simulate(326, 5, dropout=0.1))
    return load_trial(folder, trial.ARMS)


def modelled(outcomes, name: str) -> np.ndarray:
    """The model's value of an outcome of :data:`OUTCOMES`, by arm (the ICU's episodes: all but
    those acquired on the ward)."""
    if name == "icu_infection_episodes":
        return outcomes["infection_episodes"][0] - outcomes["ward_infection_episodes"][0]
    return outcomes[name][0]


def observed(data) -> pd.DataFrame:
    """Arm means of the day-90 outcomes, in the model's names."""
    outcomes = events.patient_outcomes(data, OPTIONS.hospital_days)
    in_icu = events.icu_episodes(data)
    outcomes["icu_episodes"] = np.bincount(in_icu["patient"][in_icu["onset"] < OPTIONS.hospital_days],
                                           minlength=len(outcomes))
    means = outcomes.groupby("arm")[list(OUTCOMES.values())].agg(["mean", "sem"]).reindex(list(trial.ARMS))
    return means


def test_simulation_is_reproducible_and_balanced():
    first, second = trial.simulate(300, 9), trial.simulate(300, 9)
    for a, b in zip(first, second, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert not first[0].equals(trial.simulate(300, 10)[0])
    assert first[0]["arm"].value_counts().to_dict() == {"placebo": 150, "ifn_gamma": 150}
    assert trial.simulate(7, 1)[0]["arm"].value_counts()["placebo"] == 4


def test_drop_out_censors_without_changing_the_paths():
    complete, lost = trial.simulate(2000, 3)[0], trial.simulate(2000, 3, dropout=0.3)[0]
    followed = lost["last_followup_day"] == OPTIONS.hospital_days
    assert 0.2 < 1 - followed[lost["death_day"].isna()].mean() < 0.4
    dead = lost["death_day"].notna()
    np.testing.assert_array_equal(lost.loc[dead, "death_day"], complete.loc[dead, "death_day"])
    kept = followed | dead
    pd.testing.assert_frame_equal(lost[kept], complete[kept])
    with pytest.raises(InputError, match="drop-out"):
        trial.simulate(10, 1, dropout=1.0)


def test_the_simulated_trial_is_valid_and_described(small):
    p = small.patients
    assert len(p) == 326 and (p["last_followup_day"] <= OPTIONS.hospital_days).all()
    assert (p["mhladr_baseline"] < trial.RESTORATION_THRESHOLD).all() and (p["lymphocytes_baseline"] < 1000).all()
    assert (p.loc[p["arm"] == "placebo", "doses_given"] <= 5).all()
    assert (small.resource_use.loc[p["arm"] == "placebo", "active_drug_doses"] == 0).all()
    assert small.infections["site"].isin(trial.Population().sites).all()
    lost = p["death_day"].isna() & (p["last_followup_day"] < OPTIONS.hospital_days)
    assert lost.sum() > 0


def test_the_simulated_trial_reproduces_the_model(large):
    """Patients follow the model's own chain: the trial's arm means are the model's outcomes."""
    data, _ = large
    means = observed(data)
    base = model.evaluate(TRUTH.base_case(), OPTIONS)
    for name, column in OUTCOMES.items():
        mean, sem = means[column]["mean"].to_numpy(), means[column]["sem"].to_numpy()
        tolerance = 4 * sem + (0.51 if name.endswith("days") else 0)  # half-cycle end weight
        assert np.all(np.abs(modelled(base, name) - mean) < tolerance), name


def within_sampling_error(estimate: pd.Series, truth: float, extra: float = 0.0) -> bool:
    if estimate["distribution"].startswith("LogNormal"):
        return abs(np.log(estimate["estimate"] / truth)) < 3 * estimate["se"] / estimate["estimate"] + extra
    return abs(estimate["estimate"] - truth) < 3 * estimate["se"] + extra


def test_the_fit_recovers_each_parameter_within_its_sampling_error(large):
    _, fit = large
    estimated = fit.estimates[fit.estimates["parameter"] != ""].set_index("parameter")
    assert len(estimated) == 17
    hz = model.calibrate(TRUTH.base_case(), OPTIONS).hazards
    # The chain runs in continuous time: a trial measures its hazard ratios themselves. Its
    # episode-duration estimator (1 / resolutions per infected day) is the memoryless one: for
    # an Erlang(k) episode cut short by ICU exit (hazard e₁) it estimates E[min(D, X)]/P(D < X)
    # = (1 − q)/(e₁·q), q = (1 + e₁·d/k)^(−k), not d (see docs/trial.md).
    exit_rate = (hz.icu_death * hz.hr_death_infected + hz.icu_discharge * hz.hr_discharge_infected)[0]
    completed = (1 + exit_rate * hz.episode_days[0] / chain.EPISODE_PHASES) ** -chain.EPISODE_PHASES
    expected = {"hr_icu_death_infected": hz.hr_death_infected[0], "hr_icu_discharge_infected": hz.hr_discharge_infected[0],
                "episode_duration_mean": (1 - completed) / (exit_rate * completed)}
    for name, row in estimated.iterrows():
        if name == "age_sd":
            assert row["estimate"] == pytest.approx(TRUTH[name].value, rel=0.03)
            continue
        truth = expected.get(name, TRUTH[name].value)
        # patients are followed day by day, event times drawn within the day: 2 % on top of the
        # sampling error for the infection-course estimates
        extra = (0.02 if row["distribution"].startswith("LogNormal") else 0.02 * truth) if name in expected else 0.0
        assert within_sampling_error(row, truth, extra), (name, row["estimate"], truth)


def test_the_fitted_table_is_the_model_schema_with_the_data_hash(large, tmp_path):
    data, fit = large
    estimated = fit.estimates.loc[fit.estimates["parameter"] != "", "parameter"]
    table = fit.table.set_index("name")
    assert (table.loc[estimated, "source"] == f"trial data, {data.digest()}").all()
    kept = table.drop(index=estimated)
    assert not kept["source"].str.startswith("trial data").any()
    assert "smr_year1" in kept.index and "cost_icu_day" in kept.index
    assert "Parameters still taken from the literature" in fit.report and "smr_year1" in fit.report
    path = tmp_path / "fitted.csv"
    fit.table.to_csv(path, index=False)
    assert trial.load_table(path, OPTIONS)["hr_infection_ifn"].value == pytest.approx(
        fit.estimates.set_index("parameter").loc["hr_infection_ifn", "estimate"])


def test_the_model_on_the_fitted_table_reproduces_the_trial_at_day_90(large, tmp_path):
    data, fit = large
    path = tmp_path / "fitted.csv"
    fit.table.to_csv(path, index=False)
    outcomes = model.evaluate(trial.load_table(path, OPTIONS).base_case(), OPTIONS)
    means = observed(data)
    for name, column in OUTCOMES.items():
        mean, sem = means[column]["mean"].to_numpy(), means[column]["sem"].to_numpy()
        tolerance = 3 * np.sqrt(2) * sem + (0.51 if name.endswith("days") else 0)
        assert np.all(np.abs(modelled(outcomes, name) - mean) < tolerance), (name, modelled(outcomes, name), mean)


def test_the_survival_models_and_curves(large):
    _, fit = large
    assert set(fit.survival_models["distribution"]) == {"exponential", "weibull", "gompertz", "log-logistic",
                                                        "lognormal"}
    assert (fit.survival_models.groupby("arm")["delta_aic"].min() == 0).all()
    km = fit.curves[fit.curves["curve"] == "Kaplan–Meier"]
    assert km.groupby("arm")["survival"].min().between(0.6, 0.75).all()


def test_per_patient_costs_price_the_resource_use(small):
    costs = trial.per_patient(small, TRUTH, OPTIONS)
    use = small.resource_use
    price = TRUTH["price_ifn_vial"].value
    np.testing.assert_allclose(costs["drug"], use["active_drug_doses"] * price)
    icu = TRUTH["cost_icu_day"].value * TRUTH["icu_late_day_factor"].value  # a late ICU day, infected or not
    np.testing.assert_allclose(costs["icu_not_infected"] + costs["icu_infected"], use["icu_days"] * icu)
    lost = small.patients["death_day"].isna() & (small.patients["last_followup_day"] < OPTIONS.hospital_days)
    assert costs.loc[lost, "day90_deaths"].isna().all() and costs.loc[~lost, "day90_deaths"].notna().all()
    hospital = trial.per_patient(small, TRUTH, model.Options(perspective="hospital"))
    assert (hospital["post_discharge_d90"] == 0).all() and (costs["post_discharge_d90"] > 0).any()


def test_within_trial_analysis_excludes_incomplete_patients(small):
    result = trial.within_trial_analysis(small, 200, seed=1, table=TRUTH, options=OPTIONS)
    lost = (small.patients["death_day"].isna() & (small.patients["last_followup_day"] < 90)).groupby(
        small.patients["arm"]).sum()
    missing = result.missing.set_index("arm")
    assert (missing["excluded"] == lost.reindex(missing.index)).all()
    assert result.point.strategies == trial.ARMS
    assert [e.outcome for e in trial.EFFECTS] == ["infection_episodes", "patients_infected", "day90_deaths"]


def test_costing_needs_resource_use(small, tmp_path):
    write_trial(tmp_path, small.patients, small.infections)
    with pytest.raises(InputError, match="resource_use.csv.*no resource use"):
        trial.per_patient(load_trial(tmp_path, trial.ARMS), TRUTH, OPTIONS)

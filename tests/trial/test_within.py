"""Within-trial cost-effectiveness from per-patient data (hecon.trial.within)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hecon.analysis.decision import wtp_grid
from hecon.errors import InputError
from hecon.model import Effect
from hecon.trial import within_trial

EFFECT = Effect("infected", "patient kept free of infection", "patient kept free of infection",
                higher_is_better=False)


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    arm = np.where(np.arange(n) % 2, "new", "usual")
    infected = (rng.random(n) < np.where(arm == "new", 0.3, 0.45)).astype(float)
    frame = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "arm": arm,
                          "drug": np.where(arm == "new", 800.0, 0.0),
                          "care": rng.gamma(4, 5000, n) + 3000 * infected, "infected": infected})
    frame.loc[[2, 10], "care"] = np.nan       # two usual-care patients without costs
    frame.loc[[5], "infected"] = np.nan       # one new-arm patient lost before the horizon
    return frame


def analyse(patients, **options):
    return within_trial(patients, ("usual", "new"), ["drug", "care"], ["infected"],
                        labels={"care": "Hospital care"}, **{"n_replicates": 500, "seed": 3, **options})


def test_complete_cases_and_the_missing_data_table(patients):
    result = analyse(patients)
    missing = result.missing.set_index("arm")
    assert missing.loc["usual"].to_dict() == {"randomised": 100, "analysed": 98, "excluded": 2, "missing_drug": 0,
                                              "missing_care": 2, "missing_infected": 0}
    assert missing.loc["new", "excluded"] == 1 and missing.loc["new", "missing_infected"] == 1
    assert result.per_patient["analysed"].sum() == 197


def test_point_estimates_are_complete_case_arm_means(patients):
    result = analyse(patients)
    complete = patients.dropna()
    for j, arm in enumerate(("usual", "new")):
        rows = complete[complete["arm"] == arm]
        assert result.point["care"][0, j] == pytest.approx(rows["care"].mean())
        assert result.point.total_cost[0, j] == pytest.approx((rows["care"] + rows["drug"]).mean())
        assert result.point["infected"][0, j] == pytest.approx(rows["infected"].mean())
    assert result.replicates.n_sets == 500 and result.point.label("care") == "Hospital care"


def test_tables_carry_bootstrap_intervals_and_are_reproducible(patients):
    result = analyse(patients)
    table = result.cost_consequence("usual").set_index("outcome")
    low, high = table.loc["total_cost", ["difference_new_low", "difference_new_high"]]
    assert low < table.loc["total_cost", "difference_new"] < high
    draws = result.replicates.total_cost[:, 1] - result.replicates.total_cost[:, 0]
    assert (low, high) == pytest.approx(tuple(np.quantile(draws, [0.025, 0.975])))
    icers = result.icers([EFFECT], "usual")
    assert icers["per"].item() == "patient kept free of infection"
    np.testing.assert_array_equal(result.replicates.total_cost, analyse(patients).replicates.total_cost)
    assert not np.array_equal(result.replicates.total_cost, analyse(patients, seed=4).replicates.total_cost)
    np.testing.assert_array_equal(result.replicates.total_cost,
                                  analyse(patients, block_size=7).replicates.total_cost)


def test_the_decision_analysis_treats_replicates_as_draws(patients):
    result = analyse(patients)
    grid, report = wtp_grid([20_000], 100_000, 5_000)
    decision = result.decision(EFFECT, grid, report)
    np.testing.assert_allclose(decision.ceac.groupby("wtp")["probability"].sum(), 1.0)
    np.testing.assert_array_equal(decision.effects, -result.replicates["infected"])
    frame = result.replicate_frame()
    assert len(frame) == 1000 and {"replicate", "strategy", "total_cost"} <= set(frame.columns)


def test_an_arm_without_complete_cases_is_an_input_error(patients):
    frame = patients.copy()
    frame.loc[frame["arm"] == "new", "care"] = np.nan
    with pytest.raises(InputError) as caught:
        analyse(frame)
    assert caught.value.message == ("no patient of arm 'new' has complete costs and outcomes "
                                    "(care is unknown for 100 of 100 patients)")


def test_the_bootstrap_memory_is_estimated_and_bounded(patients):
    from hecon.trial.within import bootstrap_bytes

    assert bootstrap_bytes(1000, 2, 3) == 8 * 1000 * 2 * (3 + 2 * 5)
    with pytest.raises(InputError) as caught:
        analyse(patients, n_replicates=10**6, memory_gb=0.05)
    per_replicate = bootstrap_bytes(1, 2, 3)
    assert caught.value.message.startswith("a bootstrap of 1,000,000 replicates needs about")
    assert caught.value.fix == f"use --bootstrap {int(0.05 * 1024**3) // per_replicate:,} or fewer, or a larger --memory"

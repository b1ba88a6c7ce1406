"""The update of the PSA by a trial's counts: importance weights, ESS, posterior tables."""

import numpy as np
import pandas as pd
import pytest

from hecon.analysis import update
from hecon.analysis.evsi import BinomialTrial
from hecon.errors import InputError

TRUE_LOG_OR = -0.1


def prior(n_draws: int = 20_000, seed: int = 0):
    """p0 ~ Beta(40, 60), log OR ~ N(−0.3, 0.3): the arms' infection probabilities."""
    rng = np.random.default_rng(seed)
    p0, log_or = rng.beta(40, 60, n_draws), rng.normal(-0.3, 0.3, n_draws)
    odds = p0 / (1 - p0) * np.exp(log_or)
    design = BinomialTrial(np.stack([p0, odds / (1 + odds)], axis=1)[:, :, None], ("control", "treated"), ("infection",))
    return pd.DataFrame({"p0": p0, "log_or": log_or}), design


def trial_counts(n: int, seed: int) -> pd.DataFrame:
    """A trial of n per arm simulated at p0 = 0.4 and log OR = TRUE_LOG_OR."""
    odds = 0.4 / 0.6 * np.exp(TRUE_LOG_OR)
    events = np.random.default_rng(seed).binomial(n, [0.4, odds / (1 + odds)])
    return pd.DataFrame({"arm": ["control", "treated"], "endpoint": "infection", "events": events, "patients": n})


def test_posterior_concentrates_on_the_true_effect_as_the_trial_grows():
    parameters, design = prior()
    errors, widths = [], []
    for n in (30, 300, 3000):
        weights = update.posterior_weights(design, trial_counts(n, seed=n), min_ess=20)
        row = update.update_tables(parameters, design, trial_counts(n, seed=n), weights)["posterior_parameters"] \
            .set_index("parameter").loc["log_or"]
        errors.append(abs(row["posterior_mean"] - TRUE_LOG_OR))
        widths.append(row["posterior_high"] - row["posterior_low"])
    assert widths[0] > widths[1] > widths[2]
    assert errors[2] < 0.1 and errors[2] < errors[0]


def test_weights_match_the_conjugate_beta_posterior_of_one_arm():
    """The control arm's probability has a Beta(40, 60) prior: after x of n events its posterior
    is Beta(40 + x, 60 + n − x) (conjugate), which the weighted draws must reproduce."""
    parameters, design = prior(n_draws=40_000)
    counts = pd.DataFrame({"arm": ["control", "treated"], "endpoint": "infection", "events": [30, 0], "patients": [100, 0]})
    weights = update.posterior_weights(design, counts)
    assert weights @ parameters["p0"] == pytest.approx(70 / 200, abs=0.003)


def test_a_posterior_on_too_few_draws_is_refused():
    _, design = prior(n_draws=500)
    counts = pd.DataFrame({"arm": ["control", "treated"], "endpoint": "infection", "events": [9000, 100],
                           "patients": [10_000, 10_000]})
    with pytest.raises(InputError, match="effective draws"):
        update.posterior_weights(design, counts)


def test_counts_must_cover_every_arm_and_be_possible():
    _, design = prior(n_draws=100)
    with pytest.raises(InputError, match="no 'infection' in arm 'treated'"):
        update.observed_counts(design, pd.DataFrame({"arm": ["control"], "endpoint": "infection", "events": [1], "patients": [2]}))
    with pytest.raises(InputError, match="between 0"):
        update.observed_counts(design, pd.DataFrame({"arm": ["control", "treated"], "endpoint": "infection",
                                                     "events": [3, 1], "patients": [2, 2]}))


def test_systematic_resampling_follows_the_weights():
    weights = np.array([0.5, 0.25, 0.25, 0.0])
    counts = np.bincount(update.systematic_resample(weights, seed=3), minlength=4)
    np.testing.assert_array_equal(counts, [2, 1, 1, 0])

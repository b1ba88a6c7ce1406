"""Stratified non-parametric bootstrap of arm means (hecon.trial.bootstrap)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.trial import stratified_means


def two_arms(seed: int = 0, n: tuple[int, int] = (40, 55)):
    rng = np.random.default_rng(seed)
    strata = np.repeat([0, 1], n)
    values = np.column_stack([rng.gamma(2, 1000, sum(n)), rng.integers(0, 2, sum(n))])
    return values, strata


def test_the_same_seed_gives_the_same_replicates_and_another_seed_others():
    values, strata = two_arms()
    a = stratified_means(values, strata, 200, seed=7)
    assert a.shape == (200, 2, 2)
    np.testing.assert_array_equal(a, stratified_means(values, strata, 200, seed=7))
    assert not np.array_equal(a, stratified_means(values, strata, 200, seed=8))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_replicates_do_not_depend_on_the_block_size(block, seed):
    values, strata = two_arms(seed=3)
    whole = stratified_means(values, strata, 300, seed=seed)
    np.testing.assert_array_equal(whole, stratified_means(values, strata, 300, seed=seed, block_size=block))


def test_more_replicates_extend_the_same_sequence():
    values, strata = two_arms()
    np.testing.assert_array_equal(stratified_means(values, strata, 50, seed=1),
                                  stratified_means(values, strata, 120, seed=1)[:50])


def test_resampling_stays_within_each_arm():
    strata = np.repeat([0, 1, 2], [3, 5, 4])
    values = strata.astype(float)[:, None] * 10  # constant within each arm
    means = stratified_means(values, strata, 100, seed=0)
    np.testing.assert_array_equal(means[:, :, 0], np.tile([0.0, 10.0, 20.0], (100, 1)))


def test_replicates_centre_on_the_arm_mean_with_the_standard_error():
    values, strata = two_arms(seed=5, n=(400, 300))
    means = stratified_means(values, strata, 4000, seed=11)
    for s in (0, 1):
        arm = values[strata == s, 0]
        se = arm.std() / np.sqrt(arm.size)
        assert means[:, s, 0].mean() == pytest.approx(arm.mean(), abs=5 * se / np.sqrt(4000))
        assert means[:, s, 0].std() == pytest.approx(se, rel=0.05)


def test_mistakes_are_refused():
    values, strata = two_arms()
    with pytest.raises(InputError, match="replicates must be ≥ 1"):
        stratified_means(values, strata, 0, seed=1)
    with pytest.raises(InputError, match="seed"):
        stratified_means(values, strata, 10, seed=-1)
    with pytest.raises(InputError, match="stratum 2 has no patient"):
        stratified_means(values, strata, 10, seed=1, n_strata=3)

"""ParameterTable.sample: one stream per sampling unit and block of draws, two samplers, the inversion draws kept."""

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hecon.errors import InputError
from hecon.model.distributions import SAMPLERS
from hecon.model.parameters import COLUMNS, SAMPLING_BLOCK, ParameterTable

#: one row of every distribution, a fixed row and a three-category Dirichlet group
ROWS = [
    {"name": "p_event", "value": "0.3", "distribution": "beta", "alpha": "30", "beta": "70"},
    {"name": "cost_day", "value": "1000", "distribution": "gamma", "se": "100"},
    {"name": "hr", "value": "0.7", "distribution": "lognormal", "ci_low": "0.5", "ci_high": "0.98"},
    {"name": "age", "value": "60", "distribution": "normal", "se": "2"},
    {"name": "utility", "value": "0.8", "distribution": "truncnormal", "se": "0.1", "lower": "0", "upper": "1"},
    {"name": "window", "value": "20", "distribution": "uniform", "lower": "10", "upper": "30"},
    {"name": "delay", "value": "2", "distribution": "triangular", "lower": "1", "upper": "5"},
    {"name": "doses", "value": "4", "distribution": "pert", "lower": "3", "upper": "6"},
    {"name": "discount", "value": "0.035", "distribution": "fixed"},
    {"name": "stay", "value": "0.7", "distribution": "dirichlet", "alpha": "70", "group": "exits"},
    {"name": "leave", "value": "0.2", "distribution": "dirichlet", "alpha": "20", "group": "exits"},
    {"name": "die", "value": "0.1", "distribution": "dirichlet", "alpha": "10", "group": "exits"},
]

#: ``sample(4, 2024)`` of this table computed by hecon before the generator sampler existed
#: (every draw by inversion): ``method="inversion"`` must reproduce an old analysis
INVERSION_2024 = {
    "p_event": [0.31660375412660213, 0.3020725514338847, 0.25571313356065795, 0.3185761937846353],
    "cost_day": [885.6889470094677, 986.2460321063038, 880.7959307765616, 1035.4612794091745],
    "hr": [0.8921875602318344, 0.5767076971330827, 0.6375737261252411, 0.6718993799624828],
    "age": [57.18437065558328, 57.33083821377899, 58.48545380792172, 65.11254838780286],
    "utility": [0.8871126606962987, 0.8751510488149749, 0.9120105660995418, 0.787156168829209],
    "window": [10.470509030401718, 25.88985951356687, 23.464529128920447, 29.32551561147704],
    "delay": [3.621961305604507, 2.2802684778675255, 3.638961455015739, 2.9079780019270656],
    "doses": [3.7919456074535427, 5.004071852517065, 3.918875553333293, 3.736710114291862],
    "discount": [0.035, 0.035, 0.035, 0.035],
    "stay": [0.6393559641233411, 0.6871169511930405, 0.7216521779449517, 0.638739934368534],
    "leave": [0.23247913396854386, 0.1851636251964427, 0.17784275889304957, 0.27557635786082524],
    "die": [0.128164901908115, 0.12771942361051675, 0.10050506316199866, 0.0856837077706408],
}


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("sampling") / "parameters.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows({**row, "source": "test"} for row in ROWS)
    return ParameterTable.load(path)


def test_inversion_reproduces_the_draws_of_earlier_versions(table):
    draws = table.sample(4, 2024, method="inversion")
    for name, expected in INVERSION_2024.items():  # to rounding: a scipy release may move a last digit
        np.testing.assert_allclose(draws[name], expected, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("method", SAMPLERS)
def test_unit_i_draws_from_the_i_th_child_of_the_seed(table, method):
    """Parameters and the Dirichlet group are units 0…8 in table order ("discount" is fixed)."""
    draws = table.sample(50, 2024, method)
    children = np.random.SeedSequence(2024).spawn(9)
    units = [name for name in table.uncertain if table[name].group != "exits"]
    for i, name in enumerate(units):
        expected = table[name].distribution.sample(np.random.default_rng(children[i]), 50, method)
        np.testing.assert_array_equal(draws[name], expected)
    exits = table.dirichlet["exits"].sample(np.random.default_rng(children[8]), 50, method)
    np.testing.assert_array_equal(np.column_stack([draws["stay"], draws["leave"], draws["die"]]), exits)
    assert np.all(draws["discount"] == 0.035)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(SAMPLERS), st.integers(0, 2**63), st.integers(1, 200), st.integers(1, 200))
def test_reproducible_by_seed_and_the_first_m_of_n_draws_equal_m_draws(table, method, seed, n, m):
    m = min(m, n)
    draws = table.sample(n, seed, method)
    again, first = table.sample(n, np.random.SeedSequence(seed), method), table.sample(m, seed, method)
    for name in table.names:
        np.testing.assert_array_equal(draws[name], again[name])
        np.testing.assert_array_equal(draws[name][:m], first[name])


def test_the_default_sampler_is_the_generator(table):
    default, generated = table.sample(20, 1), table.sample(20, 1, "generator")
    inverted = table.sample(20, 1, "inversion")
    assert all(np.array_equal(default[name], generated[name]) for name in table.names)
    assert not np.allclose(default["p_event"], inverted["p_event"])


def test_an_unknown_sampler_is_refused(table):
    with pytest.raises(InputError, match="unknown sampler 'lhs'") as caught:
        table.sample(10, 1, method="lhs")
    assert "inversion" in caught.value.fix


@pytest.mark.parametrize("method", SAMPLERS)
def test_block_b_of_unit_i_draws_from_spawn_key_i_b(table, method):
    """Draws 10,000 … 10,004 are the first five of block 1's own stream (spawn key (i, 1))."""
    draws = table.sample(SAMPLING_BLOCK + 5, 2024, method)
    stream = np.random.default_rng(np.random.SeedSequence(2024, spawn_key=(0, 1)))
    np.testing.assert_array_equal(draws["p_event"][SAMPLING_BLOCK:],
                                  table["p_event"].distribution.sample(stream, 5, method))
    first = table.sample(SAMPLING_BLOCK, 2024, method)
    assert all(np.array_equal(draws[name][:SAMPLING_BLOCK], first[name]) for name in table.names)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(SAMPLERS), st.integers(0, 3 * SAMPLING_BLOCK - 1), st.integers(1, 2 * SAMPLING_BLOCK))
def test_any_run_of_draws_sampled_alone_equals_the_sample_sliced(table, method, start, length):
    stop = min(start + length, 3 * SAMPLING_BLOCK)
    whole, alone = table.sample(3 * SAMPLING_BLOCK, 7, method), table.sample_draws(start, stop, 7, method)
    assert alone.n == stop - start
    for name in table.names:
        np.testing.assert_array_equal(alone[name], whole[name][start:stop], err_msg=name)


def test_an_empty_run_of_draws_is_refused(table):
    with pytest.raises(InputError, match="a run of draws starts at 0 or later and is not empty"):
        table.sample_draws(5, 5, 1)

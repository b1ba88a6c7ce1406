"""Structural uncertainty inside the PSA (hecon.analysis.structures)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hecon.analysis.psa import run_psa
from hecon.analysis.structures import (
    STRUCTURES_FILE,
    Structure,
    assign,
    categorical_evppi,
    read_structures,
    structural_psa,
    structure_analysis,
)
from hecon.errors import InputError
from hecon.model import Model


@pytest.fixture(scope="module")
def flagship():
    model = Model("ifn_gamma")
    return model, model.options(), model.parameters


def test_all_the_weight_on_one_structure_is_the_plain_psa(flagship):
    model, options, table = flagship
    smr = model.options({"post_icu_mortality": "smr"})
    averaged, assignment = structural_psa(model, table, [Structure("smr", {"post_icu_mortality": "smr"}, 1.0),
                                                         Structure("base", {}, 0.0)], 150, 3, options=options)
    plain = run_psa(model, 150, 3, options=smr, table=table)
    assert np.all(assignment == 0)
    for name in plain.outcomes.names:
        assert np.array_equal(averaged.outcomes[name], plain.outcomes[name], equal_nan=True)
    assert averaged.invalid.equals(plain.invalid)


def test_draws_pick_structures_with_their_weights_and_keep_the_parameter_draws(flagship):
    model, options, table = flagship
    assignment = assign(20_000, [0.2, 0.5, 0.3], seed=1)
    assert np.bincount(assignment) / 20_000 == pytest.approx([0.2, 0.5, 0.3], abs=0.015)
    structures = read_structures(model.input_dir / STRUCTURES_FILE, model)
    assert len(structures) == 8 and sum(s.weight for s in structures) == pytest.approx(1)
    averaged, chosen = structural_psa(model, table, structures, 200, 5, options=options)
    assert np.array_equal(averaged.parameters["hr_infection_ifn"], table.sample(200, 5)["hr_infection_ifn"])
    result = structure_analysis(averaged, structures, chosen)
    summary = result.table.set_index("structure")
    assert summary.loc["averaged", "draws"] == averaged.outcomes.valid.sum()
    evppi = result.frames["structure_evppi"]
    assert set(evppi.choice) == {"structure", "infection_effects", "post_icu_mortality", "post_icu_costs"}
    assert (evppi.evppi >= 0).all()


@settings(max_examples=60, deadline=None)
@given(arrays(float, (40, 3, 2), elements=st.floats(-1e4, 1e4)), st.integers(1, 4), st.integers(0, 9))
def test_the_evppi_of_a_categorical_choice_is_at_least_zero_and_at_most_the_evpi(nb, levels, seed):
    category = np.random.default_rng(seed).integers(0, levels, 40)
    evppi = categorical_evppi(nb, category)
    evpi = nb.max(1).mean(0) - nb.mean(0).max(0)
    assert np.all(evppi >= 0) and np.all(evppi <= evpi + 1e-6 * (1 + np.abs(nb).max()))


def test_the_evppi_is_zero_when_every_structure_has_the_same_best_strategy():
    rng = np.random.default_rng(0)
    nb = rng.normal(size=(300, 2, 1))
    nb[:, 1] += 5.0  # strategy 1 is best in every structure
    assert categorical_evppi(nb, rng.integers(0, 3, 300)) == pytest.approx([0.0], abs=0)
    nb_flip = nb.copy()
    category = np.repeat([0, 1], 150)
    nb_flip[category == 1, 1] -= 20  # structure 1 reverses the decision
    assert categorical_evppi(nb_flip, category)[0] > 1


def test_weights_that_do_not_sum_to_one_are_refused(flagship, tmp_path):
    model = flagship[0]
    path = tmp_path / "structures.yaml"
    path.write_text("choices:\n  post_icu_costs:\n    related: {weight: 0.6}\n    all_cause: {weight: 0.3}\n")
    with pytest.raises(InputError, match="weights of option 'post_icu_costs' sum to 0.9"):
        read_structures(path, model)
    path.write_text("choices:\n  post_icu_costs:\n    related: {weight: 0.5}\n    sometimes: {weight: 0.5}\n")
    with pytest.raises(InputError, match="post_icu_costs"):
        read_structures(path, model)

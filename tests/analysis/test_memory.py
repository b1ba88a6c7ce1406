"""The memory budget of an analysis (hecon.analysis.memory): estimate, chunk, refuse."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.analysis import memory
from hecon.errors import InputError


def test_a_batch_is_its_parameter_matrix_plus_its_outcomes():
    # 1,000 sets × (48 parameters + 2 strategies × 24 outcomes) × 8 bytes
    assert memory.batch_bytes(1_000, 48, 2, 24) == 1_000 * (48 + 48) * 8


@given(st.integers(1, 10 ** 9), st.integers(1, 10 ** 12))
def test_chunks_fit_the_budget(per_set, budget):
    size = memory.chunk_size(per_set, budget)
    assert size >= 1
    assert size == 1 or size * per_set <= budget < (size + 1) * per_set


def test_require_refuses_with_the_estimate_and_the_fix():
    memory.require(memory.GIB, memory.as_bytes(1.0), "this", fix="nothing")  # exactly the budget fits
    with pytest.raises(InputError, match=r"^a 9×9 grid needs about 74\.5 GiB of memory, more than the budget of "
                                         r"4\.0 GiB \(fix: use fewer --steps\)$"):
        memory.require(80e9, memory.as_bytes(memory.DEFAULT_BUDGET_GB), "a 9×9 grid", fix="use fewer --steps")


@pytest.mark.parametrize("gigabytes", [0.0, -1.0, float("nan"), float("inf")])
def test_a_budget_must_be_a_positive_number(gigabytes):
    with pytest.raises(InputError, match="--memory must be a positive number of GB"):
        memory.as_bytes(gigabytes)

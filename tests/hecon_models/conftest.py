"""Fixtures of the flagship model's tests: the model, its parameter table and its options."""

import pytest

from hecon.model import Model


@pytest.fixture(scope="module")
def model():
    return Model("ifn_gamma")


@pytest.fixture(scope="module")
def table(model):
    return model.parameters


@pytest.fixture(scope="module")
def options(model):
    return model.options()

"""Fixtures of the analysis tests."""

import pytest

from hecon.model import Model
from tests.analysis.models import linear_table


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """The parameter table of the linear model (tests.analysis.models.LinearModel)."""
    return linear_table(tmp_path_factory.mktemp("linear"))


@pytest.fixture(scope="module")
def sick():
    return Model("example_sick")
